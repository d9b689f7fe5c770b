-- Billing's part of the order saga. An order has at most one live invoice: redelivered or repeated
-- invoice-requested events cannot invoice an order twice, even when two deliveries race (the
-- loser's insert fails and is retried, then finds the invoice). A cancelled or refunded invoice
-- is no longer live, so an admin may issue a corrected invoice for the order.
CREATE UNIQUE INDEX invoices_live_order ON billing.invoices (order_id)
  WHERE order_id IS NOT NULL AND status NOT IN ('cancelled', 'refunded');

-- Tombstones: orders whose cancellation Billing has seen. Events of an order arrive in any order,
-- so an invoice-requested that comes after the order's cancellation must invoice nothing.
CREATE TABLE billing.cancelled_orders (
  order_id uuid PRIMARY KEY,
  cancelled_at timestamptz NOT NULL,
  reason text NOT NULL
);
