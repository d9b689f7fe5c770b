import schema from '../../../schemas/catalog/change-price.json' with { type: 'json' };
import type { CatalogChangePrice, CatalogProduct } from '../../../events/schemas.generated.js';
import type { Answer } from '../../runtime/answer.js';
import { command } from '../../runtime/definition.js';
import { NotFound } from '../../runtime/errors.js';
import { checkIfMatch } from '../../runtime/preconditions.js';
import { changePrice } from '../product.js';
import { products } from '../store.js';
import responseSchema from '../../../schemas/catalog/product.json' with { type: 'json' };

/** Sets the price; price-changed carries the old and the new one. The same price again is a no-op. */
export default command<CatalogChangePrice, { id: string }, Record<string, string>, Answer<CatalogProduct>>({
  route: 'PUT /catalog/products/{id}/price',
  access: ['admin'],
  ifMatch: true,
  response: responseSchema,
  body: schema,
  handle: ({ body, params, ifMatch }, ctx) =>
    ctx.inTransaction(async (tx) => {
      const product = await products.find(tx, params.id);
      if (!product) throw new NotFound(`product ${params.id} does not exist`);
      checkIfMatch(product, ifMatch);
      const [changed, events] = changePrice(product, body.price, ctx.now());
      if (events.length === 0) return product;
      await products.update(tx, changed, product.version);
      await tx.emit(...events);
      return changed;
    }),
});
