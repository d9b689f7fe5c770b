-- Reverts 003: drops the tombstones and the one-live-invoice-per-order rule.
DROP TABLE IF EXISTS billing.cancelled_orders;
DROP INDEX IF EXISTS billing.invoices_live_order;
