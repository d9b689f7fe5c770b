import { randomUUID } from 'node:crypto';
import schema from '../../../schemas/billing/record-payment.json' with { type: 'json' };
import type { BillingInvoice, BillingRecordPayment } from '../../../events/schemas.generated.js';
import type { Answer } from '../../runtime/answer.js';
import { command } from '../../runtime/definition.js';
import { NotFound } from '../../runtime/errors.js';
import { checkIfMatch } from '../../runtime/preconditions.js';
import { invoiceView, recordPayment } from '../invoice.js';
import { invoices } from '../store.js';
import responseSchema from '../../../schemas/billing/invoice.json' with { type: 'json' };

/** Answers with the invoice as the payment left it (status, paidAmount, outstanding, payments). */
export default command<BillingRecordPayment, { id: string }, Record<string, string>, Answer<BillingInvoice>>({
  route: 'POST /billing/invoices/{id}/payments',
  access: ['admin'],
  ifMatch: true,
  response: responseSchema,
  body: schema,
  status: 201,
  handle: ({ body, params, ifMatch }, ctx) =>
    ctx.inTransaction(async (tx) => {
      const invoice = await invoices.find(tx, params.id);
      if (!invoice) throw new NotFound(`invoice ${params.id} does not exist`);
      checkIfMatch(invoice, ifMatch);
      const [paid, events] = recordPayment(invoice, { id: randomUUID(), ...body }, ctx.now());
      await invoices.update(tx, paid, invoice.version);
      await tx.emit(...events);
      return invoiceView(paid);
    }),
});
