import { orderConfirmed } from '../../../events/order.js';
import { handler } from '../../runtime/definition.js';
import { notify, orderIsCancelled } from '../notify.js';

/** Tells the customer their order is confirmed, with its total and invoice number. */
export default handler({
  event: orderConfirmed,
  handle: async (event, ctx) => {
    const { data } = event;
    if (await orderIsCancelled(data.orderId, ctx)) return;
    await notify(
      event,
      {
        recipient: { kind: 'customer', id: data.customerId },
        about: data.orderId,
        details: { kind: 'order-confirmed', orderNumber: data.orderNumber ?? data.orderId, total: data.total, invoiceNumber: data.invoiceNumber ?? null },
      },
      ctx,
    );
  },
});
