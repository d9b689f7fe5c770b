import { invoiceCreated } from '../../../events/billing.js';
import { handler } from '../../runtime/definition.js';
import { execute } from '../execute.js';

/** Step 4: the order's invoice exists, so the order is confirmed (order-confirmed). Invoices of no order are not Order's. */
export default handler({
  event: invoiceCreated,
  handle: async (event, ctx) => {
    const { orderId, invoiceId, number } = event.data;
    if (orderId === undefined) return;
    await execute(ctx.tx, { type: 'record-invoice', orderId, invoiceId, invoiceNumber: number }, ctx.now(), {
      correlationId: ctx.correlationId,
      causationId: event.id,
    });
  },
});
