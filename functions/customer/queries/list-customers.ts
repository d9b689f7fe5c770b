import type { CustomerCustomerPage } from '../../../events/schemas.generated.js';
import type { Answer } from '../../runtime/answer.js';
import schema from '../../../schemas/customer/list-customers.json' with { type: 'json' };
import { query } from '../../runtime/definition.js';
import { customers, type CustomerFilter, type PageRequest } from '../store.js';
import responseSchema from '../../../schemas/customer/customer-page.json' with { type: 'json' };

export default query<CustomerFilter & PageRequest, Record<string, string>, Answer<CustomerCustomerPage>>({
  route: 'GET /customers',
  access: ['admin'],
  response: responseSchema,
  query: schema,
  handle: ({ query: { limit, cursor, ...filter } }, ctx) => customers.list(ctx.db, filter, { limit, cursor }),
});
