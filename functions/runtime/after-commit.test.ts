// tx.afterCommit as a command and an event handler meet it: the work queued in a transaction runs
// once that transaction has committed, and not at all for one that rolled back (a conflict, answered
// 409 and retried), so the retry that commits runs it once.
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { defineEvent } from '../../events/index.js';
import { command, handler, type RegisteredFunction, type Tx } from './definition.js';
import { Conflict } from './errors.js';
import { startFunctions, tokenFor, useTestDatabase } from './testing.js';

const tallied = defineEvent<{ key: string }>('probe', 'tallied', 1, {
  $id: 'https://gotuto.dev/schemas/events/probe/tallied.v1.json',
  type: 'object',
  required: ['key'],
  properties: { key: { type: 'string', minLength: 1 } },
});

/** What the functions' after-commit work saw, by key; and how many conflicts are still to come. */
const ran: string[] = [];
let conflictsLeft = 0;

/** Counts `key` in the table, queues its after-commit work, then meets the conflict it was told to. */
const tally = async (tx: Tx, key: string) => {
  await tx.query('INSERT INTO probe.tallies (key, n) VALUES ($1, 1) ON CONFLICT (key) DO UPDATE SET n = probe.tallies.n + 1', [key]);
  tx.afterCommit(() => ran.push(key));
  if (conflictsLeft > 0) {
    conflictsLeft -= 1;
    throw new Conflict(`tally ${key} changed meanwhile; retry`);
  }
};

const fn = (path: string, definition: RegisteredFunction['definition']): RegisteredFunction => ({
  name: `probe-${path.split('/').pop()}`,
  context: 'probe',
  path: `probe/${path}`,
  definition,
});
const tallyCommand = fn(
  'commands/tally',
  command<{ key: string }>({
    route: 'POST /probe/tallies',
    access: ['admin'],
    body: { $id: 'https://gotuto.dev/schemas/probe/tally.json', type: 'object', required: ['key'], properties: { key: { type: 'string', minLength: 1 } } },
    handle: ({ body }, ctx) => ctx.inTransaction((tx) => tally(tx, body.key).then(() => ({ key: body.key }))),
  }),
);
const onTallied = fn('handlers/on-tallied', handler({ event: tallied, handle: (event, ctx) => tally(ctx.tx, event.data.key) }));

const db = useTestDatabase(['probe']);
const api = startFunctions([tallyCommand, onTallied]);
let admin: string;
beforeAll(async () => {
  await db.query('CREATE TABLE probe.tallies (key text PRIMARY KEY, n integer NOT NULL)');
  admin = await tokenFor('admin');
});

const countOf = async (key: string) => (await db.query<{ n: number }>('SELECT n FROM probe.tallies WHERE key = $1', [key]))[0]?.n;

describe('tx.afterCommit', () => {
  it('runs a command’s work after commit, and not for the attempt that rolled back', async () => {
    const key = randomUUID();
    conflictsLeft = 1;
    expect((await api.request('POST', '/probe/tallies', { token: admin, body: { key } })).status).toBe(409);
    expect(await countOf(key)).toBeUndefined();
    expect(ran.filter((k) => k === key)).toEqual([]);
    expect((await api.request('POST', '/probe/tallies', { token: admin, body: { key } })).status).toBe(200);
    expect(await countOf(key)).toBe(1);
    expect(ran.filter((k) => k === key)).toEqual([key]);
  });

  it('runs a handler’s work once for an event whose first delivery met a conflict and was redelivered', async () => {
    const key = randomUUID();
    const event = { id: randomUUID(), type: tallied.type, data: { key } };
    conflictsLeft = 1;
    expect((await api.deliver('probe/handlers/on-tallied', event)).status).toBe(409);
    expect(ran.filter((k) => k === key)).toEqual([]);
    expect((await api.deliver('probe/handlers/on-tallied', event)).status).toBe(204);
    // A third delivery of the same event meets the inbox: nothing changes, nothing runs again.
    expect((await api.deliver('probe/handlers/on-tallied', event)).status).toBe(204);
    expect(await countOf(key)).toBe(1);
    expect(ran.filter((k) => k === key)).toEqual([key]);
  });
});
