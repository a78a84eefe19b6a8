-- Lists that stay fast as the store grows (docs/performance.md, "Issue 18").
--
-- A message list filtered by To or From (Messages.json, the assertion API, the dashboard's
-- finder) reads the newest rows of that address, not every row of the account: each index
-- ends in seq, the order of every list. The dashboard's per-minute chart reads its 30 minutes
-- through date_created. The outbox finds its earliest lease to lapse among the leased jobs
-- alone (at most the running ones), not among every waiting job.
CREATE INDEX messages_to ON messages (to_addr, seq);
CREATE INDEX messages_from ON messages (from_addr, seq);
CREATE INDEX messages_created ON messages (date_created);
CREATE INDEX jobs_leased ON jobs (leased_until) WHERE leased_until IS NOT NULL;
