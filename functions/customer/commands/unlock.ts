import type { CustomerUnlocked } from '../../../events/schemas.generated.js';
import type { Answer } from '../../runtime/answer.js';
import { command } from '../../runtime/definition.js';
import { NotFound } from '../../runtime/errors.js';
import { customers, logins } from '../store.js';
import responseSchema from '../../../schemas/customer/unlocked.json' with { type: 'json' };

/** An admin lifts the login delay of an account: its failed attempts are forgotten. */
export default command<unknown, { id: string }, Record<string, string>, Answer<CustomerUnlocked>>({
  route: 'POST /customers/{id}/unlock',
  access: ['admin'],
  response: responseSchema,
  handle: ({ params }, ctx) =>
    ctx.inTransaction(async (tx) => {
      const customer = await customers.find(tx, params.id);
      if (!customer) throw new NotFound(`no customer ${params.id}`);
      return { customerId: customer.id, failuresCleared: await logins.clearFailures(tx, customer.email) };
    }),
});
