-- The initial schema. Times are integer microseconds since the Unix epoch (UTC), so they sort
-- and compare exactly; JSON columns hold orjson-encoded objects.

CREATE TABLE accounts (
    seq INTEGER PRIMARY KEY,
    sid TEXT NOT NULL UNIQUE,
    owner_account_sid TEXT NOT NULL,
    friendly_name TEXT NOT NULL,
    auth_token TEXT NOT NULL,
    status TEXT NOT NULL,
    type TEXT NOT NULL,
    date_created INTEGER NOT NULL,
    date_updated INTEGER NOT NULL
);

CREATE TABLE api_keys (
    seq INTEGER PRIMARY KEY,
    sid TEXT NOT NULL UNIQUE,
    account_sid TEXT NOT NULL,
    friendly_name TEXT NOT NULL,
    secret TEXT NOT NULL,
    date_created INTEGER NOT NULL,
    date_updated INTEGER NOT NULL
);
CREATE INDEX api_keys_account ON api_keys (account_sid, seq);

CREATE TABLE phone_numbers (
    seq INTEGER PRIMARY KEY,
    sid TEXT NOT NULL UNIQUE,
    account_sid TEXT NOT NULL,
    phone_number TEXT NOT NULL UNIQUE,
    friendly_name TEXT NOT NULL,
    sms_url TEXT NOT NULL,
    sms_method TEXT NOT NULL,
    sms_fallback_url TEXT NOT NULL,
    sms_fallback_method TEXT NOT NULL,
    status_callback TEXT NOT NULL,
    status_callback_method TEXT NOT NULL,
    sms_application_sid TEXT NOT NULL,
    date_created INTEGER NOT NULL,
    date_updated INTEGER NOT NULL
);
CREATE INDEX phone_numbers_account ON phone_numbers (account_sid, seq);

CREATE TABLE messaging_services (
    seq INTEGER PRIMARY KEY,
    sid TEXT NOT NULL UNIQUE,
    account_sid TEXT NOT NULL,
    body TEXT NOT NULL,  -- the whole record as JSON: the service has many rarely-queried fields
    date_created INTEGER NOT NULL,
    date_updated INTEGER NOT NULL
);
CREATE INDEX messaging_services_account ON messaging_services (account_sid, seq);

CREATE TABLE service_phone_numbers (
    seq INTEGER PRIMARY KEY,
    sid TEXT NOT NULL UNIQUE,  -- the PN sid: a number belongs to at most one service
    service_sid TEXT NOT NULL,
    account_sid TEXT NOT NULL,
    phone_number TEXT NOT NULL,
    date_created INTEGER NOT NULL,
    date_updated INTEGER NOT NULL
);
CREATE INDEX service_phone_numbers_service ON service_phone_numbers (service_sid, seq);

CREATE TABLE messages (
    seq INTEGER PRIMARY KEY,
    sid TEXT NOT NULL UNIQUE,
    account_sid TEXT NOT NULL,
    messaging_service_sid TEXT,
    direction TEXT NOT NULL,
    from_addr TEXT,
    to_addr TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    num_segments INTEGER NOT NULL,
    num_media INTEGER NOT NULL,
    price TEXT,
    price_unit TEXT NOT NULL,
    error_code INTEGER,
    error_message TEXT,
    status_callback TEXT,
    status_callback_method TEXT NOT NULL,
    validity_period INTEGER,
    send_at INTEGER,
    extra TEXT NOT NULL,
    in_reply_to TEXT,
    date_created INTEGER NOT NULL,
    date_updated INTEGER NOT NULL,
    date_sent INTEGER
);
CREATE INDEX messages_account ON messages (account_sid, seq);
CREATE INDEX messages_in_reply_to ON messages (in_reply_to) WHERE in_reply_to IS NOT NULL;

CREATE TABLE media (
    seq INTEGER PRIMARY KEY,
    sid TEXT NOT NULL UNIQUE,
    account_sid TEXT NOT NULL,
    message_sid TEXT NOT NULL,
    content_type TEXT NOT NULL,
    source_url TEXT,
    size INTEGER NOT NULL,
    content BLOB,
    date_created INTEGER NOT NULL,
    date_updated INTEGER NOT NULL
);
CREATE INDEX media_message ON media (message_sid, seq);

CREATE TABLE status_events (
    seq INTEGER PRIMARY KEY,
    message_sid TEXT NOT NULL,
    status TEXT NOT NULL,
    error_code INTEGER,
    at INTEGER NOT NULL
);
CREATE INDEX status_events_message ON status_events (message_sid, seq);

-- The transactional outbox: every webhook, callback and carrier step is a row written in the
-- transaction of the state change that causes it.
CREATE TABLE jobs (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    account_sid TEXT,
    message_sid TEXT,
    due_at INTEGER NOT NULL,
    leased_until INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0,
    payload TEXT NOT NULL
);
CREATE INDEX jobs_due ON jobs (leased_until, due_at);

CREATE TABLE webhook_attempts (
    seq INTEGER PRIMARY KEY,
    sid TEXT NOT NULL UNIQUE,
    account_sid TEXT NOT NULL,
    message_sid TEXT,
    kind TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    url TEXT NOT NULL,
    method TEXT NOT NULL,
    request_headers TEXT NOT NULL,
    request_body TEXT NOT NULL,
    response_status INTEGER,
    response_headers TEXT NOT NULL,
    response_body TEXT NOT NULL,
    duration_ms REAL NOT NULL,
    error_code INTEGER,
    error_detail TEXT NOT NULL,
    idempotency_token TEXT NOT NULL,
    signed_url TEXT NOT NULL,
    date_created INTEGER NOT NULL
);
CREATE INDEX webhook_attempts_message ON webhook_attempts (message_sid, seq);
