// Settings read from the environment, each with its production default.
import { join, resolve } from 'node:path';

const int = (name: string, fallback: number): number => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new Error(`${name} must be a number, got "${raw}"`);
  return value;
};

export const config = {
  /** Directory of embedded data (PGlite store, generated local secret). */
  dataDir: () => resolve(process.env.GOTUTO_DATA_DIR ?? '.data'),
  /** Database URL of a context: `<CONTEXT>_DATABASE_URL`, else `DATABASE_URL`, else embedded. */
  databaseUrl: (context?: string): string | undefined =>
    (context && process.env[`${context.toUpperCase()}_DATABASE_URL`]) || process.env.DATABASE_URL || undefined,
  poolMax: () => int('PG_POOL_MAX', 4),
  /**
   * The proxies in front of the functions whose X-Forwarded-For is believed: a hop count, or
   * addresses and CIDRs (`loopback`, `uniquelocal`, `10.0.0.0/8`, ...); unset: none, the peer is the client.
   */
  trustedProxies: () => (process.env.TRUSTED_PROXIES ?? '').trim(),
  /** Largest request body accepted, in bytes. */
  bodyLimit: () => int('BODY_LIMIT_BYTES', 1024 * 1024),
  /** Where events are published: the broker ingress (a SinkBinding sets it in a cluster). */
  sink: () => process.env.K_SINK || undefined,
  /** How long a publisher owns the outbox rows it is publishing before a relay may take them. */
  outboxLeaseSeconds: () => int('OUTBOX_LEASE_SECONDS', 30),
  relayBatch: () => int('OUTBOX_RELAY_BATCH', 200),
  /** Age after which published outbox rows and inbox entries are deleted. */
  retentionDays: () => int('MESSAGING_RETENTION_DAYS', 7),
  publishTimeoutMs: () => int('PUBLISH_TIMEOUT_MS', 10_000),
  /** Kafka bootstrap servers (`host:port,host:port`); unset: no Kafka. */
  kafkaBrokers: (): string[] =>
    (process.env.KAFKA_BROKERS ?? '')
      .split(',')
      .map((b) => b.trim())
      .filter(Boolean),
  /** The topic of the local broker when it is backed by Kafka. */
  brokerTopic: () => process.env.KAFKA_BROKER_TOPIC || 'knative-broker-local-gotuto',
  /**
   * When set (with KAFKA_BROKERS), outboxes publish straight to this Kafka topic instead of K_SINK,
   * for a KafkaSource to feed the broker; `{context}` is replaced by the context's name.
   */
  outboxKafkaTopic: (context: string): string | undefined => process.env.OUTBOX_KAFKA_TOPIC?.replaceAll('{context}', context) || undefined,
  jwtIssuer: () => process.env.JWT_ISSUER ?? 'gotuto',
  jwtAudience: () => process.env.JWT_AUDIENCE ?? 'gotuto',
  localSecretFile: () => join(config.dataDir(), 'jwt-secret'),
  /** How many received spans the local platform keeps for its journey page; the oldest go first. */
  otlpReceiverMaxSpans: () => int('OTLP_RECEIVER_MAX_SPANS', 100_000),
};
