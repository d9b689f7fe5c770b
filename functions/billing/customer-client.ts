// The client of a customer, made or linked when Customer tells of the account (registered, and
// again once its email is verified). A client an admin made with the customer's email is linked
// only to a customer who has proved the email is theirs: linking it gives its invoices away.
import type { HandlerContext } from '../runtime/definition.js';
import { createCustomerClient, linkToCustomer, type CustomerContact } from './client.js';
import { clients } from './store.js';

/**
 * The customer's client: the one Billing already has for them, else the client an admin made with
 * their email, linked to them once `verified`, else a new client with the customer's id. Every
 * account gets one, admins included: customer-updated carries no role, and a client missing for
 * an account would leave its updates retried for nothing.
 */
export const ensureCustomerClient = async (customer: CustomerContact, verified: boolean, ctx: HandlerContext): Promise<void> => {
  const now = ctx.now();
  if (await clients.ofCustomer(ctx.tx, customer.customerId)) return;
  const sameEmail = await clients.byEmail(ctx.tx, customer.email);
  if (!sameEmail) {
    const [client, events] = createCustomerClient(customer, now);
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
      customerId: customer.customerId,
      clientId: sameEmail.id,
      linkedCustomerId: sameEmail.customerId,
    });
    return;
  }
  if (!verified) {
    // The client stays the admin's until the customer proves the email (customer-email-verified).
    ctx.log.info('unverified customer has the email of an existing client; linked once the email is verified', {
      customerId: customer.customerId,
      clientId: sameEmail.id,
    });
    return;
  }
  const [linked, events] = linkToCustomer(sameEmail, customer, now);
  await clients.update(ctx.tx, linked, sameEmail.version);
  await ctx.tx.emit(...events);
};
