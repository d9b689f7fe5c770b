DROP INDEX customer.login_failures_source;
ALTER TABLE customer.login_failures DROP COLUMN source;
DROP TABLE customer.email_verifications;
ALTER TABLE customer.customers DROP COLUMN email_verified_at;
