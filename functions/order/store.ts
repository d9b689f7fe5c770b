// Order's SQL: every statement that reads or writes the "order" schema, parameterised. The
// schema's name is a reserved word, so it is always quoted.
import type { Queryable } from '../runtime/db.js';
import { Conflict, writing } from '../runtime/errors.js';
import { cursorAt, decodeCursor, decodeSequenceCursor, encodeSequenceCursor, isUuid, limitOf, pageOf, type Page, type PageRequest } from '../runtime/paging.js';
import type { Cart, CartItem } from './cart.js';
import { formatOrderNumber, orderView, type Order, type OrderEvent, type OrderStatus, type OrderView } from './order.js';

export type { Page, PageRequest } from '../runtime/paging.js';

// ---- carts -------------------------------------------------------------------------------------

type CartRow = {
  id: string;
  customer_id: string;
  status: Cart['status'];
  items: CartItem[];
  expires_at: Date;
  order_id: string | null;
  checked_out_at: Date | null;
  expired_at: Date | null;
  version: number;
  created_at: Date;
  updated_at: Date;
};

const CART_COLUMNS = 'c.id, c.customer_id, c.status, c.items, c.expires_at, c.order_id, c.checked_out_at, c.expired_at, c.version, c.created_at, c.updated_at';

const toCart = (row: CartRow): Cart =>
  ({
    id: row.id,
    customerId: row.customer_id,
    status: row.status,
    // jsonb keeps keys in its own order; items come back in the order of their type.
    items: row.items.map((item) => ({
      productId: item.productId,
      name: item.name,
      quantity: item.quantity,
      unitPrice: { amount: item.unitPrice.amount, currency: item.unitPrice.currency },
    })),
    expiresAt: row.expires_at,
    orderId: row.order_id,
    checkedOutAt: row.checked_out_at,
    expiredAt: row.expired_at,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }) as Cart; // the table's CHECK constraints hold each status to its shape

const findCart = async (db: Queryable, id: string): Promise<Cart | undefined> => {
  if (!isUuid(id)) return undefined;
  const { rows } = await db.query<CartRow>(`SELECT ${CART_COLUMNS} FROM "order".carts c WHERE c.id = $1`, [id]);
  return rows[0] && toCart(rows[0]);
};

/** The cart, locked until the caller's transaction ends: concurrent changes of one cart queue. */
const lockCart = async (tx: Queryable, id: string): Promise<Cart | undefined> => {
  if (!isUuid(id)) return undefined;
  const { rows } = await tx.query<CartRow>(`SELECT ${CART_COLUMNS} FROM "order".carts c WHERE c.id = $1 FOR UPDATE`, [id]);
  return rows[0] && toCart(rows[0]);
};

const insertCart = (tx: Queryable, cart: Cart): Promise<void> =>
  writing(async () => {
    await tx.query(
      `INSERT INTO "order".carts (id, customer_id, status, items, expires_at, order_id, checked_out_at, expired_at, version, created_at, updated_at)
       VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8, $9, $10, $11)`,
      [
        cart.id,
        cart.customerId,
        cart.status,
        JSON.stringify(cart.items),
        cart.expiresAt,
        cart.orderId,
        cart.checkedOutAt,
        cart.expiredAt,
        cart.version,
        cart.createdAt,
        cart.updatedAt,
      ],
    );
  });

const updateCart = (tx: Queryable, cart: Cart, expectedVersion: number): Promise<void> =>
  writing(
    async () => {
      const { rowCount } = await tx.query(
        `UPDATE "order".carts
         SET status = $3, items = $4::jsonb, expires_at = $5, order_id = $6, checked_out_at = $7, expired_at = $8,
             version = $9, updated_at = $10
         WHERE id = $1 AND version = $2`,
        [
          cart.id,
          expectedVersion,
          cart.status,
          JSON.stringify(cart.items),
          cart.expiresAt,
          cart.orderId,
          cart.checkedOutAt,
          cart.expiredAt,
          cart.version,
          cart.updatedAt,
        ],
      );
      if (rowCount === 0) throw new Conflict(`cart ${cart.id} was changed by another request; read it again`);
    },
    { unique: () => new Conflict(`order ${cart.orderId} already belongs to a cart`) },
  );

/**
 * Open carts whose time to live has passed at `now`, locked for the caller's transaction; carts
 * another transaction holds are skipped and found by the next run.
 */
const expiredCarts = async (tx: Queryable, now: Date, limit: number): Promise<Cart[]> => {
  const { rows } = await tx.query<CartRow>(
    `SELECT ${CART_COLUMNS} FROM "order".carts c
     WHERE c.status = 'open' AND c.expires_at <= $1
     ORDER BY c.expires_at, c.id
     LIMIT $2
     FOR UPDATE OF c SKIP LOCKED`,
    [now, limit],
  );
  return rows.map(toCart);
};

export const carts = {
  find: findCart,
  lock: lockCart,
  insert: insertCart,
  update: updateCart,
  expired: expiredCarts,
};

// ---- order streams -----------------------------------------------------------------------------

