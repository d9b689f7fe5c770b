import { invoiceStatusChanged } from '../../../events/billing.js';
import { handler } from '../../runtime/definition.js';
import { execute } from '../execute.js';

/** Step 5: the order's invoice is paid, so the order is processing (order-paid, for Shipping). Other changes are not Order's. */
export default handler({
  event: invoiceStatusChanged,
  handle: async (event, ctx) => {
    const { orderId, invoiceId, to } = event.data;
    if (orderId === undefined || to !== 'paid') return;
    await execute(ctx.tx, { type: 'record-payment', orderId, invoiceId }, ctx.now(), {
      correlationId: ctx.correlationId,
      causationId: event.id,
    });
  },
});
