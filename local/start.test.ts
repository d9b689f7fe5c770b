// `npm start` as a user starts it: a child process on a fresh data directory, spoken to over HTTP
// only. Covers a whole Billing lifecycle through the broker, and a kill -9 between an event's
// acceptance and its delivery.
import { execFile, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toBinaryHttp, type ReceivedEvent } from '../events/index.js';
import { checkedFetch, createDatabase, deleteKafkaTopic, httpClient, publisherHeadersIn, spawnPlatform } from './testing.js';

const run = promisify(execFile);
const adminUrl = process.env.DATABASE_URL;
const dataDir = mkdtempSync(join(tmpdir(), 'gotuto-start-'));
let database: { url: string; drop(): Promise<void> } | undefined;
// Over Kafka (KAFKA_BROKERS), a broker topic of this file's own.
const topic = `gotuto-start-${randomUUID().slice(0, 12)}`;
let env: NodeJS.ProcessEnv;
let child: ChildProcess | undefined;
let base = '';
let token = '';

let output: string[] = [];
const start = async (extra: NodeJS.ProcessEnv = {}): Promise<string> => {
  const spawned = await spawnPlatform({ ...env, ...extra });
  child = spawned.child;
  output = spawned.output;
  // The banner names the URL, the counts and where the data lives.
  await new Promise((r) => setTimeout(r, 100));
  expect(output.join('')).toContain(spawned.url);
  expect(output.join('')).toMatch(/functions: \d+/);
  return spawned.url;
};

const kill = async (signal: NodeJS.Signals) => {
  if (!child?.pid) return;
  const exited = new Promise((r) => child?.once('exit', r));
  process.kill(-child.pid, signal);
  await exited;
  child = undefined;
};

beforeAll(async () => {
  env = { ...process.env, GOTUTO_DATA_DIR: dataDir, LOG_LEVEL: 'warn', KAFKA_BROKER_TOPIC: topic };
  delete env.JWT_SECRET;
  delete env.K_SINK;
  if (adminUrl) {
    database = await createDatabase(adminUrl, 'gotuto_start');
    env.DATABASE_URL = database.url;
  } else {
    delete env.DATABASE_URL;
  }
  base = await start();
  token = (await run('npm', ['run', '-s', 'token', '--', '--role', 'admin'], { env })).stdout.trim();
}, 120_000);

afterAll(async () => {
  await kill('SIGKILL').catch(() => undefined);
  if (process.env.KAFKA_BROKERS) await deleteKafkaTopic(process.env.KAFKA_BROKERS, topic);
  await database?.drop();
  rmSync(dataDir, { recursive: true, force: true });
}, 60_000);

const request = httpClient(() => base);
const call = (method: string, path: string, body?: unknown) => request(method, path, token, body);

