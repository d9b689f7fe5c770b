import { randomUUID } from 'node:crypto';
import schema from '../../../schemas/catalog/create-category.json' with { type: 'json' };
import { command, type Schema } from '../../runtime/definition.js';
import { createCategory, type Category, type NewCategory } from '../category.js';
import { categories } from '../store.js';
import responseSchema from '../../../schemas/catalog/category.json' with { type: 'json' };

export default command<NewCategory, Record<string, string>, Record<string, string>, Category>({
  route: 'POST /catalog/categories',
  access: ['admin'],
  response: responseSchema as Schema,
  body: schema as Schema,
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
