-- The SHA-256 of the script each job ran (an event's file is read at each run: this tells the runs apart).
ALTER TABLE jobs ADD COLUMN script_sha256 TEXT;
