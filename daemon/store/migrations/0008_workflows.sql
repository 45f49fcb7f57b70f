-- Workflows (issue 9): graphs of steps with conditional edges, read from NAME.cronium.json files; their
-- runs with one row per step; the slot ledger of their schedules; webhook deliveries seen (replays).

CREATE TABLE workflows (
  id              TEXT PRIMARY KEY,               -- wf_ + 12 letters and digits
  name            TEXT NOT NULL UNIQUE,
  file            TEXT UNIQUE,                    -- absolute path of its file; NULL: saved through the protocol only
  document_json   TEXT NOT NULL,                  -- the last valid version (canonical form)
  problems_json   TEXT,                           -- the reasons the file's latest edit is invalid, if it is
  decided_through INTEGER,                        -- schedule watermark: every slot up to here is decided
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL
);

CREATE TABLE workflow_runs (
  id            TEXT PRIMARY KEY,                 -- wfr_ + 12
  workflow_id   TEXT NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
  workflow_name TEXT NOT NULL,
  document_json TEXT NOT NULL,                    -- the version it runs: a later edit does not change it
  status        TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'partial', 'cancelled')),
  trigger       TEXT NOT NULL CHECK (trigger IN ('manual', 'schedule', 'webhook')),
  input_json    TEXT,
  resumes       INTEGER NOT NULL DEFAULT 0,
  created_at    INTEGER NOT NULL,
  finished_at   INTEGER
);
CREATE INDEX workflow_runs_by_workflow ON workflow_runs (workflow_id, created_at);
CREATE INDEX workflow_runs_by_status ON workflow_runs (status);

CREATE TABLE workflow_steps (
  run_id      TEXT NOT NULL REFERENCES workflow_runs (id) ON DELETE CASCADE,
  node_id     TEXT NOT NULL,
  seq         INTEGER NOT NULL,                   -- the node's place in the document
  status      TEXT NOT NULL CHECK (status IN ('pending', 'running', 'succeeded', 'failed', 'cancelled', 'timed_out', 'skipped')),
  attempt     INTEGER NOT NULL DEFAULT 0,
  job_id      TEXT,                               -- the latest attempt's job (each attempt is a job)
  input_json  TEXT,                               -- recorded when the step starts: a resume runs it again with it
  output_json TEXT,
  condition   INTEGER,
  started_at  INTEGER,
  finished_at INTEGER,
  reason      TEXT,
  PRIMARY KEY (run_id, node_id)
) WITHOUT ROWID;
CREATE INDEX jobs_by_workflow_run ON jobs (workflow_run_id) WHERE workflow_run_id IS NOT NULL;

-- As event_slots: a slot is written here before its run exists, so none fires twice.
CREATE TABLE workflow_slots (
  workflow_id   TEXT NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
  scheduled_for INTEGER NOT NULL,
  decided_at    INTEGER NOT NULL,
  decision      TEXT NOT NULL CHECK (decision IN ('firing', 'fired', 'skipped', 'failed')),
  run_id        TEXT,
  reason        TEXT,
  PRIMARY KEY (workflow_id, scheduled_for)
) WITHOUT ROWID;

-- Signatures of webhook deliveries accepted within the timestamp window: the same one again is a replay.
CREATE TABLE webhook_deliveries (
  signature   TEXT PRIMARY KEY,
  workflow_id TEXT NOT NULL,
  received_at INTEGER NOT NULL
) WITHOUT ROWID;
