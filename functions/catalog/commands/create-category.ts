import { randomUUID } from 'node:crypto';
import schema from '../../../schemas/catalog/create-category.json' with { type: 'json' };
import { command } from '../../runtime/definition.js';
import { createCategory, type Category, type NewCategory } from '../category.js';
import { categories } from '../store.js';

export default command<NewCategory, Record<string, string>, Record<string, string>, Category>({
  route: 'POST /catalog/categories',
  access: ['admin'],
  body: schema,
  status: 201,
  location: (category) => `/catalog/categories/${category.id}`,
  handle: ({ body }, ctx) =>
    ctx.inTransaction(async (tx) => {
      const parent = body.parentId === undefined ? undefined : await categories.find(tx, body.parentId);
      const [category, events] = createCategory(body, parent, randomUUID(), ctx.now());
      await categories.insert(tx, category);
      await tx.emit(...events);
      return category;
    }),
});
