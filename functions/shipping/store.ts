// Shipping's SQL: every statement that reads or writes the shipping schema, parameterised.
//
// How an order gets one shipment at most, and never one after its cancellation, whatever the
// redeliveries and the order in which its events arrive:
// 1. Both handlers (order-paid, order-cancelled) first take a transaction-scoped advisory lock on
//    the order (`orders.lock`), right after the runtime's inbox entry. Deliveries about one order
//    therefore run one after the other, and each sees what the one before committed: the
//    shipment, the tombstone. A second order-paid finds the shipment and does nothing; an
//    order-paid after the cancellation finds the tombstone and does nothing; a cancellation and a
//    payment of one order can never miss each other.
// 2. A change to a shipment locks its row (`SELECT ... FOR UPDATE`) before the model looks at it,
//    and writes only if the version is still the one read. Commands take that row lock alone;
//    handlers take the order's lock, then the row: one order of locks, so no deadlock. Of a
//    dispatch and a cancellation at the same moment, the second waits, then sees what the first
//    did (READ COMMITTED re-reads a row once its lock is granted): a dispatched shipment is not
//    cancelled, a cancelled one is not dispatched (409).
// 3. The schema is the last line of defence: order_id is unique, and a CHECK ties each status to
//    the dates and the carrier it implies. A lost race that reaches them anyway is a 409, which
//    the broker retries (a handler) or the caller reads again (a command).
import type { Address } from '../../events/index.js';
import type { Queryable } from '../runtime/db.js';
import { Conflict } from '../runtime/errors.js';
import type { HistoryEntry, Shipment, ShipmentLine, ShipmentStatus } from './shipment.js';

import { isUuid, cursorAt, encodeCursor, decodeCursor, limitOf, type PageRequest, type Page } from '../runtime/paging.js';
export { DEFAULT_LIMIT, MAX_LIMIT, isUuid, encodeCursor, decodeCursor, type PageRequest, type Page } from '../runtime/paging.js';

// ---- shipments ---------------------------------------------------------------------------------

type ShipmentRow = {
  id: string;
  order_id: string;
  order_number: string | null;
  customer_id: string;
  status: ShipmentStatus;
  lines: ShipmentLine[];
  shipping_address: Address;
  carrier: string | null;
  tracking_number: string | null;
  dispatched_at: Date | null;
  delivered_at: Date | null;
  cancelled_at: Date | null;
  history: Array<{ status: ShipmentStatus; at: string; reason?: string }>;
  version: number;
  created_at: Date;
  updated_at: Date;
  cursor_at: string;
};

const SHIPMENT_COLUMNS = `s.id, s.order_id, s.order_number, s.customer_id, s.status, s.lines, s.shipping_address, s.carrier,
  s.tracking_number, s.dispatched_at, s.delivered_at, s.cancelled_at, s.history, s.version, s.created_at, s.updated_at,
  ${cursorAt('s.created_at')} AS cursor_at`;

const toHistory = (entries: ShipmentRow['history']): HistoryEntry[] =>
  entries.map(({ status, at, reason }) => ({ status, at: new Date(at), ...(reason === undefined ? {} : { reason }) }));

// The CHECK on the table guarantees that the columns fit the status; the cast trusts it.
const toShipment = (row: ShipmentRow): Shipment =>
  ({
    id: row.id,
    status: row.status,
    orderId: row.order_id,
    orderNumber: row.order_number,
    customerId: row.customer_id,
    lines: row.lines.map(({ productId, name, quantity }) => ({ productId, name, quantity })),
    shippingAddress: row.shipping_address,
    carrier: row.carrier,
    trackingNumber: row.tracking_number,
    dispatchedAt: row.dispatched_at,
    deliveredAt: row.delivered_at,
    cancelledAt: row.cancelled_at,
    history: toHistory(row.history),
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }) as Shipment;

const historyJson = (history: readonly HistoryEntry[]): string =>
  JSON.stringify(history.map(({ status, at, reason }) => ({ status, at: at.toISOString(), ...(reason === undefined ? {} : { reason }) })));

const findShipment = async (db: Queryable, id: string): Promise<Shipment | undefined> => {
  if (!isUuid(id)) return undefined;
  const { rows } = await db.query<ShipmentRow>(`SELECT ${SHIPMENT_COLUMNS} FROM shipping.shipments s WHERE s.id = $1`, [id]);
  return rows[0] && toShipment(rows[0]);
};

/** One shipment, locked until the caller's transaction ends. */
const lockShipment = async (tx: Queryable, id: string): Promise<Shipment | undefined> => {
  if (!isUuid(id)) return undefined;
  const { rows } = await tx.query<ShipmentRow>(`SELECT ${SHIPMENT_COLUMNS} FROM shipping.shipments s WHERE s.id = $1 FOR UPDATE`, [id]);
  return rows[0] && toShipment(rows[0]);
};

