// npm run bench -- pglite: the embedded database's wire (functions/runtime/pglite-server.ts). One
// in-memory PGlite; BENCH_PGLITE_QUERIES (2000) queries one after the other, each way, mean ms:
//   select   SELECT $1::int (a parameterised query: Parse, Bind, Describe, Execute, Sync)
//   insert   a one-row INSERT with a text and a jsonb parameter, on its own (autocommit)
// through pg in this process (the pool a function gets, over the in-memory stream), through pg over
// the loopback socket (another process's way in), and PGlite's own query() without pg (the floor).
import pg from 'pg';
import { closeDatabases, poolFor, startEmbeddedDatabase } from '../../functions/runtime/db.js';

export interface PgliteFigures {
  queries: number;
  /** Mean ms per query. */
  select: { inProcess: number; socket: number; direct: number };
  insert: { inProcess: number; socket: number; direct: number };
}

type Run = (sql: string, params: unknown[]) => Promise<unknown>;

const SELECT = 'SELECT $1::int AS n';
const INSERT = 'INSERT INTO bench_notes (body, doc) VALUES ($1, $2)';

const meanMs = async (queries: number, run: Run, sql: string, params: (i: number) => unknown[]): Promise<number> => {
  for (let i = 0; i < 100; i++) await run(sql, params(i));
  const started = performance.now();
  for (let i = 0; i < queries; i++) await run(sql, params(i));
  return Math.round(((performance.now() - started) / queries) * 1000) / 1000;
};

export const pgliteScenario = async (queries: number, log: (message: string) => void): Promise<PgliteFigures> => {
  const saved = process.env.DATABASE_URL;
  const db = await startEmbeddedDatabase(undefined);
  process.env.DATABASE_URL = db.url;
  const socket = new pg.Client({ connectionString: db.url });
  try {
    const pool = await poolFor();
    await socket.connect();
    await pool.query('CREATE TABLE bench_notes (id serial PRIMARY KEY, body text NOT NULL, doc jsonb NOT NULL)');
    const { PGlite } = await import('@electric-sql/pglite');
    const direct = await PGlite.create();
    await direct.query('CREATE TABLE bench_notes (id serial PRIMARY KEY, body text NOT NULL, doc jsonb NOT NULL)');
    const ways: Record<'inProcess' | 'socket' | 'direct', Run> = {
      inProcess: (sql, params) => pool.query(sql, params),
      socket: (sql, params) => socket.query(sql, params),
      direct: (sql, params) => direct.query(sql, params),
    };
    const figures: PgliteFigures = { queries, select: { inProcess: 0, socket: 0, direct: 0 }, insert: { inProcess: 0, socket: 0, direct: 0 } };
    for (const way of ['inProcess', 'socket', 'direct'] as const) {
      figures.select[way] = await meanMs(queries, ways[way], SELECT, (i) => [i]);
      figures.insert[way] = await meanMs(queries, ways[way], INSERT, (i) => [`note ${i}`, JSON.stringify({ n: i })]);
      log(`pglite, ${way}: select ${figures.select[way]} ms, insert ${figures.insert[way]} ms`);
    }
    await direct.close();
    return figures;
  } finally {
    await socket.end().catch(() => undefined);
    await closeDatabases();
    await db.stop();
    if (saved === undefined) delete process.env.DATABASE_URL;
    else process.env.DATABASE_URL = saved;
  }
};
