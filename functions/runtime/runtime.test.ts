// The runtime seen from outside: real HTTP to a function's own functions-framework server, a real
// database, and a CloudEvents sink in place of the broker.
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { defineEvent } from '../../events/index.js';
import { command, handler, outboxRelay, query, type RegisteredFunction, type Schema } from './definition.js';
import { Conflict, NotFound, PreconditionFailed } from './errors.js';
import { relayOutbox } from './outbox.js';
import { poolFor } from './db.js';
import { deliveryTokenFor, outboxEvents, startEventSink, startFunctions, tokenFor, useTestDatabase, type EventSink } from './testing.js';

const thingCreated = defineEvent<{ thingId: string; name: string }>('probe', 'thing-created', 1, {
  $id: 'https://gotuto.dev/schemas/events/probe/thing-created.v1.json',
  type: 'object',
  required: ['thingId', 'name'],
  properties: { thingId: { type: 'string', format: 'uuid' }, name: { type: 'string' } },
});
const thingNoted = defineEvent<{ thingId: string; note: string }>('probe', 'thing-noted', 1, {
  $id: 'https://gotuto.dev/schemas/events/probe/thing-noted.v1.json',
  type: 'object',
  required: ['thingId', 'note'],
  properties: { thingId: { type: 'string', format: 'uuid' }, note: { type: 'string', minLength: 1 } },
});

const createSchema: Schema = {
  $id: 'https://gotuto.dev/schemas/probe/create-thing.json',
  type: 'object',
  additionalProperties: false,
  required: ['name', 'email'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 200 },
    email: { type: 'string', format: 'email' },
    password: { type: 'string' },
    count: { type: 'integer', minimum: 0 },
  },
};

type Thing = { id: string; name: string; email: string; version: number; notes: number };

const fn = (path: string, definition: RegisteredFunction['definition']): RegisteredFunction => ({
  name: `probe-${path.split('/').pop()}`,
  context: 'probe',
  path: `probe/${path}`,
  definition,
});

const createThing = fn(
  'commands/create-thing',
  command<{ name: string; email: string }, Record<string, string>, Record<string, string>, Thing>({
    route: 'POST /probe/things',
    access: ['admin'],
    body: createSchema,
    status: 201,
    location: (thing) => `/probe/things/${thing.id}`,
    handle: ({ body }, ctx) =>
      ctx.inTransaction(async (tx) => {
        const id = randomUUID();
        const { rows } = await tx.query<Thing>('INSERT INTO probe.things (id, name, email) VALUES ($1, $2, $3) RETURNING id, name, email, version, notes', [
          id,
          body.name,
          body.email,
        ]);
        await tx.emit(thingCreated.build(id, { thingId: id, name: body.name }));
        return rows[0] as Thing;
      }),
  }),
);

const renameThing = fn(
  'commands/rename-thing',
  command<{ name: string }, { id: string }, Record<string, string>, Thing>({
    route: 'PATCH /probe/things/{id}',
    access: ['admin'],
    ifMatch: true,
    body: { $id: 'https://gotuto.dev/schemas/probe/rename-thing.json', type: 'object', required: ['name'], properties: { name: { type: 'string' } } },
    handle: ({ body, params, ifMatch }, ctx) =>
      ctx.inTransaction(async (tx) => {
        const { rows } = await tx.query<Thing>('SELECT * FROM probe.things WHERE id = $1 FOR UPDATE', [params.id]);
        const thing = rows[0];
        if (!thing) throw new NotFound(`thing ${params.id} does not exist`);
        if (ifMatch !== undefined && ifMatch !== thing.version) throw new PreconditionFailed(`thing is at version ${thing.version}`);
        const updated = await tx.query<Thing>('UPDATE probe.things SET name = $2, version = version + 1 WHERE id = $1 RETURNING *', [params.id, body.name]);
        return updated.rows[0] as Thing;
      }),
  }),
);

const getThing = fn(
  'queries/get-thing',
  query<Record<string, string>, { id: string }, Thing>({
    route: 'GET /probe/things/{id}',
    access: ['admin', 'customer'],
    handle: async ({ params }, ctx) => {
      const { rows } = await ctx.db.query<Thing>('SELECT * FROM probe.things WHERE id = $1', [params.id]);
      if (!rows[0]) throw new NotFound(`thing ${params.id} does not exist`);
      return rows[0];
    },
  }),
);

