-- Twilio's cookie jar of each SMS conversation (as in SQLite's 0004).

CREATE TABLE cookie_jars (
    account_sid TEXT NOT NULL,
    ours TEXT NOT NULL,       -- our number (the inbound message's To)
    theirs TEXT NOT NULL,     -- the handset (its From)
    cookies TEXT NOT NULL,    -- JSON list of cookies with their scope and expiry
    date_updated BIGINT NOT NULL,
    PRIMARY KEY (ours, theirs)
);
