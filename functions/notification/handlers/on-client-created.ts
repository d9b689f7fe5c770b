import { clientCreated } from '../../../events/billing.js';
import { handler } from '../../runtime/definition.js';
import { recordContact } from '../notify.js';

/** The Billing client's contact, where its invoices are sent, keyed by the client's id. */
export default handler({
  event: clientCreated,
  handle: async (event, ctx) => {
    const { data } = event;
    await recordContact(event, { kind: 'client', id: data.clientId, email: data.email, name: data.name }, ctx);
  },
});
