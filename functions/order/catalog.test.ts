// The Catalog circuit breaker, through the functions (one breaker per process: this file's).
import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { startFunctions, useTestDatabase } from '../runtime/testing.js';
import { aCustomer, givenCart, orderRegistry, useTestCatalog } from './test-support.js';

// Read when the breaker is made, at the first call: three calls in the window, half of them failed, open it.
process.env.CATALOG_BREAKER_VOLUME = '3';
process.env.CATALOG_BREAKER_ERROR_PERCENT = '50';
process.env.CATALOG_BREAKER_RESET_MS = '1500';

const db = useTestDatabase(['order']);
const shop = useTestCatalog();
const api = startFunctions(orderRegistry);

let customer: { id: string; token: string };
beforeAll(async () => {
  customer = await aCustomer();
});

const put = (cartId: string, productId: string, quantity: number) =>
  api.request('PUT', `/orders/carts/${cartId}/items/${productId}`, { token: customer.token, body: { quantity } });
const storedCart = async (id: string) =>
  (await db.query<{ items: unknown[]; version: number }>('SELECT items, version FROM "order".carts WHERE id = $1', [id]))[0];

describe('the Catalog circuit breaker', () => {
  it('opens after failures, then fails fast without calling Catalog, and closes once a call after CATALOG_BREAKER_RESET_MS succeeds', async () => {
    const cart = await givenCart(api, customer.token);
    expect((await put(cart.id, shop.espresso.id, 1)).status).toBe(200);

    // Catalog goes down: calls fail (refused), each a 503, until the breaker opens.
    await shop.catalog.stop();
    for (let i = 0; i < 2; i++) {
      const failed = await put(cart.id, shop.beans.id, 1);
      expect(failed.status).toBe(503);
      expect(failed.body.detail).toMatch(/could not be reached/);
    }

    // Catalog is back, but the breaker is open: answered at once, and Catalog is not called.
    await shop.catalog.start();
    const hits = shop.catalog.hits;
    const started = Date.now();
    const open = await put(cart.id, shop.beans.id, 1);
    expect(open.status).toBe(503);
    expect(open.body.detail).toMatch(/circuit open/);
    expect(Number(open.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(open.headers.get('retry-after'))).toBeLessThanOrEqual(2);
    expect(
      (
        await api.request('POST', `/orders/carts/${cart.id}/checkout`, {
          token: customer.token,
          body: { shippingAddress: { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' } },
        })
      ).status,
    ).toBe(503);
    expect(shop.catalog.hits).toBe(hits);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(await storedCart(cart.id)).toMatchObject({ version: 2 });

    // After the reset time one call may try Catalog; it succeeds, and the breaker closes.
    await sleep(1600);
    expect((await put(cart.id, shop.beans.id, 2)).status).toBe(200);
    expect((await put(cart.id, shop.beans.id, 3)).status).toBe(200);
    expect(shop.catalog.hits).toBe(hits + 2);
    expect(await storedCart(cart.id)).toMatchObject({ version: 4 });
  });

  it('opens again when the trial call after the reset fails', async () => {
    const cart = await givenCart(api, customer.token);
    await shop.catalog.stop();
    // Enough failures in the window to open it, whatever the previous test left there.
    for (let i = 0; i < 6; i++) await put(cart.id, shop.beans.id, 1);
    const open = await put(cart.id, shop.beans.id, 1);
    expect(open.body.detail).toMatch(/circuit open/);

    await sleep(1600);
    const trial = await put(cart.id, shop.beans.id, 1);
    expect(trial.status).toBe(503);
    expect(trial.body.detail).toMatch(/could not be reached/);
    await shop.catalog.start();
    const hits = shop.catalog.hits;
    const reopened = await put(cart.id, shop.beans.id, 1);
    expect(reopened.body.detail).toMatch(/circuit open/);
    expect(shop.catalog.hits).toBe(hits);
  });
});
