// The data layer: one pg pool per database URL per process, transactions on one checked-out
// client, and the embedded PostgreSQL (PGlite, reached without a socket) when no URL is configured,
// so that `pg` is the only client function code ever sees.
import type { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { randomUUID } from 'node:crypto';
import { channel } from 'node:diagnostics_channel';
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { config } from './config.js';
import { lockDataDir, recordInDataDir } from './data-lock.js';
import { rootLogger } from './log.js';
import { PgliteBackend, PgliteStream, servePglite } from './pglite-server.js';
import { instrumentPool, transactionSpan } from './telemetry.js';

export type Row = Record<string, unknown>;

/** Anything that runs parameterised SQL: a pool or a client inside a transaction. */
export interface Queryable {
  query<R extends Row = Row>(sql: string, params?: unknown[]): Promise<pg.QueryResult<R>>;
}

// Dates stay strings (`date` columns have no time zone to guess); bigint counts become numbers.
pg.types.setTypeParser(pg.types.builtins.DATE, (v: string) => v);
pg.types.setTypeParser(pg.types.builtins.INT8, (v: string) => Number(v));

const pools = new Map<string, pg.Pool>();
/**
 * The first connections `connectEarly` is opening, by URL. A pool asked for a client while its only
 * connection is still being opened opens another one rather than wait for it (pg-pool), so the
 * pool is handed out once that connection is ready: a request arriving during the handshake waits
 * for the rest of it instead of doing a whole one of its own.
 */
const opening = new Map<string, Promise<void>>();

/** Each pool made is announced here, for a diagnostic that watches its queue (the warm benchmark's). */
const poolCreated = channel('gotuto:pg-pool');
/** The embedded databases this process serves, by URL: their pools reach PGlite without a socket. */
const embeddedBackends = new Map<string, PgliteBackend>();
let embedded: Promise<EmbeddedDatabase> | undefined;
let embeddedUrl: string | undefined;

export interface EmbeddedDatabase {
  url: string;
  dataDir: string | undefined;
  stop(): Promise<void>;
}

/**
 * Starts PGlite (PostgreSQL in WASM): this process's pools reach it in memory, other processes on
 * a loopback socket (the URL). `dataDir` undefined keeps it in memory; a data directory is locked
 * for this process while it runs (functions/runtime/data-lock.ts). PGlite runs one statement at
 * a time, and one transaction at a time (functions/runtime/pglite-server.ts).
 */
export const startEmbeddedDatabase = async (dataDir: string | undefined): Promise<EmbeddedDatabase> => {
  // Loaded on demand: a deployed function always has DATABASE_URL and never pays for PGlite.
  const [{ PGlite }, extensions] = await Promise.all([import('@electric-sql/pglite'), loadExtensions()]);
  let db: PGlite;
  let unlock = () => {};
  if (dataDir) {
    // One process opens a data directory: a second writer is how PGlite's data gets lost.
    unlock = lockDataDir(dataDir);
    try {
      db = await PGlite.create(join(dataDir, 'pg'), { extensions });
    } catch (error) {
      unlock();
      throw error;
    }
  } else {
    db = await inMemoryFromTemplate((options) => PGlite.create(undefined, { extensions, ...options }));
  }
  const backend = new PgliteBackend(db);
  const served = await servePglite(backend);
  const url = `postgres://postgres@127.0.0.1:${served.port}/postgres?sslmode=disable`;
  embeddedBackends.set(url, backend);
  // Tools started beside this process find the database here and go through it.
  if (dataDir) recordInDataDir(dataDir, { databaseUrl: url });
  return {
    url,
    dataDir,
    stop: async () => {
      embeddedBackends.delete(url);
      await served.stop();
      await db.close();
      unlock();
    },
  };
};

/**
 * A database in memory (tests) starts from a copy of a freshly initialised cluster, kept in the
 * temporary directory under the user's id, instead of running initdb again (about 5 s against under
 * 2 s). The first one on a machine makes the copy; a copy that is not the user's own, or that cannot
 * be loaded (another PGlite), is not used, and one that cannot be saved only costs the next start.
 */
export const inMemoryFromTemplate = async (
  create: (options?: { loadDataDir: Blob }) => Promise<PGlite>,
  template = join(tmpdir(), `gotuto-pglite-template-${process.getuid?.() ?? 'user'}.tar`),
): Promise<PGlite> => {
  const owned = existsSync(template) && (process.getuid === undefined || statSync(template).uid === process.getuid());
  if (owned) {
    try {
      return await create({ loadDataDir: new Blob([readFileSync(template)]) });
    } catch (error) {
      rootLogger.warn('embedded PostgreSQL template not loaded; initialising a new one', { template, error: String(error) });
    }
  }
  const db = await create();
  try {
    const dump = Buffer.from(await (await db.dumpDataDir('none')).arrayBuffer());
    // Written aside, then renamed: a concurrent reader sees the whole file or none.
    const partial = `${template}.${process.pid}.${Date.now()}`;
    writeFileSync(partial, dump, { mode: 0o600 });
    renameSync(partial, template);
  } catch (error) {
    rootLogger.warn('embedded PostgreSQL template not saved', { template, error: String(error) });
  }
  return db;
};

const loadExtensions = async () => {
  const [{ pg_trgm }, { unaccent }, { citext }] = await Promise.all([
    import('@electric-sql/pglite/contrib/pg_trgm'),
    import('@electric-sql/pglite/contrib/unaccent'),
    import('@electric-sql/pglite/contrib/citext'),
  ]);
  return { pg_trgm, unaccent, citext };
};

/** The URL of a context's database, starting the process's embedded database when none is set. */
export const databaseUrl = async (context?: string): Promise<string> => {
  const url = config.databaseUrl(context);
  if (url) return url;
  embedded ??= startEmbeddedDatabase(config.dataDir()).then((db) => {
    rootLogger.info('embedded PostgreSQL started', { dataDir: db.dataDir });
    embeddedUrl = db.url;
    return db;
  });
  return (await embedded).url;
};

/**
 * The pool `poolFor(context)` would give, when it exists already: found without waiting, since
 * every asynchronous step costs each request of a warm function.
 */
export const existingPool = (context?: string): pg.Pool | undefined => {
  const url = config.databaseUrl(context) ?? embeddedUrl;
  return url === undefined || opening.has(url) ? undefined : pools.get(url);
};

/** The process's pool for a context's database (created on first use, `PG_POOL_MAX` connections). */
export const poolFor = async (context?: string): Promise<pg.Pool> => {
  const url = await databaseUrl(context);
  await opening.get(url);
  return pools.get(url) ?? createPool(url);
};

/**
 * Opens one connection of a context's pool now, while the process starts, so that its first request
 * finds it ready (a cold start's first request always needs it). Only with a database URL set: it
 * never starts the embedded database. A failure is logged; the first request connects as usual.
 */
export const connectEarly = (context: string): void => {
  const url = config.databaseUrl(context);
  if (!url || pools.has(url) || opening.has(url)) return;
  const first = createPool(url)
    .connect()
    .then(
      (client) => client.release(),
      (error: unknown) => rootLogger.warn('could not connect to the database at start', { context, error: String(error) }),
    )
    .finally(() => opening.delete(url));
  opening.set(url, first);
};

const createPool = (url: string): pg.Pool => {
  const backend = embeddedBackends.get(url);
  const pool = backend
    ? // One statement runs at a time in PGlite: one connection, kept.
      new pg.Pool({ connectionString: url, max: 1, idleTimeoutMillis: 0, stream: () => new PgliteStream(backend) })
    : new pg.Pool({ connectionString: url, max: config.poolMax(), idleTimeoutMillis: 30_000 });
  // An idle client that loses its server must not crash the process; the pool replaces it.
  pool.on('error', (error) => rootLogger.warn('idle database client failed', { error: error.message }));
  instrumentPool(pool, url);
  if (poolCreated.hasSubscribers) poolCreated.publish(pool);
  pools.set(url, pool);
  return pool;
};

/**
 * Runs `fn` in one transaction on one client: commit when it resolves, roll back when it throws.
 * BEGIN, COMMIT and ROLLBACK go through pg's callbacks, which saves a warm function several
 * promises per request; `fn` itself runs as a continuation of the caller.
 */
export const inTransaction = <T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> =>
  transactionSpan(urlOf(pool), () => runTransaction(pool, fn));

/** The URL a pool of this module was made for (its span attributes). */
const urlOf = (pool: pg.Pool): string | undefined => (pool.options as { connectionString?: string }).connectionString;

const runTransaction = <T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    let client: pg.PoolClient | undefined;
    const fail = (error: unknown) => {
      const held = client;
      if (!held) {
        reject(error);
        return;
      }
      held.query('ROLLBACK', () => {
        held.release();
        reject(error);
      });
    };
    new Promise<pg.PoolClient>((begun, refused) => {
      pool.connect((connectError, connected) => {
        if (connectError || !connected) {
          refused(connectError ?? new Error('no database client'));
          return;
        }
        client = connected;
        connected.query('BEGIN', (beginError) => (beginError ? refused(beginError) : begun(connected)));
      });
    })
      .then(fn)
      .then((result) => {
        const held = client as pg.PoolClient;
        held.query('COMMIT', (commitError) => {
          if (commitError) {
            fail(commitError);
            return;
          }
          held.release();
          resolve(result);
        });
      }, fail);
  });

