-- Reverts 001: drops Customer's tables.
DROP TABLE IF EXISTS customer.login_failures;
DROP TABLE IF EXISTS customer.customers;
