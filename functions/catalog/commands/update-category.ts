import schema from '../../../schemas/catalog/update-category.json' with { type: 'json' };
import type { CatalogCategory, CatalogUpdateCategory } from '../../../events/schemas.generated.js';
import type { Answer } from '../../runtime/answer.js';
import { command } from '../../runtime/definition.js';
import { NotFound } from '../../runtime/errors.js';
import { updateCategory } from '../category.js';
import { checkIfMatch } from '../../runtime/preconditions.js';
import { categories } from '../store.js';
import responseSchema from '../../../schemas/catalog/category.json' with { type: 'json' };

/** Renames, describes or moves a category; a move under itself or its own descendant is 409. */
export default command<CatalogUpdateCategory, { id: string }, Record<string, string>, Answer<CatalogCategory>>({
  route: 'PATCH /catalog/categories/{id}',
  access: ['admin'],
  ifMatch: true,
  response: responseSchema,
  body: schema,
  handle: ({ body, params, ifMatch }, ctx) =>
    ctx.inTransaction(async (tx) => {
      const moving = typeof body.parentId === 'string';
      // Before reading the tree: concurrent moves see each other's result, never a stale tree.
      if (moving) await categories.lockTree(tx);
      const category = await categories.find(tx, params.id);
      if (!category) throw new NotFound(`category ${params.id} does not exist`);
      checkIfMatch(category, ifMatch);
      const ancestry = moving ? await categories.ancestry(tx, body.parentId as string) : new Map<string, string | null>();
      const [updated, events] = updateCategory(category, body, ancestry, ctx.now());
      if (events.length === 0) return category;
      await categories.update(tx, updated, category.version);
      await tx.emit(...events);
      return updated;
    }),
});
