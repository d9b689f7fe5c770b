import { orderCancelled } from '../../../events/order.js';
import { handler } from '../../runtime/definition.js';
import { settleCancelledOrder } from '../shipment.js';
import { orders, shipments } from '../store.js';

/**
 * Keeps the order's tombstone, so that a late order-paid ships nothing, then cancels the order's
 * shipment while it is being prepared, with shipment-cancelled. A shipment that has left stays
 * as it is: too late to cancel, which is logged for whoever handles the return.
 */
export default handler({
  event: orderCancelled,
  handle: async ({ data }, ctx) => {
    const now = ctx.now();
    await orders.lock(ctx.tx, data.orderId);
    await orders.markCancelled(ctx.tx, data.orderId, now, data.reason);
    const shipment = await shipments.lockOfOrder(ctx.tx, data.orderId);
    if (!shipment) return;
    const [settled, events] = settleCancelledOrder(shipment, now, data.reason);
    if (events.length === 0) {
      if (shipment.status !== 'cancelled') {
        ctx.log.warn('order cancelled after its shipment left; the shipment is not cancelled', {
          orderId: data.orderId,
          shipmentId: shipment.id,
          status: shipment.status,
        });
      }
      return;
    }
    await shipments.update(ctx.tx, settled, shipment.version);
    await ctx.tx.emit(...events);
  },
});
