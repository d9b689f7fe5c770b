import { randomUUID } from 'node:crypto';
import schema from '../../../schemas/billing/create-invoice.json' with { type: 'json' };
import type { BillingCreateInvoice, BillingInvoice } from '../../../events/schemas.generated.js';
import type { Answer } from '../../runtime/answer.js';
import { command } from '../../runtime/definition.js';
import { createInvoice, invoiceView } from '../invoice.js';
import { clients, invoices } from '../store.js';
import responseSchema from '../../../schemas/billing/invoice.json' with { type: 'json' };

export default command<BillingCreateInvoice, Record<string, string>, Record<string, string>, Answer<BillingInvoice>>({
  route: 'POST /billing/invoices',
  access: ['admin'],
  response: responseSchema,
  body: schema,
  status: 201,
  location: (invoice) => `/billing/invoices/${invoice.id}`,
  handle: ({ body }, ctx) =>
    ctx.inTransaction(async (tx) => {
      const client = await clients.find(tx, body.clientId);
      const [invoice, events] = createInvoice(body, client, randomUUID(), ctx.now());
      await invoices.insert(tx, invoice);
      await tx.emit(...events);
      return invoiceView(invoice);
    }),
});
