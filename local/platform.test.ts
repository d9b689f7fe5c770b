// The local platform through HTTP: gateway routes, the broker's delivery rules, dead letters and
// their replay, replies, filters and PingSource schedules, with functions and Triggers that only
// this test adds.
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineEvent, toBinaryHttp, type ReceivedEvent } from '../events/index.js';
import { signToken } from '../functions/runtime/auth.js';
import { handler, scheduled, type RegisteredFunction } from '../functions/runtime/definition.js';
import { Unavailable, ValidationError } from '../functions/runtime/errors.js';
import type { Platform } from './platform.js';
import type { TriggerSpec } from './routing.js';
import { checkedFetch, createTestEnvironment, httpClient, publisherHeaders, type TestEnvironment } from './testing.js';

process.env.JWT_SECRET ??= 'platform-test-secret-platform-test-secret';

const probe = defineEvent<{ n: number }>('probe', 'poked', 1, {
  $id: 'https://gotuto.dev/schemas/events/probe/poked.v1.json',
  type: 'object',
  required: ['n'],
  properties: { n: { type: 'integer' } },
});

let flakyFailing = true;
const flakyCalls: string[] = [];
const refusedCalls: string[] = [];
const orderedSeen: number[] = [];
let ticks = 0;

const testFn = (name: string, definition: RegisteredFunction['definition']): RegisteredFunction => ({
  name: `platform-${name}`,
  context: 'platform',
  path: `platform/handlers/${name}`,
  definition,
});

const flaky = testFn(
  'test-flaky',
  handler({
    event: probe,
    handle: async (event) => {
      flakyCalls.push(event.id);
      if (flakyFailing) throw new Unavailable('downstream is down');
    },
  }),
);
const refusing = testFn(
  'test-refusing',
  handler({
    event: probe,
    handle: async (event) => {
      refusedCalls.push(event.id);
      throw new ValidationError('this event can never apply');
    },
  }),
);
const ordered = testFn(
  'test-ordered',
  handler({
    event: probe,
    handle: async (event) => {
      orderedSeen.push(event.data.n);
    },
  }),
);
const ticker = testFn(
  'test-ticker',
  scheduled({
    schedule: { cron: '* * * * * *' },
    handle: async () => {
      ticks += 1;
    },
  }),
);

const fastRetry = {
  retry: 2,
  backoffPolicy: 'exponential' as const,
  backoffDelayMs: 20,
  timeoutMs: 2000,
  deadLetterSink: { service: 'platform-dead-letters' },
};
const triggerFor = (fn: RegisteredFunction, over: Partial<TriggerSpec> = {}): TriggerSpec => ({
  name: `${fn.name}-trigger`,
  filters: [{ exact: { type: probe.type } }, { exact: { source: '/test/probe' } }],
  subscriber: { service: fn.name },
  delivery: fastRetry,
  ordered: false,
  ...over,
});

// A subscriber outside the platform that answers with a reply CloudEvent.
let replier: Server;
let replierUrl = '';
const replyEvent = (to: ReceivedEvent<unknown>): ReceivedEvent<unknown> => ({
  id: randomUUID(),
  type: 'com.gotuto.probe.answered.v1',
  source: '/test/replier',
  subject: to.subject,
  time: new Date().toISOString(),
  data: { to: to.id },
  correlationid: to.correlationid,
});

let env: TestEnvironment;
let platform: Platform;
let admin: string;

beforeAll(async () => {
  replier = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const { headers, body } = toBinaryHttp(
        replyEvent({ id: String(req.headers['ce-id']), correlationid: String(req.headers['ce-correlationid']), subject: 's' } as ReceivedEvent<unknown>),
      );
      res.writeHead(req.headers.prefer === 'reply' ? 200 : 400, headers).end(body);
    });
  });
  await new Promise<void>((r) => replier.listen(0, '127.0.0.1', r));
  replierUrl = `http://127.0.0.1:${(replier.address() as AddressInfo).port}/`;

  env = await createTestEnvironment();
  platform = await env.start({
    extraFunctions: [flaky, refusing, ordered, ticker],
    extraTriggers: [
      triggerFor(flaky),
      triggerFor(refusing),
      triggerFor(ordered, {
        name: 'ordered-trigger',
        filters: [{ prefix: { type: 'com.gotuto.probe.' } }, { exact: { source: '/test/ordered' } }],
        ordered: true,
      }),
      { ...triggerFor(flaky, { name: 'replier-trigger', subscriber: { uri: replierUrl } }), filters: [{ exact: { source: '/test/reply' } }] },
    ],
    extraPings: [{ name: 'test-ticker', schedule: '* * * * * *', data: '{}', sink: { service: ticker.name } }],
  });
  admin = await signToken({ id: randomUUID(), role: 'admin' });
}, 120_000);

