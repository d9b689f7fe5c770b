DROP TABLE IF EXISTS platform.broker_deliveries;
DROP TABLE IF EXISTS platform.broker_events;
