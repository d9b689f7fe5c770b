import { describe, expect, it } from 'vitest';
import type { NewEvent } from '../../events/index.js';
import { Conflict, NotFound } from '../runtime/errors.js';
import {
  TRANSITIONS,
  apply,
  canMove,
  decide,
  deadlineAfter,
  evolve,
  fold,
  formatOrderNumber,
  orderView,
  published,
  totalOf,
  type Order,
  type OrderCommand,
  type OrderEvent,
  type OrderLine,
} from './order.js';

const orderId = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const customerId = '0f8fad5b-d9cb-469f-a165-70867728950e';
const cartId = '16fd2706-8baf-433b-82eb-8c7fada847da';
const invoiceId = '886313e1-3b8a-5372-9b90-0c9aee199e5d';
const shipmentId = 'a3bb189e-8bf9-3888-9912-ace4e6543002';
const espresso = 'c56a4180-65aa-42ec-a945-5fd21dec0538';
const beans = 'e02fd0e4-00fd-090a-ca30-0d00a0038ba0';

const eur = (amount: number) => ({ amount, currency: 'EUR' });
const address = { line1: '1 rue de la Paix', city: 'Paris', postalCode: '75002', country: 'FR' };
const lines: OrderLine[] = [
  { productId: espresso, name: 'Espresso machine', quantity: 1, unitPrice: eur(24_900) },
  { productId: beans, name: 'Coffee beans 1 kg', quantity: 2, unitPrice: eur(1_850) },
];

