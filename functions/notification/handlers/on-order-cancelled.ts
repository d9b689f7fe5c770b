import { orderCancelled } from '../../../events/order.js';
import { handler } from '../../runtime/definition.js';
import { notify } from '../notify.js';

/**
 * Tells the customer their order was cancelled, and why. Its email is also the order's tombstone:
 * a confirmation, shipment or invoice of the order that comes after it sends nothing.
 */
export default handler({
  event: orderCancelled,
  handle: async (event, ctx) => {
    const { data } = event;
    await notify(
      event,
      {
        recipient: { kind: 'customer', id: data.customerId },
        about: data.orderId,
        details: { kind: 'order-cancelled', orderNumber: data.orderNumber ?? data.orderId, reason: data.reason },
      },
      ctx,
    );
  },
});
