-- Reverts 002: clients forget which customer they belong to (the column's unique index goes with it).
ALTER TABLE billing.clients DROP COLUMN IF EXISTS customer_id;
