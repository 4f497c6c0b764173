-- Issue 3: a resync recorded with no engine running must survive until the next run. In a --snapshot no pipeline
-- phase INIT alone means "stream only, no copy", so the request to copy the table again is kept apart.
ALTER TABLE table_selection ADD COLUMN copy_requested BOOLEAN DEFAULT FALSE NOT NULL;
