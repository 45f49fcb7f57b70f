-- SSH servers jobs can run on (issue 11). Secrets are AES-256-GCM sealed with the master key; the host
-- key is pinned on trust (type and SHA-256 fingerprint as OpenSSH prints it).
CREATE TABLE servers (
  id                   TEXT PRIMARY KEY,            -- srv_ + 12 letters and digits
  name                 TEXT NOT NULL UNIQUE,
  host                 TEXT NOT NULL,
  port                 INTEGER NOT NULL DEFAULT 22,
  username             TEXT NOT NULL,
  auth                 TEXT NOT NULL CHECK (auth IN ('key', 'password', 'agent')),
  key_sealed           TEXT,
  passphrase_sealed    TEXT,
  password_sealed      TEXT,
  agent_socket         TEXT,
  jump_server_id       TEXT REFERENCES servers (id) ON DELETE RESTRICT,  -- ProxyJump through this server
  host_key_type        TEXT,
  host_key_fingerprint TEXT,
  trusted_at           INTEGER,
  last_check_at        INTEGER,
  last_check_ok        INTEGER,                     -- 0 / 1
  last_latency_ms      INTEGER,
  last_error           TEXT,
  created_at           INTEGER NOT NULL,
  updated_at           INTEGER NOT NULL
);

-- The servers an event's runs go to (their ids, JSON); NULL: the event's target alone.
ALTER TABLE events ADD COLUMN servers_json TEXT;
