import { describe, expect, it } from 'vitest';
import { MAX_AMOUNT, type NewEvent } from '../../events/index.js';
import { Conflict, ValidationError } from '../runtime/errors.js';
import { createClient } from './client.js';
import {
  addDays,
  cancel,
  createInvoice,
  createOrderInvoice,
  deleteInvoice,
  formatInvoiceNumber,
  invoiceView,
  isOverdue,
  isoDate,
  markOverdue,
  numberingYear,
  outstanding,
  recordPayment,
  refund,
  send,
  sendOrderInvoice,
  settleCancelledOrder,
  type NewInvoice,
} from './invoice.js';

const clientId = '0f8fad5b-d9cb-469f-a165-70867728950e';
const orderId = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const invoiceId = '16fd2706-8baf-433b-82eb-8c7fada847da';
const paymentId = '886313e1-3b8a-5372-9b90-0c9aee199e5d';
const [client] = createClient({ name: 'Acme', email: 'billing@acme.test' }, clientId, new Date('2026-01-01T00:00:00Z'));

const created = new Date('2026-03-01T09:00:00.000Z');
const later = new Date('2026-03-05T14:00:00.000Z');

const eur = (amount: number) => ({ amount, currency: 'EUR' });

const input = (overrides: Partial<NewInvoice> = {}): NewInvoice => ({
  clientId,
  lines: [
    { description: 'Consulting', quantity: 3, unitPrice: eur(10_000) },
    { description: 'Travel', quantity: 1, unitPrice: eur(4_550) },
  ],
  dueDate: '2026-03-31',
  ...overrides,
});

const types = (events: NewEvent[]) => events.map((e) => e.definition.type.replace(/^com\.gotuto\.billing\.|\.v1$/g, ''));

// The states, each reached through the model itself.
const aDraft = (overrides: Partial<NewInvoice> = {}) => createInvoice(input(overrides), client, invoiceId, created)[0];
const aSent = (overrides: Partial<NewInvoice> = {}) => send(aDraft(overrides), 42, later)[0];
const anOverdue = () => markOverdue(aSent(), new Date('2026-04-01T00:00:00Z'))[0];
const aPaid = () => recordPayment(aSent(), { id: paymentId, amount: eur(34_550) }, later)[0];
const aCancelled = () => cancel(aDraft(), later)[0];
const aRefunded = () => refund(aPaid(), later)[0];

describe('createInvoice', () => {
  it('makes a draft without a number whose total is the sum of its lines, and invoice-created', () => {
    const [invoice, events] = createInvoice(input({ orderId, description: 'March' }), client, invoiceId, created);

    expect(invoice).toMatchObject({
      id: invoiceId,
      status: 'draft',
      number: null,
      clientId,
      orderId,
      total: eur(34_550),
      paidAmount: eur(0),
      issueDate: null,
      dueDate: '2026-03-31',
      description: 'March',
      payments: [],
      version: 1,
      createdAt: created,
      updatedAt: created,
    });
    expect(invoice.lines).toEqual([
      { description: 'Consulting', quantity: 3, unitPrice: eur(10_000), total: eur(30_000) },
      { description: 'Travel', quantity: 1, unitPrice: eur(4_550), total: eur(4_550) },
    ]);
    expect(types(events)).toEqual(['invoice-created']);
    expect(events[0]?.subject).toBe(invoiceId);
    expect(events[0]?.data).toEqual({
      invoiceId,
      clientId,
      orderId,
      number: null,
      status: 'draft',
      total: eur(34_550),
      issueDate: null,
      dueDate: '2026-03-31',
    });
  });

  it('leaves orderId out of the event when the invoice has none', () => {
    const [invoice, events] = createInvoice(input(), client, invoiceId, created);

    expect(invoice.orderId).toBeNull();
    expect(events[0]?.data).not.toHaveProperty('orderId');
  });

  it('keeps an issue date given with the draft', () => {
    expect(aDraft({ issueDate: '2026-03-02' }).issueDate).toBe('2026-03-02');
  });

  it('refuses an unknown client as invalid input', () => {
    const when = () => createInvoice(input(), undefined, invoiceId, created);

    expect(when).toThrow(ValidationError);
    expect(when).toThrow(/does not exist/);
  });

  it('refuses lines in more than one currency, pointing at the first odd line', () => {
    const lines = [
      { description: 'a', quantity: 1, unitPrice: eur(100) },
      { description: 'b', quantity: 1, unitPrice: eur(100) },
      { description: 'c', quantity: 1, unitPrice: { amount: 100, currency: 'USD' } },
    ];

    try {
      createInvoice(input({ lines }), client, invoiceId, created);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).errors).toEqual([{ pointer: '/lines/2/unitPrice/currency', message: expect.stringMatching(/EUR/) }]);
    }
  });

  it('refuses a total of zero', () => {
    expect(() => createInvoice(input({ lines: [{ description: 'free', quantity: 2, unitPrice: eur(0) }] }), client, invoiceId, created)).toThrow(
      ValidationError,
    );
  });

  it('accepts free lines beside paid ones', () => {
    const lines = [
      { description: 'free', quantity: 1, unitPrice: eur(0) },
      { description: 'paid', quantity: 1, unitPrice: eur(1) },
    ];

    expect(aDraft({ lines }).total).toEqual(eur(1));
  });

  it('accepts a total of exactly the largest amount and refuses one minor unit more', () => {
    const at = (amount: number) => input({ lines: [{ description: 'big', quantity: 1, unitPrice: eur(amount) }] });

    expect(createInvoice(at(MAX_AMOUNT), client, invoiceId, created)[0].total.amount).toBe(MAX_AMOUNT);
    expect(() =>
      createInvoice(
        input({
          lines: [
            { description: 'a', quantity: 1, unitPrice: eur(MAX_AMOUNT) },
            { description: 'b', quantity: 1, unitPrice: eur(1) },
          ],
        }),
        client,
        invoiceId,
        created,
      ),
    ).toThrow(ValidationError);
  });

  it('refuses a total past the largest safe integer rather than rounding it', () => {
    const lines = [{ description: 'huge', quantity: 1_000_000, unitPrice: eur(MAX_AMOUNT) }];

    expect(() => createInvoice(input({ lines }), client, invoiceId, created)).toThrow(ValidationError);
  });

  it('refuses a due date before the issue date', () => {
    expect(() => aDraft({ issueDate: '2026-03-10', dueDate: '2026-03-09' })).toThrow(ValidationError);
    expect(aDraft({ issueDate: '2026-03-10', dueDate: '2026-03-10' }).dueDate).toBe('2026-03-10');
  });
});

