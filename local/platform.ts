// The local platform: every function of the registry in one process behind a gateway, the
// embedded (or configured) PostgreSQL, the broker and PingSource schedules. `npm start` runs it;
// tests start it from code with functions of their own. It knows no context: what a context needs
// at start and before stop it declares through the runtime's lifecycle.
import type { Server } from 'node:http';
import { join, resolve } from 'node:path';
import { deadLettersWaiting, localOnlyFunctions, registry } from '../functions/index.js';
import { signingKey } from '../functions/runtime/auth.js';
import { config } from '../functions/runtime/config.js';
import { closeDatabases, poolFor } from '../functions/runtime/db.js';
import type { RegisteredFunction } from '../functions/runtime/definition.js';
import { closeKafka } from '../functions/runtime/kafka.js';
import { drainAll, startAll } from '../functions/runtime/lifecycle.js';
import { createLogger, type Logger } from '../functions/runtime/log.js';
import { migratedContexts } from '../functions/runtime/migrate.js';
import { relayOutbox } from '../functions/runtime/outbox.js';
import { startTelemetry, stopTelemetry } from '../functions/runtime/telemetry.js';
import { createEmbeddedBroker, type Broker } from './broker.js';
import { contractsResponse } from './contracts.js';
import { migrateLocal, openDatabase, type Database } from './database.js';
import { closeGateway, createGateway, listen } from './gateway.js';
import { createKafkaBroker } from './kafka-broker.js';
import { startKafkaSource, type KafkaSource } from './kafka-source.js';
import { journeyRoutes } from './journey/page.js';
import { startLocalIdentity, tokenHeadersFor, type LocalIdentity } from './identity.js';
import { mount } from './mounts.js';
import { createMetricStore } from './otlp/metrics.js';
import { otlpRoutes } from './otlp/receiver.js';
import { keepSpans } from './otlp/spans.js';
import { functionTableRoute, healthRoute, ingressRoute } from './platform-routes.js';
import { loadRouting, type Destination, type PingSpec, type Routing, type TriggerSpec } from './routing.js';
import { startSchedules, type Schedules } from './schedules.js';
import { createScaler, type ScaleToZeroOptions, type Scaler } from './scale-to-zero/scaler.js';

export interface PlatformOptions {
  port?: number;
  host?: string;
  /** Where embedded data lives (GOTUTO_DATA_DIR, default .data). */
  dataDir?: string;
  /** The manifests whose Triggers and PingSources route events (GOTUTO_MANIFESTS_DIR, default knative/base). */
  manifestsDir?: string;
  /** Functions and Triggers a test adds; they never reach knative/. */
  extraFunctions?: RegisteredFunction[];
  extraTriggers?: TriggerSpec[];
  extraPings?: PingSpec[];
  /** Functions to serve instead of the registry's. */
  functions?: RegisteredFunction[];
  /** Each function with a bundle in a process of its own, started on demand, stopped when idle. */
  scaleToZero?: ScaleToZeroOptions;
  /** Start the broker's deliveries (default true); tests may hold them back. */
  deliver?: boolean;
  brokerPollMs?: number;
  logger?: Logger;
  /**
   * Point the functions' OpenTelemetry exporters at this platform's own OTLP receiver when
   * OTEL_EXPORTER_OTLP_ENDPOINT is unset (`npm start` does; tests that trace ask for it).
   */
  receiveTelemetry?: boolean;
}

export interface Platform {
  url: string;
  port: number;
  broker: Broker;
  /** `kafka` when KAFKA_BROKERS is set: the broker's topic and consumer groups are in Kafka. */
  brokerKind: 'embedded' | 'kafka';
  functions: RegisteredFunction[];
  dataDir: string;
  databaseUrl: string;
  embedded: boolean;
  pings: PingSpec[];
  /** The functions' processes, in the scale-to-zero mode. */
  scaler?: Scaler;
  stop(): Promise<void>;
}

/** How long a stop waits for work the functions started in the background (sends after a commit). */
const STOP_DRAIN_MS = 10_000;

let catalogUrlSetHere: string | undefined;
let otlpEndpointSetHere: string | undefined;

/**
 * The URL of a destination: a Service is its function's URL at the gateway (one that is not served
 * answers 404 there, as a missing Knative Service would), with a relative `uri` under it.
 */
export const destinationUrl = (baseUrl: string, d: Destination): string => {
  if (!d.service) return d.uri ?? '';
  const service = `${baseUrl}/functions/${d.service}`;
  if (!d.uri) return service;
  return `${service}${d.uri.startsWith('/') ? '' : '/'}${d.uri}`;
};

/** Functions publish to the broker ingress, as a SinkBinding makes them do in a cluster; Order calls Catalog through the gateway. */
const pointAt = (baseUrl: string, receiveTelemetry: boolean) => {
  process.env.K_SINK = `${baseUrl}/broker`;
  if (!process.env.CATALOG_URL || process.env.CATALOG_URL === catalogUrlSetHere) process.env.CATALOG_URL = catalogUrlSetHere = baseUrl;
  // An endpoint a person set is theirs; one set by an earlier start here follows the new port.
  const endpoint = process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (receiveTelemetry && (!endpoint || endpoint === otlpEndpointSetHere)) process.env.OTEL_EXPORTER_OTLP_ENDPOINT = otlpEndpointSetHere = baseUrl;
};

