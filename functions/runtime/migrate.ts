// Migrations per context: functions/<context>/migrations/NNN_name.up.sql and .down.sql, applied in
// order, each once, in its own transaction, tracked in platform.migrations of the context's
// database. Version 0 of every context is the runtime's messaging schema (outbox, inbox).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type pg from 'pg';
import { inTransaction, poolFor } from './db.js';
import { rootLogger } from './log.js';
import { messagingSchemaSql, schemaName } from './outbox.js';

export interface Migration {
  version: number;
  name: string;
  up: string;
  down: string;
}

const FILE = /^(\d{3})_([a-z0-9_]+)\.up\.sql$/;

export const functionsDir = (): string => resolve(process.env.GOTUTO_FUNCTIONS_DIR ?? 'functions');

/** Contexts that have a migrations folder. */
export const migratedContexts = (root = functionsDir()): string[] =>
  readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(root, entry.name, 'migrations')))
    .map((entry) => entry.name)
    .sort();

/** The NNN_name.up.sql / .down.sql pairs of one folder, in order. */
export const readMigrations = (dir: string): Migration[] => {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .sort()
    .flatMap((file) => {
      const match = FILE.exec(file);
      if (!match) return [];
      const downFile = join(dir, file.replace('.up.sql', '.down.sql'));
      if (!existsSync(downFile)) throw new Error(`${join(dir, file)} has no .down.sql`);
      return [{ version: Number(match[1]), name: match[2] as string, up: readFileSync(join(dir, file), 'utf8'), down: readFileSync(downFile, 'utf8') }];
    });
};

export const loadMigrations = (context: string, root = functionsDir()): Migration[] => [
  { version: 0, name: 'messaging', ...messagingSchemaSql(context) },
  ...readMigrations(join(root, context, 'migrations')),
];

/** The platform's own tables that every database of the platform has. */
const PLATFORM_SQL = `
CREATE SCHEMA IF NOT EXISTS platform;
CREATE TABLE IF NOT EXISTS platform.migrations (
  context text NOT NULL,
  version integer NOT NULL,
  name text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (context, version)
);
-- The first answer to a POST with an Idempotency-Key, replayed for retries of the same request.
CREATE TABLE IF NOT EXISTS platform.idempotency_keys (
  function text NOT NULL,
  caller text NOT NULL,
  key text NOT NULL,
  fingerprint text NOT NULL,
  status integer,
  headers jsonb,
  body text,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (function, caller, key)
);`;

const LOCK = 'SELECT pg_advisory_xact_lock(hashtext($1))';

const applied = async (db: pg.Pool, context: string): Promise<Set<number>> => {
  const { rows } = await db.query<{ version: number }>('SELECT version FROM platform.migrations WHERE context = $1', [context]);
  return new Set(rows.map((r) => r.version));
};

const ensurePlatform = (db: pg.Pool) =>
  inTransaction(db, async (tx) => {
    await tx.query(LOCK, ['gotuto-migrations']);
    await tx.query(PLATFORM_SQL);
  });

/** Applies what `db` has not recorded for `set` yet, each migration in its own transaction. */
const applyPending = async (db: pg.Pool, set: string, migrations: Migration[]): Promise<string[]> => {
  const done: string[] = [];
  await ensurePlatform(db);
  for (const migration of migrations) {
    const ran = await inTransaction(db, async (tx) => {
      await tx.query(LOCK, ['gotuto-migrations']);
      const { rowCount } = await tx.query('SELECT 1 FROM platform.migrations WHERE context = $1 AND version = $2', [set, migration.version]);
      if (rowCount) return false;
      await tx.query(migration.up);
      await tx.query('INSERT INTO platform.migrations (context, version, name) VALUES ($1, $2, $3)', [set, migration.version, migration.name]);
      return true;
    });
    if (ran) {
      done.push(`${set}/${String(migration.version).padStart(3, '0')}_${migration.name}`);
      rootLogger.debug('migration applied', { context: set, version: migration.version, name: migration.name });
    }
  }
  return done;
};

/** Applies every pending migration of the contexts; returns what was applied. */
export const migrateUp = async (contexts = migratedContexts()): Promise<string[]> => {
  const done: string[] = [];
  for (const context of contexts) done.push(...(await applyPending(await poolFor(context), context, loadMigrations(context))));
  return done;
};

/** A set of migrations outside the contexts (the local platform's own), kept in `database`'s database under `name`. */
export interface MigrationSet {
  name: string;
  dir: string;
  /** The context whose database holds the tables. */
  database: string;
}

/** Applies the pending migrations of one set; returns what was applied. */
export const migrateSet = async (set: MigrationSet): Promise<string[]> => applyPending(await poolFor(set.database), set.name, readMigrations(set.dir));

/**
 * Reverts the latest applied migration of each context, or all of them with `all`, contexts in the
 * reverse of the order `up` applies them. The `platform` schema also holds the migrations record of
 * every context of its database, so it is dropped last, once nothing in that database is migrated.
 */
export const migrateDown = async (contexts = migratedContexts(), all = false): Promise<string[]> => {
  const done: string[] = [];
  const pools = new Set<pg.Pool>();
  for (const context of [...contexts].reverse()) {
    const db = await poolFor(context);
    pools.add(db);
    await ensurePlatform(db);
    const versions = await applied(db, context);
    const migrations = loadMigrations(context)
      .filter((m) => versions.has(m.version))
      .reverse();
    for (const migration of all ? migrations : migrations.slice(0, 1)) {
      await inTransaction(db, async (tx) => {
        await tx.query(LOCK, ['gotuto-migrations']);
        await tx.query(migration.down);
        await tx.query('DELETE FROM platform.migrations WHERE context = $1 AND version = $2', [context, migration.version]);
        if (migration.version === 0 && context !== PLATFORM) await tx.query(`DROP SCHEMA IF EXISTS ${schemaName(context)}`);
      });
      done.push(`${context}/${String(migration.version).padStart(3, '0')}_${migration.name}`);
    }
  }
  if (all) for (const db of pools) await dropPlatformWhenUnused(db);
  return done;
};

const PLATFORM = 'platform';

/** Drops the platform's own tables and schema from a database where no migration remains applied. */
const dropPlatformWhenUnused = (db: pg.Pool) =>
  inTransaction(db, async (tx) => {
    await tx.query(LOCK, ['gotuto-migrations']);
    const { rowCount } = await tx.query('SELECT 1 FROM platform.migrations LIMIT 1');
    if (rowCount) return;
    await tx.query('DROP TABLE platform.idempotency_keys; DROP TABLE platform.migrations; DROP SCHEMA platform');
  });
