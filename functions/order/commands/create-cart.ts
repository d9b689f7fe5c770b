import type { OrderCart } from '../../../events/schemas.generated.js';
import type { Answer } from '../../runtime/answer.js';
import { randomUUID } from 'node:crypto';
import schema from '../../../schemas/order/create-cart.json' with { type: 'json' };
import { command } from '../../runtime/definition.js';
import { callerOf } from '../access.js';
import { cartView, openCart } from '../cart.js';
import { settings } from '../settings.js';
import { carts } from '../store.js';
import responseSchema from '../../../schemas/order/cart.json' with { type: 'json' };

export default command<Record<string, never>, Record<string, string>, Record<string, string>, Answer<OrderCart>>({
  route: 'POST /orders/carts',
  access: ['customer'],
  response: responseSchema,
  body: schema,
  status: 201,
  location: (cart) => `/orders/carts/${cart.id}`,
  handle: (_input, ctx) =>
    ctx.inTransaction(async (tx) => {
      const now = ctx.now();
      const [cart, events] = openCart(callerOf(ctx.caller).id, randomUUID(), now, settings.cartTtlSeconds());
      await carts.insert(tx, cart);
      await tx.emit(...events);
      return cartView(cart, now);
    }),
});
