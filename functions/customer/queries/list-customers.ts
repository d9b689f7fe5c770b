import schema from '../../../schemas/customer/list-customers.json' with { type: 'json' };
import { query } from '../../runtime/definition.js';
import type { Customer } from '../customer.js';
import { customers, type CustomerFilter, type Page, type PageRequest } from '../store.js';
import responseSchema from '../../../schemas/customer/customer-page.json' with { type: 'json' };

export default query<CustomerFilter & PageRequest, Record<string, string>, Page<Customer>>({
  route: 'GET /customers',
  access: ['admin'],
  response: responseSchema,
  query: schema,
  handle: ({ query: { limit, cursor, ...filter } }, ctx) => customers.list(ctx.db, filter, { limit, cursor }),
});
