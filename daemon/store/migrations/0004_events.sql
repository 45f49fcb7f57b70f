-- Events (saved scripts with a schedule, DESIGN §3) and the slot ledger of the scheduler.

CREATE TABLE events (
  id                  TEXT PRIMARY KEY,            -- evt_ + 12 letters and digits
  name                TEXT NOT NULL UNIQUE,
  description         TEXT NOT NULL DEFAULT '',
  tags_json           TEXT NOT NULL DEFAULT '[]',
  type                TEXT NOT NULL CHECK (type IN ('bash', 'python', 'node', 'http')),
  script              TEXT,                        -- the script itself, or
  file                TEXT,                        -- a file read at each run (absolute path)
  http_json           TEXT,                        -- an HTTP request's method, URL, headers, body …
  target              TEXT NOT NULL DEFAULT 'auto',
  target_options_json TEXT,                        -- network and limits, as jobs/run takes them
  env_sealed          TEXT,                        -- AES-256-GCM sealed JSON, as for jobs
  env_keys            TEXT NOT NULL DEFAULT '[]',
  cwd                 TEXT,
  timeout_ms          INTEGER,
  retries_json        TEXT,                        -- count, backoff, on which outcomes
  status              TEXT NOT NULL CHECK (status IN ('active', 'paused', 'draft', 'archived')),
  max_runs            INTEGER,                     -- pause the event once this many slots fired
  run_count           INTEGER NOT NULL DEFAULT 0,
  overlap             TEXT NOT NULL CHECK (overlap IN ('allow', 'skip', 'queue', 'replace')),
  catch_up            TEXT NOT NULL CHECK (catch_up IN ('none', 'latest', 'all')),
  catch_up_window_ms  INTEGER NOT NULL,
  schedule_json       TEXT NOT NULL,               -- the normalized schedule (scheduler/schedule.ts)
  -- The scheduler's watermark: every slot up to here is decided (fired or recorded skipped).
  decided_through     INTEGER,
  created_at          INTEGER NOT NULL,
  updated_at          INTEGER NOT NULL
);

-- Every slot is written here before it fires: one row per event and slot time, so none fires twice.
CREATE TABLE event_slots (
  event_id      TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
  scheduled_for INTEGER NOT NULL,
  decided_at    INTEGER NOT NULL,
  decision      TEXT NOT NULL CHECK (decision IN ('firing', 'fired', 'skipped', 'failed')),
  job_id        TEXT,
  catch_up      INTEGER NOT NULL DEFAULT 0,
  reason        TEXT,                              -- why skipped, late or failed, in words
  PRIMARY KEY (event_id, scheduled_for)
) WITHOUT ROWID;
CREATE INDEX jobs_by_event ON jobs (event_id) WHERE event_id IS NOT NULL;
