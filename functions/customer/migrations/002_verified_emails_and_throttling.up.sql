-- An email belongs to an account once its owner has proved they read it: email_verified_at is
-- set when a verification token comes back. Accounts made before this migration are unverified
-- until they verify (the links Billing made for them stay as they are).
ALTER TABLE customer.customers ADD COLUMN email_verified_at timestamptz;

-- The outstanding verification tokens, by their SHA-256 (a leaked table verifies nothing). A
-- token is used once (deleted when it verifies), expires, and a new request replaces the old.
CREATE TABLE customer.email_verifications (
  token_hash text PRIMARY KEY,
  customer_id uuid NOT NULL REFERENCES customer.customers (id) ON DELETE CASCADE,
  expires_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL
);
CREATE INDEX email_verifications_customer ON customer.email_verifications (customer_id);

-- Failures are also counted per source (the client's address), across accounts, so one caller
-- trying many accounts is slowed as much as many callers trying one.
ALTER TABLE customer.login_failures ADD COLUMN source text NOT NULL DEFAULT '';
CREATE INDEX login_failures_source ON customer.login_failures (source, failed_at);