export interface EventMetadata {
  correlationId: string;
  /** The event or request that caused these events. */
  causationId?: string;
  /** Who asked, for a command: `customer:<id>`, `admin:<id>`. */
  actor?: string;
}

export interface RecordedEvent {
  version: number;
  type: OrderEvent['type'];
  data: OrderEvent['data'];
  metadata: EventMetadata;
  occurredAt: Date;
}

type EventRow = { stream_id: string; version: number; type: OrderEvent['type']; data: OrderEvent['data']; metadata: EventMetadata; occurred_at: Date };

const toEvent = (row: EventRow): OrderEvent => ({ type: row.type, data: row.data }) as OrderEvent;

/** The events of an order's stream, oldest first; empty for an order that does not exist. */
const loadStream = async (db: Queryable, orderId: string): Promise<OrderEvent[]> => {
  if (!isUuid(orderId)) return [];
  const { rows } = await db.query<EventRow>(
    `SELECT stream_id, version, type, data, metadata, occurred_at FROM "order".order_events WHERE stream_id = $1 ORDER BY version`,
    [orderId],
  );
  return rows.map(toEvent);
};

/** A page of an order's stream as recorded, with versions and metadata (after version `cursor`). */
const readStream = async (db: Queryable, orderId: string, page: PageRequest): Promise<Page<RecordedEvent>> => {
  const limit = limitOf(page);
  const after = page.cursor === undefined ? 0 : decodeSequenceCursor(page.cursor);
  const { rows } = await db.query<EventRow>(
    `SELECT stream_id, version, type, data, metadata, occurred_at FROM "order".order_events
     WHERE stream_id = $1 AND version > $2 ORDER BY version LIMIT $3`,
    [orderId, after, limit + 1],
  );
  const items = rows.slice(0, limit).map((row) => ({
    version: row.version,
    type: row.type,
    data: row.data,
    metadata: row.metadata,
    occurredAt: row.occurred_at,
  }));
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last ? encodeSequenceCursor(last.version) : null };
};

/**
 * Appends events to an order's stream, which must be at `expectedVersion` (0 for a new order).
 * A writer that read an older version collides on (stream_id, version): Conflict, retried.
 */
const appendToStream = (
  tx: Queryable,
  orderId: string,
  expectedVersion: number,
  events: readonly OrderEvent[],
  metadata: EventMetadata,
  now: Date,
): Promise<void> =>
  writing(
    async () => {
      await tx.query(
        `INSERT INTO "order".order_events (stream_id, version, type, data, metadata, occurred_at)
         SELECT $1, $2::int + e.ordinality, e.value->>'type', e.value->'data', $4::jsonb, $5
         FROM jsonb_array_elements($3::jsonb) WITH ORDINALITY AS e
         ORDER BY e.ordinality`,
        [orderId, expectedVersion, JSON.stringify(events), JSON.stringify(metadata), now],
      );
    },
    { unique: () => new Conflict(`order ${orderId} changed while this change was decided (it is past version ${expectedVersion}); retry`) },
  );

/**
 * Queues writers of one order until the caller's transaction ends, so that they rarely collide
 * on the stream's version (the version check still decides when they do).
 */
const lockOrder = async (tx: Queryable, orderId: string): Promise<void> => {
  await tx.query(`SELECT pg_advisory_xact_lock(hashtext('order.order_events'), hashtext($1))`, [orderId.toLowerCase()]);
};

/** Takes the lock of `lockOrder` unless another transaction holds it; whether it did. */
const tryLockOrder = async (tx: Queryable, orderId: string): Promise<boolean> => {
  const { rows } = await tx.query<{ locked: boolean }>(`SELECT pg_try_advisory_xact_lock(hashtext('order.order_events'), hashtext($1)) AS locked`, [
    orderId.toLowerCase(),
  ]);
  return rows[0]?.locked === true;
};

/** The ids of the streams after `after` (in id order), for a rebuild. */
const streamIds = async (db: Queryable, after: string | null, limit: number): Promise<string[]> => {
  const { rows } = await db.query<{ stream_id: string }>(
    `SELECT DISTINCT stream_id FROM "order".order_events
     WHERE $1::uuid IS NULL OR stream_id > $1::uuid
     ORDER BY stream_id LIMIT $2`,
    [after, limit],
  );
  return rows.map((row) => row.stream_id);
};

/** Every event of the given streams, by stream, oldest first. */
const loadStreams = async (db: Queryable, ids: readonly string[]): Promise<Map<string, OrderEvent[]>> => {
  const streams = new Map<string, OrderEvent[]>(ids.map((id) => [id, []]));
  if (ids.length === 0) return streams;
  const { rows } = await db.query<EventRow>(
    `SELECT stream_id, version, type, data, metadata, occurred_at FROM "order".order_events
     WHERE stream_id = ANY($1::uuid[]) ORDER BY stream_id, version`,
    [ids],
  );
  for (const row of rows) streams.get(row.stream_id)?.push(toEvent(row));
  return streams;
};

