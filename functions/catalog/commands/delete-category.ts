import { command } from '../../runtime/definition.js';
import { NotFound } from '../../runtime/errors.js';
import { deleteCategory } from '../category.js';
import { checkIfMatch } from '../../runtime/preconditions.js';
import { categories } from '../store.js';

/** Deletes an empty leaf: 409 while the category has child categories or live products. */
export default command<unknown, { id: string }, Record<string, string>, undefined>({
  route: 'DELETE /catalog/categories/{id}',
  access: ['admin'],
  ifMatch: true,
  status: 204,
  handle: ({ params, ifMatch }, ctx) =>
    ctx.inTransaction(async (tx) => {
      // Locked first: a product or child filed under it meanwhile is either seen below or refused.
      const category = await categories.lock(tx, params.id);
      if (!category) throw new NotFound(`category ${params.id} does not exist`);
      checkIfMatch(category, ifMatch);
      const events = deleteCategory(category, await categories.contents(tx, category.id));
      await categories.remove(tx, category);
      await tx.emit(...events);
      return undefined;
    }),
});
