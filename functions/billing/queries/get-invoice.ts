import type { BillingInvoice } from '../../../events/schemas.generated.js';
import type { Answer } from '../../runtime/answer.js';
import { query } from '../../runtime/definition.js';
import { NotFound } from '../../runtime/errors.js';
import { ownClient } from '../access.js';
import { invoiceView } from '../invoice.js';
import { invoices } from '../store.js';
import responseSchema from '../../../schemas/billing/invoice.json' with { type: 'json' };

export default query<Record<string, string>, { id: string }, Answer<BillingInvoice>>({
  route: 'GET /billing/invoices/{id}',
  access: ['admin', 'customer'],
  response: responseSchema,
  handle: async ({ params }, ctx) => {
    const invoice = await invoices.find(ctx.db, params.id);
    const own = await ownClient(ctx.db, ctx.caller);
    // Another customer's invoice is answered as if it did not exist.
    if (!invoice || (own !== undefined && invoice.clientId !== own.clientId)) throw new NotFound(`invoice ${params.id} does not exist`);
    return invoiceView(invoice);
  },
});
