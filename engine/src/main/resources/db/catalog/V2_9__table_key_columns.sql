-- A key column renamed, replaced or dropped while the engine is stopped must stop the table on the next start, as it
-- does while the engine runs; Snowflake's DESCRIBE has no key flags, so the key each table's destination is merged on
-- is kept here (a JSON array of source column names). NULL: not recorded yet (a pipeline from an earlier build); the
-- next start records the source's key without comparing.
ALTER TABLE table_selection ADD COLUMN key_columns VARCHAR(16384);
