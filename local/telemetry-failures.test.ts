// The metrics of things going wrong, as a collector receives them over OTLP/HTTP (http/json) on a
// real endpoint served here: a saga step that passes its deadline (Billing does not answer, so the
// sweep expires the invoicing step) and emails the SMTP server refuses or cannot be reached.
// Each must move by exactly one per event, with the attribute that says which (step; kind).
// Over the embedded broker only: neither depends on the broker, and telemetry.test.ts covers Kafka.
import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { registry } from '../functions/index.js';
import { drainAll } from '../functions/runtime/lifecycle.js';
import type { MetricsSnapshot } from '../functions/runtime/otlp-testing.js';
import { useSmtpServer } from '../functions/runtime/smtp-testing.js';
import { flushTelemetry } from '../functions/runtime/telemetry.js';
import { checkout, newCustomer, productInStock, usePlatform } from './journey/platform-testing.js';
import { waitFor } from './testing.js';

process.env.JWT_SECRET ??= 'telemetry-failures-secret-telemetry-failures';
process.env.SAGA_STEP_TIMEOUT = '3';
process.env.SAGA_SWEEP_SCHEDULE = '* * * * * *';
process.env.CATALOG_TIMEOUT_MS ??= '10000';
// A failed send is not tried again within this file, so each failure is counted once.
process.env.NOTIFICATION_SEND_BACKOFF_SECONDS = '3600';

const smtp = useSmtpServer();
// Billing's handler of invoice-requested is not served: an order waits in its invoicing step.
const shop = usePlatform({ otlp: true, broker: 'embedded', start: { functions: registry.filter((fn) => fn.name !== 'billing-on-invoice-requested') } });
const { call } = shop;

/** What has been exported once everything in flight (deliveries, background sends) has finished. */
const settled = async (): Promise<MetricsSnapshot> => {
  await shop.platform.broker.idle();
  await drainAll(10_000);
  await flushTelemetry();
  return shop.receiver.metricsSnapshot();
};

/** Exports until `name` with `attributes` has reached `total`; the snapshot then. */
const exportedUntil = (name: string, attributes: Record<string, unknown>, total: number): Promise<MetricsSnapshot> =>
  waitFor(
    async () => {
      await flushTelemetry();
      return shop.receiver.metricsSnapshot();
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
  const productId = await productInStock(call, shop.admin, { quantity: 3 });
  const { token } = await newCustomer(call, shop.admin);
  const orderId = await checkout(call, token, productId);
  const cancelled = await waitFor(
    () => call('GET', `/orders/${orderId}`, shop.admin),
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
