import type { CustomerCustomer } from '../../../events/schemas.generated.js';
import type { Answer } from '../../runtime/answer.js';
import schema from '../../../schemas/customer/verify-email.json' with { type: 'json' };
import { command } from '../../runtime/definition.js';
import { ValidationError } from '../../runtime/errors.js';
import { verifyEmail } from '../customer.js';
import { customers, verifications } from '../store.js';
import { hashToken } from '../verification.js';
import responseSchema from '../../../schemas/customer/customer.json' with { type: 'json' };

const badToken = () => new ValidationError('the token is not a current verification token', [{ pointer: '/token', message: 'is unknown, used or expired' }]);

/** The token mailed at sign-up (or on request) proves the email; it works once, before it expires. */
export default command<{ token: string }, Record<string, string>, Record<string, string>, Answer<CustomerCustomer>>({
  route: 'POST /customers/verify-email',
  access: 'public',
  response: responseSchema,
  body: schema,
  handle: ({ body }, ctx) =>
    ctx.inTransaction(async (tx) => {
      const now = ctx.now();
      const customerId = await verifications.take(tx, hashToken(body.token), now);
      const customer = customerId === undefined ? undefined : await customers.find(tx, customerId);
      if (!customer) throw badToken();
      if (customer.emailVerified) return customer;
      const [verified, events] = verifyEmail(customer, now);
      await customers.update(tx, verified, customer.version);
      await tx.emit(...events);
      return verified;
    }),
});
