-- The Trigger that gave up on a dead letter (Knative does not send it: the sink learns it from the
-- subscriber, each Trigger being named after the function it delivers to). Numbered 004: versions 2
-- and 3 were once the local broker's tables and are still recorded as such in existing databases.
ALTER TABLE platform.dead_letters ADD COLUMN trigger text;
UPDATE platform.dead_letters SET trigger = subscriber WHERE trigger IS NULL;
CREATE INDEX dead_letters_by_type ON platform.dead_letters (type, state);
CREATE INDEX dead_letters_by_first_failure ON platform.dead_letters (first_failed_at, id);
