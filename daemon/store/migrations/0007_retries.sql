-- Retries: a job's policy (count, backoff, on which outcomes), and a queued execution's earliest start
-- (a retry waits out its backoff in the store, so a restarted daemon still runs it, on time).
ALTER TABLE jobs ADD COLUMN retries_json TEXT;
ALTER TABLE executions ADD COLUMN not_before INTEGER;
