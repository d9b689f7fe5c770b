// A command whose transaction meets a concurrent writer's conflict (SQLSTATE 40001 or 40P01),
// whether a statement or the COMMIT itself is refused: the runtime runs the whole transaction
// again, a bounded number of times, and answers 409 when every attempt conflicted. The caller sees
// the success of a later attempt or a 409, never a 500, and nothing of a failed attempt stays.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { defineEvent } from '../../events/index.js';
import { command, type RegisteredFunction } from './definition.js';
import { CONFLICT_ATTEMPTS } from './conflict-retry.js';
import { outboxEvents, startFunctions, tokenFor, useTestDatabase } from './testing.js';

const noteAdded = defineEvent<{ noteId: string; text: string }>('probe', 'note-added', 1, {
  $id: 'https://gotuto.dev/schemas/events/probe/note-added.v1.json',
  type: 'object',
  required: ['noteId', 'text'],
  properties: { noteId: { type: 'string', format: 'uuid' }, text: { type: 'string' } },
});

/** Released by the test while the command waits between its last statement and its COMMIT. */
let gate: { reached: () => void; open: Promise<void> } | undefined;
let attempts = 0;
let afterCommitRuns = 0;

const addNote = {
  name: 'probe-add-note',
  context: 'probe',
  path: 'probe/commands/add-note',
  definition: command<{ text: string; serializable?: boolean }, Record<string, string>, Record<string, string>, { id: string; attempt: number }>({
    route: 'POST /probe/notes',
    access: ['admin'],
    body: {
      $id: 'https://gotuto.dev/schemas/probe/add-note.json',
      type: 'object',
      additionalProperties: false,
      required: ['text'],
      properties: { text: { type: 'string', minLength: 1 }, serializable: { type: 'boolean' } },
    },
    status: 201,
    handle: ({ body }, ctx) =>
      ctx.inTransaction(async (tx) => {
        attempts += 1;
        const attempt = attempts;
        if (body.serializable) await tx.query('SET TRANSACTION ISOLATION LEVEL SERIALIZABLE');
        // Reads the tallies, writes a note: under SERIALIZABLE, a concurrent transaction that read
        // the notes and wrote a tally makes one of the two fail.
        await tx.query('SELECT count(*) FROM probe.tallies');
        const id = randomUUID();
        await tx.query('INSERT INTO probe.notes (id, text, attempt) VALUES ($1, $2, $3)', [id, body.text, attempt]);
        await tx.emit(noteAdded.build(id, { noteId: id, text: body.text }));
        tx.afterCommit(() => {
          afterCommitRuns += 1;
        });
        const waiting = gate;
        gate = undefined;
        if (waiting) {
          waiting.reached();
          await waiting.open;
        }
        return { id, attempt };
      }),
  }),
} satisfies RegisteredFunction;

// Read before useTestDatabase points DATABASE_URL at this file's own database.
const onPostgres = process.env.DATABASE_URL !== undefined;
const db = useTestDatabase(['probe']);
beforeAll(async () => {
  await db.query(`CREATE TABLE probe.notes (id uuid PRIMARY KEY, text text NOT NULL, attempt integer NOT NULL)`);
  await db.query(`CREATE TABLE probe.tallies (id serial PRIMARY KEY, seen integer NOT NULL)`);
  // Refuses the next `remaining` commits that add a note, as a concurrent writer's conflict would;
  // a sequence counts the commits tried, since it survives their rollback.
  await db.query(`CREATE TABLE probe.conflicts (code text NOT NULL, remaining integer NOT NULL)`);
  await db.query(`CREATE SEQUENCE probe.commits_tried`);
  await db.query(`CREATE FUNCTION probe.refuse_commit() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE planned probe.conflicts;
    BEGIN
      SELECT * INTO planned FROM probe.conflicts LIMIT 1;
      IF FOUND AND nextval('probe.commits_tried') <= planned.remaining THEN
        RAISE EXCEPTION 'note % met a concurrent change', NEW.id USING ERRCODE = planned.code;
      END IF;
      RETURN NULL;
    END $$`);
  await db.query(`CREATE CONSTRAINT TRIGGER refuse_commit AFTER INSERT ON probe.notes
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION probe.refuse_commit()`);
});

const api = startFunctions([addNote]);
let admin: string;
beforeAll(async () => {
  admin = await tokenFor('admin');
});

