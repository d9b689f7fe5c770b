// npm run bench -- cold-chain: the order saga when every function has scaled to zero, beside the
// same saga warm, on the platform of `npm start -- --scale-to-zero` (scripts/bench/cold-platform.ts:
// each function its dist/ bundle in a process of its own, stopped after BENCH_COLD_CHAIN_IDLE (10) s
// without a request), on embedded PostgreSQL, or on a database of DATABASE_URL's server when given.
//   warm   BENCH_COLD_CHAIN_ORDERS (20) orders one after the other with every function running:
//          checkout request to the broker's acceptance of the order's order-confirmed (the
//          platform says when over IPC: nothing polls), p50/p95.
//   cold   BENCH_COLD_CHAIN_RUNS (5) orders, each placed once every function has stopped (cart and
//          item first, then a wait until all processes are gone): the same span, p50/p95, and each
//          function started on the way with its start (spawn to its first ready answer) and that
//          start's share of the chain's time.
//   cost   CPU ms per confirmed order, from the processes' own counters (/proc): the platform process
//          (gateway, broker, schedules; and embedded PostgreSQL when there is no server), every
//          function process, and PostgreSQL's backends of the benchmark's database; checkout to the
//          broker idle. Warm: BENCH_COLD_CHAIN_ORDERS carts checked out one after the other, then
//          idle. Cold: each cold order, its processes' starts included.
// Over the embedded broker, then over Kafka when the caller passes one (its JVM's CPU counted too).
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import pg from 'pg';
import { registry } from '../../functions/index.js';
import { signToken } from '../../functions/runtime/auth.js';
import { DEFAULT_BUNDLES_DIR, ensureBundles } from '../../local/scale-to-zero/bundles.js';
import { receiverEnv, startReceiver } from './broker.js';
import { monotonicMs } from './broker-event.js';
import { capacityOf, prodDeployment, type Capacity } from './capacity-prod.js';
import { meter, probeOf, type CpuPerOrder, type Probe } from './cold-chain-probe.js';
import type { BenchKafka } from './kafka.js';
import { orderFootprint, type OrderFootprint } from './order-footprint.js';
import { temporaryDir } from './processes.js';
import { Client, createProduct, registerCustomer, type Buyer } from './saga.js';

export interface ColdChainSettings {
  runs: number;
  orders: number;
  idleMs: number;
}

interface Context {
  root: string;
  logs: string;
  settings: ColdChainSettings;
  log(message: string): void;
}

export interface ChainFigures {
  orders: number;
  confirmed: number;
  p50Ms: number;
  p95Ms: number;
  cpuMsPerOrder: CpuPerOrder;
}

export interface ColdChainResult {
  settings: ColdChainSettings;
  database: string;
  broker: 'embedded' | 'Kafka';
  warm: ChainFigures & {
    /** The warm chain's mean (ms): the capacity table's time an order holds a function, at most. */
    meanMs: number;
    /** Each function's CPU ms per order of the checkouts (its share of cpuMsPerOrder.functions). */
    checkoutByFunction: Record<string, number>;
    /** The cart and its item before the checkout, per order (byFunction: each function's share). */
    cartCpuMsPerOrder: CpuPerOrder & { byFunction: Record<string, number> };
    footprint: OrderFootprint;
  };
  cold: ChainFigures & {
    /** Each function started on the way to confirmed: its median start and the share of the chain's time its starts took. */
    starts: { function: string; runs: number; medianStartMs: number; share: number }[];
    /** Time of every start on the way, over the chain's time (starts may overlap). */
    startsShare: number;
  };
  /** Cores, connections and partitions for 10, 100 and 1,000 orders a minute (scripts/bench/capacity.ts). */
  capacity?: Capacity;
  notes: string[];
}

const SCHEDULED = new Set(registry.filter((fn) => fn.definition.kind === 'handler' && fn.definition.schedule).map((fn) => fn.name));
const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : (sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number);
};
const address = { line1: '1 Rue de la Paix', city: 'Paris', postalCode: '75002', country: 'FR' };

const cartWithItem = async (c: Client, buyer: Buyer, productId: string): Promise<string> => {
  const cart = await c.expect(201, 'POST', '/orders/carts', buyer.token);
  await c.expect(200, 'PUT', `/orders/carts/${cart.body.id}/items/${productId}`, buyer.token, { quantity: 1 });
  return cart.body.id as string;
};

