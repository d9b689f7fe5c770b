// What a bundle has ready when it starts. Its validators, compiled when it was built: it answers bad
// input exactly as the runtime does when it compiles the schemas itself (the same statuses and
// problem bodies, for request bodies and coerced query strings, the 0000 year and formats included).
// Its pool's first connection, opened while it starts, before any request, and the one its first
// request uses. And what it leaves out: the tables of legacy character sets (a body in one is
// refused as before), and Kafka, a bundle of its own read only by an outbox that publishes to a
// Kafka topic, which then reaches it all the same.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../functions/index.js';
import { functionsAt, startFunctions, tokenFor, useTestDatabase } from '../functions/runtime/testing.js';
import { build } from './build.js';
import { freePort, request, startProcess, waitForHttp, type Child } from './bench/processes.js';

const paths = ['billing/commands/create-client', 'billing/commands/create-invoice', 'billing/queries/list-invoices'];
const functions = functionsAt(registry, paths);
const db = useTestDatabase(['billing']);
const api = startFunctions(functions);

let outdir: string;
const bundles = new Map<string, { port: number; child: Child }>();

beforeAll(async () => {
  outdir = mkdtempSync(join(tmpdir(), 'gotuto-validators-'));
  await build({ outdir, only: functions.map((fn) => fn.name), quiet: true });
  for (const fn of functions) {
    const port = await freePort();
    const child = startProcess(process.execPath, [join(outdir, 'functions', `${fn.name}.js`)], {
      cwd: outdir,
      env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: db.url, NODE_ENV: 'production' },
    });
    bundles.set(fn.path, { port, child });
    await waitForHttp(port, child, { path: '/healthz', deadlineMs: 20_000 });
  }
}, 120_000);

