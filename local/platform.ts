// The local platform: every function of the registry in one process behind a gateway, the
// embedded (or configured) PostgreSQL, the broker, PingSource schedules and the admin views of
// the broker. `npm start` runs it; tests start it from code with functions of their own.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { Cron } from 'croner';
import { randomUUID } from 'node:crypto';
import { fromHttp, type ReceivedEvent } from '../events/index.js';
import { registry as defaultRegistry } from '../functions/index.js';
import { countBySubscriber, getDeadLetter, listDeadLetters, markDiscarded, markReplayed } from '../functions/platform/store.js';
import { authenticate, signingKey } from '../functions/runtime/auth.js';
import { closeDatabases, poolFor, startEmbeddedDatabase, type EmbeddedDatabase } from '../functions/runtime/db.js';
import { PING_EVENT_TYPE, type RegisteredFunction } from '../functions/runtime/definition.js';
import { BadRequest, Conflict, NotFound, PayloadTooLarge, ValidationError } from '../functions/runtime/errors.js';
import { problemResponse, type HttpResponse } from '../functions/runtime/http.js';
import { createLogger, type Logger } from '../functions/runtime/log.js';
import { migrateUp, migratedContexts } from '../functions/runtime/migrate.js';
import { parseRoute, type Route } from '../functions/runtime/route.js';
import { invokerFor, toHttpRequest, writeResponse } from '../functions/runtime/serve.js';
import { config } from '../functions/runtime/config.js';
import { ensureAdminFromEnv } from '../functions/customer/admin.js';
import { backgroundSendsSettled } from '../functions/notification/index.js';
import { relayOutbox } from '../functions/runtime/outbox.js';
import { closeKafka } from '../functions/runtime/kafka.js';
import { createEmbeddedBroker, type Broker } from './broker.js';
import { contractsResponse } from './contracts.js';
import { createKafkaBroker } from './kafka-broker.js';
import { startKafkaSource, type KafkaSource } from './kafka-source.js';
import { loadRouting, type Destination, type PingSpec, type TriggerSpec } from './routing.js';

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
  /** Functions to serve instead of the registry. */
  functions?: RegisteredFunction[];
  /** Start the broker's deliveries (default true); tests may hold them back. */
  deliver?: boolean;
  brokerPollMs?: number;
  logger?: Logger;
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
  stop(): Promise<void>;
}

interface Mounted {
  fn: RegisteredFunction;
  route: Route | undefined;
  invoke: ReturnType<typeof invokerFor>;
}

