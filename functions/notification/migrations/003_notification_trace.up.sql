-- The trace context (W3C `traceparent`, `tracestate`) of the span that recorded each email, so
-- that its SMTP send shows in the trace of the event that asked for it (an order's trace), whichever
-- sender run claims it later: the handler's own run after its commit, another handler's, or the
-- schedule's. NULL when no trace was recorded (telemetry off, or rows older than this migration).
ALTER TABLE notification.notifications ADD COLUMN traceparent text, ADD COLUMN tracestate text;
