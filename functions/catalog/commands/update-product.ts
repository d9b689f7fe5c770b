import schema from '../../../schemas/catalog/update-product.json' with { type: 'json' };
import { command, type Schema } from '../../runtime/definition.js';
import { NotFound } from '../../runtime/errors.js';
import { checkIfMatch } from '../../runtime/preconditions.js';
import { updateProduct, type Product, type ProductChanges } from '../product.js';
import { categories, products } from '../store.js';
import responseSchema from '../../../schemas/catalog/product.json' with { type: 'json' };

export default command<ProductChanges, { id: string }, Record<string, string>, Product>({
  route: 'PATCH /catalog/products/{id}',
  access: ['admin'],
  response: responseSchema as Schema,
  body: schema as Schema,
  handle: ({ body, params, ifMatch }, ctx) =>
    ctx.inTransaction(async (tx) => {
      const product = await products.find(tx, params.id);
      if (!product) throw new NotFound(`product ${params.id} does not exist`);
      checkIfMatch(product, ifMatch);
      const category = body.categoryId === undefined ? undefined : await categories.find(tx, body.categoryId);
      const [updated, events] = updateProduct(product, body, category, ctx.now());
      if (events.length === 0) return product;
      await products.update(tx, updated, product.version);
      await tx.emit(...events);
      return updated;
    }),
});