afterAll(async () => {
  await Promise.all([...bundles.values()].map(({ child }) => child.stop()));
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

/** The answer of the bundle and of the in-process function to the same request. */
const both = async (path: string, method: string, url: string, body?: unknown) => {
  const token = await tokenFor('admin');
  const bundle = bundles.get(path) as { port: number };
  const raw = body === undefined ? undefined : JSON.stringify(body);
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, ...(raw ? { 'content-type': 'application/json' } : {}) };
  const fromBundle = await request(bundle.port, { method, path: url, headers, body: raw });
  const inProcess = await api.request(method, url, { token, body });
  return {
    bundle: { status: fromBundle.status, body: JSON.parse(fromBundle.body) as unknown },
    inProcess: { status: inProcess.status, body: inProcess.body as unknown },
  };
};

describe('precompiled validators in a bundle', () => {
  it('are in the bundle, keyed by the schemas it validates, and only those', () => {
    const bundle = (name: string) => readFileSync(join(outdir, 'functions', `${name}.js`), 'utf8');
    const create = bundle('billing-create-invoice');
    expect(create).toContain('"https://gotuto.dev/schemas/billing/create-invoice.json"');
    expect(create).toContain('"https://gotuto.dev/schemas/events/billing/invoice-created.v1.json"');
    expect(create).not.toContain('"https://gotuto.dev/schemas/billing/list-invoices.json#coerce"');
    expect(bundle('billing-list-invoices')).toContain('"https://gotuto.dev/schemas/billing/list-invoices.json#coerce"');
  });

  const invoice = (override: Record<string, unknown>) => ({
    clientId: randomUUID(),
    lines: [{ description: 'Widget', quantity: 2, unitPrice: { amount: 1999, currency: 'EUR' } }],
    dueDate: '2026-12-31',
    ...override,
  });

  it.each([
    ['an empty body', {}],
    ['a year 0000 due date', invoice({ dueDate: '0000-01-01' })],
    ['a client id that is no uuid, an unknown field', invoice({ clientId: 'nope', colour: 'red' })],
    [
      'a line without a price, a lower-case currency',
      invoice({
        lines: [
          { description: 'x', quantity: 1 },
          { description: 'y', quantity: 1, unitPrice: { amount: 1, currency: 'eur' } },
        ],
      }),
    ],
  ])('answers %s as the runtime does', async (_case, body) => {
    const { bundle, inProcess } = await both('billing/commands/create-invoice', 'POST', '/billing/invoices', body);
    expect(bundle.status).toBe(422);
    expect(bundle).toEqual(inProcess);
  });

  it('accepts what the schemas accept: an invoice is created, its event validated on the way', async () => {
    const token = await tokenFor('admin');
    const create = bundles.get('billing/commands/create-client') as { port: number };
    const client = await request(create.port, {
      method: 'POST',
      path: '/billing/clients',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Ada', email: `ada-${randomUUID()}@example.com` }),
    });
    expect(client.status, client.body).toBe(201);
    const clientId = (JSON.parse(client.body) as { id: string }).id;
    const target = bundles.get('billing/commands/create-invoice') as { port: number };
    const created = await request(target.port, {
      method: 'POST',
      path: '/billing/invoices',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(invoice({ clientId })),
    });
    expect(created.status, created.body).toBe(201);
    const listed = await both('billing/queries/list-invoices', 'GET', `/billing/invoices?clientId=${clientId}&limit=5`);
    expect(listed.bundle.status).toBe(200);
    expect(listed.bundle).toEqual(listed.inProcess);
  });

  it.each([
    ['a limit that is no number', '/billing/invoices?limit=many'],
    ['a status outside the list and an unknown parameter', '/billing/invoices?status=lost&colour=red'],
  ])('answers a query string with %s as the runtime does', async (_case, url) => {
    const { bundle, inProcess } = await both('billing/queries/list-invoices', 'GET', url);
    expect(bundle.status).toBe(422);
    expect(bundle).toEqual(inProcess);
  });
});

describe('legacy character sets, whose tables a bundle leaves out', () => {
  it.each([
    ['JSON in Shift JIS', 'application/json; charset=shift_jis', '{}'],
    ['text in windows-1252', 'text/plain; charset=windows-1252', 'caf\u00e9'],
    ['a form in GBK', 'application/x-www-form-urlencoded; charset=gbk', 'a=b'],
  ])('refuse %s with the status and problem type of the runtime', async (_case, contentType, body) => {
    const token = await tokenFor('admin');
    const bundle = bundles.get('billing/commands/create-invoice') as { port: number };
    const fromBundle = await request(bundle.port, {
      method: 'POST',
      path: '/billing/invoices',
      headers: { authorization: `Bearer ${token}`, 'content-type': contentType },
      body,
    });
    const inProcess = await api.request('POST', '/billing/invoices', { token, rawBody: body, contentType });
    // The detail may differ: where the runtime decoded a text body and then named its media type,
    // the bundle, which cannot decode it, names its charset.
    const problem = (answer: { type?: string; title?: string; status?: number }) => ({ type: answer.type, title: answer.title, status: answer.status });
    expect(fromBundle.status).toBe(415);
    expect(fromBundle.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(problem(JSON.parse(fromBundle.body) as object)).toEqual(problem(inProcess.body as object));
    expect(inProcess.status).toBe(415);
  });
});

describe('the pool of a bundle', () => {
  // A TCP proxy in front of the database (PostgreSQL or the embedded one's socket) that counts the
  // connections a function opens, its answers held back by `delayMs` on the way.
  const countingProxy = async (delayMs: number) => {
    const target = new URL(db.url);
    const connections: Socket[] = [];
    const proxy = createServer((client) => {
      connections.push(client);
      const server = connect(Number(target.port || 5432), target.hostname);
      client.pipe(server);
      server.on('data', (chunk: Buffer) => (delayMs > 0 ? setTimeout(() => client.write(chunk), delayMs) : client.write(chunk)));
      const close = () => {
        client.destroy();
        server.destroy();
      };
      client.on('error', close).on('close', close);
      server.on('error', close).on('close', close);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const url = new URL(db.url);
    url.host = `127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    const close = () => {
      proxy.close();
      for (const socket of connections) socket.destroy();
    };
    return { url: url.toString(), connections, close };
  };

  const startVia = async (name: string, databaseUrl: string) => {
    const fn = functions.find((f) => f.name === name) as (typeof functions)[number];
    const port = await freePort();
    const child = startProcess(process.execPath, [join(outdir, 'functions', `${fn.name}.js`)], {
      cwd: outdir,
      env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: databaseUrl, NODE_ENV: 'production' },
    });
    return { port, child };
  };

  it('has its first connection open once the function listens, before any request', async () => {
    const proxy = await countingProxy(0);
    const { port, child } = await startVia((functions[0] as (typeof functions)[number]).name, proxy.url);
    try {
      expect((await waitForHttp(port, child, { path: '/healthz', deadlineMs: 20_000 })).status).toBe(200);
      const deadline = Date.now() + 5_000;
      while (proxy.connections.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(proxy.connections).toHaveLength(1);
    } finally {
      await child.stop();
      proxy.close();
    }
  }, 30_000);

  it('serves a request that arrives during the handshake of that connection on it, not on a second one', async () => {
    // PostgreSQL's answers are held back on the way, so the handshake is still going on when the
    // first request arrives, however fast the machine.
    const proxy = await countingProxy(150);
    const fn = functions.find((f) => f.path === 'billing/queries/list-invoices') as (typeof functions)[number];
    const { port, child } = await startVia(fn.name, proxy.url);
    try {
      const headers = { authorization: `Bearer ${await tokenFor('admin')}` };
      const answer = await waitForHttp(port, child, { path: '/billing/invoices?limit=1', headers, deadlineMs: 20_000, intervalMs: 2 });
      expect(answer.status, answer.body).toBe(200);
      expect(proxy.connections).toHaveLength(1);
    } finally {
      await child.stop();
      proxy.close();
    }
  }, 30_000);
});

describe.skipIf(!process.env.KAFKA_BROKERS)('Kafka in a bundle', () => {
  it('is left out of the function bundles, and in a bundle of its own', () => {
    // One of kafkajs's own error classes stands for the library.
    expect(readFileSync(join(outdir, 'functions', 'billing-create-client.js'), 'utf8')).not.toContain('KafkaJSNonRetriableError');
    expect(readFileSync(join(outdir, 'functions', 'outbox-kafka.js'), 'utf8')).toContain('KafkaJSNonRetriableError');
  });

  it('is loaded by an outbox that publishes to a Kafka topic: the event is on the topic', async () => {
    const fn = functions[0] as (typeof functions)[number];
    const topic = `gotuto-bundle-start-${randomUUID()}`;
    const port = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: db.url,
      NODE_ENV: 'production',
      OUTBOX_KAFKA_TOPIC: topic,
    };
    delete env.K_SINK;
    const child = startProcess(process.execPath, [join(outdir, 'functions', `${fn.name}.js`)], { cwd: outdir, env });
    const kafka = new Kafka({ clientId: 'bundle-start-test', brokers: (process.env.KAFKA_BROKERS ?? '').split(','), logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    const consumer = kafka.consumer({ groupId: `bundle-start-${randomUUID()}` });
    try {
      await admin.connect();
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
      await waitForHttp(port, child, { path: '/healthz', deadlineMs: 20_000 });
      const email = `kafka-${randomUUID()}@example.com`;
      const created = await request(port, {
        method: 'POST',
        path: '/billing/clients',
        headers: { authorization: `Bearer ${await tokenFor('admin')}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Kafka Client', email }),
      });
      expect(created.status, created.body).toBe(201);
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      const received = new Promise<{ type: string; data: { email?: string } }>((resolve) => {
        void consumer.run({
          eachMessage: async ({ message }) =>
            resolve({ type: String(message.headers?.ce_type), data: JSON.parse(String(message.value)) as { email?: string } }),
        });
      });
      const event = await Promise.race([
        received,
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no record on the topic within 20 s')), 20_000)),
      ]);
      expect(event).toEqual({ type: 'com.gotuto.billing.client-created.v1', data: expect.objectContaining({ email }) as unknown });
    } finally {
      await consumer.disconnect().catch(() => undefined);
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
      await child.stop();
    }
  }, 60_000);
});
