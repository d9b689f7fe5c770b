// Faults over real Kafka. Kafka stopped for 10 s while orders are placed: every command answers
// (202, or a clear 503), none succeeds without its events, and once Kafka is back every event
// reaches every Trigger once. A platform killed (kill -9) in the middle of a delivery: the event is
// delivered again after the restart, and its effect happens once.
// The first needs a Kafka broker it may stop, so it starts one of its own (scripts/kafka.ts, on
// free ports, in a temporary folder); both run whenever KAFKA_BROKERS is set.
import { randomUUID } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../functions/runtime/auth.js';
import { optionsFromEnv, start as startKafka, stop as stopKafka, type KafkaOptions } from '../scripts/kafka.js';
import type { Platform } from './platform.js';
import {
  checkedFetch,
  createDatabase,
  createTestEnvironment,
  deleteKafkaTopic,
  httpClient,
  spawnPlatform,
  waitFor,
  type SpawnedPlatform,
  type TestEnvironment,
} from './testing.js';

const SHARED_KAFKA = process.env.KAFKA_BROKERS;
process.env.JWT_SECRET ??= 'kafka-faults-secret-kafka-faults-secret';
process.env.CATALOG_TIMEOUT_MS ??= '10000';
// Kafka is away on purpose here: the saga's step deadlines must not be what ends these orders.
process.env.SAGA_STEP_TIMEOUT ??= '600';

const portFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = createNetServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });

/** A port p with p + 1 free as well (Kafka's controller listens there). */
const freePortPair = async (): Promise<number> => {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    if ((await portFree(port)) && (await portFree(port + 1))) return port;
  }
};

const address = { line1: '1 Rue de la Paix', city: 'Paris', postalCode: '75002', country: 'FR' };

