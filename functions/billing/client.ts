// A client of Billing: whom invoices are addressed to. A customer's own client has the
// customer's id.
import type { NewEvent } from '../../events/index.js';
import { clientCreated, clientDeleted, clientUpdated, type Address, type ClientUpdated } from '../../events/billing.js';
import { Conflict } from '../runtime/errors.js';

export interface Client {
  id: string;
  name: string;
  email: string;
  phone: string | null;
  address: Address | null;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewClient {
  name: string;
  email: string;
  phone?: string;
  address?: Address;
}

/** A PATCH: absent fields stay, `null` clears phone or address. */
export interface ClientChanges {
  name?: string;
  email?: string;
  phone?: string | null;
  address?: Address | null;
}

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
    version: 1,
    createdAt: now,
    updatedAt: now,
  };
  return [client, [clientCreated.build(id, snapshot(client))]];
};

// Key order inside an address is not a change.
const same = (a: unknown, b: unknown): boolean => {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  return (
    keysA.length === keysB.length &&
    keysA.every((key) => same((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]))
  );
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
