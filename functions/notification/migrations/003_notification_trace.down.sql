-- Reverts 003: the emails no longer keep the trace context that recorded them.
ALTER TABLE notification.notifications DROP COLUMN traceparent, DROP COLUMN tracestate;
