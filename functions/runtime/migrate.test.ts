// `npm run migrate -- down --all` then `up`, on one database shared by every context: on the
// embedded database (the default) and on PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDatabases, createDatabase, poolFor, startEmbeddedDatabase, type EmbeddedDatabase } from './db.js';
import { migrateDown, migrateUp, migratedContexts } from './migrate.js';

const schemas = async (): Promise<string[]> => {
  const { rows } = await (
    await poolFor()
  ).query<{ name: string }>(`SELECT nspname AS name FROM pg_namespace WHERE nspname = ANY($1) ORDER BY nspname`, [[...migratedContexts(), 'platform']]);
  return rows.map((r) => r.name);
};

const kinds = process.env.DATABASE_URL ? (['embedded', 'PostgreSQL'] as const) : (['embedded'] as const);

for (const kind of kinds) {
  describe(`down --all, then up, on ${kind}`, () => {
    const adminUrl = process.env.DATABASE_URL;
    let embedded: EmbeddedDatabase | undefined;
    let database: { url: string; drop(): Promise<void> } | undefined;

    beforeAll(async () => {
      if (kind === 'embedded') {
        embedded = await startEmbeddedDatabase(undefined);
        process.env.DATABASE_URL = embedded.url;
      } else {
        database = await createDatabase(adminUrl as string, 'gotuto_migrate');
        process.env.DATABASE_URL = database.url;
      }
      await migrateUp();
    }, 120_000);

    afterAll(async () => {
      await closeDatabases();
      await embedded?.stop();
      await database?.drop();
      process.env.DATABASE_URL = adminUrl;
    });

    it('reverts every migration of every context and leaves no schema of the platform behind', async () => {
      const reverted = await migrateDown(migratedContexts(), true);
      expect(reverted).toContain('platform/000_messaging');
      expect(reverted).toContain('billing/001_clients_and_invoices');
      // Reverse order: a context's latest migration first, and billing (applied first) last.
      expect(reverted.indexOf('billing/003_order_invoices')).toBeLessThan(reverted.indexOf('billing/001_clients_and_invoices'));
      expect(reverted.at(-1)).toBe('billing/000_messaging');
      expect(await schemas()).toEqual([]);
    }, 120_000);

    it('then up applies everything again, and down --all has nothing left to do', async () => {
      const applied = await migrateUp();
      expect(applied).toContain('platform/004_dead_letter_trigger');
      expect(await schemas()).toEqual([...new Set([...migratedContexts(), 'platform'])].sort());
      expect(await migrateUp()).toEqual([]);
    }, 120_000);
  });
}