/** The next `remaining` commits that add a note fail with SQLSTATE `code`. */
const refuseCommits = async (code: string, remaining: number) => {
  await db.query('DELETE FROM probe.conflicts');
  await db.query(`ALTER SEQUENCE probe.commits_tried RESTART`);
  await db.query('INSERT INTO probe.conflicts (code, remaining) VALUES ($1, $2)', [code, remaining]);
};
const notes = (text: string) => db.query<{ id: string; attempt: number }>('SELECT id, attempt FROM probe.notes WHERE text = $1', [text]);
const published = async (text: string) => (await outboxEvents('probe')).filter((e) => (e.data as { text?: string }).text === text);

afterEach(async () => {
  await db.query('DELETE FROM probe.conflicts');
  attempts = 0;
  afterCommitRuns = 0;
});

describe('a command whose transaction meets a concurrent change', () => {
  it('is run again when its COMMIT fails with 40001, and answers the later attempt: one row, one event, after-commit work once', async () => {
    await refuseCommits('40001', 1);
    const text = `retried-${randomUUID()}`;
    const res = await api.request('POST', '/probe/notes', { token: admin, body: { text } });
    expect(res.status).toBe(201);
    expect(res.body.attempt).toBe(2);
    expect(await notes(text)).toEqual([{ id: res.body.id, attempt: 2 }]);
    expect((await published(text)).map((e) => e.subject)).toEqual([res.body.id]);
    expect(afterCommitRuns).toBe(1);
  });

  it('records the answer of the attempt that committed under its Idempotency-Key, and replays it', async () => {
    await refuseCommits('40001', 1);
    const text = `idempotent-${randomUUID()}`;
    const headers = { 'idempotency-key': randomUUID() };
    const first = await api.request('POST', '/probe/notes', { token: admin, body: { text }, headers });
    expect(first.status).toBe(201);
    expect(first.body.attempt).toBe(2);
    const again = await api.request('POST', '/probe/notes', { token: admin, body: { text }, headers });
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(await notes(text)).toEqual([{ id: first.body.id, attempt: 2 }]);
  });

  for (const code of ['40001', '40P01']) {
    it(`answers 409 problem+json when every attempt's COMMIT fails with ${code}, and keeps nothing`, async () => {
      await refuseCommits(code, 1000);
      const text = `refused-${code}-${randomUUID()}`;
      const res = await api.request('POST', '/probe/notes', { token: admin, body: { text } });
      expect(res.status).toBe(409);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ type: 'https://gotuto.dev/problems/conflict', status: 409 });
      expect(res.body.detail).toMatch(/concurrent change.*retry/);
      expect(attempts).toBe(CONFLICT_ATTEMPTS);
      expect(await notes(text)).toEqual([]);
      expect(await published(text)).toEqual([]);
      expect(afterCommitRuns).toBe(0);
    });
  }

  // Two real SERIALIZABLE transactions on PostgreSQL; the embedded database runs one transaction at a time.
  it.skipIf(!onPostgres)('under SERIALIZABLE, loses to a concurrent transaction at COMMIT, then succeeds on its next attempt', async () => {
    const other = new pg.Client({ connectionString: db.url });
    await other.connect();
    try {
      const text = `serializable-${randomUUID()}`;
      // The other transaction reads the notes and writes a tally; the command reads the tallies
      // and writes a note; the other commits first, so the command's COMMIT is the one refused.
      await other.query('BEGIN ISOLATION LEVEL SERIALIZABLE');
      await other.query('SELECT count(*) FROM probe.notes');
      let reached = () => {};
      let open = () => {};
      const atCommit = new Promise<void>((resolve) => (reached = resolve));
      gate = { reached: () => reached(), open: new Promise<void>((resolve) => (open = resolve)) };
      const answer = api.request('POST', '/probe/notes', { token: admin, body: { text, serializable: true } });
      await atCommit;
      await other.query('INSERT INTO probe.tallies (seen) VALUES (1)');
      await other.query('COMMIT');
      open();
      const res = await answer;
      expect(res.status).toBe(201);
      expect(res.body.attempt).toBe(2);
      expect(await notes(text)).toEqual([{ id: res.body.id, attempt: 2 }]);
      expect((await published(text)).map((e) => e.subject)).toEqual([res.body.id]);
      expect(afterCommitRuns).toBe(1);
    } finally {
      await other.end();
    }
  });
});
