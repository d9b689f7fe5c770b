import { orderCancelled } from '../../../events/order.js';
import { handler } from '../../runtime/definition.js';
import { settleCancelledOrder } from '../invoice.js';
import { invoices, orders } from '../store.js';

/**
 * Keeps the order's tombstone, so that a late invoice-requested invoices nothing, then cancels the
 * order's invoice, or refunds it when it was paid.
 */
export default handler({
  event: orderCancelled,
  handle: async ({ data }, ctx) => {
    const now = ctx.now();
    await orders.lock(ctx.tx, data.orderId);
    await orders.markCancelled(ctx.tx, data.orderId, now, data.reason);
    const invoice = await invoices.ofOrder(ctx.tx, data.orderId);
    if (!invoice) return;
    const [settled, events] = settleCancelledOrder(invoice, now, data.reason);
    if (events.length === 0) return;
    await invoices.update(ctx.tx, settled, invoice.version);
    await ctx.tx.emit(...events);
  },
});
