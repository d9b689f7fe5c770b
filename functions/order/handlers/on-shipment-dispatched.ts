import { shipmentDispatched } from '../../../events/shipping.js';
import { handler } from '../../runtime/definition.js';
import { execute } from '../execute.js';

/** Step 7: the order left with a carrier, so it is shipped (order-shipped, for Inventory and Notification). */
export default handler({
  event: shipmentDispatched,
  handle: async (event, ctx) => {
    const { orderId, shipmentId, carrier, trackingNumber } = event.data;
    const { order } = await execute(ctx.tx, { type: 'record-dispatch', orderId, shipmentId, carrier, trackingNumber }, ctx.now(), {
      correlationId: ctx.correlationId,
      causationId: event.id,
    });
    if (order?.status === 'cancelled') {
      // Shipping cancels a shipment it has not dispatched when it sees the cancellation; this one left first.
      ctx.log.warn('a shipment was dispatched for a cancelled order', { orderId, shipmentId });
    }
  },
});
