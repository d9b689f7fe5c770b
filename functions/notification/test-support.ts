// Shared steps of Notification's function tests: the functions started by path, a real SMTP server
// (smtp-server) that keeps what it accepts, the events Notification handles, and the rows it keeps.
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, expect } from 'vitest';
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

export interface ReceivedMail {
  envelopeTo: string[];
  headers: Record<string, string>;
  subject: string;
  messageId: string;
  text: string;
  html: string;
  raw: string;
}

/**
 * How the server answers the end of a message: accept it; refuse it for now (451) or for good (550);
 * or never answer (the server may have kept it: the client cannot know).
 */
export type SmtpMode = 'accept' | 'refuse-transient' | 'refuse-permanent' | 'silent';

export interface TestSmtpServer {
  url: string;
  mode: SmtpMode;
  /** Messages the server accepted, in order. */
  accepted: ReceivedMail[];
  /** Messages whose data the server received, whatever it answered. */
  attempts: number;
  /** Accepted messages with this Message-ID. */
  withMessageId(messageId: string): ReceivedMail[];
  /** Accepted messages to this address. */
  to(address: string): ReceivedMail[];
  stop(): Promise<void>;
  /** Listens again, on the same port. */
  start(): Promise<void>;
}

const decodeWords = (value: string): string =>
  value.replace(/=\?([^?]+)\?([QqBb])\?([^?]*)\?=/g, (_all, _charset: string, encoding: string, text: string) =>
    encoding.toUpperCase() === 'B'
      ? Buffer.from(text, 'base64').toString('utf8')
      : decodeQuotedPrintable(text.replaceAll('_', ' ')),
  );

const decodeQuotedPrintable = (text: string): string => {
  const soft = text.replace(/=\r?\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < soft.length; i++) {
    const hex = soft.slice(i + 1, i + 3);
    if (soft[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(soft.charCodeAt(i));
    }
  }
  return Buffer.from(bytes).toString('utf8');
};

const splitHeaders = (entity: string): { headers: Record<string, string>; body: string } => {
  const at = entity.search(/\r?\n\r?\n/);
  const head = at < 0 ? entity : entity.slice(0, at);
  const body = at < 0 ? '' : entity.slice(at).replace(/^\r?\n\r?\n/, '');
  const headers: Record<string, string> = {};
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = decodeWords(line.slice(colon + 1).trim());
  }
  return { headers, body };
};

const decodeBody = (headers: Record<string, string>, body: string): string => {
  const encoding = (headers['content-transfer-encoding'] ?? '7bit').toLowerCase();
  if (encoding === 'quoted-printable') return decodeQuotedPrintable(body);
  if (encoding === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  return body;
};

/** A minimal reading of a MIME message: its headers, and its text/plain and text/html parts decoded. */
export const parseMail = (raw: string, envelopeTo: string[] = []): ReceivedMail => {
  const { headers, body } = splitHeaders(raw);
  const parts: Array<{ headers: Record<string, string>; body: string }> = [];
  const boundary = /boundary="?([^";]+)"?/i.exec(headers['content-type'] ?? '')?.[1];
  if (boundary) {
    for (const chunk of body.split(`--${boundary}`).slice(1)) {
      if (chunk.startsWith('--')) break;
      parts.push(splitHeaders(chunk.replace(/^\r?\n/, '')));
    }
  } else {
    parts.push({ headers, body });
  }
  const part = (type: string) => {
    const found = parts.find((p) => (p.headers['content-type'] ?? 'text/plain').startsWith(type));
    return found ? decodeBody(found.headers, found.body).replace(/\r?\n$/, '') : '';
  };
  return {
    envelopeTo,
    headers,
    subject: headers.subject ?? '',
    messageId: headers['message-id'] ?? '',
    text: part('text/plain').replace(/\r\n/g, '\n'),
    html: part('text/html').replace(/\r\n/g, '\n'),
    raw,
  };
};

/**
 * A real SMTP server on a loopback port for this test file, and SMTP_URL pointing to it (the
 * sender reads it on every run). `mode` says how it answers each message.
 */
export const useSmtpServer = (): TestSmtpServer => {
  let port = 0;
  let server: SMTPServer | undefined;
  const smtp: TestSmtpServer = {
    url: '',
    mode: 'accept',
    accepted: [],
    attempts: 0,
    withMessageId: (messageId) => smtp.accepted.filter((m) => m.messageId === messageId),
    to: (address) => smtp.accepted.filter((m) => m.envelopeTo.includes(address)),
    start: async () => {
      server = new SMTPServer({
        authOptional: true,
        disabledCommands: ['STARTTLS'],
        disableReverseLookup: true,
        logger: false,
        closeTimeout: 200,
        onData(stream, session, callback) {
          const chunks: Buffer[] = [];
          stream.on('data', (chunk: Buffer) => chunks.push(chunk));
          stream.on('end', () => {
            smtp.attempts += 1;
            const refuse = (message: string, responseCode: number) => callback(Object.assign(new Error(message), { responseCode }));
            switch (smtp.mode) {
              case 'accept':
                smtp.accepted.push(parseMail(Buffer.concat(chunks).toString('utf8'), session.envelope.rcptTo.map((r) => r.address)));
                return callback(null);
              case 'refuse-transient':
                return refuse('mailbox busy, try again later', 451);
              case 'refuse-permanent':
                return refuse('no such mailbox', 550);
              case 'silent':
                return undefined;
              default: {
                const unknown: never = smtp.mode;
                throw new Error(`unknown mode ${String(unknown)}`);
              }
            }
          });
        },
      });
      const listening = server;
      await new Promise<void>((resolve, reject) => {
        listening.server.once('error', reject);
        listening.listen(port, '127.0.0.1', () => resolve());
      });
      port = (listening.server.address() as AddressInfo).port;
      smtp.url = `smtp://127.0.0.1:${port}`;
    },
    stop: async () => {
      const stopping = server;
      server = undefined;
      if (stopping) await new Promise<void>((resolve) => stopping.close(() => resolve()));
    },
  };
  beforeAll(async () => {
    await smtp.start();
    process.env.SMTP_URL = smtp.url;
  });
  afterAll(async () => {
    await settled();
    await smtp.stop();
  });
  return smtp;
};

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
