-- Conditional actions of events (issue 8, item 7): what runs or is sent when a job of the event ends,
-- and what came of each on the job.

CREATE TABLE event_actions (
  id            TEXT PRIMARY KEY,                    -- act_ + 12 letters and digits
  event_id      TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
  trigger       TEXT NOT NULL CHECK (trigger IN ('success', 'failure', 'always', 'condition')),
  kind          TEXT NOT NULL CHECK (kind IN ('run', 'webhook', 'slack', 'discord', 'email')),
  -- The event to run (its id), the URL or the address, AES-256-GCM sealed: Slack and Discord URLs are
  -- credentials, and a webhook's URL often carries a token.
  target_sealed TEXT NOT NULL,
  -- What listings show of the target, with nothing secret in it (the URL's origin, the address).
  target_shown  TEXT NOT NULL,
  template      TEXT,                                -- mustache; NULL: the kind's default message
  options_json  TEXT,                                -- {subject?, hmacSealed?}
  created_at    INTEGER NOT NULL
);
CREATE INDEX event_actions_by_event ON event_actions (event_id, created_at);

-- One row per action that ran for a job. No reference to event_actions: a result outlives its action.
CREATE TABLE job_action_results (
  id             INTEGER PRIMARY KEY,
  job_id         TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  action_id      TEXT NOT NULL,
  kind           TEXT NOT NULL,
  trigger        TEXT NOT NULL,
  status         TEXT NOT NULL CHECK (status IN ('ok', 'failed')),
  detail         TEXT NOT NULL,                      -- `HTTP 200`, the chained job, or the error (redacted)
  chained_job_id TEXT,
  at             INTEGER NOT NULL
);
CREATE INDEX job_action_results_by_job ON job_action_results (job_id);
CREATE INDEX job_action_results_by_action ON job_action_results (action_id, at);
