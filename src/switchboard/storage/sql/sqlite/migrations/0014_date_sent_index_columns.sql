-- PostgreSQL's 0014 rebuilds messages_sent to carry date_sent and date_created, so that
-- counting a range of dates reads the index alone. SQLite counts from its expression index
-- alone already (the count's seek into the table is deferred and never made: EXPLAIN shows a
-- DeferredSeek and no column read from the table): nothing to do here; the migration exists
-- to keep the two dialects' versions the same.
SELECT 1;
