-- Job ids are never reused. Finishing a job is fenced on (id, claim count); with a plain
-- INTEGER PRIMARY KEY SQLite hands a deleted job's id to the next insert, so a job written in
-- the transaction that finished another (a follow-up claimed at insert, claim count 1) could
-- be finished, and deleted, by the first job's stale worker. AUTOINCREMENT never reuses an id.
CREATE TABLE jobs_v3 (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    account_sid TEXT,
    message_sid TEXT,
    due_at INTEGER NOT NULL,
    leased_until INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0,
    payload TEXT NOT NULL
);
INSERT INTO jobs_v3 (id, kind, account_sid, message_sid, due_at, leased_until, attempts, payload)
SELECT id, kind, account_sid, message_sid, due_at, leased_until, attempts, payload FROM jobs;
DROP TABLE jobs;
ALTER TABLE jobs_v3 RENAME TO jobs;
CREATE INDEX jobs_due ON jobs (leased_until, due_at);
