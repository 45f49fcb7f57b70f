-- Jobs and executions (DESIGN §3). A job is what was asked for; it has one or more executions (one per
-- server of a multi-server run, one per retry attempt), each with its own status, exit code, timestamps,
-- log, token and target. The job keeps its status, start and end as a summary derived from them.

-- Where a job came from and what it belongs to (the scheduler, actions and workflows fill these in).
ALTER TABLE jobs ADD COLUMN source TEXT NOT NULL DEFAULT 'manual'
  CHECK (source IN ('manual', 'schedule', 'workflow', 'action', 'retry'));
ALTER TABLE jobs ADD COLUMN workflow_run_id TEXT;
ALTER TABLE jobs ADD COLUMN workflow_step_id TEXT;
ALTER TABLE jobs ADD COLUMN triggered_at INTEGER;       -- the schedule slot or trigger time, if any
ALTER TABLE jobs ADD COLUMN target_options_json TEXT;   -- what the request asked of its target (limits …)

CREATE TABLE executions (
  id            TEXT PRIMARY KEY,
  job_id        TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  attempt       INTEGER NOT NULL DEFAULT 1,
  server_id     TEXT,                 -- the server of a multi-server run
  target        TEXT NOT NULL,        -- as asked ('auto') until claimed, then the one it runs on
  status        TEXT NOT NULL CHECK (status IN ('queued', 'claimed', 'running', 'succeeded', 'failed',
                                               'cancelled', 'timed_out', 'partial')),
  options_json  TEXT,                 -- the executor's own options (container limits …): opaque here
  handle_json   TEXT,                 -- the executor's own way to find it again (pid, container id …)
  notice        TEXT,                 -- why `auto` chose its target, when the user should know
  created_at    INTEGER NOT NULL,
  claimed_at    INTEGER,
  started_at    INTEGER,
  finished_at   INTEGER,
  exit_code     INTEGER,
  signal        TEXT,
  last_error    TEXT,
  error_json    TEXT,
  log_lines     INTEGER NOT NULL DEFAULT 0,
  stdout_bytes  INTEGER NOT NULL DEFAULT 0,
  stderr_bytes  INTEGER NOT NULL DEFAULT 0,
  output_json   TEXT,
  condition     INTEGER
);
CREATE INDEX executions_by_job ON executions (job_id);
CREATE INDEX executions_by_status ON executions (status);

-- Every job stored so far ran once: its execution is made of its own columns. The id keeps the job's
-- random part ('job_x' → 'exe_x'), so nothing but the prefix has to be invented.
INSERT INTO executions (id, job_id, attempt, target, status, options_json, handle_json, created_at, claimed_at,
                        started_at, finished_at, exit_code, signal, last_error, error_json, log_lines,
                        stdout_bytes, stderr_bytes, output_json, condition)
SELECT 'exe_' || substr(id, 5), id, 1,
       CASE WHEN status = 'queued' THEN requested_target ELSE target END,
       status, container_json,
       CASE WHEN container_id IS NOT NULL THEN json_object('containerId', container_id)
            WHEN pid IS NOT NULL THEN json_object('pid', pid, 'pidStart', pid_start)
            ELSE NULL END,
       created_at, claimed_at, started_at, finished_at, exit_code, signal, last_error, error_json, log_lines,
       stdout_bytes, stderr_bytes, output_json, condition
FROM jobs ORDER BY rowid;

-- A queued job's container options become its request's target options (MiB and CPUs, as asked).
UPDATE jobs SET target_options_json = json_object(
    'network', json(CASE WHEN json_extract(container_json, '$.network') THEN 'true' ELSE 'false' END),
    'image', json_extract(container_json, '$.image'),
    'limits', json_object('memoryMb', json_extract(container_json, '$.memoryBytes') / 1048576.0,
                          'cpus', json_extract(container_json, '$.nanoCpus') / 1e9,
                          'pids', json_extract(container_json, '$.pidsLimit')))
  WHERE container_json IS NOT NULL;

-- Log lines belong to an execution.
CREATE TABLE execution_logs (
  execution_id TEXT NOT NULL,
  seq          INTEGER NOT NULL,
  stream       INTEGER NOT NULL,      -- 1 stdout, 2 stderr
  ts           INTEGER NOT NULL,
  data         NOT NULL,              -- TEXT when valid UTF-8, else the raw bytes as a BLOB
  partial      INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (execution_id, seq)
) WITHOUT ROWID;
INSERT INTO execution_logs (execution_id, seq, stream, ts, data, partial)
SELECT 'exe_' || substr(job_id, 5), seq, stream, ts, data, partial FROM job_logs;
DROP TABLE job_logs;

-- What moved to executions leaves the jobs table.
ALTER TABLE jobs DROP COLUMN target;
ALTER TABLE jobs DROP COLUMN claimed_at;
ALTER TABLE jobs DROP COLUMN exit_code;
ALTER TABLE jobs DROP COLUMN signal;
ALTER TABLE jobs DROP COLUMN pid;
ALTER TABLE jobs DROP COLUMN pid_start;
ALTER TABLE jobs DROP COLUMN last_error;
ALTER TABLE jobs DROP COLUMN error_json;
ALTER TABLE jobs DROP COLUMN log_lines;
ALTER TABLE jobs DROP COLUMN output_json;
ALTER TABLE jobs DROP COLUMN condition;
ALTER TABLE jobs DROP COLUMN container_json;
ALTER TABLE jobs DROP COLUMN container_id;
ALTER TABLE jobs DROP COLUMN stdout_bytes;
ALTER TABLE jobs DROP COLUMN stderr_bytes;

-- A job with one execution (all of them so far) has that execution's status, start and end: kept in the
-- same statement by this trigger, so the common path needs no transaction of its own. Jobs with more
-- executions (retries, several servers) are derived by the daemon (store/jobStatus.ts).
CREATE TRIGGER executions_summary_of_single_job
AFTER UPDATE OF status, started_at, finished_at ON executions
WHEN (SELECT count(*) FROM executions WHERE job_id = NEW.job_id) = 1
BEGIN
  UPDATE jobs SET status = NEW.status, started_at = NEW.started_at, finished_at = NEW.finished_at WHERE id = NEW.job_id;
END;
