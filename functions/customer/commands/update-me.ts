import schema from '../../../schemas/customer/update-me.json' with { type: 'json' };
import type { CustomerCustomer, CustomerUpdateMe } from '../../../events/schemas.generated.js';
import type { Answer } from '../../runtime/answer.js';
import { command } from '../../runtime/definition.js';
import { ownRecord, selfId } from '../access.js';
import { updateCustomer } from '../customer.js';
import { checkIfMatch } from '../../runtime/preconditions.js';
import { customers } from '../store.js';
import responseSchema from '../../../schemas/customer/customer.json' with { type: 'json' };

export default command<CustomerUpdateMe, Record<string, string>, Record<string, string>, Answer<CustomerCustomer>>({
  route: 'PATCH /customers/me',
  access: ['customer'],
  ifMatch: true,
  response: responseSchema,
  body: schema,
  handle: ({ body, ifMatch }, ctx) =>
    ctx.inTransaction(async (tx) => {
      const id = selfId(ctx.caller);
      const customer = ownRecord(await customers.find(tx, id), id);
      checkIfMatch(customer, ifMatch);
      const [updated, events] = updateCustomer(customer, body, ctx.now());
      if (events.length === 0) return customer;
      await customers.update(tx, updated, customer.version);
      await tx.emit(...events);
      return updated;
    }),
});
