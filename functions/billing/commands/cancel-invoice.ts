import type { BillingInvoice } from '../../../events/schemas.generated.js';
import type { Answer } from '../../runtime/answer.js';
import { command } from '../../runtime/definition.js';
import { NotFound } from '../../runtime/errors.js';
import { checkIfMatch } from '../../runtime/preconditions.js';
import { cancel, invoiceView } from '../invoice.js';
import { invoices } from '../store.js';
import responseSchema from '../../../schemas/billing/invoice.json' with { type: 'json' };

export default command<unknown, { id: string }, Record<string, string>, Answer<BillingInvoice>>({
  route: 'POST /billing/invoices/{id}/cancel',
  access: ['admin'],
  ifMatch: true,
  response: responseSchema,
  handle: ({ params, ifMatch }, ctx) =>
    ctx.inTransaction(async (tx) => {
      const invoice = await invoices.find(tx, params.id);
      if (!invoice) throw new NotFound(`invoice ${params.id} does not exist`);
      checkIfMatch(invoice, ifMatch);
      const [cancelled, events] = cancel(invoice, ctx.now());
      await invoices.update(tx, cancelled, invoice.version);
      await tx.emit(...events);
      return invoiceView(cancelled);
    }),
});
