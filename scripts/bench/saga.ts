// npm run bench -- saga: the order placement saga end to end, through HTTP and the embedded broker
// of the local platform (Catalog, Customer, Inventory, Order, Billing), as local/saga.test.ts
// drives it.
//
// The platform runs in a child process (scripts/bench/broker-platform.ts, the same receiver as the
// broker scenario: its extra no-op handler matches no saga event), with CATALOG_TIMEOUT_MS=10000 and
// CATALOG_BREAKER_VOLUME=1000 and a JWT_SECRET of ours, to sign an admin token. One product with
// BENCH_SAGA_STOCK (100000) units, customers registered and logged in, each with its Billing client.
//   latency      BENCH_SAGA_ORDERS (200) orders one after the other: cart, one item, checkout; the
//                clock starts at the checkout request and stops when GET /orders/{id} (polled every
//                5 ms) says confirmed (cancelled counts as a failure): p50/p95/p99, target p95 < 150 ms.
//   throughput   BENCH_SAGA_CONCURRENCY (20) customers placing orders in a loop for BENCH_SAGA_DURATION
//                (20) s, each waiting for its order's confirmation (polled every 100 ms) before the
//                next: confirmed orders / elapsed time.
//   per order    from GET /broker/events?correlationid=<the order-placed event's correlation id>: the
//                events of one order's saga up to order-confirmed, and the deliveries to event handlers
//                over those events; HTTP invocations = the 3 requests made (cart, item, checkout) plus
//                the 2 Catalog validate calls Order makes (item and checkout).
// On embedded PostgreSQL, and on a database of a PostgreSQL server when the caller passes one.
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { signToken } from '../../functions/runtime/auth.js';
import { receiverEnv, startReceiver } from './broker.js';
import type { BenchKafka } from './kafka.js';
import { temporaryDir } from './processes.js';

export interface SagaSettings {
  orders: number;
  concurrency: number;
  durationSeconds: number;
  stock: number;
  /** The whole scenario, per platform run (ms). */
  timeoutMs: number;
}

interface Context {
  root: string;
  logs: string;
  settings: SagaSettings;
  log(message: string): void;
}

export const SAGA_P95_TARGET_MS = 150;
/** Catalog validate calls Order makes per order: when the item is put, and at checkout. */
const CATALOG_CALLS = 2;
/** The requests this benchmark makes per order: create cart, put item, checkout. */
const ORDER_REQUESTS = 3;
/** Polling of the throughput phase: 20 customers polling every 5 ms would be most of the load. */
const THROUGHPUT_POLL_MS = 100;

const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const percentile = (sorted: number[], p: number) =>
  sorted.length === 0 ? NaN : (sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number);

type Answer = { status: number; body: any }; // eslint-disable-line @typescript-eslint/no-explicit-any

const address = { line1: '1 Rue de la Paix', city: 'Paris', postalCode: '75002', country: 'FR' };

export class Client {
  constructor(
    readonly base: string,
    readonly admin: string,
    /** Longest one request may take (a cold function starts within it). */
    readonly timeoutMs = 15_000,
  ) {}

  async call(method: string, path: string, token?: string, body?: unknown): Promise<Answer> {
    const res = await fetch(this.base + path, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, body: parsed };
  }

  async expect(status: number, method: string, path: string, token?: string, body?: unknown): Promise<Answer> {
    const answer = await this.call(method, path, token, body);
    if (answer.status !== status) throw new Error(`${method} ${path} answered ${answer.status} (not ${status}): ${JSON.stringify(answer.body).slice(0, 300)}`);
    return answer;
  }

  async waitFor(read: () => Promise<Answer>, ok: (a: Answer) => boolean, what: string, ms = 60_000, intervalMs = 50): Promise<Answer> {
    const deadline = performance.now() + ms;
    for (;;) {
      const answer = await read();
      if (ok(answer)) return answer;
      if (performance.now() > deadline) throw new Error(`${what}: not within ${ms} ms (last ${answer.status} ${JSON.stringify(answer.body).slice(0, 200)})`);
      await sleep(intervalMs);
    }
  }
}

