-- Reverts 001: drops Billing's tables, dependants first.
DROP TABLE IF EXISTS billing.invoice_number_counters;
DROP TABLE IF EXISTS billing.payments;
DROP TABLE IF EXISTS billing.invoices;
DROP TABLE IF EXISTS billing.clients;
