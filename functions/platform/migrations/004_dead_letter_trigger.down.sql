DROP INDEX platform.dead_letters_by_first_failure;
DROP INDEX platform.dead_letters_by_type;
ALTER TABLE platform.dead_letters DROP COLUMN trigger;
