// Shared steps of Shipping's function tests: the functions started by path, the events Shipping
// handles, shipments set up through the functions themselves, and the outbox read by event name.
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { ReceivedEvent } from '../../events/index.js';
import { orderCancelled, orderPaid } from '../../events/order.js';
import { register } from '../runtime/registry.js';
import { outboxEvents, startFunctions, type TestApi, type TestDatabase, type TestResponse } from '../runtime/testing.js';
import { shippingFunctions } from './index.js';

const registered = register(shippingFunctions);

export type ShippingPath = keyof typeof shippingFunctions;

/** Starts Shipping functions by path (`shipping/handlers/on-order-paid`) for this test file. */
export const startShipping = (paths: ShippingPath[]): TestApi =>
  startFunctions(
    paths.map((path) => {
      const fn = registered.find((f) => f.path === path);
      if (!fn) throw new Error(`no Shipping function at ${path}`);
      return fn;
    }),
  );

/** Every Shipping function that serves requests or events (all but the relay). */
export const ALL: ShippingPath[] = [
  'shipping/queries/list-shipments',
  'shipping/queries/get-shipment',
  'shipping/commands/dispatch-shipment',
  'shipping/commands/deliver-shipment',
  'shipping/handlers/on-order-paid',
  'shipping/handlers/on-order-cancelled',
];

export const ON_ORDER_PAID = 'shipping/handlers/on-order-paid';
export const ON_ORDER_CANCELLED = 'shipping/handlers/on-order-cancelled';

export const eur = (amount: number) => ({ amount, currency: 'EUR' });
export const address = { line1: '1 rue de la Paix', city: 'Paris', postalCode: '75002', country: 'FR' };

// ---- events that Shipping handles --------------------------------------------------------------

/** The data of an order-paid event: two lines, to Paris. */
export const orderPayment = (overrides: Record<string, unknown> = {}) => ({
  orderId: randomUUID(),
  orderNumber: 'ORD-2026-000042',
  customerId: randomUUID(),
  invoiceId: randomUUID(),
  total: eur(28_600),
  lines: [
    { productId: randomUUID(), name: 'Espresso machine', quantity: 1, unitPrice: eur(24_900) },
    { productId: randomUUID(), name: 'Coffee beans 1 kg', quantity: 2, unitPrice: eur(1_850) },
  ],
  shippingAddress: address,
  ...overrides,
});

export const payOrder = (api: TestApi, data: { orderId: string } & Record<string, unknown>, id?: string): Promise<TestResponse> =>
  api.deliver(ON_ORDER_PAID, { type: orderPaid.type, subject: data.orderId, data, ...(id ? { id } : {}) });

/** The data of an order-cancelled event. */
export const orderCancellation = (orderId: string, overrides: Record<string, unknown> = {}) => ({
  orderId,
  customerId: randomUUID(),
  reason: 'cancelled by the customer',
  cancelledBy: 'customer',
  completedSteps: ['placed', 'stock-reserved', 'invoice-requested', 'invoiced', 'paid'],
  ...overrides,
});

export const cancelOrder = (api: TestApi, data: { orderId: string } & Record<string, unknown>, id?: string): Promise<TestResponse> =>
  api.deliver(ON_ORDER_CANCELLED, { type: orderCancelled.type, subject: data.orderId, data, ...(id ? { id } : {}) });

/** Delivers like the broker: again, under the same event id, as long as the answer is retried (409). */
export const deliverUntilDone = async (send: () => Promise<TestResponse>): Promise<{ response: TestResponse; retries: number }> => {
  for (let retries = 0; retries < 50; retries++) {
    const response = await send();
    if (response.status !== 409) return { response, retries };
  }
  throw new Error('still 409 after 50 deliveries');
};

// ---- shipments ---------------------------------------------------------------------------------

export interface ShipmentRow {
  id: string;
  status: string;
  version: number;
  carrier: string | null;
  tracking_number: string | null;
}

/** The shipments of an order as stored (one at most). */
export const shipmentsOf = (db: Pick<TestDatabase, 'query'>, orderId: string) =>
  db.query<ShipmentRow & Record<string, unknown>>('SELECT id, status, version, carrier, tracking_number FROM shipping.shipments WHERE order_id = $1', [
    orderId,
  ]);

/** A preparing shipment, through order-paid (needs on-order-paid started); its order and id. */
export const givenShipment = async (api: TestApi, overrides: Record<string, unknown> = {}) => {
  const order = orderPayment(overrides);
  const paid = await payOrder(api, order);
  expect(paid.status, paid.text).toBe(204);
  const [created] = (await eventsNamed('shipment-created')).filter((e) => e.data.orderId === order.orderId);
  if (!created) throw new Error(`no shipment-created for order ${order.orderId}`);
  return { order, shipmentId: created.subject };
};

export const HANDOVER = { carrier: 'DHL', trackingNumber: 'JD014600006281230704' };

export const dispatchShipment = (api: TestApi, token: string, id: string, body: unknown = HANDOVER, headers?: Record<string, string>) =>
  api.request('POST', `/shipping/shipments/${id}/dispatch`, { token, body, ...(headers ? { headers } : {}) });

export const deliverShipment = (api: TestApi, token: string, id: string, headers?: Record<string, string>) =>
  api.request('POST', `/shipping/shipments/${id}/deliver`, { token, ...(headers ? { headers } : {}) });

/** A shipment taken to `dispatched` through the functions (needs on-order-paid and dispatch started). */
export const givenDispatched = async (api: TestApi, admin: string) => {
  const given = await givenShipment(api);
  const dispatched = await dispatchShipment(api, admin, given.shipmentId);
  expect(dispatched.status, dispatched.text).toBe(200);
  return given;
};

// ---- events ------------------------------------------------------------------------------------

/** Shipping's committed events named `name` (e.g. `shipment-created`), oldest first. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const eventsNamed = async (name: string): Promise<ReceivedEvent<any>[]> =>
  (await outboxEvents('shipping')).filter((event) => event.type === `com.gotuto.shipping.${name}.v1`);

/** Shipping's committed events about an order, as `name` strings, oldest first. */
export const eventNamesOfOrder = async (orderId: string): Promise<string[]> =>
  (await outboxEvents('shipping'))
    .filter((event) => (event.data as { orderId?: string }).orderId === orderId)
    .map((event) => event.type.replace(/^com\.gotuto\.shipping\.(.*)\.v1$/, '$1'));

/** The events Shipping refused for good (422) with their reasons, for one handler. */
export const rejectedBy = (db: Pick<TestDatabase, 'query'>, handler: string) =>
  db.query<{ event_id: string; type: string; reason: string }>(
    'SELECT event_id, type, reason FROM shipping.rejected_events WHERE handler = $1 ORDER BY rejected_at',
    [handler],
  );
