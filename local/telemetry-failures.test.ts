// The metrics of things going wrong, as a collector receives them over OTLP/HTTP (http/json) on a
// real endpoint served here: a saga step that passes its deadline (Billing does not answer, so the
// sweep expires the invoicing step) and emails the SMTP server refuses or cannot be reached.
// Each must move by exactly one per event, with the attribute that says which (step; kind).
// Over the embedded broker only: neither depends on the broker, and telemetry.test.ts covers Kafka.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { registry } from '../functions/index.js';
import { signToken } from '../functions/runtime/auth.js';
import { drainAll } from '../functions/runtime/lifecycle.js';
import { startOtlpReceiver, type MetricsSnapshot, type OtlpReceiver } from '../functions/runtime/otlp-testing.js';
import { useSmtpServer } from '../functions/runtime/smtp-testing.js';
import { flushTelemetry } from '../functions/runtime/telemetry.js';
import type { Platform } from './platform.js';
import { createTestEnvironment, httpClient, waitFor, type TestEnvironment } from './testing.js';

process.env.JWT_SECRET ??= 'telemetry-failures-secret-telemetry-failures';
process.env.SAGA_STEP_TIMEOUT = '3';
process.env.SAGA_SWEEP_SCHEDULE = '* * * * * *';
process.env.CATALOG_TIMEOUT_MS ??= '10000';
// A failed send is not tried again within this file, so each failure is counted once.
process.env.NOTIFICATION_SEND_BACKOFF_SECONDS = '3600';

const smtp = useSmtpServer();
const kafkaBrokers = process.env.KAFKA_BROKERS;

let env: TestEnvironment;
let platform: Platform;
let receiver: OtlpReceiver;
let admin: string;
const call = httpClient(() => platform.url);

beforeAll(async () => {
  delete process.env.KAFKA_BROKERS;
  receiver = await startOtlpReceiver();
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.url;
  process.env.OTEL_EXPORTER_OTLP_PROTOCOL = 'http/json';
  env = await createTestEnvironment();
  // Billing's handler of invoice-requested is not served: an order waits in its invoicing step.
  platform = await env.start({ functions: registry.filter((fn) => fn.name !== 'billing-on-invoice-requested') });
  admin = await signToken({ id: randomUUID(), role: 'admin' });
}, 180_000);

afterAll(async () => {
  await env?.dispose();
  await receiver?.stop();
  delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  delete process.env.OTEL_EXPORTER_OTLP_PROTOCOL;
  if (kafkaBrokers) process.env.KAFKA_BROKERS = kafkaBrokers;
}, 60_000);

/** What has been exported once everything in flight (deliveries, background sends) has finished. */
const settled = async (): Promise<MetricsSnapshot> => {
  await platform.broker.idle();
  await drainAll(10_000);
  await flushTelemetry();
  return receiver.metricsSnapshot();
};

/** Exports until `name` with `attributes` has reached `total`; the snapshot then. */
const exportedUntil = (name: string, attributes: Record<string, unknown>, total: number): Promise<MetricsSnapshot> =>
  waitFor(
    async () => {
      await flushTelemetry();
      return receiver.metricsSnapshot();
    },
    (snapshot) => snapshot.value(name, attributes) >= total,
    30_000,
  );

const register = async (): Promise<string> => {
  const email = `failures-${randomUUID()}@example.com`;
  const registered = await call('POST', '/customers/register', undefined, { email, password: 'correct horse battery', name: 'Unlucky' });
  expect(registered.status).toBe(201);
  return email;
};

it('counts the invoicing deadline that expired, once, with its step', async () => {
  const before = await settled();
  const category = await call('POST', '/catalog/categories', admin, { name: `Late ${randomUUID().slice(0, 8)}` });
  const product = await call('POST', '/catalog/products', admin, {
    name: 'Slow Widget',
    sku: `LATE-${randomUUID().slice(0, 12)}`,
    categoryId: category.body.id,
    price: { amount: 900, currency: 'EUR' },
  });
  await waitFor(
    () => call('GET', `/inventory/items/${product.body.id}`),
    (r) => r.status === 200,
  );
  expect((await call('POST', `/inventory/items/${product.body.id}/receipts`, admin, { quantity: 3 })).status).toBe(200);
  const email = await register();
  const login = await call('POST', '/customers/login', undefined, { email, password: 'correct horse battery' });
  const token = login.body.accessToken as string;
  const cart = await call('POST', '/orders/carts', token);
  expect((await call('PUT', `/orders/carts/${cart.body.id}/items/${product.body.id}`, token, { quantity: 1 })).status).toBe(200);
  const placed = await call('POST', `/orders/carts/${cart.body.id}/checkout`, token, {
    shippingAddress: { line1: '2 Main St', city: 'Lyon', postalCode: '69001', country: 'FR' },
  });
  expect(placed.status).toBe(202);
  const cancelled = await waitFor(
    () => call('GET', `/orders/${placed.body.orderId}`, admin),
    (r) => r.body.status === 'cancelled',
  );
  expect(cancelled.body.status).toBe('cancelled');

  await exportedUntil('gotuto.saga.deadlines.expired', {}, before.value('gotuto.saga.deadlines.expired') + 1);
  // The sweep runs every second: later runs must find nothing more to expire.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const after = await settled();
  const moved = (name: string, attributes: Record<string, unknown> = {}) => after.value(name, attributes) - before.value(name, attributes);
  expect(moved('gotuto.saga.deadlines.expired')).toBe(1);
  expect(moved('gotuto.saga.deadlines.expired', { step: 'invoicing' })).toBe(1);
  expect(moved('gotuto.orders.cancelled', { reason: 'deadline-expired' })).toBe(1);
  expect(moved('gotuto.saga.step.duration', { step: 'invoicing' })).toBe(1);
  expect(moved('gotuto.orders.confirmed')).toBe(0);
  expect(after.units.get('gotuto.saga.deadlines.expired')).toBe('{deadline}');
}, 180_000);

const registrationKinds = ['welcome', 'email-verification'];

/** Exports until the emails a registration sends have each failed `times` more than `before`. */
const failedUntil = async (before: MetricsSnapshot, times: number): Promise<void> => {
  for (const kind of registrationKinds) await exportedUntil('gotuto.emails.failed', { kind }, before.value('gotuto.emails.failed', { kind }) + times);
};

it('counts each email the SMTP server refused or could not take, with its kind', async () => {
  const before = await settled();
  const acceptedBefore = smtp.accepted.length;
  smtp.mode = 'refuse-permanent';
  try {
    // Refused for good (550): the welcome and the verification email each fail once, not tried again.
    await register();
    await failedUntil(before, 1);
    // The server gone: connecting fails; each email waits for a later attempt (after the backoff).
    await smtp.stop();
    await register();
    await failedUntil(before, 2);
  } finally {
    smtp.mode = 'accept';
    await smtp.start();
  }
  const after = await settled();
  const moved = (name: string, attributes: Record<string, unknown> = {}) => after.value(name, attributes) - before.value(name, attributes);
  expect(moved('gotuto.emails.failed', { kind: 'welcome' })).toBe(2);
  expect(moved('gotuto.emails.failed', { kind: 'email-verification' })).toBe(2);
  expect(moved('gotuto.emails.failed')).toBe(4);
  expect(moved('gotuto.emails.sent', { kind: 'welcome' })).toBe(0);
  expect(moved('gotuto.emails.sent')).toBe(0);
  expect(smtp.accepted.length).toBe(acceptedBefore);
  expect(after.units.get('gotuto.emails.failed')).toBe('{email}');
}, 180_000);
