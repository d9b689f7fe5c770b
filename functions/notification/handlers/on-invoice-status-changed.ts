import { invoiceStatusChanged } from '../../../events/billing.js';
import { handler } from '../../runtime/definition.js';
import { notify, orderIsCancelled } from '../notify.js';

/**
 * Sends the client their invoice when it is sent, and a reminder when it becomes overdue: its
 * number, its amount (and what is outstanding), its due date. Other changes send nothing.
 */
export default handler({
  event: invoiceStatusChanged,
  handle: async (event, ctx) => {
    const { data } = event;
    if (data.to !== 'sent' && data.to !== 'overdue') return;
    if (await orderIsCancelled(data.orderId, ctx)) return;
    const invoiceNumber = data.number ?? data.invoiceId;
    const details =
      data.to === 'sent'
        ? { kind: 'invoice-sent' as const, invoiceNumber, total: data.total, dueDate: data.dueDate }
        : {
            kind: 'invoice-overdue' as const,
            invoiceNumber,
            total: data.total,
            outstanding: { amount: data.total.amount - data.paidAmount.amount, currency: data.total.currency },
            dueDate: data.dueDate,
          };
    await notify(event, { recipient: { kind: 'client', id: data.clientId }, about: data.invoiceId, details }, ctx);
  },
});
