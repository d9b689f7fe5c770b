// Inventory's SQL: every statement that reads or writes the inventory schema, parameterised.
//
// How stock never goes negative and is never reserved twice, whatever the concurrency and
// whatever the redeliveries:
// 1. Everything Inventory does about one order (order-placed, order-cancelled, order-shipped)
//    first takes a transaction-scoped advisory lock on that order (`orders.lock`). Two deliveries
//    about one order therefore run one after the other, and the second sees what the first
//    committed: its decision (placed_orders), its reservations, its tombstone. A redelivery under
//    another event id finds them and does nothing; a cancellation and a placement of one order
//    can never miss each other.
// 2. Every write to stock locks the item rows it reads, `SELECT ... FOR UPDATE`, before it checks
//    anything (`items.lock`), and holds them to commit. Availability is checked on rows nobody
//    else can change, so two orders can never both take the last unit: the second waits, then
//    reads what the first left (READ COMMITTED re-reads a row once its lock is granted).
// 3. Locks are always taken in one order: the order's advisory lock first (after only the
//    runtime's inbox entry of the event), then the items ordered by product id (FOR UPDATE locks
//    row by row in the ORDER BY's order, and a product id never changes). Two
//    transactions therefore never each hold a lock the other waits for: no deadlock between two
//    orders, whatever the order of their lines. Commands lock a single item and wait for nothing
//    while holding it. Should PostgreSQL still report a deadlock or a serialization failure
//    (40P01, 40001), the runtime answers 409 and the broker delivers the event again.
// 4. The schema is the last line of defence: CHECK (reserved >= 0 AND on_hand >= reserved) on
//    items refuses any write that would make stock negative or over-reserved, and the primary key
//    (order_id, product_id) of reservations refuses a second reservation of a product by an order.
import type { Queryable } from '../runtime/db.js';
import { Conflict } from '../runtime/errors.js';
import { isUuid } from '../runtime/paging.js';
import type { Item } from './item.js';
import type { HeldReservation, Reservation, SettledReservation, Stock } from './reservation.js';

export { isUuid } from '../runtime/paging.js';

const staleVersion = (productId: string) => new Conflict(`the stock of product ${productId} was changed by another request; read it again`);

// ---- items -------------------------------------------------------------------------------------

type ItemRow = {
  product_id: string;
  on_hand: number;
  reserved: number;
  version: number;
  created_at: Date;
  updated_at: Date;
};

const ITEM_COLUMNS = 'i.product_id, i.on_hand, i.reserved, i.version, i.created_at, i.updated_at';

