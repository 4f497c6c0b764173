-- Issue 7: a pipeline the user paused stays paused across engine restarts (the engine loads it as Paused and does
-- not start it with the enabled ones). Separate from `enabled`: a paused pipeline is still one that should run.
ALTER TABLE pipeline ADD COLUMN paused BOOLEAN DEFAULT FALSE NOT NULL;
