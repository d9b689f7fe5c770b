import { describe, expect, it } from 'vitest';
import type { NewEvent } from '../../events/index.js';
import { available, type Item } from './item.js';
import { release, requestedPerProduct, reserve, ship, type Reservation, type Stock } from './reservation.js';

const orderId = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const otherOrder = '16fd2706-8baf-433b-82eb-8c7fada847da';
const beans = '0f8fad5b-d9cb-469f-a165-70867728950e';
const mugs = '886313e1-3b8a-4372-9b90-0c9aee199e5d';
const unknown = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';
const created = new Date('2026-03-01T09:00:00.000Z');
const placed = new Date('2026-03-05T14:00:00.000Z');
const later = new Date('2026-03-06T10:00:00.000Z');

const types = (events: NewEvent[]) => events.map((e) => e.definition.type.replace(/^com\.gotuto\.inventory\.|\.v1$/g, ''));

const anItem = (productId: string, onHand: number, reserved = 0): Item => ({
  productId,
  onHand,
  reserved,
  version: 2,
  createdAt: created,
  updatedAt: created,
});
const stockOf = (...items: Item[]): Stock => new Map(items.map((item) => [item.productId, item]));

/** Given the stock, the order reserved: its items and reservations after. */
const reserved = (stock: Stock, lines: Array<{ productId: string; quantity: number }>) => {
  const result = reserve({ orderId, lines }, stock, placed);
  if (result.outcome !== 'reserved') throw new Error('expected the order to be reserved');
  return { stock: stockOf(...stock.values(), ...result.items), reservations: result.reservations as Reservation[] };
};

describe('requestedPerProduct', () => {
  it("sums an order's lines per product, in the order of the lines", () => {
    expect(
      requestedPerProduct([
        { productId: mugs, quantity: 1 },
        { productId: beans, quantity: 2 },
        { productId: mugs, quantity: 3 },
      ]),
    ).toEqual([
      { productId: mugs, quantity: 4 },
      { productId: beans, quantity: 2 },
    ]);
  });
});

describe('reserve', () => {
  it('reserves every line: reserved counts up, one held reservation per product, stock-reserved then stock-adjusted per product', () => {
    const stock = stockOf(anItem(beans, 10, 1), anItem(mugs, 3));

    const result = reserve(
      {
        orderId,
        lines: [
          { productId: beans, quantity: 4 },
          { productId: mugs, quantity: 3 },
        ],
      },
      stock,
      placed,
    );

    expect(result.outcome).toBe('reserved');
    if (result.outcome !== 'reserved') return;
    expect(result.items).toEqual([
      { ...anItem(beans, 10, 5), version: 3, updatedAt: placed },
      { ...anItem(mugs, 3, 3), version: 3, updatedAt: placed },
    ]);
    expect(result.reservations).toEqual([
      { orderId, productId: beans, quantity: 4, status: 'reserved', reservedAt: placed, settledAt: null },
      { orderId, productId: mugs, quantity: 3, status: 'reserved', reservedAt: placed, settledAt: null },
    ]);
    expect(types(result.events)).toEqual(['stock-reserved', 'stock-adjusted', 'stock-adjusted']);
    expect(result.events[0]).toMatchObject({
      subject: orderId,
      data: {
        orderId,
        lines: [
          { productId: beans, quantity: 4 },
          { productId: mugs, quantity: 3 },
        ],
      },
    });
    expect(result.events.slice(1).map((e) => [e.subject, e.data])).toEqual([
      [beans, { productId: beans, onHand: 10, reserved: 5, available: 5, change: 4, reason: 'reserved', orderId }],
      [mugs, { productId: mugs, onHand: 3, reserved: 3, available: 0, change: 3, reason: 'reserved', orderId }],
    ]);
  });

  it('reserves nothing when one line is short: stock-reservation-failed names that product with requested and available', () => {
    const stock = stockOf(anItem(beans, 10), anItem(mugs, 5, 3));

    const result = reserve(
      {
        orderId,
        lines: [
          { productId: beans, quantity: 4 },
          { productId: mugs, quantity: 3 },
        ],
      },
      stock,
      placed,
    );

    expect(result).toEqual({ outcome: 'failed', shortages: [{ productId: mugs, requested: 3, available: 2 }], events: expect.any(Array) });
    expect(types(result.events)).toEqual(['stock-reservation-failed']);
    expect(result.events[0]).toMatchObject({
      subject: orderId,
      data: { orderId, products: [{ productId: mugs, requested: 3, available: 2 }], reason: 'insufficient stock' },
    });
    expect(stock.get(beans)).toEqual(anItem(beans, 10));
  });

  it('names every short product, and counts a product without an item as none available', () => {
    const stock = stockOf(anItem(beans, 1), anItem(mugs, 9));

    const result = reserve(
      {
        orderId,
        lines: [
          { productId: beans, quantity: 2 },
          { productId: mugs, quantity: 9 },
          { productId: unknown, quantity: 1 },
        ],
      },
      stock,
      placed,
    );

    expect(result.outcome).toBe('failed');
    expect(result.events[0]?.data).toMatchObject({
      products: [
        { productId: beans, requested: 2, available: 1 },
        { productId: unknown, requested: 1, available: 0 },
      ],
    });
  });

  it('checks the sum of the lines of one product against its stock', () => {
    const stock = stockOf(anItem(beans, 5));

    const short = reserve(
      {
        orderId,
        lines: [
          { productId: beans, quantity: 3 },
          { productId: beans, quantity: 3 },
        ],
      },
      stock,
      placed,
    );
    const exact = reserve(
      {
        orderId,
        lines: [
          { productId: beans, quantity: 3 },
          { productId: beans, quantity: 2 },
        ],
      },
      stock,
      placed,
    );

    expect(short.events[0]?.data).toMatchObject({ products: [{ productId: beans, requested: 6, available: 5 }] });
    expect(exact.outcome).toBe('reserved');
    if (exact.outcome !== 'reserved') return;
    expect(exact.reservations).toEqual([expect.objectContaining({ productId: beans, quantity: 5 })]);
    expect(exact.items).toEqual([expect.objectContaining({ onHand: 5, reserved: 5 })]);
  });

  it('takes the last unit once: a second order for it finds none available', () => {
    const first = reserved(stockOf(anItem(beans, 1)), [{ productId: beans, quantity: 1 }]);

    const second = reserve({ orderId: otherOrder, lines: [{ productId: beans, quantity: 1 }] }, first.stock, placed);

    expect(second.outcome).toBe('failed');
    expect(second.events[0]?.data).toMatchObject({ products: [{ productId: beans, requested: 1, available: 0 }] });
  });
});

