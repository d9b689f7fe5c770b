-- What the order journey page of `npm start` reads beside the broker's tables. The spans it
-- receives over OTLP (/v1/traces), kept in the local database, so a journey read after a restart
-- still has its waterfall; bounded: the receiver deletes the oldest spans past
-- OTLP_RECEIVER_MAX_SPANS. `seq` is the order of arrival, which the pruning follows. span_keys
-- indexes the traces by what the page searches for (an order's id or number, a correlation id, an
-- event's id or subject) as the spans' attributes name them.
CREATE TABLE IF NOT EXISTS platform.spans (
  seq bigserial UNIQUE,
  trace_id text NOT NULL,
  span_id text NOT NULL,
  parent_span_id text,
  name text NOT NULL,
  kind smallint NOT NULL,
  service text,
  start_us bigint NOT NULL,
  end_us bigint NOT NULL,
  status_code smallint NOT NULL,
  status_message text,
  attributes jsonb NOT NULL,
  events jsonb NOT NULL,
  PRIMARY KEY (trace_id, span_id)
);
CREATE TABLE IF NOT EXISTS platform.span_keys (
  key text NOT NULL,
  trace_id text NOT NULL,
  seq bigint NOT NULL,
  PRIMARY KEY (key, trace_id)
);
CREATE INDEX IF NOT EXISTS span_keys_seq ON platform.span_keys (seq);
-- The page's "events now" reads the last minutes of the broker's log by time of acceptance.
CREATE INDEX IF NOT EXISTS broker_events_accepted ON platform.broker_events (accepted_at);
CREATE INDEX IF NOT EXISTS kafka_broker_events_accepted ON platform.kafka_broker_events (accepted_at);
