// The stock of one product: what is on hand, how much of it orders hold (reserved), and what is
// left to sell (available = onHand - reserved). Never negative, never more reserved than on hand.
import type { NewEvent } from '../../events/index.js';
import { stockAdjusted, type StockAdjusted } from '../../events/inventory.js';
import { Conflict, ValidationError } from '../runtime/errors.js';

/** The most an item may hold: a receipt or stock-take beyond it is refused (the column is an integer). */
export const MAX_STOCK = 1_000_000_000;

export interface Item {
  productId: string;
  onHand: number;
  reserved: number;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export type AdjustmentReason = StockAdjusted['reason'];

export const available = (item: Item): number => item.onHand - item.reserved;

/**
 * The product's stock-adjusted event. `change` is the signed change of the counter the reason
 * moves: onHand for created, receipt, stock-take and shipped (shipped lowers reserved by as much),
 * reserved for reserved and released.
 */
export const adjusted = (item: Item, reason: AdjustmentReason, change: number, orderId?: string): NewEvent =>
  stockAdjusted.build(item.productId, {
    productId: item.productId,
    onHand: item.onHand,
    reserved: item.reserved,
    available: available(item),
    change,
    reason,
    ...(orderId === undefined ? {} : { orderId }),
  });

/** A changed item: its counters, and the next version. */
export const withStock = (item: Item, stock: { onHand: number; reserved: number }, now: Date): Item => {
  if (stock.reserved < 0 || stock.onHand < stock.reserved) {
    throw new Error(`product ${item.productId} cannot have ${stock.onHand} on hand and ${stock.reserved} reserved`);
  }
  return { ...item, ...stock, version: item.version + 1, updatedAt: now };
};

/** A new product's item: nothing on hand until stock is received. */
export const createItem = (productId: string, now: Date): [Item, NewEvent[]] => {
  const item: Item = { productId, onHand: 0, reserved: 0, version: 1, createdAt: now, updatedAt: now };
  return [item, [adjusted(item, 'created', 0)]];
};

const invalid = (pointer: string, message: string): ValidationError => new ValidationError(message, [{ pointer, message }]);

const refuseBeyondMax = (item: Item, onHand: number): void => {
  if (onHand > MAX_STOCK) {
    throw new Conflict(`product ${item.productId} would have ${onHand} on hand; an item holds at most ${MAX_STOCK}`);
  }
};

/** Stock that arrived: `quantity` (a positive whole number, as the schema says) more on hand. */
export const receive = (item: Item, quantity: number, now: Date): [Item, NewEvent[]] => {
  if (!Number.isSafeInteger(quantity) || quantity < 1) throw invalid('/quantity', 'a receipt is a whole number of one or more');
  const onHand = item.onHand + quantity;
  refuseBeyondMax(item, onHand);
  const received = withStock(item, { onHand, reserved: item.reserved }, now);
  return [received, [adjusted(received, 'receipt', quantity)]];
};

/**
 * A stock-take: what was counted becomes what is on hand. It cannot go below what orders hold
 * (those units are promised; release or ship them first). Counting what was already there
 * changes nothing: same version, no event.
 */
export const takeStock = (item: Item, onHand: number, now: Date): [Item, NewEvent[]] => {
  if (!Number.isSafeInteger(onHand) || onHand < 0) throw invalid('/onHand', 'a stock-take counts a whole number of zero or more');
  if (onHand < item.reserved) {
    throw new Conflict(`product ${item.productId} has ${item.reserved} reserved by orders; a stock-take cannot set fewer (${onHand}) on hand`);
  }
  refuseBeyondMax(item, onHand);
  if (onHand === item.onHand) return [item, []];
  const counted = withStock(item, { onHand, reserved: item.reserved }, now);
  return [counted, [adjusted(counted, 'stock-take', onHand - item.onHand)]];
};

/** The item as the API returns it; `id` is the product's id, as an item is the stock of one product. */
export const itemView = (item: Item) => ({
  id: item.productId,
  productId: item.productId,
  onHand: item.onHand,
  reserved: item.reserved,
  available: available(item),
  version: item.version,
  createdAt: item.createdAt,
  updatedAt: item.updatedAt,
});
export type ItemView = ReturnType<typeof itemView>;
