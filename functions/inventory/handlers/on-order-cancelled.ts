import { orderCancelled } from '../../../events/order.js';
import { handler } from '../../runtime/definition.js';
import { release } from '../reservation.js';
import { items, orders, reservations } from '../store.js';

/**
 * Keeps the order's tombstone, so that a late order-placed reserves nothing, then releases
 * whatever the order holds, with stock-released. An order that holds nothing leaves only the
 * tombstone.
 */
export default handler({
  event: orderCancelled,
  handle: async ({ data }, ctx) => {
    const now = ctx.now();
    await orders.lock(ctx.tx, data.orderId);
    await orders.markCancelled(ctx.tx, data.orderId, now, data.reason);
    const held = (await reservations.ofOrder(ctx.tx, data.orderId)).filter((r) => r.status === 'reserved');
    if (held.length === 0) return;
    const stock = await items.lockAll(
      ctx.tx,
      held.map((r) => r.productId),
    );
    const released = release(data.orderId, held, stock, now, data.reason);
    await items.updateAll(ctx.tx, released.items, stock);
    await reservations.settle(ctx.tx, released.reservations);
    await ctx.tx.emit(...released.events);
  },
});
