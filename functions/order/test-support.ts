// Shared steps of Order's function tests: a real HTTP server playing Catalog's validate, Order's
// functions registered for startFunctions, requests that set up carts and orders through the
// functions themselves, the events Order handles, and the outbox read by event name.
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect } from 'vitest';
import { invoiceCreated, invoiceStatusChanged } from '../../events/billing.js';
import type { Money, ReceivedEvent } from '../../events/index.js';
import { stockReservationFailed, stockReserved } from '../../events/inventory.js';
import { shipmentDelivered, shipmentDispatched } from '../../events/shipping.js';
import { register } from '../runtime/registry.js';
import { outboxEvents, tokenFor, type TestApi, type TestDatabase } from '../runtime/testing.js';
import { orderFunctions } from './index.js';

export const eur = (amount: number): Money => ({ amount, currency: 'EUR' });

/** Every Order function, as startFunctions takes them. */
export const orderRegistry = register(orderFunctions);

// ---- a Catalog of the test's own ----------------------------------------------------------------

export interface CatalogProduct {
  id: string;
  name: string;
  price: Money;
  deleted?: boolean;
}

export interface TestCatalog {
  url: string;
  products: Map<string, CatalogProduct>;
  /** How long each answer waits. */
  delayMs: number;
  /** When set, every request is answered with this status and no body. */
  failWith: number | undefined;
  /** Requests received. */
  hits: number;
  add(product: Omit<CatalogProduct, 'id'> & { id?: string }): CatalogProduct;
  /** Stops listening: calls are refused (Catalog down). */
  stop(): Promise<void>;
  /** Listens again on the same port (nothing when it is listening). */
  start(): Promise<void>;
}

/**
 * A real HTTP server that answers `POST /catalog/products/validate` as Catalog does, from the
 * products the test gives it. It can be slowed, made to fail, stopped and started again.
 */
export const startTestCatalog = async (): Promise<TestCatalog & { close(): Promise<void> }> => {
  let server: Server | undefined;
  let port = 0;
  const catalog = {
    url: '',
    products: new Map<string, CatalogProduct>(),
    delayMs: 0,
    failWith: undefined as number | undefined,
    hits: 0,
    add: (product: Omit<CatalogProduct, 'id'> & { id?: string }) => {
      const made = { id: randomUUID(), ...product };
      catalog.products.set(made.id, made);
      return made;
    },
    start: async () => {
      if (server) return;
      server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (chunk: Buffer) => chunks.push(chunk));
        req.on('end', () => {
          catalog.hits += 1;
          const answer = (): void => {
            if (catalog.failWith !== undefined) {
              res.writeHead(catalog.failWith).end();
              return;
            }
            if (req.method !== 'POST' || req.url !== '/catalog/products/validate') {
              res.writeHead(404).end();
              return;
            }
            const { items } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { items: Array<{ productId: string; quantity: number }> };
            const checked = items.map((item) => {
              const product = catalog.products.get(item.productId);
              if (!product) return { ...item, valid: false, reason: 'unknown-product' };
              if (product.deleted) return { ...item, valid: false, reason: 'product-deleted' };
              const current = { name: product.name, unitPrice: product.price };
              if (item.quantity <= 0) return { ...item, valid: false, ...current, reason: 'quantity-not-positive' };
              return { ...item, valid: true, ...current };
            });
            res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ valid: checked.every((i) => i.valid), items: checked }));
          };
          if (catalog.delayMs > 0) setTimeout(answer, catalog.delayMs);
          else answer();
        });
      });
      const listening = server;
      await new Promise<void>((resolve, reject) => {
        listening.once('error', reject);
        listening.listen(port, '127.0.0.1', () => resolve());
      });
      port = (listening.address() as AddressInfo).port;
      catalog.url = `http://127.0.0.1:${port}`;
    },
    stop: async () => {
      const running = server;
      server = undefined;
      if (!running) return;
      running.closeAllConnections();
      await new Promise<void>((resolve) => running.close(() => resolve()));
    },
    close: async () => catalog.stop(),
  };
  await catalog.start();
  return catalog;
};