/** The order's shipment (an order has one at most); with `lock`, locked until the caller's transaction ends. */
const shipmentOfOrder = async (db: Queryable, orderId: string, lock = false): Promise<Shipment | undefined> => {
  const { rows } = await db.query<ShipmentRow>(`SELECT ${SHIPMENT_COLUMNS} FROM shipping.shipments s WHERE s.order_id = $1${lock ? ' FOR UPDATE' : ''}`, [
    orderId,
  ]);
  return rows[0] && toShipment(rows[0]);
};

const insertShipment = async (tx: Queryable, shipment: Shipment): Promise<void> => {
  await tx.query(
    `INSERT INTO shipping.shipments (id, order_id, order_number, customer_id, status, lines, shipping_address, carrier,
       tracking_number, dispatched_at, delivered_at, cancelled_at, history, version, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
    [
      shipment.id,
      shipment.orderId,
      shipment.orderNumber,
      shipment.customerId,
      shipment.status,
      JSON.stringify(shipment.lines),
      JSON.stringify(shipment.shippingAddress),
      shipment.carrier,
      shipment.trackingNumber,
      shipment.dispatchedAt,
      shipment.deliveredAt,
      shipment.cancelledAt,
      historyJson(shipment.history),
      shipment.version,
      shipment.createdAt,
      shipment.updatedAt,
    ],
  );
};

/** Saves a changed shipment, only if it is still at the version it was read at. */
const updateShipment = async (tx: Queryable, shipment: Shipment, expectedVersion: number): Promise<void> => {
  const { rowCount } = await tx.query(
    `UPDATE shipping.shipments SET status = $3, carrier = $4, tracking_number = $5, dispatched_at = $6, delivered_at = $7,
       cancelled_at = $8, history = $9, version = $10, updated_at = $11
     WHERE id = $1 AND version = $2`,
    [
      shipment.id,
      expectedVersion,
      shipment.status,
      shipment.carrier,
      shipment.trackingNumber,
      shipment.dispatchedAt,
      shipment.deliveredAt,
      shipment.cancelledAt,
      historyJson(shipment.history),
      shipment.version,
      shipment.updatedAt,
    ],
  );
  if (rowCount === 0) throw new Conflict(`shipment ${shipment.id} was changed by another request; read it again`);
};

export interface ShipmentFilter {
  orderId?: string;
  customerId?: string;
  status?: ShipmentStatus;
}

/** Shipments oldest first, a page at a time. */
const listShipments = async (db: Queryable, filter: ShipmentFilter, page: PageRequest): Promise<Page<Shipment>> => {
  const limit = limitOf(page);
  const after = page.cursor === undefined ? undefined : decodeCursor(page.cursor);
  const params: unknown[] = [];
  const where: string[] = [];
  const param = (value: unknown): string => {
    params.push(value);
    return `$${params.length}`;
  };
  if (filter.orderId !== undefined) where.push(`s.order_id = ${param(filter.orderId)}`);
  if (filter.customerId !== undefined) where.push(`s.customer_id = ${param(filter.customerId)}`);
  if (filter.status !== undefined) where.push(`s.status = ${param(filter.status)}`);
  if (after) where.push(`(s.created_at, s.id) > (${param(after.at)}::timestamptz, ${param(after.id)}::uuid)`);
  const { rows } = await db.query<ShipmentRow>(
    `SELECT ${SHIPMENT_COLUMNS} FROM shipping.shipments s
     ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY s.created_at, s.id LIMIT ${param(limit + 1)}`,
    params,
  );
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return {
    items: items.map(toShipment),
    nextCursor: rows.length > limit && last ? encodeCursor({ at: last.cursor_at, id: last.id }) : null,
  };
};

export const shipments = {
  find: findShipment,
  lock: lockShipment,
  ofOrder: (db: Queryable, orderId: string) => shipmentOfOrder(db, orderId),
  lockOfOrder: (tx: Queryable, orderId: string) => shipmentOfOrder(tx, orderId, true),
  insert: insertShipment,
  update: updateShipment,
  list: listShipments,
};

// ---- orders ------------------------------------------------------------------------------------

/**
 * Serialises, until the caller's transaction ends, Shipping's handling of one order. Always the
 * first lock a handler takes (see the top of this file).
 */
const lockOrder = async (tx: Queryable, orderId: string): Promise<void> => {
  await tx.query("SELECT pg_advisory_xact_lock(hashtext('shipping.orders'), hashtext($1))", [orderId]);
};

/** Keeps the tombstone of a cancelled order (the first cancellation seen stays). */
const markOrderCancelled = async (tx: Queryable, orderId: string, at: Date, reason: string): Promise<void> => {
  await tx.query(
    `INSERT INTO shipping.cancelled_orders (order_id, cancelled_at, reason) VALUES ($1, $2, $3)
     ON CONFLICT (order_id) DO NOTHING`,
    [orderId, at, reason],
  );
};

const isOrderCancelled = async (db: Queryable, orderId: string): Promise<boolean> => {
  const { rows } = await db.query<{ found: boolean }>('SELECT EXISTS (SELECT 1 FROM shipping.cancelled_orders WHERE order_id = $1) AS found', [orderId]);
  return rows[0]?.found === true;
};

export const orders = {
  lock: lockOrder,
  markCancelled: markOrderCancelled,
  isCancelled: isOrderCancelled,
};