/** Checkout of a ready cart: monotonicMs() at the request, and the order's id. */
const checkout = async (c: Client, buyer: Buyer, cartId: string) => {
  const at = monotonicMs();
  const placed = await c.expect(202, 'POST', `/orders/carts/${cartId}/checkout`, buyer.token, { shippingAddress: address });
  return { at, orderId: placed.body.orderId as string };
};

const allStopped = async (probe: Probe, deadlineMs: number): Promise<boolean> => {
  const deadline = performance.now() + deadlineMs;
  while (performance.now() < deadline) {
    if ((await probe.instances()).every((i) => i.state === 'stopped')) return true;
    await sleep(200);
  }
  return false;
};

const startsSoFar = async (probe: Probe) => (await probe.instances()).reduce((n, i) => n + i.starts.length, 0);

const warmPhase = async (c: Client, buyer: Buyer, productId: string, probe: Probe, ctx: Context, notes: string[]): Promise<ColdChainResult['warm']> => {
  const { orders } = ctx.settings;
  for (let i = 0; i < 3; i++) await probe.ended((await checkout(c, buyer, await cartWithItem(c, buyer, productId))).orderId, 60_000);
  const startsBefore = await startsSoFar(probe);
  const latencies: number[] = [];
  let confirmed = 0;
  for (let i = 0; i < orders; i++) {
    const placed = await checkout(c, buyer, await cartWithItem(c, buyer, productId));
    const end = await probe.ended(placed.orderId, 60_000);
    latencies.push(end.at - placed.at);
    if (end.confirmed) confirmed += 1;
  }
  // The cost: carts made first (their own cost, for the capacity table), then checkouts one after
  // the other and the broker left to finish.
  await probe.settle();
  const stopCarts = await meter(probe);
  const carts: string[] = [];
  for (let i = 0; i < orders; i++) carts.push(await cartWithItem(c, buyer, productId));
  await probe.settle();
  const cartCpu = await stopCarts(orders);
  const stop = await meter(probe);
  const placed: string[] = [];
  for (const cart of carts) placed.push((await checkout(c, buyer, cart)).orderId);
  for (const id of placed) await probe.ended(id, 60_000);
  await probe.settle();
  const { byFunction, ...cpu } = await stop(orders);
  const footprint = await orderFootprint(c, placed.at(-1) as string, await probe.instances());
  const started = (await startsSoFar(probe)) - startsBefore;
  if (started > 0) notes.push(`warm: ${started} function start(s) during the warm orders (an order took longer than the idle time): not all of it was warm`);
  ctx.log(
    `cold chain, warm: ${orders} orders, p50 ${round(percentile(latencies, 50))} ms, p95 ${round(percentile(latencies, 95))} ms, CPU ms per order ${cpu.total}`,
  );
  return {
    orders,
    confirmed,
    p50Ms: round(percentile(latencies, 50)),
    p95Ms: round(percentile(latencies, 95)),
    meanMs: round(latencies.reduce((sum, ms) => sum + ms, 0) / latencies.length),
    cpuMsPerOrder: cpu,
    checkoutByFunction: byFunction,
    cartCpuMsPerOrder: cartCpu,
    footprint,
  };
};

interface ColdRun {
  latencyMs: number;
  confirmed: boolean;
  cpu: CpuPerOrder;
  starts: { function: string; ms: number }[];
  /** Functions that stopped before the run was measured to its end: their CPU is missing. */
  stoppedEarly: string[];
}

const coldRun = async (c: Client, buyer: Buyer, productId: string, probe: Probe, ctx: Context): Promise<ColdRun> => {
  const cart = await cartWithItem(c, buyer, productId);
  await probe.settle();
  if (!(await allStopped(probe, ctx.settings.idleMs + 120_000))) throw new Error('the functions did not all stop in time');
  const stop = await meter(probe);
  const began = Date.now();
  const placed = await checkout(c, buyer, cart);
  const end = await probe.ended(placed.orderId, 120_000);
  const endedAt = began + (end.at - placed.at);
  await probe.settle();
  const cpu = await stop(1);
  const views = await probe.instances();
  // A schedule's tick may start its function meanwhile: not on the order's way (its CPU still counts).
  const onTheWay = views.filter((v) => !SCHEDULED.has(v.name));
  const starts = onTheWay.flatMap((v) => v.starts.filter((s) => s.ok && s.at >= began && s.at <= endedAt).map((s) => ({ function: v.name, ms: s.ms })));
  const stoppedEarly = views.filter((v) => v.state !== 'running' && v.starts.some((s) => s.at >= began)).map((v) => v.name);
  return { latencyMs: end.at - placed.at, confirmed: end.confirmed, cpu, starts, stoppedEarly };
};

