import { orderDelivered } from '../../../events/order.js';
import { handler } from '../../runtime/definition.js';
import { notify, orderIsCancelled } from '../notify.js';

/** Tells the customer their order was delivered. */
export default handler({
  event: orderDelivered,
  handle: async (event, ctx) => {
    const { data } = event;
    if (await orderIsCancelled(data.orderId, ctx)) return;
    await notify(
      event,
      {
        recipient: { kind: 'customer', id: data.customerId },
        about: data.orderId,
        details: { kind: 'order-delivered', orderNumber: data.orderNumber ?? data.orderId },
      },
      ctx,
    );
  },
});
