DROP INDEX IF EXISTS platform.kafka_broker_events_accepted;
DROP INDEX IF EXISTS platform.broker_events_accepted;
DROP TABLE IF EXISTS platform.span_keys;
DROP TABLE IF EXISTS platform.spans;
