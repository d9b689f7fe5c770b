import { emailVerified } from '../../../events/customer.js';
import { handler } from '../../runtime/definition.js';
import { ensureCustomerClient } from '../customer-client.js';

/** A customer proved their email: the client an admin made with it is theirs now (or a new one is made). */
export default handler({
  event: emailVerified,
  handle: ({ data }, ctx) => ensureCustomerClient(data, true, ctx),
});
