import schema from '../../../schemas/order/set-cart-item.json' with { type: 'json' };
import type { OrderCart, OrderSetCartItem } from '../../../events/schemas.generated.js';
import type { Answer } from '../../runtime/answer.js';
import { command } from '../../runtime/definition.js';
import { NotFound } from '../../runtime/errors.js';
import { checkIfMatch, ownCart } from '../access.js';
import { cartView, setItem, usable, type ProductCheck } from '../cart.js';
import { validateItems } from '../catalog.js';
import { settings } from '../settings.js';
import { carts } from '../store.js';
import responseSchema from '../../../schemas/order/cart.json' with { type: 'json' };

/**
 * Sets how many of a product the cart holds, at the name and price Catalog gives now; 0 removes
 * it. Catalog is asked before the transaction opens (none is held across the call), and when it
 * cannot answer the cart stays as it was (503).
 */
export default command<OrderSetCartItem, { id: string; productId: string }, Record<string, string>, Answer<OrderCart>>({
  route: 'PUT /orders/carts/{id}/items/{productId}',
  access: ['customer'],
  ifMatch: true,
  response: responseSchema,
  body: schema,
  handle: async ({ body, params, ifMatch }, ctx) => {
    const before = ownCart(await carts.find(ctx.db, params.id), params.id, ctx.caller);
    checkIfMatch(before, ifMatch);
    usable(before, ctx.now());
    let check: ProductCheck | undefined;
    if (body.quantity > 0) {
      const answer = await validateItems([{ productId: params.productId, quantity: body.quantity }], ctx);
      check = answer.items.find((item) => item.productId.toLowerCase() === params.productId.toLowerCase());
    }
    return ctx.inTransaction(async (tx) => {
      const now = ctx.now();
      const cart = await carts.lock(tx, params.id);
      if (!cart) throw new NotFound(`cart ${params.id} does not exist`);
      checkIfMatch(cart, ifMatch);
      const changed = setItem(cart, params.productId, body.quantity, check, now, settings.cartTtlSeconds());
      await carts.update(tx, changed, cart.version);
      return cartView(changed, now);
    });
  },
});
