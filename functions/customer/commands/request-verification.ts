import type { CustomerVerificationSent } from '../../../events/schemas.generated.js';
import type { Answer } from '../../runtime/answer.js';
import { command } from '../../runtime/definition.js';
import { Conflict, NotFound } from '../../runtime/errors.js';
import { customers } from '../store.js';
import { requestVerification } from '../verification.js';
import responseSchema from '../../../schemas/customer/verification-sent.json' with { type: 'json' };

/** A new verification mail for the caller's account (the last one expired or was lost); the older token stops working. */
export default command<unknown, Record<string, string>, Record<string, string>, Answer<CustomerVerificationSent>>({
  route: 'POST /customers/me/email-verification',
  access: ['customer', 'admin'],
  response: responseSchema,
  status: 202,
  handle: (_input, ctx) =>
    ctx.inTransaction(async (tx) => {
      const customer = await customers.find(tx, ctx.caller?.id ?? '');
      if (!customer) throw new NotFound('no account for this token');
      if (customer.emailVerified) throw new Conflict('the email of this account is verified already');
      await tx.emit(await requestVerification(tx, customer, ctx.now()));
      return { email: customer.email, status: 'verification-sent' };
    }),
});
