import schema from '../../../schemas/catalog/update-product.json' with { type: 'json' };
import type { CatalogProduct, CatalogUpdateProduct } from '../../../events/schemas.generated.js';
import type { Answer } from '../../runtime/answer.js';
import { command } from '../../runtime/definition.js';
import { NotFound } from '../../runtime/errors.js';
import { checkIfMatch } from '../../runtime/preconditions.js';
import { updateProduct } from '../product.js';
import { categories, products } from '../store.js';
import responseSchema from '../../../schemas/catalog/product.json' with { type: 'json' };

export default command<CatalogUpdateProduct, { id: string }, Record<string, string>, Answer<CatalogProduct>>({
  route: 'PATCH /catalog/products/{id}',
  access: ['admin'],
  ifMatch: true,
  response: responseSchema,
  body: schema,
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
