-- Event Streams (SPEC §19): Sinks, their Subscriptions and the event types each subscribes to.
-- A subscription goes with its sink, its types with it (ON DELETE CASCADE).

CREATE TABLE event_sinks (
    seq INTEGER PRIMARY KEY,
    sid TEXT NOT NULL UNIQUE,
    account_sid TEXT NOT NULL,
    description TEXT NOT NULL,
    sink_type TEXT NOT NULL,
    destination TEXT NOT NULL,
    method TEXT NOT NULL,
    batch_events INTEGER NOT NULL,
    status TEXT NOT NULL,
    test_id TEXT,
    date_created INTEGER NOT NULL,
    date_updated INTEGER NOT NULL
);
CREATE INDEX event_sinks_account ON event_sinks (account_sid, seq);

CREATE TABLE event_subscriptions (
    seq INTEGER PRIMARY KEY,
    sid TEXT NOT NULL UNIQUE,
    account_sid TEXT NOT NULL,
    sink_sid TEXT NOT NULL REFERENCES event_sinks (sid) ON DELETE CASCADE,
    description TEXT NOT NULL,
    date_created INTEGER NOT NULL,
    date_updated INTEGER NOT NULL
);
CREATE INDEX event_subscriptions_account ON event_subscriptions (account_sid, seq);
CREATE INDEX event_subscriptions_sink ON event_subscriptions (sink_sid);

CREATE TABLE event_subscribed_types (
    seq INTEGER PRIMARY KEY,
    subscription_sid TEXT NOT NULL REFERENCES event_subscriptions (sid) ON DELETE CASCADE,
    account_sid TEXT NOT NULL,
    type TEXT NOT NULL,
    schema_version INTEGER NOT NULL,
    UNIQUE (subscription_sid, type)
);
-- The fan-out of every recorded status change looks here by account and type.
CREATE INDEX event_subscribed_types_account ON event_subscribed_types (account_sid, type);