/** A test Catalog for this test file, with two EUR products and one in USD; CATALOG_URL names it. */
export const useTestCatalog = () => {
  const fixture = {
    catalog: undefined as unknown as TestCatalog,
    espresso: undefined as unknown as CatalogProduct,
    beans: undefined as unknown as CatalogProduct,
    grinder: undefined as unknown as CatalogProduct,
  };
  let close: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const catalog = await startTestCatalog();
    close = catalog.close;
    fixture.catalog = catalog;
    fixture.espresso = catalog.add({ name: 'Espresso machine', price: eur(24_900) });
    fixture.beans = catalog.add({ name: 'Coffee beans 1 kg', price: eur(1_850) });
    fixture.grinder = catalog.add({ name: 'Grinder', price: { amount: 8_900, currency: 'USD' } });
    process.env.CATALOG_URL = catalog.url;
  });
  afterAll(async () => {
    await close?.();
  });
  return fixture;
};

// ---- carts and orders through the functions -----------------------------------------------------

// Keys out of the schema's order, and every optional field: the projection must write it the same way each time.
export const address = { country: 'FR', city: 'Paris', line2: 'Bâtiment B', postalCode: '75002', line1: '1 rue de la Paix', region: 'Île-de-France' };

/** A customer id and their token. */
export const aCustomer = async () => {
  const id = randomUUID();
  return { id, token: await tokenFor('customer', id) };
};

/** POST /orders/carts, expecting 201; the cart. */
export const givenCart = async (api: TestApi, token: string) => {
  const response = await api.request('POST', '/orders/carts', { token });
  expect(response.status, response.text).toBe(201);
  return response.body;
};

/** PUT /orders/carts/{id}/items/{productId}, expecting 200; the cart. */
export const givenItem = async (api: TestApi, token: string, cartId: string, productId: string, quantity: number) => {
  const response = await api.request('PUT', `/orders/carts/${cartId}/items/${productId}`, { token, body: { quantity } });
  expect(response.status, response.text).toBe(200);
  return response.body;
};

/** A cart holding 1 espresso machine and 2 bags of beans (28 600 EUR), checked out: the order's id and number. */
export const givenOrder = async (
  api: TestApi,
  fixture: ReturnType<typeof useTestCatalog>,
  customer: { id: string; token: string },
): Promise<{ orderId: string; number: string; cartId: string }> => {
  const cart = await givenCart(api, customer.token);
  await givenItem(api, customer.token, cart.id, fixture.espresso.id, 1);
  await givenItem(api, customer.token, cart.id, fixture.beans.id, 2);
  const response = await api.request('POST', `/orders/carts/${cart.id}/checkout`, { token: customer.token, body: { shippingAddress: address } });
  expect(response.status, response.text).toBe(202);
  return { orderId: response.body.orderId, number: response.body.number, cartId: cart.id };
};

/** GET /orders/{id} as `token`; the body (expecting 200). */
export const orderOf = async (api: TestApi, token: string, orderId: string) => {
  const response = await api.request('GET', `/orders/${orderId}`, { token });
  expect(response.status, response.text).toBe(200);
  return response.body;
};

// ---- the events Order handles -------------------------------------------------------------------

export const HANDLERS = {
  stockReserved: 'order/handlers/on-stock-reserved',
  reservationFailed: 'order/handlers/on-stock-reservation-failed',
  invoiceCreated: 'order/handlers/on-invoice-created',
  invoiceStatusChanged: 'order/handlers/on-invoice-status-changed',
  dispatched: 'order/handlers/on-shipment-dispatched',
  delivered: 'order/handlers/on-shipment-delivered',
  sweep: 'order/handlers/sweep-deadlines',
  expireCarts: 'order/handlers/expire-carts',
} as const;

