// Customer's events: the contact data other contexts keep a copy of (Billing, Notification).
import customerRegisteredSchema from '../schemas/events/customer/customer-registered.v1.json' with { type: 'json' };
import customerUpdatedSchema from '../schemas/events/customer/customer-updated.v1.json' with { type: 'json' };
import { defineEvent, type Address } from './core.js';

export interface CustomerRegistered {
  customerId: string;
  email: string;
  name: string;
  role: 'customer' | 'admin';
}
export const customerRegistered = defineEvent<CustomerRegistered>('customer', 'customer-registered', 1, customerRegisteredSchema);

/** The customer's contact data after the change. */
export interface CustomerUpdated {
  customerId: string;
  email: string;
  name: string;
  phone?: string | null;
  address?: Address | null;
  /** The fields the change touched; absent from events emitted before it was added. */
  changed?: Array<'name' | 'phone' | 'address'>;
}
export const customerUpdated = defineEvent<CustomerUpdated>('customer', 'customer-updated', 1, customerUpdatedSchema);
