import { customerRegistered } from '../../../events/customer.js';
import { handler } from '../../runtime/definition.js';
import { notify, recordContact } from '../notify.js';

/**
 * The new account's contact, and a welcome email to it. Admin accounts (the first admin, made from
 * the environment) get their contact but no welcome: they are not shoppers.
 */
export default handler({
  event: customerRegistered,
  handle: async (event, ctx) => {
    const { data } = event;
    await recordContact(event, { kind: 'customer', id: data.customerId, email: data.email, name: data.name }, ctx);
    if (data.role !== 'customer') return;
    await notify(event, { recipient: { kind: 'customer', id: data.customerId }, about: data.customerId, details: { kind: 'welcome', email: data.email } }, ctx);
  },
});