describe.skipIf(!SHARED_KAFKA)('Kafka stopped for 10 s while orders are placed (needs KAFKA_BROKERS)', () => {
  let kafka: KafkaOptions;
  let stateDir: string;
  let env: TestEnvironment;
  let platform: Platform;
  let admin = '';
  const call = httpClient(() => platform.url);
  const saved = {
    brokers: process.env.KAFKA_BROKERS,
    relay: process.env.OUTBOX_RELAY_SCHEDULE,
    ingress: process.env.BROKER_INGRESS_TIMEOUT_MS,
    publish: process.env.PUBLISH_TIMEOUT_MS,
  };

  beforeAll(async () => {
    stateDir = mkdtempSync(join(tmpdir(), 'gotuto-kafka-fault-'));
    const port = await freePortPair();
    kafka = { ...optionsFromEnv(), port, controllerPort: port + 1, stateDir };
    await startKafka(kafka);
    process.env.KAFKA_BROKERS = `127.0.0.1:${port}`;
    // The relays run every 2 s; the ingress gives Kafka 2 s, a publisher gives the ingress 3 s.
    process.env.OUTBOX_RELAY_SCHEDULE = '*/2 * * * * *';
    process.env.BROKER_INGRESS_TIMEOUT_MS = '2000';
    process.env.PUBLISH_TIMEOUT_MS = '3000';
    env = await createTestEnvironment();
    platform = await env.start();
    admin = await signToken({ id: randomUUID(), role: 'admin' });
  }, 180_000);

  afterAll(async () => {
    await env?.dispose().catch(() => undefined);
    if (kafka) await stopKafka(kafka).catch(() => undefined);
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
    for (const [name, value] of [
      ['KAFKA_BROKERS', saved.brokers],
      ['OUTBOX_RELAY_SCHEDULE', saved.relay],
      ['BROKER_INGRESS_TIMEOUT_MS', saved.ingress],
      ['PUBLISH_TIMEOUT_MS', saved.publish],
    ] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }, 120_000);

  it('answers every command (202 or a clear 503), loses no event, and delivers each once per Trigger after Kafka returns', async () => {
    // Before: a product with stock, and three customers with their Billing clients.
    const category = await call('POST', '/catalog/categories', admin, { name: `Fault ${randomUUID().slice(0, 8)}` });
    const product = await call('POST', '/catalog/products', admin, {
      name: `Fault widget ${randomUUID().slice(0, 8)}`,
      sku: `FAULT-${randomUUID().slice(0, 12)}`,
      categoryId: category.body.id,
      price: { amount: 900, currency: 'EUR' },
    });
    expect(product.status).toBe(201);
    const productId = product.body.id as string;
    await waitFor(
      () => call('GET', `/inventory/items/${productId}`),
      (r) => r.status === 200,
    );
    expect((await call('POST', `/inventory/items/${productId}/receipts`, admin, { quantity: 50 })).status).toBe(200);
    const buyers = [];
    for (let i = 0; i < 3; i++) {
      const email = `fault-${randomUUID()}@example.com`;
      const registered = await call('POST', '/customers/register', undefined, { email, password: 'correct horse battery', name: 'Fault Buyer' });
      const login = await call('POST', '/customers/login', undefined, { email, password: 'correct horse battery' });
      await waitFor(
        () => call('GET', `/billing/clients/${registered.body.id}`, admin),
        (r) => r.status === 200,
      );
      buyers.push(login.body.accessToken as string);
    }
    await platform.broker.idle(60_000);

    // Kafka goes away for 10 s; orders keep coming.
    const down = Date.now();
    await stopKafka(kafka);
    const answers: { status: number; type: string; body: { orderId?: string; detail?: string } }[] = [];
    while (Date.now() - down < 10_000) {
      for (const token of buyers) {
        const cart = await call('POST', '/orders/carts', token);
        expect(cart.status).toBe(201);
        expect((await call('PUT', `/orders/carts/${cart.body.id}/items/${productId}`, token, { quantity: 1 })).status).toBe(200);
        const res = await checkedFetch(`${platform.url}/orders/carts/${cart.body.id}/checkout`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ shippingAddress: address }),
        });
        answers.push({ status: res.status, type: res.headers.get('content-type') ?? '', body: (await res.json()) as { orderId?: string } });
      }
    }
    await startKafka(kafka);

    // Every answer is an acceptance or a clear 503 problem; the accepted orders all complete.
    expect(answers.length).toBeGreaterThanOrEqual(3);
    for (const a of answers) {
      if (a.status !== 202) {
        expect(a.status).toBe(503);
        expect(a.type).toContain('application/problem+json');
        expect(a.body.detail).toBeTruthy();
      }
    }
    const orderIds = answers.filter((a) => a.status === 202).map((a) => a.body.orderId as string);
    expect(orderIds.length).toBeGreaterThan(0);
    for (const orderId of orderIds) {
      const order = await waitFor(
        () => call('GET', `/orders/${orderId}`, admin),
        (r) => ['confirmed', 'cancelled'].includes(r.body?.status),
        120_000,
      );
      expect(order.body.status).toBe('confirmed');
    }
    await platform.broker.idle(60_000);
    // Each effect once: one invoice per order, one unit reserved per order.
    for (const orderId of orderIds) {
      expect((await call('GET', `/billing/invoices?orderId=${orderId}`, admin)).body.items).toHaveLength(1);
    }
    expect((await call('GET', `/inventory/items/${productId}`)).body).toMatchObject({ onHand: 50, reserved: orderIds.length });
    // Every event of these orders reached each of its Triggers once.
    for (const orderId of orderIds) {
      const first = await call('GET', `/broker/events?subject=${orderId}&limit=1000`, admin);
      const correlation = first.body.items[0].event.correlationid as string;
      const log = await call('GET', `/broker/events?correlationid=${encodeURIComponent(correlation)}&limit=1000`, admin);
      const delivered = new Map<string, number>();
      for (const item of log.body.items as { event: { id: string }; deliveries: { trigger: string; state: string }[] }[]) {
        for (const d of item.deliveries) {
          expect(d.state).toBe('delivered');
          const key = `${item.event.id} ${d.trigger}`;
          delivered.set(key, (delivered.get(key) ?? 0) + 1);
        }
      }
      expect(delivered.size).toBeGreaterThan(0);
      expect([...delivered.values()].every((n) => n === 1)).toBe(true);
    }
  }, 300_000);
});

