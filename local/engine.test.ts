// The delivery engine's rule, once, over each log: the embedded broker, and the Kafka-backed one
// where KAFKA_BROKERS is set. A real HTTP subscriber answers each status; the test reads what it
// and the dead-letter sink received: how often, how far apart, with which headers and extensions.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toBinaryHttp, type ReceivedEvent } from '../events/index.js';
import { signToken } from '../functions/runtime/auth.js';
import { rootLogger } from '../functions/runtime/log.js';
import { createEngine, outgoingOf } from './engine.js';
import type { Platform } from './platform.js';
import type { DeliverySpec, TriggerSpec } from './routing.js';
import { createTestEnvironment, httpClient, waitFor, type TestEnvironment } from './testing.js';

process.env.JWT_SECRET ??= 'engine-test-secret-engine-test-secret';

const TYPE = 'com.gotuto.enginetest.poked.v1';
const REPLY_TYPE = 'com.gotuto.enginetest.replied.v1';
const RETRIED = [404, 408, 409, 429, 500, 501, 502, 503, 504];
const FINAL = [400, 401, 403, 410, 413, 415, 422];
const DELAY_MS = 40;

interface Received {
  at: number;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A subscriber and dead-letter sink outside the platform, answering by path. */
const startSubscriber = async () => {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      received.push({ at: performance.now(), path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const status = /^\/status\/(\d+)$/.exec(path)?.[1];
      if (status) return void res.writeHead(Number(status), { 'content-type': 'text/plain' }).end(`refused with ${status}`);
      // A dead-letter sink that is down for its first two requests.
      if (path === '/flaky-sink') return void res.writeHead(received.filter((r) => r.path === path).length <= 2 ? 503 : 202).end();
      if (path === '/big') return void res.writeHead(400, { 'content-type': 'text/plain' }).end('x'.repeat(3000));
      if (path === '/slow') return void setTimeout(() => res.writeHead(204).end(), 600);
      if (path === '/reply') {
        const reply = {
          id: randomUUID(),
          type: REPLY_TYPE,
          source: '/test/subscriber',
          subject: 'reply',
          time: new Date().toISOString(),
          data: { to: req.headers['ce-id'] },
        };
        const { headers, body } = toBinaryHttp(reply);
        return void res.writeHead(200, headers).end(body);
      }
      res.writeHead(path === '/sink' ? 202 : 204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, received, at: (path: string) => received.filter((r) => r.path === path), close: () => new Promise<void>((r) => server.close(() => r())) };
};
type Subscriber = Awaited<ReturnType<typeof startSubscriber>>;

const delivery = (sink: string, over: Partial<DeliverySpec> = {}): DeliverySpec => ({
  retry: 2,
  backoffPolicy: 'exponential',
  backoffDelayMs: DELAY_MS,
  timeoutMs: 2000,
  deadLetterSink: { uri: sink },
  ...over,
});

/** One Trigger per case: the event's `case` extension picks it. */
const triggersOf = (sub: string): TriggerSpec[] => {
  const of = (name: string, path: string, over: Partial<DeliverySpec> = {}): TriggerSpec => ({
    name: `engine-test-${name}`,
    attributes: { type: TYPE, case: name },
    subscriber: { uri: `${sub}${path}` },
    delivery: delivery(`${sub}/sink`, over),
    ordered: false,
  });
  return [
    ...[...RETRIED, ...FINAL].map((s) => of(`status${s}`, `/status/${s}`)),
    of('linear', '/status/503', { backoffPolicy: 'linear' }),
    of('big', '/big'),
    of('slow', '/slow', { retry: 1, timeoutMs: 150 }),
    of('reply', '/reply'),
    of('sinkdown', '/status/400', { deadLetterSink: { uri: `${sub}/flaky-sink` } }),
    of('ok', '/ok'),
    { name: 'engine-test-replies', attributes: { type: REPLY_TYPE }, subscriber: { uri: `${sub}/replies` }, delivery: delivery(`${sub}/sink`), ordered: false },
  ];
};

const eventOf = (name: string, over: Partial<ReceivedEvent<unknown>> = {}): ReceivedEvent<unknown> => {
  const subject = randomUUID();
  return {
    id: randomUUID(),
    type: TYPE,
    source: '/test/engine',
    subject,
    partitionkey: subject,
    time: new Date().toISOString(),
    data: { case: name },
    extensions: { case: name },
    ...over,
  };
};

const gaps = (times: number[]) => times.slice(1).map((t, i) => t - (times[i] as number));
const decoded = (value: string | string[] | undefined) => Buffer.from(String(value), 'base64').toString('utf8');

const KAFKA = process.env.KAFKA_BROKERS;

describe.each(KAFKA ? ['embedded', 'kafka'] : ['embedded'])('the delivery engine over the %s broker', (kind) => {
  let env: TestEnvironment;
  let platform: Platform;
  let sub: Subscriber;
  const sent = new Map<string, ReceivedEvent<unknown>>();
  const calls = (name: string) => sub.received.filter((r) => r.headers['ce-id'] === sent.get(name)?.id && !r.path.endsWith('sink'));
  const letterOf = (name: string) => sub.at('/sink').find((r) => r.headers['ce-id'] === sent.get(name)?.id);

  beforeAll(async () => {
    if (kind === 'embedded') delete process.env.KAFKA_BROKERS;
    sub = await startSubscriber();
    env = await createTestEnvironment();
    platform = await env.start({ extraTriggers: triggersOf(sub.url) });
    expect(platform.brokerKind).toBe(kind);
    for (const name of [...[...RETRIED, ...FINAL].map((s) => `status${s}`), 'linear', 'big', 'slow', 'reply', 'sinkdown']) {
      const event = eventOf(name);
      sent.set(name, event);
      await platform.broker.accept(event);
    }
    // Every case ends at the dead-letter sink but the reply, whose answer comes back as an event.
    await waitFor(
      async () => sub.at('/sink').length + sub.at('/replies').length + Math.min(1, sub.at('/flaky-sink').length - 2),
      (n) => n >= sent.size,
      60_000,
    );
  }, 120_000);

  afterAll(async () => {
    await env?.dispose();
    await sub?.close();
    if (KAFKA) process.env.KAFKA_BROKERS = KAFKA;
  });

  it('retries 404, 408, 409, 429 and 5xx as often as the Trigger says, and no other 4xx', () => {
    const counts = Object.fromEntries([...RETRIED, ...FINAL].map((s) => [s, calls(`status${s}`).length]));
    expect(counts).toEqual(Object.fromEntries([...RETRIED.map((s) => [s, 3]), ...FINAL.map((s) => [s, 1])]));
  });

  it('spaces retries by the backoff policy: exponential doubles from twice the delay, linear grows by the delay', () => {
    const exponential = gaps(calls('status503').map((c) => c.at));
    expect(exponential[0]).toBeGreaterThanOrEqual(2 * DELAY_MS - 5);
    expect(exponential[1]).toBeGreaterThanOrEqual(4 * DELAY_MS - 5);
    const linear = gaps(calls('linear').map((c) => c.at));
    expect(linear[0]).toBeGreaterThanOrEqual(DELAY_MS - 5);
    expect(linear[1]).toBeGreaterThanOrEqual(2 * DELAY_MS - 5);
    for (const gap of [...exponential, ...linear]) expect(gap).toBeLessThan(5000);
  });

  it('POSTs in binary mode with the headers of Knative’s dispatcher', () => {
    const event = sent.get('status422') as ReceivedEvent<unknown>;
    const [call] = calls('status422');
    expect(call?.headers).toMatchObject({
      'ce-specversion': '1.0',
      'ce-id': event.id,
      'ce-type': TYPE,
      'ce-source': '/test/engine',
      'ce-subject': event.subject,
      'ce-partitionkey': event.partitionkey,
      'ce-case': 'status422',
      'content-type': 'application/json',
      prefer: 'reply',
      'kn-namespace': 'default',
    });
    expect(JSON.parse(call?.body ?? '')).toEqual(event.data);
  });

  it('hands what it gave up on to the dead-letter sink with knativeerrordest, knativeerrorcode and knativeerrordata', () => {
    for (const status of [...RETRIED, ...FINAL]) {
      const letter = letterOf(`status${status}`);
      expect(letter?.headers, `the dead letter of ${status}`).toMatchObject({
        'ce-type': TYPE,
        'ce-case': `status${status}`,
        'ce-knativeerrordest': `${sub.url}/status/${status}`,
        'ce-knativeerrorcode': String(status),
        prefer: 'reply',
        'kn-namespace': 'default',
      });
      expect(decoded(letter?.headers['ce-knativeerrordata'])).toBe(`refused with ${status}`);
      expect(JSON.parse(letter?.body ?? '')).toEqual({ case: `status${status}` });
    }
    expect(sub.at('/sink')).toHaveLength(RETRIED.length + FINAL.length + 3);
  });

  it('keeps at most 1024 bytes of the last answer, and without an answer (a timeout) only the destination', () => {
    expect(decoded(letterOf('big')?.headers['ce-knativeerrordata'])).toBe('x'.repeat(1024));
    const slow = letterOf('slow');
    expect(calls('slow')).toHaveLength(2);
    expect(slow?.headers['ce-knativeerrordest']).toBe(`${sub.url}/slow`);
    expect(slow?.headers['ce-knativeerrorcode']).toBeUndefined();
    expect(slow?.headers['ce-knativeerrordata']).toBeUndefined();
  });

  it('hands a dead letter over again until a sink that is down takes it', () => {
    const tries = sub.at('/flaky-sink');
    expect(tries).toHaveLength(3);
    for (const t of tries) expect(t.headers).toMatchObject({ 'ce-id': sent.get('sinkdown')?.id, 'ce-knativeerrorcode': '400' });
    expect(calls('sinkdown')).toHaveLength(1);
  });

  it('sends a reply CloudEvent back into the broker, where its own Trigger delivers it', () => {
    const [reply] = sub.at('/replies');
    expect(reply?.headers['ce-type']).toBe(REPLY_TYPE);
    expect(JSON.parse(reply?.body ?? '')).toEqual({ to: sent.get('reply')?.id });
    expect(calls('reply')).toHaveLength(1);
  });

  it('accepts a batch whole: every event delivered', async () => {
    const batch = [eventOf('ok'), eventOf('ok'), eventOf('ok')];
    await platform.broker.accept(...batch);
    const ids = new Set(batch.map((e) => e.id));
    const seen = await waitFor(
      async () => sub.at('/ok').filter((r) => ids.has(String(r.headers['ce-id']))).length,
      (n) => n >= 3,
      30_000,
    );
    expect(seen).toBe(3);
  });

  it('refuses a batch whole when the log refuses one of its events: none of them is delivered', async () => {
    const good = [eventOf('ok'), eventOf('ok'), eventOf('ok')];
    // What each log refuses: an event without an id (the embedded log's NOT NULL), a record over
    // Kafka's message size limit.
    const bad =
      kind === 'embedded'
        ? ({ ...eventOf('ok'), id: undefined } as unknown as ReceivedEvent<unknown>)
        : eventOf('ok', { data: { blob: 'x'.repeat(2_000_000) } });
    await expect(platform.broker.accept(good[0] as ReceivedEvent<unknown>, bad, ...good.slice(1))).rejects.toThrow();
    // The log goes on: an event and a batch after it are kept and delivered.
    const after = [eventOf('ok'), eventOf('ok'), eventOf('ok')];
    await platform.broker.accept(after[0] as ReceivedEvent<unknown>);
    await platform.broker.accept(...after.slice(1));
    const afterIds = new Set(after.map((e) => e.id));
    expect(
      await waitFor(
        async () => sub.at('/ok').filter((r) => afterIds.has(String(r.headers['ce-id']))).length,
        (n) => n >= 3,
        30_000,
      ),
    ).toBe(3);
    await platform.broker.idle(30_000);
    const ids = new Set([...good, bad].map((e) => e.id));
    expect(sub.at('/ok').filter((r) => ids.has(String(r.headers['ce-id'])))).toEqual([]);
    await platform.broker.flush();
    const traced = await httpClient(() => platform.url)('GET', `/broker/events?type=${TYPE}&limit=1000`, await signToken({ id: randomUUID(), role: 'admin' }));
    expect(traced.status).toBe(200);
    const { items } = traced.body as { items: { event: { id: string } }[] };
    expect(items.filter((e) => ids.has(e.event.id))).toEqual([]);
  });
});

describe('the delivery request', () => {
  it('is built in one place, where a destination gets the headers it needs (delivery credentials)', async () => {
    let sub: Subscriber | undefined;
    try {
      sub = await startSubscriber();
      const url = sub.url;
      const engine = createEngine({
        resolve: (d) => `${url}${d.uri ?? ''}`,
        accept: async () => undefined,
        log: rootLogger,
        namespace: 'gotuto-dev',
        headersFor: (destination) => ({ authorization: `Bearer token-for-${destination.uri}` }),
      });
      const trigger: TriggerSpec = { name: 't', subscriber: { uri: '/ok' }, delivery: delivery('/sink'), ordered: false };
      const attempt = await engine.attempt(trigger, outgoingOf(eventOf('ok')), 1, new AbortController().signal);
      expect(attempt).toEqual({ state: 'delivered', status: 204 });
      expect(sub.at('/ok')[0]?.headers).toMatchObject({ authorization: 'Bearer token-for-/ok', prefer: 'reply', 'kn-namespace': 'gotuto-dev' });
    } finally {
      await sub?.close();
    }
  });
});
