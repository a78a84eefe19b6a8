-- Message Feedback (one outcome per message, gone with it), what a message's sender chose at
-- create about keeping its content and addresses (ContentRetention, AddressRetention), and the
-- Advanced Opt-Out settings of a Messaging Service (custom keywords and replies, set through
-- /_sim: Twilio sets them in its Console, not its public API).

CREATE TABLE message_feedback (
    message_sid TEXT PRIMARY KEY REFERENCES messages (sid) ON DELETE CASCADE,
    account_sid TEXT NOT NULL,
    outcome TEXT NOT NULL,
    date_created INTEGER NOT NULL,
    date_updated INTEGER NOT NULL
);

ALTER TABLE messages ADD COLUMN content_retention TEXT NOT NULL DEFAULT 'retain';
ALTER TABLE messages ADD COLUMN address_retention TEXT NOT NULL DEFAULT 'retain';

CREATE TABLE opt_out_settings (
    service_sid TEXT PRIMARY KEY REFERENCES messaging_services (sid) ON DELETE CASCADE,
    account_sid TEXT NOT NULL,
    settings TEXT NOT NULL,   -- JSON: see domain/optout.py OptOutSettings
    date_updated INTEGER NOT NULL
);
