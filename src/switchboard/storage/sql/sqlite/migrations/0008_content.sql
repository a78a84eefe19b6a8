-- Content API templates (SPEC §16) and their WhatsApp approval requests (one per template,
-- gone with it), and an index for the WhatsApp customer service window (SPEC §17): the time
-- of a user's last message to one of our senders. Partial: only inbound messages pay for it.

CREATE TABLE contents (
    seq INTEGER PRIMARY KEY,
    sid TEXT NOT NULL UNIQUE,
    account_sid TEXT NOT NULL,
    friendly_name TEXT NOT NULL,
    language TEXT NOT NULL,
    variables TEXT NOT NULL,  -- JSON object of placeholder defaults
    types TEXT NOT NULL,      -- JSON object keyed by content type (domain/content.py)
    date_created INTEGER NOT NULL,
    date_updated INTEGER NOT NULL
);
CREATE INDEX contents_account ON contents (account_sid, seq);

CREATE TABLE content_approvals (
    content_sid TEXT PRIMARY KEY REFERENCES contents (sid) ON DELETE CASCADE,
    account_sid TEXT NOT NULL,
    name TEXT NOT NULL,
    category TEXT NOT NULL,
    content_type TEXT NOT NULL,
    status TEXT NOT NULL,
    rejection_reason TEXT NOT NULL,
    allow_category_change INTEGER NOT NULL,
    date_created INTEGER NOT NULL,
    date_updated INTEGER NOT NULL
);

CREATE INDEX messages_inbound_pair ON messages (from_addr, to_addr, date_created)
    WHERE direction = 'inbound';
