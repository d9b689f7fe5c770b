// Billing unavailable: its invoice-requested handler is not served, so the broker's deliveries to it
// fail. The order's invoicing step passes its deadline, the sweep cancels the order, and Inventory
// releases what it held: nothing stays reserved.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { registry } from '../functions/index.js';
import { signToken } from '../functions/runtime/auth.js';
import type { Platform } from './platform.js';
import { createTestEnvironment, httpClient, waitFor, type TestEnvironment } from './testing.js';

process.env.JWT_SECRET ??= 'deadline-test-secret-deadline-test-secret';
process.env.SAGA_STEP_TIMEOUT = '3';
process.env.SAGA_SWEEP_SCHEDULE = '* * * * * *';
process.env.CATALOG_TIMEOUT_MS ??= '10000';

let env: TestEnvironment;
let platform: Platform;
let admin: string;

beforeAll(async () => {
  env = await createTestEnvironment();
  platform = await env.start({ functions: registry.filter((fn) => fn.name !== 'billing-on-invoice-requested') });
  admin = await signToken({ id: randomUUID(), role: 'admin' });
}, 180_000);

afterAll(async () => {
  await env?.dispose();
}, 60_000);

const call = httpClient(() => platform.url);

it('cancels the order at the invoicing deadline and releases its stock', async () => {
  const category = await call('POST', '/catalog/categories', admin, { name: 'Deadline' });
  const product = await call('POST', '/catalog/products', admin, {
    name: 'Slow Widget',
    sku: 'DEADLINE-1',
    categoryId: category.body.id,
    price: { amount: 900, currency: 'EUR' },
  });
  await waitFor(
    () => call('GET', `/inventory/items/${product.body.id}`),
    (r) => r.status === 200,
  );
  expect((await call('POST', `/inventory/items/${product.body.id}/receipts`, admin, { quantity: 3 })).status).toBe(200);

  const email = `late-${randomUUID()}@example.com`;
  const registered = await call('POST', '/customers/register', undefined, { email, password: 'correct horse battery', name: 'Late' });
  const login = await call('POST', '/customers/login', undefined, { email, password: 'correct horse battery' });
  const token = login.body.accessToken as string;
  const cart = await call('POST', '/orders/carts', token);
  expect((await call('PUT', `/orders/carts/${cart.body.id}/items/${product.body.id}`, token, { quantity: 2 })).status).toBe(200);
  const placed = await call('POST', `/orders/carts/${cart.body.id}/checkout`, token, {
    shippingAddress: { line1: '2 Main St', city: 'Lyon', postalCode: '69001', country: 'FR' },
  });
  expect(placed.status).toBe(202);
  const orderId = placed.body.orderId as string;

  // Reserved first, while Billing does not answer.
  const reserved = await waitFor(
    () => call('GET', `/inventory/items/${product.body.id}`),
    (r) => r.body.reserved === 2,
  );
  expect(reserved.body.reserved).toBe(2);
  const cancelled = await waitFor(
    () => call('GET', `/orders/${orderId}`, admin),
    (r) => r.body.status === 'cancelled',
  );
  expect(cancelled.body.status).toBe('cancelled');
  expect(JSON.stringify(cancelled.body.history)).toMatch(/timed out/);
  const released = await waitFor(
    () => call('GET', `/inventory/items/${product.body.id}`),
    (r) => r.body.reserved === 0,
  );
  expect(released.body).toMatchObject({ onHand: 3, reserved: 0, available: 3 });
  expect(registered.status).toBe(201);
}, 180_000);
