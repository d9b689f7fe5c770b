import { randomUUID } from 'node:crypto';
import schema from '../../../schemas/customer/register.json' with { type: 'json' };
import { signUpAttempted } from '../../../events/customer.js';
import type { CustomerCustomer, CustomerRegister } from '../../../events/schemas.generated.js';
import type { Answer } from '../../runtime/answer.js';
import { command } from '../../runtime/definition.js';
import { Conflict } from '../../runtime/errors.js';
import { registerCustomer } from '../customer.js';
import { hashPassword } from '../password-hash.js';
import { assertStrongPassword } from '../password.js';
import { customers } from '../store.js';
import { requestVerification } from '../verification.js';
import responseSchema from '../../../schemas/customer/customer.json' with { type: 'json' };

/**
 * A new, unverified account, and a verification mail to its address. Sign-up never tells whether
 * the email is taken: for a taken one the answer is the same (201, an account as it would have
 * been made, under an id that names nothing) and the owner of the address is mailed instead.
 */
export default command<CustomerRegister, Record<string, string>, Record<string, string>, Answer<CustomerCustomer>>({
  route: 'POST /customers/register',
  access: 'public',
  response: responseSchema,
  body: schema,
  status: 201,
  handle: async ({ body }, ctx) => {
    assertStrongPassword(body.password, body.email);
    // Hashed before the transaction opens (scrypt takes tens of milliseconds and holds no row),
    // and for a taken email too, so both answers take as long.
    const passwordHash = await hashPassword(body.password);
    const now = ctx.now();
    const [customer, events] = registerCustomer(body, randomUUID(), 'customer', now);
    const signUp = (insert: boolean) =>
      ctx.inTransaction(async (tx) => {
        const owner = await customers.findByEmail(tx, body.email);
        if (owner) {
          await tx.emit(signUpAttempted.build(owner.id, { customerId: owner.id, email: owner.email }));
        } else if (insert) {
          await customers.insert(tx, customer, passwordHash);
          await tx.emit(...events, await requestVerification(tx, customer, now));
        }
        return customer;
      });
    try {
      return await signUp(true);
    } catch (error) {
      // Another sign-up took the email between the look-up and the insert: its owner is told.
      if (error instanceof Conflict) return signUp(false);
      throw error;
    }
  },
});
