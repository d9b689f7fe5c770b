// The order placement saga end to end, through HTTP and the broker of the local platform: Catalog,
// Customer, Inventory, Order and Billing together, each step a function, each event a delivery.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../functions/runtime/auth.js';
import type { Platform } from './platform.js';
import { checkedFetch, createTestEnvironment, httpClient, publisherHeaders, waitFor, type TestEnvironment } from './testing.js';

process.env.JWT_SECRET ??= 'saga-test-secret-saga-test-secret-saga';
// Twenty checkouts at once all call Catalog through one process: give the call room.
process.env.CATALOG_TIMEOUT_MS ??= '10000';
process.env.CATALOG_BREAKER_VOLUME ??= '1000';

let env: TestEnvironment;
let platform: Platform;
let admin: string;

beforeAll(async () => {
  env = await createTestEnvironment();
  platform = await env.start();
  admin = await signToken({ id: randomUUID(), role: 'admin' });
}, 180_000);

afterAll(async () => {
  await env?.dispose();
}, 60_000);

const call = httpClient(() => platform.url);

const address = { line1: '1 Rue de la Paix', city: 'Paris', postalCode: '75002', country: 'FR' };

/** A product in the catalog with `stock` units on hand. */
const product = async (stock: number, amount = 1250) => {
  const category = await call('POST', '/catalog/categories', admin, { name: `Saga ${randomUUID().slice(0, 8)}` });
  expect(category.status).toBe(201);
  const created = await call('POST', '/catalog/products', admin, {
    name: `Widget ${randomUUID().slice(0, 8)}`,
    sku: `SAGA-${randomUUID().slice(0, 12)}`,
    categoryId: category.body.id,
    price: { amount, currency: 'EUR' },
  });
  expect(created.status).toBe(201);
  const id = created.body.id as string;
  // Inventory makes the item from product-created, through the broker.
  const item = await waitFor(
    () => call('GET', `/inventory/items/${id}`),
    (r) => r.status === 200,
  );
  expect(item.status).toBe(200);
  if (stock > 0) expect((await call('POST', `/inventory/items/${id}/receipts`, admin, { quantity: stock })).status).toBe(200);
  return { id, name: created.body.name as string, amount };
};

/** A registered, logged-in customer whose Billing client exists. */
const customer = async () => {
  const email = `buyer-${randomUUID()}@example.com`;
  const registered = await call('POST', '/customers/register', undefined, { email, password: 'correct horse battery', name: 'Buyer' });
  expect(registered.status).toBe(201);
  const login = await call('POST', '/customers/login', undefined, { email, password: 'correct horse battery' });
  expect(login.status).toBe(200);
  const id = registered.body.id as string;
  await waitFor(
    () => call('GET', `/billing/clients/${id}`, admin),
    (r) => r.status === 200,
  );
  return { id, token: login.body.accessToken as string };
};

const checkout = async (buyer: { token: string }, productId: string, quantity: number) => {
  const cart = await call('POST', '/orders/carts', buyer.token);
  expect(cart.status).toBe(201);
  const item = await call('PUT', `/orders/carts/${cart.body.id}/items/${productId}`, buyer.token, { quantity });
  expect(item.status).toBe(200);
  const placed = await call('POST', `/orders/carts/${cart.body.id}/checkout`, buyer.token, { shippingAddress: address });
  expect(placed.status).toBe(202);
  return placed.body.orderId as string;
};

const orderIn = (orderId: string, statuses: string[]) =>
  waitFor(
    () => call('GET', `/orders/${orderId}`, admin),
    (r) => statuses.includes(r.body?.status),
  );

const stock = async (productId: string) => (await call('GET', `/inventory/items/${productId}`)).body;

