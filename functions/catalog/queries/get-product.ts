import type { CatalogProduct } from '../../../events/schemas.generated.js';
import type { Answer } from '../../runtime/answer.js';
import { query } from '../../runtime/definition.js';
import { NotFound } from '../../runtime/errors.js';
import { products } from '../store.js';
import responseSchema from '../../../schemas/catalog/product.json' with { type: 'json' };

/** A live product; a deleted one is 404 like one that never was. */
export default query<Record<string, string>, { id: string }, Answer<CatalogProduct>>({
  route: 'GET /catalog/products/{id}',
  access: 'public',
  response: responseSchema,
  handle: async ({ params }, ctx) => {
    const product = await products.find(ctx.db, params.id);
    if (!product) throw new NotFound(`product ${params.id} does not exist`);
    return product;
  },
});