const toItem = (row: ItemRow): Item => ({
  productId: row.product_id,
  onHand: row.on_hand,
  reserved: row.reserved,
  version: row.version,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

const findItem = async (db: Queryable, productId: string): Promise<Item | undefined> => {
  if (!isUuid(productId)) return undefined;
  const { rows } = await db.query<ItemRow>(`SELECT ${ITEM_COLUMNS} FROM inventory.items i WHERE i.product_id = $1`, [productId]);
  return rows[0] && toItem(rows[0]);
};

/**
 * The items of `productIds`, locked until the caller's transaction ends, taken in product id
 * order (see the top of this file). Products without an item are absent from the answer.
 */
const lockItems = async (tx: Queryable, productIds: readonly string[]): Promise<Stock> => {
  const ids = [...new Set(productIds)].filter(isUuid);
  if (ids.length === 0) return new Map();
  const { rows } = await tx.query<ItemRow>(
    `SELECT ${ITEM_COLUMNS} FROM inventory.items i
     WHERE i.product_id = ANY($1::uuid[])
     ORDER BY i.product_id
     FOR UPDATE`,
    [ids],
  );
  return new Map(rows.map((row) => [row.product_id, toItem(row)]));
};

/** One item, locked until the caller's transaction ends. */
const lockItem = async (tx: Queryable, productId: string): Promise<Item | undefined> => (await lockItems(tx, [productId])).get(productId);

/** Inserts a new item unless the product has one already; whether it did. */
const insertItem = async (tx: Queryable, item: Item): Promise<boolean> => {
  const { rowCount } = await tx.query(
    `INSERT INTO inventory.items (product_id, on_hand, reserved, version, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (product_id) DO NOTHING`,
    [item.productId, item.onHand, item.reserved, item.version, item.createdAt, item.updatedAt],
  );
  return rowCount === 1;
};

/** Saves changed items, each only if still at the version it was read at (`expected`). */
const updateItems = async (tx: Queryable, items: readonly Item[], expected: Stock): Promise<void> => {
  for (const item of items) {
    const before = expected.get(item.productId);
    if (!before) throw new Error(`product ${item.productId} was not read before it was changed`);
    const { rowCount } = await tx.query(
      `UPDATE inventory.items SET on_hand = $3, reserved = $4, version = $5, updated_at = $6
       WHERE product_id = $1 AND version = $2`,
      [item.productId, before.version, item.onHand, item.reserved, item.version, item.updatedAt],
    );
    if (rowCount === 0) throw staleVersion(item.productId);
  }
};

const updateItem = (tx: Queryable, item: Item, before: Item): Promise<void> => updateItems(tx, [item], new Map([[before.productId, before]]));

export const items = {
  find: findItem,
  lock: lockItem,
  lockAll: lockItems,
  insert: insertItem,
  update: updateItem,
  updateAll: updateItems,
};

// ---- reservations ------------------------------------------------------------------------------

type ReservationRow = {
  order_id: string;
  product_id: string;
  quantity: number;
  status: Reservation['status'];
  reserved_at: Date;
  settled_at: Date | null;
};

const toReservation = (row: ReservationRow): Reservation => {
  const fields = { orderId: row.order_id, productId: row.product_id, quantity: row.quantity, reservedAt: row.reserved_at };
  if (row.status === 'reserved') return { ...fields, status: 'reserved', settledAt: null };
  if (!row.settled_at) throw new Error(`reservation of ${row.order_id} for ${row.product_id} is ${row.status} without a date`);
  return { ...fields, status: row.status, settledAt: row.settled_at };
};

/** Every reservation of an order, whatever its status, by product id. */
const reservationsOfOrder = async (db: Queryable, orderId: string): Promise<Reservation[]> => {
  const { rows } = await db.query<ReservationRow>(
    `SELECT order_id, product_id, quantity, status, reserved_at, settled_at
     FROM inventory.reservations WHERE order_id = $1 ORDER BY product_id`,
    [orderId],
  );
  return rows.map(toReservation);
};

const insertReservations = async (tx: Queryable, reservations: readonly HeldReservation[]): Promise<void> => {
  if (reservations.length === 0) return;
  await tx.query(
    `INSERT INTO inventory.reservations (order_id, product_id, quantity, status, reserved_at)
     SELECT r.order_id, r.product_id, r.quantity, 'reserved', r.reserved_at
     FROM jsonb_to_recordset($1::jsonb) AS r(order_id uuid, product_id uuid, quantity integer, reserved_at timestamptz)`,
    [
      JSON.stringify(
        reservations.map((r) => ({ order_id: r.orderId, product_id: r.productId, quantity: r.quantity, reserved_at: r.reservedAt.toISOString() })),
      ),
    ],
  );
};

/** Marks held reservations released or shipped; each must still be held. */
const settleReservations = async (tx: Queryable, reservations: readonly SettledReservation[]): Promise<void> => {
  for (const r of reservations) {
    const { rowCount } = await tx.query(
      `UPDATE inventory.reservations SET status = $3, settled_at = $4
       WHERE order_id = $1 AND product_id = $2 AND status = 'reserved'`,
      [r.orderId, r.productId, r.status, r.settledAt],
    );
    if (rowCount === 0) throw new Conflict(`the reservation of order ${r.orderId} for product ${r.productId} is no longer held`);
  }
};

export const reservations = {
  ofOrder: reservationsOfOrder,
  insert: insertReservations,
  settle: settleReservations,
};

// ---- orders ------------------------------------------------------------------------------------

/**
 * Serialises, until the caller's transaction ends, Inventory's handling of one order. Always the
 * first lock a handler takes (see the top of this file).
 */
const lockOrder = async (tx: Queryable, orderId: string): Promise<void> => {
  await tx.query("SELECT pg_advisory_xact_lock(hashtext('inventory.orders'), hashtext($1))", [orderId]);
};

export type PlacementOutcome = 'reserved' | 'failed';

/** What Inventory decided about the order's order-placed, if it has. */
const placementOf = async (db: Queryable, orderId: string): Promise<PlacementOutcome | undefined> => {
  const { rows } = await db.query<{ outcome: PlacementOutcome }>('SELECT outcome FROM inventory.placed_orders WHERE order_id = $1', [orderId]);
  return rows[0]?.outcome;
};

const recordPlacement = async (tx: Queryable, orderId: string, outcome: PlacementOutcome, at: Date): Promise<void> => {
  await tx.query('INSERT INTO inventory.placed_orders (order_id, outcome, decided_at) VALUES ($1, $2, $3)', [orderId, outcome, at]);
};

/** Keeps the tombstone of a cancelled order (the first cancellation seen stays). */
const markOrderCancelled = async (tx: Queryable, orderId: string, at: Date, reason: string): Promise<void> => {
  await tx.query(
    `INSERT INTO inventory.cancelled_orders (order_id, cancelled_at, reason) VALUES ($1, $2, $3)
     ON CONFLICT (order_id) DO NOTHING`,
    [orderId, at, reason],
  );
};

const isOrderCancelled = async (db: Queryable, orderId: string): Promise<boolean> => {
  const { rows } = await db.query<{ found: boolean }>('SELECT EXISTS (SELECT 1 FROM inventory.cancelled_orders WHERE order_id = $1) AS found', [orderId]);
  return rows[0]?.found === true;
};

export const orders = {
  lock: lockOrder,
  placementOf,
  recordPlacement,
  markCancelled: markOrderCancelled,
  isCancelled: isOrderCancelled,
};
