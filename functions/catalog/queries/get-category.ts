import type { CatalogCategory } from '../../../events/schemas.generated.js';
import type { Answer } from '../../runtime/answer.js';
import { query } from '../../runtime/definition.js';
import { NotFound } from '../../runtime/errors.js';
import { categories } from '../store.js';
import responseSchema from '../../../schemas/catalog/category.json' with { type: 'json' };

export default query<Record<string, string>, { id: string }, Answer<CatalogCategory>>({
  route: 'GET /catalog/categories/{id}',
  access: 'public',
  response: responseSchema,
  handle: async ({ params }, ctx) => {
    const category = await categories.find(ctx.db, params.id);
    if (!category) throw new NotFound(`category ${params.id} does not exist`);
    return category;
  },
});
