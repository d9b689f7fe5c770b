import { customerRegistered } from '../../../events/customer.js';
import { handler } from '../../runtime/definition.js';
import { createCustomerClient, linkToCustomer } from '../client.js';
import { clients } from '../store.js';

/**
 * The registered customer's client: the one Billing already has for them, else the client an
 * admin made with their email, now linked to them, else a new client with the customer's id.
 * Every account gets one, admins included: customer-updated carries no role, and a client
 * missing for an account would leave its updates retried for nothing.
 */
export default handler({
  event: customerRegistered,
  handle: async ({ data }, ctx) => {
    const now = ctx.now();
    if (await clients.ofCustomer(ctx.tx, data.customerId)) return;
    const sameEmail = await clients.byEmail(ctx.tx, data.email);
    if (!sameEmail) {
      const [client, events] = createCustomerClient(data, now);
      await clients.insert(ctx.tx, client);
      await ctx.tx.emit(...events);
      return;
    }
    if (sameEmail.customerId !== null) {
      // Customer keeps emails unique, so the mailbox moved from that customer to this one: the
      // other customer's change of email is not here yet, or an admin gave the linked client this
      // email. Emails are unique among clients too, so this customer gets no client now. A retry
      // could wait forever and end as a dead letter, and registration is never a failure in
      // Billing: the event is done (204), and the warning says why the customer has no client.
      // Their invoice-requested and customer-updated are retried (404) until one exists.
      ctx.log.warn('customer registered with the email of a client linked to another customer; no client linked', {
        customerId: data.customerId,
        clientId: sameEmail.id,
        linkedCustomerId: sameEmail.customerId,
      });
      return;
    }
    const [linked, events] = linkToCustomer(sameEmail, data, now);
    await clients.update(ctx.tx, linked, sameEmail.version);
    await ctx.tx.emit(...events);
  },
});
