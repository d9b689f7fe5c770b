import { randomUUID } from 'node:crypto';
import { invoiceRequested } from '../../../events/order.js';
import { handler } from '../../runtime/definition.js';
import { NotFound } from '../../runtime/errors.js';
import { createOrderInvoice, sendOrderInvoice } from '../invoice.js';
import { clients, invoices, orders } from '../store.js';

const DEFAULT_TERMS_DAYS = 14;

/** Days between an order invoice's issue date and its due date: `INVOICE_TERMS_DAYS`, 14 by default. */
const invoiceTermsDays = (): number => {
  const raw = process.env.INVOICE_TERMS_DAYS;
  if (raw === undefined || raw === '') return DEFAULT_TERMS_DAYS;
  const days = Number(raw);
  if (!Number.isSafeInteger(days) || days < 0) throw new Error(`INVOICE_TERMS_DAYS must be a whole number of days, got "${raw}"`);
  return days;
};

/**
 * The order's invoice, created and sent at once (so numbered), addressed to the customer's
 * client: invoice-created describes it sent, with its number, then invoice-status-changed says
 * draft -> sent. An order is invoiced once, and never once Billing has seen it cancelled.
 */
export default handler({
  event: invoiceRequested,
  handle: async ({ data }, ctx) => {
    const now = ctx.now();
    await orders.lock(ctx.tx, data.orderId);
    if (await orders.isCancelled(ctx.tx, data.orderId)) {
      ctx.log.info('invoice requested for a cancelled order; nothing invoiced', { orderId: data.orderId });
      return;
    }
    if (await invoices.ofOrder(ctx.tx, data.orderId)) return;
    const client = await clients.ofCustomer(ctx.tx, data.customerId);
    // Billing has not handled the customer's registration yet (another Trigger): retried until it has.
    if (!client) throw new NotFound(`customer ${data.customerId} has no client yet`);
    const draft = createOrderInvoice(data, client, invoiceTermsDays(), randomUUID(), now);
    const [sent, events] = sendOrderInvoice(draft, await invoices.nextNumberFor(ctx.tx, draft, now), now);
    await invoices.insert(ctx.tx, sent);
    await ctx.tx.emit(...events);
  },
});
