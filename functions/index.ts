// The registry: every function of the platform, keyed by its source path under functions/.
// The build, the manifests and the local platform all read this one list.
import { register } from './runtime/registry.js';
import billingCancelInvoice from './billing/commands/cancel-invoice.js';
import billingCreateClient from './billing/commands/create-client.js';
import billingCreateInvoice from './billing/commands/create-invoice.js';
import billingDeleteClient from './billing/commands/delete-client.js';
import billingDeleteInvoice from './billing/commands/delete-invoice.js';
import billingRecordPayment from './billing/commands/record-payment.js';
import billingSendInvoice from './billing/commands/send-invoice.js';
import billingUpdateClient from './billing/commands/update-client.js';
import billingDetectOverdue from './billing/handlers/detect-overdue.js';
import billingOnCustomerRegistered from './billing/handlers/on-customer-registered.js';
import billingOnCustomerUpdated from './billing/handlers/on-customer-updated.js';
import billingOnEmailVerified from './billing/handlers/on-email-verified.js';
import billingOnInvoiceRequested from './billing/handlers/on-invoice-requested.js';
import billingOnOrderCancelled from './billing/handlers/on-order-cancelled.js';
import billingRelayOutbox from './billing/handlers/relay-outbox.js';
import billingGetClient from './billing/queries/get-client.js';
import billingGetInvoice from './billing/queries/get-invoice.js';
import billingListClients from './billing/queries/list-clients.js';
import billingListInvoices from './billing/queries/list-invoices.js';
import platformDeadLetters from './platform/handlers/dead-letters.js';
import { catalogFunctions } from './catalog/index.js';
import { customerFunctions } from './customer/index.js';
import { inventoryFunctions } from './inventory/index.js';
import { orderFunctions } from './order/index.js';
import { shippingFunctions } from './shipping/index.js';
import { notificationFunctions } from './notification/index.js';

export const registry = register({
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
  'platform/handlers/dead-letters': platformDeadLetters,
  ...catalogFunctions,
  ...customerFunctions,
  ...inventoryFunctions,
  ...orderFunctions,
  ...shippingFunctions,
  ...notificationFunctions,
});