let conflictsLeft = 0;
const onThingNoted = fn(
  'handlers/on-thing-noted',
  handler({
    event: thingNoted,
    handle: async (event, ctx) => {
      if (conflictsLeft > 0) {
        conflictsLeft -= 1;
        throw new Conflict('stale version');
      }
      const { rowCount } = await ctx.tx.query('UPDATE probe.things SET notes = notes + 1 WHERE id = $1', [event.data.thingId]);
      if (rowCount === 0) throw new NotFound('no such thing yet');
      await ctx.tx.emit(thingCreated.build(event.data.thingId, { thingId: event.data.thingId, name: event.data.note }));
    },
  }),
);

const db = useTestDatabase(['probe']);
beforeAll(async () => {
  await db.query(`CREATE TABLE probe.things (
    id uuid PRIMARY KEY, name text NOT NULL, email text NOT NULL,
    version integer NOT NULL DEFAULT 1, notes integer NOT NULL DEFAULT 0)`);
});
// Emits an event whose data breaks its schema (an empty note): the producer's check (stamp) must stop it.
const noteBadly = fn(
  'commands/note-badly',
  command<{ name: string; email: string }>({
    route: 'POST /probe/bad-notes',
    access: ['admin'],
    body: createSchema,
    handle: ({ body }, ctx) =>
      ctx.inTransaction(async (tx) => {
        const id = randomUUID();
        await tx.query('INSERT INTO probe.things (id, name, email) VALUES ($1, $2, $3)', [id, body.name, body.email]);
        await tx.emit(thingNoted.build(id, { thingId: id, note: '' }));
        return { id };
      }),
  }),
);

const relay = fn('handlers/relay-outbox', outboxRelay());
const api = startFunctions([createThing, renameThing, getThing, onThingNoted, noteBadly, relay]);

let admin: string;
let customer: string;
beforeAll(async () => {
  admin = await tokenFor('admin');
  customer = await tokenFor('customer');
});

