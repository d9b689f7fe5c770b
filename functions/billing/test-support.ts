// Shared steps of Billing's function tests: the functions started by path, requests and events
// that set up clients and invoices through the functions themselves, and the outbox read by event name.
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { customerRegistered } from '../../events/customer.js';
import type { ReceivedEvent } from '../../events/index.js';
import { register } from '../runtime/registry.js';
import { functionsAt, outboxEvents, startFunctions, type TestApi, type TestDatabase } from '../runtime/testing.js';
import { billingFunctions } from './index.js';

const registered = register(billingFunctions);

/** Starts Billing functions by path (`billing/commands/create-client`) for this test file. */
export const startBilling = (paths: Array<keyof typeof billingFunctions>): TestApi => startFunctions(functionsAt(registered, paths));

export const eur = (amount: number) => ({ amount, currency: 'EUR' });

export const clientBody = (overrides: Record<string, unknown> = {}) => ({
  name: 'Acme SARL',
  email: `billing-${randomUUID()}@acme.test`,
  ...overrides,
});

/** POST /billing/clients, expecting 201; the created client. */
export const givenClient = async (api: TestApi, token: string, overrides: Record<string, unknown> = {}) => {
  const response = await api.request('POST', '/billing/clients', { token, body: clientBody(overrides) });
  expect(response.status, response.text).toBe(201);
  return response.body;
};

export const invoiceBody = (clientId: string, overrides: Record<string, unknown> = {}) => ({
  clientId,
  lines: [
    { description: 'Consulting', quantity: 3, unitPrice: eur(10_000) },
    { description: 'Travel', quantity: 1, unitPrice: eur(4_550) },
  ],
  dueDate: '2026-12-31',
  ...overrides,
});

/** POST /billing/invoices, expecting 201; the draft. */
export const givenDraft = async (api: TestApi, token: string, clientId: string, overrides: Record<string, unknown> = {}) => {
  const response = await api.request('POST', '/billing/invoices', { token, body: invoiceBody(clientId, overrides) });
  expect(response.status, response.text).toBe(201);
  return response.body;
};

/** POST /billing/invoices/{id}/send, expecting 200; the sent invoice. */
export const givenSent = async (api: TestApi, token: string, clientId: string, overrides: Record<string, unknown> = {}) => {
  const draft = await givenDraft(api, token, clientId, overrides);
  const response = await api.request('POST', `/billing/invoices/${draft.id}/send`, { token });
  expect(response.status, response.text).toBe(200);
  return response.body;
};

/** POST /billing/invoices/{id}/payments of the whole outstanding amount, expecting 201; the paid invoice. */
export const givenPaid = async (api: TestApi, token: string, clientId: string, overrides: Record<string, unknown> = {}) => {
  const sent = await givenSent(api, token, clientId, overrides);
  const response = await api.request('POST', `/billing/invoices/${sent.id}/payments`, { token, body: { amount: sent.outstanding } });
  expect(response.status, response.text).toBe(201);
  return response.body;
};

/** Billing's committed events named `name` (e.g. `invoice-created`), oldest first. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const eventsNamed = async (name: string): Promise<ReceivedEvent<any>[]> =>
  (await outboxEvents('billing')).filter((event) => event.type === `com.gotuto.billing.${name}.v1`);

/** Billing's committed events about one aggregate, as `name` strings, oldest first. */
export const eventNamesAbout = async (subject: string): Promise<string[]> =>
  (await outboxEvents('billing')).filter((event) => event.subject === subject).map((event) => event.type.replace(/^com\.gotuto\.billing\.(.*)\.v1$/, '$1'));

export const SQL_LOOKING = "'); DROP TABLE billing.clients;--";
export const UNICODE = 'Zoë 北京 🚀';

// ---- events that Billing handles ---------------------------------------------------------------

/** The data of a customer-registered event for a new customer. */
export const registration = (overrides: Record<string, unknown> = {}) => ({
  customerId: randomUUID(),
  email: `customer-${randomUUID()}@example.test`,
  name: 'Zoë Martin',
  role: 'customer',
  ...overrides,
});

/** Delivers customer-registered for `data` to the started on-customer-registered, expecting 204. */
export const givenRegistered = async (api: TestApi, data: { customerId: string } & Record<string, unknown>) => {
  const response = await api.deliver('billing/handlers/on-customer-registered', {
    type: customerRegistered.type,
    subject: data.customerId,
    data,
  });
  expect(response.status, response.text).toBe(204);
};

/** The data of an invoice-requested event: two lines, 28 600 EUR in all. */
export const invoiceRequest = (customerId: string, overrides: Record<string, unknown> = {}) => ({
  orderId: randomUUID(),
  orderNumber: 'ORD-2026-000007',
  customerId,
  lines: [
    { productId: randomUUID(), name: 'Espresso machine', quantity: 1, unitPrice: eur(24_900) },
    { productId: randomUUID(), name: 'Coffee beans 1 kg', quantity: 2, unitPrice: eur(1_850) },
  ],
  total: eur(28_600),
  ...overrides,
});

/** The data of an order-cancelled event. */
export const orderCancellation = (orderId: string, customerId: string, overrides: Record<string, unknown> = {}) => ({
  orderId,
  customerId,
  reason: 'cancelled by the customer',
  cancelledBy: 'customer',
  completedSteps: ['placed', 'stock-reserved', 'invoice-requested'],
  ...overrides,
});

/** The events Billing refused for good (422) with their reasons, for one handler. */
export const rejectedBy = (db: { query: TestDatabase['query'] }, handler: string) =>
  db.query<{ event_id: string; type: string; reason: string }>(
    'SELECT event_id, type, reason FROM billing.rejected_events WHERE handler = $1 ORDER BY rejected_at',
    [handler],
  );