const coldPhase = async (c: Client, buyer: Buyer, productId: string, probe: Probe, ctx: Context, notes: string[]): Promise<ColdChainResult['cold']> => {
  const runs: ColdRun[] = [];
  for (let i = 0; i < ctx.settings.runs; i++) {
    const run = await coldRun(c, buyer, productId, probe, ctx);
    runs.push(run);
    ctx.log(`cold chain, cold ${i + 1}/${ctx.settings.runs}: ${round(run.latencyMs)} ms, ${run.starts.length} starts, CPU ms ${run.cpu.total}`);
    if (run.stoppedEarly.length > 0)
      notes.push(`cold run ${i + 1}: ${run.stoppedEarly.join(', ')} stopped before the end of the measurement (idle time too short): their CPU is missing`);
  }
  const latencies = runs.map((r) => r.latencyMs);
  const chainMs = latencies.reduce((a, b) => a + b, 0);
  const byFunction = new Map<string, number[]>();
  for (const run of runs) for (const s of run.starts) byFunction.set(s.function, [...(byFunction.get(s.function) ?? []), s.ms]);
  const starts = [...byFunction]
    .map(([name, ms]) => ({
      function: name,
      runs: ms.length,
      medianStartMs: round(percentile(ms, 50)),
      share: round(ms.reduce((a, b) => a + b, 0) / chainMs, 3),
    }))
    .sort((a, b) => b.share - a.share);
  const mean = (pick: (cpu: CpuPerOrder) => number) => round(runs.reduce((sum, r) => sum + pick(r.cpu), 0) / runs.length, 2);
  return {
    orders: runs.length,
    confirmed: runs.filter((r) => r.confirmed).length,
    p50Ms: round(percentile(latencies, 50)),
    p95Ms: round(percentile(latencies, 95)),
    cpuMsPerOrder: {
      platform: mean((x) => x.platform),
      functions: mean((x) => x.functions),
      postgres: mean((x) => x.postgres),
      kafka: mean((x) => x.kafka),
      total: mean((x) => x.total),
    },
    starts,
    startsShare: round(runs.reduce((sum, r) => sum + r.starts.reduce((a, s) => a + s.ms, 0), 0) / chainMs, 3),
  };
};

/** One platform's cold chain and its warm twin, over the embedded broker or over `kafka`. */
const chainRun = async (ctx: Context, postgres: { url: string; version: string } | undefined, kafka: BenchKafka | undefined): Promise<ColdChainResult> => {
  const broker = kafka ? 'Kafka' : 'embedded';
  const dataDir = temporaryDir('gotuto-bench-cold-');
  const secret = randomBytes(32).toString('base64url');
  const kafkaEnv = kafka?.env();
  const env = { ...receiverEnv(postgres?.url), ...kafkaEnv, JWT_SECRET: secret, CATALOG_TIMEOUT_MS: '20000', CATALOG_BREAKER_VOLUME: '1000' };
  const args = [
    '--import',
    'tsx',
    join(ctx.root, 'scripts', 'bench', 'cold-platform.ts'),
    '--data-dir',
    dataDir.path,
    '--idle-ms',
    String(ctx.settings.idleMs),
  ];
  const platform = await startReceiver(ctx.root, args, env, join(ctx.logs, `cold-chain-${broker.toLowerCase()}.log`), dataDir.remove);
  const admin = postgres ? new pg.Client({ connectionString: postgres.url }) : undefined;
  try {
    await admin?.connect();
    ctx.log(`cold chain, ${broker} broker: platform ready in ${round(platform.readyMs / 1000, 1)} s at ${platform.url}`);
    const probe = probeOf(platform, kafka !== undefined, admin, postgres ? new URL(postgres.url).pathname.slice(1) : undefined);
    // A request may wait for its function's start and its first connection: minutes on a busy machine.
    const c = new Client(platform.url.replace(/\/+$/, ''), await signToken({ id: randomUUID(), role: 'admin' }, '2h', secret), 120_000);
    const productId = await createProduct(c, 100_000);
    const buyer = await registerCustomer(c);
    const notes: string[] = [];
    const warm = await warmPhase(c, buyer, productId, probe, ctx, notes);
    const cold = await coldPhase(c, buyer, productId, probe, ctx, notes);
    return { settings: ctx.settings, database: postgres ? `PostgreSQL ${postgres.version.split(' ')[0]}` : 'embedded PG', broker, warm, cold, notes };
  } finally {
    await admin?.end().catch(() => undefined);
    await platform.stop();
    if (kafkaEnv) await kafka?.drop(kafkaEnv.KAFKA_BROKER_TOPIC);
  }
};

