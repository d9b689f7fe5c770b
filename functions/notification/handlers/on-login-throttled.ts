import { loginThrottled } from '../../../events/customer.js';
import { handler } from '../../runtime/definition.js';
import { notify } from '../notify.js';

/** To the owner of an account whose failed sign-ins reached the alert threshold. */
export default handler({
  event: loginThrottled,
  handle: (event, ctx) => {
    const { data } = event;
    return notify(
      event,
      {
        recipient: { kind: 'customer', id: data.customerId },
        about: data.customerId,
        details: { kind: 'login-throttled', email: data.email, failures: data.failures },
      },
      ctx,
    );
  },
});
