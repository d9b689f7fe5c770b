-- Order's own state. The schema is named "order", a reserved word: every name is quoted.
--
-- Carts are plain rows (state, not events): a customer's shopping list, with the name and price
-- Catalog gave for each item; an open cart expires when expires_at passes (the schedule marks it).
--
-- Orders are event-sourced: order_events is the truth, one stream per order, append-only. Its
-- primary key (stream_id, version) is the optimistic concurrency check: two writers that read the
-- same version both try to append version n + 1, and the second one's insert fails (409, retried).
-- orders_view is the projection the queries read, written in the transaction of each append and
-- rebuildable from the streams at any time. Timestamps come from the application clock so tests
-- can set it.

CREATE TABLE "order".carts (
  id uuid PRIMARY KEY,
  customer_id uuid NOT NULL,
  status text NOT NULL CHECK (status IN ('open', 'checked-out', 'expired')),
  items jsonb NOT NULL,
  expires_at timestamptz NOT NULL,
  order_id uuid UNIQUE,
  checked_out_at timestamptz,
  expired_at timestamptz,
  version integer NOT NULL CHECK (version >= 1),
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  CHECK ((status = 'checked-out') = (order_id IS NOT NULL AND checked_out_at IS NOT NULL)),
  CHECK ((status = 'expired') = (expired_at IS NOT NULL))
);
-- The expiry schedule reads only open carts, by the time they expire.
CREATE INDEX carts_expiring ON "order".carts (expires_at) WHERE status = 'open';

CREATE TABLE "order".order_events (
  stream_id uuid NOT NULL,
  version integer NOT NULL CHECK (version >= 1),
  type text NOT NULL,
  data jsonb NOT NULL,
  metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
  occurred_at timestamptz NOT NULL,
  -- The order events were written in, across streams (a rebuild or a subscriber may follow it).
  seq bigserial NOT NULL UNIQUE,
  PRIMARY KEY (stream_id, version)
);

-- Append-only: an event, once written, is never changed or removed.
CREATE FUNCTION "order".order_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'order.order_events is append-only: % refused', TG_OP USING ERRCODE = 'restrict_violation';
END;
$$;
CREATE TRIGGER order_events_append_only BEFORE UPDATE OR DELETE ON "order".order_events
  FOR EACH ROW EXECUTE FUNCTION "order".order_events_append_only();

-- Human order numbers, ORD-<year>-<6 digits>: a sequence, so gaps are possible (a rolled back
-- checkout keeps its number) and numbers never repeat.
CREATE SEQUENCE "order".order_numbers;

-- The projection: one row per order, `document` the order as GET /orders/{id} answers it (json,
-- not jsonb, so it comes back exactly as written), beside the columns the queries filter on.
CREATE TABLE "order".orders_view (
  id uuid PRIMARY KEY,
  number text NOT NULL UNIQUE,
  customer_id uuid NOT NULL,
  status text NOT NULL CHECK (status IN ('pending', 'confirmed', 'processing', 'shipped', 'delivered', 'cancelled')),
  saga_step text NOT NULL,
  -- Set only while the current step has a deadline; the sweep reads these.
  saga_deadline timestamptz,
  version integer NOT NULL CHECK (version >= 1),
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  document json NOT NULL
);
CREATE INDEX orders_view_page ON "order".orders_view (created_at, id);
CREATE INDEX orders_view_customer ON "order".orders_view (customer_id, created_at, id);
CREATE INDEX orders_view_status ON "order".orders_view (status, created_at, id);
CREATE INDEX orders_view_deadline ON "order".orders_view (saga_deadline) WHERE saga_deadline IS NOT NULL;