/** A database of the benchmark's own for one run (dropped after it), or undefined: embedded PostgreSQL. */
export type RunDatabase = () => Promise<{ url: string; version: string; drop(): Promise<void> } | undefined>;

/** The cold chain and its warm twin over the embedded broker, then over `kafka` when given; each run on a fresh database. */
export const coldChainScenario = async (ctx: Context, database: RunDatabase, kafka?: BenchKafka): Promise<ColdChainResult[]> => {
  await ensureBundles(
    DEFAULT_BUNDLES_DIR,
    registry.map((fn) => fn.name),
    (line) => ctx.log(`cold chain: ${line}`),
  );
  const deployment = prodDeployment(ctx.root);
  const results: ColdChainResult[] = [];
  for (const over of kafka ? [undefined, kafka] : [undefined]) {
    const postgres = await database();
    try {
      const run = await chainRun(ctx, postgres, over);
      if (typeof deployment === 'string') run.notes.push(deployment);
      else run.capacity = capacityOf(run, deployment);
      results.push(run);
    } finally {
      await postgres?.drop();
    }
  }
  return results;
};

/** The rows of the benchmark's table (scripts/bench/index.ts): figure, ours, baseline, (b), ratio, target, mark. */
export const coldChainRows = (r: ColdChainResult): string[][] => {
  const fmt = (value: number) => (Number.isFinite(value) ? String(value) : 'n/a');
  const kafka = r.broker === 'Kafka';
  const cpu = (x: CpuPerOrder) => `${fmt(x.total)} (${fmt(x.platform)} / ${fmt(x.functions)} / ${fmt(x.postgres)}${kafka ? ` / ${fmt(x.kafka)}` : ''})`;
  const embedded = r.database === 'embedded PG';
  const rows: string[][] = [
    [
      `cold chain, ${r.broker} broker, ${r.database}: checkout to confirmed, every function stopped, ${r.cold.orders} runs (${r.cold.confirmed} confirmed)`,
      '',
      '',
      '',
      '',
      '',
      '',
    ],
    ['  latency p50 (ms)', fmt(r.cold.p50Ms), `${fmt(r.warm.p50Ms)} warm`, '', `${fmt(round(r.cold.p50Ms / r.warm.p50Ms, 1))}x`, '', ''],
    ['  latency p95 (ms)', fmt(r.cold.p95Ms), `${fmt(r.warm.p95Ms)} warm`, '', `${fmt(round(r.cold.p95Ms / r.warm.p95Ms, 1))}x`, '', ''],
    [`  starts on the way, summed: share of the chain's time (some run side by side)`, `${fmt(round(r.cold.startsShare * 100, 0))}%`, '', '', '', '', ''],
  ];
  for (const s of r.cold.starts) {
    rows.push([`    ${s.function}: median start (ms), share`, `${fmt(s.medianStartMs)}, ${fmt(round(s.share * 100, 1))}%`, '', '', '', '', '']);
  }
  rows.push([
    `  CPU ms per confirmed order: total (platform${embedded ? ' with embedded PG' : ''} / functions / PostgreSQL${kafka ? ' / Kafka' : ''})`,
    cpu(r.cold.cpuMsPerOrder),
    `${cpu(r.warm.cpuMsPerOrder)} warm`,
    '',
    `${fmt(round(r.cold.cpuMsPerOrder.total / r.warm.cpuMsPerOrder.total, 1))}x`,
    '',
    '',
  ]);
  return rows;
};