describe('invoice numbers', () => {
  it('formats the sequence of a year on six digits', () => {
    expect(formatInvoiceNumber(2026, 42)).toBe('INV-2026-000042');
    expect(formatInvoiceNumber(2026, 1)).toBe('INV-2026-000001');
    expect(formatInvoiceNumber(2027, 999_999)).toBe('INV-2027-999999');
  });

  it('grows past six digits instead of wrapping', () => {
    expect(formatInvoiceNumber(2026, 1_234_567)).toBe('INV-2026-1234567');
  });

  it('takes the numbering year from the issue date, else from the day of sending', () => {
    expect(numberingYear(aDraft({ issueDate: '2025-12-31', dueDate: '2026-01-31' }), new Date('2026-01-02T00:00:00Z'))).toBe(2025);
    expect(numberingYear(aDraft(), new Date('2027-01-01T00:00:00Z'))).toBe(2027);
  });
});

describe('send', () => {
  it('numbers a draft in its issue year, dates it, and says draft -> sent', () => {
    const [invoice, events] = send(aDraft({ orderId }), 42, later);

    expect(invoice).toMatchObject({
      status: 'sent',
      number: 'INV-2026-000042',
      issueDate: '2026-03-05',
      sentAt: later,
      version: 2,
      updatedAt: later,
      createdAt: created,
    });
    expect(types(events)).toEqual(['invoice-status-changed']);
    expect(events[0]?.data).toEqual({
      invoiceId,
      clientId,
      orderId,
      number: 'INV-2026-000042',
      from: 'draft',
      to: 'sent',
      total: eur(34_550),
      paidAmount: eur(0),
      dueDate: '2026-03-31',
    });
  });

  it('keeps the issue date the draft named, and numbers it in that year', () => {
    const [invoice] = send(aDraft({ issueDate: '2025-12-30', dueDate: '2026-01-30' }), 7, new Date('2026-01-03T08:00:00Z'));

    expect(invoice).toMatchObject({ issueDate: '2025-12-30', number: 'INV-2025-000007' });
  });

  it.each([
    ['sent', aSent],
    ['overdue', anOverdue],
    ['paid', aPaid],
    ['cancelled', aCancelled],
    ['refunded', aRefunded],
  ])('refuses an invoice that is %s', (_status, state) => {
    expect(() => send(state(), 43, later)).toThrow(Conflict);
  });
});