/** The events of other contexts that move an order through the saga, delivered to Order's handlers. */
export const sagaEvents = (api: TestApi) => {
  const deliver = (path: string, type: string, subject: string, data: Record<string, unknown>, id?: string) =>
    api.deliver(path, { type, subject, data, ...(id ? { id } : {}) });
  return {
    stockReserved: (orderId: string, options: { id?: string; lines?: unknown[] } = {}) =>
      deliver(HANDLERS.stockReserved, stockReserved.type, orderId, { orderId, lines: options.lines ?? [{ productId: randomUUID(), quantity: 1 }] }, options.id),
    reservationFailed: (orderId: string, products: Array<{ productId: string; requested: number; available: number }>, id?: string) =>
      deliver(HANDLERS.reservationFailed, stockReservationFailed.type, orderId, { orderId, products }, id),
    invoiceCreated: (orderId: string | undefined, invoiceId: string, options: { id?: string; total?: Money } = {}) =>
      deliver(
        HANDLERS.invoiceCreated,
        invoiceCreated.type,
        invoiceId,
        {
          invoiceId,
          clientId: randomUUID(),
          ...(orderId ? { orderId } : {}),
          number: null,
          status: 'draft',
          total: options.total ?? eur(28_600),
          issueDate: '2026-06-10',
          dueDate: '2026-06-24',
        },
        options.id,
      ),
    invoiceStatusChanged: (orderId: string | undefined, invoiceId: string, from: string, to: string, id?: string) =>
      deliver(
        HANDLERS.invoiceStatusChanged,
        invoiceStatusChanged.type,
        invoiceId,
        {
          invoiceId,
          clientId: randomUUID(),
          ...(orderId ? { orderId } : {}),
          number: 'INV-2026-000001',
          from,
          to,
          total: eur(28_600),
          paidAmount: to === 'paid' ? eur(28_600) : eur(0),
          dueDate: '2026-06-24',
        },
        id,
      ),
    dispatched: (orderId: string, shipmentId: string, id?: string) =>
      deliver(HANDLERS.dispatched, shipmentDispatched.type, shipmentId, { shipmentId, orderId, carrier: 'DHL', trackingNumber: 'JD014600006281' }, id),
    delivered: (orderId: string, shipmentId: string, id?: string) =>
      deliver(HANDLERS.delivered, shipmentDelivered.type, shipmentId, { shipmentId, orderId }, id),
  };
};

type Status = 'pending' | 'confirmed' | 'processing' | 'shipped' | 'delivered';

/** An order taken through the saga up to `status`, each step answered 204; its ids. */
export const givenOrderAt = async (api: TestApi, fixture: ReturnType<typeof useTestCatalog>, customer: { id: string; token: string }, status: Status) => {
  const placed = await givenOrder(api, fixture, customer);
  const ids = { ...placed, invoiceId: randomUUID(), shipmentId: randomUUID() };
  const events = sagaEvents(api);
  const steps: Array<[Status, () => Promise<{ status: number; text: string }>]> = [
    ['confirmed', () => events.stockReserved(ids.orderId)],
    ['confirmed', () => events.invoiceCreated(ids.orderId, ids.invoiceId)],
    ['processing', () => events.invoiceStatusChanged(ids.orderId, ids.invoiceId, 'sent', 'paid')],
    ['shipped', () => events.dispatched(ids.orderId, ids.shipmentId)],
    ['delivered', () => events.delivered(ids.orderId, ids.shipmentId)],
  ];
  const order: Status[] = ['pending', 'confirmed', 'processing', 'shipped', 'delivered'];
  for (const [reaches, step] of steps) {
    if (order.indexOf(reaches) > order.indexOf(status)) break;
    const response = await step();
    expect(response.status, response.text).toBe(204);
  }
  return ids;
};

// ---- what Order published -----------------------------------------------------------------------

/** Order's committed events named `name` (e.g. `order-placed`), oldest first. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const eventsNamed = async (name: string): Promise<ReceivedEvent<any>[]> =>
  (await outboxEvents('order')).filter((event) => event.type === `com.gotuto.order.${name}.v1`);

/** Order's committed events about one aggregate (an order or a cart), as names, oldest first. */
export const eventNamesAbout = async (subject: string): Promise<string[]> =>
  (await outboxEvents('order')).filter((event) => event.subject === subject).map((event) => event.type.replace(/^com\.gotuto\.order\.(.*)\.v1$/, '$1'));

/** The types of an order's stream, oldest first. */
export const streamOf = async (db: { query: TestDatabase['query'] }, orderId: string) =>
  (await db.query<{ type: string }>('SELECT type FROM "order".order_events WHERE stream_id = $1 ORDER BY version', [orderId])).map((r) => r.type);
