// The scale-to-zero mode: every function's bundle in a process of its own, started by a request or
// a delivery, stopped when idle. Real processes, from bundles built once into .cache/ and reused by
// later runs while the sources do not change; each test reads what the platform says of its
// processes and checks, in /proc's terms, that a stopped one is gone.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../../functions/index.js';
import { signToken } from '../../functions/runtime/auth.js';
import type { Platform } from '../platform.js';
import { checkedFetch, createTestEnvironment, httpClient, waitFor, type TestEnvironment } from '../testing.js';
import { bundlePath, ensureBundles } from './bundles.js';
import type { InstanceView } from './instance.js';

process.env.JWT_SECRET ??= 'scale-test-secret-scale-test-secret-scale';
// A cold Catalog answers its first validate call slower than a warm one.
process.env.CATALOG_TIMEOUT_MS ??= '20000';

const IDLE_MS = 2_000;
const cache = fileURLToPath(new URL('../../.cache/scale-to-zero-bundles', import.meta.url));
const names = registry.map((fn) => fn.name);

let env: TestEnvironment;
let platform: Platform;
let admin: string;
let bundles: string;

beforeAll(async () => {
  await ensureBundles(cache, names);
  // The platform's bundles are links to the cached ones, so that a test can break one and mend it.
  bundles = mkdtempSync(join(tmpdir(), 'gotuto-scale-bundles-'));
  mkdirSync(join(bundles, 'functions'));
  for (const name of names) symlinkSync(bundlePath(cache, name), bundlePath(bundles, name));
  env = await createTestEnvironment();
  platform = await env.start({ scaleToZero: { bundlesDir: bundles, idleMs: IDLE_MS, startTimeoutMs: 20_000 } });
  admin = await signToken({ id: randomUUID(), role: 'admin' });
}, 240_000);

afterAll(async () => {
  await env?.dispose();
  if (bundles) rmSync(bundles, { recursive: true, force: true });
}, 60_000);

const call = httpClient(() => platform.url);

const view = (name: string): InstanceView => {
  const found = platform.scaler?.instances().find((i) => i.name === name);
  if (!found) throw new Error(`${name} does not run in a process of its own`);
  return found;
};

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const stopped = (name: string) =>
  waitFor(
    () => Promise.resolve(view(name)),
    (v) => v.state === 'stopped',
    IDLE_MS + 20_000,
  );

const product = async () => {
  const category = await call('POST', '/catalog/categories', admin, { name: `Scale ${randomUUID().slice(0, 8)}` });
  expect(category.status).toBe(201);
  const created = await call('POST', '/catalog/products', admin, {
    name: `Widget ${randomUUID().slice(0, 8)}`,
    sku: `SCALE-${randomUUID().slice(0, 12)}`,
    categoryId: category.body.id,
    price: { amount: 1250, currency: 'EUR' },
  });
  expect(created.status).toBe(201);
  return created.body.id as string;
};

