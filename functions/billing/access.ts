// Who sees which invoices: an admin every one, a customer those of their own client.
import type { Caller } from '../runtime/definition.js';

/** The client a customer caller is (Billing gives a customer's client the customer's id); undefined for an admin. */
export const ownClientId = (caller: Caller | undefined): string | undefined =>
  caller?.role === 'customer' ? caller.id : undefined;
