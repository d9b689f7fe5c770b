// A customer: an account of the shop (a buyer, or an admin) and the contact data that Billing and
// Notification keep a copy of. The password hash is not part of it: it never leaves the store.
import type { CustomerUpdateMe } from '../../events/schemas.generated.js';
import type { Address, NewEvent } from '../../events/index.js';
import { customerRegistered, customerUpdated, emailVerified, type CustomerRegistered, type CustomerUpdated } from '../../events/customer.js';
import { Conflict } from '../runtime/errors.js';

export type Role = CustomerRegistered['role'];

export interface Customer {
  id: string;
  email: string;
  name: string;
  role: Role;
  /** Whether the owner of the email has proved it; until then the account is linked to nothing it does not own. */
  emailVerified: boolean;
  phone: string | null;
  address: Address | null;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface Registration {
  email: string;
  name: string;
}

/** A PATCH of /customers/me: absent fields stay, `null` clears phone or address. */
export type CustomerChanges = CustomerUpdateMe;

type Field = NonNullable<CustomerUpdated['changed']>[number];
const FIELDS: readonly Field[] = ['name', 'phone', 'address'];

/** A new account; `emailVerified` only for an account whose email is known to be its owner's (the admin from the environment). */
export const registerCustomer = (input: Registration, id: string, role: Role, now: Date, verified = false): [Customer, NewEvent[]] => {
  const customer: Customer = {
    id,
    email: input.email,
    name: input.name,
    role,
    emailVerified: verified,
    phone: null,
    address: null,
    version: 1,
    createdAt: now,
    updatedAt: now,
  };
  return [customer, [customerRegistered.build(id, { customerId: id, email: customer.email, name: customer.name, role, emailVerified: verified })]];
};

/** The owner of the email has proved it, by the token mailed to it. */
export const verifyEmail = (customer: Customer, now: Date): [Customer, NewEvent[]] => {
  if (customer.emailVerified) throw new Conflict('the email of this account is verified already');
  const verified: Customer = { ...customer, emailVerified: true, version: customer.version + 1, updatedAt: now };
  return [verified, [emailVerified.build(customer.id, { customerId: customer.id, email: customer.email, name: customer.name })]];
};

// Key order inside an address is not a change.
const same = (a: unknown, b: unknown): boolean => {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  return keysA.length === keysB.length && keysA.every((key) => same((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]));
};

/** Applies a PATCH; one that changes nothing leaves the customer (and its version) as it is. */
export const updateCustomer = (customer: Customer, changes: CustomerChanges, now: Date): [Customer, NewEvent[]] => {
  const changed = FIELDS.filter((field) => changes[field] !== undefined && !same(changes[field], customer[field]));
  if (changed.length === 0) return [customer, []];
  const updated: Customer = {
    ...customer,
    name: changes.name ?? customer.name,
    phone: changes.phone === undefined ? customer.phone : changes.phone,
    address: changes.address === undefined ? customer.address : changes.address,
    version: customer.version + 1,
    updatedAt: now,
  };
  return [
    updated,
    [
      customerUpdated.build(customer.id, {
        customerId: updated.id,
        email: updated.email,
        name: updated.name,
        phone: updated.phone,
        address: updated.address,
        changed,
      }),
    ],
  ];
};
