import { signUpAttempted } from '../../../events/customer.js';
import { handler } from '../../runtime/definition.js';
import { notify } from '../notify.js';

/** To the owner of an address someone tried to sign up with again. */
export default handler({
  event: signUpAttempted,
  handle: (event, ctx) => {
    const { data } = event;
    return notify(
      event,
      { recipient: { kind: 'customer', id: data.customerId }, about: data.customerId, details: { kind: 'sign-up-attempted', email: data.email } },
      ctx,
    );
  },
});
