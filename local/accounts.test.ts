// Accounts on the local platform, through HTTP and a real SMTP server: the attacks on sign-up and
// login that used to work are refused, and the honest path still runs from sign-up, through the
// verification mail, to the client an admin made being linked, and an order delivered.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useSmtpServer } from '../functions/runtime/smtp-testing.js';
import { signToken } from '../functions/runtime/auth.js';
import type { Platform } from './platform.js';
import { checkedFetch, createTestEnvironment, httpClient, waitFor, type TestEnvironment } from './testing.js';

process.env.JWT_SECRET ??= 'accounts-test-secret-accounts-test-secret';
process.env.CATALOG_TIMEOUT_MS ??= '10000';
const ADMIN = { email: `root-${randomUUID().slice(0, 8)}@example.com`, password: 'admin password of the shop' };
const PASSWORD = 'correct horse battery';

const smtp = useSmtpServer();
let env: TestEnvironment;
let platform: Platform;
let admin: string;
const SETTINGS = {
  ADMIN_EMAIL: ADMIN.email,
  ADMIN_PASSWORD: ADMIN.password,
  LOGIN_DELAY_SECONDS: '1',
  LOGIN_MAX_DELAY_SECONDS: '2',
  LOGIN_ALERT_FAILURES: '5',
};
const saved = Object.fromEntries(Object.keys(SETTINGS).map((name) => [name, process.env[name]]));

beforeAll(async () => {
  Object.assign(process.env, SETTINGS);
  env = await createTestEnvironment();
  platform = await env.start();
  admin = await signToken({ id: randomUUID(), role: 'admin' });
}, 180_000);

afterAll(async () => {
  await env?.dispose();
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
}, 60_000);

const call = httpClient(() => platform.url);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mailTo = (email: string, subject: RegExp) =>
  waitFor(
    async () => smtp.to(email).filter((m) => subject.test(m.subject)),
    (found) => found.length > 0,
    30_000,
  );
/** The verification code of the latest verification mail to `email`, as its reader sees it. */
const mailedCode = async (email: string): Promise<string> => {
  const found = await mailTo(email, /Confirm your email/);
  const code = /Code:?\s*([A-Za-z0-9_-]{43})/.exec(found[found.length - 1]?.text ?? '')?.[1];
  if (!code) throw new Error(`no code in the mail to ${email}`);
  return code;
};
const login = (email: string, password: string) => call('POST', '/customers/login', undefined, { email, password });

/** A client an admin made, with a sent invoice: what a stranger signing up with its email used to get. */
const clientWithInvoice = async () => {
  const email = `acme-${randomUUID().slice(0, 8)}@example.com`;
  const client = await call('POST', '/billing/clients', admin, { name: 'Acme SARL', email });
  expect(client.status).toBe(201);
  const due = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
  const invoice = await call('POST', '/billing/invoices', admin, {
    clientId: client.body.id,
    dueDate: due,
    lines: [{ description: 'Consulting', quantity: 1, unitPrice: { amount: 50_000, currency: 'EUR' } }],
  });
  expect(invoice.status).toBe(201);
  expect((await call('POST', `/billing/invoices/${invoice.body.id}/send`, admin)).status).toBe(200);
  return { email, clientId: client.body.id as string, invoiceId: invoice.body.id as string };
};

