// What the journey page tests share: an order placed through the stack as a customer places it,
// and the page opened and read in Chromium as a person reads it.
import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'puppeteer-core';
import { expect } from 'vitest';
import { waitFor, type httpClient } from '../testing.js';

type Client = ReturnType<typeof httpClient>;

/** An order placed by a new customer for a product in stock, followed until confirmed: its id and number. */
export const placeOrder = async (call: Client, admin: string): Promise<{ id: string; number: string }> => {
  const category = await call('POST', '/catalog/categories', admin, { name: `Journey ${randomUUID().slice(0, 8)}` });
  const sku = `JRN-${randomUUID().slice(0, 12)}`;
  const product = await call('POST', '/catalog/products', admin, { name: 'Lamp', sku, categoryId: category.body.id, price: { amount: 4200, currency: 'EUR' } });
  const productId = product.body.id as string;
  await waitFor(
    () => call('GET', `/inventory/items/${productId}`),
    (r) => r.status === 200,
  );
  expect((await call('POST', `/inventory/items/${productId}/receipts`, admin, { quantity: 3 })).status).toBe(200);
  const email = `traveller-${randomUUID()}@example.com`;
  const registered = await call('POST', '/customers/register', undefined, { email, password: 'correct horse battery', name: 'Traveller' });
  const token = (await call('POST', '/customers/login', undefined, { email, password: 'correct horse battery' })).body.accessToken as string;
  await waitFor(
    () => call('GET', `/billing/clients/${registered.body.id}`, admin),
    (r) => r.status === 200,
  );
  const cart = await call('POST', '/orders/carts', token);
  await call('PUT', `/orders/carts/${cart.body.id}/items/${productId}`, token, { quantity: 1 });
  const shippingAddress = { line1: '2 Quai des Orfèvres', city: 'Paris', postalCode: '75001', country: 'FR' };
  const placed = await call('POST', `/orders/carts/${cart.body.id}/checkout`, token, { shippingAddress });
  expect(placed.status).toBe(202);
  const id = placed.body.orderId as string;
  const confirmed = await waitFor(
    () => call('GET', `/orders/${id}`, admin),
    (r) => r.body?.status === 'confirmed',
  );
  expect(confirmed.body.status).toBe('confirmed');
  return { id, number: confirmed.body.number as string };
};

/** Waits until the page's text holds every one of `texts`; returns that text. */
export const waitForText = async (page: Page, texts: string[]): Promise<string> => {
  await page.waitForFunction((wanted: string[]) => wanted.every((t) => document.body.innerText.includes(t)), { timeout: 30_000 }, texts);
  return page.evaluate(() => document.body.innerText);
};

/** The page as the banner's link opens it (the token rides in the fragment), and every request it made elsewhere. */
export const openPage = async (browser: Browser, baseUrl: string, admin: string): Promise<{ page: Page; outside: string[] }> => {
  const page = await browser.newPage();
  const outside: string[] = [];
  page.on('request', (request) => {
    if (!request.url().startsWith(baseUrl)) outside.push(request.url());
  });
  await page.goto(`${baseUrl}/journey#token=${admin}`, { waitUntil: 'load' });
  return { page, outside };
};