afterAll(async () => {
  await env?.dispose();
  await new Promise<void>((r) => replier?.close(() => r()));
});

const call = httpClient(() => platform.url);
const get = (path: string, token = admin) => call('GET', path, token || undefined);
const publish = async (event: Partial<ReceivedEvent<unknown>>, mode: 'binary' | 'structured' = 'binary') => {
  const full = {
    id: randomUUID(),
    type: probe.type,
    source: '/test/probe',
    subject: randomUUID(),
    time: new Date().toISOString(),
    data: { n: 1 },
    ...event,
  } as ReceivedEvent<unknown>;
  const message =
    mode === 'binary'
      ? toBinaryHttp(full)
      : {
          headers: { 'content-type': 'application/cloudevents+json' },
          body: JSON.stringify({ specversion: '1.0', datacontenttype: 'application/json', ...full }),
        };
  const res = await checkedFetch(`${platform.url}/broker`, { method: 'POST', headers: { ...message.headers, ...publisherHeaders() }, body: message.body });
  return { status: res.status, event: full };
};
const waitFor = async <T>(read: () => Promise<T>, ok: (v: T) => boolean, ms = 15_000): Promise<T> => {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (ok(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe('gateway', () => {
  it('answers /healthz and lists every function with its kind, route, event types or schedule', async () => {
    expect((await get('/healthz', '')).status).toBe(200);
    const { status, body } = await get('/functions', '');
    expect(status).toBe(200);
    const names = body.items.map((f: { name: string }) => f.name);
    expect(names).toEqual(expect.arrayContaining(['billing-create-invoice', 'billing-detect-overdue', 'platform-dead-letters', 'platform-test-flaky']));
    expect(body.items.find((f: { name: string }) => f.name === 'billing-create-invoice')).toMatchObject({ kind: 'command', route: 'POST /billing/invoices' });
    expect(body.items.find((f: { name: string }) => f.name === 'billing-detect-overdue')).toMatchObject({ kind: 'handler', schedule: expect.any(String) });
    expect(body.items.find((f: { name: string }) => f.name === 'platform-test-flaky')).toMatchObject({ kind: 'handler', eventTypes: [probe.type] });
  });

  it('routes API routes and /functions/<name>/<path> to the function, and its events reach the broker', async () => {
    const email = `ada-${randomUUID()}@example.com`;
    const created = await call('POST', '/billing/clients', admin, { name: 'Ada', email }, { 'x-correlation-id': 'gw-1' });
    expect(created.status).toBe(201);
    const client = created.body;
    const direct = await get(`/functions/billing-get-client/billing/clients/${client.id}`);
    expect(direct.status).toBe(200);
    expect(direct.body.email).toBe(email);
    const events = await waitFor(
      () => get(`/broker/events?type=com.gotuto.billing.client-created.v1&correlationid=gw-1`),
      (r) => r.body.items.length > 0,
    );
    expect(events.body.items[0].event).toMatchObject({ subject: client.id, data: expect.objectContaining({ email }) });
  });

  it('answers 404 problems for unknown routes and functions', async () => {
    const res = await get('/nowhere');
    expect(res.status).toBe(404);
    expect(res.body.detail).toMatch(/no route/);
    expect((await get('/functions/nope/x')).status).toBe(404);
  });

  it('keeps the broker views for admins', async () => {
    expect((await get('/broker/events', '')).status).toBe(401);
    expect((await get('/broker/events', await signToken({ id: randomUUID(), role: 'customer' }))).status).toBe(403);
    expect((await get('/broker/dead-letters', '')).status).toBe(401);
  });
});

describe('broker', () => {
  it('accepts binary and structured events with 202 and refuses what is not a CloudEvent', async () => {
    expect((await publish({ source: '/test/none' })).status).toBe(202);
    expect((await publish({ source: '/test/none' }, 'structured')).status).toBe(202);
    const bad = await checkedFetch(`${platform.url}/broker`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...publisherHeaders() },
      body: '{}',
    });
    expect(bad.status).toBe(400);
  });

  it('refuses malformed CloudEvents with 400 and stores none of them', async () => {
    // What the refused requests would have stored: their sources. (Over Kafka the trace trails the
    // broker, so a count of every event could still grow with earlier tests' events.)
    const refusedSources = new Set(['/test/bad', '/x']);
    const stored = async () => {
      await platform.broker.flush();
      const items = (await get('/broker/events?limit=1000')).body.items as Array<{ event: { source: string } }>;
      return items.filter((item) => refusedSources.has(item.event.source)).length;
    };
    const before = await stored();
    const binary = { 'content-type': 'application/json', 'ce-specversion': '1.0', 'ce-id': randomUUID(), 'ce-type': probe.type, 'ce-source': '/test/bad' };
    const cases: Array<[string, Record<string, string>, string]> = [
      ['missing id', { ...binary, 'ce-id': '' }, '{"n":1}'],
      ['missing type', Object.fromEntries(Object.entries(binary).filter(([k]) => k !== 'ce-type')), '{"n":1}'],
      ['missing source', Object.fromEntries(Object.entries(binary).filter(([k]) => k !== 'ce-source')), '{"n":1}'],
      ['wrong specversion', { ...binary, 'ce-specversion': '0.3' }, '{"n":1}'],
      ['bad JSON data', binary, '{"n":'],
      ['bad structured JSON', { 'content-type': 'application/cloudevents+json' }, '{"specversion":"1.0","id":'],
      ['structured without type', { 'content-type': 'application/cloudevents+json' }, JSON.stringify({ specversion: '1.0', id: '1', source: '/x' })],
    ];
    for (const [what, headers, body] of cases) {
      const res = await checkedFetch(`${platform.url}/broker`, { method: 'POST', headers: { ...headers, ...publisherHeaders() }, body });
      expect(res.status, what).toBe(400);
      expect((await res.json()).detail, what).toMatch(/not a valid CloudEvent/);
    }
    expect(await stored()).toBe(before);
  });

  it('retries a failing subscriber with backoff, then dead-letters it with the last status and error; a replay delivers it again', async () => {
    flakyFailing = true;
    const { event } = await publish({ data: { n: 7 } });
    const dead = await waitFor(
      () => get(`/broker/dead-letters?subscriber=platform-test-flaky`),
      (r) => r.body.items.some((d: { eventId: string }) => d.eventId === event.id),
    );
    const letter = dead.body.items.find((d: { eventId: string }) => d.eventId === event.id);
    expect(letter).toMatchObject({ status: 503, state: 'dead', type: probe.type, subscriber: 'platform-test-flaky' });
    expect(letter.error).toMatch(/downstream is down/);
    // First delivery and two retries, then nothing more.
    expect(flakyCalls.filter((id) => id === event.id)).toHaveLength(3);
    // Over Kafka the trace is written a moment behind the delivery.
    const flakyState = (r: { body: { items: Array<{ deliveries: Array<{ trigger: string; state: string }> }> } }) =>
      r.body.items[0]?.deliveries.find((d) => d.trigger === 'platform-test-flaky-trigger')?.state;
    const state = await waitFor(
      () => get(`/broker/events?subject=${event.subject}`),
      (r) => flakyState(r) === 'dead',
    );
    expect(state.body.items[0].deliveries.find((d: { trigger: string }) => d.trigger === 'platform-test-flaky-trigger')).toMatchObject({
      state: 'dead',
      attempts: 3,
      lastStatus: 503,
    });
    const listed = await get('/functions', '');
    expect(listed.body.items.find((f: { name: string }) => f.name === 'platform-test-flaky').deadLetters).toBeGreaterThanOrEqual(1);

    flakyFailing = false;
    const replay = await call('POST', `/broker/dead-letters/${letter.id}/replay`, admin);
    expect(replay.status).toBe(200);
    expect(replay.body).toMatchObject({ id: letter.id, outcome: 'delivered' });
    expect(flakyCalls.filter((id) => id === event.id)).toHaveLength(4);
    const after = await get(`/broker/dead-letters?subscriber=platform-test-flaky`);
    expect(after.body.items.find((d: { id: string }) => d.id === letter.id).state).toBe('replayed');
    expect((await call('POST', `/broker/dead-letters/${randomUUID()}/replay`, admin)).status).toBe(404);
  });

  it('shows one dead letter, discards one with a reason (kept), and replays all of a type', async () => {
    flakyFailing = true;
    const a = (await publish({ data: { n: 21 } })).event;
    const b = (await publish({ data: { n: 22 } })).event;
    const dead = await waitFor(
      () => get('/broker/dead-letters?subscriber=platform-test-flaky&state=dead'),
      (r) => [a.id, b.id].every((id) => r.body.items.some((d: { eventId: string }) => d.eventId === id)),
    );
    const letterA = dead.body.items.find((d: { eventId: string }) => d.eventId === a.id);
    const letterB = dead.body.items.find((d: { eventId: string }) => d.eventId === b.id);
    const shown = await get(`/broker/dead-letters/${letterA.id}`);
    expect(shown.body).toMatchObject({ id: letterA.id, eventId: a.id, state: 'dead', status: 503 });

    const post = (path: string, body?: unknown) => call('POST', path, admin, body);
    expect((await post(`/broker/dead-letters/${letterA.id}/discard`, {})).status).toBe(422);
    const discarded = await post(`/broker/dead-letters/${letterA.id}/discard`, { reason: 'poisoned test data' });
    expect(discarded.status).toBe(200);
    expect(discarded.body).toMatchObject({ state: 'discarded', discardReason: 'poisoned test data' });
    expect((await post(`/broker/dead-letters/${letterA.id}/discard`, { reason: 'again' })).status).toBe(409);
    expect((await get(`/broker/dead-letters/${letterA.id}`)).body.state).toBe('discarded');

    flakyFailing = false;
    const before = flakyCalls.length;
    const all = await post(`/broker/dead-letters/replay?type=${encodeURIComponent(probe.type)}`);
    expect(all.status).toBe(200);
    const replayed = all.body;
    expect(replayed.items.map((r: { id: string }) => r.id)).toContain(letterB.id);
    expect(replayed.items.map((r: { id: string }) => r.id)).not.toContain(letterA.id);
    expect(flakyCalls.filter((id) => id === b.id)).toHaveLength(4);
    expect(flakyCalls.filter((id) => id === a.id)).toHaveLength(3);
    expect(flakyCalls.length).toBeGreaterThan(before);
  });

  it('does not retry a 4xx other than 404, 408, 409 and 429', async () => {
    const { event } = await publish({ data: { n: 8 } });
    await waitFor(
      () => get(`/broker/dead-letters?subscriber=platform-test-refusing`),
      (r) => r.body.items.some((d: { eventId: string }) => d.eventId === event.id),
    );
    expect(refusedCalls.filter((id) => id === event.id)).toHaveLength(1);
    const letter = (await get(`/broker/dead-letters?subscriber=platform-test-refusing`)).body.items.find((d: { eventId: string }) => d.eventId === event.id);
    expect(letter.status).toBe(422);
  });

  it('sends a reply CloudEvent back into the broker', async () => {
    const { event } = await publish({ source: '/test/reply', correlationid: `reply-${randomUUID()}` });
    const replies = await waitFor(
      () => get(`/broker/events?type=com.gotuto.probe.answered.v1&correlationid=${event.correlationid}`),
      (r) => r.body.items.length > 0,
    );
    expect(replies.body.items[0].event.data).toEqual({ to: event.id });
  });

  it('delivers an ordered Trigger in order per partition key', async () => {
    const key = randomUUID();
    for (let n = 1; n <= 5; n += 1) await publish({ source: '/test/ordered', subject: key, partitionkey: key, data: { n } });
    await waitFor(
      async () => orderedSeen.length,
      (n) => n >= 5,
    );
    expect(orderedSeen).toEqual([1, 2, 3, 4, 5]);
  });
});

describe('sign-up to own invoice', () => {
  it('registers, logs in, gets a Billing client through the broker, and reads only its own invoices', async () => {
    const email = `zoe-${randomUUID()}@example.com`;
    const registered = await call('POST', '/customers/register', undefined, { email, password: 'a long enough passphrase', name: 'Zoë Ünal' });
    expect(registered.status).toBe(201);
    const customer = registered.body;
    const login = await call('POST', '/customers/login', undefined, { email, password: 'a long enough passphrase' });
    expect(login.status).toBe(200);
    const { accessToken } = login.body;
    const me = await get('/customers/me', accessToken);
    expect(me.body).toMatchObject({ id: customer.id, email, name: 'Zoë Ünal' });

    // Billing made the customer's client from customer-registered, delivered by the broker.
    const client = await waitFor(
      () => get(`/billing/clients/${customer.id}`),
      (r) => r.status === 200,
    );
    expect(client.body).toMatchObject({ id: customer.id, email, name: 'Zoë Ünal' });

    const other = (await call('POST', '/billing/clients', admin, { name: 'Someone Else', email: `else-${randomUUID()}@example.com` })).body;
    for (const clientId of [customer.id, other.id]) {
      const made = await call('POST', '/billing/invoices', admin, {
        clientId,
        dueDate: '2030-01-01',
        lines: [{ description: 'Tea', quantity: 1, unitPrice: { amount: 450, currency: 'EUR' } }],
      });
      expect(made.status).toBe(201);
    }
    const own = await get(`/billing/invoices?clientId=${customer.id}`, accessToken);
    expect(own.status).toBe(200);
    expect(own.body.items).toHaveLength(1);
    expect(own.body.items[0].clientId).toBe(customer.id);
    expect((await get(`/billing/invoices?clientId=${other.id}`, accessToken)).status).toBe(403);
    expect((await get('/billing/invoices', accessToken)).body.items).toHaveLength(1);
  });
});

describe('schedules', () => {
  it('fires PingSources on their cron', async () => {
    const before = ticks;
    await waitFor(
      async () => ticks,
      (n) => n >= before + 2,
      5000,
    );
    expect(ticks).toBeGreaterThanOrEqual(before + 2);
  });
});
