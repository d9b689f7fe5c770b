import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { invoiceRequested, orderCancelled } from '../../../events/order.js';
import { tokenFor, useTestDatabase } from '../../runtime/testing.js';
import {
  eur,
  eventNamesAbout,
  eventsNamed,
  givenClient,
  givenRegistered,
  invoiceRequest,
  orderCancellation,
  registration,
  rejectedBy,
  startBilling,
} from '../test-support.js';

const db = useTestDatabase(['billing']);
const api = startBilling([
  'billing/commands/create-client',
  'billing/queries/list-invoices',
  'billing/handlers/on-customer-registered',
  'billing/handlers/on-invoice-requested',
  'billing/handlers/on-order-cancelled',
]);

// The functions run in this process, so their clock (ctx.now()) is the one set here.
const today = new Date('2026-06-10T12:00:00.000Z');
let admin: string;
beforeAll(async () => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(today);
  admin = await tokenFor('admin');
});
afterAll(() => {
  vi.useRealTimers();
});
afterEach(() => {
  delete process.env.INVOICE_TERMS_DAYS;
});

const HANDLER = 'billing/handlers/on-invoice-requested';
const request = (data: Record<string, unknown>, id?: string) =>
  api.deliver(HANDLER, { type: invoiceRequested.type, subject: String(data.orderId), data, ...(id ? { id } : {}) });
const invoicesOf = (orderId: string) =>
  db.query<{ id: string; status: string; client_id: string; number: string | null }>(
    'SELECT id, status, client_id, number FROM billing.invoices WHERE order_id = $1 ORDER BY created_at',
    [orderId],
  );
const aCustomer = async (overrides: Record<string, unknown> = {}) => {
  const customer = registration(overrides);
  await givenRegistered(api, customer);
  return customer;
};

