import type { CatalogProductPage } from '../../../events/schemas.generated.js';
import type { Answer } from '../../runtime/answer.js';
import schema from '../../../schemas/catalog/list-products.json' with { type: 'json' };
import { query } from '../../runtime/definition.js';
import { products, type PageRequest, type ProductFilter } from '../store.js';
import responseSchema from '../../../schemas/catalog/product-page.json' with { type: 'json' };

/** Live products, oldest first; `categoryId` takes in the categories below it, `q` searches names. */
export default query<ProductFilter & PageRequest, Record<string, string>, Answer<CatalogProductPage>>({
  route: 'GET /catalog/products',
  access: 'public',
  response: responseSchema,
  query: schema,
  handle: ({ query: { limit, cursor, ...filter } }, ctx) => products.list(ctx.db, filter, { limit, cursor }),
});
