// The published contracts as a person meets them on the local platform: the documents at
// /openapi.json and /asyncapi.json, and their reference pages read in a real headless Chromium,
// which must render from the platform alone (no request leaves it).
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../functions/runtime/auth.js';
import { chromium, launchChromium } from './browser-testing.js';
import type { Platform } from './platform.js';
import { checkedFetch, createTestEnvironment, httpClient, type TestEnvironment } from './testing.js';

process.env.JWT_SECRET ??= 'contracts-test-secret-contracts-test-secret';

let env: TestEnvironment;
let platform: Platform;
let browser: Browser;

beforeAll(async () => {
  env = await createTestEnvironment();
  platform = await env.start({ deliver: false });
  if (chromium) browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await env?.dispose();
}, 60_000);

const file = (name: string) => readFileSync(new URL(`../schemas/contracts/${name}`, import.meta.url), 'utf8');

/** Opens `path` and waits until the page's text holds every one of `texts`; returns what left the platform. */
const read = async (path: string, texts: string[]): Promise<{ page: Page; outside: string[] }> => {
  const page = await browser.newPage();
  const outside: string[] = [];
  page.on('request', (request) => {
    if (!request.url().startsWith(platform.url) && !request.url().startsWith('data:')) outside.push(request.url());
  });
  await page.goto(platform.url + path, { waitUntil: 'load' });
  await page.waitForFunction((wanted: string[]) => wanted.every((t) => document.body.innerText.includes(t)), { timeout: 30_000 }, texts);
  return { page, outside };
};

describe('the contracts at the gateway', () => {
  it('serves the generated documents as JSON', async () => {
    for (const name of ['openapi.json', 'asyncapi.json']) {
      const response = await checkedFetch(`${platform.url}/${name}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await response.text()).toBe(file(name));
    }
  });

  it('answers 404 for an asset it does not list', async () => {
    const response = await checkedFetch(`${platform.url}/docs/assets/..%2Fpackage.json`);
    expect(response.status).toBe(404);
  });

  it("describes every function of GET /functions and every route of the gateway's own, each answering as described", async () => {
    type Operation = { operationId: string; tags: string[]; security?: unknown[]; parameters?: Array<{ in: string; required?: boolean }> };
    type Operations = Record<string, Record<string, Operation>>;
    const paths = (JSON.parse(file('openapi.json')) as { paths: Operations }).paths;
    const operationIds = Object.values(paths).flatMap((methods) => Object.values(methods).map((op) => op.operationId));
    const table = await httpClient(() => platform.url)('GET', '/functions');
    const routed = (table.body as { items: Array<{ name: string; route?: string }> }).items.filter((fn) => fn.route).map((fn) => fn.name);
    expect(routed.length).toBeGreaterThan(40);
    expect(routed.filter((name) => !operationIds.includes(name))).toEqual([]);
    const admin = await signToken({ id: randomUUID(), role: 'admin' });
    for (const [path, methods] of Object.entries(paths)) {
      const get = methods.get;
      if (!get?.tags.includes('gateway')) continue;
      // checkedFetch holds each answer to the operation's status, media type and schema; an
      // operation that needs a query parameter is asked without it, and refuses with a 422.
      const headers = get.security ? { authorization: `Bearer ${admin}` } : undefined;
      const needsQuery = get.parameters?.some((p) => p.in === 'query' && p.required) ?? false;
      expect((await checkedFetch(platform.url + path, { headers })).status, path).toBe(needsQuery ? 422 : 200);
    }
  });
});

describe.skipIf(!chromium)('the reference pages in a browser (needs Chromium: apt-get install chromium, or CHROMIUM_PATH)', () => {
  it('shows the HTTP API reference: title, routes and their function names', async () => {
    const { page, outside } = await read('/docs/openapi', [
      'GoTuto Functions HTTP API',
      '/orders/carts/{id}/checkout',
      'order-checkout',
      'billing-create-invoice',
    ]);
    expect(await page.title()).toBe('GoTuto Functions HTTP API');
    const text = await page.evaluate(() => document.body.innerText);
    expect(text).toContain('POST');
    expect(text).toMatch(/\bcatalog\b/);
    expect(outside).toEqual([]);
    await page.close();
  }, 60_000);

  it('shows the events reference: title, event types and their payloads', async () => {
    const { page, outside } = await read('/docs/asyncapi', [
      'GoTuto Functions events',
      'com.gotuto.order.order-placed.v1',
      'com.gotuto.billing.invoice-created.v1',
    ]);
    expect(await page.title()).toBe('GoTuto Functions events');
    const text = await page.evaluate(() => document.body.innerText);
    expect(text).toContain('Delivered by the Trigger inventory-on-order-placed to the function inventory-on-order-placed');
    expect(text).toContain('knative-broker-{namespace}-gotuto');
    expect(outside).toEqual([]);
    await page.close();
  }, 60_000);
});
