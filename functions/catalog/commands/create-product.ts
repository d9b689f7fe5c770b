import { randomUUID } from 'node:crypto';
import schema from '../../../schemas/catalog/create-product.json' with { type: 'json' };
import { command, type Schema } from '../../runtime/definition.js';
import { createProduct, type NewProduct, type Product } from '../product.js';
import { categories, products } from '../store.js';
import responseSchema from '../../../schemas/catalog/product.json' with { type: 'json' };

/** 201; a SKU that a live product has, in any case, is 409; an unknown category 422. */
export default command<NewProduct, Record<string, string>, Record<string, string>, Product>({
  route: 'POST /catalog/products',
  access: ['admin'],
  response: responseSchema as Schema,
  body: schema as Schema,
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
