// Dead letters as an operator meets them, over HTTP against the local platform: what a Trigger gave
// up on is listed, shown, replayed (one, all of a type, all of a subscriber, idempotently) and
// discarded with a reason, by admins only; and the local broker's trace pages with an opaque
// cursor. Run over the embedded broker, and over Kafka too when KAFKA_BROKERS is set.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineEvent, toBinaryHttp, type ReceivedEvent } from '../events/index.js';
import { signToken } from '../functions/runtime/auth.js';
import { handler, type RegisteredFunction } from '../functions/runtime/definition.js';
import { Unavailable, ValidationError } from '../functions/runtime/errors.js';
import type { Platform } from './platform.js';
import type { TriggerSpec } from './routing.js';
import { checkedFetch, createTestEnvironment, httpClient, publisherHeaders, waitFor, type Answer, type TestEnvironment } from './testing.js';

process.env.JWT_SECRET ??= 'dead-letters-test-secret-dead-letters-test';

const schemaOf = (name: string) => ({
  $id: `https://gotuto.dev/schemas/events/dltest/${name}.v1.json`,
  type: 'object',
  required: ['n'],
  properties: { n: { type: 'integer' } },
});
const poked = defineEvent<{ n: number }>('dltest', 'poked', 1, schemaOf('poked'));
const prodded = defineEvent<{ n: number }>('dltest', 'prodded', 1, schemaOf('prodded'));

/** Calls per event id, and whether each subscriber refuses right now. */
const calls = new Map<string, number>();
const mood = { moody: 'failing' as 'failing' | 'fine', stubborn: 'refusing' as 'refusing' | 'fine' };
const called = (id: string) => calls.get(id) ?? 0;
const count = (id: string) => calls.set(id, called(id) + 1);

const testFn = (name: string, definition: RegisteredFunction['definition']): RegisteredFunction => ({
  name: `platform-${name}`,
  context: 'platform',
  path: `platform/handlers/${name}`,
  definition,
});
// A transient failure (503): retried, then given up on.
const moody = testFn(
  'dltest-moody',
  handler({
    event: poked,
    handle: async (event) => {
      count(event.id);
      if (mood.moody === 'failing') throw new Unavailable('downstream is down');
    },
  }),
);
// An event it can never apply (422): not retried.
const stubborn = testFn(
  'dltest-stubborn',
  handler({
    event: prodded,
    handle: async (event) => {
      count(event.id);
      if (mood.stubborn === 'refusing') throw new ValidationError('this event can never apply');
    },
  }),
);

const triggerFor = (fn: RegisteredFunction, type: string): TriggerSpec => ({
  name: `${fn.name}-trigger`,
  filters: [{ exact: { type } }],
  subscriber: { service: fn.name },
  // As generated into knative/base: the sink's URL names the Trigger.
  delivery: {
    retry: 0,
    backoffPolicy: 'linear',
    backoffDelayMs: 20,
    timeoutMs: 5000,
    deadLetterSink: { service: 'platform-dead-letters', uri: `/?trigger=${fn.name}-trigger` },
  },
  ordered: false,
});

type Letter = { id: string; eventId: string; state: string; status: number | null; failures: number; [key: string]: unknown };

const brokers = ['embedded', ...(process.env.KAFKA_BROKERS ? ['kafka'] : [])] as const;
const kafkaBrokers = process.env.KAFKA_BROKERS;

