// Every Billing function, keyed by its source path under functions/, for the registry.
import billingCancelInvoice from './commands/cancel-invoice.js';
import billingCreateClient from './commands/create-client.js';
import billingCreateInvoice from './commands/create-invoice.js';
import billingDeleteClient from './commands/delete-client.js';
import billingDeleteInvoice from './commands/delete-invoice.js';
import billingRecordPayment from './commands/record-payment.js';
import billingSendInvoice from './commands/send-invoice.js';
import billingUpdateClient from './commands/update-client.js';
import billingDetectOverdue from './handlers/detect-overdue.js';
import billingOnCustomerRegistered from './handlers/on-customer-registered.js';
import billingOnCustomerUpdated from './handlers/on-customer-updated.js';
import billingOnEmailVerified from './handlers/on-email-verified.js';
import billingOnInvoiceRequested from './handlers/on-invoice-requested.js';
import billingOnOrderCancelled from './handlers/on-order-cancelled.js';
import billingRelayOutbox from './handlers/relay-outbox.js';
import billingGetClient from './queries/get-client.js';
import billingGetInvoice from './queries/get-invoice.js';
import billingListClients from './queries/list-clients.js';
import billingListInvoices from './queries/list-invoices.js';

export const billingFunctions = {
  'billing/commands/create-client': billingCreateClient,
  'billing/commands/update-client': billingUpdateClient,
  'billing/commands/delete-client': billingDeleteClient,
  'billing/queries/list-clients': billingListClients,
  'billing/queries/get-client': billingGetClient,
  'billing/commands/create-invoice': billingCreateInvoice,
  'billing/commands/send-invoice': billingSendInvoice,
  'billing/commands/record-payment': billingRecordPayment,
  'billing/commands/cancel-invoice': billingCancelInvoice,
  'billing/commands/delete-invoice': billingDeleteInvoice,
  'billing/queries/list-invoices': billingListInvoices,
  'billing/queries/get-invoice': billingGetInvoice,
  'billing/handlers/detect-overdue': billingDetectOverdue,
  'billing/handlers/relay-outbox': billingRelayOutbox,
  'billing/handlers/on-customer-registered': billingOnCustomerRegistered,
  'billing/handlers/on-email-verified': billingOnEmailVerified,
  'billing/handlers/on-customer-updated': billingOnCustomerUpdated,
  'billing/handlers/on-invoice-requested': billingOnInvoiceRequested,
  'billing/handlers/on-order-cancelled': billingOnOrderCancelled,
};
