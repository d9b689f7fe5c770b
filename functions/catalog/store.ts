// Catalog's SQL: every statement that reads or writes the catalog schema, parameterised.
import type { Queryable } from '../runtime/db.js';
import { Conflict, ValidationError, writing } from '../runtime/errors.js';
import type { Category, ParentMap } from './category.js';
import type { DeletedProduct, Money, Product, ProductStanding } from './product.js';

import { isUuid, cursorAt, decodeCursor, pageOf, limitOf, type PageRequest, type Page } from '../runtime/paging.js';
export { DEFAULT_LIMIT, MAX_LIMIT, isUuid, encodeCursor, decodeCursor, type PageRequest, type Page } from '../runtime/paging.js';

// ---- errors ------------------------------------------------------------------------------------

const staleVersion = (kind: string, id: string) => new Conflict(`${kind} ${id} was changed by another request; read it again`);

const gone = (pointer: string, id: string) => () => new ValidationError(`category ${id} does not exist`, [{ pointer, message: 'no such category' }]);

// ---- categories --------------------------------------------------------------------------------

type CategoryRow = {
  id: string;
  name: string;
  description: string | null;
  parent_id: string | null;
  version: number;
  created_at: Date;
  updated_at: Date;
};

const CATEGORY_COLUMNS = 'c.id, c.name, c.description, c.parent_id, c.version, c.created_at, c.updated_at';

