import { query } from '../../runtime/definition.js';
import { ownRecord, selfId } from '../access.js';
import type { Customer } from '../customer.js';
import { customers } from '../store.js';
import responseSchema from '../../../schemas/customer/customer.json' with { type: 'json' };

export default query<Record<string, string>, Record<string, string>, Customer>({
  route: 'GET /customers/me',
  access: ['customer'],
  response: responseSchema,
  handle: async (_input, ctx) => {
    const id = selfId(ctx.caller);
    return ownRecord(await customers.find(ctx.db, id), id);
  },
});
