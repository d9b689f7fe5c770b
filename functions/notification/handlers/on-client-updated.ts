import { clientUpdated } from '../../../events/billing.js';
import { handler } from '../../runtime/definition.js';
import { recordContact } from '../notify.js';

/**
 * The client's contact as it is after the change (the event is a full snapshot, so a client whose
 * creation came before Notification existed is known from its first update).
 */
export default handler({
  event: clientUpdated,
  handle: async (event, ctx) => {
    const { data } = event;
    await recordContact(event, { kind: 'client', id: data.clientId, email: data.email, name: data.name }, ctx);
  },
});
