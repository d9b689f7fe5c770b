DROP TABLE platform.broker_deliveries;
DROP TABLE platform.broker_events;