const readBody = (req: IncomingMessage, limit: number): Promise<Buffer> =>
  new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new PayloadTooLarge(`the body is over the limit of ${limit} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolveBody(Buffer.concat(chunks)));
    req.on('error', reject);
  });

const json = (status: number, body: unknown, headers: Record<string, string> = {}): HttpResponse => ({
  status,
  headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  body: JSON.stringify(body),
});

const describeFunction = (fn: RegisteredFunction, deadLetters: Record<string, number>) => {
  const d = fn.definition;
  return {
    name: fn.name,
    context: fn.context,
    kind: d.kind,
    route: d.kind === 'handler' ? undefined : d.route,
    access: d.kind === 'handler' ? undefined : d.access,
    eventTypes: d.kind === 'handler' && d.event ? [d.event.type] : d.kind === 'handler' && d.anyType ? ['*'] : undefined,
    schedule: d.kind === 'handler' ? d.schedule?.cron : undefined,
    url: `/functions/${fn.name}`,
    deadLetters: deadLetters[fn.name] ?? 0,
  };
};

let catalogUrlSetHere: string | undefined;

export const startPlatform = async (options: PlatformOptions = {}): Promise<Platform> => {
  const log = options.logger ?? createLogger({ component: 'platform' });
  const dataDir = resolve(options.dataDir ?? config.dataDir());
  process.env.GOTUTO_DATA_DIR = dataDir;

  let embedded: EmbeddedDatabase | undefined;
  if (!process.env.DATABASE_URL) {
    embedded = await startEmbeddedDatabase(dataDir);
    process.env.DATABASE_URL = embedded.url;
  }
  const databaseUrl = process.env.DATABASE_URL as string;
  if (!process.env.JWT_SECRET) signingKey(true);

  await migrateUp(migratedContexts());

  const functions = [...(options.functions ?? defaultRegistry), ...(options.extraFunctions ?? [])];
  const mounted: Mounted[] = functions.map((fn) => ({
    fn,
    route: fn.definition.kind === 'handler' ? undefined : parseRoute(fn.definition.route),
    invoke: invokerFor(fn),
  }));
  const byName = new Map(mounted.map((m) => [m.fn.name, m]));

  const routing = loadRouting(options.manifestsDir ?? process.env.GOTUTO_MANIFESTS_DIR ?? join(process.cwd(), 'knative', 'base'));
  const triggers = [...routing.triggers, ...(options.extraTriggers ?? [])];
  const pings = [...routing.pings, ...(options.extraPings ?? [])];

  let baseUrl = '';
  // A Service that is not served answers 404 at its URL, as a missing Knative Service would.
  const resolveDestination = (d: Destination): string => d.uri ?? `${baseUrl}/functions/${d.service}`;
  const pool = await poolFor('platform');
  const kafkaBacked = config.kafkaBrokers().length > 0;
  const broker = kafkaBacked
    ? await createKafkaBroker({ pool, triggers, resolve: resolveDestination, log, topic: config.brokerTopic(), topicSpec: routing.topic })
    : createEmbeddedBroker({ pool, triggers, resolve: resolveDestination, log, pollMs: options.brokerPollMs });
  let ready = false;

  const requireAdmin = async (req: IncomingMessage) => authenticate(req.headers.authorization, ['admin']);

  const replayOne = async (id: string) => {
    const letter = await getDeadLetter(pool, id);
    if (!letter) throw new NotFound(`dead letter ${id} does not exist`);
    if (letter.state === 'discarded') throw new Conflict('a discarded dead letter is not replayed');
    const trigger = triggers.find((t) => (t.subscriber.service ?? t.subscriber.uri) === letter.subscriber || resolveDestination(t.subscriber) === letter.destination);
    if (!trigger) throw new ValidationError(`no Trigger delivers to ${letter.subscriber} any more`);
    await broker.redeliver(letter.event as unknown as ReceivedEvent<unknown>, trigger);
    await markReplayed(pool, id);
    return { id, trigger: trigger.name, state: 'replayed' };
  };

  const handlePlatform = async (req: IncomingMessage, url: URL, body: Buffer): Promise<HttpResponse | undefined> => {
    const method = req.method ?? 'GET';
    const path = url.pathname;
    if (path === '/healthz' && method === 'GET') {
      return ready ? json(200, { status: 'ok', functions: functions.length }) : json(503, { status: 'starting' });
    }
    if (path === '/functions' && method === 'GET') {
      const counts = await countBySubscriber(pool);
      return json(200, { items: functions.map((fn) => describeFunction(fn, counts)) });
    }
    if (path === '/broker' && method === 'POST') {
      let event: ReceivedEvent<unknown>;
      try {
        event = fromHttp(req.headers, body);
      } catch (error) {
        throw new BadRequest(`not a CloudEvent: ${(error as Error).message}`);
      }
      await broker.accept(event);
      return { status: 202, headers: {} };
    }
    if (path === '/broker/events' && method === 'GET') {
      await requireAdmin(req);
      const limit = Math.min(Number(url.searchParams.get('limit') ?? 100) || 100, 1000);
      const after = Number(url.searchParams.get('cursor') ?? 0) || 0;
      const items = await broker.events({
        type: url.searchParams.get('type') ?? undefined,
        subject: url.searchParams.get('subject') ?? undefined,
        correlationid: url.searchParams.get('correlationid') ?? undefined,
        after,
        limit,
      });
      const last = items.at(-1);
      return json(200, { items, nextCursor: items.length === limit && last ? String(last.seq) : null });
    }
    if (path === '/broker/dead-letters' && method === 'GET') {
      await requireAdmin(req);
      const limit = Math.min(Number(url.searchParams.get('limit') ?? 100) || 100, 1000);
      const items = await listDeadLetters(pool, {
        state: url.searchParams.get('state') ?? undefined,
        subscriber: url.searchParams.get('subscriber') ?? undefined,
        type: url.searchParams.get('type') ?? undefined,
        limit,
      });
      return json(200, { items, nextCursor: null });
    }
    if (path === '/broker/dead-letters/replay' && method === 'POST') {
      // Every dead letter of one event type, back to its subscriber.
      await requireAdmin(req);
      const type = url.searchParams.get('type');
      if (!type) throw new ValidationError('name the event type to replay: ?type=<CloudEvents type>');
      const letters = await listDeadLetters(pool, { state: 'dead', type, limit: 10_000 });
      const replayed = [];
      for (const letter of letters) replayed.push(await replayOne(letter.id));
      return json(202, { type, replayed: replayed.length, items: replayed });
    }
    const one = /^\/broker\/dead-letters\/([^/]+)(\/replay|\/discard)?$/.exec(path);
    if (one) {
      await requireAdmin(req);
      const id = one[1] as string;
      if (!/^[0-9a-f-]{36}$/i.test(id)) throw new NotFound(`dead letter ${id} does not exist`);
      if (!one[2] && method === 'GET') {
        const letter = await getDeadLetter(pool, id);
        if (!letter) throw new NotFound(`dead letter ${id} does not exist`);
        return json(200, letter);
      }
      if (one[2] === '/replay' && method === 'POST') return json(202, await replayOne(id));
      if (one[2] === '/discard' && method === 'POST') {
        let reason: unknown;
        try {
          reason = body.length > 0 ? (JSON.parse(body.toString('utf8')) as { reason?: unknown }).reason : undefined;
        } catch {
          throw new BadRequest('the body is not valid JSON');
        }
        if (typeof reason !== 'string' || reason.trim().length === 0 || reason.length > 1000) {
          throw new ValidationError('a reason (1 to 1000 characters) is required to discard a dead letter', [{ pointer: '/reason', message: 'is required' }]);
        }
        const discarded = await markDiscarded(pool, id, reason.trim());
        if (discarded) return json(200, discarded);
        if (!(await getDeadLetter(pool, id))) throw new NotFound(`dead letter ${id} does not exist`);
        throw new Conflict('only a dead letter that is still dead can be discarded');
      }
    }
    return undefined;
  };

  const handleFunction = async (req: IncomingMessage, url: URL, body: Buffer): Promise<HttpResponse | undefined> => {
    const direct = /^\/functions\/([a-z0-9-]+)(\/.*)?$/.exec(url.pathname);
    if (direct) {
      const target = byName.get(direct[1] as string);
      if (!target) throw new NotFound(`no function ${direct[1]}`);
      const request = toHttpRequest(Object.assign(req, { rawBody: body }), (direct[2] ?? '/') + url.search);
      return target.invoke(request);
    }
    const method = (req.method ?? 'GET').toUpperCase();
    for (const m of mounted) {
      if (m.route && m.route.method === method && m.route.match(url.pathname)) {
        return m.invoke(toHttpRequest(Object.assign(req, { rawBody: body }), url.pathname + url.search));
      }
    }
    return undefined;
  };

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const declared = Number(req.headers['content-length'] ?? 0);
    const respond = (response: HttpResponse) => writeResponse(res, response);
    if (declared > config.bodyLimit()) {
      res.setHeader('connection', 'close');
      respond(problemResponse(new PayloadTooLarge(`the body is ${declared} bytes; the limit is ${config.bodyLimit()}`)));
      req.resume();
      return;
    }
    readBody(req, config.bodyLimit())
      .then(async (body) => contractsResponse(req.method ?? 'GET', url.pathname) ?? (await handlePlatform(req, url, body)) ?? (await handleFunction(req, url, body)))
      .then((response) => respond(response ?? problemResponse(new NotFound(`no route ${req.method} ${url.pathname}`))))
      .catch((error: unknown) => {
        if (problemResponse(error).status >= 500) log.error('gateway error', { path: url.pathname, error: String(error) });
        respond(problemResponse(error));
      });
  });

  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? Number(process.env.PORT ?? 8080), options.host ?? process.env.HOST ?? '127.0.0.1', () => ok());
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host ?? process.env.HOST ?? '127.0.0.1';
  baseUrl = `http://${host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host}:${port}`;
  // Functions publish to the broker ingress exactly as a SinkBinding makes them do in a cluster.
  process.env.K_SINK = `${baseUrl}/broker`;
  // Order's one synchronous call goes to Catalog through the gateway, as to its Service in a cluster.
  if (!process.env.CATALOG_URL || process.env.CATALOG_URL === catalogUrlSetHere) {
    process.env.CATALOG_URL = catalogUrlSetHere = baseUrl;
  }

  if (options.deliver !== false) broker.start();

  // Outboxes that publish straight to Kafka feed the broker through a KafkaSource in a cluster.
  const outboxTopics = kafkaBacked
    ? [...new Set(functions.map((fn) => config.outboxKafkaTopic(fn.context)).filter((t): t is string => t !== undefined))]
    : [];
  let source: KafkaSource | undefined;
  if (outboxTopics.length > 0) {
    source = await startKafkaSource({ topics: outboxTopics, topicSpec: routing.topic, broker, groupId: `${config.brokerTopic()}.outbox-source`, log });
  }

  // The first admin (ADMIN_EMAIL/ADMIN_PASSWORD), and whatever a previous run left in the outboxes.
  const admin = await ensureAdminFromEnv(await poolFor('customer'));
  if (admin?.created) log.info('admin account created', { email: admin.customer.email });
  for (const context of new Set(functions.map((fn) => fn.context))) {
    if (migratedContexts().includes(context)) await relayOutbox(await poolFor(context), context);
  }

  const crons = pings.map((ping) => {
    const target = ping.sink.service ? byName.get(ping.sink.service) : undefined;
    const envName = target?.fn.definition.kind === 'handler' ? target.fn.definition.schedule?.env : undefined;
    const schedule = (envName && process.env[envName]) || ping.schedule;
    return new Cron(schedule, { protect: true }, async () => {
      const event = {
        specversion: '1.0',
        id: randomUUID(),
        type: PING_EVENT_TYPE,
        source: `/apis/v1/namespaces/local/pingsources/${ping.name}`,
        time: new Date().toISOString(),
        datacontenttype: 'application/json',
        data: ping.data ? JSON.parse(ping.data) : {},
      };
      try {
        const response = await fetch(resolveDestination(ping.sink), {
          method: 'POST',
          headers: { 'content-type': 'application/cloudevents+json' },
          body: JSON.stringify(event),
        });
        await response.arrayBuffer();
        log.info('ping', { source: ping.name, status: response.status });
      } catch (error) {
        log.warn('ping failed', { source: ping.name, error: String(error) });
      }
    });
  });

  ready = true;
  return {
    url: baseUrl,
    port,
    broker,
    brokerKind: kafkaBacked ? 'kafka' : 'embedded',
    functions,
    dataDir,
    databaseUrl,
    embedded: embedded !== undefined,
    pings,
    stop: async () => {
      ready = false;
      for (const c of crons) c.stop();
      await source?.stop();
      await broker.stop();
      await closeKafka();
      await backgroundSendsSettled();
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
      await closeDatabases();
      if (embedded) {
        await embedded.stop();
        delete process.env.DATABASE_URL;
      }
    },
  };
};
