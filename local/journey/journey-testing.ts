// What the journey page tests share: an order placed through the stack as a customer places it
// (platform-testing.ts's steps), and the page opened and read in Chromium as a person reads it.
import type { Browser, Page } from 'puppeteer-core';
import { expect } from 'vitest';
import { waitFor } from '../testing.js';
import { checkout, newCustomer, productInStock, type Client } from './platform-testing.js';

/** An order placed by a new customer for a product in stock, followed until confirmed: its id and number. */
export const placeOrder = async (call: Client, admin: string): Promise<{ id: string; number: string }> => {
  const productId = await productInStock(call, admin, { quantity: 3, price: 4200 });
  const { token } = await newCustomer(call, admin);
  const id = await checkout(call, token, productId);
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