describe.skipIf(!SHARED_KAFKA)('a platform killed in the middle of a delivery (needs KAFKA_BROKERS)', () => {
  const adminUrl = process.env.DATABASE_URL;
  const dataDir = mkdtempSync(join(tmpdir(), 'gotuto-kill-'));
  const manifests = mkdtempSync(join(tmpdir(), 'gotuto-kill-manifests-'));
  let database: { url: string; drop(): Promise<void> } | undefined;
  const topic = `gotuto-kill-${randomUUID().slice(0, 12)}`;
  let childEnv: NodeJS.ProcessEnv;
  let child: SpawnedPlatform | undefined;
  let base = '';
  // Between the broker and billing-on-customer-registered: forwards every delivery, and holds the
  // answer of the first one, so the platform dies with the delivery not ended.
  let proxy: Server;
  const forwarded: string[] = [];
  let holding: (() => void) | undefined;

  const start = async () => {
    child = await spawnPlatform(childEnv);
    base = child.url;
  };
  const kill = async () => {
    await child?.kill('SIGKILL');
    child = undefined;
  };

  beforeAll(async () => {
    proxy = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => void forward());
      const forward = async () => {
        const id = String(req.headers['ce-id']);
        forwarded.push(id);
        const headers = Object.fromEntries(
          Object.entries(req.headers).filter(([k]) => k.startsWith('ce-') || k === 'content-type' || k === 'authorization'),
        ) as Record<string, string>;
        const answer = await checkedFetch(`${base}/functions/billing-on-customer-registered`, { method: 'POST', headers, body: Buffer.concat(chunks) });
        const text = await answer.text();
        if (forwarded.filter((f) => f === id).length === 1) {
          // The handler has run and committed; the broker never hears back.
          holding?.();
          return;
        }
        res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'text/plain' }).end(text);
      };
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/`;
    // knative/base, with that Trigger's subscriber pointed at the proxy.
    cpSync(join(process.cwd(), 'knative', 'base'), manifests, { recursive: true });
    const file = join(manifests, 'billing', 'billing-on-customer-registered.yaml');
    const docs = parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS() as { kind: string; spec: { subscriber: unknown } });
    // With the audience the function expects, as a Trigger to a URL must name it for sender identity.
    for (const doc of docs) if (doc.kind === 'Trigger') doc.spec.subscriber = { uri: proxyUrl, audience: 'billing-on-customer-registered' };
    writeFileSync(file, docs.map((d) => stringify(d)).join('---\n'));

    childEnv = { ...process.env, GOTUTO_DATA_DIR: dataDir, GOTUTO_MANIFESTS_DIR: manifests, KAFKA_BROKER_TOPIC: topic, SEED: 'off', LOG_LEVEL: 'warn' };
    delete childEnv.K_SINK;
    if (adminUrl) {
      database = await createDatabase(adminUrl, 'gotuto_kill');
      childEnv.DATABASE_URL = database.url;
    } else {
      delete childEnv.DATABASE_URL;
    }
    await start();
  }, 120_000);

  afterAll(async () => {
    await kill().catch(() => undefined);
    await new Promise<void>((r) => proxy?.close(() => r()));
    proxy?.closeAllConnections();
    await database?.drop();
    if (SHARED_KAFKA) await deleteKafkaTopic(SHARED_KAFKA, topic);
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(manifests, { recursive: true, force: true });
  }, 60_000);

  it('delivers the event again after kill -9 and a restart, and its effect happens once', async () => {
    const held = new Promise<void>((resolve) => {
      holding = resolve;
    });
    const call = httpClient(() => base);
    const email = `killed-${randomUUID()}@example.com`;
    const registered = await call('POST', '/customers/register', undefined, { email, password: 'correct horse battery', name: 'Killed Mid Delivery' });
    expect(registered.status).toBe(201);
    await held;
    await kill();
    await start();
    const admin = await signToken({ id: randomUUID(), role: 'admin' });
    const client = await waitFor(
      () => call('GET', `/billing/clients/${registered.body.id}`, admin),
      (r) => r.status === 200,
      60_000,
    );
    expect(client.body.email).toBe(email);
    await waitFor(
      async () => forwarded.filter((f) => f !== undefined).length,
      (n) => n >= 2,
      60_000,
    );
    const registeredEvents = await call('GET', `/broker/events?type=com.gotuto.customer.customer-registered.v1&subject=${registered.body.id}`, admin);
    const eventId = registeredEvents.body.items[0].event.id as string;
    // Delivered twice (the first delivery never ended), applied once: one client, one client-created.
    expect(forwarded.filter((f) => f === eventId)).toHaveLength(2);
    const created = await waitFor(
      () => call('GET', `/broker/events?type=com.gotuto.billing.client-created.v1&subject=${registered.body.id}`, admin),
      (r) => r.body.items.length > 0,
    );
    await new Promise((r) => setTimeout(r, 1000));
    expect((await call('GET', `/broker/events?type=com.gotuto.billing.client-created.v1&subject=${registered.body.id}`, admin)).body.items).toHaveLength(
      created.body.items.length,
    );
    expect(created.body.items).toHaveLength(1);
  }, 240_000);
});
