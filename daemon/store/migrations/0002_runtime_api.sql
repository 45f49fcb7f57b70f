-- Runtime API state of a job, container details, and per-stream stored bytes (to resume a re-adopted
-- container's output exactly after what was stored).
ALTER TABLE jobs ADD COLUMN event_id TEXT;
ALTER TABLE jobs ADD COLUMN input_json TEXT;
ALTER TABLE jobs ADD COLUMN output_json TEXT;
ALTER TABLE jobs ADD COLUMN condition INTEGER;          -- NULL: not set; 0 / 1
ALTER TABLE jobs ADD COLUMN container_json TEXT;        -- ContainerOptions of a container job
ALTER TABLE jobs ADD COLUMN container_id TEXT;
ALTER TABLE jobs ADD COLUMN stdout_bytes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN stderr_bytes INTEGER NOT NULL DEFAULT 0;