describe('invoice-requested', () => {
  it("invoices the order to the customer's client, sent at once, due in 14 days, with invoice-created (numbered) and draft -> sent", async () => {
    const customer = await aCustomer();
    const order = invoiceRequest(customer.customerId);

    const response = await request(order);

    expect(response.status).toBe(204);
    const listed = await api.request('GET', `/billing/invoices?orderId=${order.orderId}`, { token: admin });
    expect(listed.body.items).toHaveLength(1);
    const invoice = listed.body.items[0];
    expect(invoice).toMatchObject({
      status: 'sent',
      number: expect.stringMatching(/^INV-2026-\d{6}$/),
      clientId: customer.customerId,
      orderId: order.orderId,
      lines: [
        { description: 'Espresso machine', quantity: 1, unitPrice: eur(24_900), total: eur(24_900) },
        { description: 'Coffee beans 1 kg', quantity: 2, unitPrice: eur(1_850), total: eur(3_700) },
      ],
      total: eur(28_600),
      paidAmount: eur(0),
      outstanding: eur(28_600),
      issueDate: '2026-06-10',
      dueDate: '2026-06-24',
      sentAt: today.toISOString(),
      version: 2,
    });
    expect(await eventNamesAbout(invoice.id)).toEqual(['invoice-created', 'invoice-status-changed']);
    const [created] = (await eventsNamed('invoice-created')).filter((e) => e.subject === invoice.id);
    expect(created?.data).toEqual({
      invoiceId: invoice.id,
      clientId: customer.customerId,
      orderId: order.orderId,
      number: invoice.number,
      status: 'sent',
      total: eur(28_600),
      issueDate: '2026-06-10',
      dueDate: '2026-06-24',
    });
    const [sent] = (await eventsNamed('invoice-status-changed')).filter((e) => e.subject === invoice.id);
    expect(sent?.data).toEqual({
      invoiceId: invoice.id,
      clientId: customer.customerId,
      orderId: order.orderId,
      number: invoice.number,
      from: 'draft',
      to: 'sent',
      total: eur(28_600),
      paidAmount: eur(0),
      dueDate: '2026-06-24',
    });
    const mine = await api.request('GET', `/billing/invoices?clientId=${customer.customerId}`, {
      token: await tokenFor('customer', customer.customerId),
    });
    expect(mine.body.items.map((i: { id: string }) => i.id)).toEqual([invoice.id]);
  });

  it('gives the invoices of successive orders successive numbers', async () => {
    const customer = await aCustomer();
    const first = invoiceRequest(customer.customerId);
    const second = invoiceRequest(customer.customerId);

    await request(first);
    await request(second);

    const [a] = await invoicesOf(first.orderId);
    const [b] = await invoicesOf(second.orderId);
    expect(Number(b?.number?.slice(-6))).toBe(Number(a?.number?.slice(-6)) + 1);
  });

  it('takes its terms from INVOICE_TERMS_DAYS', async () => {
    process.env.INVOICE_TERMS_DAYS = '30';
    const customer = await aCustomer();
    const order = invoiceRequest(customer.customerId);

    expect((await request(order)).status).toBe(204);

    expect(await db.query("SELECT to_char(due_date, 'YYYY-MM-DD') AS due FROM billing.invoices WHERE order_id = $1", [order.orderId])).toEqual([
      { due: '2026-07-10' },
    ]);
  });

  it('addresses the invoice to the client an admin made and the customer (email verified) was linked to', async () => {
    const made = await givenClient(api, admin);
    const customer = await aCustomer({ email: made.email, emailVerified: true });
    const order = invoiceRequest(customer.customerId);

    expect((await request(order)).status).toBe(204);

    expect(await invoicesOf(order.orderId)).toEqual([expect.objectContaining({ client_id: made.id, status: 'sent' })]);
  });

  it('has no second effect when the same event is delivered again', async () => {
    const customer = await aCustomer();
    const order = invoiceRequest(customer.customerId);
    const id = randomUUID();
    await request(order, id);
    const events = (await eventsNamed('invoice-created')).length;

    expect((await request(order, id)).status).toBe(204);

    expect(await invoicesOf(order.orderId)).toHaveLength(1);
    expect(await eventsNamed('invoice-created')).toHaveLength(events);
  });

  it('invoices an order once, however many invoice-requested events it gets, even at the same time', async () => {
    const customer = await aCustomer();
    const order = invoiceRequest(customer.customerId);
    await request(order);

    expect((await request(order)).status).toBe(204);
    const concurrent = await Promise.all(Array.from({ length: 4 }, () => request(invoiceRequest(customer.customerId, { orderId: order.orderId }))));
    expect(concurrent.map((r) => r.status)).toEqual([204, 204, 204, 204]);

    const racing = invoiceRequest(customer.customerId);
    const raced = await Promise.all(Array.from({ length: 4 }, () => request(racing)));
    expect(raced.map((r) => r.status)).toEqual([204, 204, 204, 204]);

    expect(await invoicesOf(order.orderId)).toHaveLength(1);
    expect(await invoicesOf(racing.orderId)).toHaveLength(1);
    const created = (await eventsNamed('invoice-created')).filter((e) => [order.orderId, racing.orderId].includes(e.data.orderId));
    expect(created).toHaveLength(2);
  });

  it('invoices nothing for an order whose cancellation Billing has already seen (events reordered)', async () => {
    const customer = await aCustomer();
    const order = invoiceRequest(customer.customerId);
    const cancelled = await api.deliver('billing/handlers/on-order-cancelled', {
      type: orderCancelled.type,
      subject: order.orderId,
      data: orderCancellation(order.orderId, customer.customerId, { reason: 'payment deadline passed', cancelledBy: 'saga' }),
    });
    expect(cancelled.status).toBe(204);

    const late = await request(order);

    expect(late.status).toBe(204);
    expect(await invoicesOf(order.orderId)).toEqual([]);
    expect((await eventsNamed('invoice-created')).filter((e) => e.data.orderId === order.orderId)).toEqual([]);
    // Not even for a customer Billing has no client for: a cancelled order is never retried into an invoice.
    expect((await request(invoiceRequest(randomUUID(), { orderId: order.orderId }))).status).toBe(204);
  });

  it('answers 404, which the broker retries, until the customer has a client; the retry then invoices', async () => {
    const customer = registration();
    const order = invoiceRequest(customer.customerId);
    const id = randomUUID();

    expect((await request(order, id)).status).toBe(404);
    expect(await invoicesOf(order.orderId)).toEqual([]);
    expect(await rejectedBy(db, 'billing-on-invoice-requested')).toEqual([]);

    await givenRegistered(api, customer);
    expect((await request(order, id)).status).toBe(204);
    expect(await invoicesOf(order.orderId)).toEqual([expect.objectContaining({ client_id: customer.customerId, status: 'sent' })]);
  });

  it('refuses invalid data for good with 422, keeps the event with the reason, and invoices nothing', async () => {
    const customer = await aCustomer();
    const cases: Array<[Record<string, unknown>, string]> = [
      [invoiceRequest(customer.customerId, { lines: [] }), '/lines'],
      [invoiceRequest(customer.customerId, { orderId: 'ORD-1' }), '/orderId'],
      [invoiceRequest(customer.customerId, { total: eur(1) }), '/total'],
      [
        invoiceRequest(customer.customerId, {
          lines: [
            { productId: randomUUID(), name: 'A', quantity: 1, unitPrice: eur(100) },
            { productId: randomUUID(), name: 'B', quantity: 1, unitPrice: { amount: 100, currency: 'USD' } },
          ],
          total: eur(200),
        }),
        '/lines/1/unitPrice/currency',
      ],
    ];

    for (const [data, pointer] of cases) {
      const id = randomUUID();
      const response = await request(data, id);

      expect(response.status, pointer).toBe(422);
      expect(
        response.body.errors.map((e: { pointer: string }) => e.pointer),
        pointer,
      ).toContain(pointer);
      const rejected = (await rejectedBy(db, 'billing-on-invoice-requested')).filter((r) => r.event_id === id);
      expect(rejected, pointer).toEqual([{ event_id: id, type: invoiceRequested.type, reason: expect.any(String) }]);
      expect(await db.query('SELECT id FROM billing.invoices WHERE order_id::text = $1', [String(data.orderId)])).toEqual([]);
    }
  });
});
