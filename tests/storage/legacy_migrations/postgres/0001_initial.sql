-- The initial schema, column for column the SQLite one. Times are BIGINT microseconds since the
-- Unix epoch (UTC), exactly as in SQLite, so both backends round-trip and compare identically;
-- JSON columns are TEXT holding orjson output (jsonb would reorder keys, and header order
-- matters to whoever reads an attempt). Every integer is BIGINT because SQLite's are 64-bit.
-- `seq` is an identity column: the keyset that paging walks.

CREATE TABLE accounts (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sid TEXT NOT NULL UNIQUE,
    owner_account_sid TEXT NOT NULL,
    friendly_name TEXT NOT NULL,
    auth_token TEXT NOT NULL,
    status TEXT NOT NULL,
    type TEXT NOT NULL,
    date_created BIGINT NOT NULL,
    date_updated BIGINT NOT NULL
);
CREATE INDEX accounts_owner ON accounts (owner_account_sid, seq);

CREATE TABLE api_keys (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sid TEXT NOT NULL UNIQUE,
    account_sid TEXT NOT NULL,
    friendly_name TEXT NOT NULL,
    secret TEXT NOT NULL,
    date_created BIGINT NOT NULL,
    date_updated BIGINT NOT NULL
);
CREATE INDEX api_keys_account ON api_keys (account_sid, seq);

CREATE TABLE phone_numbers (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
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
    date_created BIGINT NOT NULL,
    date_updated BIGINT NOT NULL
);
CREATE INDEX phone_numbers_account ON phone_numbers (account_sid, seq);

CREATE TABLE messaging_services (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sid TEXT NOT NULL UNIQUE,
    account_sid TEXT NOT NULL,
    body TEXT NOT NULL,  -- the whole record as JSON: the service has many rarely-queried fields
    date_created BIGINT NOT NULL,
    date_updated BIGINT NOT NULL
);
CREATE INDEX messaging_services_account ON messaging_services (account_sid, seq);

CREATE TABLE service_phone_numbers (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sid TEXT NOT NULL UNIQUE,  -- the PN sid: a number belongs to at most one service
    service_sid TEXT NOT NULL,
    account_sid TEXT NOT NULL,
    phone_number TEXT NOT NULL,
    date_created BIGINT NOT NULL,
    date_updated BIGINT NOT NULL
);
CREATE INDEX service_phone_numbers_service ON service_phone_numbers (service_sid, seq);

CREATE TABLE messages (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sid TEXT NOT NULL UNIQUE,
    account_sid TEXT NOT NULL,
    messaging_service_sid TEXT,
    direction TEXT NOT NULL,
    from_addr TEXT,
    to_addr TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    num_segments BIGINT NOT NULL,
    num_media BIGINT NOT NULL,
    price TEXT,
    price_unit TEXT NOT NULL,
    error_code BIGINT,
    error_message TEXT,
    status_callback TEXT,
    status_callback_method TEXT NOT NULL,
    validity_period BIGINT,
    send_at BIGINT,
    extra TEXT NOT NULL,
    in_reply_to TEXT,
    date_created BIGINT NOT NULL,
    date_updated BIGINT NOT NULL,
    date_sent BIGINT
);
CREATE INDEX messages_account ON messages (account_sid, seq);
CREATE INDEX messages_in_reply_to ON messages (in_reply_to) WHERE in_reply_to IS NOT NULL;

CREATE TABLE media (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sid TEXT NOT NULL UNIQUE,
    account_sid TEXT NOT NULL,
    message_sid TEXT NOT NULL,
    content_type TEXT NOT NULL,
    source_url TEXT,
    size BIGINT NOT NULL,
    content BYTEA,
    date_created BIGINT NOT NULL,
    date_updated BIGINT NOT NULL
);
CREATE INDEX media_message ON media (message_sid, seq);

CREATE TABLE status_events (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_sid TEXT NOT NULL,
    status TEXT NOT NULL,
    error_code BIGINT,
    at BIGINT NOT NULL
);
CREATE INDEX status_events_message ON status_events (message_sid, seq);

-- The transactional outbox: every webhook, callback and carrier step is a row written in the
-- transaction of the state change that causes it. Workers on any node claim due rows with
-- FOR UPDATE SKIP LOCKED and hold them by a lease (leased_until) that expires if they die.
CREATE TABLE jobs (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind TEXT NOT NULL,
    account_sid TEXT,
    message_sid TEXT,
    due_at BIGINT NOT NULL,
    leased_until BIGINT,
    attempts BIGINT NOT NULL DEFAULT 0,
    payload TEXT NOT NULL
);
CREATE INDEX jobs_due ON jobs (due_at, id);
CREATE INDEX jobs_message ON jobs (message_sid, kind) WHERE message_sid IS NOT NULL;

CREATE TABLE webhook_attempts (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sid TEXT NOT NULL UNIQUE,
    account_sid TEXT NOT NULL,
    message_sid TEXT,
    kind TEXT NOT NULL,
    attempt BIGINT NOT NULL,
    url TEXT NOT NULL,
    method TEXT NOT NULL,
    request_headers TEXT NOT NULL,
    request_body TEXT NOT NULL,
    response_status BIGINT,
    response_headers TEXT NOT NULL,
    response_body TEXT NOT NULL,
    duration_ms DOUBLE PRECISION NOT NULL,
    error_code BIGINT,
    error_detail TEXT NOT NULL,
    idempotency_token TEXT NOT NULL,
    signed_url TEXT NOT NULL,
    date_created BIGINT NOT NULL
);
CREATE INDEX webhook_attempts_message ON webhook_attempts (message_sid, seq);
