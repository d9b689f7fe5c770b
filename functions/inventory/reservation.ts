// What orders hold: an order reserves every line or none; a cancelled order's reservations are
// released, a shipped order's leave the warehouse with it. Pure: the items and reservations come
// in (read and locked by the caller), the changed ones and the events go out.
import type { NewEvent } from '../../events/index.js';
import { stockReleased, stockReservationFailed, stockReserved, type StockLine } from '../../events/inventory.js';
import { unreachable } from '../runtime/errors.js';
import { adjusted, available, withStock, type Item } from './item.js';

interface ReservationFields {
  orderId: string;
  productId: string;
  quantity: number;
  reservedAt: Date;
}
export type HeldReservation = ReservationFields & { status: 'reserved'; settledAt: null };
export type SettledReservation = ReservationFields & { status: 'released' | 'shipped'; settledAt: Date };
export type Reservation = HeldReservation | SettledReservation;

/** The items of the products concerned, by product id; a product without an item has nothing on hand. */
export type Stock = ReadonlyMap<string, Item>;

export interface Shortage {
  productId: string;
  requested: number;
  available: number;
}

export interface OrderToReserve {
  orderId: string;
  lines: StockLine[];
}

export type ReserveOutcome =
  | { outcome: 'reserved'; items: Item[]; reservations: HeldReservation[]; events: NewEvent[] }
  | { outcome: 'failed'; shortages: Shortage[]; events: NewEvent[] };

/** Whatever changed when an order's reservations were settled; nothing when it held nothing. */
export interface Settlement {
  items: Item[];
  reservations: SettledReservation[];
  events: NewEvent[];
}

/** What an order asks of each product: the quantities of its lines summed per product, in the order of the lines. */
export const requestedPerProduct = (lines: readonly StockLine[]): StockLine[] => {
  const sums = new Map<string, number>();
  for (const line of lines) sums.set(line.productId, (sums.get(line.productId) ?? 0) + line.quantity);
  return [...sums].map(([productId, quantity]) => ({ productId, quantity }));
};

const itemOf = (stock: Stock, productId: string): Item => {
  const item = stock.get(productId);
  // Reservations refer to their item (a foreign key): a held one without its item is a bug.
  if (!item) throw new Error(`no item for product ${productId}, which a reservation names`);
  return item;
};

/**
 * Reserves every line of the order, or none: when any product lacks stock (an unknown product
 * has none), nothing is reserved and stock-reservation-failed names each product that is short,
 * with what was requested and what is available.
 */
export const reserve = (order: OrderToReserve, stock: Stock, now: Date): ReserveOutcome => {
  const requested = requestedPerProduct(order.lines);
  const shortages: Shortage[] = requested
    .map(({ productId, quantity }) => {
      const item = stock.get(productId);
      return { productId, requested: quantity, available: item ? available(item) : 0 };
    })
    .filter((line) => line.requested > line.available);
  if (shortages.length > 0) {
    const failed = stockReservationFailed.build(order.orderId, {
      orderId: order.orderId,
      products: shortages,
      reason: 'insufficient stock',
    });
    return { outcome: 'failed', shortages, events: [failed] };
  }
  const items: Item[] = [];
  const reservations: HeldReservation[] = [];
  const changes: NewEvent[] = [];
  for (const { productId, quantity } of requested) {
    const item = itemOf(stock, productId);
    const changed = withStock(item, { onHand: item.onHand, reserved: item.reserved + quantity }, now);
    items.push(changed);
    reservations.push({ orderId: order.orderId, productId, quantity, status: 'reserved', reservedAt: now, settledAt: null });
    changes.push(adjusted(changed, 'reserved', quantity, order.orderId));
  }
  const reserved = stockReserved.build(order.orderId, { orderId: order.orderId, lines: requested });
  return { outcome: 'reserved', items, reservations, events: [reserved, ...changes] };
};

const held = (reservations: readonly Reservation[]): HeldReservation[] => {
  const found: HeldReservation[] = [];
  for (const reservation of reservations) {
    switch (reservation.status) {
      case 'reserved':
        found.push(reservation);
        break;
      case 'released':
      case 'shipped':
        break;
      default:
        unreachable(reservation);
    }
  }
  return found;
};

const settle = (
  reservations: readonly Reservation[],
  stock: Stock,
  now: Date,
  to: SettledReservation['status'],
): Omit<Settlement, 'events'> & { changes: NewEvent[] } => {
  const items: Item[] = [];
  const settled: SettledReservation[] = [];
  const changes: NewEvent[] = [];
  for (const reservation of held(reservations)) {
    const item = itemOf(stock, reservation.productId);
    const { quantity } = reservation;
    const changed =
      to === 'released'
        ? withStock(item, { onHand: item.onHand, reserved: item.reserved - quantity }, now)
        : withStock(item, { onHand: item.onHand - quantity, reserved: item.reserved - quantity }, now);
    items.push(changed);
    settled.push({ ...reservation, status: to, settledAt: now });
    changes.push(adjusted(changed, to, -quantity, reservation.orderId));
  }
  return { items, reservations: settled, changes };
};

/**
 * A cancelled order's stock is available again: every reservation it holds is released, with
 * stock-released naming what was. An order that holds nothing (never reserved, already released
 * or shipped) changes nothing.
 */
export const release = (orderId: string, reservations: readonly Reservation[], stock: Stock, now: Date, reason?: string): Settlement => {
  const { items, reservations: released, changes } = settle(reservations, stock, now, 'released');
  if (released.length === 0) return { items, reservations: released, events: [] };
  const event = stockReleased.build(orderId, {
    orderId,
    lines: released.map(({ productId, quantity }) => ({ productId, quantity })),
    ...(reason === undefined ? {} : { reason }),
  });
  return { items, reservations: released, events: [event, ...changes] };
};

/**
 * A shipped order's reserved stock leaves the warehouse: on hand and reserved both go down by
 * what it held. An order that holds nothing changes nothing.
 */
export const ship = (reservations: readonly Reservation[], stock: Stock, now: Date): Settlement => {
  const { items, reservations: shipped, changes } = settle(reservations, stock, now, 'shipped');
  return { items, reservations: shipped, events: changes };
};
