import { describe, expect, it } from 'vitest';
import { migrateDown, migrateUp } from '../runtime/migrate.js';
import { useTestDatabase } from '../runtime/testing.js';

const db = useTestDatabase(['catalog']);

const has = async (sql: string) => (await db.query<{ found: boolean }>(`SELECT ${sql} IS NOT NULL AS found`))[0]?.found;
const extensions = async () =>
  (await db.query<{ extname: string }>("SELECT extname FROM pg_extension WHERE extname IN ('pg_trgm', 'unaccent') ORDER BY extname")).map((row) => row.extname);

describe("Catalog's migrations", () => {
  it('revert completely, leaving the shared extensions, and apply again', async () => {
    expect(await extensions()).toEqual(['pg_trgm', 'unaccent']);

    expect(await migrateDown(['catalog'], true)).toEqual(['catalog/001_categories_and_products', 'catalog/000_messaging']);
    expect(await has("to_regclass('catalog.products')")).toBe(false);
    expect(await has("to_regnamespace('catalog')")).toBe(false);
    expect(await extensions()).toEqual(['pg_trgm', 'unaccent']);

    expect(await migrateUp(['catalog'])).toEqual(['catalog/000_messaging', 'catalog/001_categories_and_products']);
    expect(await has("to_regclass('catalog.products_name_search')")).toBe(true);
    expect(await db.query("SELECT catalog.search_text('Crème BRÛLÉE') AS text")).toEqual([{ text: 'creme brulee' }]);
  });
});