describe('release', () => {
  it('makes what the order held available again, with stock-released and the reason, then stock-adjusted per product', () => {
    const given = reserved(stockOf(anItem(beans, 10, 1), anItem(mugs, 3)), [
      { productId: beans, quantity: 4 },
      { productId: mugs, quantity: 3 },
    ]);

    const result = release(orderId, given.reservations, given.stock, later, 'out of stock');

    expect(result.items.map((item) => [item.productId, item.onHand, item.reserved, item.version, item.updatedAt])).toEqual([
      [beans, 10, 1, 4, later],
      [mugs, 3, 0, 4, later],
    ]);
    expect(result.reservations.map((r) => [r.productId, r.status, r.settledAt])).toEqual([
      [beans, 'released', later],
      [mugs, 'released', later],
    ]);
    expect(types(result.events)).toEqual(['stock-released', 'stock-adjusted', 'stock-adjusted']);
    expect(result.events[0]).toMatchObject({
      subject: orderId,
      data: {
        orderId,
        lines: [
          { productId: beans, quantity: 4 },
          { productId: mugs, quantity: 3 },
        ],
        reason: 'out of stock',
      },
    });
    expect(result.events[1]?.data).toEqual({ productId: beans, onHand: 10, reserved: 1, available: 9, change: -4, reason: 'released', orderId });
  });

  it('changes nothing when the order holds nothing: released or shipped already, or never reserved', () => {
    const given = reserved(stockOf(anItem(beans, 10)), [{ productId: beans, quantity: 4 }]);
    const released = release(orderId, given.reservations, given.stock, later);
    const shipped = ship(given.reservations, given.stock, later);

    expect(release(orderId, released.reservations, stockOf(...released.items), later)).toEqual({ items: [], reservations: [], events: [] });
    expect(release(orderId, shipped.reservations, stockOf(...shipped.items), later)).toEqual({ items: [], reservations: [], events: [] });
    expect(release(orderId, [], stockOf(anItem(beans, 10)), later)).toEqual({ items: [], reservations: [], events: [] });
  });
});

describe('ship', () => {
  it('takes what the order held out of stock: on hand and reserved both down, stock-adjusted (shipped) per product', () => {
    const given = reserved(stockOf(anItem(beans, 10, 1), anItem(mugs, 3)), [
      { productId: beans, quantity: 4 },
      { productId: mugs, quantity: 3 },
    ]);

    const result = ship(given.reservations, given.stock, later);

    expect(result.items.map((item) => [item.productId, item.onHand, item.reserved, available(item)])).toEqual([
      [beans, 6, 1, 5],
      [mugs, 0, 0, 0],
    ]);
    expect(result.reservations.map((r) => r.status)).toEqual(['shipped', 'shipped']);
    expect(types(result.events)).toEqual(['stock-adjusted', 'stock-adjusted']);
    expect(result.events.map((e) => [e.subject, e.data])).toEqual([
      [beans, { productId: beans, onHand: 6, reserved: 1, available: 5, change: -4, reason: 'shipped', orderId }],
      [mugs, { productId: mugs, onHand: 0, reserved: 0, available: 0, change: -3, reason: 'shipped', orderId }],
    ]);
  });

  it('ships an order once: its reservations are no longer held', () => {
    const given = reserved(stockOf(anItem(beans, 10)), [{ productId: beans, quantity: 4 }]);
    const shipped = ship(given.reservations, given.stock, later);

    expect(ship(shipped.reservations, stockOf(...shipped.items), later)).toEqual({ items: [], reservations: [], events: [] });
  });

  it('never takes stock below zero: a held reservation without its item is a bug, not a negative count', () => {
    const given = reserved(stockOf(anItem(beans, 10)), [{ productId: beans, quantity: 4 }]);

    expect(() => ship(given.reservations, stockOf(), later)).toThrow(/no item/);
    expect(() => ship(given.reservations, stockOf(anItem(beans, 3, 3)), later)).toThrow(/cannot have -1 on hand/);
  });
});
