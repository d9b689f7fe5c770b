// What the telemetry and journey tests share: a platform started for a test file (or one describe
// block), with an OTLP receiver it exports to or a browser to read its pages with, and the steps of
// a shop's order as a customer takes them: a product in stock, a customer signed in, a checkout.
import { randomUUID } from 'node:crypto';
import type { Browser } from 'puppeteer-core';
import { afterAll, beforeAll, expect } from 'vitest';
import { signToken } from '../../functions/runtime/auth.js';
import { startOtlpReceiver, type OtlpReceiver } from '../../functions/runtime/otlp-testing.js';
import { chromium, launchChromium } from '../browser-testing.js';
import type { Platform, PlatformOptions } from '../platform.js';
import { createTestEnvironment, httpClient, waitFor, type TestEnvironment } from '../testing.js';

export type Client = ReturnType<typeof httpClient>;

export interface PlatformUse {
  /** The platform's options (functions, extra Triggers, its own OTLP receiver). */
  start?: PlatformOptions;
  /** Export traces and metrics (http/json) to a receiver of this test's own. */
  otlp?: boolean;
  /** Launch the machine's Chromium, where there is one. */
  browser?: boolean;
  /** Run over this broker: Kafka needs KAFKA_BROKERS; the embedded one sets it aside meanwhile. */
  broker?: 'embedded' | 'kafka';
}

export interface StartedPlatform {
  readonly platform: Platform;
  /** An admin's token. */
  readonly admin: string;
  /** The receiver (with `otlp`). */
  readonly receiver: OtlpReceiver;
  /** Chromium (with `browser`; a test that reads pages is skipped where the machine has none). */
  readonly browser: Browser;
  /** A JSON client of the platform, its answers checked against the contracts. */
  readonly call: Client;
}

/**
 * Starts the platform in a beforeAll of the enclosing block, on a test environment of its own
 * (createTestEnvironment), and stops all of it, the environment's settings undone, in its afterAll.
 */
export const usePlatform = (use: PlatformUse = {}): StartedPlatform => {
  const kafkaBrokers = process.env.KAFKA_BROKERS;
  let env: TestEnvironment | undefined;
  let platform: Platform | undefined;
  let receiver: OtlpReceiver | undefined;
  let browser: Browser | undefined;
  let admin = '';
  const started = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`no ${what}: the platform is not started (or was started without it)`);
    return value;
  };
  beforeAll(async () => {
    if (use.broker === 'kafka') process.env.KAFKA_BROKERS = kafkaBrokers;
    else if (use.broker === 'embedded') delete process.env.KAFKA_BROKERS;
    if (use.otlp) {
      receiver = await startOtlpReceiver();
      process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.url;
      process.env.OTEL_EXPORTER_OTLP_PROTOCOL = 'http/json';
    }
    env = await createTestEnvironment();
    platform = await env.start(use.start);
    admin = await signToken({ id: randomUUID(), role: 'admin' });
    if (use.browser && chromium) browser = await launchChromium();
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await env?.dispose();
    await receiver?.stop();
    if (use.otlp) {
      delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
      delete process.env.OTEL_EXPORTER_OTLP_PROTOCOL;
    }
    if (kafkaBrokers) process.env.KAFKA_BROKERS = kafkaBrokers;
  }, 60_000);
  return {
    get platform() {
      return started(platform, 'platform');
    },
    get admin() {
      return started(admin || undefined, 'admin token');
    },
    get receiver() {
      return started(receiver, 'OTLP receiver');
    },
    get browser() {
      return started(browser, 'browser');
    },
    call: httpClient(() => started(platform, 'platform').url),
  };
};

/** The functions an order wakes from checkout to confirmed, in the order its events reach them. */
export const SAGA_FUNCTIONS = [
  'order-checkout',
  'catalog-validate-products',
  'inventory-on-order-placed',
  'order-on-stock-reserved',
  'billing-on-invoice-requested',
  'order-on-invoice-created',
  'notification-on-order-confirmed',
] as const;

const PASSWORD = 'correct horse battery';

/** A new product with `quantity` units in stock at `price` minor units of EUR; its id. */
export const productInStock = async (call: Client, admin: string, { quantity = 5, price = 900 } = {}): Promise<string> => {
  const category = await call('POST', '/catalog/categories', admin, { name: `Shop ${randomUUID().slice(0, 8)}` });
  const created = await call('POST', '/catalog/products', admin, {
    name: `Lamp ${randomUUID().slice(0, 8)}`,
    sku: `SHOP-${randomUUID().slice(0, 12)}`,
    categoryId: category.body.id,
    price: { amount: price, currency: 'EUR' },
  });
  expect(created.status).toBe(201);
  const id = created.body.id as string;
  // Inventory learns of the product from its event.
  await waitFor(
    () => call('GET', `/inventory/items/${id}`),
    (r) => r.status === 200,
  );
  expect((await call('POST', `/inventory/items/${id}/receipts`, admin, { quantity })).status).toBe(200);
  return id;
};

/** A customer registered, signed in, and known to Billing (so an order of theirs can be invoiced). */
export const newCustomer = async (call: Client, admin: string): Promise<{ id: string; email: string; token: string }> => {
  const email = `buyer-${randomUUID()}@example.com`;
  const registered = await call('POST', '/customers/register', undefined, { email, password: PASSWORD, name: 'Buyer' });
  expect(registered.status).toBe(201);
  const login = await call('POST', '/customers/login', undefined, { email, password: PASSWORD });
  const id = registered.body.id as string;
  await waitFor(
    () => call('GET', `/billing/clients/${id}`, admin),
    (r) => r.status === 200,
  );
  return { id, email, token: login.body.accessToken as string };
};

const ADDRESS = { line1: '1 Rue de la Paix', city: 'Paris', postalCode: '75002', country: 'FR' };

/** Checks out one unit of `productId` in a new cart (with `headers`, a caller's `traceparent`); the order's id. */
export const checkout = async (call: Client, token: string, productId: string, headers: Record<string, string> = {}): Promise<string> => {
  const cart = await call('POST', '/orders/carts', token);
  expect((await call('PUT', `/orders/carts/${cart.body.id}/items/${productId}`, token, { quantity: 1 })).status).toBe(200);
  const placed = await call('POST', `/orders/carts/${cart.body.id}/checkout`, token, { shippingAddress: ADDRESS }, headers);
  expect(placed.status).toBe(202);
  return placed.body.orderId as string;
};
