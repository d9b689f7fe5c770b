import { randomUUID } from 'node:crypto';
import { orderPaid } from '../../../events/order.js';
import { handler } from '../../runtime/definition.js';
import { createShipment } from '../shipment.js';
import { orders, shipments } from '../store.js';

/**
 * The paid order's shipment, being prepared, with shipment-created. An order gets one: another
 * order-paid of the order, under another event id, finds it and does nothing; an order whose
 * cancellation Shipping has seen gets none. How this holds under concurrency: see store.ts.
 */
export default handler({
  event: orderPaid,
  handle: async ({ data }, ctx) => {
    await orders.lock(ctx.tx, data.orderId);
    if (await orders.isCancelled(ctx.tx, data.orderId)) {
      ctx.log.info('order paid after its cancellation; nothing shipped', { orderId: data.orderId });
      return;
    }
    if (await shipments.ofOrder(ctx.tx, data.orderId)) return;
    const [shipment, events] = createShipment(data, randomUUID(), ctx.now());
    await shipments.insert(ctx.tx, shipment);
    await ctx.tx.emit(...events);
  },
});
