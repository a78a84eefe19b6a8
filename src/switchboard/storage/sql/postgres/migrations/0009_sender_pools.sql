-- Messaging Service sender selection: the senders an account holds besides phone numbers
-- (short codes, SC...; channel senders such as WhatsApp or RCS, XE...), the pool entries that
-- are not phone numbers (short codes, alphanumeric IDs, channel senders), the sticky-sender
-- mappings, and why each message got its sender (domain/senders.py).

CREATE TABLE account_senders (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sid TEXT NOT NULL UNIQUE,
    account_sid TEXT NOT NULL,
    kind TEXT NOT NULL,             -- short_code | channel_sender
    address TEXT NOT NULL UNIQUE,   -- '12345', 'whatsapp:+14155550100', 'rcs:brand_agent'
    country_code TEXT NOT NULL,
    friendly_name TEXT NOT NULL,
    sms_url TEXT NOT NULL DEFAULT '',
    sms_method TEXT NOT NULL DEFAULT 'POST',
    sms_fallback_url TEXT NOT NULL DEFAULT '',
    sms_fallback_method TEXT NOT NULL DEFAULT 'POST',
    date_created BIGINT NOT NULL,
    date_updated BIGINT NOT NULL
);
CREATE INDEX account_senders_account ON account_senders (account_sid, kind, seq);

CREATE TABLE service_senders (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- SC/XE: the held sender's own sid (in at most one service); AI: the entry's own sid.
    sid TEXT NOT NULL UNIQUE,
    service_sid TEXT NOT NULL REFERENCES messaging_services (sid) ON DELETE CASCADE,
    account_sid TEXT NOT NULL,
    kind TEXT NOT NULL,             -- short_code | alpha_sender | destination_alpha_sender | channel_sender
    sender TEXT NOT NULL,           -- the wire form of the sender
    country_code TEXT NOT NULL,     -- '' for an alphanumeric ID that serves every country
    date_created BIGINT NOT NULL,
    date_updated BIGINT NOT NULL
);
CREATE INDEX service_senders_service ON service_senders (service_sid, kind, seq);

CREATE TABLE sticky_senders (
    service_sid TEXT NOT NULL REFERENCES messaging_services (sid) ON DELETE CASCADE,
    channel TEXT NOT NULL,          -- sms | whatsapp: one mapping per channel
    recipient TEXT NOT NULL,        -- the recipient's identity (E.164)
    sender TEXT NOT NULL,           -- the wire form of the sender
    date_updated BIGINT NOT NULL,
    PRIMARY KEY (service_sid, channel, recipient)
);
CREATE INDEX sticky_senders_sender ON sticky_senders (service_sid, sender);

CREATE TABLE sender_choices (
    message_sid TEXT PRIMARY KEY REFERENCES messages (sid) ON DELETE CASCADE,
    rule TEXT NOT NULL,             -- domain/senders.py Rule
    sender TEXT NOT NULL,
    detail TEXT NOT NULL,
    converted BOOLEAN NOT NULL,     -- true: an MMS sent as SMS with links (MMS Converter)
    date_created BIGINT NOT NULL
);
