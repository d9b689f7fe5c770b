// The product search on a catalog of realistic size: answered from the trigram index on
// catalog.search_text(name), as EXPLAIN shows, on the embedded database and on PostgreSQL alike.
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { inTransaction, poolFor, type Queryable } from '../runtime/db.js';
import { useTestDatabase } from '../runtime/testing.js';
import { productListQuery, products } from './store.js';

const db = useTestDatabase(['catalog']);
const catalog: Queryable = { query: async (sql, params) => (await poolFor('catalog')).query(sql, params) };
const PRODUCTS = 20_000;
beforeAll(async () => {
  const categoryId = randomUUID();
  await db.query(`INSERT INTO catalog.categories (id, name, version, created_at, updated_at) VALUES ($1, 'Everything', 1, now(), now())`, [categoryId]);
  // Straight into the table: the functions would take minutes to make this many.
  await db.query(
    `INSERT INTO catalog.products (id, name, sku, price_amount, currency, category_id, version, created_at, updated_at)
     SELECT gen_random_uuid(),
            CASE WHEN n % 5000 = 0 THEN 'Crème Brûlée Set ' || n ELSE 'Product ' || md5(n::text) END,
            'GEN-' || n, 100 + n, 'EUR', $1, 1, now() + n * interval '1 millisecond', now()
     FROM generate_series(1, $2::int) AS n`,
    [categoryId, PRODUCTS],
  );
  await db.query('ANALYZE catalog.products');
}, 120_000);

/** The plan of the list query for `q`, with sequential scans allowed or not. */
const planOf = async (q: string, seqscan: boolean): Promise<string> => {
  const { sql, params } = productListQuery({ q }, { limit: 20 });
  return inTransaction(await poolFor('catalog'), async (client) => {
    if (!seqscan) await client.query('SET LOCAL enable_seqscan = off');
    const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, params);
    return rows.map((row) => row['QUERY PLAN']).join('\n');
  });
};

describe('the product search', () => {
  it('finds the few matching products among many', async () => {
    const page = await products.list(catalog, { q: 'CREME brulee' }, {});

    expect(page.items.map((p) => p.name)).toEqual([5000, 10000, 15000, 20000].map((n) => `Crème Brûlée Set ${n}`));
  });

  it('is answered from the trigram index products_name_search, not by reading every product', async () => {
    for (const plan of [await planOf('creme brulee', true), await planOf('brulee', false)]) {
      expect(plan).toMatch(/Bitmap Index Scan on products_name_search/);
      expect(plan).not.toMatch(/Seq Scan/);
    }
  });
});
