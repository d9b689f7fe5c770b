import { emailVerificationRequested } from '../../../events/customer.js';
import { handler } from '../../runtime/definition.js';
import { notify } from '../notify.js';

/** The verification code, to the address it verifies. */
export default handler({
  event: emailVerificationRequested,
  handle: (event, ctx) => {
    const { data } = event;
    return notify(
      event,
      {
        recipient: { kind: 'customer', id: data.customerId },
        about: data.customerId,
        details: { kind: 'email-verification', email: data.email, token: data.token, expiresAt: data.expiresAt },
      },
      ctx,
    );
  },
});
