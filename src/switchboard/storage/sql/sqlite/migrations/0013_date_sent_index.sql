-- Messages.json filtered by DateSent alone (docs/performance.md, "Issue 18"): a day far in
-- the past, or a DateSent< bound before most of the account, seeks to its rows here instead of
-- walking every newer message. The expression is the list's own (a message is dated by when
-- it was sent, or created while unsent); seq ends the key, so a range's entries carry the
-- order the list sorts them by (read_paths.NARROW_DATES explains when this index is read and
-- when the list still walks by seq).
CREATE INDEX messages_sent ON messages (account_sid, COALESCE(date_sent, date_created), seq);
