import { beforeAll, describe, expect, it } from 'vitest';
import { tokenFor, useTestDatabase } from '../../runtime/testing.js';
import { SQL_LOOKING, UNICODE, eur, eventNamesAbout, eventsNamed, givenClient, givenDraft, givenPaid, givenSent, startBilling } from '../test-support.js';

const db = useTestDatabase(['billing']);
const api = startBilling([
  'billing/commands/create-client',
  'billing/commands/create-invoice',
  'billing/commands/send-invoice',
  'billing/commands/record-payment',
  'billing/commands/cancel-invoice',
]);
let admin: string;
let clientId: string;
beforeAll(async () => {
  admin = await tokenFor('admin');
  clientId = (await givenClient(api, admin)).id;
});

const orderId = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const pay = (id: string, body: unknown, headers?: Record<string, string>) =>
  api.request('POST', `/billing/invoices/${id}/payments`, { token: admin, body, ...(headers ? { headers } : {}) });

describe('POST /billing/invoices/{id}/payments', () => {
  it('records a part payment: 201, paidAmount grows, still sent, and payment-received', async () => {
    const sent = await givenSent(api, admin, clientId);

    const response = await pay(sent.id, { amount: eur(10_000), reference: `${SQL_LOOKING} ${UNICODE}` });

    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({
      id: sent.id,
      status: 'sent',
      total: eur(34_550),
      paidAmount: eur(10_000),
      outstanding: eur(24_550),
      paidAt: null,
      version: 3,
    });
    expect(response.body.payments).toEqual([
      { id: expect.any(String), amount: eur(10_000), reference: `${SQL_LOOKING} ${UNICODE}`, receivedAt: expect.any(String) },
    ]);
    expect(response.headers.get('etag')).toBe('"3"');
    const events = (await eventsNamed('payment-received')).filter((e) => e.subject === sent.id);
    expect(events.map((e) => e.data)).toEqual([
      {
        invoiceId: sent.id,
        clientId,
        paymentId: response.body.payments[0].id,
        amount: eur(10_000),
        reference: `${SQL_LOOKING} ${UNICODE}`,
        paidAmount: eur(10_000),
        outstanding: eur(24_550),
      },
    ]);
    expect(await db.query('SELECT amount, currency, reference FROM billing.payments WHERE invoice_id = $1', [sent.id])).toEqual([
      { amount: 10_000, currency: 'EUR', reference: `${SQL_LOOKING} ${UNICODE}` },
    ]);
  });

  it('makes the invoice paid when payments reach the total, with sent -> paid carrying the orderId', async () => {
    const sent = await givenSent(api, admin, clientId, { orderId });
    await pay(sent.id, { amount: eur(30_000) });

    const response = await pay(sent.id, { amount: eur(4_550) });

    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ status: 'paid', paidAmount: eur(34_550), outstanding: eur(0), paidAt: expect.any(String) });
    expect(response.body.payments).toHaveLength(2);
    expect(await eventNamesAbout(sent.id)).toEqual([
      'invoice-created',
      'invoice-status-changed',
      'payment-received',
      'payment-received',
      'invoice-status-changed',
    ]);
    const [, paid] = (await eventsNamed('invoice-status-changed')).filter((e) => e.subject === sent.id);
    expect(paid?.data).toMatchObject({ orderId, from: 'sent', to: 'paid', paidAmount: eur(34_550) });
  });

  it('answers 409 to more than is outstanding, and records nothing', async () => {
    const sent = await givenSent(api, admin, clientId);
    await pay(sent.id, { amount: eur(34_000) });

    const response = await pay(sent.id, { amount: eur(551) });

    expect(response.status).toBe(409);
    expect(await db.query('SELECT paid_amount, version FROM billing.invoices WHERE id = $1', [sent.id])).toEqual([{ paid_amount: 34_000, version: 3 }]);
    expect(await db.query('SELECT count(*)::int AS n FROM billing.payments WHERE invoice_id = $1', [sent.id])).toEqual([{ n: 1 }]);
  });

  it('answers 422 to a payment in another currency', async () => {
    const sent = await givenSent(api, admin, clientId);

    const response = await pay(sent.id, { amount: { amount: 100, currency: 'USD' } });

    expect(response.status).toBe(422);
    expect(response.body.errors).toEqual([{ pointer: '/amount/currency', message: expect.any(String) }]);
  });

  it('answers 422 to an amount that is not a positive integer', async () => {
    const sent = await givenSent(api, admin, clientId);

    for (const amount of [eur(0), eur(-5), { amount: 1.5, currency: 'EUR' }, { amount: 100 }]) {
      expect((await pay(sent.id, { amount })).status, JSON.stringify(amount)).toBe(422);
    }
  });

  it('answers 409 on a draft, a paid or a cancelled invoice', async () => {
    const draft = await givenDraft(api, admin, clientId);
    const paid = await givenPaid(api, admin, clientId);
    const cancelled = await givenSent(api, admin, clientId);
    await api.request('POST', `/billing/invoices/${cancelled.id}/cancel`, { token: admin });

    for (const invoice of [draft, paid, cancelled]) {
      expect((await pay(invoice.id, { amount: eur(1) })).status, invoice.status).toBe(409);
    }
  });

  it('answers 412 to a stale If-Match and records nothing', async () => {
    const sent = await givenSent(api, admin, clientId);

    const response = await pay(sent.id, { amount: eur(100) }, { 'if-match': '"1"' });

    expect(response.status).toBe(412);
    expect(await db.query('SELECT paid_amount, version FROM billing.invoices WHERE id = $1', [sent.id])).toEqual([{ paid_amount: 0, version: 2 }]);
    expect((await eventsNamed('payment-received')).filter((e) => e.subject === sent.id)).toEqual([]);
  });

  it('takes a payment retried with the same Idempotency-Key once', async () => {
    const sent = await givenSent(api, admin, clientId);
    const headers = { 'idempotency-key': `payment-${sent.id}` };

    const first = await pay(sent.id, { amount: eur(1_000) }, headers);
    const retry = await pay(sent.id, { amount: eur(1_000) }, headers);

    expect([first.status, retry.status]).toEqual([201, 201]);
    expect(retry.body).toEqual(first.body);
    expect(await db.query('SELECT paid_amount FROM billing.invoices WHERE id = $1', [sent.id])).toEqual([{ paid_amount: 1_000 }]);
  });

  it('answers 404 to an unknown invoice', async () => {
    expect((await pay('3f2504e0-4f89-41d3-9a0c-0305e82c3301', { amount: eur(1) })).status).toBe(404);
  });
});
