-- Shipping's own state: one shipment per paid order, and the orders whose cancellation Shipping
-- has seen. Timestamps come from the application clock so tests can set it.
--
-- One shipment per order, whatever the redeliveries, rests on the per-order advisory lock that
-- both handlers take first (see store.ts); the constraints below are the last line of defence.

-- preparing -> dispatched -> delivered; preparing -> cancelled. The dates and the carrier a status
-- implies are there exactly when it holds, so no row can claim a move that never happened.
CREATE TABLE shipping.shipments (
  id uuid PRIMARY KEY,
  -- One shipment per order: a second order-paid of the order can never make another.
  order_id uuid NOT NULL UNIQUE,
  order_number text,
  customer_id uuid NOT NULL,
  status text NOT NULL CHECK (status IN ('preparing', 'dispatched', 'delivered', 'cancelled')),
  lines jsonb NOT NULL CHECK (jsonb_typeof(lines) = 'array' AND jsonb_array_length(lines) > 0),
  shipping_address jsonb NOT NULL,
  carrier text,
  tracking_number text,
  dispatched_at timestamptz,
  delivered_at timestamptz,
  cancelled_at timestamptz,
  history jsonb NOT NULL CHECK (jsonb_typeof(history) = 'array'),
  version integer NOT NULL CHECK (version >= 1),
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  CONSTRAINT shipments_status_fields CHECK (
    CASE status
      WHEN 'preparing' THEN carrier IS NULL AND tracking_number IS NULL AND dispatched_at IS NULL
        AND delivered_at IS NULL AND cancelled_at IS NULL
      WHEN 'dispatched' THEN carrier IS NOT NULL AND tracking_number IS NOT NULL AND dispatched_at IS NOT NULL
        AND delivered_at IS NULL AND cancelled_at IS NULL
      WHEN 'delivered' THEN carrier IS NOT NULL AND tracking_number IS NOT NULL AND dispatched_at IS NOT NULL
        AND delivered_at IS NOT NULL AND cancelled_at IS NULL
      WHEN 'cancelled' THEN carrier IS NULL AND tracking_number IS NULL AND dispatched_at IS NULL
        AND delivered_at IS NULL AND cancelled_at IS NOT NULL
      ELSE false
    END
  )
);
-- Lists page by (created_at, id), filtered by customer or status (an admin's "what to pack").
CREATE INDEX shipments_created ON shipping.shipments (created_at, id);
CREATE INDEX shipments_customer ON shipping.shipments (customer_id, created_at, id);
CREATE INDEX shipments_status ON shipping.shipments (status, created_at, id);

-- Tombstones: orders whose cancellation Shipping has seen. Events of an order arrive in any order,
-- so an order-paid that comes after the order's cancellation must ship nothing.
CREATE TABLE shipping.cancelled_orders (
  order_id uuid PRIMARY KEY,
  cancelled_at timestamptz NOT NULL,
  reason text NOT NULL
);
