// Billing's events: the data each one carries, and its definition (type name and JSON Schema).
import type {
  EventsBillingClientCreatedV1,
  EventsBillingClientDeletedV1,
  EventsBillingClientUpdatedV1,
  EventsBillingInvoiceCreatedV1,
  EventsBillingInvoiceDeletedV1,
  EventsBillingInvoiceStatusChangedV1,
  EventsBillingPaymentReceivedV1,
  EventsBillingPaymentRefundedV1,
} from './schemas.generated.js';
import { defineEvent } from './core.js';
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

export type ClientCreated = EventsBillingClientCreatedV1;
export const clientCreated = defineEvent<ClientCreated>('billing', 'client-created', 1, clientCreatedSchema);

/** The client as it is after the change (a full snapshot), and which fields changed. */
export type ClientUpdated = EventsBillingClientUpdatedV1;
export const clientUpdated = defineEvent<ClientUpdated>('billing', 'client-updated', 1, clientUpdatedSchema);

export type ClientDeleted = EventsBillingClientDeletedV1;
export const clientDeleted = defineEvent<ClientDeleted>('billing', 'client-deleted', 1, clientDeletedSchema);

export type InvoiceCreated = EventsBillingInvoiceCreatedV1;
export const invoiceCreated = defineEvent<InvoiceCreated>('billing', 'invoice-created', 1, invoiceCreatedSchema);

export type InvoiceStatusChanged = EventsBillingInvoiceStatusChangedV1;
export const invoiceStatusChanged = defineEvent<InvoiceStatusChanged>('billing', 'invoice-status-changed', 1, invoiceStatusChangedSchema);

/** A draft invoice was deleted (only drafts ever are). */
export type InvoiceDeleted = EventsBillingInvoiceDeletedV1;
export const invoiceDeleted = defineEvent<InvoiceDeleted>('billing', 'invoice-deleted', 1, invoiceDeletedSchema);

export type PaymentReceived = EventsBillingPaymentReceivedV1;
export const paymentReceived = defineEvent<PaymentReceived>('billing', 'payment-received', 1, paymentReceivedSchema);

export type PaymentRefunded = EventsBillingPaymentRefundedV1;
export const paymentRefunded = defineEvent<PaymentRefunded>('billing', 'payment-refunded', 1, paymentRefundedSchema);