describe('recordPayment', () => {
  it('adds a part payment to paidAmount and leaves the invoice sent', () => {
    const [invoice, events] = recordPayment(aSent(), { id: paymentId, amount: eur(10_000), reference: 'SEPA 123' }, later);

    expect(invoice).toMatchObject({ status: 'sent', paidAmount: eur(10_000), paidAt: null, version: 3 });
    expect(invoice.payments).toEqual([{ id: paymentId, amount: eur(10_000), reference: 'SEPA 123', receivedAt: later }]);
    expect(outstanding(invoice)).toEqual(eur(24_550));
    expect(types(events)).toEqual(['payment-received']);
    expect(events[0]?.data).toEqual({
      invoiceId,
      clientId,
      paymentId,
      amount: eur(10_000),
      reference: 'SEPA 123',
      paidAmount: eur(10_000),
      outstanding: eur(24_550),
    });
  });

  it('makes the invoice paid when the payments reach its total, and says sent -> paid', () => {
    const [part] = recordPayment(aSent({ orderId }), { id: paymentId, amount: eur(30_000) }, later);
    const at = new Date('2026-03-06T10:00:00Z');

    const [invoice, events] = recordPayment(part, { id: '9b2f6c0e-40a1-4b7e-9f5e-2a4c8d9e1f00', amount: eur(4_550) }, at);

    expect(invoice).toMatchObject({ status: 'paid', paidAmount: eur(34_550), paidAt: at, version: 4 });
    expect(invoice.payments).toHaveLength(2);
    expect(outstanding(invoice)).toEqual(eur(0));
    expect(types(events)).toEqual(['payment-received', 'invoice-status-changed']);
    expect(events[0]?.data).toMatchObject({ orderId, outstanding: eur(0), paidAmount: eur(34_550) });
    expect(events[0]?.data).not.toHaveProperty('reference');
    expect(events[1]?.data).toMatchObject({ orderId, from: 'sent', to: 'paid' });
  });

  it('takes payments on an overdue invoice, which becomes paid when settled', () => {
    const [invoice, events] = recordPayment(anOverdue(), { id: paymentId, amount: eur(34_550) }, later);

    expect(invoice.status).toBe('paid');
    expect(events[1]?.data).toMatchObject({ from: 'overdue', to: 'paid' });
  });

  it('refuses more than is outstanding', () => {
    const [part] = recordPayment(aSent(), { id: paymentId, amount: eur(34_000) }, later);

    expect(() => recordPayment(part, { id: paymentId, amount: eur(551) }, later)).toThrow(Conflict);
    expect(recordPayment(part, { id: paymentId, amount: eur(550) }, later)[0].status).toBe('paid');
  });

  it('refuses a payment in another currency as invalid input', () => {
    expect(() => recordPayment(aSent(), { id: paymentId, amount: { amount: 100, currency: 'USD' } }, later)).toThrow(ValidationError);
  });

  it('refuses a payment of nothing', () => {
    expect(() => recordPayment(aSent(), { id: paymentId, amount: eur(0) }, later)).toThrow(ValidationError);
  });

  it.each([
    ['draft', aDraft],
    ['paid', aPaid],
    ['cancelled', aCancelled],
    ['refunded', aRefunded],
  ])('refuses a payment on an invoice that is %s', (_status, state) => {
    expect(() => recordPayment(state(), { id: paymentId, amount: eur(1) }, later)).toThrow(Conflict);
  });
});

describe('cancel', () => {
  it.each([
    ['draft', aDraft],
    ['sent', aSent],
    ['overdue', anOverdue],
  ])('cancels an invoice that is %s and says so', (status, state) => {
    const before = state();

    const [invoice, events] = cancel(before, later);

    expect(invoice).toMatchObject({ status: 'cancelled', cancelledAt: later, version: before.version + 1, number: before.number });
    expect(outstanding(invoice)).toEqual(eur(0));
    expect(types(events)).toEqual(['invoice-status-changed']);
    expect(events[0]?.data).toMatchObject({ from: status, to: 'cancelled' });
  });

  it.each([
    ['paid', aPaid],
    ['cancelled', aCancelled],
    ['refunded', aRefunded],
  ])('refuses an invoice that is %s', (_status, state) => {
    expect(() => cancel(state(), later)).toThrow(Conflict);
  });
});

