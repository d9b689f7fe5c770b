// Shared steps of Inventory's function tests: the functions started by path, the events Inventory
// handles, items set up through the functions themselves, and the outbox read by event name.
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { productCreated } from '../../events/catalog.js';
import type { ReceivedEvent } from '../../events/index.js';
import { orderCancelled, orderPlaced, orderShipped } from '../../events/order.js';
import { register } from '../runtime/registry.js';
import { outboxEvents, startFunctions, type TestApi, type TestDatabase, type TestResponse } from '../runtime/testing.js';
import { inventoryFunctions } from './index.js';

const registered = register(inventoryFunctions);

export type InventoryPath = keyof typeof inventoryFunctions;

/** Starts Inventory functions by path (`inventory/handlers/on-order-placed`) for this test file. */
export const startInventory = (paths: InventoryPath[]): TestApi =>
  startFunctions(
    paths.map((path) => {
      const fn = registered.find((f) => f.path === path);
      if (!fn) throw new Error(`no Inventory function at ${path}`);
      return fn;
    }),
  );

export const ON_PRODUCT_CREATED = 'inventory/handlers/on-product-created';
export const ON_ORDER_PLACED = 'inventory/handlers/on-order-placed';
export const ON_ORDER_CANCELLED = 'inventory/handlers/on-order-cancelled';
export const ON_ORDER_SHIPPED = 'inventory/handlers/on-order-shipped';

export const eur = (amount: number) => ({ amount, currency: 'EUR' });

// ---- events that Inventory handles -------------------------------------------------------------

/** The data of a product-created event. */
export const productCreation = (productId: string = randomUUID(), overrides: Record<string, unknown> = {}) => ({
  productId,
  name: 'Espresso beans 1 kg',
  sku: `SKU-${randomUUID()}`,
  price: eur(2_490),
  categoryId: randomUUID(),
  ...overrides,
});

export const createProduct = (api: TestApi, data: { productId: string } & Record<string, unknown>, id?: string) =>
  api.deliver(ON_PRODUCT_CREATED, { type: productCreated.type, subject: data.productId, data, ...(id ? { id } : {}) });

export interface Want {
  productId: string;
  quantity: number;
}

/** The data of an order-placed event for `wants`, each line at 10.00 EUR a unit. */
export const orderPlacement = (wants: Want[], overrides: Record<string, unknown> = {}) => ({
  orderId: randomUUID(),
  orderNumber: 'ORD-2026-000042',
  customerId: randomUUID(),
  lines: wants.map(({ productId, quantity }, i) => ({ productId, name: `Product ${i + 1}`, quantity, unitPrice: eur(1_000) })),
  total: eur(wants.reduce((sum, w) => sum + w.quantity * 1_000, 0)),
  shippingAddress: { line1: '1 rue de la Paix', city: 'Paris', postalCode: '75002', country: 'FR' },
  ...overrides,
});

export const placeOrder = (api: TestApi, data: { orderId: string } & Record<string, unknown>, id?: string): Promise<TestResponse> =>
  api.deliver(ON_ORDER_PLACED, { type: orderPlaced.type, subject: data.orderId, data, ...(id ? { id } : {}) });

/** The data of an order-cancelled event. */
export const orderCancellation = (orderId: string, overrides: Record<string, unknown> = {}) => ({
  orderId,
  customerId: randomUUID(),
  reason: 'cancelled by the customer',
  cancelledBy: 'customer',
  completedSteps: ['placed', 'stock-reserved'],
  ...overrides,
});

export const cancelOrder = (api: TestApi, data: { orderId: string } & Record<string, unknown>, id?: string): Promise<TestResponse> =>
  api.deliver(ON_ORDER_CANCELLED, { type: orderCancelled.type, subject: data.orderId, data, ...(id ? { id } : {}) });

/** The data of an order-shipped event. */
export const orderShipment = (orderId: string, lines: Want[], overrides: Record<string, unknown> = {}) => ({
  orderId,
  customerId: randomUUID(),
  shipmentId: randomUUID(),
  carrier: 'La Poste',
  trackingNumber: 'LP123456789FR',
  lines,
  ...overrides,
});

export const shipOrder = (api: TestApi, data: { orderId: string } & Record<string, unknown>, id?: string): Promise<TestResponse> =>
  api.deliver(ON_ORDER_SHIPPED, { type: orderShipped.type, subject: data.orderId, data, ...(id ? { id } : {}) });

/** Delivers like the broker: again, under the same event id, as long as the answer is retried (409). */
export const deliverUntilDone = async (send: () => Promise<TestResponse>): Promise<{ response: TestResponse; retries: number }> => {
  for (let retries = 0; retries < 50; retries++) {
    const response = await send();
    if (response.status !== 409) return { response, retries };
  }
  throw new Error('still 409 after 50 deliveries');
};

// ---- items -------------------------------------------------------------------------------------

/**
 * A product's item with `onHand` units, through product-created and a receipt (which need
 * on-product-created and, for onHand > 0, receive-stock started); its product id.
 */
export const givenItem = async (api: TestApi, admin: string, onHand = 0): Promise<string> => {
  const productId = randomUUID();
  const created = await createProduct(api, productCreation(productId));
  expect(created.status, created.text).toBe(204);
  if (onHand > 0) {
    const received = await api.request('POST', `/inventory/items/${productId}/receipts`, { token: admin, body: { quantity: onHand } });
    expect(received.status, received.text).toBe(200);
  }
  return productId;
};

export interface StockRow {
  on_hand: number;
  reserved: number;
}

/** The item's counters as stored, or undefined when the product has none. */
export const stockOf = async (db: Pick<TestDatabase, 'query'>, productId: string): Promise<StockRow | undefined> =>
  (await db.query<StockRow & Record<string, unknown>>('SELECT on_hand, reserved FROM inventory.items WHERE product_id = $1', [productId]))[0];

/** The order's reservations as stored, by product id. */
export const reservationsOf = (db: Pick<TestDatabase, 'query'>, orderId: string) =>
  db.query<{ product_id: string; quantity: number; status: string }>(
    'SELECT product_id, quantity, status FROM inventory.reservations WHERE order_id = $1 ORDER BY product_id',
    [orderId],
  );

/** Inventory's committed events named `name` (e.g. `stock-reserved`), oldest first. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const eventsNamed = async (name: string): Promise<ReceivedEvent<any>[]> =>
  (await outboxEvents('inventory')).filter((event) => event.type === `com.gotuto.inventory.${name}.v1`);

/** Inventory's committed events about one subject (an order or a product), as `name` strings, oldest first. */
export const eventNamesAbout = async (subject: string): Promise<string[]> =>
  (await outboxEvents('inventory')).filter((event) => event.subject === subject).map((event) => event.type.replace(/^com\.gotuto\.inventory\.(.*)\.v1$/, '$1'));

/** The events Inventory refused for good (422) with their reasons, for one handler. */
export const rejectedBy = (db: Pick<TestDatabase, 'query'>, handler: string) =>
  db.query<{ event_id: string; type: string; reason: string }>(
    'SELECT event_id, type, reason FROM inventory.rejected_events WHERE handler = $1 ORDER BY rejected_at',
    [handler],
  );
