// A client generated from the published OpenAPI document (openapi-typescript types, openapi-fetch)
// runs the order flow against the local platform: sign-up, catalog, cart, checkout, payment, and
// the order followed to delivered. What it sends and reads is typed by the document alone, and
// every answer is checked against the contract like any test client's.
import { randomUUID } from 'node:crypto';
import createClient, { type Client, type Middleware } from 'openapi-fetch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../functions/runtime/auth.js';
import type { paths } from '../schemas/contracts/openapi.generated.js';
import type { Platform } from './platform.js';
import { checkAnswer, createTestEnvironment, waitFor, type TestEnvironment } from './testing.js';

process.env.JWT_SECRET ??= 'order-client-secret-order-client-secret';

let env: TestEnvironment;
let platform: Platform;

beforeAll(async () => {
  env = await createTestEnvironment();
  platform = await env.start();
}, 180_000);

afterAll(async () => {
  await env?.dispose();
}, 60_000);

const contract: Middleware = {
  onResponse: async ({ request, response }) => {
    const text = await response.clone().text();
    const url = new URL(request.url);
    checkAnswer(request.method, url.pathname + url.search, response.status, response.headers.get('content-type') ?? '', text ? JSON.parse(text) : undefined);
    return undefined;
  },
};

/** A client of the platform that sends `token` as its bearer. */
const clientFor = (token?: string): Client<paths> => {
  const client = createClient<paths>({ baseUrl: platform.url, headers: token ? { authorization: `Bearer ${token}` } : {} });
  client.use(contract);
  return client;
};

const address = { line1: '5 Avenue Anatole France', city: 'Paris', postalCode: '75007', country: 'FR' };

/** Reads with `read` until `ok` holds on its data. */
const until = async <T>(read: () => Promise<{ data?: T }>, ok: (data: T) => boolean): Promise<T> => {
  const last = await waitFor(read, (r) => r.data !== undefined && ok(r.data));
  if (last.data === undefined || !ok(last.data)) throw new Error(`gave up waiting; last answer ${JSON.stringify(last)}`);
  return last.data;
};

describe('a client generated from the OpenAPI document', () => {
  it('signs up, buys from the catalog, pays, and follows the order to delivered', async () => {
    const admin = clientFor(await signToken({ id: randomUUID(), role: 'admin' }));
    const shop = clientFor();

    // The catalog, and stock for it.
    const category = await admin.POST('/catalog/categories', { body: { name: `Lamps ${randomUUID().slice(0, 8)}` } });
    expect(category.response.status).toBe(201);
    const product = await admin.POST('/catalog/products', {
      body: { name: 'Desk lamp', sku: `LAMP-${randomUUID().slice(0, 8)}`, price: { amount: 4500, currency: 'EUR' }, categoryId: category.data!.id },
    });
    expect(product.response.status).toBe(201);
    const productId = product.data!.id;
    await until(
      () => shop.GET('/inventory/items/{productId}', { params: { path: { productId } } }),
      (item) => item.productId === productId,
    );
    const stocked = await admin.POST('/inventory/items/{productId}/receipts', { params: { path: { productId } }, body: { quantity: 3 } });
    expect(stocked.data).toMatchObject({ onHand: 3, available: 3 });

    // Sign-up and login.
    const email = `client-${randomUUID()}@example.com`;
    const registered = await shop.POST('/customers/register', { body: { email, password: 'a long and unusual passphrase', name: 'Grace' } });
    expect(registered.response.status).toBe(201);
    const login = await shop.POST('/customers/login', { body: { email, password: 'a long and unusual passphrase' } });
    expect(login.data?.tokenType).toBe('Bearer');
    const buyer = clientFor(login.data!.accessToken);
    expect((await buyer.GET('/customers/me')).data?.email).toBe(email);
    const found = await shop.GET('/catalog/products', { params: { query: { q: 'Desk lamp', limit: 50 } } });
    expect(found.data?.items.map((p) => p.id)).toContain(productId);

    // Cart and checkout.
    const cart = await buyer.POST('/orders/carts', { body: {} });
    expect(cart.response.status).toBe(201);
    const cartId = cart.data!.id;
    const filled = await buyer.PUT('/orders/carts/{id}/items/{productId}', { params: { path: { id: cartId, productId } }, body: { quantity: 2 } });
    expect(filled.data?.items).toEqual([expect.objectContaining({ productId, quantity: 2 })]);
    const placed = await buyer.POST('/orders/carts/{id}/checkout', {
      params: { path: { id: cartId }, header: { 'Idempotency-Key': randomUUID() } },
      body: { shippingAddress: address },
    });
    expect(placed.response.status).toBe(202);
    const orderId = placed.data!.orderId;
    expect(placed.response.headers.get('location')).toBe(`/orders/${orderId}`);

    // Follow the order: confirmed with an invoice, paid, shipped, delivered.
    const order = () => buyer.GET('/orders/{id}', { params: { path: { id: orderId } } });
    const confirmed = await until(order, (o) => o.status !== 'pending');
    expect(confirmed.status).toBe('confirmed');
    expect(confirmed.total).toEqual({ amount: 9000, currency: 'EUR' });
    const invoice = (await buyer.GET('/billing/invoices/{id}', { params: { path: { id: confirmed.invoiceId! } } })).data!;
    expect(invoice).toMatchObject({ status: 'sent', orderId, total: { amount: 9000, currency: 'EUR' } });
    const paid = await admin.POST('/billing/invoices/{id}/payments', { params: { path: { id: invoice.id } }, body: { amount: invoice.total } });
    expect(paid.data?.status).toBe('paid');
    expect((await until(order, (o) => o.status !== 'confirmed')).status).toBe('processing');

    const shipments = await until(
      () => admin.GET('/shipping/shipments', { params: { query: { orderId } } }),
      (page) => page.items.length === 1,
    );
    const shipmentId = shipments.items[0]!.id;
    const dispatched = await admin.POST('/shipping/shipments/{id}/dispatch', {
      params: { path: { id: shipmentId } },
      body: { carrier: 'La Poste', trackingNumber: 'LP123456789FR' },
    });
    expect(dispatched.data?.status).toBe('dispatched');
    expect((await until(order, (o) => o.status !== 'processing')).status).toBe('shipped');
    const delivered = await admin.POST('/shipping/shipments/{id}/deliver', { params: { path: { id: shipmentId } }, body: {} });
    expect(delivered.data?.status).toBe('delivered');
    const done = await until(order, (o) => o.status !== 'shipped');
    expect(done.status).toBe('delivered');
    expect(done.history.map((h) => h.status)).toEqual(['pending', 'confirmed', 'processing', 'shipped', 'delivered']);
    expect((await buyer.GET('/orders/{id}/events', { params: { path: { id: orderId } } })).data?.items.map((e) => e.type)).toContain('order-delivered');
  }, 240_000);
});