const toCategory = (row: CategoryRow): Category => ({
  id: row.id,
  name: row.name,
  description: row.description,
  parentId: row.parent_id,
  version: row.version,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

const findCategory = async (db: Queryable, id: string): Promise<Category | undefined> => {
  if (!isUuid(id)) return undefined;
  const { rows } = await db.query<CategoryRow>(`SELECT ${CATEGORY_COLUMNS} FROM catalog.categories c WHERE c.id = $1`, [id]);
  return rows[0] && toCategory(rows[0]);
};

/**
 * The category, locked until the caller's transaction ends. A product or child filed under it
 * meanwhile waits on the lock (its foreign key check), and fails once the category is gone.
 */
const lockCategory = async (tx: Queryable, id: string): Promise<Category | undefined> => {
  if (!isUuid(id)) return undefined;
  const { rows } = await tx.query<CategoryRow>(`SELECT ${CATEGORY_COLUMNS} FROM catalog.categories c WHERE c.id = $1 FOR UPDATE`, [id]);
  return rows[0] && toCategory(rows[0]);
};

const insertCategory = (tx: Queryable, category: Category): Promise<void> =>
  writing(
    async () => {
      await tx.query(
        `INSERT INTO catalog.categories (id, name, description, parent_id, version, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [category.id, category.name, category.description, category.parentId, category.version, category.createdAt, category.updatedAt],
      );
    },
    // The parent was deleted between the check and the insert.
    { foreignKey: gone('/parentId', category.parentId ?? '') },
  );

const updateCategory = (tx: Queryable, category: Category, expectedVersion: number): Promise<void> =>
  writing(
    async () => {
      const { rowCount } = await tx.query(
        `UPDATE catalog.categories SET name = $3, description = $4, parent_id = $5, version = $6, updated_at = $7
         WHERE id = $1 AND version = $2`,
        [category.id, expectedVersion, category.name, category.description, category.parentId, category.version, category.updatedAt],
      );
      if (rowCount === 0) throw staleVersion('category', category.id);
    },
    { foreignKey: gone('/parentId', category.parentId ?? '') },
  );

const removeCategory = (tx: Queryable, category: Category): Promise<void> =>
  writing(
    async () => {
      const { rowCount } = await tx.query('DELETE FROM catalog.categories WHERE id = $1 AND version = $2', [category.id, category.version]);
      if (rowCount === 0) throw staleVersion('category', category.id);
    },
    // What the lock should have kept out: a child (its foreign key) or a live product (which the
    // ON DELETE SET NULL would leave without a category, refused by a CHECK).
    {
      foreignKey: () => new Conflict(`category ${category.id} has child categories and cannot be deleted`),
      check: () => new Conflict(`category ${category.id} has products and cannot be deleted`),
    },
  );

const categoryContents = async (db: Queryable, id: string): Promise<{ hasChildren: boolean; hasProducts: boolean }> => {
  const { rows } = await db.query<{ has_children: boolean; has_products: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM catalog.categories WHERE parent_id = $1) AS has_children,
            EXISTS (SELECT 1 FROM catalog.products WHERE category_id = $1 AND deleted_at IS NULL) AS has_products`,
    [id],
  );
  return { hasChildren: rows[0]?.has_children === true, hasProducts: rows[0]?.has_products === true };
};

const allCategories = async (db: Queryable): Promise<Category[]> => {
  const { rows } = await db.query<CategoryRow>(`SELECT ${CATEGORY_COLUMNS} FROM catalog.categories c`);
  return rows.map(toCategory);
};

/**
 * The ancestry of a category: it, its parent, and so on up to its root, as a parent map (empty
 * when the category does not exist). UNION, not UNION ALL, so that the walk ends even on a cycle.
 */
const ancestry = async (db: Queryable, id: string): Promise<ParentMap> => {
  if (!isUuid(id)) return new Map();
  const { rows } = await db.query<{ id: string; parent_id: string | null }>(
    `WITH RECURSIVE up (id, parent_id) AS (
       SELECT c.id, c.parent_id FROM catalog.categories c WHERE c.id = $1
       UNION
       SELECT c.id, c.parent_id FROM catalog.categories c JOIN up ON c.id = up.parent_id
     )
     SELECT id, parent_id FROM up`,
    [id],
  );
  return new Map(rows.map((row) => [row.id, row.parent_id]));
};

/**
 * Serialises moves within the tree until the caller's transaction ends. Two moves that are each
 * fine alone (A under B, B under A) would together make a cycle; taken one after the other, the
 * second sees the first's result. Moves are rare admin operations, so one queue costs nothing.
 */
const lockTree = async (tx: Queryable): Promise<void> => {
  await tx.query("SELECT pg_advisory_xact_lock(hashtext('catalog.category-tree'))");
};

export const categories = {
  find: findCategory,
  lock: lockCategory,
  insert: insertCategory,
  update: updateCategory,
  remove: removeCategory,
  contents: categoryContents,
  all: allCategories,
  ancestry,
  lockTree,
};

// ---- products ----------------------------------------------------------------------------------

type ProductRow = {
  id: string;
  name: string;
  description: string | null;
  sku: string;
  price_amount: number;
  currency: string;
  category_id: string;
  version: number;
  created_at: Date;
  updated_at: Date;
  cursor_at: string;
};

const PRODUCT_COLUMNS = `p.id, p.name, p.description, p.sku, p.price_amount, p.currency, p.category_id, p.version,
  p.created_at, p.updated_at, ${cursorAt('p.created_at')} AS cursor_at`;

const toProduct = (row: ProductRow): Product => ({
  id: row.id,
  name: row.name,
  description: row.description,
  sku: row.sku,
  price: { amount: row.price_amount, currency: row.currency },
  categoryId: row.category_id,
  version: row.version,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

const skuTaken = (sku: string) => () => new Conflict(`a product with the SKU ${sku} already exists`);

/** A live product; a deleted one is not found. */
const findProduct = async (db: Queryable, id: string): Promise<Product | undefined> => {
  if (!isUuid(id)) return undefined;
  const { rows } = await db.query<ProductRow>(`SELECT ${PRODUCT_COLUMNS} FROM catalog.products p WHERE p.id = $1 AND p.deleted_at IS NULL`, [id]);
  return rows[0] && toProduct(rows[0]);
};

const insertProduct = (tx: Queryable, product: Product): Promise<void> =>
  writing(
    async () => {
      await tx.query(
        `INSERT INTO catalog.products (id, name, description, sku, price_amount, currency, category_id, version, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        [
          product.id,
          product.name,
          product.description,
          product.sku,
          product.price.amount,
          product.price.currency,
          product.categoryId,
          product.version,
          product.createdAt,
          product.updatedAt,
        ],
      );
    },
    // The unique index decides between concurrent creations; the category may go meanwhile.
    { unique: skuTaken(product.sku), foreignKey: gone('/categoryId', product.categoryId) },
  );

/** Saves a changed live product; its SKU never changes. */
const updateProduct = (tx: Queryable, product: Product, expectedVersion: number): Promise<void> =>
  writing(
    async () => {
      const { rowCount } = await tx.query(
        `UPDATE catalog.products
         SET name = $3, description = $4, price_amount = $5, currency = $6, category_id = $7, version = $8, updated_at = $9
         WHERE id = $1 AND version = $2 AND deleted_at IS NULL`,
        [
          product.id,
          expectedVersion,
          product.name,
          product.description,
          product.price.amount,
          product.price.currency,
          product.categoryId,
          product.version,
          product.updatedAt,
        ],
      );
      if (rowCount === 0) throw staleVersion('product', product.id);
    },
    { foreignKey: gone('/categoryId', product.categoryId) },
  );

/** Marks a product deleted; the row stays so that carts naming it learn it is gone. */
const removeProduct = async (tx: Queryable, product: DeletedProduct, expectedVersion: number): Promise<void> => {
  const { rowCount } = await tx.query(
    `UPDATE catalog.products SET deleted_at = $3, version = $4, updated_at = $5
     WHERE id = $1 AND version = $2 AND deleted_at IS NULL`,
    [product.id, expectedVersion, product.deletedAt, product.version, product.updatedAt],
  );
  if (rowCount === 0) throw staleVersion('product', product.id);
};

export interface ProductFilter {
  /** Products of this category and of every category below it. */
  categoryId?: string;
  /** Words that must all occur in the name, in any case, with or without accents. */
  q?: string;
}

/** The words of a search: split on white space, each once. */
export const searchWords = (q: string): string[] => [...new Set(q.split(/\s+/).filter((word) => word.length > 0))];

// A word as a LIKE pattern matching it anywhere: normalised by the same function as the indexed
// expression, its own `\`, `%` and `_` escaped so that they match themselves.
const containsWord = (param: string) =>
  String.raw`'%' || replace(replace(replace(catalog.search_text(${param}::text), '\', '\\'), '%', '\%'), '_', '\_') || '%'`;

/**
 * The SQL of one page of live products, oldest first. Each word of `q` is a LIKE on
 * `catalog.search_text(p.name)`, the expression of the trigram index products_name_search, so the
 * search is answered from that index rather than by reading every product.
 */
export const productListQuery = (filter: ProductFilter, page: PageRequest): { sql: string; params: unknown[] } => {
  const after = page.cursor === undefined ? undefined : decodeCursor(page.cursor);
  const params: unknown[] = [];
  const param = (value: unknown): string => {
    params.push(value);
    return `$${params.length}`;
  };
  const where = ['p.deleted_at IS NULL'];
  let subtree = '';
  if (filter.categoryId !== undefined) {
    // An id that is not a UUID names no category: the filter matches nothing.
    subtree = `WITH RECURSIVE subtree (id) AS (
       SELECT c.id FROM catalog.categories c WHERE c.id = ${param(isUuid(filter.categoryId) ? filter.categoryId : null)}::uuid
       UNION
       SELECT c.id FROM catalog.categories c JOIN subtree s ON c.parent_id = s.id
     )`;
    where.push('p.category_id IN (SELECT id FROM subtree)');
  }
  for (const word of searchWords(filter.q ?? '')) where.push(`catalog.search_text(p.name) LIKE ${containsWord(param(word))}`);
  if (after) where.push(`(p.created_at, p.id) > (${param(after.at)}::timestamptz, ${param(after.id)}::uuid)`);
  const sql = `${subtree}
    SELECT ${PRODUCT_COLUMNS} FROM catalog.products p
    WHERE ${where.join(' AND ')}
    ORDER BY p.created_at, p.id LIMIT ${param(limitOf(page) + 1)}::int`;
  return { sql, params };
};

const listProducts = async (db: Queryable, filter: ProductFilter, page: PageRequest): Promise<Page<Product>> => {
  const { sql, params } = productListQuery(filter, page);
  const { rows } = await db.query<ProductRow>(sql, params);
  return pageOf(rows, limitOf(page), toProduct);
};

/**
 * What the catalog holds about each of `ids`, live or deleted, in one query; keyed by the id in
 * lower case. Ids it has never known are absent.
 */
const standings = async (db: Queryable, ids: readonly string[]): Promise<Map<string, ProductStanding>> => {
  const wanted = [...new Set(ids.filter(isUuid).map((id) => id.toLowerCase()))];
  if (wanted.length === 0) return new Map();
  const { rows } = await db.query<{ id: string; name: string; price_amount: number; currency: string; deleted: boolean }>(
    `SELECT p.id, p.name, p.price_amount, p.currency, p.deleted_at IS NOT NULL AS deleted
     FROM catalog.products p WHERE p.id = ANY($1::uuid[])`,
    [wanted],
  );
  return new Map(
    rows.map((row): [string, ProductStanding] => {
      const price: Money = { amount: row.price_amount, currency: row.currency };
      return [row.id, { id: row.id, name: row.name, price, deleted: row.deleted }];
    }),
  );
};

export const products = {
  find: findProduct,
  insert: insertProduct,
  update: updateProduct,
  remove: removeProduct,
  list: listProducts,
  standings,
};
