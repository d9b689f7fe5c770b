// Every Notification function, keyed by its source path under functions/, for the registry.
import notificationOnClientCreated from './handlers/on-client-created.js';
import notificationOnClientUpdated from './handlers/on-client-updated.js';
import notificationOnCustomerRegistered from './handlers/on-customer-registered.js';
import notificationOnCustomerUpdated from './handlers/on-customer-updated.js';
import notificationOnEmailVerificationRequested from './handlers/on-email-verification-requested.js';
import notificationOnLoginThrottled from './handlers/on-login-throttled.js';
import notificationOnSignUpAttempted from './handlers/on-sign-up-attempted.js';
import notificationOnInvoiceStatusChanged from './handlers/on-invoice-status-changed.js';
import notificationOnOrderCancelled from './handlers/on-order-cancelled.js';
import notificationOnOrderConfirmed from './handlers/on-order-confirmed.js';
import notificationOnOrderDelivered from './handlers/on-order-delivered.js';
import notificationOnOrderShipped from './handlers/on-order-shipped.js';
import notificationRelayOutbox from './handlers/relay-outbox.js';
import notificationSendPending from './handlers/send-pending.js';
import notificationListMyNotifications from './queries/list-my-notifications.js';
import notificationListNotifications from './queries/list-notifications.js';

export { backgroundSendsSettled, sendPending, type SendPendingOptions, type SendReport } from './sender.js';

export const notificationFunctions = {
  'notification/queries/list-notifications': notificationListNotifications,
  'notification/queries/list-my-notifications': notificationListMyNotifications,
  'notification/handlers/on-customer-registered': notificationOnCustomerRegistered,
  'notification/handlers/on-customer-updated': notificationOnCustomerUpdated,
  'notification/handlers/on-email-verification-requested': notificationOnEmailVerificationRequested,
  'notification/handlers/on-sign-up-attempted': notificationOnSignUpAttempted,
  'notification/handlers/on-login-throttled': notificationOnLoginThrottled,
  'notification/handlers/on-client-created': notificationOnClientCreated,
  'notification/handlers/on-client-updated': notificationOnClientUpdated,
  'notification/handlers/on-order-confirmed': notificationOnOrderConfirmed,
  'notification/handlers/on-order-cancelled': notificationOnOrderCancelled,
  'notification/handlers/on-order-shipped': notificationOnOrderShipped,
  'notification/handlers/on-order-delivered': notificationOnOrderDelivered,
  'notification/handlers/on-invoice-status-changed': notificationOnInvoiceStatusChanged,
  'notification/handlers/send-pending': notificationSendPending,
  'notification/handlers/relay-outbox': notificationRelayOutbox,
};
