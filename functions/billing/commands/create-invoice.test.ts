import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { tokenFor, useTestDatabase } from '../../runtime/testing.js';
import { SQL_LOOKING, UNICODE, eur, eventsNamed, givenClient, invoiceBody, startBilling } from '../test-support.js';

const db = useTestDatabase(['billing']);
const api = startBilling([
  'billing/commands/create-client',
  'billing/commands/create-invoice',
  'billing/commands/cancel-invoice',
  'billing/queries/get-invoice',
]);
let admin: string;
let clientId: string;
beforeAll(async () => {
  admin = await tokenFor('admin');
  clientId = (await givenClient(api, admin)).id;
});

const orderId = '7c9e6679-7425-40de-944b-e07fc1f90ae7';

describe('POST /billing/invoices', () => {
  it('creates a draft without a number whose total is computed from its lines, and invoice-created', async () => {
    const body = invoiceBody(clientId, { orderId, issueDate: '2026-03-01', dueDate: '2026-03-31', description: 'March' });

    const response = await api.request('POST', '/billing/invoices', { token: admin, body });

    expect(response.status).toBe(201);
    const invoice = response.body;
    expect(invoice).toEqual({
      id: expect.any(String),
      number: null,
      status: 'draft',
      clientId,
      orderId,
      currency: 'EUR',
      lines: [
        { description: 'Consulting', quantity: 3, unitPrice: eur(10_000), total: eur(30_000) },
        { description: 'Travel', quantity: 1, unitPrice: eur(4_550), total: eur(4_550) },
      ],
      total: eur(34_550),
      paidAmount: eur(0),
      outstanding: eur(34_550),
      issueDate: '2026-03-01',
      dueDate: '2026-03-31',
      description: 'March',
      payments: [],
      sentAt: null,
      paidAt: null,
      cancelledAt: null,
      refundedAt: null,
      version: 1,
      createdAt: expect.any(String),
      updatedAt: invoice.createdAt,
    });
    expect(response.headers.get('location')).toBe(`/billing/invoices/${invoice.id}`);
    expect(response.headers.get('etag')).toBe('"1"');
    const events = (await eventsNamed('invoice-created')).filter((e) => e.subject === invoice.id);
    expect(events.map((e) => e.data)).toEqual([
      {
        invoiceId: invoice.id,
        clientId,
        orderId,
        number: null,
        status: 'draft',
        total: eur(34_550),
        issueDate: '2026-03-01',
        dueDate: '2026-03-31',
      },
    ]);
    expect((await api.request('GET', `/billing/invoices/${invoice.id}`, { token: admin })).body).toEqual(invoice);
  });

  it('leaves orderId null, and out of the event, when the invoice has none', async () => {
    const response = await api.request('POST', '/billing/invoices', { token: admin, body: invoiceBody(clientId) });

    expect(response.body).toMatchObject({ orderId: null, issueDate: null, description: null });
    const [event] = (await eventsNamed('invoice-created')).filter((e) => e.subject === response.body.id);
    expect(event?.data).not.toHaveProperty('orderId');
  });

  it('stores and returns SQL-looking and unicode text exactly', async () => {
    const lines = [
      { description: SQL_LOOKING, quantity: 1, unitPrice: eur(100) },
      { description: UNICODE, quantity: 2, unitPrice: eur(50) },
    ];

    const response = await api.request('POST', '/billing/invoices', {
      token: admin,
      body: invoiceBody(clientId, { lines, description: `${UNICODE}\n${SQL_LOOKING}` }),
    });

    expect(response.status).toBe(201);
    expect(response.body.lines.map((l: { description: string }) => l.description)).toEqual([SQL_LOOKING, UNICODE]);
    expect(response.body.description).toBe(`${UNICODE}\n${SQL_LOOKING}`);
    const [row] = await db.query<{ description: string }>('SELECT description FROM billing.invoices WHERE id = $1', [response.body.id]);
    expect(row?.description).toBe(`${UNICODE}\n${SQL_LOOKING}`);
    expect(await db.query('SELECT count(*)::int AS n FROM billing.clients')).toEqual([{ n: 1 }]);
  });

  it('answers 422 to an unknown client and stores nothing', async () => {
    const before = (await eventsNamed('invoice-created')).length;

    const response = await api.request('POST', '/billing/invoices', {
      token: admin,
      body: invoiceBody('3f2504e0-4f89-41d3-9a0c-0305e82c3301'),
    });

    expect(response.status).toBe(422);
    expect(response.body.errors).toEqual([{ pointer: '/clientId', message: expect.any(String) }]);
    expect(await eventsNamed('invoice-created')).toHaveLength(before);
  });

  it('answers 422 to lines in mixed currencies', async () => {
    const lines = [
      { description: 'a', quantity: 1, unitPrice: eur(100) },
      { description: 'b', quantity: 1, unitPrice: { amount: 100, currency: 'USD' } },
    ];

    const response = await api.request('POST', '/billing/invoices', { token: admin, body: invoiceBody(clientId, { lines }) });

    expect(response.status).toBe(422);
    expect(response.body.errors).toEqual([{ pointer: '/lines/1/unitPrice/currency', message: expect.any(String) }]);
  });

  it('answers 422 to what fails the schema: no lines, fractional amounts, bad dates, unknown fields', async () => {
    const cases = [
      invoiceBody(clientId, { lines: [] }),
      invoiceBody(clientId, { lines: [{ description: 'x', quantity: 1, unitPrice: { amount: 9.99, currency: 'EUR' } }] }),
      invoiceBody(clientId, { lines: [{ description: 'x', quantity: 0, unitPrice: eur(1) }] }),
      invoiceBody(clientId, { dueDate: '31/12/2026' }),
      invoiceBody(clientId, { status: 'paid' }),
      invoiceBody(clientId, { orderId: 'ORD-1' }),
    ];
    for (const body of cases) {
      expect((await api.request('POST', '/billing/invoices', { token: admin, body })).status, JSON.stringify(body)).toBe(422);
    }
  });

  it('answers 422 to a due date before the issue date', async () => {
    const body = invoiceBody(clientId, { issueDate: '2026-03-10', dueDate: '2026-03-01' });

    expect((await api.request('POST', '/billing/invoices', { token: admin, body })).status).toBe(422);
  });

  it('answers 409 to a second live invoice for one order, and takes one once the first is cancelled', async () => {
    const order = randomUUID();
    const first = await api.request('POST', '/billing/invoices', { token: admin, body: invoiceBody(clientId, { orderId: order }) });
    expect(first.status).toBe(201);

    const second = await api.request('POST', '/billing/invoices', { token: admin, body: invoiceBody(clientId, { orderId: order }) });
    expect(second.status).toBe(409);
    expect(second.body.detail).toContain(order);

    expect((await api.request('POST', `/billing/invoices/${first.body.id}/cancel`, { token: admin })).status).toBe(200);
    const corrected = await api.request('POST', '/billing/invoices', { token: admin, body: invoiceBody(clientId, { orderId: order }) });
    expect(corrected.status).toBe(201);
    expect(await db.query('SELECT status FROM billing.invoices WHERE order_id = $1 ORDER BY created_at', [order])).toEqual([
      { status: 'cancelled' },
      { status: 'draft' },
    ]);
  });

  it('is for admins', async () => {
    const customer = await tokenFor('customer', clientId);

    expect((await api.request('POST', '/billing/invoices', { token: customer, body: invoiceBody(clientId) })).status).toBe(403);
  });
});