export const createProduct = async (c: Client, stock: number): Promise<string> => {
  const category = await c.expect(201, 'POST', '/catalog/categories', c.admin, { name: `Bench ${randomUUID().slice(0, 8)}` });
  const created = await c.expect(201, 'POST', '/catalog/products', c.admin, {
    name: `Bench widget ${randomUUID().slice(0, 8)}`,
    sku: `BENCH-${randomUUID().slice(0, 12)}`,
    categoryId: category.body.id,
    price: { amount: 1250, currency: 'EUR' },
  });
  const id = created.body.id as string;
  // Inventory makes the item from product-created, through the broker.
  await c.waitFor(
    () => c.call('GET', `/inventory/items/${id}`),
    (r) => r.status === 200,
    `inventory item ${id}`,
  );
  await c.expect(200, 'POST', `/inventory/items/${id}/receipts`, c.admin, { quantity: stock });
  return id;
};

export interface Buyer {
  id: string;
  token: string;
}

export const registerCustomer = async (c: Client): Promise<Buyer> => {
  const email = `bench-${randomUUID()}@example.com`;
  const password = 'correct horse battery';
  const registered = await c.expect(201, 'POST', '/customers/register', undefined, { email, password, name: 'Bench Buyer' });
  const login = await c.expect(200, 'POST', '/customers/login', undefined, { email, password });
  const id = registered.body.id as string;
  await c.waitFor(
    () => c.call('GET', `/billing/clients/${id}`, c.admin),
    (r) => r.status === 200,
    `billing client ${id}`,
  );
  return { id, token: login.body.accessToken as string };
};

interface Placed {
  orderId: string;
  status: string;
  /** Checkout request to confirmed (or cancelled) seen (ms). */
  latencyMs: number;
}

/** Cart, one item, checkout, then polls the order every `pollMs` until it is confirmed or cancelled. */
export const placeOrder = async (c: Client, buyer: Buyer, productId: string, pollMs: number, deadline: number): Promise<Placed> => {
  const cart = await c.expect(201, 'POST', '/orders/carts', buyer.token);
  await c.expect(200, 'PUT', `/orders/carts/${cart.body.id}/items/${productId}`, buyer.token, { quantity: 1 });
  const started = performance.now();
  const placed = await c.expect(202, 'POST', `/orders/carts/${cart.body.id}/checkout`, buyer.token, { shippingAddress: address });
  const orderId = placed.body.orderId as string;
  for (;;) {
    const order = await c.call('GET', `/orders/${orderId}`, c.admin);
    const status = order.body?.status as string | undefined;
    if (status === 'confirmed' || status === 'cancelled') return { orderId, status, latencyMs: performance.now() - started };
    if (performance.now() > deadline) return { orderId, status: `timeout (${status ?? order.status})`, latencyMs: performance.now() - started };
    await sleep(pollMs);
  }
};

export interface SagaFigures {
  label: string;
  /** Spawn to ready (ms): platform start with migrations. */
  readyMs: number;
  latency: { orders: number; planned: number; confirmed: number; failed: number; p50Ms: number; p95Ms: number; p99Ms: number; maxMs: number; met: boolean };
  throughput: { customers: number; seconds: number; confirmed: number; failed: number; ordersPerSecond: number };
  perOrder: {
    orderId: string;
    /** Events of the saga from order-placed up to order-confirmed, both included. */
    events: number;
    types: string[];
    /** Deliveries to event handlers over those events. */
    deliveries: number;
    /** Events with this correlation id once the broker is quiet (the saga continues past confirmed). */
    eventsTotal: number;
    deliveriesTotal: number;
    httpInvocations: number;
  };
  failure?: string;
}

export interface LoggedEvent {
  seq: number;
  event: { type: string; subject?: string; correlationid?: string };
  deliveries: { subscriber: string; state: string }[];
}

export const sagaEvents = async (c: Client, orderId: string) => {
  const bySubject = await c.expect(200, 'GET', `/broker/events?subject=${encodeURIComponent(orderId)}&limit=1000`, c.admin);
  const items = bySubject.body.items as LoggedEvent[];
  const placed = items.find((i) => /order-placed/.test(i.event.type)) ?? items[0];
  const correlation = placed?.event.correlationid;
  if (!correlation) throw new Error(`no correlation id on the events of order ${orderId}`);
  const log = await c.expect(200, 'GET', `/broker/events?correlationid=${encodeURIComponent(correlation)}&limit=1000`, c.admin);
  return log.body.items as LoggedEvent[];
};

