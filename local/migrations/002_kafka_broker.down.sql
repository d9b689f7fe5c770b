DROP TABLE IF EXISTS platform.kafka_broker_deliveries;
DROP TABLE IF EXISTS platform.kafka_broker_events;
