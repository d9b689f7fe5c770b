import { customerUpdated } from '../../../events/customer.js';
import { handler } from '../../runtime/definition.js';
import { NotFound } from '../../runtime/errors.js';
import { updateClient } from '../client.js';
import { clients } from '../store.js';

/** The customer's new contact data, on their client: name and email always, phone and address when the event has them. */
export default handler({
  event: customerUpdated,
  // Each event is a snapshot: one customer's changes must be applied in the order they were made.
  delivery: { ordered: true },
  handle: async ({ data }, ctx) => {
    const client = await clients.ofCustomer(ctx.tx, data.customerId);
    // Billing has not handled the registration yet (another Trigger): retried until it has.
    if (!client) throw new NotFound(`customer ${data.customerId} has no client yet`);
    const [updated, events] = updateClient(client, { name: data.name, email: data.email, phone: data.phone, address: data.address }, ctx.now());
    if (events.length === 0) return;
    await clients.update(ctx.tx, updated, client.version);
    await ctx.tx.emit(...events);
  },
});
