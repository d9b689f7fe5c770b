-- Reverts 001: drops Shipping's tables.
DROP TABLE IF EXISTS shipping.cancelled_orders;
DROP TABLE IF EXISTS shipping.shipments;
