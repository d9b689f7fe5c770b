import { randomUUID } from 'node:crypto';
import schema from '../../../schemas/catalog/create-category.json' with { type: 'json' };
import type { CatalogCategory, CatalogCreateCategory } from '../../../events/schemas.generated.js';
import type { Answer } from '../../runtime/answer.js';
import { command } from '../../runtime/definition.js';
import { createCategory } from '../category.js';
import { categories } from '../store.js';
import responseSchema from '../../../schemas/catalog/category.json' with { type: 'json' };

export default command<CatalogCreateCategory, Record<string, string>, Record<string, string>, Answer<CatalogCategory>>({
  route: 'POST /catalog/categories',
  access: ['admin'],
  response: responseSchema,
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
