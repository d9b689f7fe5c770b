// Who sees which invoices: an admin every one, a customer those of their own client.
import type { Caller } from '../runtime/definition.js';
import type { Queryable } from '../runtime/db.js';
import { clients } from './store.js';

/** The invoices a customer may see: those of one client, which the customer may name by its id or by their own. */
export interface OwnClient {
  customerId: string;
  /** The customer's client (see clients.ofCustomer); the customer's id when they have none yet, which names no client. */
  clientId: string;
}

/** The client a customer caller sees the invoices of; undefined for an admin, who sees all. */
export const ownClient = async (db: Queryable, caller: Caller | undefined): Promise<OwnClient | undefined> => {
  if (caller?.role !== 'customer') return undefined;
  const client = await clients.ofCustomer(db, caller.id);
  return { customerId: caller.id, clientId: client?.id ?? caller.id };
};

/** Whether `clientId`, as a customer wrote it, names their own client. */
export const namesOwnClient = (own: OwnClient, clientId: string): boolean => clientId === own.clientId || clientId === own.customerId;