const perOrder = async (c: Client, orderId: string): Promise<SagaFigures['perOrder']> => {
  // Let the deliveries of the order's events settle, then read its saga.
  await sleep(1_000);
  const all = await sagaEvents(c, orderId);
  const end = all.findIndex((i) => /order-confirmed/.test(i.event.type) && i.event.subject === orderId);
  const saga = end >= 0 ? all.slice(0, end + 1) : all;
  const count = (items: LoggedEvent[]) => items.reduce((n, i) => n + i.deliveries.length, 0);
  return {
    orderId,
    events: saga.length,
    types: saga.map((i) => i.event.type),
    deliveries: count(saga),
    eventsTotal: all.length,
    deliveriesTotal: count(all),
    httpInvocations: ORDER_REQUESTS + CATALOG_CALLS,
  };
};

const measure = async (label: string, c: Client, ctx: Context, readyMs: number): Promise<SagaFigures> => {
  const { settings, log } = ctx;
  const deadline = performance.now() + settings.timeoutMs;
  const productId = await createProduct(c, settings.stock);
  const buyers: Buyer[] = [];
  for (let i = 0; i < settings.concurrency; i += 5) {
    buyers.push(...(await Promise.all(Array.from({ length: Math.min(5, settings.concurrency - i) }, () => registerCustomer(c)))));
  }
  log(`${label}: product ${productId} with ${settings.stock} units, ${buyers.length} customers`);
  const first = buyers[0] as Buyer;
  const failures: string[] = [];

  // Warm-up: a few orders, not counted.
  for (let i = 0; i < 3; i++) await placeOrder(c, first, productId, 5, deadline);

  // 1. Sequential orders, checkout to confirmed. At most half the time left.
  const latencyDeadline = performance.now() + (deadline - performance.now()) / 2;
  const latencies: number[] = [];
  let failed = 0;
  let lastConfirmed: string | undefined;
  let done = 0;
  for (; done < settings.orders && performance.now() < latencyDeadline; done++) {
    const placed = await placeOrder(c, first, productId, 5, latencyDeadline);
    if (placed.status === 'confirmed') {
      latencies.push(placed.latencyMs);
      lastConfirmed = placed.orderId;
    } else {
      failed += 1;
      if (failures.length < 3) failures.push(`order ${placed.orderId}: ${placed.status}`);
    }
  }
  const sorted = [...latencies].sort((a, b) => a - b);
  const latency = {
    orders: done,
    planned: settings.orders,
    confirmed: latencies.length,
    failed,
    p50Ms: round(percentile(sorted, 50), 1),
    p95Ms: round(percentile(sorted, 95), 1),
    p99Ms: round(percentile(sorted, 99), 1),
    maxMs: round(sorted.at(-1) ?? NaN, 1),
    met: false,
  };
  latency.met = failed === 0 && done === settings.orders && latency.p95Ms < SAGA_P95_TARGET_MS;
  log(
    `${label}: ${latencies.length}/${done} orders confirmed one after the other (${settings.orders} planned), checkout to confirmed ` +
      `p50 ${latency.p50Ms} ms, p95 ${latency.p95Ms} ms, p99 ${latency.p99Ms} ms, max ${latency.maxMs} ms`,
  );

  // 3. Events and invocations of one order (the last one confirmed above, while the broker was quiet otherwise).
  const one = lastConfirmed
    ? await perOrder(c, lastConfirmed)
    : { orderId: '', events: NaN, types: [], deliveries: NaN, eventsTotal: NaN, deliveriesTotal: NaN, httpInvocations: ORDER_REQUESTS + CATALOG_CALLS };
  log(
    `${label}: one order: ${one.events} events up to confirmed (${one.types.join(', ')}), ${one.deliveries} deliveries; ` +
      `${one.eventsTotal} events and ${one.deliveriesTotal} deliveries with its correlation id in all`,
  );

  // 2. Concurrent customers for a fixed duration (shortened when time is short).
  const seconds = Math.max(1, Math.min(settings.durationSeconds, (deadline - performance.now() - 30_000) / 1000));
  let confirmed = 0;
  let concurrentFailed = 0;
  const began = performance.now();
  const stopAt = began + seconds * 1000;
  const finishBy = stopAt + 30_000;
  const worker = async (buyer: Buyer) => {
    while (performance.now() < stopAt) {
      try {
        const placed = await placeOrder(c, buyer, productId, THROUGHPUT_POLL_MS, finishBy);
        if (placed.status === 'confirmed') confirmed += 1;
        else {
          concurrentFailed += 1;
          if (failures.length < 3) failures.push(`order ${placed.orderId}: ${placed.status}`);
        }
      } catch (error) {
        concurrentFailed += 1;
        if (failures.length < 3) failures.push((error as Error).message);
      }
    }
  };
  await Promise.all(buyers.map(worker));
  const elapsed = (performance.now() - began) / 1000;
  const throughput = {
    customers: buyers.length,
    seconds: round(elapsed, 1),
    confirmed,
    failed: concurrentFailed,
    ordersPerSecond: round(confirmed / elapsed, 1),
  };
  log(
    `${label}: ${buyers.length} customers for ${throughput.seconds} s: ${confirmed} orders confirmed, ${throughput.ordersPerSecond} orders/s` +
      (concurrentFailed ? `, ${concurrentFailed} failed` : ''),
  );

  const figures: SagaFigures = { label, readyMs: round(readyMs, 0), latency, throughput, perOrder: one };
  const notes = [...failures];
  if (done < settings.orders) notes.unshift(`only ${done} of ${settings.orders} sequential orders in time`);
  if (notes.length > 0) figures.failure = notes.join('; ');
  return figures;
};

