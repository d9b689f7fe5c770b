DROP TABLE IF EXISTS platform.span_keys;
DROP TABLE IF EXISTS platform.spans;
