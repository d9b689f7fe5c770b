import type { BillingInvoice } from '../../../events/schemas.generated.js';
import type { Answer } from '../../runtime/answer.js';
import { command } from '../../runtime/definition.js';
import { NotFound } from '../../runtime/errors.js';
import { checkIfMatch } from '../../runtime/preconditions.js';
import { invoiceView, send } from '../invoice.js';
import { invoices } from '../store.js';
import responseSchema from '../../../schemas/billing/invoice.json' with { type: 'json' };

export default command<unknown, { id: string }, Record<string, string>, Answer<BillingInvoice>>({
  route: 'POST /billing/invoices/{id}/send',
  access: ['admin'],
  ifMatch: true,
  response: responseSchema,
  handle: ({ params, ifMatch }, ctx) =>
    ctx.inTransaction(async (tx) => {
      const now = ctx.now();
      const invoice = await invoices.find(tx, params.id);
      if (!invoice) throw new NotFound(`invoice ${params.id} does not exist`);
      checkIfMatch(invoice, ifMatch);
      // Taken in this transaction: if sending fails below, the rollback returns the number.
      const sequence = await invoices.nextNumberFor(tx, invoice, now);
      const [sent, events] = send(invoice, sequence, now);
      await invoices.update(tx, sent, invoice.version);
      await tx.emit(...events);
      return invoiceView(sent);
    }),
});
