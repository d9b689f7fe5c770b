import type { BillingInvoicePage } from '../../../events/schemas.generated.js';
import type { Answer } from '../../runtime/answer.js';
import schema from '../../../schemas/billing/list-invoices.json' with { type: 'json' };
import { query } from '../../runtime/definition.js';
import { Forbidden } from '../../runtime/errors.js';
import { namesOwnClient, ownClient } from '../access.js';
import { invoiceView } from '../invoice.js';
import { invoices, type InvoiceFilter, type PageRequest } from '../store.js';
import responseSchema from '../../../schemas/billing/invoice-page.json' with { type: 'json' };

export default query<InvoiceFilter & PageRequest, Record<string, string>, Answer<BillingInvoicePage>>({
  route: 'GET /billing/invoices',
  access: ['admin', 'customer'],
  response: responseSchema,
  query: schema,
  handle: async ({ query: { limit, cursor, ...filter } }, ctx) => {
    const own = await ownClient(ctx.db, ctx.caller);
    if (own !== undefined && filter.clientId !== undefined && !namesOwnClient(own, filter.clientId)) {
      throw new Forbidden('a customer sees only the invoices of their own client');
    }
    const page = await invoices.list(ctx.db, { ...filter, clientId: own?.clientId ?? filter.clientId }, { limit, cursor });
    return { items: page.items.map(invoiceView), nextCursor: page.nextCursor };
  },
});
