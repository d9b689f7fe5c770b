-- Notification's own state: its copy of the contacts it writes to (so sending never asks Customer
-- or Billing), and every email it was asked to send with where its sending stands. Timestamps
-- come from the application clock so tests can set it.

-- Contacts as the events last described them, keyed by the id in the event: a customer
-- (customer-registered, customer-updated) or a Billing client (client-created, client-updated).
-- A customer's client usually has the customer's id; the kinds keep the two apart anyway.
CREATE TABLE notification.contacts (
  kind text NOT NULL CHECK (kind IN ('customer', 'client')),
  id uuid NOT NULL,
  email text NOT NULL,
  name text NOT NULL,
  -- The time of the event these values come from: a late event older than it changes nothing.
  as_of timestamptz NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (kind, id)
);

-- One row per email, rendered when its event was handled. At most one email per event: the unique
-- key (event_id, kind) holds even where the runtime's inbox entry of the event has been pruned.
-- pending -> sending (claimed and committed before any SMTP) -> sent | pending (refused or never
-- handed over: tried again later) | failed | unknown (may have been accepted: never sent again).
-- not-sent: no SMTP server configured.
CREATE TABLE notification.notifications (
  id uuid PRIMARY KEY,
  event_id text NOT NULL,
  event_type text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('welcome', 'order-confirmed', 'order-cancelled', 'order-shipped',
                                     'order-delivered', 'invoice-sent', 'invoice-overdue')),
  -- The customer, order or invoice the email is about.
  about uuid NOT NULL,
  recipient_kind text NOT NULL CHECK (recipient_kind IN ('customer', 'client')),
  recipient_id uuid NOT NULL,
  to_address text NOT NULL,
  to_name text NOT NULL,
  subject text NOT NULL,
  text_body text NOT NULL,
  html_body text NOT NULL,
  status text NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'not-sent', 'unknown')),
  attempts integer NOT NULL CHECK (attempts >= 0),
  next_attempt_at timestamptz,
  -- The sender that claimed it (kept after an expired lease, so that sender can still record it sent).
  claim_id uuid,
  claimed_until timestamptz,
  last_error text,
  sent_at timestamptz,
  version integer NOT NULL CHECK (version >= 1),
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  CONSTRAINT notifications_once_per_event UNIQUE (event_id, kind),
  CHECK ((status = 'pending') = (next_attempt_at IS NOT NULL)),
  CHECK ((status = 'sending') = (claimed_until IS NOT NULL)),
  CHECK ((status = 'sent') = (sent_at IS NOT NULL))
);
CREATE INDEX notifications_due ON notification.notifications (next_attempt_at, created_at, id) WHERE status = 'pending';
CREATE INDEX notifications_sending ON notification.notifications (claimed_until) WHERE status = 'sending';
CREATE INDEX notifications_by_recipient ON notification.notifications (recipient_id, created_at DESC, id DESC);
CREATE INDEX notifications_by_time ON notification.notifications (created_at DESC, id DESC);
CREATE INDEX notifications_about ON notification.notifications (about, kind);
