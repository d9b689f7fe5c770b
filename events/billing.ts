// Billing's events: the data each one carries, and its definition (type name and JSON Schema).
import { defineEvent, type Address, type Money } from './core.js';
import clientCreatedSchema from '../schemas/events/billing/client-created.v1.json' with { type: 'json' };
import clientUpdatedSchema from '../schemas/events/billing/client-updated.v1.json' with { type: 'json' };
import clientDeletedSchema from '../schemas/events/billing/client-deleted.v1.json' with { type: 'json' };
import invoiceCreatedSchema from '../schemas/events/billing/invoice-created.v1.json' with { type: 'json' };
import invoiceStatusChangedSchema from '../schemas/events/billing/invoice-status-changed.v1.json' with { type: 'json' };
import invoiceDeletedSchema from '../schemas/events/billing/invoice-deleted.v1.json' with { type: 'json' };
import paymentReceivedSchema from '../schemas/events/billing/payment-received.v1.json' with { type: 'json' };
import paymentRefundedSchema from '../schemas/events/billing/payment-refunded.v1.json' with { type: 'json' };

export type { Address, Money } from './core.js';

export type InvoiceStatus = 'draft' | 'sent' | 'overdue' | 'paid' | 'cancelled' | 'refunded';

export interface ClientCreated {
  clientId: string;
  name: string;
  email: string;
  phone: string | null;
  address: Address | null;
}
export const clientCreated = defineEvent<ClientCreated>('billing', 'client-created', 1, clientCreatedSchema);

/** The client as it is after the change (a full snapshot), and which fields changed. */
export interface ClientUpdated extends ClientCreated {
  changed: Array<'name' | 'email' | 'phone' | 'address'>;
}
export const clientUpdated = defineEvent<ClientUpdated>('billing', 'client-updated', 1, clientUpdatedSchema);

export interface ClientDeleted {
  clientId: string;
}
export const clientDeleted = defineEvent<ClientDeleted>('billing', 'client-deleted', 1, clientDeletedSchema);

export interface InvoiceCreated {
  invoiceId: string;
  clientId: string;
  orderId?: string;
  /** Null while the invoice is a draft. */
  number: string | null;
  status: InvoiceStatus;
  total: Money;
  issueDate: string | null;
  dueDate: string;
}
export const invoiceCreated = defineEvent<InvoiceCreated>('billing', 'invoice-created', 1, invoiceCreatedSchema);

export interface InvoiceStatusChanged {
  invoiceId: string;
  clientId: string;
  orderId?: string;
  number: string | null;
  from: InvoiceStatus;
  to: InvoiceStatus;
  total: Money;
  paidAmount: Money;
  dueDate: string;
}
export const invoiceStatusChanged = defineEvent<InvoiceStatusChanged>(
  'billing',
  'invoice-status-changed',
  1,
  invoiceStatusChangedSchema,
);

/** A draft invoice was deleted (only drafts ever are). */
export interface InvoiceDeleted {
  invoiceId: string;
  clientId: string;
  orderId?: string;
}
export const invoiceDeleted = defineEvent<InvoiceDeleted>('billing', 'invoice-deleted', 1, invoiceDeletedSchema);

export interface PaymentReceived {
  invoiceId: string;
  clientId: string;
  orderId?: string;
  paymentId: string;
  amount: Money;
  reference?: string;
  paidAmount: Money;
  outstanding: Money;
}
export const paymentReceived = defineEvent<PaymentReceived>('billing', 'payment-received', 1, paymentReceivedSchema);

export interface PaymentRefunded {
  invoiceId: string;
  clientId: string;
  orderId?: string;
  /** Everything that had been paid on the invoice. */
  amount: Money;
  reason?: string;
}
export const paymentRefunded = defineEvent<PaymentRefunded>('billing', 'payment-refunded', 1, paymentRefundedSchema);
