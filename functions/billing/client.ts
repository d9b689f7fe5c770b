// A client of Billing: whom invoices are addressed to. Billing makes a registered customer's
// client with the customer's id, or links the client an admin had made with the customer's email.
import type { BillingCreateClient, BillingUpdateClient } from '../../events/schemas.generated.js';
import type { NewEvent } from '../../events/index.js';
import { clientCreated, clientDeleted, clientUpdated, type Address, type ClientUpdated } from '../../events/billing.js';
import { Conflict } from '../runtime/errors.js';

export interface Client {
  id: string;
  name: string;
  email: string;
  phone: string | null;
  address: Address | null;
  /** The customer this client belongs to; null for a client only an admin knows. */
  customerId: string | null;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export type NewClient = BillingCreateClient;

/** A customer's contact data, as Customer's events carry it. */
export interface CustomerContact {
  customerId: string;
  name: string;
  email: string;
}

/** A PATCH: absent fields stay, `null` clears phone or address. */
export type ClientChanges = BillingUpdateClient;

type Field = ClientUpdated['changed'][number];
const FIELDS: readonly Field[] = ['name', 'email', 'phone', 'address'];

const snapshot = (client: Client) => ({
  clientId: client.id,
  name: client.name,
  email: client.email,
  phone: client.phone,
  address: client.address,
});

export const createClient = (input: NewClient, id: string, now: Date): [Client, NewEvent[]] => {
  const client: Client = {
    id,
    name: input.name,
    email: input.email,
    phone: input.phone ?? null,
    address: input.address ?? null,
    customerId: null,
    version: 1,
    createdAt: now,
    updatedAt: now,
  };
  return [client, [clientCreated.build(id, snapshot(client))]];
};

/** The client of a customer who registered before any admin made one for them: it has the customer's id. */
export const createCustomerClient = (customer: CustomerContact, now: Date): [Client, NewEvent[]] => {
  const [client, events] = createClient({ name: customer.name, email: customer.email }, customer.customerId, now);
  return [{ ...client, customerId: customer.customerId }, events];
};

/**
 * Links the client an admin made to the customer who registered with its email. From then on
 * Customer holds the client's contact data (customer-updated overwrites them), so the name and the
 * spelling of the email become the customer's now rather than at the customer's first change;
 * phone and address, which a registration does not carry, stay as the admin entered them.
 */
export const linkToCustomer = (client: Client, customer: CustomerContact, now: Date): [Client, NewEvent[]] => {
  if (client.customerId === customer.customerId) return [client, []];
  if (client.customerId !== null) {
    throw new Conflict(`client ${client.id} belongs to customer ${client.customerId}, not ${customer.customerId}`);
  }
  const changed = (['name', 'email'] as const).filter((field) => client[field] !== customer[field]);
  const linked: Client = {
    ...client,
    name: customer.name,
    email: customer.email,
    customerId: customer.customerId,
    version: client.version + 1,
    updatedAt: now,
  };
  return [linked, [clientUpdated.build(client.id, { ...snapshot(linked), changed })]];
};

// Key order inside an address is not a change.
const same = (a: unknown, b: unknown): boolean => {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  return keysA.length === keysB.length && keysA.every((key) => same((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]));
};

/** Applies a PATCH; a PATCH that changes nothing leaves the client (and its version) as it is. */
export const updateClient = (client: Client, changes: ClientChanges, now: Date): [Client, NewEvent[]] => {
  const changed = FIELDS.filter((field) => changes[field] !== undefined && !same(changes[field], client[field]));
  if (changed.length === 0) return [client, []];
  const updated: Client = {
    ...client,
    name: changes.name ?? client.name,
    email: changes.email ?? client.email,
    phone: changes.phone === undefined ? client.phone : changes.phone,
    address: changes.address === undefined ? client.address : changes.address,
    version: client.version + 1,
    updatedAt: now,
  };
  return [updated, [clientUpdated.build(client.id, { ...snapshot(updated), changed })]];
};

export const deleteClient = (client: Client, hasInvoices: boolean): NewEvent[] => {
  if (hasInvoices) throw new Conflict(`client ${client.id} has invoices and cannot be deleted`);
  return [clientDeleted.build(client.id, { clientId: client.id })];
};
