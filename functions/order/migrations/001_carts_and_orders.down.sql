-- Reverts 001: drops Order's tables, the projection first, then the streams and carts.
DROP TABLE IF EXISTS "order".orders_view;
DROP SEQUENCE IF EXISTS "order".order_numbers;
DROP TABLE IF EXISTS "order".order_events;
DROP FUNCTION IF EXISTS "order".order_events_append_only();
DROP TABLE IF EXISTS "order".carts;