/** Closes every pool and the embedded database, if this process started one. */
export const closeDatabases = async (): Promise<void> => {
  const all = [...pools.values()];
  pools.clear();
  await Promise.all(all.map((p) => p.end()));
  if (embedded) {
    const db = await embedded;
    embedded = undefined;
    embeddedUrl = undefined;
    await db.stop();
  }
};

/** PostgreSQL's insufficient_privilege. */
const INSUFFICIENT_PRIVILEGE = '42501';

/**
 * Drops a database of the server of `adminUrl`, ending the connections still open to it (tests,
 * benchmarks). A role without pg_signal_backend may not end an autovacuum worker that is busy in
 * the database, and PostgreSQL then refuses the whole DROP; such a worker is done within moments,
 * so the DROP is tried again.
 */
export const dropDatabase = async (adminUrl: string, name: string, attempts = 40): Promise<void> => {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
        return;
      } catch (error) {
        if ((error as { code?: string }).code !== INSUFFICIENT_PRIVILEGE || attempt >= attempts) throw error;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  } finally {
    await admin.end();
  }
};

/** A new database on the server of `adminUrl`, named `<prefix>_<random>` (tests); `drop` removes it. */
export const createDatabase = async (adminUrl: string, prefix: string): Promise<{ url: string; drop(): Promise<void> }> => {
  const name = `${prefix}_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => dropDatabase(adminUrl, name) };
};