export const orderStreams = {
  load: loadStream,
  read: readStream,
  append: appendToStream,
  lock: lockOrder,
  tryLock: tryLockOrder,
  ids: streamIds,
  loadMany: loadStreams,
};

// ---- the orders_view projection ----------------------------------------------------------------

/**
 * Writes the projection of each order. A row is only ever replaced by the same or a later
 * version, so a rebuild running beside new appends never puts an older state back.
 */
const saveViews = async (db: Queryable, orders: readonly Order[]): Promise<void> => {
  if (orders.length === 0) return;
  const rows = orders.map((order) => ({
    id: order.id,
    number: order.number,
    customer_id: order.customerId,
    status: order.status,
    saga_step: order.saga.step,
    saga_deadline: order.saga.deadline?.toISOString() ?? null,
    version: order.version,
    created_at: order.createdAt.toISOString(),
    updated_at: order.updatedAt.toISOString(),
    // Serialised here so the column keeps the document's own key order.
    document: JSON.stringify(orderView(order)),
  }));
  await db.query(
    `INSERT INTO "order".orders_view AS v (id, number, customer_id, status, saga_step, saga_deadline, version, created_at, updated_at, document)
     SELECT r.id, r.number, r.customer_id, r.status, r.saga_step, r.saga_deadline, r.version, r.created_at, r.updated_at, r.document::json
     FROM jsonb_to_recordset($1::jsonb) AS r(id uuid, number text, customer_id uuid, status text, saga_step text,
       saga_deadline timestamptz, version int, created_at timestamptz, updated_at timestamptz, document text)
     ON CONFLICT (id) DO UPDATE SET
       number = EXCLUDED.number, customer_id = EXCLUDED.customer_id, status = EXCLUDED.status,
       saga_step = EXCLUDED.saga_step, saga_deadline = EXCLUDED.saga_deadline, version = EXCLUDED.version,
       created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at, document = EXCLUDED.document
     WHERE v.version <= EXCLUDED.version`,
    [JSON.stringify(rows)],
  );
};

/** Rows of the projection whose stream does not exist (a rebuild removes them). */
const removeOrphanViews = async (db: Queryable): Promise<number> => {
  const { rowCount } = await db.query(`DELETE FROM "order".orders_view v WHERE NOT EXISTS (SELECT 1 FROM "order".order_events e WHERE e.stream_id = v.id)`);
  return rowCount ?? 0;
};

type ViewRow = { id: string; customer_id: string; document: OrderView; cursor_at: string };

const findView = async (db: Queryable, id: string): Promise<OrderView | undefined> => {
  if (!isUuid(id)) return undefined;
  const { rows } = await db.query<ViewRow>(`SELECT v.document FROM "order".orders_view v WHERE v.id = $1`, [id]);
  return rows[0]?.document;
};

export interface OrderFilter {
  customerId?: string;
  status?: OrderStatus;
}

/** Orders oldest first, filtered, a page at a time. */
const listViews = async (db: Queryable, filter: OrderFilter, page: PageRequest): Promise<Page<OrderView>> => {
  const limit = limitOf(page);
  const after = page.cursor === undefined ? undefined : decodeCursor(page.cursor);
  const params: unknown[] = [];
  const where: string[] = [];
  const param = (value: unknown): string => {
    params.push(value);
    return `$${params.length}`;
  };
  if (filter.customerId !== undefined) where.push(`v.customer_id = ${param(filter.customerId)}`);
  if (filter.status !== undefined) where.push(`v.status = ${param(filter.status)}`);
  if (after) where.push(`(v.created_at, v.id) > (${param(after.at)}::timestamptz, ${param(after.id)}::uuid)`);
  const { rows } = await db.query<ViewRow>(
    `SELECT v.id, v.document, ${cursorAt('v.created_at')} AS cursor_at FROM "order".orders_view v
     ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY v.created_at, v.id LIMIT ${param(limit + 1)}`,
    params,
  );
  return pageOf(rows, limit, (row) => row.document);
};

/** Orders whose current saga step is past its deadline at `now`, the most overdue first. */
const pastDeadline = async (db: Queryable, now: Date, limit: number): Promise<string[]> => {
  const { rows } = await db.query<{ id: string }>(
    `SELECT v.id FROM "order".orders_view v
     WHERE v.saga_deadline <= $1
     ORDER BY v.saga_deadline, v.id
     LIMIT $2`,
    [now, limit],
  );
  return rows.map((row) => row.id);
};

export const ordersView = {
  save: saveViews,
  removeOrphans: removeOrphanViews,
  find: findView,
  list: listViews,
  pastDeadline,
};

// ---- order numbers -----------------------------------------------------------------------------

/** The next order number of `year`, from a sequence: never repeated, gaps possible. */
const nextOrderNumber = async (tx: Queryable, year: number): Promise<string> => {
  const { rows } = await tx.query<{ n: number }>(`SELECT nextval('"order".order_numbers') AS n`);
  const sequence = rows[0]?.n;
  if (sequence === undefined) throw new Error('no order number');
  return formatOrderNumber(year, sequence);
};

export const orderNumbers = { next: nextOrderNumber };
