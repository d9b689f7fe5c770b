-- Inventory's own state: the stock of each product, what each order holds of it, and what
-- Inventory has decided about each order. Timestamps come from the application clock so tests
-- can set it.
--
-- The guarantee that stock never goes below zero and is never reserved twice does not rest on
-- these constraints alone (see store.ts: per-order advisory lock, item rows locked in product id
-- order); they are the last line of defence, refusing any write that would break it whatever
-- the code above did.

-- One row per product. available = on_hand - reserved is derived, never stored.
CREATE TABLE inventory.items (
  product_id uuid PRIMARY KEY,
  on_hand integer NOT NULL,
  reserved integer NOT NULL,
  version integer NOT NULL CHECK (version >= 1),
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  -- Nothing negative, and never more reserved than is on hand (so on_hand >= 0 too).
  CONSTRAINT items_stock_never_negative CHECK (reserved >= 0 AND on_hand >= reserved)
);

-- What an order holds of a product: one row per (order, product), so an order can never reserve
-- a product twice, even if two deliveries of its order-placed raced past every other check.
-- A reservation is held (reserved), then either released (the order was cancelled) or shipped
-- (the stock left with the order); only held reservations count in items.reserved.
CREATE TABLE inventory.reservations (
  order_id uuid NOT NULL,
  product_id uuid NOT NULL REFERENCES inventory.items (product_id),
  quantity integer NOT NULL CHECK (quantity > 0),
  status text NOT NULL CHECK (status IN ('reserved', 'released', 'shipped')),
  reserved_at timestamptz NOT NULL,
  settled_at timestamptz,
  PRIMARY KEY (order_id, product_id),
  CHECK ((status = 'reserved') = (settled_at IS NULL))
);
CREATE INDEX reservations_held ON inventory.reservations (product_id) WHERE status = 'reserved';

-- Orders whose order-placed Inventory has decided: reserved, or failed for lack of stock. An
-- order-placed that comes again under another event id finds its decision and does nothing, so
-- an order gets one answer, never a failure and then a reservation.
CREATE TABLE inventory.placed_orders (
  order_id uuid PRIMARY KEY,
  outcome text NOT NULL CHECK (outcome IN ('reserved', 'failed')),
  decided_at timestamptz NOT NULL
);

-- Tombstones: orders whose cancellation Inventory has seen. Events of an order arrive in any
-- order, so an order-placed that comes after the order's cancellation must reserve nothing.
CREATE TABLE inventory.cancelled_orders (
  order_id uuid PRIMARY KEY,
  cancelled_at timestamptz NOT NULL,
  reason text NOT NULL
);