describe('sign-up', () => {
  it('links a client an admin made only to the owner of its email: a stranger reads none of its invoices and renames nothing', async () => {
    const acme = await clientWithInvoice();
    const signedUp = await call('POST', '/customers/register', undefined, { email: acme.email, password: PASSWORD, name: 'Mallory' });
    expect(signedUp.status).toBe(201);
    expect(signedUp.body.emailVerified).toBe(false);
    const token = (await login(acme.email, PASSWORD)).body.accessToken as string;
    // Customer has told Billing (the account's own client is not made: the email is the admin's client's).
    await mailTo(acme.email, /Confirm your email/);
    await platform.broker.idle();

    expect((await call('GET', `/billing/invoices/${acme.invoiceId}`, token)).status).toBe(404);
    expect((await call('GET', '/billing/invoices', token)).body?.items ?? []).toEqual([]);
    expect((await call('PATCH', '/customers/me', token, { name: 'Mallory Renamed' }, { 'if-match': '"1"' })).status).toBe(200);
    await platform.broker.idle();
    expect((await call('GET', `/billing/clients/${acme.clientId}`, admin)).body).toMatchObject({ name: 'Acme SARL', customerId: null });
  }, 120_000);

  it('answers a taken email exactly like a free one, and mails its owner instead', async () => {
    const email = `taken-${randomUUID().slice(0, 8)}@example.com`;
    const first = await call('POST', '/customers/register', undefined, { email, password: PASSWORD, name: 'Owner' });
    const second = await call('POST', '/customers/register', undefined, { email: email.toUpperCase(), password: 'another pass phrase', name: 'Owner' });

    expect(second.status).toBe(first.status);
    expect(Object.keys(second.body).sort()).toEqual(Object.keys(first.body).sort());
    expect(await mailTo(email, /Someone tried to sign up/)).toHaveLength(1);
    expect((await login(email, 'another pass phrase')).status).toBe(401);
  }, 60_000);

  it('takes the owner from sign-up through the mailed code to the linked client, its invoices and an order delivered', async () => {
    const acme = await clientWithInvoice();
    const category = await call('POST', '/catalog/categories', admin, { name: `Accounts ${randomUUID().slice(0, 8)}` });
    const product = await call('POST', '/catalog/products', admin, {
      name: 'Kettle',
      sku: `ACC-${randomUUID().slice(0, 8)}`,
      categoryId: category.body.id,
      price: { amount: 3900, currency: 'EUR' },
    });
    await waitFor(
      () => call('GET', `/inventory/items/${product.body.id}`),
      (r) => r.status === 200,
    );
    expect((await call('POST', `/inventory/items/${product.body.id}/receipts`, admin, { quantity: 1 })).status).toBe(200);

    expect((await call('POST', '/customers/register', undefined, { email: acme.email, password: PASSWORD, name: 'Anna Acme' })).status).toBe(201);
    const verified = await call('POST', '/customers/verify-email', undefined, { token: await mailedCode(acme.email) });
    expect(verified.status).toBe(200);
    expect(verified.body.emailVerified).toBe(true);
    const token = (await login(acme.email, PASSWORD)).body.accessToken as string;

    const linked = await waitFor(
      () => call('GET', `/billing/clients/${acme.clientId}`, admin),
      (r) => r.body?.customerId === verified.body.id,
    );
    expect(linked.body.customerId).toBe(verified.body.id);
    expect((await call('GET', `/billing/invoices/${acme.invoiceId}`, token)).status).toBe(200);

    const cart = await call('POST', '/orders/carts', token);
    expect((await call('PUT', `/orders/carts/${cart.body.id}/items/${product.body.id}`, token, { quantity: 1 })).status).toBe(200);
    const placed = await call('POST', `/orders/carts/${cart.body.id}/checkout`, token, {
      shippingAddress: { line1: '3 Quay', city: 'Nantes', postalCode: '44000', country: 'FR' },
    });
    const orderId = placed.body.orderId as string;
    expect(
      (
        await waitFor(
          () => call('GET', `/orders/${orderId}`, token),
          (r) => r.body.status === 'confirmed',
        )
      ).body.status,
    ).toBe('confirmed');
    const invoice = (await call('GET', `/billing/invoices?orderId=${orderId}`, admin)).body.items[0];
    expect(invoice.clientId).toBe(acme.clientId);
    expect((await call('POST', `/billing/invoices/${invoice.id}/payments`, admin, { amount: invoice.total })).status).toBe(201);
    const shipment = await waitFor(
      () => call('GET', `/shipping/shipments?orderId=${orderId}`, admin),
      (r) => r.body?.items?.length === 1,
    );
    const shipmentId = shipment.body.items[0].id as string;
    expect((await call('POST', `/shipping/shipments/${shipmentId}/dispatch`, admin, { carrier: 'La Poste', trackingNumber: 'LP1' })).status).toBe(200);
    expect((await call('POST', `/shipping/shipments/${shipmentId}/deliver`, admin)).status).toBe(200);
    expect(
      (
        await waitFor(
          () => call('GET', `/orders/${orderId}`, token),
          (r) => r.body.status === 'delivered',
        )
      ).body.status,
    ).toBe('delivered');
  }, 180_000);
});

describe('login', () => {
  it("never locks the admin out: a stranger's wrong passwords cost a delay of seconds, the owner is mailed, an admin can unlock", async () => {
    for (let i = 0; i < 3; i++) expect((await login(ADMIN.email, 'a wrong guess')).status).toBe(401);
    const throttled = await login(ADMIN.email, ADMIN.password);
    expect(throttled.status).toBe(429);
    expect(Number((throttled.body as { status: number }).status)).toBe(429);
    await sleep(1_100);
    expect((await login(ADMIN.email, 'a wrong guess')).status).toBe(401);
    await sleep(2_100);
    expect((await login(ADMIN.email, 'a wrong guess')).status).toBe(401);
    await sleep(2_100);

    expect((await login(ADMIN.email, ADMIN.password)).status).toBe(200);
    expect(await mailTo(ADMIN.email, /Failed sign-ins/)).toHaveLength(1);

    const email = `locked-${randomUUID().slice(0, 8)}@example.com`;
    const customer = await call('POST', '/customers/register', undefined, { email, password: PASSWORD, name: 'Locked' });
    for (let i = 0; i < 3; i++) await login(email, 'a wrong guess');
    expect((await login(email, PASSWORD)).status).toBe(429);
    expect((await call('POST', `/customers/${customer.body.id}/unlock`, admin)).status).toBe(200);
    expect((await login(email, PASSWORD)).status).toBe(200);
  }, 60_000);

  it('slows one source trying many accounts: 429 with Retry-After once its failures reach the cap', async () => {
    process.env.LOGIN_SOURCE_MAX_FAILURES = '6';
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++) statuses.push((await login(`nobody-${randomUUID()}@example.com`, 'a wrong guess')).status);
      expect(statuses.slice(-1)).toEqual([429]);
      const res = await checkedFetch(`${platform.url}/customers/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: ADMIN.email, password: ADMIN.password }),
      });
      expect(res.status).toBe(429);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    } finally {
      delete process.env.LOGIN_SOURCE_MAX_FAILURES;
    }
  }, 60_000);
});
