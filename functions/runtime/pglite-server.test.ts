// The embedded PostgreSQL's wire, as pg clients see it: in this process and over the socket, many
// clients at once get their own answers, a transaction keeps the others out until it ends, a
// client gone in the middle of one has it rolled back, and large messages arrive whole.
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedDatabase, type EmbeddedDatabase } from './db.js';
import { PgliteStream } from './pglite-server.js';

let db: EmbeddedDatabase;
const opened: pg.Client[] = [];

/** A client over the loopback socket, as another process would connect. */
const overSocket = async () => {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  opened.push(client);
  return client;
};

beforeAll(async () => {
  db = await startEmbeddedDatabase(undefined);
  const setup = await overSocket();
  await setup.query('CREATE TABLE wire_notes (id serial PRIMARY KEY, body text NOT NULL)');
}, 60_000);

afterAll(async () => {
  await Promise.all(opened.map((c) => c.end().catch(() => undefined)));
  await db?.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the embedded database wire', () => {
  it('answers many clients at once, each with its own rows', async () => {
    const clients = await Promise.all(Array.from({ length: 6 }, overSocket));
    const answers = await Promise.all(
      clients.map(async (client, c) => {
        const seen: string[] = [];
        for (let i = 0; i < 20; i++) {
          const { rows } = await client.query<{ n: number; tag: string }>('SELECT $1::int AS n, $2::text AS tag', [i, `client-${c}`]);
          seen.push(`${rows[0]?.tag}:${rows[0]?.n}`);
        }
        return seen;
      }),
    );
    expect(answers).toEqual(clients.map((_, c) => Array.from({ length: 20 }, (__, i) => `client-${c}:${i}`)));
  });

  it('keeps other clients out of an open transaction until it commits', async () => {
    const [a, b] = await Promise.all([overSocket(), overSocket()]);
    await a.query('BEGIN');
    await a.query("INSERT INTO wire_notes (body) VALUES ('inside')");
    let seen: number | undefined;
    const reading = b.query<{ n: number }>("SELECT count(*)::int AS n FROM wire_notes WHERE body = 'inside'").then((r) => {
      seen = r.rows[0]?.n;
    });
    await sleep(100);
    // b waits: it would otherwise run inside a's transaction (PGlite is one backend).
    expect(seen).toBeUndefined();
    await a.query('COMMIT');
    await reading;
    expect(seen).toBe(1);
  });

  it('rolls back the transaction of a client that goes away, and serves the others after it', async () => {
    const [a, b] = await Promise.all([overSocket(), overSocket()]);
    await a.query('BEGIN');
    await a.query("INSERT INTO wire_notes (body) VALUES ('abandoned')");
    const counted = b.query<{ n: number }>("SELECT count(*)::int AS n FROM wire_notes WHERE body = 'abandoned'");
    // The connection drops without a word (a crashed client).
    a.on('error', () => undefined);
    (a as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
    expect((await counted).rows[0]?.n).toBe(0);
    expect((await b.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });

  it('answers an SQL error to its client only, and the client goes on', async () => {
    const [a, b] = await Promise.all([overSocket(), overSocket()]);
    const [failed, fine] = await Promise.allSettled([a.query('SELECT * FROM no_such_table'), b.query('SELECT 2 AS two')]);
    expect(failed.status).toBe('rejected');
    expect(String((failed as PromiseRejectedResult).reason)).toMatch(/no_such_table/);
    expect(fine).toMatchObject({ status: 'fulfilled', value: { rows: [{ two: 2 }] } });
    expect((await a.query('SELECT 3 AS three')).rows).toEqual([{ three: 3 }]);
  });

  it('takes a message larger than a socket read whole', async () => {
    const client = await overSocket();
    const body = randomBytes(1_500_000).toString('base64');
    const { rows } = await client.query<{ id: number }>('INSERT INTO wire_notes (body) VALUES ($1) RETURNING id', [body]);
    const back = await client.query<{ body: string }>('SELECT body FROM wire_notes WHERE id = $1', [rows[0]?.id]);
    expect(back.rows[0]?.body).toBe(body);
  });

  it('declines TLS, so a client that prefers it goes on in the clear', async () => {
    const answer = await new Promise<string>((resolve, reject) => {
      const port = Number(new URL(db.url).port);
      const socket = connect(port, '127.0.0.1', () => {
        const request = Buffer.alloc(8);
        request.writeInt32BE(8, 0);
        request.writeInt32BE(80877103, 4);
        socket.write(request);
      });
      socket.once('data', (data) => {
        resolve(data.toString('latin1'));
        socket.destroy();
      });
      socket.once('error', reject);
    });
    expect(answer).toBe('N');
  });

  it('serves a pg pool in this process without a socket', async () => {
    const { PGlite } = await import('@electric-sql/pglite');
    const own = await PGlite.create();
    const { PgliteBackend } = await import('./pglite-server.js');
    const backend = new PgliteBackend(own);
    const pool = new pg.Pool({ connectionString: 'postgres://postgres@127.0.0.1/postgres', max: 3, stream: () => new PgliteStream(backend) });
    try {
      await pool.query('CREATE TABLE local_notes (body text)');
      await Promise.all(Array.from({ length: 10 }, (_, i) => pool.query('INSERT INTO local_notes VALUES ($1)', [`n${i}`])));
      const client = await pool.connect();
      await client.query('BEGIN');
      await client.query("INSERT INTO local_notes VALUES ('rolled back')");
      await client.query('ROLLBACK');
      client.release();
      expect((await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM local_notes')).rows[0]?.n).toBe(10);
    } finally {
      await pool.end();
      await own.close();
    }
  });
});