const startBroker = async (
  routing: Routing,
  triggers: TriggerSpec[],
  resolveDestination: (d: Destination) => string,
  options: PlatformOptions,
  log: Logger,
) => {
  const pool = await poolFor('platform');
  const headersFor = tokenHeadersFor;
  return config.kafkaBrokers().length > 0
    ? createKafkaBroker({ pool, triggers, resolve: resolveDestination, log, topic: config.brokerTopic(), topicSpec: routing.topic, headersFor })
    : createEmbeddedBroker({ pool, triggers, resolve: resolveDestination, log, pollMs: options.brokerPollMs, headersFor });
};

/** Outboxes that publish straight to Kafka feed the broker through a KafkaSource, as in a cluster. */
const startOutboxSource = async (functions: RegisteredFunction[], routing: Routing, broker: Broker, log: Logger): Promise<KafkaSource | undefined> => {
  if (config.kafkaBrokers().length === 0) return undefined;
  const topics = [...new Set(functions.map((fn) => config.outboxKafkaTopic(fn.context)).filter((t): t is string => t !== undefined))];
  if (topics.length === 0) return undefined;
  return startKafkaSource({ topics, topicSpec: routing.topic, broker, groupId: `${config.brokerTopic()}.outbox-source`, log });
};

/** Whatever a previous run left in the outboxes goes out now. */
const relayLeftovers = async (functions: RegisteredFunction[]): Promise<void> => {
  for (const context of new Set(functions.map((fn) => fn.context))) {
    if (migratedContexts().includes(context)) await relayOutbox(await poolFor(context), context);
  }
};

interface Running {
  identity: LocalIdentity;
  schedules: Schedules;
  source: KafkaSource | undefined;
  broker: Broker;
  server: Server;
  database: Database;
  log: Logger;
  scaler: Scaler | undefined;
}

/** Stops what feeds the broker, the broker, then background work, the gateway and the databases. */
const stopInOrder = async ({ identity, schedules, source, broker, server, database, log, scaler }: Running): Promise<void> => {
  schedules.stop();
  identity.stop();
  await source?.stop();
  await broker.stop();
  await closeKafka();
  if (!(await drainAll(STOP_DRAIN_MS))) log.warn('stopping with background work still running', { waitedMs: STOP_DRAIN_MS });
  // Before the gateway and the database: a process that stops may still publish what it committed.
  await scaler?.stop();
  await stopTelemetry();
  await closeGateway(server);
  await closeDatabases();
  if (database.embedded) {
    await database.embedded.stop();
    delete process.env.DATABASE_URL;
  }
};

export const startPlatform = async (options: PlatformOptions = {}): Promise<Platform> => {
  const log = options.logger ?? createLogger({ component: 'platform' });
  const dataDir = resolve(options.dataDir ?? config.dataDir());
  process.env.GOTUTO_DATA_DIR = dataDir;
  const database = await openDatabase(dataDir);
  if (!process.env.JWT_SECRET) signingKey(true);
  await migrateLocal();

  const functions = [...(options.functions ?? [...registry, ...localOnlyFunctions]), ...(options.extraFunctions ?? [])];
  const scaler = options.scaleToZero ? createScaler(functions, options.scaleToZero, log) : undefined;
  const mounts = mount(functions, scaler?.invokerFor);
  const routing = loadRouting(options.manifestsDir ?? process.env.GOTUTO_MANIFESTS_DIR ?? join(process.cwd(), 'knative', 'base'));
  const triggers = [...routing.triggers, ...(options.extraTriggers ?? [])];
  const pings = [...routing.pings, ...(options.extraPings ?? [])];
  const identity = await startLocalIdentity(dataDir, routing.broker, log);

  let baseUrl = '';
  const resolveDestination = (d: Destination): string => destinationUrl(baseUrl, d);
  const broker = await startBroker(routing, triggers, resolveDestination, options, log);
  let ready = false;
  const metrics = createMetricStore();
  const platformPool = await poolFor('platform');
  const telemetry = otlpRoutes({ keepSpans: (spans) => keepSpans(platformPool, spans, config.otlpReceiverMaxSpans()), keepPoints: metrics.keep });
  const server = createGateway({
    mounts,
    platformRoutes: [
      healthRoute(() => ready, functions.length),
      ingressRoute(broker, identity.checkPublisher),
      functionTableRoute(functions, deadLettersWaiting),
      ...identity.routes,
      ...telemetry,
      ...journeyRoutes({ db: () => poolFor('platform'), mounts, metrics }),
    ],
    pages: contractsResponse,
    log,
  });
  baseUrl = await listen(server, options.port ?? Number(process.env.PORT ?? 8080), options.host ?? process.env.HOST ?? '127.0.0.1');
  await identity.serve(baseUrl);
  pointAt(baseUrl, options.receiveTelemetry === true);
  // Spans and metrics of every function served here, and of the broker, when an OTLP endpoint is set.
  await startTelemetry('gotuto-local');

  if (options.deliver !== false) broker.start();
  const source = await startOutboxSource(functions, routing, broker, log);
  await startAll(log);
  await relayLeftovers(functions);
  const schedules = startSchedules(pings, mounts.byName, resolveDestination, log);

  ready = true;
  return {
    url: baseUrl,
    port: Number(new URL(baseUrl).port),
    broker,
    brokerKind: config.kafkaBrokers().length > 0 ? 'kafka' : 'embedded',
    functions,
    dataDir,
    databaseUrl: database.url,
    embedded: database.embedded !== undefined,
    pings,
    scaler,
    stop: async () => {
      ready = false;
      await stopInOrder({ identity, schedules, source, broker, server, database, log, scaler });
    },
  };
};