const platformRun = async (label: string, name: string, ctx: Context, databaseUrl?: string, kafka?: BenchKafka): Promise<SagaFigures> => {
  const dataDir = temporaryDir('gotuto-bench-saga-');
  const secret = randomBytes(32).toString('base64url');
  const kafkaEnv = kafka?.env();
  const env = { ...receiverEnv(databaseUrl), ...kafkaEnv, JWT_SECRET: secret, CATALOG_TIMEOUT_MS: '10000', CATALOG_BREAKER_VOLUME: '1000' };
  ctx.log(`${label}: starting the platform (data in ${dataDir.path})`);
  const receiver = await startReceiver(
    ctx.root,
    ['--import', 'tsx', join(ctx.root, 'scripts', 'bench', 'broker-platform.ts'), '--data-dir', dataDir.path],
    env,
    join(ctx.logs, `saga-${name}.log`),
    dataDir.remove,
  );
  try {
    ctx.log(`${label}: ready in ${round(receiver.readyMs / 1000, 1)} s at ${receiver.url}`);
    const client = new Client(receiver.url.replace(/\/+$/, ''), await signToken({ id: randomUUID(), role: 'admin' }, '2h', secret));
    return await measure(label, client, ctx, receiver.readyMs);
  } finally {
    await receiver.stop();
    if (kafkaEnv) await kafka?.drop(kafkaEnv.KAFKA_BROKER_TOPIC);
  }
};

export interface SagaResult {
  settings: SagaSettings;
  target: string;
  embedded: SagaFigures;
  postgres?: SagaFigures & { version: string };
  /** The broker on Kafka, on `postgres` when given (else embedded PostgreSQL). */
  kafka?: SagaFigures & { database: string };
}

/** Target of the checkout-to-confirmed p95 when Kafka backs the broker. */
export const SAGA_KAFKA_P95_TARGET_MS = 300;

/** The saga on the platform with embedded PostgreSQL, on `postgres` when given, and over `kafka` when given. */
export const sagaScenario = async (ctx: Context, postgres?: { url: string; version: string }, kafka?: BenchKafka): Promise<SagaResult> => {
  const embedded = await platformRun('saga, embedded PostgreSQL', 'embedded', ctx);
  const result: SagaResult = { settings: ctx.settings, target: `checkout to confirmed p95 < ${SAGA_P95_TARGET_MS} ms`, embedded };
  if (postgres) {
    result.postgres = { ...(await platformRun(`saga, PostgreSQL ${postgres.version}`, 'postgres', ctx, postgres.url)), version: postgres.version };
  }
  if (kafka) {
    const database = postgres ? `PostgreSQL ${postgres.version.split(' ')[0]}` : 'embedded PG';
    result.kafka = { ...(await platformRun(`saga over Kafka, ${database}`, 'kafka', ctx, postgres?.url, kafka)), database };
  }
  return result;
};
