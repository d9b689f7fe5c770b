-- The local platform's broker, durable in the embedded database: every accepted event, and one
-- delivery per matching Trigger with its state, so a restart neither loses nor repeats work.
-- These tables are the local platform's alone (never migrated into production). Data directories
-- made while they were platform migrations 2 and 3 already have them, hence IF NOT EXISTS, and give
-- those version numbers back to the platform context.
DELETE FROM platform.migrations WHERE context = 'platform' AND version IN (2, 3) AND name IN ('broker', 'kafka_broker');
CREATE TABLE IF NOT EXISTS platform.broker_events (
  seq bigserial PRIMARY KEY,
  id text NOT NULL,
  source text NOT NULL,
  type text NOT NULL,
  subject text,
  correlation_id text,
  event jsonb NOT NULL,
  accepted_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS broker_events_type ON platform.broker_events (type, seq);
CREATE INDEX IF NOT EXISTS broker_events_correlation ON platform.broker_events (correlation_id, seq);
CREATE TABLE IF NOT EXISTS platform.broker_deliveries (
  event_seq bigint NOT NULL REFERENCES platform.broker_events (seq) ON DELETE CASCADE,
  trigger text NOT NULL,
  subscriber text NOT NULL,
  partition_key text NOT NULL,
  ordered boolean NOT NULL DEFAULT false,
  state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'dead')),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  claimed_until timestamptz,
  last_status integer,
  last_error text,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (event_seq, trigger)
);
CREATE INDEX IF NOT EXISTS broker_deliveries_due ON platform.broker_deliveries (next_attempt_at) WHERE state = 'pending';
