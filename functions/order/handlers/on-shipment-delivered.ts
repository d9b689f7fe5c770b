import { shipmentDelivered } from '../../../events/shipping.js';
import { handler } from '../../runtime/definition.js';
import { execute } from '../execute.js';

/** Step 8: the order reached the customer (order-delivered). */
export default handler({
  event: shipmentDelivered,
  handle: async (event, ctx) => {
    const { orderId, shipmentId } = event.data;
    await execute(ctx.tx, { type: 'record-delivery', orderId, shipmentId }, ctx.now(), {
      correlationId: ctx.correlationId,
      causationId: event.id,
    });
  },
});
