-- messages_sent again, carrying date_sent and date_created (docs/performance.md, "DateSent on
-- PostgreSQL"): PostgreSQL reads an expression index alone (an index-only scan) only when the
-- entry holds the columns the expression is made of, so counting a busy range of dates long
-- ago read every row's heap page to check its visibility and its dates. The entries grow by
-- two bigints; SQLite's index (its 0013) answers from the expression as it is.
DROP INDEX messages_sent;
CREATE INDEX messages_sent ON messages (account_sid, (COALESCE(date_sent, date_created)), seq)
    INCLUDE (date_sent, date_created);
