// Forged events, as an attacker who reaches the platform would send them, over HTTP against the
// local platform (embedded broker, and Kafka when KAFKA_BROKERS is set): without a token for the
// right audience from the right issuer, the broker's ingress, every event handler, every scheduled
// function and the dead-letter sink answer 401 and nothing changes; beside them the order goes on.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toBinaryHttp, type ReceivedEvent } from '../events/index.js';
import { signToken } from '../functions/runtime/auth.js';
import { newSigningKey, signDeliveryToken, type Issuer } from '../functions/runtime/delivery-token.js';
import { deliveryKeyFile, localSigningKey } from '../functions/runtime/token-source.js';
import { brokerAudience } from './identity.js';
import type { Platform } from './platform.js';
import { checkedFetch, createTestEnvironment, httpClient, publisherHeaders, waitFor, type TestEnvironment } from './testing.js';

process.env.JWT_SECRET ??= 'sender-identity-test-secret-of-32-bytes!';

const BROKER = brokerAudience({ name: 'gotuto', namespace: 'default' });
const address = { line1: '1 Rue de la Paix', city: 'Paris', postalCode: '75002', country: 'FR' };

describe.each(process.env.KAFKA_BROKERS ? ['embedded', 'kafka'] : ['embedded'])('sender identity over the %s broker', (kind) => {
  let env: TestEnvironment;
  let platform: Platform;
  let saved: string | undefined;
  let admin: string;
  let issuer: Issuer;
  const call = httpClient(() => platform.url);

  beforeAll(async () => {
    saved = process.env.KAFKA_BROKERS;
    if (kind === 'embedded') delete process.env.KAFKA_BROKERS;
    env = await createTestEnvironment();
    platform = await env.start();
    admin = await signToken({ id: randomUUID(), role: 'admin' });
    issuer = { url: platform.url, key: (await localSigningKey(deliveryKeyFile(platform.dataDir))) as Issuer['key'] };
  }, 180_000);

  afterAll(async () => {
    await env?.dispose();
    if (saved !== undefined) process.env.KAFKA_BROKERS = saved;
  }, 60_000);

  /** An order confirmed through the legitimate flow, its invoice sent. */
  const confirmedOrder = async () => {
    const category = await call('POST', '/catalog/categories', admin, { name: `Doors ${randomUUID().slice(0, 8)}` });
    const product = await call('POST', '/catalog/products', admin, {
      name: 'Lock',
      sku: `LOCK-${randomUUID().slice(0, 12)}`,
      categoryId: category.body.id,
      price: { amount: 900, currency: 'EUR' },
    });
    const productId = product.body.id as string;
    await waitFor(
      () => call('GET', `/inventory/items/${productId}`),
      (r) => r.status === 200,
    );
    expect((await call('POST', `/inventory/items/${productId}/receipts`, admin, { quantity: 3 })).status).toBe(200);
    // A registered customer, whom Billing knows as a client.
    const email = `buyer-${randomUUID()}@example.com`;
    const registered = await call('POST', '/customers/register', undefined, { email, password: 'correct horse battery', name: 'Buyer' });
    const buyer = (await call('POST', '/customers/login', undefined, { email, password: 'correct horse battery' })).body.accessToken as string;
    await waitFor(
      () => call('GET', `/billing/clients/${registered.body.id}`, admin),
      (r) => r.status === 200,
    );
    const cart = await call('POST', '/orders/carts', buyer);
    await call('PUT', `/orders/carts/${cart.body.id}/items/${productId}`, buyer, { quantity: 1 });
    const placed = await call('POST', `/orders/carts/${cart.body.id}/checkout`, buyer, { shippingAddress: address });
    expect(placed.status).toBe(202);
    const orderId = placed.body.orderId as string;
    const order = await waitFor(
      () => call('GET', `/orders/${orderId}`, admin),
      (r) => ['confirmed', 'cancelled'].includes(r.body?.status),
    );
    expect(order.body.status).toBe('confirmed');
    const [invoice] = (await call('GET', `/billing/invoices?orderId=${orderId}`, admin)).body.items;
    expect(invoice.status).toBe('sent');
    return { order: order.body, invoice, productId };
  };

  const forgedPaid = (invoice: Record<string, unknown>, orderId: string): ReceivedEvent<unknown> => ({
    id: randomUUID(),
    type: 'com.gotuto.billing.invoice-status-changed.v1',
    source: '/gotuto/billing',
    subject: invoice.id as string,
    time: new Date().toISOString(),
    partitionkey: orderId,
    data: { ...pick(invoice, ['clientId', 'number', 'total', 'dueDate']), invoiceId: invoice.id, orderId, from: 'sent', to: 'paid', paidAmount: invoice.total },
  });

  const forgedCancel = (order: Record<string, unknown>): ReceivedEvent<unknown> => ({
    id: randomUUID(),
    type: 'com.gotuto.order.order-cancelled.v1',
    source: '/gotuto/order',
    subject: order.id as string,
    time: new Date().toISOString(),
    partitionkey: order.id as string,
    data: {
      orderId: order.id,
      customerId: order.customerId,
      reason: 'forged',
      cancelledBy: 'customer',
      completedSteps: ['placed', 'stock-reserved', 'invoiced'],
    },
  });

  const post = async (path: string, event: Omit<ReceivedEvent<unknown>, 'subject'> & { subject?: string }, headers: Record<string, string> = {}) => {
    const message = toBinaryHttp(event as ReceivedEvent<unknown>);
    const res = await checkedFetch(`${platform.url}${path}`, { method: 'POST', headers: { ...message.headers, ...headers }, body: message.body });
    return { status: res.status, authenticate: res.headers.get('www-authenticate'), type: res.headers.get('content-type'), body: await res.text() };
  };

  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  /** Tokens that must never open a door for `audience`. */
  const badTokens = async (audience: string): Promise<Array<[string, Record<string, string>]>> => [
    ['none', {}],
    ['not a bearer token', { authorization: 'Basic YWRtaW46YWRtaW4=' }],
    ['for another audience', bearer(await signDeliveryToken(issuer, audience === BROKER ? 'billing-on-order-cancelled' : BROKER, { subject: 'x' }))],
    ['expired', bearer(await signDeliveryToken(issuer, audience, { subject: 'x', lifetime: -120 }))],
    ['signed by another key', bearer(await signDeliveryToken({ url: platform.url, key: await newSigningKey() }, audience, { subject: 'x' }))],
    ['from another issuer', bearer(await signDeliveryToken({ url: 'https://kubernetes.default.svc', key: issuer.key }, audience, { subject: 'x' }))],
    ["a user's admin JWT", bearer(admin)],
  ];

  const unchanged = async (orderId: string, invoiceId: string, productId: string) => {
    await platform.broker.idle();
    expect((await call('GET', `/orders/${orderId}`, admin)).body.status).toBe('confirmed');
    expect((await call('GET', `/billing/invoices/${invoiceId}`, admin)).body).toMatchObject({ status: 'sent', paidAmount: { amount: 0 } });
    expect((await call('GET', `/inventory/items/${productId}`)).body).toMatchObject({ onHand: 3, reserved: 1 });
  };

  const storedIds = async (subject: string) => {
    await platform.broker.flush();
    const items = (await call('GET', `/broker/events?subject=${subject}&limit=1000`, admin)).body.items as Array<{ event: { id: string } }>;
    return items.map((i) => i.event.id);
  };

  it('refuses forged invoice-status-changed and order-cancelled at POST /broker (401) and changes nothing; the order goes on', async () => {
    const { order, invoice, productId } = await confirmedOrder();
    const events = [forgedPaid(invoice, order.id), forgedCancel(order)];
    for (const event of events) {
      for (const [what, headers] of await badTokens(BROKER)) {
        const answer = await post('/broker', event, headers);
        expect(answer.status, what).toBe(401);
        expect(answer.authenticate, what).toBe('Bearer');
        expect(answer.type, what).toMatch(/application\/problem\+json/);
      }
    }
    await unchanged(order.id, invoice.id, productId);
    const stored = [...(await storedIds(invoice.id)), ...(await storedIds(order.id))];
    for (const event of events) expect(stored).not.toContain(event.id);

    // The legitimate flow: the admin records the payment, and the order moves on.
    expect((await call('POST', `/billing/invoices/${invoice.id}/payments`, admin, { amount: invoice.total })).status).toBe(201);
    const processing = await waitFor(
      () => call('GET', `/orders/${order.id}`, admin),
      (r) => r.body?.status === 'processing',
    );
    expect(processing.body.status).toBe('processing');
  }, 180_000);

  it('refuses the same events posted straight to the handlers, with any token but one for the handler', async () => {
    const { order, invoice, productId } = await confirmedOrder();
    const targets: Array<[string, ReceivedEvent<unknown>]> = [
      ['order-on-invoice-status-changed', forgedPaid(invoice, order.id)],
      ['billing-on-order-cancelled', forgedCancel(order)],
      ['inventory-on-order-cancelled', forgedCancel(order)],
      ['shipping-on-order-cancelled', forgedCancel(order)],
    ];
    for (const [handler, event] of targets) {
      for (const [what, headers] of [...(await badTokens(handler)), ['the publisher token', publisherHeaders()] as [string, Record<string, string>]]) {
        const answer = await post(`/functions/${handler}`, event, headers);
        expect(answer.status, `${handler}: ${what}`).toBe(401);
        expect(answer.authenticate).toBe('Bearer');
      }
    }
    await unchanged(order.id, invoice.id, productId);
  }, 180_000);

  it('refuses anonymous and mis-addressed pings to scheduled functions; a tick with its own token runs', async () => {
    const ping = () => ({
      subject: undefined,
      id: randomUUID(),
      type: 'dev.knative.sources.ping',
      source: '/apis/v1/namespaces/gotuto/pingsources/forged',
      time: new Date().toISOString(),
      data: {},
    });
    for (const fn of ['billing-detect-overdue', 'order-sweep-deadlines', 'order-relay-outbox', 'notification-send-pending']) {
      for (const [what, headers] of await badTokens(fn)) expect((await post(`/functions/${fn}`, ping(), headers)).status, `${fn}: ${what}`).toBe(401);
    }
    const own = await post('/functions/billing-detect-overdue', ping(), bearer(await signDeliveryToken(issuer, 'billing-detect-overdue', { subject: 'x' })));
    expect(own.status).toBe(204);
  }, 60_000);

  it('refuses a fabricated dead letter (401) and never lists it', async () => {
    const letter: ReceivedEvent<unknown> = {
      ...forgedCancel({ id: randomUUID(), customerId: randomUUID() }),
      type: 'com.gotuto.forged.dead-letter.v1',
      extensions: {
        knativeerrordest: `${platform.url}/functions/billing-on-order-cancelled`,
        knativeerrorcode: '500',
        knativeerrordata: Buffer.from('pay here').toString('base64'),
      },
    };
    for (const [what, headers] of await badTokens('platform-dead-letters')) {
      expect((await post('/functions/platform-dead-letters?trigger=billing-on-order-cancelled', letter, headers)).status, what).toBe(401);
    }
    const listed = await call('GET', `/broker/dead-letters?type=${letter.type}`, admin);
    expect(listed.status).toBe(200);
    expect(listed.body.items).toEqual([]);
  }, 60_000);

  it('never takes a delivery token for a user token: an admin route answers 401 to one', async () => {
    const delivery = await signDeliveryToken(issuer, 'platform-list-dead-letters', { subject: 'x' });
    expect((await call('GET', '/broker/dead-letters', delivery)).status).toBe(401);
    expect((await call('GET', '/customers', delivery)).status).toBe(401);
  });
});

const pick = (from: Record<string, unknown>, keys: string[]) => Object.fromEntries(keys.map((k) => [k, from[k]]));
