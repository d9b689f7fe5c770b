// The order saga under Knative's own dispatcher (npm run bench -- knative): the functions on the local
// platform (scripts/bench/knative-platform.ts, DELIVERY_AUTH=network-policy: Knative's dispatcher
// cannot mint the platform's delivery tokens), Knative's receiver and dispatcher as the Broker, with a
// contract made of an overlay's Triggers (rendered with `kubectl kustomize`, as deploy.ts does), on a
// topic with that overlay's partitions. Variants, one after the other on the same platform:
//   dev as generated (ordered where the generator orders), dev with every Trigger ordered, then
//   unordered (what ordering costs each hop), prod as its overlay has it.
// Per variant, after 10 warm-up orders: BENCH_KNATIVE_ORDERS (20) orders one after the other,
// checkout to confirmed (GET /orders/{id} polled every 5 ms) p50/p95; and per Trigger, the time per
// hop: from the event reaching the Broker's ingress to the delivery its subscriber accepted (a
// forwarding proxy in this process stands in front of both and notes the times; retries included).
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { stringify } from 'yaml';
import { signToken } from '../../functions/runtime/auth.js';
import { dropDatabase } from '../../functions/runtime/db.js';
import { destinationUrl } from '../../local/platform.js';
import { loadRouting, type Routing, type TriggerSpec } from '../../local/routing.js';
import { renderOverlay } from '../deploy.js';
import { receiverEnv, startReceiver } from './broker.js';
import { contractFor, createBrokerTopic, startDataPlane, type DataPlaneBuild } from './knative-data-plane.js';
import type { BenchKafka } from './kafka.js';
import { temporaryDir } from './processes.js';
import { Client, createProduct, placeOrder, registerCustomer, type Buyer } from './saga.js';

interface Context {
  root: string;
  logs: string;
  log(message: string): void;
  adminUrl?: string;
}

export interface HopFigures {
  trigger: string;
  ordered: boolean;
  /** Deliveries accepted by the subscriber. */
  count: number;
  p50Ms: number;
  p95Ms: number;
  /** Attempts the subscriber refused (a step not reached yet: 404, retried). */
  retries: number;
}

export interface SagaVariantFigures {
  label: string;
  partitions: number;
  orders: number;
  confirmed: number;
  p50Ms: number;
  p95Ms: number;
  hops: HopFigures[];
}

export interface KnativeSagaResult {
  database: string;
  variants: SagaVariantFigures[];
}

const DATABASE = 'gotuto_bench_knative';
const WARMUP_ORDERS = 10;
const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const percentile = (sorted: number[], p: number) =>
  sorted.length === 0 ? NaN : (sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number);

// ---- the proxy in front of the ingress and of every subscriber -----------------------------------

interface Delivery {
  trigger: string;
  id: string;
  at: number;
  status: number;
}

