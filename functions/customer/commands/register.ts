import { randomUUID } from 'node:crypto';
import schema from '../../../schemas/customer/register.json' with { type: 'json' };
import type { CustomerRegister } from '../../../events/schemas.generated.js';
import { command } from '../../runtime/definition.js';
import { registerCustomer, type Customer } from '../customer.js';
import { hashPassword } from '../password-hash.js';
import { assertStrongPassword } from '../password.js';
import { customers } from '../store.js';
import responseSchema from '../../../schemas/customer/customer.json' with { type: 'json' };

export default command<CustomerRegister, Record<string, string>, Record<string, string>, Customer>({
  route: 'POST /customers/register',
  access: 'public',
  response: responseSchema,
  body: schema,
  status: 201,
  handle: async ({ body }, ctx) => {
    assertStrongPassword(body.password, body.email);
    // Hashed before the transaction opens: scrypt takes tens of milliseconds and holds no row.
    const passwordHash = await hashPassword(body.password);
    return ctx.inTransaction(async (tx) => {
      const [customer, events] = registerCustomer(body, randomUUID(), 'customer', ctx.now());
      await customers.insert(tx, customer, passwordHash);
      await tx.emit(...events);
      return customer;
    });
  },
});
