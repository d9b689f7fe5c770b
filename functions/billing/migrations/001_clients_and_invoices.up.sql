-- Billing's own state: the clients invoices are addressed to, their invoices, the payments taken
-- against them, and one number counter per year so that invoice numbers are gapless (the counter
-- row is bumped in the sending transaction: a rollback gives the number back, concurrent sends
-- of one year queue on the row). Timestamps come from the application clock so tests can set it.

CREATE TABLE billing.clients (
  id uuid PRIMARY KEY,
  name text NOT NULL,
  email text NOT NULL,
  phone text,
  address jsonb,
  version integer NOT NULL CHECK (version >= 1),
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
-- One client per mailbox, whatever the case of the address.
CREATE UNIQUE INDEX clients_email_key ON billing.clients (lower(email));
CREATE INDEX clients_page ON billing.clients (created_at, id);

CREATE TABLE billing.invoices (
  id uuid PRIMARY KEY,
  number text UNIQUE,
  client_id uuid NOT NULL REFERENCES billing.clients (id),
  order_id uuid,
  status text NOT NULL CHECK (status IN ('draft', 'sent', 'overdue', 'paid', 'cancelled', 'refunded')),
  lines jsonb NOT NULL,
  currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  total_amount bigint NOT NULL CHECK (total_amount > 0),
  paid_amount bigint NOT NULL CHECK (paid_amount >= 0 AND paid_amount <= total_amount),
  issue_date date,
  due_date date NOT NULL,
  description text,
  sent_at timestamptz,
  paid_at timestamptz,
  cancelled_at timestamptz,
  refunded_at timestamptz,
  version integer NOT NULL CHECK (version >= 1),
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  -- A number is given exactly when an invoice is sent, and never taken back.
  CHECK ((number IS NULL) = (sent_at IS NULL)),
  CHECK (status IN ('draft', 'cancelled') OR number IS NOT NULL)
);
CREATE INDEX invoices_page ON billing.invoices (created_at, id);
CREATE INDEX invoices_client ON billing.invoices (client_id, created_at, id);
CREATE INDEX invoices_order ON billing.invoices (order_id) WHERE order_id IS NOT NULL;
-- The overdue sweep reads only sent invoices, by due date.
CREATE INDEX invoices_sent_due ON billing.invoices (due_date) WHERE status = 'sent';

CREATE TABLE billing.payments (
  id uuid PRIMARY KEY,
  invoice_id uuid NOT NULL REFERENCES billing.invoices (id),
  amount bigint NOT NULL CHECK (amount > 0),
  currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  reference text,
  received_at timestamptz NOT NULL
);
CREATE INDEX payments_invoice ON billing.payments (invoice_id, received_at, id);

CREATE TABLE billing.invoice_number_counters (
  year integer PRIMARY KEY,
  last integer NOT NULL CHECK (last >= 1)
);