describe('npm start -- --scale-to-zero', () => {
  it('runs every deployed function from its bundle, none of them before it is needed', () => {
    const views = platform.scaler?.instances() ?? [];
    expect(views.map((v) => v.name).sort()).toEqual([...names].sort());
    expect(views.every((v) => v.state === 'stopped' && v.starts.length === 0)).toBe(true);
  });

  it('starts a stopped function for a request, answers it, and stops its process once idle', async () => {
    const answer = await call('GET', '/catalog/products?limit=5');
    expect(answer.status).toBe(200);
    const running = view('catalog-list-products');
    expect(running.state).toBe('running');
    expect(running.starts).toHaveLength(1);
    const pid = running.pid as number;
    expect(alive(pid)).toBe(true);

    expect((await stopped('catalog-list-products')).state).toBe('stopped');
    expect(alive(pid)).toBe(false);
    // And again: a new process for the next request.
    expect((await call('GET', '/catalog/products?limit=5')).status).toBe(200);
    expect(view('catalog-list-products').starts).toHaveLength(2);
    expect(view('catalog-list-products').pid).not.toBe(pid);
  }, 60_000);

  it('holds the requests that arrive while the function starts, and answers each of them from one start', async () => {
    const before = view('catalog-get-category-tree').starts.length;
    expect(view('catalog-get-category-tree').state).toBe('stopped');
    const answers = await Promise.all(Array.from({ length: 8 }, () => call('GET', '/catalog/categories')));
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(200));
    expect(view('catalog-get-category-tree').starts).toHaveLength(before + 1);
  }, 60_000);

  it('starts a new process for the next request when one is killed (kill -9)', async () => {
    expect((await call('GET', '/catalog/products?limit=1')).status).toBe(200);
    const killed = view('catalog-list-products').pid as number;
    process.kill(killed, 'SIGKILL');
    await waitFor(
      () => Promise.resolve(view('catalog-list-products').pid),
      (pid) => pid !== killed,
      10_000,
    );
    expect((await call('GET', '/catalog/products?limit=1')).status).toBe(200);
    const now = view('catalog-list-products');
    expect(now.state).toBe('running');
    expect(now.pid).not.toBe(killed);
    expect(alive(killed)).toBe(false);
  }, 60_000);

  it('starts a stopped event handler for a delivery, which is delivered', async () => {
    expect(view('inventory-on-product-created').state).toBe('stopped');
    const id = await product();
    // Inventory makes the item from product-created, delivered by the broker to its stopped handler.
    const item = await waitFor(
      () => call('GET', `/inventory/items/${id}`),
      (r) => r.status === 200,
    );
    expect(item.status).toBe(200);
    expect(view('inventory-on-product-created').starts.filter((s) => s.ok).length).toBeGreaterThanOrEqual(1);
  }, 90_000);

  it('answers 503 when a start fails; the broker retries the delivery, which arrives once the function starts', async () => {
    const name = 'inventory-on-product-created';
    await stopped(name);
    unlinkSync(bundlePath(bundles, name));
    writeFileSync(bundlePath(bundles, name), "console.error('this start fails'); process.exit(3);\n");
    const failedBefore = view(name).starts.filter((s) => !s.ok).length;

    const id = await product();
    const failed = await waitFor(
      () => Promise.resolve(view(name).starts.filter((s) => !s.ok).length),
      (n) => n > failedBefore,
      30_000,
    );
    expect(failed).toBeGreaterThan(failedBefore);
    // The same for a request at the function's URL: 503, with when to try again.
    const direct = await checkedFetch(`${platform.url}/functions/${name}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(direct.status).toBe(503);
    expect(direct.headers.get('content-type')).toContain('application/problem+json');
    expect(direct.headers.get('retry-after')).toBeTruthy();
    expect(((await direct.json()) as { detail: string }).detail).toContain(`${name} did not start`);
    expect((await call('GET', `/inventory/items/${id}`)).status).toBe(404);

    unlinkSync(bundlePath(bundles, name));
    symlinkSync(bundlePath(cache, name), bundlePath(bundles, name));
    const item = await waitFor(
      () => call('GET', `/inventory/items/${id}`),
      (r) => r.status === 200,
      60_000,
    );
    expect(item.status).toBe(200);
  }, 120_000);

  it('takes an order from sign-up to confirmed with every function in a process of its own', async () => {
    const productId = await product();
    await waitFor(
      () => call('GET', `/inventory/items/${productId}`),
      (r) => r.status === 200,
    );
    expect((await call('POST', `/inventory/items/${productId}/receipts`, admin, { quantity: 5 })).status).toBe(200);

    const email = `scale-${randomUUID()}@example.com`;
    const registered = await call('POST', '/customers/register', undefined, { email, password: 'correct horse battery', name: 'Scale Buyer' });
    expect(registered.status).toBe(201);
    const login = await call('POST', '/customers/login', undefined, { email, password: 'correct horse battery' });
    expect(login.status).toBe(200);
    const token = login.body.accessToken as string;
    const client = await waitFor(
      () => call('GET', `/billing/clients/${registered.body.id}`, admin),
      (r) => r.status === 200,
    );
    expect(client.status).toBe(200);

    const cart = await call('POST', '/orders/carts', token);
    expect(cart.status).toBe(201);
    expect((await call('PUT', `/orders/carts/${cart.body.id}/items/${productId}`, token, { quantity: 2 })).status).toBe(200);
    const placed = await call('POST', `/orders/carts/${cart.body.id}/checkout`, token, {
      shippingAddress: { line1: '1 Rue de la Paix', city: 'Paris', postalCode: '75002', country: 'FR' },
    });
    expect(placed.status).toBe(202);
    const order = await waitFor(
      () => call('GET', `/orders/${placed.body.orderId}`, admin),
      (r) => ['confirmed', 'cancelled'].includes(r.body?.status),
      90_000,
    );
    expect(order.body.status).toBe('confirmed');
    expect(order.body.total).toEqual({ amount: 2500, currency: 'EUR' });
    expect((await call('GET', `/inventory/items/${productId}`)).body).toMatchObject({ onHand: 5, reserved: 2 });
    const started = (platform.scaler?.instances() ?? []).filter((v) => v.starts.some((s) => s.ok)).map((v) => v.name);
    expect(started).toEqual(expect.arrayContaining(['order-checkout', 'inventory-on-order-placed', 'billing-on-invoice-requested']));
  }, 180_000);
});
