import { customerRegistered } from '../../../events/customer.js';
import { handler } from '../../runtime/definition.js';
import { ensureCustomerClient } from '../customer-client.js';

/** The new account's client; an admin's client with the same email waits for the email to be verified. */
export default handler({
  event: customerRegistered,
  handle: ({ data }, ctx) => ensureCustomerClient(data, data.emailVerified === true, ctx),
});
