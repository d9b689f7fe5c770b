-- What a Trigger gave up on, kept by platform-dead-letters (every Trigger's deadLetterSink).
-- One row per (event, destination): a replay that fails again updates it rather than adding one.
CREATE TABLE platform.dead_letters (
  id uuid PRIMARY KEY,
  event_id text NOT NULL,
  type text NOT NULL,
  source text NOT NULL,
  subject text,
  correlation_id text,
  event jsonb NOT NULL,
  destination text NOT NULL,
  subscriber text NOT NULL,
  status integer,
  error text,
  failures integer NOT NULL DEFAULT 1,
  state text NOT NULL DEFAULT 'dead' CHECK (state IN ('dead', 'replayed', 'discarded')),
  first_failed_at timestamptz NOT NULL DEFAULT now(),
  last_failed_at timestamptz NOT NULL DEFAULT now(),
  replayed_at timestamptz,
  discarded_at timestamptz,
  discard_reason text,
  UNIQUE (event_id, source, destination)
);
CREATE INDEX dead_letters_by_subscriber ON platform.dead_letters (subscriber, state);
