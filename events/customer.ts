// Customer's events: the contact data other contexts keep a copy of (Billing, Notification).
import customerRegisteredSchema from '../schemas/events/customer/customer-registered.v1.json' with { type: 'json' };
import customerUpdatedSchema from '../schemas/events/customer/customer-updated.v1.json' with { type: 'json' };
import type { EventsCustomerCustomerRegisteredV1, EventsCustomerCustomerUpdatedV1 } from './schemas.generated.js';
import { defineEvent } from './core.js';

export type CustomerRegistered = EventsCustomerCustomerRegisteredV1;
export const customerRegistered = defineEvent<CustomerRegistered>('customer', 'customer-registered', 1, customerRegisteredSchema);

/** The customer's contact data after the change. */
export type CustomerUpdated = EventsCustomerCustomerUpdatedV1;
export const customerUpdated = defineEvent<CustomerUpdated>('customer', 'customer-updated', 1, customerUpdatedSchema);
