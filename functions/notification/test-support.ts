// Shared steps of Notification's function tests: the functions started by path, a real SMTP server
// (smtp-server) that keeps what it accepts, the events Notification handles, and the rows it keeps.
import { randomUUID } from 'node:crypto';
import { afterAll, expect } from 'vitest';
import { clientCreated, clientUpdated, invoiceStatusChanged } from '../../events/billing.js';
import { customerRegistered, customerUpdated } from '../../events/customer.js';
import { orderCancelled, orderConfirmed, orderDelivered, orderShipped } from '../../events/order.js';
import { poolFor } from '../runtime/db.js';
import { register } from '../runtime/registry.js';
import { startFunctions, type TestApi, type TestDatabase, type TestResponse } from '../runtime/testing.js';
import { notificationFunctions } from './index.js';
import { backgroundSendsSettled, sendPending, type SendPendingOptions, type SendReport } from './sender.js';

const registered = register(notificationFunctions);

export type NotificationPath = keyof typeof notificationFunctions;

/**
 * Starts Notification functions by path for this test file. Before the servers close, it waits
 * for the sends that handlers started after their commits.
 */
export const startNotification = (paths: NotificationPath[]): TestApi => {
  const api = startFunctions(
    paths.map((path) => {
      const fn = registered.find((f) => f.path === path);
      if (!fn) throw new Error(`no Notification function at ${path}`);
      return fn;
    }),
  );
  afterAll(() => backgroundSendsSettled());
  return api;
};

export const ON_CUSTOMER_REGISTERED = 'notification/handlers/on-customer-registered';
export const ON_CUSTOMER_UPDATED = 'notification/handlers/on-customer-updated';
export const ON_CLIENT_CREATED = 'notification/handlers/on-client-created';
export const ON_CLIENT_UPDATED = 'notification/handlers/on-client-updated';
export const ON_ORDER_CONFIRMED = 'notification/handlers/on-order-confirmed';
export const ON_ORDER_CANCELLED = 'notification/handlers/on-order-cancelled';
export const ON_ORDER_SHIPPED = 'notification/handlers/on-order-shipped';
export const ON_ORDER_DELIVERED = 'notification/handlers/on-order-delivered';
export const ON_INVOICE_STATUS_CHANGED = 'notification/handlers/on-invoice-status-changed';
export const SEND_PENDING = 'notification/handlers/send-pending';

/** Every send started after a handler's commit has finished. */
export const settled = (): Promise<void> => backgroundSendsSettled();

/** What the background sends left, then one more run of the sender (due emails only). */
export const sendNow = async (options: SendPendingOptions = {}): Promise<SendReport> => {
  await settled();
  return sendPending(await poolFor('notification'), options);
};

// ---- a real SMTP server ------------------------------------------------------------------------

export { parseMail, useSmtpServer, type ReceivedMail, type TestSmtpServer } from '../runtime/smtp-testing.js';

// ---- events that Notification handles ----------------------------------------------------------

export const eur = (amount: number) => ({ amount, currency: 'EUR' });

type Data = Record<string, unknown>;
type Deliver = (api: TestApi, data: Data, options?: { id?: string; time?: string }) => Promise<TestResponse>;

const deliverer =
  (path: NotificationPath, type: string, subjectOf: (data: Data) => unknown): Deliver =>
  (api, data, options = {}) =>
    api.deliver(path, {
      type,
      subject: String(subjectOf(data)),
      data,
      ...(options.id ? { id: options.id } : {}),
      ...(options.time ? { time: options.time } : {}),
    });

export const customerRegistration = (overrides: Data = {}) => {
  const customerId = randomUUID();
  return { customerId, email: `ann.${customerId.slice(0, 8)}@example.test`, name: 'Ann Smith', role: 'customer', ...overrides };
};
export const registerCustomer = deliverer(ON_CUSTOMER_REGISTERED, customerRegistered.type, (d) => d.customerId);

export const customerUpdate = (customerId: string, overrides: Data = {}) => ({
  customerId,
  email: `ann.${customerId.slice(0, 8)}@example.test`,
  name: 'Ann Smith-Jones',
  changed: ['name'],
  ...overrides,
});
export const updateCustomer = deliverer(ON_CUSTOMER_UPDATED, customerUpdated.type, (d) => d.customerId);

