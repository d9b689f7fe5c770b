import schema from '../../../schemas/catalog/validate-products.json' with { type: 'json' };
import { command, type Schema } from '../../runtime/definition.js';
import { checkCart, type CartCheck, type CartItem } from '../product.js';
import { products } from '../store.js';
import responseSchema from '../../../schemas/catalog/product-check.json' with { type: 'json' };

/**
 * A public read with a body (a cart), hence declared as a command: it writes nothing and opens no
 * transaction. Every product of the cart is read in one query.
 */
export default command<{ items: CartItem[] }, Record<string, string>, Record<string, string>, CartCheck>({
  route: 'POST /catalog/products/validate',
  access: 'public',
  response: responseSchema as Schema,
  body: schema as Schema,
  handle: async ({ body }, ctx) => {
    const found = await products.standings(
      ctx.db,
      body.items.map((item) => item.productId),
    );
    return checkCart(body.items, found);
  },
});
