-- Jobs: one row per run of a script. Times are milliseconds since the epoch.
CREATE TABLE jobs (
  id               TEXT PRIMARY KEY,
  name             TEXT NOT NULL,
  runtime          TEXT NOT NULL CHECK (runtime IN ('bash', 'python', 'node')),
  target           TEXT NOT NULL,
  requested_target TEXT NOT NULL,
  status           TEXT NOT NULL CHECK (status IN ('queued', 'claimed', 'running', 'succeeded', 'failed',
                                                  'cancelled', 'timed_out', 'partial')),
  script           TEXT NOT NULL,
  script_name      TEXT,
  cwd              TEXT,
  env_sealed       TEXT,               -- AES-256-GCM sealed JSON: values may be secrets
  env_keys         TEXT NOT NULL DEFAULT '[]',
  timeout_ms       INTEGER,
  created_at       INTEGER NOT NULL,
  claimed_at       INTEGER,
  started_at       INTEGER,
  finished_at      INTEGER,
  exit_code        INTEGER,
  signal           TEXT,
  pid              INTEGER,
  pid_start        TEXT,               -- process start time from /proc, to tell a reused pid apart
  last_error       TEXT,
  error_json       TEXT,
  log_lines        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX jobs_by_status ON jobs (status);

-- Log lines. data is TEXT when the line is valid UTF-8, else the raw bytes as a BLOB.
CREATE TABLE job_logs (
  job_id  TEXT NOT NULL,
  seq     INTEGER NOT NULL,
  stream  INTEGER NOT NULL,            -- 1 stdout, 2 stderr
  ts      INTEGER NOT NULL,
  data    NOT NULL,
  partial INTEGER NOT NULL DEFAULT 0,  -- 1: the next line of the stream continues this one
  PRIMARY KEY (job_id, seq)
) WITHOUT ROWID;

CREATE TABLE variables (
  key         TEXT PRIMARY KEY,
  value       TEXT NOT NULL,           -- sealed when secret = 1
  secret      INTEGER NOT NULL DEFAULT 0,
  description TEXT,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);

CREATE TABLE settings (
  key        TEXT PRIMARY KEY,
  value      TEXT NOT NULL,            -- JSON
  updated_at INTEGER NOT NULL
);