export const clientCreation = (overrides: Data = {}) => {
  const clientId = randomUUID();
  return { clientId, name: 'Acme Ltd', email: `billing.${clientId.slice(0, 8)}@acme.test`, phone: null, address: null, ...overrides };
};
export const createClient = deliverer(ON_CLIENT_CREATED, clientCreated.type, (d) => d.clientId);

export const clientUpdate = (clientId: string, overrides: Data = {}) => ({
  ...clientCreation({ clientId }),
  changed: ['email'],
  ...overrides,
});
export const updateClient = deliverer(ON_CLIENT_UPDATED, clientUpdated.type, (d) => d.clientId);

export const orderConfirmation = (customerId: string, overrides: Data = {}) => ({
  orderId: randomUUID(),
  orderNumber: 'ORD-2026-000042',
  customerId,
  invoiceId: randomUUID(),
  invoiceNumber: 'INV-2026-000017',
  total: eur(4_990),
  ...overrides,
});
export const confirmOrder = deliverer(ON_ORDER_CONFIRMED, orderConfirmed.type, (d) => d.orderId);

export const orderCancellation = (customerId: string, overrides: Data = {}) => ({
  orderId: randomUUID(),
  orderNumber: 'ORD-2026-000043',
  customerId,
  reason: 'some items are out of stock',
  cancelledBy: 'saga',
  completedSteps: ['placed'],
  ...overrides,
});
export const cancelOrder = deliverer(ON_ORDER_CANCELLED, orderCancelled.type, (d) => d.orderId);

export const orderShipment = (customerId: string, overrides: Data = {}) => ({
  orderId: randomUUID(),
  orderNumber: 'ORD-2026-000044',
  customerId,
  shipmentId: randomUUID(),
  carrier: 'La Poste',
  trackingNumber: 'LP123456789FR',
  lines: [{ productId: randomUUID(), quantity: 2 }],
  ...overrides,
});
export const shipOrder = deliverer(ON_ORDER_SHIPPED, orderShipped.type, (d) => d.orderId);

export const orderDelivery = (customerId: string, overrides: Data = {}) => ({
  orderId: randomUUID(),
  orderNumber: 'ORD-2026-000045',
  customerId,
  shipmentId: randomUUID(),
  ...overrides,
});
export const deliverOrder = deliverer(ON_ORDER_DELIVERED, orderDelivered.type, (d) => d.orderId);

export const invoiceStatusChange = (clientId: string, overrides: Data = {}) => ({
  invoiceId: randomUUID(),
  clientId,
  number: 'INV-2026-000123',
  from: 'draft',
  to: 'sent',
  total: eur(12_345),
  paidAmount: eur(0),
  dueDate: '2026-12-31',
  ...overrides,
});
export const changeInvoiceStatus = deliverer(ON_INVOICE_STATUS_CHANGED, invoiceStatusChanged.type, (d) => d.invoiceId);

// ---- set-ups and rows --------------------------------------------------------------------------

/** A customer Notification knows (through customer-registered); its registration data. */
export const givenCustomer = async (api: TestApi, overrides: Data = {}) => {
  const customer = customerRegistration(overrides);
  const response = await registerCustomer(api, customer);
  expect(response.status, response.text).toBe(204);
  return customer as { customerId: string; email: string; name: string; role: string };
};

/** A Billing client Notification knows (through client-created); its data. */
export const givenClient = async (api: TestApi, overrides: Data = {}) => {
  const client = clientCreation(overrides);
  const response = await createClient(api, client);
  expect(response.status, response.text).toBe(204);
  return client as { clientId: string; email: string; name: string };
};

export interface NotificationRow {
  id: string;
  event_id: string;
  kind: string;
  status: string;
  attempts: number;
  to_address: string;
  subject: string;
  last_error: string | null;
  sent_at: Date | null;
}

/** The notifications recorded for an event, by kind. */
export const notificationsOf = (db: Pick<TestDatabase, 'query'>, eventId: string) =>
  db.query<NotificationRow & Record<string, unknown>>(
    `SELECT id, event_id, kind, status, attempts, to_address, subject, last_error, sent_at
     FROM notification.notifications WHERE event_id = $1 ORDER BY kind`,
    [eventId],
  );

/** The one notification of an event. */
export const notificationOf = async (db: Pick<TestDatabase, 'query'>, eventId: string): Promise<NotificationRow> => {
  const rows = await notificationsOf(db, eventId);
  expect(rows, `notifications of event ${eventId}`).toHaveLength(1);
  return rows[0] as NotificationRow;
};

export const messageIdOf = (notificationId: string) => `<${notificationId}@gotuto.dev>`;
