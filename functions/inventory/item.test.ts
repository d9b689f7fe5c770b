import { describe, expect, it } from 'vitest';
import type { NewEvent } from '../../events/index.js';
import { Conflict, ValidationError } from '../runtime/errors.js';
import { MAX_STOCK, available, createItem, itemView, receive, takeStock, type Item } from './item.js';

const productId = '0f8fad5b-d9cb-469f-a165-70867728950e';
const created = new Date('2026-03-01T09:00:00.000Z');
const later = new Date('2026-03-05T14:00:00.000Z');

const types = (events: NewEvent[]) => events.map((e) => e.definition.type.replace(/^com\.gotuto\.inventory\.|\.v1$/g, ''));

/** An item with `onHand` on hand and `reserved` of it held by orders, at version 3. */
const anItem = (onHand: number, reserved = 0): Item => ({ productId, onHand, reserved, version: 3, createdAt: created, updatedAt: created });

describe('createItem', () => {
  it('starts a product with nothing on hand, at version 1, with stock-adjusted (created)', () => {
    const [item, events] = createItem(productId, created);

    expect(item).toEqual({ productId, onHand: 0, reserved: 0, version: 1, createdAt: created, updatedAt: created });
    expect(types(events)).toEqual(['stock-adjusted']);
    expect(events[0]?.subject).toBe(productId);
    expect(events[0]?.data).toEqual({ productId, onHand: 0, reserved: 0, available: 0, change: 0, reason: 'created' });
  });
});

describe('receive', () => {
  it('adds the quantity on hand, the next version, and stock-adjusted (receipt) with the change', () => {
    const [item, events] = receive(anItem(5, 2), 10, later);

    expect(item).toMatchObject({ onHand: 15, reserved: 2, version: 4, createdAt: created, updatedAt: later });
    expect(available(item)).toBe(13);
    expect(events.map((e) => e.data)).toEqual([{ productId, onHand: 15, reserved: 2, available: 13, change: 10, reason: 'receipt' }]);
  });

  it('refuses what is not a positive whole number', () => {
    for (const quantity of [0, -1, 1.5, Number.NaN]) {
      expect(() => receive(anItem(5), quantity, later), String(quantity)).toThrow(ValidationError);
    }
  });

  it(`refuses to hold more than ${MAX_STOCK} (409)`, () => {
    expect(() => receive(anItem(MAX_STOCK - 1), 2, later)).toThrow(Conflict);
    expect(receive(anItem(MAX_STOCK - 1), 1, later)[0].onHand).toBe(MAX_STOCK);
  });
});

describe('takeStock', () => {
  it('sets what was counted on hand, with stock-adjusted (stock-take) carrying the difference', () => {
    const [down, downEvents] = takeStock(anItem(10, 3), 7, later);
    const [up, upEvents] = takeStock(anItem(10, 3), 12, later);

    expect(down).toMatchObject({ onHand: 7, reserved: 3, version: 4, updatedAt: later });
    expect(downEvents.map((e) => e.data)).toEqual([{ productId, onHand: 7, reserved: 3, available: 4, change: -3, reason: 'stock-take' }]);
    expect(up.onHand).toBe(12);
    expect(upEvents[0]?.data).toMatchObject({ change: 2, available: 9 });
  });

  it('may count exactly what orders hold, leaving nothing available', () => {
    const [item] = takeStock(anItem(10, 4), 4, later);

    expect(available(item)).toBe(0);
  });

  it('refuses to count fewer than orders hold (409), and changes nothing', () => {
    const item = anItem(10, 4);

    expect(() => takeStock(item, 3, later)).toThrow(Conflict);
    expect(item).toEqual(anItem(10, 4));
  });

  it('keeps the version and emits nothing when the count is what was on hand', () => {
    const item = anItem(10, 4);

    expect(takeStock(item, 10, later)).toEqual([item, []]);
  });

  it('refuses a negative or fractional count, and more than an item holds', () => {
    expect(() => takeStock(anItem(10), -1, later)).toThrow(ValidationError);
    expect(() => takeStock(anItem(10), 2.5, later)).toThrow(ValidationError);
    expect(() => takeStock(anItem(10), MAX_STOCK + 1, later)).toThrow(Conflict);
  });
});

describe('itemView', () => {
  it('shows the counters and what is available, named by the product', () => {
    expect(itemView(anItem(10, 4))).toEqual({
      id: productId,
      productId,
      onHand: 10,
      reserved: 4,
      available: 6,
      version: 3,
      createdAt: created,
      updatedAt: created,
    });
  });
});
