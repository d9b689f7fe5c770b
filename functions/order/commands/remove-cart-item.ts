import type { OrderCart } from '../../../events/schemas.generated.js';
import type { Answer } from '../../runtime/answer.js';
import { command } from '../../runtime/definition.js';
import { checkIfMatch, ownCart } from '../access.js';
import { cartView, removeItem } from '../cart.js';
import { settings } from '../settings.js';
import { carts } from '../store.js';
import responseSchema from '../../../schemas/order/cart.json' with { type: 'json' };

/** Takes a product out of the cart; a product the cart does not hold leaves it as it is (but touched). */
export default command<unknown, { id: string; productId: string }, Record<string, string>, Answer<OrderCart>>({
  route: 'DELETE /orders/carts/{id}/items/{productId}',
  access: ['customer'],
  ifMatch: true,
  response: responseSchema,
  handle: ({ params, ifMatch }, ctx) =>
    ctx.inTransaction(async (tx) => {
      const now = ctx.now();
      const cart = ownCart(await carts.lock(tx, params.id), params.id, ctx.caller);
      checkIfMatch(cart, ifMatch);
      const changed = removeItem(cart, params.productId, now, settings.cartTtlSeconds());
      await carts.update(tx, changed, cart.version);
      return cartView(changed, now);
    }),
});
