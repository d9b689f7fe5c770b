// Kafka for the functions: one kafkajs client and one idempotent producer per process (acks from
// every in-sync replica), and the publishing of events as CloudEvents records (binary mode).
import { readFileSync } from 'node:fs';
import { Kafka, Partitioners, logLevel, type KafkaConfig, type Producer, type SASLOptions } from 'kafkajs';
import { toKafkaRecord, type ReceivedEvent } from '../../events/index.js';
import { config } from './config.js';
import { Unavailable } from './errors.js';
import { rootLogger, type Logger } from './log.js';
import { eventTraceHeaders } from './telemetry.js';

/** kafkajs logs through the platform's logger, warnings and errors only. */
const logCreator = (log: Logger) => () => (entry: { level: logLevel; label: string; log: { message: string } & Record<string, unknown> }) => {
  const { message, ...fields } = entry.log;
  if (entry.level === logLevel.ERROR) log.error(`kafka: ${message}`, { broker: fields.broker, error: fields.error });
  else if (entry.level === logLevel.WARN) log.warn(`kafka: ${message}`, { broker: fields.broker, error: fields.error });
};

const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;

/**
 * TLS and SASL from the environment: KAFKA_TLS=true (KAFKA_CA_FILE: the cluster CA, PEM), and
 * KAFKA_SASL_MECHANISM (plain, scram-sha-256, scram-sha-512) with KAFKA_SASL_USERNAME and
 * KAFKA_SASL_PASSWORD. Unset: plain text, no authentication.
 */
export const kafkaSecurity = (env: NodeJS.ProcessEnv = process.env): Pick<KafkaConfig, 'ssl' | 'sasl'> => {
  const security: Pick<KafkaConfig, 'ssl' | 'sasl'> = {};
  if (env.KAFKA_TLS === 'true') security.ssl = env.KAFKA_CA_FILE ? { ca: [readFileSync(env.KAFKA_CA_FILE, 'utf8')] } : true;
  else if (env.KAFKA_TLS && env.KAFKA_TLS !== 'false') throw new Error(`KAFKA_TLS must be true or false, not "${env.KAFKA_TLS}"`);
  const mechanism = env.KAFKA_SASL_MECHANISM?.toLowerCase();
  if (mechanism) {
    if (!(SASL_MECHANISMS as readonly string[]).includes(mechanism))
      throw new Error(`KAFKA_SASL_MECHANISM must be one of ${SASL_MECHANISMS.join(', ')}, not "${mechanism}"`);
    if (!env.KAFKA_SASL_USERNAME || !env.KAFKA_SASL_PASSWORD) throw new Error('KAFKA_SASL_MECHANISM needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD');
    security.sasl = { mechanism, username: env.KAFKA_SASL_USERNAME, password: env.KAFKA_SASL_PASSWORD } as SASLOptions;
  }
  return security;
};

/** A kafkajs client of KAFKA_BROKERS. */
export const kafkaClient = (clientId: string, overrides: Partial<KafkaConfig> = {}): Kafka => {
  const brokers = config.kafkaBrokers();
  if (brokers.length === 0) throw new Error('KAFKA_BROKERS is not set');
  return new Kafka({
    clientId,
    brokers,
    logLevel: logLevel.WARN,
    logCreator: logCreator(rootLogger),
    connectionTimeout: 3000,
    requestTimeout: 10_000,
    retry: { initialRetryTime: 200, maxRetryTime: 2000, retries: 5 },
    ...kafkaSecurity(),
    ...overrides,
  });
};

/** An idempotent producer (acks=all, one request in flight, so retries never reorder or repeat). */
export const idempotentProducer = (kafka: Kafka): Producer =>
  kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    // Java's partitioner (murmur2 of the key): a key lands on the partition a Java client picks.
    createPartitioner: Partitioners.DefaultPartitioner,
    retry: { initialRetryTime: 200, maxRetryTime: 2000, retries: 3 },
  });

/**
 * A transactional producer: what it sends in one transaction is read by consumers (read committed,
 * kafkajs' default) all or none. A transaction left open by a killed process holds its partitions'
 * readers back until `transactionTimeout`, so it is short.
 */
export const transactionalProducer = (kafka: Kafka, transactionalId: string): Producer =>
  kafka.producer({
    transactionalId,
    idempotent: true,
    maxInFlightRequests: 1,
    transactionTimeout: 10_000,
    createPartitioner: Partitioners.DefaultPartitioner,
    retry: { initialRetryTime: 200, maxRetryTime: 2000, retries: 3 },
  });

let shared: { producer: Producer; connected: Promise<void> } | undefined;

const sharedProducer = async (): Promise<Producer> => {
  if (!shared) {
    const producer = idempotentProducer(kafkaClient(`gotuto-${process.env.K_SERVICE ?? 'functions'}`));
    shared = { producer, connected: producer.connect() };
    shared.connected.catch(() => {
      shared = undefined;
    });
  }
  await shared.connected;
  return shared.producer;
};

const withTimeout = <T>(work: Promise<T>, ms: number, what: string): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Unavailable(`${what} took longer than ${ms} ms`)), ms);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });

/**
 * Writes events to a topic, in the given order, and resolves once every in-sync replica has them.
 * Throws (Unavailable on a timeout) when Kafka does not take them; nothing is then known to be
 * written, and the caller keeps the events to send again (consumers drop a repeated id).
 */
export const publishToKafka = async (topic: string, events: ReceivedEvent<unknown>[]): Promise<void> => {
  if (events.length === 0) return;
  const send = async () => {
    const producer = await sharedProducer();
    await producer.send({ topic, acks: -1, messages: events.map((event) => toKafkaRecord(event, eventTraceHeaders(event))) });
  };
  await withTimeout(send(), config.publishTimeoutMs(), `publishing to Kafka topic ${topic}`);
};

/** Disconnects the shared producer (process shutdown, tests). */
export const closeKafka = async (): Promise<void> => {
  const current = shared;
  shared = undefined;
  if (current) await current.connected.then(() => current.producer.disconnect()).catch(() => undefined);
};