describe('overdue detection', () => {
  const sentDue = (dueDate: string) => aSent({ dueDate });

  it('selects a sent invoice due before today, not one due today or later', () => {
    expect(isOverdue(sentDue('2026-03-09'), '2026-03-10')).toBe(true);
    expect(isOverdue(sentDue('2026-03-10'), '2026-03-10')).toBe(false);
    expect(isOverdue(sentDue('2026-03-11'), '2026-03-10')).toBe(false);
  });

  it.each([
    ['draft', aDraft],
    ['overdue', anOverdue],
    ['paid', aPaid],
    ['cancelled', aCancelled],
    ['refunded', aRefunded],
  ])('never selects an invoice that is %s', (_status, state) => {
    expect(isOverdue(state(), '2099-01-01')).toBe(false);
  });

  it('makes a sent invoice past due overdue, and says sent -> overdue', () => {
    const now = new Date('2026-04-01T00:00:00Z');

    const [invoice, events] = markOverdue(aSent({ orderId }), now);

    expect(invoice).toMatchObject({ status: 'overdue', version: 3, updatedAt: now, number: 'INV-2026-000042' });
    expect(types(events)).toEqual(['invoice-status-changed']);
    expect(events[0]?.data).toMatchObject({ orderId, from: 'sent', to: 'overdue', number: 'INV-2026-000042' });
  });

  it('uses the UTC date of now: a minute before midnight on the due date is not yet late', () => {
    expect(() => markOverdue(aSent(), new Date('2026-03-31T23:59:00Z'))).toThrow(Conflict);
    expect(markOverdue(aSent(), new Date('2026-04-01T00:00:00Z'))[0].status).toBe('overdue');
  });

  it.each([
    ['draft', aDraft],
    ['overdue', anOverdue],
    ['paid', aPaid],
    ['cancelled', aCancelled],
  ])('refuses an invoice that is %s', (_status, state) => {
    expect(() => markOverdue(state(), new Date('2099-01-01T00:00:00Z'))).toThrow(Conflict);
  });
});

describe('refund', () => {
  it('refunds what was paid on a paid invoice and says paid -> refunded', () => {
    const paid = recordPayment(aSent({ orderId }), { id: paymentId, amount: eur(34_550) }, later)[0];
    const at = new Date('2026-03-20T00:00:00Z');

    const [invoice, events] = refund(paid, at, 'order cancelled');

    expect(invoice).toMatchObject({ status: 'refunded', refundedAt: at, paidAt: later, version: 4 });
    expect(types(events)).toEqual(['payment-refunded', 'invoice-status-changed']);
    expect(events[0]?.data).toEqual({ invoiceId, clientId, orderId, amount: eur(34_550), reason: 'order cancelled' });
    expect(events[1]?.data).toMatchObject({ from: 'paid', to: 'refunded' });
  });

  it.each([
    ['draft', aDraft],
    ['sent', aSent],
    ['overdue', anOverdue],
    ['cancelled', aCancelled],
    ['refunded', aRefunded],
  ])('refuses an invoice that is %s', (_status, state) => {
    expect(() => refund(state(), later)).toThrow(Conflict);
  });
});

describe('createOrderInvoice', () => {
  const productId = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';
  const order = {
    orderId,
    lines: [
      { productId, name: 'Espresso machine', quantity: 1, unitPrice: eur(24_900) },
      { productId, name: 'Coffee beans 1 kg', quantity: 2, unitPrice: eur(1_850) },
    ],
    total: eur(28_600),
  };

  it("drafts the order's invoice: its lines at its prices, issued today and due after the terms", () => {
    const invoice = createOrderInvoice(order, client, 14, invoiceId, later);

    expect(invoice).toMatchObject({
      status: 'draft',
      clientId,
      orderId,
      lines: [
        { description: 'Espresso machine', quantity: 1, unitPrice: eur(24_900), total: eur(24_900) },
        { description: 'Coffee beans 1 kg', quantity: 2, unitPrice: eur(1_850), total: eur(3_700) },
      ],
      total: eur(28_600),
      issueDate: '2026-03-05',
      dueDate: '2026-03-19',
    });
  });

  it('sends it as it is created: invoice-created says sent, with its number, then draft -> sent', () => {
    const [sent, events] = sendOrderInvoice(createOrderInvoice(order, client, 14, invoiceId, later), 7, later);

    expect(sent).toMatchObject({ status: 'sent', number: 'INV-2026-000007', issueDate: '2026-03-05', sentAt: later, version: 2 });
    expect(types(events)).toEqual(['invoice-created', 'invoice-status-changed']);
    expect(events[0]?.data).toMatchObject({
      orderId,
      status: 'sent',
      number: 'INV-2026-000007',
      issueDate: '2026-03-05',
      dueDate: '2026-03-19',
      total: eur(28_600),
    });
    expect(events[1]?.data).toMatchObject({ from: 'draft', to: 'sent' });
  });

  it('is due on the day of issue with terms of zero days', () => {
    expect(createOrderInvoice(order, client, 0, invoiceId, later).dueDate).toBe('2026-03-05');
  });

  it('refuses an order whose total is not the sum of its lines', () => {
    expect(() => createOrderInvoice({ ...order, total: eur(28_601) }, client, 14, invoiceId, later)).toThrow(ValidationError);
    expect(() => createOrderInvoice({ ...order, total: { amount: 28_600, currency: 'USD' } }, client, 14, invoiceId, later)).toThrow(ValidationError);
  });

  it('refuses lines in more than one currency, as createInvoice does', () => {
    const mixed = { ...order, lines: [order.lines[0]!, { ...order.lines[1]!, unitPrice: { amount: 1_850, currency: 'USD' } }] };

    expect(() => createOrderInvoice(mixed, client, 14, invoiceId, later)).toThrow(ValidationError);
  });
});

