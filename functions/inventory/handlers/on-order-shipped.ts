import { orderShipped } from '../../../events/order.js';
import { handler } from '../../runtime/definition.js';
import { ship } from '../reservation.js';
import { items, orders, reservations } from '../store.js';

/**
 * The order's reserved stock leaves the warehouse: on hand and reserved both go down by what each
 * reservation holds, with stock-adjusted (shipped) per product. What Inventory reserved is what
 * leaves; a second order-shipped finds nothing held and does nothing.
 */
export default handler({
  event: orderShipped,
  handle: async ({ data }, ctx) => {
    const now = ctx.now();
    await orders.lock(ctx.tx, data.orderId);
    const held = (await reservations.ofOrder(ctx.tx, data.orderId)).filter((r) => r.status === 'reserved');
    if (held.length === 0) {
      ctx.log.info('order shipped holds no reserved stock; nothing changed', { orderId: data.orderId });
      return;
    }
    const stock = await items.lockAll(
      ctx.tx,
      held.map((r) => r.productId),
    );
    const shipped = ship(held, stock, now);
    await items.updateAll(ctx.tx, shipped.items, stock);
    await reservations.settle(ctx.tx, shipped.reservations);
    await ctx.tx.emit(...shipped.events);
  },
});
