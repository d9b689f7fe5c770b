import { orderPlaced } from '../../../events/order.js';
import { handler } from '../../runtime/definition.js';
import { reserve } from '../reservation.js';
import { items, orders, reservations } from '../store.js';

/**
 * Reserves every line of the order or none, in this one transaction: stock-reserved, or
 * stock-reservation-failed naming each product that is short. An order is decided once: a
 * redelivery under another event id does nothing, and an order whose cancellation Inventory has
 * seen reserves nothing and emits nothing. How this holds under concurrency: see store.ts.
 */
export default handler({
  event: orderPlaced,
  handle: async ({ data }, ctx) => {
    const now = ctx.now();
    await orders.lock(ctx.tx, data.orderId);
    if (await orders.isCancelled(ctx.tx, data.orderId)) {
      ctx.log.info('order placed after its cancellation; nothing reserved', { orderId: data.orderId });
      return;
    }
    if (await orders.placementOf(ctx.tx, data.orderId)) return;
    const stock = await items.lockAll(
      ctx.tx,
      data.lines.map((line) => line.productId),
    );
    const result = reserve(data, stock, now);
    if (result.outcome === 'reserved') {
      await items.updateAll(ctx.tx, result.items, stock);
      await reservations.insert(ctx.tx, result.reservations);
    }
    await orders.recordPlacement(ctx.tx, data.orderId, result.outcome, now);
    await ctx.tx.emit(...result.events);
  },
});
