-- An Event Streams batch reads its own sink's waiting events, not every waiting job
-- (docs/performance.md, "Issue 18"): claim_event_batch seeks to the sink and reads its events
-- in (due_at, id) order, so a batch costs its own rows however many jobs wait for other sinks
-- or other kinds. Only event jobs are indexed; the expression is the query's own.
CREATE INDEX jobs_event_sink ON jobs (json_extract(payload, '$.sink_sid'), due_at, id)
WHERE kind = 'event';
