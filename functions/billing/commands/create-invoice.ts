import { randomUUID } from 'node:crypto';
import schema from '../../../schemas/billing/create-invoice.json' with { type: 'json' };
import { command, type Schema } from '../../runtime/definition.js';
import { createInvoice, invoiceView, type InvoiceView, type NewInvoice } from '../invoice.js';
import { clients, invoices } from '../store.js';
import responseSchema from '../../../schemas/billing/invoice.json' with { type: 'json' };

export default command<NewInvoice, Record<string, string>, Record<string, string>, InvoiceView>({
  route: 'POST /billing/invoices',
  access: ['admin'],
  response: responseSchema as Schema,
  body: schema as Schema,
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