const forward = (req: IncomingMessage, res: ServerResponse, target: string, agent: Agent, answered: (status: number) => void) => {
  const url = new URL(target);
  const up = httpRequest(
    { host: url.hostname, port: url.port, path: url.pathname + url.search, method: req.method, headers: { ...req.headers, host: url.host }, agent },
    (answer) => {
      answered(answer.statusCode ?? 0);
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  up.on('error', () => {
    answered(502);
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
  req.pipe(up);
};

const startProxy = async () => {
  let ingress = '';
  const routes = new Map<string, string>();
  let ingressAt = new Map<string, number>();
  let deliveries: Delivery[] = [];
  const agent = new Agent({ keepAlive: true, maxSockets: 128 });
  const server = createServer((req, res) => {
    const at = performance.now();
    const id = String(req.headers['ce-id'] ?? '');
    const trigger = req.url?.startsWith('/hop/') ? decodeURIComponent(req.url.slice('/hop/'.length)) : undefined;
    const target = req.url === '/ingress' ? ingress : trigger ? routes.get(trigger) : undefined;
    if (!target) return void res.writeHead(404).end();
    if (!trigger && id && !ingressAt.has(id)) ingressAt.set(id, at);
    forward(req, res, target, agent, (status) => trigger && deliveries.push({ trigger, id, at, status }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    ingressUrl: `${url}/ingress`,
    setIngress: (target: string) => void (ingress = target),
    /** Where the dispatcher delivers a Trigger's events: here, forwarded to `target`. */
    route: (trigger: string, target: string) => {
      routes.set(trigger, target);
      return `${url}/hop/${encodeURIComponent(trigger)}`;
    },
    reset: () => {
      ingressAt = new Map();
      deliveries = [];
    },
    hops: (ordered: (trigger: string) => boolean): HopFigures[] => {
      const byTrigger = new Map<string, Delivery[]>();
      for (const d of deliveries) byTrigger.set(d.trigger, [...(byTrigger.get(d.trigger) ?? []), d]);
      return [...byTrigger].map(([trigger, list]) => {
        const accepted = list.filter((d) => d.status >= 200 && d.status < 300);
        const times = accepted.flatMap((d) => (ingressAt.has(d.id) ? [d.at - (ingressAt.get(d.id) as number)] : [])).sort((a, b) => a - b);
        return {
          trigger,
          ordered: ordered(trigger),
          count: accepted.length,
          p50Ms: round(percentile(times, 50)),
          p95Ms: round(percentile(times, 95)),
          retries: list.length - accepted.length,
        };
      });
    },
    stop: () => {
      agent.destroy();
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
};

type Proxy = Awaited<ReturnType<typeof startProxy>>;

// ---- the variants ------------------------------------------------------------------------------

interface Variant {
  label: string;
  overlay: string;
  ordered?: (t: TriggerSpec) => boolean;
}

const VARIANTS: Variant[] = [
  { label: 'dev, Triggers as generated', overlay: 'dev' },
  { label: 'dev, every Trigger ordered', overlay: 'dev', ordered: () => true },
  { label: 'dev, every Trigger unordered', overlay: 'dev', ordered: () => false },
  { label: 'prod, as its overlay has them', overlay: 'prod' },
];

/** An overlay's Triggers and Broker config, as `kubectl kustomize` renders them. */
const overlayRouting = (overlay: string, root: string): Routing => {
  const dir = mkdtempSync(join(tmpdir(), 'gotuto-bench-overlay-'));
  try {
    writeFileSync(
      join(dir, 'rendered.yaml'),
      renderOverlay(overlay, root)
        .map((doc) => stringify(doc))
        .join('---\n'),
    );
    return loadRouting(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

interface Shop {
  client: Client;
  platformUrl: string;
  proxy: Proxy;
  orders: number;
  setup?: { productId: string; buyer: Buyer };
}

const runVariant = async (ctx: Context, build: DataPlaneBuild, kafka: BenchKafka, shop: Shop, variant: Variant): Promise<SagaVariantFigures> => {
  const routing = overlayRouting(variant.overlay, ctx.root);
  const byName = new Map(routing.triggers.map((t) => [t.name, t]));
  const ordered = (t: TriggerSpec) => (variant.ordered ?? ((x: TriggerSpec) => x.ordered))(t);
  const topic = kafka.env().KAFKA_BROKER_TOPIC;
  const made = await createBrokerTopic(kafka.brokers, topic, routing.topic.partitions);
  const contract = contractFor({
    broker: { namespace: routing.broker.namespace, name: routing.broker.name, topic, bootstrapServers: kafka.brokers },
    triggers: routing.triggers,
    destination: (t) => shop.proxy.route(t.name, destinationUrl(shop.platformUrl, t.subscriber)),
    deadLetter: (name) => {
      const sink = name ? byName.get(name)?.delivery.deadLetterSink : undefined;
      return sink ? destinationUrl(shop.platformUrl, sink) : undefined;
    },
    ordered,
  });
  ctx.log(
    `knative saga, ${variant.label}: ${routing.triggers.filter(ordered).length} of ${routing.triggers.length} Triggers ordered, ${routing.topic.partitions} partitions`,
  );
  const plane = await startDataPlane({ build, contract, logDir: join(ctx.logs, `knative-saga-${variant.overlay}`) });
  shop.proxy.setIngress(plane.ingressUrl);
  try {
    const { client } = shop;
    shop.setup ??= { productId: await createProduct(client, 100_000), buyer: await registerCustomer(client) };
    const { productId, buyer } = shop.setup;
    const deadline = () => performance.now() + 60_000;
    // Enough orders for every function's and JVM's first-run costs to be behind (3 were not: the
    // first variant came out twice as slow as the same Triggers measured later).
    for (let i = 0; i < WARMUP_ORDERS; i++) await placeOrder(client, buyer, productId, 5, deadline());
    await sleep(1_000);
    shop.proxy.reset();
    const latencies: number[] = [];
    for (let i = 0; i < shop.orders; i++) {
      const placed = await placeOrder(client, buyer, productId, 5, deadline());
      if (placed.status === 'confirmed') latencies.push(placed.latencyMs);
      else ctx.log(`knative saga, ${variant.label}: order ${placed.orderId} ${placed.status}`);
    }
    // The hops after confirmed (Notification's) end a little later.
    await sleep(1_000);
    const sorted = latencies.sort((a, b) => a - b);
    const hops = shop.proxy.hops((name) => ordered(byName.get(name) as TriggerSpec)).sort((a, b) => b.p50Ms - a.p50Ms);
    return {
      label: variant.label,
      partitions: routing.topic.partitions,
      orders: shop.orders,
      confirmed: latencies.length,
      p50Ms: round(percentile(sorted, 50)),
      p95Ms: round(percentile(sorted, 95)),
      hops,
    };
  } finally {
    await plane.stop();
    await made.drop();
  }
};

// ---- the scenario --------------------------------------------------------------------------------

const benchDatabase = async (adminUrl: string | undefined): Promise<{ url?: string; label: string; drop(): Promise<void> }> => {
  if (!adminUrl) return { label: 'embedded PostgreSQL', drop: async () => undefined };
  await dropDatabase(adminUrl, DATABASE);
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${DATABASE}`);
    const version = (await admin.query<{ server_version: string }>('SHOW server_version')).rows[0]?.server_version ?? '?';
    const url = new URL(adminUrl);
    url.pathname = `/${DATABASE}`;
    return { url: url.toString(), label: `PostgreSQL ${version.split(' ')[0]}`, drop: () => dropDatabase(adminUrl, DATABASE) };
  } finally {
    await admin.end();
  }
};

export const knativeSagaScenario = async (ctx: Context, build: DataPlaneBuild, kafka: BenchKafka): Promise<KnativeSagaResult> => {
  const orders = Number(process.env.BENCH_KNATIVE_ORDERS ?? 20) || 20;
  const database = await benchDatabase(ctx.adminUrl);
  const proxy = await startProxy();
  const dataDir = temporaryDir('gotuto-bench-knative-');
  const secret = randomBytes(32).toString('base64url');
  try {
    const env = {
      ...receiverEnv(database.url),
      JWT_SECRET: secret,
      DELIVERY_AUTH: 'network-policy',
      CATALOG_TIMEOUT_MS: '10000',
      CATALOG_BREAKER_VOLUME: '1000',
    };
    const args = ['--import', 'tsx', join(ctx.root, 'scripts', 'bench', 'knative-platform.ts'), '--sink', proxy.ingressUrl, '--data-dir', dataDir.path];
    const platform = await startReceiver(ctx.root, args, env, join(ctx.logs, 'knative-platform.log'), dataDir.remove);
    try {
      ctx.log(`knative saga: platform at ${platform.url} on ${database.label}, DELIVERY_AUTH=network-policy`);
      const admin = await signToken({ id: randomUUID(), role: 'admin' }, '2h', secret);
      const shop: Shop = { client: new Client(platform.url.replace(/\/+$/, ''), admin), platformUrl: platform.url.replace(/\/+$/, ''), proxy, orders };
      const variants: SagaVariantFigures[] = [];
      for (const variant of VARIANTS) variants.push(await runVariant(ctx, build, kafka, shop, variant));
      return { database: database.label, variants };
    } finally {
      await platform.stop();
    }
  } finally {
    await proxy.stop();
    await database.drop().catch(() => undefined);
  }
};
