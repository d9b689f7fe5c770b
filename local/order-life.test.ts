// The whole life of an order through HTTP, with a real SMTP server receiving what Notification
// sends: sign-up mail, checkout, confirmation mail, payment, shipment, dispatch and its mail,
// delivery and its mail; the order ends delivered and its stock has left.
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { signToken } from '../functions/runtime/auth.js';
import type { Platform } from './platform.js';
import { createTestEnvironment, httpClient, waitFor, type TestEnvironment } from './testing.js';

process.env.JWT_SECRET ??= 'life-test-secret-life-test-secret-life';
process.env.CATALOG_TIMEOUT_MS ??= '10000';

const mails: Array<{ to: string[]; raw: string }> = [];
let smtp: SMTPServer;
let env: TestEnvironment;
let platform: Platform;
let admin: string;

beforeAll(async () => {
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, done) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push({ to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('utf8') });
        done();
      });
    },
  });
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', () => r()));
  process.env.SMTP_URL = `smtp://127.0.0.1:${(smtp.server.address() as AddressInfo).port}`;
  env = await createTestEnvironment();
  platform = await env.start();
  admin = await signToken({ id: randomUUID(), role: 'admin' });
}, 180_000);

afterAll(async () => {
  await env?.dispose();
  delete process.env.SMTP_URL;
  await new Promise<void>((r) => smtp?.close(() => r()));
}, 60_000);

const call = httpClient(() => platform.url);

const mailTo = (email: string, subject: RegExp) =>
  waitFor(
    async () => mails.filter((m) => m.to.includes(email) && subject.test(m.raw)),
    (found) => found.length > 0,
    30_000,
  );

it('takes an order from sign-up to delivery, with its emails', async () => {
  const category = await call('POST', '/catalog/categories', admin, { name: 'Life' });
  const product = await call('POST', '/catalog/products', admin, {
    name: 'Kettle',
    sku: 'LIFE-KETTLE',
    categoryId: category.body.id,
    price: { amount: 3900, currency: 'EUR' },
  });
  await waitFor(
    () => call('GET', `/inventory/items/${product.body.id}`),
    (r) => r.status === 200,
  );
  expect((await call('POST', `/inventory/items/${product.body.id}/receipts`, admin, { quantity: 2 })).status).toBe(200);

  const email = `life-${randomUUID()}@example.com`;
  const registered = await call('POST', '/customers/register', undefined, { email, password: 'correct horse battery', name: 'Ada Life' });
  expect(registered.status).toBe(201);
  expect(await mailTo(email, /Welcome/i)).toHaveLength(1);
  const token = (await call('POST', '/customers/login', undefined, { email, password: 'correct horse battery' })).body.accessToken as string;
  await waitFor(
    () => call('GET', `/billing/clients/${registered.body.id}`, admin),
    (r) => r.status === 200,
  );

  const cart = await call('POST', '/orders/carts', token);
  expect((await call('PUT', `/orders/carts/${cart.body.id}/items/${product.body.id}`, token, { quantity: 1 })).status).toBe(200);
  const placed = await call('POST', `/orders/carts/${cart.body.id}/checkout`, token, {
    shippingAddress: { line1: '3 Quay', city: 'Nantes', postalCode: '44000', country: 'FR' },
  });
  const orderId = placed.body.orderId as string;
  const confirmed = await waitFor(
    () => call('GET', `/orders/${orderId}`, token),
    (r) => r.body.status === 'confirmed',
  );
  expect(confirmed.body.status).toBe('confirmed');
  expect(await mailTo(email, /confirmed/i)).toHaveLength(1);

  const invoice = (await call('GET', `/billing/invoices?orderId=${orderId}`, admin)).body.items[0];
  expect((await call('POST', `/billing/invoices/${invoice.id}/payments`, admin, { amount: invoice.total })).status).toBe(201);
  const shipment = await waitFor(
    () => call('GET', `/shipping/shipments?orderId=${orderId}`, admin),
    (r) => r.body?.items?.length === 1,
  );
  const shipmentId = shipment.body.items[0].id as string;
  expect(shipment.body.items[0].status).toBe('preparing');

  expect((await call('POST', `/shipping/shipments/${shipmentId}/dispatch`, admin, { carrier: 'La Poste', trackingNumber: 'LP123456789FR' })).status).toBe(200);
  expect(
    (
      await waitFor(
        () => call('GET', `/orders/${orderId}`, token),
        (r) => r.body.status === 'shipped',
      )
    ).body.status,
  ).toBe('shipped');
  const shippedMail = await mailTo(email, /on its way/i);
  expect(shippedMail[0]?.raw).toContain('LP123456789FR');

  expect((await call('POST', `/shipping/shipments/${shipmentId}/deliver`, admin)).status).toBe(200);
  const delivered = await waitFor(
    () => call('GET', `/orders/${orderId}`, token),
    (r) => r.body.status === 'delivered',
  );
  expect(delivered.body.status).toBe('delivered');
  expect(await mailTo(email, /delivered/i)).toHaveLength(1);

  await platform.broker.idle();
  expect((await call('GET', `/inventory/items/${product.body.id}`)).body).toMatchObject({ onHand: 1, reserved: 0, available: 1 });
  const mine = await call('GET', '/notifications/me', token);
  expect(mine.status).toBe(200);
  expect(mine.body.items.length).toBeGreaterThanOrEqual(4);
}, 240_000);
