-- Reverts 001: drops Inventory's tables, dependants first.
DROP TABLE IF EXISTS inventory.cancelled_orders;
DROP TABLE IF EXISTS inventory.placed_orders;
DROP TABLE IF EXISTS inventory.reservations;
DROP TABLE IF EXISTS inventory.items;
