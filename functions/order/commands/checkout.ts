import { randomUUID } from 'node:crypto';
import schema from '../../../schemas/order/checkout.json' with { type: 'json' };
import type { OrderCheckout, OrderPlaced } from '../../../events/schemas.generated.js';
import type { Answer } from '../../runtime/answer.js';
import { command } from '../../runtime/definition.js';
import { Conflict, NotFound } from '../../runtime/errors.js';
import { actorOf, checkIfMatch, ownCart } from '../access.js';
import { checkOut, orderLines, readyForCheckout } from '../cart.js';
import { validateItems } from '../catalog.js';
import { execute } from '../execute.js';
import { settings } from '../settings.js';
import { carts, orderNumbers } from '../store.js';
import responseSchema from '../../../schemas/order/placed.json' with { type: 'json' };

/**
 * Turns the cart into an order at the prices Catalog gives now, and starts the saga
 * (order-placed). Catalog is asked before the transaction opens; the cart must not have changed
 * in between. With an Idempotency-Key, a retry gets this first answer again (the runtime records
 * it in the transaction below), and never a second order.
 */
export default command<OrderCheckout, { id: string }, Record<string, string>, Answer<OrderPlaced>>({
  route: 'POST /orders/carts/{id}/checkout',
  access: ['customer'],
  ifMatch: true,
  response: responseSchema,
  body: schema,
  status: 202,
  location: (placed) => `/orders/${placed.orderId}`,
  handle: async ({ body, params, ifMatch }, ctx) => {
    const read = ownCart(await carts.find(ctx.db, params.id), params.id, ctx.caller);
    checkIfMatch(read, ifMatch);
    // Refused before Catalog is asked: an empty, expired or checked-out cart.
    readyForCheckout(read, ctx.now());
    const answer = await validateItems(
      read.items.map((item) => ({ productId: item.productId, quantity: item.quantity })),
      ctx,
    );
    return ctx.inTransaction(async (tx) => {
      const now = ctx.now();
      const cart = await carts.lock(tx, params.id);
      if (!cart) throw new NotFound(`cart ${params.id} does not exist`);
      if (cart.version !== read.version) throw new Conflict(`cart ${cart.id} changed during checkout; check it out again`);
      const lines = orderLines(cart, answer.items, now);
      const orderId = randomUUID();
      const number = await orderNumbers.next(tx, now.getUTCFullYear());
      await carts.update(tx, checkOut(cart, orderId, now), cart.version);
      await execute(
        tx,
        {
          type: 'place-order',
          orderId,
          number,
          customerId: cart.customerId,
          cartId: cart.id,
          lines,
          shippingAddress: body.shippingAddress,
          stepTimeoutSeconds: settings.sagaStepTimeoutSeconds(),
        },
        now,
        { correlationId: ctx.correlationId, actor: actorOf(ctx.caller) },
      );
      return { orderId, number, status: 'pending' as const };
    });
  },
});
