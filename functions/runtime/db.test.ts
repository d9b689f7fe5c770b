// The embedded default: with no DATABASE_URL, the runtime starts PGlite under GOTUTO_DATA_DIR and
// serves it to `pg`; migrations run once each, revert, and the data outlives a restart.
import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDatabases, inTransaction, poolFor } from './db.js';
import { migrateDown, migrateUp, migratedContexts } from './migrate.js';

const saved = { url: process.env.DATABASE_URL, dir: process.env.GOTUTO_DATA_DIR, fns: process.env.GOTUTO_FUNCTIONS_DIR };
let root: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'gotuto-db-'));
  const functions = join(root, 'functions');
  mkdirSync(join(functions, 'demo', 'migrations'), { recursive: true });
  writeFileSync(
    join(functions, 'demo', 'migrations', '001_counters.up.sql'),
    '-- counters, to prove transactions serialise\nCREATE TABLE demo.counters (name text PRIMARY KEY, value integer NOT NULL);\n',
  );
  writeFileSync(join(functions, 'demo', 'migrations', '001_counters.down.sql'), 'DROP TABLE demo.counters;\n');
  writeFileSync(
    join(functions, 'demo', 'migrations', '002_notes.up.sql'),
    '-- notes keep any text as given\nCREATE TABLE demo.notes (id serial PRIMARY KEY, body text NOT NULL);\n',
  );
  writeFileSync(join(functions, 'demo', 'migrations', '002_notes.down.sql'), 'DROP TABLE demo.notes;\n');
  delete process.env.DATABASE_URL;
  process.env.GOTUTO_DATA_DIR = join(root, 'data');
  process.env.GOTUTO_FUNCTIONS_DIR = functions;
});

afterAll(async () => {
  await closeDatabases();
  process.env.DATABASE_URL = saved.url;
  process.env.GOTUTO_DATA_DIR = saved.dir;
  process.env.GOTUTO_FUNCTIONS_DIR = saved.fns;
  rmSync(root, { recursive: true, force: true });
});

describe('embedded PostgreSQL', () => {
  it('finds the contexts that have migrations', () => {
    expect(migratedContexts()).toEqual(['demo']);
  });

  it('applies each migration once, tracked, and reverts the latest', async () => {
    // The first statement also starts the embedded database, which is slow on a busy machine.
    expect(await migrateUp(['demo'])).toEqual(['demo/000_messaging', 'demo/001_counters', 'demo/002_notes']);
    expect(await migrateUp(['demo'])).toEqual([]);
    const pool = await poolFor('demo');
    const { rows } = await pool.query('SELECT version FROM platform.migrations WHERE context = $1 ORDER BY version', ['demo']);
    expect(rows.map((r) => r.version)).toEqual([0, 1, 2]);
    expect(await migrateDown(['demo'])).toEqual(['demo/002_notes']);
    await expect(pool.query('SELECT 1 FROM demo.notes')).rejects.toThrow(/does not exist/);
    expect(await migrateUp(['demo'])).toEqual(['demo/002_notes']);
  }, 180_000);

  it('serialises concurrent transactions without losing an update', async () => {
    const pool = await poolFor('demo');
    await pool.query("INSERT INTO demo.counters VALUES ('hits', 0)");
    await Promise.all(
      Array.from({ length: 20 }, () =>
        inTransaction(pool, async (tx) => {
          const { rows } = await tx.query<{ value: number }>("SELECT value FROM demo.counters WHERE name = 'hits' FOR UPDATE");
          await tx.query("UPDATE demo.counters SET value = $1 WHERE name = 'hits'", [(rows[0]?.value ?? 0) + 1]);
        }),
      ),
    );
    const { rows } = await pool.query("SELECT value FROM demo.counters WHERE name = 'hits'");
    expect(rows[0]?.value).toBe(20);
  });

  it('rolls back a transaction that throws', async () => {
    const pool = await poolFor('demo');
    await expect(
      inTransaction(pool, async (tx) => {
        await tx.query("INSERT INTO demo.notes (body) VALUES ('never')");
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    const { rows } = await pool.query("SELECT 1 FROM demo.notes WHERE body = 'never'");
    expect(rows).toHaveLength(0);
  });

  it('rolls back and rejects a transaction whose COMMIT fails, and the client serves the next one', async () => {
    const pool = await poolFor('demo');
    await pool.query('CREATE TABLE demo.pairs (id integer PRIMARY KEY, other integer NOT NULL REFERENCES demo.pairs (id) DEFERRABLE INITIALLY DEFERRED)');
    await expect(
      inTransaction(pool, async (tx) => {
        await tx.query('INSERT INTO demo.pairs VALUES (1, 2)');
      }),
    ).rejects.toThrow(/foreign key/);
    const { rows } = await pool.query('SELECT 1 FROM demo.pairs');
    expect(rows).toHaveLength(0);
    expect(await inTransaction(pool, async (tx) => (await tx.query('SELECT 1 AS one')).rows[0])).toEqual({ one: 1 });
    await pool.query('DROP TABLE demo.pairs');
  });

  it('runs the work of a transaction in the async context of its caller', async () => {
    const pool = await poolFor('demo');
    await pool.query('SELECT 1');
    const context = new AsyncLocalStorage<string>();
    const seen = await context.run('the caller', () =>
      inTransaction(pool, async (tx) => {
        await tx.query('SELECT 1');
        return context.getStore();
      }),
    );
    expect(seen).toBe('the caller');
  });

  it('keeps the data under GOTUTO_DATA_DIR across a restart', async () => {
    const body = "'); DROP TABLE demo.notes;-- Zoë 北京 🚀";
    await (await poolFor('demo')).query('INSERT INTO demo.notes (body) VALUES ($1)', [body]);
    await closeDatabases();
    const { rows } = await (await poolFor('demo')).query('SELECT body FROM demo.notes');
    expect(rows.map((r) => r.body)).toContain(body);
    expect(await migrateUp(['demo'])).toEqual([]);
  }, 180_000);
});
