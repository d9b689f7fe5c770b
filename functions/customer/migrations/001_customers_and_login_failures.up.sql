-- Customer's own state: the accounts (customers and admins) with their password hashes, and the
-- failed login attempts that throttle guessing. Failures live in the database, not in a function
-- instance's memory, so every instance of the login function counts the same attempts; they are
-- keyed by lower(email), and kept for unknown emails too, so a lockout reveals no account.
-- Timestamps come from the application clock so tests can set it.

CREATE TABLE customer.customers (
  id uuid PRIMARY KEY,
  email text NOT NULL,
  name text NOT NULL,
  role text NOT NULL CHECK (role IN ('customer', 'admin')),
  -- scrypt$N$r$p$salt$key: the parameters travel with each hash, so they can be raised later.
  password_hash text NOT NULL CHECK (password_hash LIKE 'scrypt$%'),
  phone text,
  address jsonb,
  version integer NOT NULL CHECK (version >= 1),
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
-- One account per mailbox, whatever the case of the address; the email is stored as given.
CREATE UNIQUE INDEX customers_email_key ON customer.customers (lower(email));
CREATE INDEX customers_page ON customer.customers (created_at, id);

-- An attempt is written before its password is checked and deleted when the login succeeds, so
-- an attempt counts as failed unless it is known to have succeeded.
CREATE TABLE customer.login_failures (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  email_key text NOT NULL,
  failed_at timestamptz NOT NULL
);
CREATE INDEX login_failures_email ON customer.login_failures (email_key, failed_at);
-- Expired attempts of every email are pruned by age.
CREATE INDEX login_failures_age ON customer.login_failures (failed_at);
