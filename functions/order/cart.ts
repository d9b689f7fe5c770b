// A customer's cart: open -> checked-out | expired. Each item keeps the name and unit price that
// Catalog gave when it was set; checkout asks Catalog again and the order takes those prices.
// A cart expires after a time to live of inactivity (every change starts it again).
import type { Money, NewEvent } from '../../events/index.js';
import { cartCreated, cartExpired, type OrderLine } from '../../events/order.js';
import { Conflict, ValidationError, unreachable } from '../runtime/errors.js';

export type CartStatus = 'open' | 'checked-out' | 'expired';

export interface CartItem {
  productId: string;
  name: string;
  quantity: number;
  unitPrice: Money;
}

interface CartFields {
  id: string;
  customerId: string;
  items: CartItem[];
  expiresAt: Date;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export type OpenCart = CartFields & { status: 'open'; orderId: null; checkedOutAt: null; expiredAt: null };
export type CheckedOutCart = CartFields & { status: 'checked-out'; orderId: string; checkedOutAt: Date; expiredAt: null };
export type ExpiredCart = CartFields & { status: 'expired'; orderId: null; checkedOutAt: null; expiredAt: Date };
export type Cart = OpenCart | CheckedOutCart | ExpiredCart;

/** What Catalog answers about one product of a cart (`POST /catalog/products/validate`). */
export interface ProductCheck {
  productId: string;
  quantity: number;
  valid: boolean;
  name?: string;
  unitPrice?: Money;
  reason?: string;
}

const expiry = (now: Date, ttlSeconds: number): Date => new Date(now.getTime() + ttlSeconds * 1000);

export const openCart = (customerId: string, id: string, now: Date, ttlSeconds: number): [OpenCart, NewEvent[]] => {
  const cart: OpenCart = {
    id,
    customerId,
    status: 'open',
    items: [],
    expiresAt: expiry(now, ttlSeconds),
    orderId: null,
    checkedOutAt: null,
    expiredAt: null,
    version: 1,
    createdAt: now,
    updatedAt: now,
  };
  return [cart, [cartCreated.build(id, { cartId: id, customerId, expiresAt: cart.expiresAt.toISOString() })]];
};

/** Open, but left alone past its time to live: expired, whether or not the schedule has marked it yet. */
export const isExpired = (cart: Cart, now: Date): boolean => cart.status === 'open' && cart.expiresAt.getTime() <= now.getTime();

/** The status a reader sees: an open cart past its time to live is expired already. */
export const statusAt = (cart: Cart, now: Date): CartStatus => (isExpired(cart, now) ? 'expired' : cart.status);

/** The cart, if it can still be changed or checked out; otherwise why not (409). */
export const usable = (cart: Cart, now: Date): OpenCart => {
  switch (cart.status) {
    case 'open':
      if (isExpired(cart, now)) throw new Conflict(`cart ${cart.id} expired at ${cart.expiresAt.toISOString()}`);
      return cart;
    case 'checked-out':
      throw new Conflict(`cart ${cart.id} was checked out as order ${cart.orderId}; it can no longer change`);
    case 'expired':
      throw new Conflict(`cart ${cart.id} expired at ${cart.expiresAt.toISOString()}`);
    default:
      return unreachable(cart);
  }
};

/** The currency of a cart: that of its items (all share one); null while empty. */
export const cartCurrency = (cart: Pick<Cart, 'items'>): string | null => cart.items[0]?.unitPrice.currency ?? null;

export const cartTotal = (cart: Pick<Cart, 'items'>): Money | null => {
  const currency = cartCurrency(cart);
  if (currency === null) return null;
  return { amount: cart.items.reduce((sum, item) => sum + item.quantity * item.unitPrice.amount, 0), currency };
};

const touched = (cart: OpenCart, items: CartItem[], now: Date, ttlSeconds: number): OpenCart => ({
  ...cart,
  items,
  expiresAt: expiry(now, ttlSeconds),
  version: cart.version + 1,
  updatedAt: now,
});

const invalid = (pointer: string, message: string): ValidationError => new ValidationError(message, [{ pointer, message }]);

/** Why Catalog refuses a product, in words. */
const refusal = (check: ProductCheck | undefined, productId: string): string => {
  const reason = check?.reason;
  switch (reason) {
    case 'product-deleted':
      return `product ${productId} is no longer sold`;
    case 'unknown-product':
    case undefined:
      return `product ${productId} does not exist`;
    default:
      return `product ${productId} cannot be ordered (${reason})`;
  }
};

export const removeItem = (cart: Cart, productId: string, now: Date, ttlSeconds: number): OpenCart => {
  const open = usable(cart, now);
  return touched(
    open,
    open.items.filter((item) => item.productId !== productId),
    now,
    ttlSeconds,
  );
};

/**
 * Sets the quantity of a product, at the name and price Catalog gave (`check`); 0 removes it. A
 * product Catalog does not sell is invalid input (422); a price in another currency than the
 * cart's other items conflicts with the cart (409).
 */
export const setItem = (cart: Cart, productId: string, quantity: number, check: ProductCheck | undefined, now: Date, ttlSeconds: number): OpenCart => {
  if (quantity === 0) return removeItem(cart, productId, now, ttlSeconds);
  const open = usable(cart, now);
  if (!check || !check.valid || check.name === undefined || check.unitPrice === undefined) {
    throw invalid('/productId', refusal(check, productId));
  }
  const others = open.items.filter((item) => item.productId !== productId);
  const currency = cartCurrency({ items: others });
  if (currency !== null && check.unitPrice.currency !== currency) {
    throw new Conflict(`product ${productId} is priced in ${check.unitPrice.currency}; this cart is in ${currency}`);
  }
  const item: CartItem = { productId, name: check.name, quantity, unitPrice: check.unitPrice };
  const at = open.items.findIndex((existing) => existing.productId === productId);
  const items = at === -1 ? [...open.items, item] : open.items.map((existing, i) => (i === at ? item : existing));
  return touched(open, items, now, ttlSeconds);
};

/** The cart, if it can be checked out: usable and not empty (otherwise 409). */
export const readyForCheckout = (cart: Cart, now: Date): OpenCart => {
  const open = usable(cart, now);
  if (open.items.length === 0) throw new Conflict(`cart ${cart.id} is empty`);
  return open;
};

/**
 * The order lines of a cart at the names and prices Catalog gives at checkout (`checks`), in the
 * cart's order. An empty cart, a product no longer sold or a price now in another currency than
 * the rest is refused (409): the customer must change the cart first.
 */
export const orderLines = (cart: Cart, checks: readonly ProductCheck[], now: Date): OrderLine[] => {
  const open = readyForCheckout(cart, now);
  const byProduct = new Map(checks.map((check) => [check.productId.toLowerCase(), check]));
  const refused: string[] = [];
  const lines: OrderLine[] = [];
  for (const item of open.items) {
    const check = byProduct.get(item.productId.toLowerCase());
    if (!check || !check.valid || check.name === undefined || check.unitPrice === undefined) {
      refused.push(`${item.name}: ${refusal(check, item.productId)}`);
      continue;
    }
    lines.push({ productId: item.productId, name: check.name, quantity: item.quantity, unitPrice: check.unitPrice });
  }
  if (refused.length > 0) throw new Conflict(`the cart cannot be checked out: ${refused.join('; ')}`);
  const currencies = [...new Set(lines.map((line) => line.unitPrice.currency))];
  if (currencies.length > 1) {
    throw new Conflict(`the cart's products are now priced in ${currencies.join(' and ')}; an order has one currency`);
  }
  return lines;
};

export const checkOut = (cart: Cart, orderId: string, now: Date): CheckedOutCart => {
  const open = readyForCheckout(cart, now);
  return { ...open, status: 'checked-out', orderId, checkedOutAt: now, version: open.version + 1, updatedAt: now };
};

/** Marks a cart left alone past its time to live as expired, with cart-expired. */
export const expire = (cart: Cart, now: Date): [ExpiredCart, NewEvent[]] => {
  if (cart.status !== 'open' || !isExpired(cart, now)) {
    throw new Conflict(`cart ${cart.id} is ${cart.status} until ${cart.expiresAt.toISOString()}; it has not expired`);
  }
  const expired: ExpiredCart = { ...cart, status: 'expired', expiredAt: now, version: cart.version + 1, updatedAt: now };
  return [expired, [cartExpired.build(cart.id, { cartId: cart.id, customerId: cart.customerId, items: cart.items.length })]];
};

/** The cart as the API returns it, as seen at `now`. */
export const cartView = (cart: Cart, now: Date) => ({
  id: cart.id,
  customerId: cart.customerId,
  status: statusAt(cart, now),
  items: cart.items.map((item) => ({
    productId: item.productId,
    name: item.name,
    quantity: item.quantity,
    unitPrice: item.unitPrice,
    total: { amount: item.quantity * item.unitPrice.amount, currency: item.unitPrice.currency },
  })),
  total: cartTotal(cart),
  expiresAt: cart.expiresAt,
  orderId: cart.orderId,
  version: cart.version,
  createdAt: cart.createdAt,
  updatedAt: cart.updatedAt,
});
export type CartView = ReturnType<typeof cartView>;