describe.each(brokers)('dead letters over the %s broker', (kind) => {
  let env: TestEnvironment;
  let platform: Platform;
  let admin: string;
  let customer: string;
  const call = httpClient(() => platform.url);

  beforeAll(async () => {
    // Which broker backs the platform is read from KAFKA_BROKERS, at start and by GET /broker/events.
    if (kind === 'kafka') process.env.KAFKA_BROKERS = kafkaBrokers;
    else delete process.env.KAFKA_BROKERS;
    env = await createTestEnvironment();
    platform = await env.start({ extraFunctions: [moody, stubborn], extraTriggers: [triggerFor(moody, poked.type), triggerFor(stubborn, prodded.type)] });
    expect(platform.brokerKind).toBe(kind);
    admin = await signToken({ id: randomUUID(), role: 'admin' });
    customer = await signToken({ id: randomUUID(), role: 'customer' });
  }, 120_000);

  afterAll(async () => {
    await env?.dispose();
    if (kafkaBrokers) process.env.KAFKA_BROKERS = kafkaBrokers;
  });

  const publish = async (type: string, correlationid: string = randomUUID()): Promise<ReceivedEvent<unknown>> => {
    const event = {
      id: randomUUID(),
      type,
      source: '/test/dead-letters',
      subject: randomUUID(),
      time: new Date().toISOString(),
      data: { n: 1 },
      correlationid,
    } as ReceivedEvent<unknown>;
    const { headers, body } = toBinaryHttp(event);
    const res = await checkedFetch(`${platform.url}/broker`, { method: 'POST', headers: { ...headers, ...publisherHeaders() }, body });
    expect(res.status).toBe(202);
    return event;
  };

  /** Publishes events that the subscriber gives up on, and waits for their dead letters. */
  const deadLettersOf = async (type: string, n: number, correlationid?: string): Promise<Letter[]> => {
    const events: ReceivedEvent<unknown>[] = [];
    for (let i = 0; i < n; i += 1) events.push(await publish(type, correlationid));
    const found = await waitFor(
      () => call('GET', `/broker/dead-letters?type=${encodeURIComponent(type)}&state=dead&limit=200`, admin),
      (r) => events.every((e) => r.body.items.some((l: Letter) => l.eventId === e.id)),
      30_000,
    );
    return events.map((e) => found.body.items.find((l: Letter) => l.eventId === e.id) as Letter);
  };

  const expectProblem = (answer: Answer, status: number, pointer?: string) => {
    expect(answer.status).toBe(status);
    expect(answer.body.status).toBe(status);
    if (pointer) expect(answer.body.errors.map((e: { pointer: string }) => e.pointer)).toContain(pointer);
  };

  it('keeps what Knative tells about the failure, and shows one letter', async () => {
    mood.moody = 'failing';
    const [letter] = (await deadLettersOf(poked.type, 1)) as [Letter];
    const shown = await call('GET', `/broker/dead-letters/${letter.id}`, admin);
    expect(shown.status).toBe(200);
    expect(shown.body).toMatchObject({
      id: letter.id,
      type: poked.type,
      state: 'dead',
      status: 503,
      subscriber: moody.name,
      trigger: `${moody.name}-trigger`,
      failures: 1,
      destination: `${platform.url}/functions/${moody.name}`,
    });
    expect(shown.body.error).toMatch(/downstream is down/);
    expect(Date.parse(shown.body.firstFailedAt)).toBeLessThanOrEqual(Date.parse(shown.body.lastFailedAt));
    // The event as published: Knative's error extensions are the letter's, not the event's.
    expect(JSON.stringify(shown.body.event)).not.toMatch(/knativeerror/);
    expect(shown.body.event).toMatchObject({ id: letter.eventId, data: { n: 1 } });
    expectProblem(await call('GET', `/broker/dead-letters/${randomUUID()}`, admin), 404);
    expectProblem(await call('GET', '/broker/dead-letters/not-an-id', admin), 404);
  });

  it('lists by subscriber, type and state, a page at a time with an opaque cursor', async () => {
    mood.moody = 'failing';
    mood.stubborn = 'refusing';
    const mine = await deadLettersOf(poked.type, 3);
    await deadLettersOf(prodded.type, 1);
    const seen: Letter[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Answer = await call('GET', `/broker/dead-letters?subscriber=${moody.name}&limit=2${cursor ? `&cursor=${cursor}` : ''}`, admin);
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items);
      cursor = page.body.nextCursor;
      pages += 1;
    } while (cursor);
    expect(pages).toBeGreaterThanOrEqual(2);
    expect(new Set(seen.map((l) => l.id)).size).toBe(seen.length);
    expect(seen.every((l) => l.subscriber === moody.name)).toBe(true);
    expect(seen.map((l) => l.id)).toEqual(expect.arrayContaining(mine.map((l) => l.id)));
    const byType = await call('GET', `/broker/dead-letters?type=${encodeURIComponent(prodded.type)}`, admin);
    expect(byType.body.items.length).toBeGreaterThan(0);
    expect(byType.body.items.every((l: Letter) => l.type === prodded.type)).toBe(true);
    expect((await call('GET', '/broker/dead-letters?state=discarded&subscriber=nobody', admin)).body).toEqual({ items: [], nextCursor: null });
  });

  it('answers bad limits, cursors and filters with 422 and a pointer, never a 500', async () => {
    expectProblem(await call('GET', '/broker/dead-letters?limit=-1', admin), 422, '/query/limit');
    expectProblem(await call('GET', '/broker/dead-letters?limit=abc', admin), 422, '/query/limit');
    expectProblem(await call('GET', '/broker/dead-letters?limit=100000', admin), 422, '/query/limit');
    expectProblem(await call('GET', '/broker/dead-letters?cursor=not-a-cursor', admin), 422, '/query/cursor');
    const foreign = Buffer.from(JSON.stringify(['seq', 3])).toString('base64url');
    expectProblem(await call('GET', `/broker/dead-letters?cursor=${foreign}`, admin), 422, '/query/cursor');
    expectProblem(await call('GET', '/broker/dead-letters?state=lost', admin), 422, '/query/state');
    expectProblem(await call('POST', '/broker/dead-letters/replay', admin), 422);
  });

  it('lets only admins near dead letters: 401 without a token, 403 for a customer', async () => {
    const id = randomUUID();
    const routes: Array<[string, string, unknown?]> = [
      ['GET', '/broker/dead-letters'],
      ['GET', `/broker/dead-letters/${id}`],
      ['POST', `/broker/dead-letters/${id}/replay`],
      ['POST', `/broker/dead-letters/replay?type=${encodeURIComponent(poked.type)}`],
      ['POST', `/broker/dead-letters/${id}/discard`, { reason: 'no' }],
      ['GET', '/broker/events'],
    ];
    for (const [method, path, body] of routes) {
      expectProblem(await call(method, path, undefined, body), 401);
      expectProblem(await call(method, path, customer, body), 403);
    }
  });

  it('replays one letter to the subscriber it failed at; a refused replay leaves it dead and says so', async () => {
    mood.moody = 'failing';
    const [letter] = (await deadLettersOf(poked.type, 1)) as [Letter];
    const before = called(letter.eventId);

    const refused = await call('POST', `/broker/dead-letters/${letter.id}/replay`, admin);
    expect(refused.status).toBe(200);
    expect(refused.body).toMatchObject({ id: letter.id, outcome: 'refused', status: 503, deadLetter: { state: 'dead', status: 503, failures: 2 } });
    expect(refused.body.error).toMatch(/downstream is down/);
    expect(called(letter.eventId)).toBe(before + 1);

    mood.moody = 'fine';
    const delivered = await call('POST', `/broker/dead-letters/${letter.id}/replay`, admin);
    expect(delivered.status).toBe(200);
    expect(delivered.body).toMatchObject({ id: letter.id, outcome: 'delivered', deadLetter: { state: 'replayed', replayedAt: expect.any(String) } });
    expect(called(letter.eventId)).toBe(before + 2);
    expect((await call('GET', `/broker/dead-letters/${letter.id}`, admin)).body.state).toBe('replayed');
    // Replayed is done: no second delivery.
    expectProblem(await call('POST', `/broker/dead-letters/${letter.id}/replay`, admin), 409);
    expect(called(letter.eventId)).toBe(before + 2);
    expectProblem(await call('POST', `/broker/dead-letters/${randomUUID()}/replay`, admin), 404);
  });

  it('answers a replay repeated with the same Idempotency-Key once, delivering once', async () => {
    mood.moody = 'failing';
    const [letter] = (await deadLettersOf(poked.type, 1)) as [Letter];
    mood.moody = 'fine';
    const before = called(letter.eventId);
    const key = { 'idempotency-key': randomUUID() };
    const first = await call('POST', `/broker/dead-letters/${letter.id}/replay`, admin, undefined, key);
    const again = await call('POST', `/broker/dead-letters/${letter.id}/replay`, admin, undefined, key);
    expect(first.status).toBe(200);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(called(letter.eventId)).toBe(before + 1);

    // The query string is part of the request a key names: another selection is another request.
    const batchKey = { 'idempotency-key': randomUUID() };
    const byType = await call('POST', `/broker/dead-letters/replay?type=${encodeURIComponent(poked.type)}`, admin, undefined, batchKey);
    expect(byType.status).toBe(200);
    expect((await call('POST', `/broker/dead-letters/replay?type=${encodeURIComponent(poked.type)}`, admin, undefined, batchKey)).body).toEqual(byType.body);
    expectProblem(await call('POST', `/broker/dead-letters/replay?subscriber=${stubborn.name}`, admin, undefined, batchKey), 422);
  });

  it('replays every dead letter of a type, and of a subscriber', async () => {
    mood.moody = 'failing';
    mood.stubborn = 'refusing';
    const pokes = await deadLettersOf(poked.type, 2);
    const prods = await deadLettersOf(prodded.type, 2);

    mood.moody = 'fine';
    const byType = await call('POST', `/broker/dead-letters/replay?type=${encodeURIComponent(poked.type)}`, admin);
    expect(byType.status).toBe(200);
    expect(byType.body.type).toBe(poked.type);
    expect(byType.body.items.map((i: { id: string }) => i.id)).toEqual(expect.arrayContaining(pokes.map((l) => l.id)));
    expect(byType.body.items.every((i: { outcome: string }) => i.outcome === 'delivered')).toBe(true);
    expect(byType.body.refused).toBe(0);
    for (const l of pokes) expect((await call('GET', `/broker/dead-letters/${l.id}`, admin)).body.state).toBe('replayed');
    // The other type's letters were not touched.
    for (const l of prods) expect(called(l.eventId)).toBe(1);

    mood.stubborn = 'fine';
    const bySubscriber = await call('POST', `/broker/dead-letters/replay?subscriber=${stubborn.name}`, admin);
    expect(bySubscriber.status).toBe(200);
    expect(bySubscriber.body.items.map((i: { id: string }) => i.id)).toEqual(expect.arrayContaining(prods.map((l) => l.id)));
    for (const l of prods) expect(called(l.eventId)).toBe(2);
    const left = await call('GET', `/broker/dead-letters?subscriber=${stubborn.name}&state=dead`, admin);
    expect(left.body.items).toEqual([]);
  });

  it('discards a letter with a reason, keeps it, and never replays it', async () => {
    mood.stubborn = 'refusing';
    const [letter, other] = (await deadLettersOf(prodded.type, 2)) as [Letter, Letter];
    expectProblem(await call('POST', `/broker/dead-letters/${letter.id}/discard`, admin, {}), 422, '/reason');
    expectProblem(await call('POST', `/broker/dead-letters/${letter.id}/discard`, admin, { reason: '   ' }), 422, '/reason');
    const discarded = await call('POST', `/broker/dead-letters/${letter.id}/discard`, admin, { reason: 'poisoned test data' });
    expect(discarded.status).toBe(200);
    expect(discarded.body).toMatchObject({ id: letter.id, state: 'discarded', discardReason: 'poisoned test data', discardedAt: expect.any(String) });
    expect((await call('GET', `/broker/dead-letters/${letter.id}`, admin)).body.state).toBe('discarded');
    expectProblem(await call('POST', `/broker/dead-letters/${letter.id}/discard`, admin, { reason: 'again' }), 409);
    expectProblem(await call('POST', `/broker/dead-letters/${randomUUID()}/discard`, admin, { reason: 'none such' }), 404);

    mood.stubborn = 'fine';
    expectProblem(await call('POST', `/broker/dead-letters/${letter.id}/replay`, admin), 409);
    const all = await call('POST', `/broker/dead-letters/replay?subscriber=${stubborn.name}`, admin);
    expect(all.body.items.map((i: { id: string }) => i.id)).toContain(other.id);
    expect(all.body.items.map((i: { id: string }) => i.id)).not.toContain(letter.id);
    expect(called(letter.eventId)).toBe(1);
    expect((await call('GET', `/broker/dead-letters/${letter.id}`, admin)).body).toMatchObject({ state: 'discarded', discardReason: 'poisoned test data' });
  });

  it('counts the dead letters waiting for each function in GET /functions', async () => {
    mood.moody = 'failing';
    await deadLettersOf(poked.type, 1);
    const table = await call('GET', '/functions');
    expect(table.status).toBe(200);
    const row = (name: string) => table.body.items.find((f: { name: string }) => f.name === name);
    expect(row(moody.name).deadLetters).toBeGreaterThanOrEqual(1);
    for (const name of [
      'platform-list-dead-letters',
      'platform-get-dead-letter',
      'platform-replay-dead-letter',
      'platform-replay-dead-letters',
      'platform-discard-dead-letter',
    ]) {
      expect(row(name)).toMatchObject({ context: 'platform', access: ['admin'] });
    }
    expect(row('platform-list-broker-events')).toMatchObject({ route: 'GET /broker/events', localOnly: true });
  });

  it('pages the broker trace (GET /broker/events) with an opaque cursor', async () => {
    const correlation = `trace-${randomUUID()}`;
    const events: ReceivedEvent<unknown>[] = [];
    for (let i = 0; i < 3; i += 1) events.push(await publish('com.gotuto.dltest.unheard.v1', correlation));
    const all = await waitFor(
      () => call('GET', `/broker/events?correlationid=${correlation}`, admin),
      (r) => r.body.items.length === 3,
      15_000,
    );
    expect(all.body.items.map((i: { event: { id: string } }) => i.event.id)).toEqual(events.map((e) => e.id));
    const first = await call('GET', `/broker/events?correlationid=${correlation}&limit=2`, admin);
    expect(first.body.items).toHaveLength(2);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    expect(first.body.nextCursor).not.toMatch(/^\d+$/);
    const second = await call('GET', `/broker/events?correlationid=${correlation}&limit=2&cursor=${first.body.nextCursor}`, admin);
    expect(second.body.items.map((i: { event: { id: string } }) => i.event.id)).toEqual([events[2]?.id]);
    expect(second.body.nextCursor).toBeNull();
    expectProblem(await call('GET', '/broker/events?cursor=%%%', admin), 422, '/query/cursor');
    expectProblem(await call('GET', '/broker/events?limit=0', admin), 422, '/query/limit');
    expectProblem(await call('GET', '/broker/events?limit=abc', admin), 422, '/query/limit');
  });
});
