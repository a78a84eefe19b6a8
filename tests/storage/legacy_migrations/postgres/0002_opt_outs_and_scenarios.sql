-- Opt-outs (STOP filtering) and the carrier's scenario rules (as in SQLite's 0002).

CREATE TABLE opt_outs (
    account_sid TEXT NOT NULL,
    sender TEXT NOT NULL,     -- a phone number, or a Messaging Service SID for its whole pool
    recipient TEXT NOT NULL,  -- the handset (E.164)
    date_created BIGINT NOT NULL,
    PRIMARY KEY (account_sid, sender, recipient)
);

CREATE TABLE scenarios (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    body TEXT NOT NULL        -- one rule as JSON, matched in seq order
);
