import type { CatalogCategoryTreePage } from '../../../events/schemas.generated.js';
import type { Answer } from '../../runtime/answer.js';
import schema from '../../../schemas/catalog/category-tree.json' with { type: 'json' };
import { query } from '../../runtime/definition.js';
import { buildTree } from '../category.js';
import { categories } from '../store.js';
import responseSchema from '../../../schemas/catalog/category-tree-page.json' with { type: 'json' };

/**
 * The whole tree in one answer: the roots, each with its children, by name. A tree cut into pages
 * is no longer a tree, and a catalog has few categories, so `nextCursor` is always null.
 */
export default query<Record<string, never>, Record<string, string>, Answer<CatalogCategoryTreePage>>({
  route: 'GET /catalog/categories',
  access: 'public',
  response: responseSchema,
  query: schema,
  handle: async (_input, ctx) => ({ items: buildTree(await categories.all(ctx.db)), nextCursor: null }),
});
