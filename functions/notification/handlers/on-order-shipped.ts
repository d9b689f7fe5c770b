import { orderShipped } from '../../../events/order.js';
import { handler } from '../../runtime/definition.js';
import { notify, orderIsCancelled } from '../notify.js';

/** Tells the customer their order left, with the carrier and the tracking number. */
export default handler({
  event: orderShipped,
  handle: async (event, ctx) => {
    const { data } = event;
    if (await orderIsCancelled(data.orderId, ctx)) return;
    await notify(
      event,
      {
        recipient: { kind: 'customer', id: data.customerId },
        about: data.orderId,
        details: { kind: 'order-shipped', orderNumber: data.orderNumber ?? data.orderId, carrier: data.carrier, trackingNumber: data.trackingNumber },
      },
      ctx,
    );
  },
});
