// Kafka for the functions: one kafkajs client and one idempotent producer per process (acks from
// every in-sync replica), and the publishing of events as CloudEvents records (binary mode).
import { Kafka, Partitioners, logLevel, type KafkaConfig, type Producer } from 'kafkajs';
import { toKafkaRecord, type ReceivedEvent } from '../../events/index.js';
import { config } from './config.js';
import { Unavailable } from './errors.js';
import { rootLogger, type Logger } from './log.js';

/** kafkajs logs through the platform's logger, warnings and errors only. */
const logCreator = (log: Logger) => () => (entry: { level: logLevel; label: string; log: { message: string } & Record<string, unknown> }) => {
  const { message, ...fields } = entry.log;
  if (entry.level === logLevel.ERROR) log.error(`kafka: ${message}`, { broker: fields.broker, error: fields.error });
  else if (entry.level === logLevel.WARN) log.warn(`kafka: ${message}`, { broker: fields.broker, error: fields.error });
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
    await producer.send({ topic, acks: -1, messages: events.map((event) => toKafkaRecord(event)) });
  };
  await withTimeout(send(), config.publishTimeoutMs(), `publishing to Kafka topic ${topic}`);
};

/** Disconnects the shared producer (process shutdown, tests). */
export const closeKafka = async (): Promise<void> => {
  const current = shared;
  shared = undefined;
  if (current) await current.connected.then(() => current.producer.disconnect()).catch(() => undefined);
};
