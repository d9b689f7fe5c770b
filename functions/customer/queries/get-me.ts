import type { CustomerCustomer } from '../../../events/schemas.generated.js';
import type { Answer } from '../../runtime/answer.js';
import { query } from '../../runtime/definition.js';
import { ownRecord, selfId } from '../access.js';
import { customers } from '../store.js';
import responseSchema from '../../../schemas/customer/customer.json' with { type: 'json' };

export default query<Record<string, string>, Record<string, string>, Answer<CustomerCustomer>>({
  route: 'GET /customers/me',
  access: ['customer'],
  response: responseSchema,
  handle: async (_input, ctx) => {
    const id = selfId(ctx.caller);
    return ownRecord(await customers.find(ctx.db, id), id);
  },
});
