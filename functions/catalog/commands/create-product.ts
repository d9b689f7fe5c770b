import { randomUUID } from 'node:crypto';
import schema from '../../../schemas/catalog/create-product.json' with { type: 'json' };
import type { CatalogCreateProduct, CatalogProduct } from '../../../events/schemas.generated.js';
import type { Answer } from '../../runtime/answer.js';
import { command } from '../../runtime/definition.js';
import { createProduct } from '../product.js';
import { categories, products } from '../store.js';
import responseSchema from '../../../schemas/catalog/product.json' with { type: 'json' };

/** 201; a SKU that a live product has, in any case, is 409; an unknown category 422. */
export default command<CatalogCreateProduct, Record<string, string>, Record<string, string>, Answer<CatalogProduct>>({
  route: 'POST /catalog/products',
  access: ['admin'],
  response: responseSchema,
  body: schema,
  status: 201,
  location: (product) => `/catalog/products/${product.id}`,
  handle: ({ body }, ctx) =>
    ctx.inTransaction(async (tx) => {
      const category = await categories.find(tx, body.categoryId);
      const [product, events] = createProduct(body, category, randomUUID(), ctx.now());
      await products.insert(tx, product);
      await tx.emit(...events);
      return product;
    }),
});
