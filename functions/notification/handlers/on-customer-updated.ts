import { customerUpdated } from '../../../events/customer.js';
import { handler } from '../../runtime/definition.js';
import { recordContact } from '../notify.js';

/** The customer's contact as it is after the change; an older event than the one it comes from changes nothing. */
export default handler({
  event: customerUpdated,
  handle: async (event, ctx) => {
    const { data } = event;
    await recordContact(event, { kind: 'customer', id: data.customerId, email: data.email, name: data.name }, ctx);
  },
});