describe('addDays', () => {
  it('counts calendar days across months, years and leap days', () => {
    expect(addDays('2026-03-05', 14)).toBe('2026-03-19');
    expect(addDays('2026-12-25', 14)).toBe('2027-01-08');
    expect(addDays('2028-02-20', 14)).toBe('2028-03-05');
    expect(addDays('2026-03-25', 7)).toBe('2026-04-01');
  });
});

describe('settleCancelledOrder', () => {
  it.each([
    ['draft', aDraft],
    ['sent', aSent],
    ['overdue', anOverdue],
  ])('cancels an invoice that is %s', (status, state) => {
    const [invoice, events] = settleCancelledOrder(state(), later, 'out of stock');

    expect(invoice.status).toBe('cancelled');
    expect(types(events)).toEqual(['invoice-status-changed']);
    expect(events[0]?.data).toMatchObject({ from: status, to: 'cancelled' });
  });

  it('refunds a paid invoice, giving the reason', () => {
    const [invoice, events] = settleCancelledOrder(aPaid(), later, 'cancelled by the customer');

    expect(invoice.status).toBe('refunded');
    expect(types(events)).toEqual(['payment-refunded', 'invoice-status-changed']);
    expect(events[0]?.data).toMatchObject({ amount: eur(34_550), reason: 'cancelled by the customer' });
    expect(events[1]?.data).toMatchObject({ from: 'paid', to: 'refunded' });
  });

  it.each([
    ['cancelled', aCancelled],
    ['refunded', aRefunded],
  ])('leaves an invoice that is %s as it is', (_status, state) => {
    const before = state();

    const [invoice, events] = settleCancelledOrder(before, later, 'again');

    expect(invoice).toBe(before);
    expect(events).toEqual([]);
  });
});

describe('deleteInvoice', () => {
  it('deletes a draft and says so', () => {
    const events = deleteInvoice(aDraft({ orderId }));

    expect(types(events)).toEqual(['invoice-deleted']);
    expect(events[0]?.data).toEqual({ invoiceId, clientId, orderId });
  });

  it.each([
    ['sent', aSent],
    ['overdue', anOverdue],
    ['paid', aPaid],
    ['cancelled', aCancelled],
    ['refunded', aRefunded],
  ])('refuses an invoice that is %s', (_status, state) => {
    expect(() => deleteInvoice(state())).toThrow(Conflict);
  });
});

describe('invoiceView', () => {
  it('adds the currency and what is outstanding', () => {
    const [part] = recordPayment(aSent(), { id: paymentId, amount: eur(500) }, later);

    const view = invoiceView(part);

    expect(view).toMatchObject({ currency: 'EUR', total: eur(34_550), paidAmount: eur(500), outstanding: eur(34_050) });
  });

  it('owes the whole total on a draft', () => {
    expect(invoiceView(aDraft()).outstanding).toEqual(eur(34_550));
  });
});

describe('isoDate', () => {
  it('is the UTC calendar date', () => {
    expect(isoDate(new Date('2026-12-31T23:59:59.999Z'))).toBe('2026-12-31');
    expect(isoDate(new Date('2027-01-01T00:00:00+02:00'))).toBe('2026-12-31');
  });
});

// Keeps the fixtures honest: each helper really reaches the state it is named after.
it.each([
  ['draft', aDraft],
  ['sent', aSent],
  ['overdue', anOverdue],
  ['paid', aPaid],
  ['cancelled', aCancelled],
  ['refunded', aRefunded],
])('the %s fixture reaches that status', (status, state) => {
  expect(state().status).toBe(status);
});
