// The local platform's PostgreSQL: DATABASE_URL when set, else embedded PGlite under the data
// directory; and its migrations: every context's (what production applies), then the local
// platform's own set (local/migrations: the broker's tables, which production never gets).
import { fileURLToPath } from 'node:url';
import { startEmbeddedDatabase, type EmbeddedDatabase } from '../functions/runtime/db.js';
import { migrateSet, migrateUp, migratedContexts, type MigrationSet } from '../functions/runtime/migrate.js';

/** The tables of the local broker, kept in the platform context's database. */
export const LOCAL_MIGRATIONS: MigrationSet = {
  name: 'local-broker',
  dir: fileURLToPath(new URL('./migrations/', import.meta.url)),
  database: 'platform',
};

export interface Database {
  url: string;
  /** Set when the platform started embedded PostgreSQL itself. */
  embedded: EmbeddedDatabase | undefined;
}

/** Starts embedded PostgreSQL unless DATABASE_URL names a server; DATABASE_URL is set either way. */
export const openDatabase = async (dataDir: string): Promise<Database> => {
  if (process.env.DATABASE_URL) return { url: process.env.DATABASE_URL, embedded: undefined };
  const embedded = await startEmbeddedDatabase(dataDir);
  process.env.DATABASE_URL = embedded.url;
  return { url: embedded.url, embedded };
};

/** Applies what is pending: the contexts' migrations first, then the local platform's. */
export const migrateLocal = async (): Promise<string[]> => [...(await migrateUp(migratedContexts())), ...(await migrateSet(LOCAL_MIGRATIONS))];