const T0 = new Date('2026-03-01T09:00:00.000Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
const iso = (seconds: number) => at(seconds).toISOString();
const TIMEOUT = 30;

// ---- given / when / then -----------------------------------------------------------------------

const placeOrder: OrderCommand = {
  type: 'place-order',
  orderId,
  number: 'ORD-2026-000042',
  customerId,
  cartId,
  lines,
  shippingAddress: address,
  stepTimeoutSeconds: TIMEOUT,
};

/** The events of an order taken through the saga up to a point, each step a few seconds apart. */
const history = {
  placed: (): OrderEvent[] => decide(placeOrder, undefined, at(0)),
  reserved: (): OrderEvent[] => after(history.placed(), { type: 'record-reservation', orderId, lines: [], stepTimeoutSeconds: TIMEOUT }, at(2)),
  confirmed: (): OrderEvent[] => after(history.reserved(), { type: 'record-invoice', orderId, invoiceId, invoiceNumber: null }, at(4)),
  processing: (): OrderEvent[] => after(history.confirmed(), { type: 'record-payment', orderId, invoiceId }, at(3600)),
  shipped: (): OrderEvent[] =>
    after(history.processing(), { type: 'record-dispatch', orderId, shipmentId, carrier: 'DHL', trackingNumber: 'JD0123' }, at(7200)),
  delivered: (): OrderEvent[] => after(history.shipped(), { type: 'record-delivery', orderId, shipmentId }, at(90_000)),
  cancelled: (): OrderEvent[] => after(history.confirmed(), { type: 'cancel', orderId, by: 'customer' }, at(60)),
};
function after(events: OrderEvent[], command: OrderCommand, now: Date): OrderEvent[] {
  return [...events, ...decide(command, fold(events), now)];
}

const given = (events: OrderEvent[]) => ({
  when: (command: OrderCommand, now: Date) => ({
    then: (expected: OrderEvent[]) => expect(decide(command, fold(events), now)).toEqual(expected),
    thenNothing: () => expect(decide(command, fold(events), now)).toEqual([]),
    thenRefused: (error: typeof Conflict | typeof NotFound, message: RegExp) => {
      const when = () => decide(command, fold(events), now);
      expect(when).toThrow(error);
      expect(when).toThrow(message);
    },
  }),
});

const stateAfter = (events: OrderEvent[]): Order => {
  const order = fold(events);
  if (!order) throw new Error('no order');
  return order;
};

const types = (events: NewEvent[]) => events.map((e) => e.definition.type.replace(/^com\.gotuto\.order\.|\.v1$/g, ''));

// ---- decide ------------------------------------------------------------------------------------

describe('place-order', () => {
  it('places the order: order-placed with the total of its lines and the first deadline', () => {
    given([])
      .when(placeOrder, at(0))
      .then([
        {
          type: 'order-placed',
          data: {
            orderId,
            number: 'ORD-2026-000042',
            customerId,
            cartId,
            lines,
            total: eur(28_600),
            shippingAddress: address,
            at: iso(0),
            deadline: iso(30),
          },
        },
      ]);
  });

  it('refuses to place an order twice', () => {
    given(history.placed())
      .when(placeOrder, at(1))
      .thenRefused(Conflict, /already exists/);
  });

  it('refuses no lines, lines in two currencies, and a total beyond what Money holds', () => {
    given([])
      .when({ ...placeOrder, lines: [] }, at(0))
      .thenRefused(Conflict, /at least one line/);
    const usd = { ...lines[1]!, unitPrice: { amount: 100, currency: 'USD' } };
    given([])
      .when({ ...placeOrder, lines: [lines[0]!, usd] }, at(0))
      .thenRefused(Conflict, /EUR and USD/);
    const huge = { ...lines[0]!, quantity: 1000, unitPrice: eur(1_000_000_000_000) };
    given([])
      .when({ ...placeOrder, lines: [huge] }, at(0))
      .thenRefused(Conflict, /exceeds/);
  });
});

describe('stock reserved (saga step 2 -> 3)', () => {
  const reserve: OrderCommand = { type: 'record-reservation', orderId, lines: [{ productId: espresso, quantity: 1 }], stepTimeoutSeconds: TIMEOUT };

  it('records the reservation and asks for the invoice, with a deadline of its own', () => {
    given(history.placed())
      .when(reserve, at(5))
      .then([
        { type: 'stock-reserved', data: { lines: [{ productId: espresso, quantity: 1 }], at: iso(5) } },
        { type: 'invoice-requested', data: { at: iso(5), deadline: iso(35) } },
      ]);
  });

  it('does nothing once past that step, or once cancelled', () => {
    given(history.reserved()).when(reserve, at(6)).thenNothing();
    given(history.confirmed()).when(reserve, at(6)).thenNothing();
    given(history.cancelled()).when(reserve, at(61)).thenNothing();
  });

  it('answers NotFound, to be retried, for an order that does not exist (yet)', () => {
    given([])
      .when(reserve, at(0))
      .thenRefused(NotFound, /not known/);
  });
});

describe('stock reservation failed', () => {
  const failed: OrderCommand = {
    type: 'record-reservation-failure',
    orderId,
    products: [
      { productId: espresso, requested: 1, available: 0 },
      { productId: beans, requested: 2, available: 1 },
    ],
  };

  it('cancels the order, the reason naming each product short of stock', () => {
    given(history.placed())
      .when(failed, at(3))
      .then([
        {
          type: 'order-cancelled',
          data: {
            reason: `stock reservation failed: Espresso machine (${espresso}): requested 1, available 0; Coffee beans 1 kg (${beans}): requested 2, available 1`,
            by: 'saga',
            at: iso(3),
          },
        },
      ]);
  });

  it('does nothing once the stock is reserved or the order cancelled', () => {
    given(history.reserved()).when(failed, at(3)).thenNothing();
    given(history.cancelled()).when(failed, at(61)).thenNothing();
  });
});

describe('invoice created (step 4)', () => {
  const invoiced: OrderCommand = { type: 'record-invoice', orderId, invoiceId, invoiceNumber: 'INV-2026-000007' };

  it('confirms the order with its invoice', () => {
    given(history.reserved())
      .when(invoiced, at(4))
      .then([{ type: 'order-confirmed', data: { invoiceId, invoiceNumber: 'INV-2026-000007', at: iso(4) } }]);
  });

  it('is too early before the stock is reserved: NotFound, retried', () => {
    given(history.placed())
      .when(invoiced, at(1))
      .thenRefused(NotFound, /reserving-stock.*cannot apply yet/);
  });

  it('does nothing once confirmed or later, or cancelled', () => {
    given(history.confirmed()).when(invoiced, at(5)).thenNothing();
    given(history.processing()).when(invoiced, at(3601)).thenNothing();
    given(history.cancelled()).when(invoiced, at(61)).thenNothing();
  });
});

describe('invoice paid (step 5)', () => {
  const paid: OrderCommand = { type: 'record-payment', orderId, invoiceId };

  it('makes a confirmed order processing', () => {
    given(history.confirmed())
      .when(paid, at(100))
      .then([{ type: 'order-paid', data: { invoiceId, at: iso(100) } }]);
  });

  it('is too early while pending', () => {
    given(history.placed())
      .when(paid, at(1))
      .thenRefused(NotFound, /pending/);
    given(history.reserved())
      .when(paid, at(3))
      .thenRefused(NotFound, /invoicing/);
  });

  it('does nothing for another invoice naming the order, once processing, or once cancelled', () => {
    given(history.confirmed())
      .when({ ...paid, invoiceId: shipmentId }, at(100))
      .thenNothing();
    given(history.processing()).when(paid, at(3601)).thenNothing();
    given(history.cancelled()).when(paid, at(61)).thenNothing();
  });
});

describe('shipment dispatched (step 7) and delivered (step 8)', () => {
  const dispatched: OrderCommand = { type: 'record-dispatch', orderId, shipmentId, carrier: 'DHL', trackingNumber: 'JD0123' };
  const delivered: OrderCommand = { type: 'record-delivery', orderId, shipmentId };

  it('ships a processing order, then delivers it', () => {
    given(history.processing())
      .when(dispatched, at(7200))
      .then([{ type: 'order-shipped', data: { shipmentId, carrier: 'DHL', trackingNumber: 'JD0123', at: iso(7200) } }]);
    given(history.shipped())
      .when(delivered, at(9000))
      .then([{ type: 'order-delivered', data: { shipmentId, at: iso(9000) } }]);
  });

  it('is too early before the step they follow', () => {
    given(history.confirmed())
      .when(dispatched, at(10))
      .thenRefused(NotFound, /confirmed/);
    given(history.processing())
      .when(delivered, at(3700))
      .thenRefused(NotFound, /processing/);
  });

  it('does nothing when repeated, or for a cancelled order', () => {
    given(history.shipped()).when(dispatched, at(7201)).thenNothing();
    given(history.delivered()).when(dispatched, at(90_001)).thenNothing();
    given(history.delivered()).when(delivered, at(90_001)).thenNothing();
    given(history.cancelled()).when(dispatched, at(61)).thenNothing();
  });
});

describe('cancel by the customer or an admin', () => {
  const byCustomer: OrderCommand = { type: 'cancel', orderId, by: 'customer' };
  const byAdmin: OrderCommand = { type: 'cancel', orderId, by: 'admin', reason: 'fraud suspected' };

  it('cancels a pending, confirmed or processing order', () => {
    for (const events of [history.placed(), history.reserved(), history.confirmed(), history.processing()]) {
      given(events)
        .when(byCustomer, at(4000))
        .then([{ type: 'order-cancelled', data: { reason: 'cancelled by the customer', by: 'customer', at: iso(4000) } }]);
      given(events)
        .when(byAdmin, at(4000))
        .then([{ type: 'order-cancelled', data: { reason: 'fraud suspected', by: 'admin', at: iso(4000) } }]);
    }
    given(history.placed())
      .when({ type: 'cancel', orderId, by: 'admin' }, at(1))
      .then([{ type: 'order-cancelled', data: { reason: 'cancelled by an admin', by: 'admin', at: iso(1) } }]);
  });

  it('refuses once shipped or delivered, and a second cancel', () => {
    given(history.shipped())
      .when(byCustomer, at(8000))
      .thenRefused(Conflict, /shipped; once dispatched/);
    given(history.delivered())
      .when(byAdmin, at(100_000))
      .thenRefused(Conflict, /delivered/);
    given(history.cancelled())
      .when(byCustomer, at(62))
      .thenRefused(Conflict, /already cancelled/);
  });

  it('answers NotFound for an order that does not exist', () => {
    given([])
      .when(byCustomer, at(0))
      .thenRefused(NotFound, /not known/);
  });
});

describe('deadlines', () => {
  const expire: OrderCommand = { type: 'expire-step', orderId };

  it('puts each automatic step SAGA_STEP_TIMEOUT after it began', () => {
    expect(deadlineAfter(at(0), 30)).toEqual(at(30));
    expect(deadlineAfter(at(0), 0.5)).toEqual(new Date(T0.getTime() + 500));
    expect(stateAfter(history.placed()).saga).toEqual({ step: 'reserving-stock', deadline: at(30) });
    expect(stateAfter(history.reserved()).saga).toEqual({ step: 'invoicing', deadline: at(32) });
  });

  it('cancels an order whose stock reservation is late, at its deadline and not a millisecond before', () => {
    given(history.placed())
      .when(expire, new Date(at(30).getTime() - 1))
      .thenNothing();
    given(history.placed())
      .when(expire, at(30))
      .then([
        {
          type: 'order-cancelled',
          data: { reason: `saga step reserving-stock timed out: no stock reservation from Inventory by ${iso(30)}`, by: 'saga', at: iso(30) },
        },
      ]);
  });

  it('cancels an order whose invoice is late, counting from the reservation', () => {
    given(history.reserved()).when(expire, at(31)).thenNothing();
    given(history.reserved())
      .when(expire, at(40))
      .then([
        {
          type: 'order-cancelled',
          data: { reason: `saga step invoicing timed out: no invoice from Billing by ${iso(32)}`, by: 'saga', at: iso(40) },
        },
      ]);
  });

  it('never cancels a step without a deadline (payment, shipping) nor a finished order', () => {
    given(history.confirmed()).when(expire, at(1_000_000)).thenNothing();
    given(history.processing()).when(expire, at(1_000_000)).thenNothing();
    given(history.shipped()).when(expire, at(1_000_000)).thenNothing();
    given(history.delivered()).when(expire, at(1_000_000)).thenNothing();
    given(history.cancelled()).when(expire, at(1_000_000)).thenNothing();
  });
});

// ---- evolve and fold ---------------------------------------------------------------------------

describe('the fold', () => {
  it('has no order for an empty stream', () => {
    expect(fold([])).toBeUndefined();
  });

  it('follows an order through the whole saga', () => {
    const placed = stateAfter(history.placed());
    expect(placed).toMatchObject({
      id: orderId,
      number: 'ORD-2026-000042',
      customerId,
      cartId,
      status: 'pending',
      total: eur(28_600),
      completedSteps: ['placed'],
      invoice: null,
      version: 1,
      createdAt: at(0),
      updatedAt: at(0),
    });
    const reserved = stateAfter(history.reserved());
    expect(reserved).toMatchObject({ status: 'pending', version: 3, completedSteps: ['placed', 'stock-reserved', 'invoice-requested'] });
    expect(stateAfter(history.confirmed())).toMatchObject({
      status: 'confirmed',
      invoice: { id: invoiceId, number: null },
      saga: { step: 'awaiting-payment', deadline: null },
      completedSteps: ['placed', 'stock-reserved', 'invoice-requested', 'invoiced'],
      version: 4,
    });
    expect(stateAfter(history.processing())).toMatchObject({
      status: 'processing',
      saga: { step: 'awaiting-shipment', deadline: null },
      completedSteps: ['placed', 'stock-reserved', 'invoice-requested', 'invoiced', 'paid'],
    });
    expect(stateAfter(history.shipped())).toMatchObject({
      status: 'shipped',
      saga: { step: 'in-transit', deadline: null },
      shipment: { id: shipmentId, carrier: 'DHL', trackingNumber: 'JD0123' },
    });
    const delivered = stateAfter(history.delivered());
    expect(delivered).toMatchObject({ status: 'delivered', saga: { step: 'completed', deadline: null }, version: 7, updatedAt: at(90_000) });
    expect(delivered.history).toEqual([
      { status: 'pending', at: at(0) },
      { status: 'confirmed', at: at(4) },
      { status: 'processing', at: at(3600) },
      { status: 'shipped', at: at(7200) },
      { status: 'delivered', at: at(90_000) },
    ]);
  });

  it('keeps the reason and who cancelled', () => {
    const cancelled = stateAfter(history.cancelled());
    expect(cancelled).toMatchObject({
      status: 'cancelled',
      saga: { step: 'cancelled', deadline: null },
      cancellation: { reason: 'cancelled by the customer', by: 'customer' },
      invoice: { id: invoiceId },
    });
    expect(cancelled.history.at(-1)).toEqual({ status: 'cancelled', at: at(60), reason: 'cancelled by the customer' });
  });

  it('refuses a stream the workflow cannot produce', () => {
    const shipped = { type: 'order-shipped', data: { shipmentId, carrier: 'DHL', trackingNumber: 'x', at: iso(1) } } as const;
    expect(() => fold([...history.placed(), shipped])).toThrow(/corrupt/);
    expect(() => evolve(undefined, shipped)).toThrow(/corrupt/);
    expect(() => fold([...history.placed(), ...history.placed()])).toThrow(/corrupt/);
    expect(() => fold([...history.delivered(), { type: 'order-cancelled', data: { reason: 'x', by: 'admin', at: iso(1) } }])).toThrow(/corrupt/);
  });

  it('allows exactly the transitions of the API', () => {
    expect(TRANSITIONS).toEqual({
      pending: ['confirmed', 'cancelled'],
      confirmed: ['processing', 'cancelled'],
      processing: ['shipped', 'cancelled'],
      shipped: ['delivered'],
      delivered: [],
      cancelled: [],
    });
    expect(canMove('pending', 'processing')).toBe(false);
    expect(canMove('shipped', 'cancelled')).toBe(false);
  });
});

// ---- what it publishes -------------------------------------------------------------------------

describe('published events', () => {
  it('publishes the saga: order-placed, invoice-requested, order-confirmed, order-paid, order-shipped, order-delivered', () => {
    const [order, events] = apply(undefined, history.delivered());
    expect(order?.status).toBe('delivered');
    expect(types(events)).toEqual(['order-placed', 'invoice-requested', 'order-confirmed', 'order-paid', 'order-shipped', 'order-delivered']);
    expect(events.every((e) => e.subject === orderId)).toBe(true);
    const [placed, requested, confirmed, paid, shipped, delivered] = events.map((e) => e.data);
    expect(placed).toEqual({ orderId, orderNumber: 'ORD-2026-000042', customerId, lines, total: eur(28_600), shippingAddress: address });
    expect(requested).toEqual({ orderId, orderNumber: 'ORD-2026-000042', customerId, lines, total: eur(28_600) });
    expect(confirmed).toEqual({ orderId, orderNumber: 'ORD-2026-000042', customerId, invoiceId, invoiceNumber: null, total: eur(28_600) });
    expect(paid).toEqual({ orderId, orderNumber: 'ORD-2026-000042', customerId, invoiceId, total: eur(28_600), lines, shippingAddress: address });
    expect(shipped).toEqual({
      orderId,
      orderNumber: 'ORD-2026-000042',
      customerId,
      shipmentId,
      carrier: 'DHL',
      trackingNumber: 'JD0123',
      lines: [
        { productId: espresso, quantity: 1 },
        { productId: beans, quantity: 2 },
      ],
    });
    expect(delivered).toEqual({ orderId, orderNumber: 'ORD-2026-000042', customerId, shipmentId });
  });

  it('tells in order-cancelled which steps had completed, and the invoice to cancel or refund', () => {
    const early = apply(fold(history.placed()), decide({ type: 'cancel', orderId, by: 'customer' }, fold(history.placed()), at(1)))[1];
    expect(early.map((e) => e.data)).toEqual([
      { orderId, orderNumber: 'ORD-2026-000042', customerId, reason: 'cancelled by the customer', cancelledBy: 'customer', completedSteps: ['placed'] },
    ]);
    const state = fold(history.processing());
    const late = apply(state, decide({ type: 'cancel', orderId, by: 'admin' }, state, at(5000)))[1];
    expect(types(late)).toEqual(['order-cancelled']);
    expect(late[0]?.data).toMatchObject({
      cancelledBy: 'admin',
      completedSteps: ['placed', 'stock-reserved', 'invoice-requested', 'invoiced', 'paid'],
      invoiceId,
    });
  });

  it('publishes nothing for the stock reservation itself', () => {
    const order = stateAfter(history.reserved());
    expect(published(order, { type: 'stock-reserved', data: { lines: [], at: iso(2) } })).toBeUndefined();
  });
});

describe('the view and the rest', () => {
  it('shows status, items with totals, invoice, history and the saga step with its deadline', () => {
    expect(orderView(stateAfter(history.placed()))).toEqual({
      id: orderId,
      number: 'ORD-2026-000042',
      customerId,
      cartId,
      status: 'pending',
      items: [
        { productId: espresso, name: 'Espresso machine', quantity: 1, unitPrice: eur(24_900), total: eur(24_900) },
        { productId: beans, name: 'Coffee beans 1 kg', quantity: 2, unitPrice: eur(1_850), total: eur(3_700) },
      ],
      total: eur(28_600),
      shippingAddress: address,
      history: [{ status: 'pending', at: iso(0) }],
      saga: { step: 'reserving-stock', deadline: iso(30), completedSteps: ['placed'] },
      version: 1,
      createdAt: iso(0),
      updatedAt: iso(0),
    });
    expect(orderView(stateAfter(history.shipped()))).toMatchObject({
      invoiceId,
      invoiceNumber: null,
      shipment: { shipmentId, carrier: 'DHL', trackingNumber: 'JD0123' },
      saga: { step: 'in-transit' },
    });
    expect(orderView(stateAfter(history.shipped())).saga).not.toHaveProperty('deadline');
    expect(orderView(stateAfter(history.cancelled()))).toMatchObject({
      cancellation: { reason: 'cancelled by the customer', by: 'customer' },
      history: [{ status: 'pending' }, { status: 'confirmed' }, { status: 'cancelled', reason: 'cancelled by the customer' }],
    });
  });

  it('formats order numbers and totals', () => {
    expect(formatOrderNumber(2026, 123)).toBe('ORD-2026-000123');
    expect(formatOrderNumber(2026, 1_234_567)).toBe('ORD-2026-1234567');
    expect(totalOf(lines)).toEqual(eur(28_600));
  });
});