const count = async () => Number((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM probe.things'))[0]?.n);
const valid = { name: 'Ada', email: 'ada@example.com' };

describe('commands over HTTP', () => {
  it('answers 201 with the resource, its ETag and Location, and stores the event with the change', async () => {
    const res = await api.request('POST', '/probe/things', { token: admin, body: valid, headers: { 'x-correlation-id': 'corr-1' } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ name: 'Ada', email: 'ada@example.com', version: 1 });
    expect(res.headers.get('etag')).toBe('"1"');
    expect(res.headers.get('location')).toBe(`/probe/things/${res.body.id}`);
    expect(res.headers.get('x-correlation-id')).toBe('corr-1');
    const events = await outboxEvents('probe');
    const event = events.find((e) => e.subject === res.body.id);
    expect(event).toMatchObject({
      type: 'com.gotuto.probe.thing-created.v1',
      source: '/gotuto/probe',
      subject: res.body.id,
      partitionkey: res.body.id,
      correlationid: 'corr-1',
      dataschema: 'https://gotuto.dev/schemas/events/probe/thing-created.v1.json',
      data: { thingId: res.body.id, name: 'Ada' },
    });
    expect(event?.causationid).toBeTruthy();
  });

  it('never publishes an event whose data breaks its schema: a 500, the change rolled back, nothing in the outbox', async () => {
    const name = `bad-note-${randomUUID()}`;
    const res = await api.request('POST', '/probe/bad-notes', { token: admin, body: { name, email: 'bad@example.com' } });
    expect(res.status).toBe(500);
    expect(res.body.detail ?? '').not.toMatch(/note/);
    expect(await db.query('SELECT id FROM probe.things WHERE name = $1', [name])).toEqual([]);
    expect((await outboxEvents('probe')).filter((e) => e.type === 'com.gotuto.probe.thing-noted.v1')).toEqual([]);
  });

  it('stores SQL-looking and unicode strings exactly', async () => {
    const name = "'); DROP TABLE probe.things;-- Zoë 北京 🚀 \u0000\u200b".replace('\u0000', '');
    const res = await api.request('POST', '/probe/things', { token: admin, body: { name, email: 'x@example.com' } });
    expect(res.status).toBe(201);
    const read = await api.request('GET', `/probe/things/${res.body.id}`, { token: customer });
    expect(read.body.name).toBe(name);
  });

  describe('refuses bad input with a problem and changes nothing', () => {
    const cases: Array<
      [string, () => Promise<{ status: number; body: { type: string; detail: string; errors?: unknown[] }; headers: Headers }>, number, RegExp]
    > = [
      ['malformed JSON', () => api.request('POST', '/probe/things', { token: admin, rawBody: '{"name": "Ada",' }), 400, /not valid JSON/],
      [
        'wrong content type',
        () => api.request('POST', '/probe/things', { token: admin, rawBody: 'name=Ada', contentType: 'text/plain' }),
        415,
        /application\/json/,
      ],
      ['oversize body', () => api.request('POST', '/probe/things', { token: admin, body: { ...valid, name: 'x'.repeat(2 * 1024 * 1024) } }), 413, /limit/],
      ['no token', () => api.request('POST', '/probe/things', { body: valid }), 401, /bearer token/],
      ['a customer on an admin route', () => api.request('POST', '/probe/things', { token: customer, body: valid }), 403, /admin/],
      ['a schema violation', () => api.request('POST', '/probe/things', { token: admin, body: { name: 'Ada', email: 'not-an-email' } }), 422, /\/email/],
      ['an unknown field', () => api.request('POST', '/probe/things', { token: admin, body: { ...valid, admin: true } }), 422, /\/admin/],
    ];
    for (const [what, send, status, detail] of cases) {
      it(`${what}: ${status}`, async () => {
        const before = await count();
        const res = await send();
        expect(res.status).toBe(status);
        expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(res.body.type).toMatch(/^https:\/\/gotuto\.dev\/problems\//);
        expect(res.body.detail).toMatch(detail);
        expect(await count()).toBe(before);
      });
    }

    it('names every bad field by JSON pointer', async () => {
      const res = await api.request('POST', '/probe/things', { token: admin, body: { email: 'nope', count: -1 } });
      expect(res.status).toBe(422);
      const pointers = (res.body.errors as Array<{ pointer: string }>).map((e) => e.pointer).sort();
      expect(pointers).toEqual(['/count', '/email', '/name']);
    });

    it('refuses an expired token and one signed with another key', async () => {
      const expired = await new SignJWT({ role: 'admin' })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(randomUUID())
        .setIssuer('gotuto')
        .setAudience('gotuto')
        .setIssuedAt(1_600_000_000)
        .setExpirationTime(1_600_000_600)
        .sign(new TextEncoder().encode(process.env.JWT_SECRET));
      const forged = await new SignJWT({ role: 'admin' })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(randomUUID())
        .setIssuer('gotuto')
        .setAudience('gotuto')
        .setExpirationTime('1h')
        .sign(new TextEncoder().encode('another-secret-another-secret-another'));
      for (const [token, detail] of [
        [expired, /expired/],
        [forged, /invalid/],
      ] as const) {
        const before = await count();
        const res = await api.request('POST', '/probe/things', { token, body: valid });
        expect(res.status).toBe(401);
        expect(res.body.detail).toMatch(detail);
        expect(await count()).toBe(before);
      }
    });

    it('answers 404 for an unknown id, and for an id that is not a UUID', async () => {
      const res = await api.request('GET', `/probe/things/${randomUUID()}`, { token: admin });
      expect(res.status).toBe(404);
      expect(res.body.detail).toMatch(/does not exist/);
      const odd = await api.request('GET', `/probe/things/${encodeURIComponent("1' OR '1'='1")}`, { token: admin });
      expect(odd.status).toBe(404);
    });
  });

  it('answers 412 to a stale If-Match and keeps the resource as it was', async () => {
    const created = await api.request('POST', '/probe/things', { token: admin, body: valid });
    const renamed = await api.request('PATCH', `/probe/things/${created.body.id}`, { token: admin, body: { name: 'Grace' }, headers: { 'if-match': '"1"' } });
    expect(renamed.status).toBe(200);
    expect(renamed.headers.get('etag')).toBe('"2"');
    const stale = await api.request('PATCH', `/probe/things/${created.body.id}`, { token: admin, body: { name: 'Linus' }, headers: { 'if-match': '"1"' } });
    expect(stale.status).toBe(412);
    const read = await api.request('GET', `/probe/things/${created.body.id}`, { token: admin });
    expect(read.body).toMatchObject({ name: 'Grace', version: 2 });
  });

  it('replays the first answer to a retried POST with the same Idempotency-Key', async () => {
    const key = randomUUID();
    const first = await api.request('POST', '/probe/things', { token: admin, body: valid, headers: { 'idempotency-key': key } });
    const before = await count();
    const second = await api.request('POST', '/probe/things', { token: admin, body: valid, headers: { 'idempotency-key': key } });
    expect(second.status).toBe(201);
    expect(second.body).toEqual(first.body);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(await count()).toBe(before);
    const other = await api.request('POST', '/probe/things', { token: admin, body: { ...valid, name: 'Other' }, headers: { 'idempotency-key': key } });
    expect(other.status).toBe(422);
    expect(await count()).toBe(before);
  });

  it('writes one JSON log line per invocation, without secrets', async () => {
    const lines: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    const previous = process.env.LOG_LEVEL;
    process.env.LOG_LEVEL = 'info';
    try {
      await api.request('POST', '/probe/things', { token: admin, body: { ...valid, password: 'hunter2-secret' }, headers: { 'x-correlation-id': 'log-1' } });
    } finally {
      process.env.LOG_LEVEL = previous;
      spy.mockRestore();
    }
    const invocations = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'invocation');
    expect(invocations).toHaveLength(1);
    expect(invocations[0]).toMatchObject({ function: 'probe-create-thing', status: 201, correlationId: 'log-1' });
    expect(typeof invocations[0].durationMs).toBe('number');
    expect(lines.join('')).not.toContain('hunter2-secret');
    expect(lines.join('')).not.toContain(admin);
  });
});

describe('event handlers', () => {
  let thingId: string;
  beforeAll(async () => {
    thingId = (await api.request('POST', '/probe/things', { token: admin, body: valid })).body.id;
  });
  const notes = async () => (await db.query<{ notes: number }>('SELECT notes FROM probe.things WHERE id = $1', [thingId]))[0]?.notes;

  it('answers 204 and applies an event once, however often it is delivered', async () => {
    const id = randomUUID();
    const event = { id, type: thingNoted.type, subject: thingId, data: { thingId, note: 'hello' } };
    expect((await api.deliver('probe/handlers/on-thing-noted', event)).status).toBe(204);
    expect((await api.deliver('probe/handlers/on-thing-noted', event)).status).toBe(204);
    expect(await notes()).toBe(1);
    const caused = (await outboxEvents('probe')).filter((e) => e.causationid === id);
    expect(caused).toHaveLength(1);
    expect(caused[0]?.correlationid).toBe(id);
  });

  it('accepts structured mode', async () => {
    const body = JSON.stringify({
      specversion: '1.0',
      id: randomUUID(),
      type: thingNoted.type,
      source: '/test',
      subject: thingId,
      datacontenttype: 'application/json',
      data: { thingId, note: 'structured' },
    });
    const res = await api.requestAt('probe/handlers/on-thing-noted', 'POST', {
      rawBody: body,
      contentType: 'application/cloudevents+json',
      token: await deliveryTokenFor('probe-on-thing-noted'),
    });
    expect(res.status).toBe(204);
    expect(await notes()).toBe(2);
  });

  it('refuses invalid data with 422 for good, keeping the event and the reason', async () => {
    const id = randomUUID();
    const res = await api.deliver('probe/handlers/on-thing-noted', { id, type: thingNoted.type, data: { thingId, note: '' } });
    expect(res.status).toBe(422);
    expect(res.body.detail).toMatch(/\/note/);
    const kept = await db.query<{ reason: string }>('SELECT reason FROM probe.rejected_events WHERE event_id = $1', [id]);
    expect(kept[0]?.reason).toMatch(/\/note/);
    expect(await notes()).toBe(2);
  });

  it('answers 400 to a request that is not a CloudEvent', async () => {
    const res = await api.requestAt('probe/handlers/on-thing-noted', 'POST', { rawBody: '{}', token: await deliveryTokenFor('probe-on-thing-noted') });
    expect(res.status).toBe(400);
  });

  it('answers a retryable status for a conflict or an aggregate not there yet, and applies nothing', async () => {
    conflictsLeft = 1;
    const event = { id: randomUUID(), type: thingNoted.type, data: { thingId, note: 'retry me' } };
    expect((await api.deliver('probe/handlers/on-thing-noted', event)).status).toBe(409);
    expect(await notes()).toBe(2);
    expect((await api.deliver('probe/handlers/on-thing-noted', event)).status).toBe(204);
    expect(await notes()).toBe(3);
    const missing = await api.deliver('probe/handlers/on-thing-noted', { type: thingNoted.type, data: { thingId: randomUUID(), note: 'x' } });
    expect(missing.status).toBe(404);
  });
});

describe('publishing', () => {
  let sink: EventSink;
  beforeAll(async () => {
    sink = await startEventSink();
  });
  afterAll(async () => {
    delete process.env.K_SINK;
    await sink.close();
  });

  it('publishes after commit to K_SINK in binary mode and marks the row published', async () => {
    process.env.K_SINK = sink.url;
    const res = await api.request('POST', '/probe/things', { token: admin, body: { name: 'Published', email: 'p@example.com' } });
    const event = sink.received.find((e) => e.subject === res.body.id);
    expect(event).toMatchObject({ type: thingCreated.type, partitionkey: res.body.id, data: { thingId: res.body.id, name: 'Published' } });
    const rows = await db.query<{ published_at: Date | null }>('SELECT published_at FROM probe.outbox WHERE subject = $1', [res.body.id]);
    expect(rows[0]?.published_at).not.toBeNull();
  });

  it('loses nothing when publishing stops after commit: the relay delivers it, once, even run twice at once', async () => {
    // The sink refuses, as a broker that is down would: the command still succeeds.
    sink.status = 503;
    process.env.K_SINK = sink.url;
    const first = await api.request('POST', '/probe/things', { token: admin, body: { name: 'Late 1', email: 'l1@example.com' } });
    const second = await api.request('POST', '/probe/things', { token: admin, body: { name: 'Late 2', email: 'l2@example.com' } });
    expect(first.status).toBe(201);
    expect(sink.received.filter((e) => e.subject === first.body.id || e.subject === second.body.id)).toHaveLength(0);

    sink.status = 202;
    const pool = await poolFor('probe');
    const runs = await Promise.all([relayOutbox(pool, 'probe'), relayOutbox(pool, 'probe')]);
    expect(runs.map((r) => r.published).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(2);
    const delivered = sink.received.filter((e) => e.subject === first.body.id || e.subject === second.body.id);
    expect(delivered.map((e) => (e.data as { name: string }).name)).toEqual(['Late 1', 'Late 2']);
    // A later run finds nothing left.
    const again = await relayOutbox(pool, 'probe');
    expect(again.published).toBe(0);
    expect(sink.received.filter((e) => e.subject === first.body.id)).toHaveLength(1);
    const left = await db.query('SELECT 1 FROM probe.outbox WHERE published_at IS NULL');
    expect(left).toHaveLength(0);
  });

  it("publishes an aggregate's events in order even after a failure in the middle", async () => {
    sink.status = 503;
    const created = await api.request('POST', '/probe/things', { token: admin, body: { name: 'Ordered', email: 'o@example.com' } });
    const id = created.body.id as string;
    for (const note of ['one', 'two']) {
      expect((await api.deliver('probe/handlers/on-thing-noted', { type: thingNoted.type, subject: id, data: { thingId: id, note } })).status).toBe(204);
    }
    sink.status = 202;
    await relayOutbox(await poolFor('probe'), 'probe');
    expect(sink.received.filter((e) => e.subject === id).map((e) => (e.data as { name: string }).name)).toEqual(['Ordered', 'one', 'two']);
  });

  it('relays through the scheduled relay function, triggered by a PingSource tick', async () => {
    sink.status = 503;
    const created = await api.request('POST', '/probe/things', { token: admin, body: { name: 'Ticked', email: 't@example.com' } });
    sink.status = 202;
    const tick = await api.tick('probe/handlers/relay-outbox');
    expect(tick.status).toBe(204);
    expect(sink.received.filter((e) => e.subject === created.body.id)).toHaveLength(1);
  });
});