describe('the order saga', () => {
  it('confirms an order, invoices it with the right total, reserves its stock, and moves to processing once paid', async () => {
    const widget = await product(5);
    const buyer = await customer();
    const orderId = await checkout(buyer, widget.id, 2);

    const confirmed = await orderIn(orderId, ['confirmed', 'cancelled']);
    expect(confirmed.body.status).toBe('confirmed');
    expect(confirmed.body.total).toEqual({ amount: 2 * widget.amount, currency: 'EUR' });
    const invoices = await call('GET', `/billing/invoices?orderId=${orderId}`, admin);
    expect(invoices.body.items).toHaveLength(1);
    const invoice = invoices.body.items[0];
    expect(invoice).toMatchObject({ status: 'sent', orderId, total: { amount: 2 * widget.amount, currency: 'EUR' } });
    expect(confirmed.body.invoiceId).toBe(invoice.id);
    expect(await stock(widget.id)).toMatchObject({ onHand: 5, reserved: 2, available: 3 });

    const paid = await call('POST', `/billing/invoices/${invoice.id}/payments`, admin, { amount: invoice.total });
    expect(paid.status).toBe(201);
    const processing = await orderIn(orderId, ['processing']);
    expect(processing.body.status).toBe('processing');
    // The customer sees their own order; another customer does not.
    expect((await call('GET', `/orders/${orderId}`, buyer.token)).status).toBe(200);
    expect((await call('GET', `/orders/${orderId}`, (await customer()).token)).status).toBe(404);
    const events = await call('GET', `/orders/${orderId}/events`, buyer.token);
    expect(events.status).toBe(200);
    // The confirmation names the invoice by its number (Billing numbers an order's invoice at once).
    const confirmation = events.body.items.find((e: { type: string }) => e.type === 'order-confirmed');
    expect(confirmation?.data).toMatchObject({ invoiceId: invoice.id, invoiceNumber: invoice.number });
    expect(invoice.number).toMatch(/^INV-\d{4}-\d{6}$/);
  }, 180_000);

  it('cancels an order without enough stock, naming the product, with stock unchanged and no invoice', async () => {
    const widget = await product(1);
    const buyer = await customer();
    const orderId = await checkout(buyer, widget.id, 3);
    const cancelled = await orderIn(orderId, ['cancelled', 'confirmed']);
    expect(cancelled.body.status).toBe('cancelled');
    expect(JSON.stringify(cancelled.body.history)).toContain(widget.id);
    expect(await stock(widget.id)).toMatchObject({ onHand: 1, reserved: 0, available: 1 });
    // Give a wrongly sent invoice-requested time to arrive, then check none was made.
    await platform.broker.idle();
    expect((await call('GET', `/billing/invoices?orderId=${orderId}`, admin)).body.items).toHaveLength(0);
  }, 180_000);

  it('compensates a cancel after confirmation (stock back, invoice cancelled) and after payment (invoice refunded)', async () => {
    const widget = await product(4);
    const buyer = await customer();
    const first = await checkout(buyer, widget.id, 1);
    expect((await orderIn(first, ['confirmed', 'cancelled'])).body.status).toBe('confirmed');
    expect((await call('POST', `/orders/${first}/cancel`, buyer.token, {})).status).toBeLessThan(300);
    await orderIn(first, ['cancelled']);
    const firstInvoice = await waitFor(
      () => call('GET', `/billing/invoices?orderId=${first}`, admin),
      (r) => r.body.items[0]?.status === 'cancelled',
    );
    expect(firstInvoice.body.items[0].status).toBe('cancelled');

    const second = await checkout(buyer, widget.id, 2);
    expect((await orderIn(second, ['confirmed', 'cancelled'])).body.status).toBe('confirmed');
    const invoice = (await call('GET', `/billing/invoices?orderId=${second}`, admin)).body.items[0];
    expect((await call('POST', `/billing/invoices/${invoice.id}/payments`, admin, { amount: invoice.total })).status).toBe(201);
    await orderIn(second, ['processing']);
    expect((await call('POST', `/orders/${second}/cancel`, admin, {})).status).toBeLessThan(300);
    await orderIn(second, ['cancelled']);
    const refunded = await waitFor(
      () => call('GET', `/billing/invoices?orderId=${second}`, admin),
      (r) => r.body.items[0]?.status === 'refunded',
    );
    expect(refunded.body.items[0].status).toBe('refunded');
    await platform.broker.idle();
    expect(await stock(widget.id)).toMatchObject({ onHand: 4, reserved: 0, available: 4 });
  }, 180_000);

  it('sells the last unit to exactly one of 20 customers checking out at once', async () => {
    const widget = await product(1);
    const buyers = await Promise.all(Array.from({ length: 20 }, () => customer()));
    const orders = await Promise.all(buyers.map((b) => checkout(b, widget.id, 1)));
    const finals = await Promise.all(orders.map((id) => orderIn(id, ['confirmed', 'cancelled'])));
    const statuses = finals.map((r) => r.body.status);
    expect(statuses.filter((s) => s === 'confirmed')).toHaveLength(1);
    expect(statuses.filter((s) => s === 'cancelled')).toHaveLength(19);
    await platform.broker.idle();
    expect(await stock(widget.id)).toMatchObject({ onHand: 1, reserved: 1, available: 0 });
  }, 300_000);

  it('reaches the same end state when every saga event is delivered twice', async () => {
    const widget = await product(3);
    const buyer = await customer();
    const orderId = await checkout(buyer, widget.id, 1);
    await orderIn(orderId, ['confirmed', 'cancelled']);
    await platform.broker.idle();
    // Replay every event of this order's saga into the broker.
    const log = await call(
      'GET',
      `/broker/events?correlationid=${encodeURIComponent((await call('GET', `/broker/events?subject=${orderId}`, admin)).body.items[0].event.correlationid)}&limit=1000`,
      admin,
    );
    for (const item of log.body.items) {
      const { extensions, data, ...attributes } = item.event;
      const headers: Record<string, string> = { 'content-type': 'application/json', ...publisherHeaders() };
      for (const [k, v] of Object.entries({ ...extensions, ...attributes })) headers[`ce-${k}`] = String(v);
      headers['ce-specversion'] = '1.0';
      const res = await checkedFetch(`${platform.url}/broker`, { method: 'POST', headers, body: JSON.stringify(data) });
      expect(res.status).toBe(202);
    }
    await platform.broker.idle();
    const order = await call('GET', `/orders/${orderId}`, admin);
    expect(order.body.status).toBe('confirmed');
    expect((await call('GET', `/billing/invoices?orderId=${orderId}`, admin)).body.items).toHaveLength(1);
    expect(await stock(widget.id)).toMatchObject({ onHand: 3, reserved: 1, available: 2 });
  }, 180_000);

  it('reserves nothing when a cancel reaches Inventory before the order-placed it cancels', async () => {
    const widget = await product(2);
    const orderId = randomUUID();
    const customerId = randomUUID();
    const send = async (type: string, data: unknown) => {
      const res = await checkedFetch(`${platform.url}/broker`, {
        method: 'POST',
        headers: {
          ...publisherHeaders(),
          'content-type': 'application/json',
          'ce-specversion': '1.0',
          'ce-id': randomUUID(),
          'ce-type': type,
          'ce-source': '/gotuto/order',
          'ce-subject': orderId,
          'ce-partitionkey': orderId,
        },
        body: JSON.stringify(data),
      });
      expect(res.status).toBe(202);
    };
    await send('com.gotuto.order.order-cancelled.v1', { orderId, customerId, reason: 'changed my mind', completedSteps: ['placed'] });
    await platform.broker.idle();
    await send('com.gotuto.order.order-placed.v1', {
      orderId,
      customerId,
      total: { amount: widget.amount, currency: 'EUR' },
      shippingAddress: address,
      lines: [{ productId: widget.id, name: widget.name, quantity: 1, unitPrice: { amount: widget.amount, currency: 'EUR' } }],
    });
    await platform.broker.idle();
    expect(await stock(widget.id)).toMatchObject({ onHand: 2, reserved: 0, available: 2 });
  }, 120_000);
});