const waitFor = async <T>(read: () => Promise<T>, ok: (v: T) => boolean, ms = 30_000): Promise<T> => {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (ok(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
};

describe('npm start', () => {
  it('seeds the demo catalog into an empty catalog, searchable without a token', async () => {
    const products = await waitFor(
      () => request('GET', '/catalog/products?limit=100').then((r) => r.body),
      (b) => b.items?.length >= 12,
    );
    expect(products.items).toHaveLength(12);
    const found = (await request('GET', '/catalog/products?q=creme%20BRULEE')).body;
    expect(found.items.map((p: { name: string }) => p.name)).toEqual(['Crème Brûlée Ramekins (4)']);
  });

  it('links the order journey page from its banner, with an admin token that reads it, and receives OTLP', async () => {
    const link = /journey:\s+(\S+)\/journey#token=(\S+)/.exec(output.join(''));
    expect(link?.[1]).toBe(base);
    const page = await checkedFetch(`${base}/journey`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<script src="/journey/script.js"></script>');
    expect((await checkedFetch(`${base}/journey/flow`, { headers: { authorization: `Bearer ${link?.[2]}` } })).status).toBe(200);
    const traces = await checkedFetch(`${base}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"resourceSpans":[]}' });
    expect(traces.status).toBe(200);
  });

  it('runs a Billing lifecycle: client, invoice, send, two payments, paid, with its events on the broker', async () => {
    const client = await call('POST', '/billing/clients', { name: 'Grace Hopper', email: `grace-${randomUUID()}@example.com` });
    expect(client.status).toBe(201);
    const invoice = await call('POST', '/billing/invoices', {
      clientId: client.body.id,
      dueDate: '2030-01-31',
      lines: [{ description: 'Compiler', quantity: 2, unitPrice: { amount: 1500, currency: 'EUR' } }],
    });
    expect(invoice.status).toBe(201);
    expect(invoice.body).toMatchObject({ status: 'draft', number: null, total: { amount: 3000, currency: 'EUR' } });
    const sent = await call('POST', `/billing/invoices/${invoice.body.id}/send`);
    expect(sent.status).toBe(200);
    expect(sent.body.number).toMatch(/^INV-\d{4}-\d{6}$/);
    expect((await call('POST', `/billing/invoices/${invoice.body.id}/payments`, { amount: { amount: 1000, currency: 'EUR' } })).status).toBe(201);
    const paid = await call('POST', `/billing/invoices/${invoice.body.id}/payments`, { amount: { amount: 2000, currency: 'EUR' } });
    expect(paid.body.status).toBe('paid');

    const events = await waitFor(
      () => call('GET', `/broker/events?subject=${invoice.body.id}`),
      (r) => r.body.items.length >= 5,
    );
    const types = events.body.items.map((e: { event: ReceivedEvent<unknown> }) => e.event.type);
    expect(types).toEqual([
      'com.gotuto.billing.invoice-created.v1',
      'com.gotuto.billing.invoice-status-changed.v1',
      'com.gotuto.billing.payment-received.v1',
      'com.gotuto.billing.payment-received.v1',
      'com.gotuto.billing.invoice-status-changed.v1',
    ]);
    const settled = await waitFor(
      () => call('GET', `/broker/events?subject=${invoice.body.id}`),
      (r) => r.body.items.every((e: { deliveries: Array<{ state: string }> }) => e.deliveries.every((d) => d.state === 'delivered')),
    );
    for (const item of settled.body.items) for (const d of item.deliveries) expect(d.state).toBe('delivered');
  }, 60_000);

  it('delivers after kill -9 what it had accepted, and its effect happens once', async () => {
    // Deliveries held, so that every event is surely accepted and not yet delivered at the kill.
    await kill('SIGTERM');
    base = await start({ BROKER_DELIVER: 'off' });
    const registrations = Array.from({ length: 25 }, () => {
      const customerId = randomUUID();
      return {
        id: randomUUID(),
        type: 'com.gotuto.customer.customer-registered.v1',
        source: '/gotuto/customer',
        subject: customerId,
        time: new Date().toISOString(),
        partitionkey: customerId,
        data: { customerId, email: `c-${customerId}@example.com`, name: 'Crash Test', role: 'customer' },
      };
    });
    for (const event of registrations) {
      const { headers, body } = toBinaryHttp(event);
      const res = await checkedFetch(`${base}/broker`, { method: 'POST', headers: { ...headers, ...publisherHeadersIn(dataDir) }, body });
      expect(res.status).toBe(202);
    }
    // Over Kafka the trace is written a moment behind the 202s.
    const pending = await waitFor(
      () => call('GET', '/broker/events?type=com.gotuto.customer.customer-registered.v1&limit=1000'),
      (r) => r.body.items.length >= registrations.length,
      10_000,
    );
    expect(pending.body.items).toHaveLength(registrations.length);
    for (const item of pending.body.items) {
      expect(item.deliveries.length).toBeGreaterThan(0);
      expect(item.deliveries.every((d: { state: string }) => d.state === 'pending')).toBe(true);
    }
    await kill('SIGKILL');
    base = await start();
    for (const event of registrations) {
      const client = await waitFor(
        () => call('GET', `/billing/clients/${event.subject}`),
        (r) => r.status === 200,
      );
      expect(client.status).toBe(200);
    }
    const all = await call('GET', '/billing/clients?limit=200');
    const ids = all.body.items.map((c: { id: string }) => c.id);
    for (const event of registrations) expect(ids.filter((id: string) => id === event.subject)).toHaveLength(1);
    const log = await call('GET', `/broker/events?type=com.gotuto.customer.customer-registered.v1&limit=1000`);
    for (const item of log.body.items) {
      expect(item.deliveries.every((d: { state: string }) => d.state === 'delivered')).toBe(true);
    }
  }, 180_000);

  it('stops cleanly on Ctrl-C (SIGINT to its process group), and starts again on the same data', async () => {
    const exit = new Promise<void>((r) => child?.once('exit', () => r()));
    if (child?.pid) process.kill(-child.pid, 'SIGINT');
    await exit;
    child = undefined;
    const printed = output.join('');
    expect(printed).toMatch(/SIGINT: stopping/);
    expect(printed).not.toMatch(/stop failed|Error:/);
    base = await start();
    expect((await call('GET', '/billing/clients')).status).toBe(200);
  }, 120_000);
});
