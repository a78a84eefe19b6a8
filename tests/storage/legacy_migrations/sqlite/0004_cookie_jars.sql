-- Twilio's cookie jar of each SMS conversation: the cookies the app set in answer to incoming-
-- message webhooks between our number and a handset, sent back on the next ones.

CREATE TABLE cookie_jars (
    account_sid TEXT NOT NULL,
    ours TEXT NOT NULL,       -- our number (the inbound message's To)
    theirs TEXT NOT NULL,     -- the handset (its From)
    cookies TEXT NOT NULL,    -- JSON list of cookies with their scope and expiry
    date_updated INTEGER NOT NULL,
    PRIMARY KEY (ours, theirs)
);
