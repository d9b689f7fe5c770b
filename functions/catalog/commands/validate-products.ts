import schema from '../../../schemas/catalog/validate-products.json' with { type: 'json' };
import type { CatalogProductCheck, CatalogValidateProducts } from '../../../events/schemas.generated.js';
import type { Answer } from '../../runtime/answer.js';
import { command } from '../../runtime/definition.js';
import { checkCart } from '../product.js';
import { products } from '../store.js';
import responseSchema from '../../../schemas/catalog/product-check.json' with { type: 'json' };

/**
 * A public read with a body (a cart), hence declared as a command: it writes nothing and opens no
 * transaction. Every product of the cart is read in one query.
 */
export default command<CatalogValidateProducts, Record<string, string>, Record<string, string>, Answer<CatalogProductCheck>>({
  route: 'POST /catalog/products/validate',
  access: 'public',
  response: responseSchema,
  body: schema,
  handle: async ({ body }, ctx) => {
    const found = await products.standings(
      ctx.db,
      body.items.map((item) => item.productId),
    );
    return checkCart(body.items, found);
  },
});
