-- The trace of the local broker when Kafka backs it. Kafka holds the events and the consumer
-- groups' offsets; these rows only record what was accepted and how each delivery ended, for the
-- broker's admin views (GET /broker/events). Rows are written in batches and may trail Kafka by
-- a moment; deliveries are upserted, so their rows may be written before their event's.
CREATE TABLE IF NOT EXISTS platform.kafka_broker_events (
  accept_id uuid PRIMARY KEY,
  seq bigserial UNIQUE,
  topic text NOT NULL,
  id text NOT NULL,
  source text NOT NULL,
  type text NOT NULL,
  subject text,
  correlation_id text,
  event jsonb NOT NULL,
  accepted_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS kafka_broker_events_type ON platform.kafka_broker_events (type, seq);
CREATE INDEX IF NOT EXISTS kafka_broker_events_subject ON platform.kafka_broker_events (subject, seq);
CREATE INDEX IF NOT EXISTS kafka_broker_events_correlation ON platform.kafka_broker_events (correlation_id, seq);
CREATE TABLE IF NOT EXISTS platform.kafka_broker_deliveries (
  accept_id uuid NOT NULL,
  trigger text NOT NULL,
  subscriber text NOT NULL,
  state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'dead')),
  attempts integer NOT NULL DEFAULT 0,
  last_status integer,
  last_error text,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (accept_id, trigger)
);
