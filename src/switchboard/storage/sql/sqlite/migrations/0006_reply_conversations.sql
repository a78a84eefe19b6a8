-- Loop protection (domain/loops.py) reads the newest replies from one number to another before
-- each TwiML reply. Partial: only replies pay for the index, inbound messages and REST sends not.

CREATE INDEX messages_reply_pair ON messages (from_addr, to_addr, date_created)
    WHERE direction = 'outbound-reply';
