-- Deletes cascade in the schema: a message's media and status events go with it, a pool entry
-- goes with its number or its service (the connections run with PRAGMA foreign_keys = ON).
-- SQLite cannot add a foreign key to a table, so the three child tables are rebuilt, keeping
-- their seq (the paging keys). Rows that lost their parent (none should exist: the store
-- deleted children with their parents) are left behind.

CREATE TABLE media_v5 (
    seq INTEGER PRIMARY KEY,
    sid TEXT NOT NULL UNIQUE,
    account_sid TEXT NOT NULL,
    message_sid TEXT NOT NULL REFERENCES messages (sid) ON DELETE CASCADE,
    content_type TEXT NOT NULL,
    source_url TEXT,
    size INTEGER NOT NULL,
    content BLOB,
    date_created INTEGER NOT NULL,
    date_updated INTEGER NOT NULL
);
INSERT INTO media_v5 (seq, sid, account_sid, message_sid, content_type, source_url, size,
    content, date_created, date_updated)
SELECT seq, sid, account_sid, message_sid, content_type, source_url, size, content,
    date_created, date_updated
FROM media WHERE message_sid IN (SELECT sid FROM messages);
DROP TABLE media;
ALTER TABLE media_v5 RENAME TO media;
CREATE INDEX media_message ON media (message_sid, seq);

CREATE TABLE status_events_v5 (
    seq INTEGER PRIMARY KEY,
    message_sid TEXT NOT NULL REFERENCES messages (sid) ON DELETE CASCADE,
    status TEXT NOT NULL,
    error_code INTEGER,
    at INTEGER NOT NULL
);
INSERT INTO status_events_v5 (seq, message_sid, status, error_code, at)
SELECT seq, message_sid, status, error_code, at
FROM status_events WHERE message_sid IN (SELECT sid FROM messages);
DROP TABLE status_events;
ALTER TABLE status_events_v5 RENAME TO status_events;
CREATE INDEX status_events_message ON status_events (message_sid, seq);

CREATE TABLE service_phone_numbers_v5 (
    seq INTEGER PRIMARY KEY,
    sid TEXT NOT NULL UNIQUE REFERENCES phone_numbers (sid) ON DELETE CASCADE,
    service_sid TEXT NOT NULL REFERENCES messaging_services (sid) ON DELETE CASCADE,
    account_sid TEXT NOT NULL,
    phone_number TEXT NOT NULL,
    date_created INTEGER NOT NULL,
    date_updated INTEGER NOT NULL
);
INSERT INTO service_phone_numbers_v5 (seq, sid, service_sid, account_sid, phone_number,
    date_created, date_updated)
SELECT seq, sid, service_sid, account_sid, phone_number, date_created, date_updated
FROM service_phone_numbers
WHERE sid IN (SELECT sid FROM phone_numbers)
  AND service_sid IN (SELECT sid FROM messaging_services);
DROP TABLE service_phone_numbers;
ALTER TABLE service_phone_numbers_v5 RENAME TO service_phone_numbers;
CREATE INDEX service_phone_numbers_service ON service_phone_numbers (service_sid, seq);
