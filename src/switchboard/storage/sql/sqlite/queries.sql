-- Named queries for the SQLite store. Each block starts with "-- name: <name>".
-- Optional filters are written "(:x IS NULL OR col = :x)" so one statement serves every combination.

-- name: insert_account
INSERT INTO accounts (sid, owner_account_sid, friendly_name, auth_token, status, type, date_created, date_updated)
VALUES (:sid, :owner_account_sid, :friendly_name, :auth_token, :status, :type, :date_created, :date_updated);

-- name: get_account
SELECT * FROM accounts WHERE sid = :sid;

-- name: update_account
UPDATE accounts SET friendly_name = :friendly_name, auth_token = :auth_token, status = :status,
    date_updated = :date_updated
WHERE sid = :sid;

-- name: find_main_account
SELECT * FROM accounts WHERE owner_account_sid = sid ORDER BY seq LIMIT 1;

-- name: account_seq
SELECT seq FROM accounts WHERE sid = :sid AND (sid = :owner_sid OR owner_account_sid = :owner_sid);

-- name: list_accounts
SELECT * FROM accounts
WHERE (sid = :owner_sid OR owner_account_sid = :owner_sid)
  AND (:friendly_name IS NULL OR friendly_name = :friendly_name)
  AND (:status IS NULL OR status = :status)
  AND seq > :after_seq
ORDER BY seq LIMIT :limit;

-- name: insert_api_key
INSERT INTO api_keys (sid, account_sid, friendly_name, secret, date_created, date_updated)
VALUES (:sid, :account_sid, :friendly_name, :secret, :date_created, :date_updated);

-- name: get_api_key
SELECT * FROM api_keys WHERE sid = :sid;

-- name: update_api_key
UPDATE api_keys SET friendly_name = :friendly_name, date_updated = :date_updated WHERE sid = :sid;

-- name: delete_api_key
DELETE FROM api_keys WHERE account_sid = :account_sid AND sid = :sid;

-- name: api_key_seq
SELECT seq FROM api_keys WHERE sid = :sid AND account_sid = :account_sid;

-- name: list_api_keys
SELECT * FROM api_keys WHERE account_sid = :account_sid AND seq > :after_seq
ORDER BY seq LIMIT :limit;

-- name: insert_phone_number
INSERT INTO phone_numbers (sid, account_sid, phone_number, friendly_name, sms_url, sms_method,
    sms_fallback_url, sms_fallback_method, status_callback, status_callback_method,
    sms_application_sid, date_created, date_updated)
VALUES (:sid, :account_sid, :phone_number, :friendly_name, :sms_url, :sms_method,
    :sms_fallback_url, :sms_fallback_method, :status_callback, :status_callback_method,
    :sms_application_sid, :date_created, :date_updated);

-- name: get_phone_number
SELECT * FROM phone_numbers WHERE account_sid = :account_sid AND sid = :sid;

-- name: find_phone_number
SELECT * FROM phone_numbers WHERE phone_number = :phone_number;

-- name: find_number_and_service
-- With the routing generation it was read at, in the same snapshot (storage/routing_cache.py).
SELECT n.*, s.sid AS service_sid, s.account_sid AS service_account_sid, s.body AS service_body,
    s.date_created AS service_date_created, s.date_updated AS service_date_updated,
    (SELECT g.n FROM routing_generation g WHERE g.id = 1) AS routing_generation
FROM phone_numbers n
LEFT JOIN service_phone_numbers p ON p.sid = n.sid
LEFT JOIN messaging_services s ON s.sid = p.service_sid
WHERE n.phone_number = :phone_number;

-- name: routing_generation
-- Moved by every write to phone_numbers, service_phone_numbers and messaging_services
-- (migration 0015's triggers).
SELECT n FROM routing_generation WHERE id = 1;

-- name: update_phone_number
UPDATE phone_numbers SET friendly_name = :friendly_name, sms_url = :sms_url,
    sms_method = :sms_method, sms_fallback_url = :sms_fallback_url,
    sms_fallback_method = :sms_fallback_method, status_callback = :status_callback,
    status_callback_method = :status_callback_method,
    sms_application_sid = :sms_application_sid, date_updated = :date_updated
WHERE sid = :sid;

-- name: delete_phone_number
-- Its pool entry goes with it (ON DELETE CASCADE).
DELETE FROM phone_numbers WHERE account_sid = :account_sid AND sid = :sid;

-- name: phone_number_seq
SELECT seq FROM phone_numbers WHERE sid = :sid AND account_sid = :account_sid;

-- name: list_phone_numbers
SELECT * FROM phone_numbers
WHERE account_sid = :account_sid
  AND (:phone_number IS NULL OR phone_number = :phone_number)
  AND (:friendly_name IS NULL OR friendly_name = :friendly_name)
  AND seq > :after_seq
ORDER BY seq LIMIT :limit;

-- name: insert_service
INSERT INTO messaging_services (sid, account_sid, body, date_created, date_updated)
VALUES (:sid, :account_sid, :body, :date_created, :date_updated);

-- name: get_service
SELECT * FROM messaging_services WHERE account_sid = :account_sid AND sid = :sid;

-- name: update_service
UPDATE messaging_services SET body = :body, date_updated = :date_updated WHERE sid = :sid;

-- name: delete_service
-- Its pool goes with it (ON DELETE CASCADE).
DELETE FROM messaging_services WHERE account_sid = :account_sid AND sid = :sid;

-- name: service_seq
SELECT seq FROM messaging_services WHERE sid = :sid AND account_sid = :account_sid;

-- name: list_services
SELECT * FROM messaging_services WHERE account_sid = :account_sid AND seq > :after_seq
ORDER BY seq LIMIT :limit;

-- name: insert_service_number
-- Nothing when the number or the service is gone: the entry would have gone with it.
INSERT INTO service_phone_numbers (sid, service_sid, account_sid, phone_number, date_created, date_updated)
SELECT :sid, :service_sid, :account_sid, :phone_number, :date_created, :date_updated
WHERE EXISTS (SELECT 1 FROM phone_numbers WHERE sid = :sid)
  AND EXISTS (SELECT 1 FROM messaging_services WHERE sid = :service_sid);

-- name: get_service_number
SELECT * FROM service_phone_numbers WHERE service_sid = :service_sid AND sid = :sid;

-- name: delete_service_number
DELETE FROM service_phone_numbers WHERE service_sid = :service_sid AND sid = :sid;

-- name: service_number_seq
SELECT seq FROM service_phone_numbers WHERE sid = :sid AND service_sid = :service_sid;

-- name: list_service_numbers
SELECT * FROM service_phone_numbers WHERE service_sid = :service_sid AND seq > :after_seq
ORDER BY seq LIMIT :limit;

-- name: service_for_number
SELECT service_sid FROM service_phone_numbers WHERE sid = :sid;

-- fragment: message_row
INSERT INTO messages (sid, account_sid, messaging_service_sid, direction, from_addr, to_addr, body,
    status, num_segments, num_media, price, price_unit, error_code, error_message,
    status_callback, status_callback_method, validity_period, send_at, extra, in_reply_to,
    content_retention, address_retention, date_created, date_updated, date_sent)
VALUES (:sid, :account_sid, :messaging_service_sid, :direction, :from_addr, :to_addr, :body,
    :status, :num_segments, :num_media, :price, :price_unit, :error_code, :error_message,
    :status_callback, :status_callback_method, :validity_period, :send_at, :extra, :in_reply_to,
    :content_retention, :address_retention, :date_created, :date_updated, :date_sent)

-- fragment: account_subscribes
-- A row when the account subscribes to the Event Streams type asked for (a Sink gets it).
SELECT 1 FROM event_subscribed_types WHERE account_sid = :account_sid AND type = :type

-- fragment: created_event_row
-- A new message's first status event: its status at its creation.
INSERT INTO status_events (message_sid, status, error_code, at)
VALUES (:sid, :status, NULL, :date_created)

-- fragment: job_row
-- A job's row; leased (claim count 1) when its writer runs it at once, otherwise NULL and 0.
INSERT INTO jobs (kind, account_sid, message_sid, due_at, leased_until, attempts, payload)
VALUES (:job_kind, :job_account_sid, :job_message_sid, :job_due_at, :job_leased_until,
    :job_attempts, :job_payload)

-- name: insert_message
-- A message alone, without its first status event: what seeds a database (bench/scale.py, the
-- legacy-upgrade test). The store writes insert_message_with_event (or _and_job).
-- include: message_row
;

-- name: insert_message_with_event
-- A message and its first status event, its status at its creation: the store writes both at
-- once (one round trip on PostgreSQL) and learns whether the event has a subscriber, so that
-- fan_out needs no look-up of its own. :type is the message's Event Streams type (NULL when
-- it emits none). Answers the message's key and that.
-- SQLite has no data-modifying CTE: two statements, run in order on the same parameters; the
-- second one's row is the answer.
-- include: message_row
;
-- include: created_event_row
RETURNING (SELECT seq FROM messages WHERE sid = :sid) AS seq, EXISTS (
    -- include: account_subscribes
) AS subscribed;

-- name: insert_message_with_event_and_job
-- insert_message_with_event and a first job (the message's webhook or its first step) at
-- once: three statements run in order on the same parameters, the last one's row the answer
-- (the message's key, whether the event has a subscriber, the job's id, whether the
-- conversation of an inbound message (To is ours) has cookies kept).
-- include: message_row
;
-- include: created_event_row
;
-- include: job_row
RETURNING id AS job_id, (SELECT seq FROM messages WHERE sid = :sid) AS seq, EXISTS (
    -- include: account_subscribes
) AS subscribed, EXISTS (
    SELECT 1 FROM cookie_jars WHERE ours = :to_addr AND theirs = :from_addr
) AS has_cookies;

-- name: get_message
SELECT * FROM messages WHERE account_sid = :account_sid AND sid = :sid;

-- name: find_message
SELECT * FROM messages WHERE sid = :sid;

-- name: update_message
UPDATE messages SET messaging_service_sid = :messaging_service_sid, from_addr = :from_addr,
    body = :body, status = :status, num_segments = :num_segments, price = :price,
    price_unit = :price_unit, error_code = :error_code, error_message = :error_message,
    date_updated = :date_updated, date_sent = :date_sent
WHERE sid = :sid;

-- name: delete_message
-- Its media and status events go with it (ON DELETE CASCADE).
DELETE FROM messages WHERE account_sid = :account_sid AND sid = :sid;

-- name: message_seq
SELECT seq FROM messages WHERE sid = :sid AND account_sid = :account_sid;

-- fragment: message_list_filter
-- The conditions Messages.json's three list queries share (DateSent bounds, the page).
  AND (:sent_from IS NULL OR COALESCE(date_sent, date_created) >= :sent_from)
  AND (:sent_before IS NULL OR COALESCE(date_sent, date_created) < :sent_before)
  AND (:before_seq IS NULL OR seq < :before_seq)

-- name: list_messages
-- Without To or From (with one of them: list_messages_to or list_messages_from).
SELECT * FROM messages
WHERE account_sid = :account_sid
  -- include: message_list_filter
ORDER BY seq DESC LIMIT :limit;

-- name: count_sent_messages
-- How many of the account's messages a DateSent range holds, counted up to :cap: enough to
-- tell whether reading the range (list_messages_sent) costs less than :cap entries of
-- messages_sent, reading at most that many (read_paths.dated_page).
-- :sent_first and :sent_last are inclusive (the store turns the list's bounds into them).
SELECT count(*) AS messages FROM (
    SELECT 1 FROM messages INDEXED BY messages_sent
    WHERE account_sid = :account_sid
      AND COALESCE(date_sent, date_created) BETWEEN :sent_first AND :sent_last
    LIMIT :cap
) AS inside;

-- name: list_messages_sent
-- DateSent bounds without To or From, over a range counted small (count_sent_messages): every
-- entry of the range in messages_sent (the seq of each, without the table), the newest :limit
-- of them, then those rows. Costs the range's own entries, however many newer messages there
-- are.
SELECT * FROM messages
WHERE seq IN (
    SELECT seq FROM messages INDEXED BY messages_sent
    WHERE account_sid = :account_sid
      AND COALESCE(date_sent, date_created) BETWEEN :sent_first AND :sent_last
      AND (:before_seq IS NULL OR seq < :before_seq)
    ORDER BY seq DESC LIMIT :limit
)
ORDER BY seq DESC;

-- name: list_messages_walked
-- DateSent bounds without To or From, walked (read_paths.dated_page): of the account's :walk
-- newest messages below :before_seq, those in the range, newest first. :before_seq is never
-- NULL (a first page passes the largest seq), so a later page seeks to its token instead of
-- walking past every newer message as (:before_seq IS NULL OR seq < :before_seq) would. The
-- subquery finds the walk's lowest seq (:walk entries of messages_account, no rows); the walk
-- then reads rows down to the page's last, or to that seq. (A LIMIT on the walk itself would
-- need the outer ORDER BY, a sort of all :walk rows in SQLite.) INDEXED BY: the range's
-- conditions could otherwise take messages_sent and read the range (list_messages_sent's way).
SELECT * FROM messages INDEXED BY messages_account
WHERE account_sid = :account_sid
  AND seq < :before_seq
  AND seq >= (
      SELECT min(seq) FROM (
          SELECT seq FROM messages INDEXED BY messages_account
          WHERE account_sid = :account_sid AND seq < :before_seq
          ORDER BY seq DESC LIMIT :walk
      ) AS walked
  )
  AND COALESCE(date_sent, date_created) BETWEEN :sent_first AND :sent_last
ORDER BY seq DESC LIMIT :limit;

-- name: count_messages_below
-- How many of the account's messages are below :before_seq, counted up to :cap (entries of
-- messages_account, no rows): whether a walk of fewer than :cap rows saw them all.
SELECT count(*) AS messages FROM (
    SELECT 1 FROM messages INDEXED BY messages_account
    WHERE account_sid = :account_sid AND seq < :before_seq
    ORDER BY seq DESC LIMIT :cap
) AS below;

-- name: list_messages_to
-- To, and perhaps From: the newest rows of messages_to (to_addr, seq). INDEXED BY: a database
-- the server never ANALYZEs could take messages_account, and read the whole account.
SELECT * FROM messages INDEXED BY messages_to
WHERE account_sid = :account_sid
  AND to_addr = :to_addr
  AND (:from_addr IS NULL OR from_addr = :from_addr)
  -- include: message_list_filter
ORDER BY seq DESC LIMIT :limit;

-- name: list_messages_from
-- From without To: the newest rows of messages_from (from_addr, seq).
SELECT * FROM messages INDEXED BY messages_from
WHERE account_sid = :account_sid
  AND from_addr = :from_addr
  -- include: message_list_filter
ORDER BY seq DESC LIMIT :limit;

-- name: list_replies
SELECT * FROM messages WHERE in_reply_to = :sid ORDER BY seq;

-- name: pending_jobs_for_message
SELECT COUNT(*) AS n FROM jobs WHERE message_sid = :message_sid AND kind = :kind;

-- name: insert_media
INSERT INTO media (sid, account_sid, message_sid, content_type, source_url, size, content,
    date_created, date_updated)
VALUES (:sid, :account_sid, :message_sid, :content_type, :source_url, :size, :content,
    :date_created, :date_updated);

-- name: media_seq
SELECT seq FROM media WHERE sid = :sid AND message_sid = :message_sid;

-- name: list_media
SELECT sid, account_sid, message_sid, content_type, source_url, size, date_created, date_updated
FROM media WHERE account_sid = :account_sid AND message_sid = :message_sid AND seq > :after_seq
ORDER BY seq LIMIT :limit;

-- name: get_media
SELECT sid, account_sid, message_sid, content_type, source_url, size, date_created, date_updated
FROM media WHERE account_sid = :account_sid AND message_sid = :message_sid AND sid = :sid;

-- name: delete_media
DELETE FROM media WHERE account_sid = :account_sid AND message_sid = :message_sid AND sid = :sid;

-- name: decrement_num_media
UPDATE messages SET num_media = num_media - 1 WHERE sid = :message_sid AND num_media > 0;

-- name: get_media_content
SELECT content FROM media WHERE sid = :sid;

-- name: insert_status_event
-- Nothing when the message is gone (deleted while a job about it ran): the event would have
-- gone with it.
INSERT INTO status_events (message_sid, status, error_code, at)
SELECT :message_sid, :status, :error_code, :at
WHERE EXISTS (SELECT 1 FROM messages WHERE sid = :message_sid);

-- name: list_status_events
SELECT * FROM status_events WHERE message_sid = :message_sid ORDER BY seq;

-- name: insert_job
-- include: job_row
;

-- name: next_job_due
-- The first waiting job (one step into jobs_due at its NULL end) or the first lease to lapse
-- (among the leased jobs alone, at most the running ones): never a pass over every waiting job.
SELECT MIN(due) AS due FROM (
    SELECT MIN(due_at) AS due FROM jobs WHERE leased_until IS NULL
    UNION ALL
    SELECT MIN(MAX(due_at, leased_until)) FROM jobs WHERE leased_until IS NOT NULL
);

-- name: delete_job
-- Fenced: only the claim that still holds the job (same attempts count) may finish it.
DELETE FROM jobs WHERE id = :id AND attempts = :attempts;

-- name: retry_job
UPDATE jobs SET due_at = :due_at, leased_until = NULL, payload = :payload
WHERE id = :id AND attempts = :attempts;

-- name: extend_leases
-- :ids is a JSON array of job ids.
UPDATE jobs SET leased_until = :leased_until
WHERE id IN (SELECT value FROM json_each(:ids)) AND leased_until IS NOT NULL;

-- name: release_all_leases
UPDATE jobs SET leased_until = NULL WHERE leased_until IS NOT NULL;

-- fragment: attempt_row
INSERT INTO webhook_attempts (sid, account_sid, message_sid, kind, attempt, url, method,
    request_headers, request_body, response_status, response_headers, response_body,
    duration_ms, error_code, error_detail, idempotency_token, signed_url, date_created)
VALUES (:sid, :account_sid, :message_sid, :kind, :attempt, :url, :method,
    :request_headers, :request_body, :response_status, :response_headers, :response_body,
    :duration_ms, :error_code, :error_detail, :idempotency_token, :signed_url, :date_created)

-- name: insert_attempt
-- include: attempt_row
;

-- name: delete_job_with_attempt
-- A job done with one attempt, the usual outcome, in one round trip: the attempt inserted and
-- the job deleted, fenced as delete_job. Answers the job's id if its claim still held it, no
-- row if the lease was lost (the unit of work then rolls the attempt back). :id and :attempts
-- are the job's, the other parameters the attempt's.
-- SQLite has no data-modifying CTE: two statements, run in order on the same parameters.
-- include: attempt_row
;
DELETE FROM jobs WHERE id = :id AND attempts = :attempts RETURNING id;

-- name: list_attempts_for_message
-- :account_sids is a JSON array of the accounts the caller may see, or NULL for all of them.
SELECT * FROM webhook_attempts WHERE message_sid = :message_sid
  AND (:account_sids IS NULL OR account_sid IN (SELECT value FROM json_each(:account_sids)))
ORDER BY seq LIMIT :limit;

-- name: list_recent_attempts
SELECT * FROM (
    SELECT * FROM webhook_attempts
    WHERE :account_sids IS NULL OR account_sid IN (SELECT value FROM json_each(:account_sids))
    ORDER BY seq DESC LIMIT :limit
) ORDER BY seq;

-- name: get_attempt
SELECT * FROM webhook_attempts WHERE sid = :sid;

-- name: insert_opt_out
INSERT OR IGNORE INTO opt_outs (account_sid, sender, recipient, date_created)
VALUES (:account_sid, :sender, :recipient, :date_created);

-- name: delete_opt_out
DELETE FROM opt_outs WHERE account_sid = :account_sid AND sender = :sender AND recipient = :recipient;

-- name: get_opt_out
SELECT 1 AS found FROM opt_outs
WHERE account_sid = :account_sid AND sender = :sender AND recipient = :recipient;

-- name: list_scenarios
SELECT body FROM scenarios ORDER BY seq;

-- name: delete_scenarios
DELETE FROM scenarios;

-- name: insert_scenario
INSERT INTO scenarios (body) VALUES (:body);

-- name: get_cookie_jar
SELECT * FROM cookie_jars WHERE ours = :ours AND theirs = :theirs;

-- name: save_cookie_jar
INSERT INTO cookie_jars (account_sid, ours, theirs, cookies, date_updated)
VALUES (:account_sid, :ours, :theirs, :cookies, :date_updated)
ON CONFLICT (ours, theirs) DO UPDATE SET account_sid = excluded.account_sid,
    cookies = excluded.cookies, date_updated = excluded.date_updated;

-- name: delete_cookie_jar
DELETE FROM cookie_jars WHERE ours = :ours AND theirs = :theirs;

-- name: save_feedback
-- A second outcome replaces the first; the feedback keeps the date it was first given.
INSERT INTO message_feedback (message_sid, account_sid, outcome, date_created, date_updated)
VALUES (:message_sid, :account_sid, :outcome, :date_created, :date_updated)
ON CONFLICT (message_sid) DO UPDATE SET
    outcome = excluded.outcome, date_updated = excluded.date_updated
RETURNING *;

-- name: get_feedback
SELECT * FROM message_feedback WHERE account_sid = :account_sid AND message_sid = :message_sid;

-- name: insert_content
INSERT INTO contents (sid, account_sid, friendly_name, language, variables, types, date_created,
    date_updated)
VALUES (:sid, :account_sid, :friendly_name, :language, :variables, :types, :date_created,
    :date_updated);

-- name: get_content
SELECT * FROM contents WHERE account_sid = :account_sid AND sid = :sid;

-- name: update_content
UPDATE contents SET friendly_name = :friendly_name, language = :language,
    variables = :variables, types = :types, date_updated = :date_updated
WHERE account_sid = :account_sid AND sid = :sid;

-- name: delete_content
-- Its approval request goes with it (ON DELETE CASCADE).
DELETE FROM contents WHERE account_sid = :account_sid AND sid = :sid;

-- name: content_seq
SELECT seq FROM contents WHERE sid = :sid AND account_sid = :account_sid;

-- name: list_contents
SELECT * FROM contents WHERE account_sid = :account_sid AND seq > :after_seq
ORDER BY seq LIMIT :limit;

-- name: save_content_approval
-- A new request for the same template replaces the earlier one (a resubmission).
INSERT INTO content_approvals (content_sid, account_sid, name, category, content_type, status,
    rejection_reason, allow_category_change, date_created, date_updated)
SELECT :content_sid, :account_sid, :name, :category, :content_type, :status,
    :rejection_reason, :allow_category_change, :date_created, :date_updated
WHERE EXISTS (SELECT 1 FROM contents WHERE sid = :content_sid)
ON CONFLICT (content_sid) DO UPDATE SET
    name = excluded.name, category = excluded.category, content_type = excluded.content_type,
    status = excluded.status, rejection_reason = excluded.rejection_reason,
    allow_category_change = excluded.allow_category_change,
    date_updated = excluded.date_updated;

-- name: get_content_approval
SELECT * FROM content_approvals WHERE account_sid = :account_sid AND content_sid = :content_sid;

-- name: list_content_approvals
SELECT * FROM content_approvals WHERE content_sid IN (SELECT value FROM json_each(:content_sids));

-- name: last_inbound
-- The newest message from a user to one of our senders (the WhatsApp window, SPEC §17).
SELECT MAX(date_created) AS at FROM messages
WHERE direction = 'inbound' AND from_addr = :from_addr AND to_addr = :to_addr
  AND account_sid = :account_sid;

-- name: save_opt_out_settings
INSERT INTO opt_out_settings (service_sid, account_sid, settings, date_updated)
VALUES (:service_sid, :account_sid, :settings, :date_updated)
ON CONFLICT (service_sid) DO UPDATE SET
    settings = excluded.settings, date_updated = excluded.date_updated;

-- name: get_opt_out_settings
SELECT * FROM opt_out_settings WHERE service_sid = :service_sid;

-- name: claim_jobs
-- The write transaction holds SQLite's one write lock, so no other process claims meanwhile.
-- RETURNING has no order: the caller sorts. Waiting jobs and lapsed leases are read apart: the
-- first are jobs_due's NULL end, already in (due_at, id) order, so a claim reads :limit rows
-- however many jobs wait (one OR over both would sort them all); the second are few.
UPDATE jobs SET leased_until = :leased_until, attempts = attempts + 1
WHERE id IN (
    SELECT id FROM (
        SELECT * FROM (
            SELECT id, due_at FROM jobs WHERE leased_until IS NULL AND due_at <= :now
            ORDER BY due_at, id LIMIT :limit
        )
        UNION ALL
        SELECT * FROM (
            SELECT id, due_at FROM jobs WHERE leased_until < :now AND due_at <= :now
            ORDER BY due_at, id LIMIT :limit
        )
        ORDER BY due_at, id LIMIT :limit
    )
)
RETURNING *;

-- name: reset_messages
-- A script: run as several statements.
DELETE FROM messages;
DELETE FROM media;
DELETE FROM status_events;
DELETE FROM jobs;
DELETE FROM webhook_attempts;
DELETE FROM scenarios;
DELETE FROM cookie_jars;
DELETE FROM message_feedback;
DELETE FROM sender_choices;
DELETE FROM sticky_senders;

-- name: reset_numbers
DELETE FROM service_phone_numbers;
DELETE FROM service_senders;
DELETE FROM account_senders;
DELETE FROM phone_numbers;
DELETE FROM messaging_services;
DELETE FROM opt_outs;
DELETE FROM opt_out_settings;
DELETE FROM event_sinks;
DELETE FROM content_approvals;
DELETE FROM contents;

-- name: migration_lock
-- Nothing to take: the migrating transaction holds SQLite's one write lock (BEGIN IMMEDIATE).
SELECT :key AS key;

-- name: schema_migrations_columns
SELECT name FROM pragma_table_info('schema_migrations');

-- name: name_legacy_migrations
-- Before names were recorded, SQLite's migrations were numbered as they are now.
UPDATE schema_migrations
SET name = CASE version
    WHEN 1 THEN 'initial'
    WHEN 2 THEN 'opt_outs_and_scenarios'
    WHEN 3 THEN 'job_ids_never_reused'
    WHEN 4 THEN 'cookie_jars'
END
WHERE name IS NULL;

-- name: create_schema_migrations
CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT);

-- name: add_migration_names
-- A database migrated before names were recorded.
ALTER TABLE schema_migrations ADD COLUMN name TEXT;

-- name: applied_migrations
SELECT version, name FROM schema_migrations ORDER BY version;

-- name: forget_migrations
DELETE FROM schema_migrations;

-- name: record_migration
INSERT INTO schema_migrations (version, name) VALUES (:version, :name);

-- name: loop_replies_went
-- The newest replies from one number to another that were not held by loop protection.
SELECT date_created FROM messages
WHERE direction = 'outbound-reply' AND from_addr = :from_addr AND to_addr = :to_addr
    AND (error_code IS NULL OR error_code <> 14107)
ORDER BY date_created DESC
LIMIT :limit;

-- name: loop_first_held
-- The first reply held by loop protection since a given time (NULL when none).
SELECT MIN(date_created) AS at FROM messages
WHERE direction = 'outbound-reply' AND from_addr = :from_addr AND to_addr = :to_addr
    AND error_code = 14107 AND date_created >= :since;

-- name: stats_messages_per_minute
-- The dashboard's charts: aggregates computed by the database, not by fetching the rows, over
-- what is recent, so they cost the same however large the store grows: the minutes from
-- :since through messages_created, and the rest over the newest :recent messages or attempts.
-- In SQLite the minutes name their index. The newest rows of several accounts come from
-- messages_account, each account's newest first: the sort keeps :recent rows and stops reading
-- an account once its rows can no longer make the cut. They name it too: without statistics
-- SQLite ranks messages_sent (account_sid first as well, then the date) the same, and through
-- it sorts every row of the accounts (1.2-1.4 s at a million messages, docs/performance.md).
SELECT date_created / 60000000 AS minute, status, COUNT(*) AS n
FROM messages INDEXED BY messages_created
WHERE account_sid IN (SELECT value FROM json_each(:account_sids)) AND date_created >= :since
GROUP BY date_created / 60000000, status ORDER BY minute;

-- name: stats_message_statuses
SELECT direction, status, COUNT(*) AS n FROM (
    SELECT direction, status FROM messages INDEXED BY messages_account
    WHERE account_sid IN (SELECT value FROM json_each(:account_sids))
    ORDER BY seq DESC LIMIT :recent
) AS recent
GROUP BY direction, status;

-- name: stats_error_codes
SELECT source, error_code, COUNT(*) AS n FROM (
    SELECT 'message' AS source, error_code FROM (
        SELECT error_code FROM messages INDEXED BY messages_account
        WHERE account_sid IN (SELECT value FROM json_each(:account_sids))
        ORDER BY seq DESC LIMIT :recent
    ) AS messages_recent WHERE error_code IS NOT NULL
    UNION ALL
    SELECT 'webhook' AS source, error_code FROM (
        SELECT error_code FROM webhook_attempts WHERE account_sid IN (SELECT value FROM json_each(:account_sids))
        ORDER BY seq DESC LIMIT :recent
    ) AS attempts_recent WHERE error_code IS NOT NULL
) AS coded
GROUP BY source, error_code ORDER BY n DESC, error_code LIMIT 12;

-- name: stats_webhook_latency
-- Nearest-rank percentiles: the smallest duration whose rank reaches p% of the attempts.
SELECT COUNT(*) AS n,
    MIN(CASE WHEN rn * 100 >= total * 50 THEN duration_ms END) AS p50,
    MIN(CASE WHEN rn * 100 >= total * 90 THEN duration_ms END) AS p90,
    MIN(CASE WHEN rn * 100 >= total * 99 THEN duration_ms END) AS p99,
    MAX(duration_ms) AS max
FROM (
    SELECT duration_ms, ROW_NUMBER() OVER (ORDER BY duration_ms) AS rn, COUNT(*) OVER () AS total
    FROM (
        SELECT duration_ms FROM webhook_attempts WHERE account_sid IN (SELECT value FROM json_each(:account_sids))
        ORDER BY seq DESC LIMIT :recent
    ) AS recent
) AS ranked;

-- name: search_message_seq
-- The searches of the dashboard and the assertion API: newest first, keyset paged on seq.
-- :account_sids is a JSON array; :pattern is a LIKE pattern whose % and _ are escaped with \
-- (case-insensitive for ASCII).
SELECT seq FROM messages
WHERE sid = :sid AND account_sid IN (SELECT value FROM json_each(:account_sids));

-- fragment: message_search_filter
-- The conditions every message search shares (the dashboard's finder and the assertion
-- API); each search_messages* query adds its address conditions and its index.
  AND (:pattern IS NULL OR body LIKE :pattern ESCAPE '\' OR sid LIKE :pattern ESCAPE '\'
       OR to_addr LIKE :pattern ESCAPE '\' OR from_addr LIKE :pattern ESCAPE '\')
  AND (:number IS NULL OR to_addr = :number OR from_addr = :number)
  AND (:service_sid IS NULL OR messaging_service_sid = :service_sid)
  AND (:status IS NULL OR status = :status)
  AND (:direction IS NULL OR direction = :direction
       OR (:direction = 'outbound' AND direction LIKE 'outbound-%'))
  AND (:channel IS NULL
       OR (:channel = 'sms' AND to_addr NOT LIKE '%:%' AND COALESCE(from_addr, '') NOT LIKE '%:%')
       OR to_addr LIKE :channel || ':%' OR from_addr LIKE :channel || ':%')
  AND (:error_code IS NULL OR error_code = :error_code)
  AND (:created_from IS NULL OR date_created >= :created_from)
  AND (:created_before IS NULL OR date_created < :created_before)
  AND (:before_seq IS NULL OR seq < :before_seq)

-- name: search_messages
-- INDEXED BY: each account's newest rows first (messages_account), the sort stopping once the
-- page is full, as the stats above.
SELECT * FROM messages INDEXED BY messages_account
WHERE account_sid IN (SELECT value FROM json_each(:account_sids))
  AND (:to_addr IS NULL OR to_addr = :to_addr)
  AND (:from_addr IS NULL OR from_addr = :from_addr)
  -- include: message_search_filter
ORDER BY seq DESC LIMIT :limit;

-- name: search_messages_to
-- With To (and perhaps From): the newest rows of messages_to, as list_messages_to.
SELECT * FROM messages INDEXED BY messages_to
WHERE account_sid IN (SELECT value FROM json_each(:account_sids))
  AND to_addr = :to_addr
  AND (:from_addr IS NULL OR from_addr = :from_addr)
  -- include: message_search_filter
ORDER BY seq DESC LIMIT :limit;

-- name: search_messages_from
-- With From and no To: the newest rows of messages_from, as list_messages_from.
SELECT * FROM messages INDEXED BY messages_from
WHERE account_sid IN (SELECT value FROM json_each(:account_sids))
  AND from_addr = :from_addr
  -- include: message_search_filter
ORDER BY seq DESC LIMIT :limit;

-- name: search_messages_number
-- With a number and neither To nor From: the newest page of messages_to for it and the newest
-- page of messages_from (without the rows already in the first), merged. A rare number and a
-- busy one alike cost two pages, not a pass over the store.
SELECT * FROM (
    SELECT * FROM (
        SELECT * FROM messages INDEXED BY messages_to
        WHERE account_sid IN (SELECT value FROM json_each(:account_sids))
          AND to_addr = :number
          -- include: message_search_filter
        ORDER BY seq DESC LIMIT :limit
    ) AS by_to
    UNION ALL
    SELECT * FROM (
        SELECT * FROM messages INDEXED BY messages_from
        WHERE account_sid IN (SELECT value FROM json_each(:account_sids))
          AND from_addr = :number AND to_addr <> :number
          -- include: message_search_filter
        ORDER BY seq DESC LIMIT :limit
    ) AS by_from
) AS both_sides
ORDER BY seq DESC LIMIT :limit;

-- name: search_attempt_seq
SELECT seq FROM webhook_attempts
WHERE sid = :sid AND account_sid IN (SELECT value FROM json_each(:account_sids));

-- fragment: attempt_search_filter
-- The conditions every attempt search shares but the number; each search_attempts* query adds
-- its own way of matching a number, and its index.
  AND (:pattern IS NULL OR sid LIKE :pattern ESCAPE '\' OR message_sid LIKE :pattern ESCAPE '\'
       OR url LIKE :pattern ESCAPE '\'
       OR message_sid IN (SELECT m.sid FROM messages AS m
                          WHERE m.account_sid IN (SELECT value FROM json_each(:account_sids))
                            AND (m.body LIKE :pattern ESCAPE '\' OR m.to_addr LIKE :pattern ESCAPE '\'
                                 OR m.from_addr LIKE :pattern ESCAPE '\')))
  AND (:service_sid IS NULL OR message_sid IN (SELECT m.sid FROM messages AS m
                                                WHERE m.messaging_service_sid = :service_sid))
  AND (:message_sid IS NULL OR message_sid = :message_sid)
  AND (:kind IS NULL OR kind = :kind)
  AND (:url IS NULL OR url = :url)
  AND (:status IS NULL OR response_status = :status)
  AND (:failed = 0 OR error_code IS NOT NULL OR response_status IS NULL OR response_status >= 400)
  AND (:error_code IS NULL OR error_code = :error_code)
  AND (:created_from IS NULL OR date_created >= :created_from)
  AND (:created_before IS NULL OR date_created < :created_before)
  AND (:before_seq IS NULL OR seq < :before_seq)

-- name: search_attempts
-- A number (when given) matched row by row through the message's primary key: newest attempts
-- first, a lookup each, so a busy number's page is found in a few hundred rows. A rare number
-- would cost a pass over every attempt this way: search_attempts_rare_number reads it instead.
SELECT * FROM webhook_attempts
WHERE account_sid IN (SELECT value FROM json_each(:account_sids))
  AND (:number IS NULL OR EXISTS (SELECT 1 FROM messages AS m
                              WHERE m.sid = webhook_attempts.message_sid
                                AND (m.to_addr = :number OR m.from_addr = :number)))
  -- include: attempt_search_filter
ORDER BY seq DESC LIMIT :limit;

-- name: count_number_messages
-- How many messages a number has on either side, counted up to :cap on each: enough to tell a
-- rare number from a busy one, reading at most 2 x :cap index entries.
SELECT (SELECT count(*) FROM (SELECT 1 FROM messages WHERE to_addr = :number LIMIT :cap) AS t)
     + (SELECT count(*) FROM (SELECT 1 FROM messages WHERE from_addr = :number LIMIT :cap) AS f)
     AS messages;

-- name: search_attempts_rare_number
-- A number with few messages: their attempts, through webhook_attempts_message, sorted. Costs
-- the number's own attempts, however many the store holds.
SELECT * FROM webhook_attempts INDEXED BY webhook_attempts_message
WHERE message_sid IN (SELECT sid FROM messages WHERE to_addr = :number
                      UNION SELECT sid FROM messages WHERE from_addr = :number)
  AND account_sid IN (SELECT value FROM json_each(:account_sids))
  -- include: attempt_search_filter
ORDER BY seq DESC LIMIT :limit;

-- Senders besides phone numbers: short codes and channel senders an account holds, the pool
-- entries that are not phone numbers, sticky senders, and why a message got its sender.

-- name: insert_account_sender
INSERT INTO account_senders (sid, account_sid, kind, address, country_code, friendly_name,
    sms_url, sms_method, sms_fallback_url, sms_fallback_method, date_created, date_updated)
VALUES (:sid, :account_sid, :kind, :address, :country_code, :friendly_name,
    :sms_url, :sms_method, :sms_fallback_url, :sms_fallback_method, :date_created, :date_updated);

-- name: get_account_sender
SELECT * FROM account_senders WHERE account_sid = :account_sid AND sid = :sid;

-- name: find_account_sender
SELECT a.*, s.sid AS service_sid, s.account_sid AS service_account_sid, s.body AS service_body,
    s.date_created AS service_date_created, s.date_updated AS service_date_updated
FROM account_senders a
LEFT JOIN service_senders p ON p.sid = a.sid
LEFT JOIN messaging_services s ON s.sid = p.service_sid
WHERE a.address = :address;

-- name: update_account_sender
UPDATE account_senders SET friendly_name = :friendly_name, sms_url = :sms_url,
    sms_method = :sms_method, sms_fallback_url = :sms_fallback_url,
    sms_fallback_method = :sms_fallback_method, date_updated = :date_updated
WHERE sid = :sid AND account_sid = :account_sid;

-- name: account_sender_seq
SELECT seq FROM account_senders WHERE sid = :sid AND account_sid = :account_sid AND kind = :kind;

-- name: list_account_senders
-- ``address_like``: a LIKE pattern ('*' of Twilio's ShortCode filter made '_').
SELECT * FROM account_senders
WHERE account_sid = :account_sid AND kind = :kind
  AND (:address_like IS NULL OR address LIKE :address_like)
  AND (:friendly_name IS NULL OR friendly_name = :friendly_name)
  AND seq > :after_seq
ORDER BY seq LIMIT :limit;

-- name: insert_service_sender
INSERT INTO service_senders (sid, service_sid, account_sid, kind, sender, country_code,
    date_created, date_updated)
SELECT :sid, :service_sid, :account_sid, :kind, :sender, :country_code, :date_created,
    :date_updated
WHERE EXISTS (SELECT 1 FROM messaging_services WHERE sid = :service_sid);

-- name: get_service_sender
SELECT * FROM service_senders WHERE service_sid = :service_sid AND kind = :kind AND sid = :sid;

-- name: find_service_sender
SELECT * FROM service_senders WHERE sid = :sid;

-- name: delete_service_sender
DELETE FROM service_senders WHERE service_sid = :service_sid AND kind = :kind AND sid = :sid
RETURNING sender;

-- name: service_sender_seq
SELECT seq FROM service_senders WHERE sid = :sid AND service_sid = :service_sid AND kind = :kind;

-- name: list_service_senders
SELECT * FROM service_senders
WHERE service_sid = :service_sid AND kind = :kind
  AND (:country_code IS NULL OR country_code = :country_code)
  AND seq > :after_seq
ORDER BY seq LIMIT :limit;

-- name: service_pool
-- Every sender of the pool and, when :channel and :recipient are given, the recipient's
-- sticky mapping as one more row of kind 'sticky': a service send reads both at once.
SELECT 'phone_number' AS kind, phone_number AS sender, '' AS country_code
FROM service_phone_numbers WHERE service_sid = :service_sid
UNION ALL
SELECT kind, sender, country_code FROM service_senders WHERE service_sid = :service_sid
UNION ALL
SELECT 'sticky', sender, '' FROM sticky_senders
WHERE service_sid = :service_sid AND channel = :channel AND recipient = :recipient;

-- name: save_sticky_sender
INSERT INTO sticky_senders (service_sid, channel, recipient, sender, date_updated)
SELECT :service_sid, :channel, :recipient, :sender, :date_updated
WHERE EXISTS (SELECT 1 FROM messaging_services WHERE sid = :service_sid)
ON CONFLICT (service_sid, channel, recipient) DO UPDATE SET
    sender = excluded.sender, date_updated = excluded.date_updated;

-- name: forget_sticky_sender
-- A sender that leaves the pool takes its mappings with it (SPEC §7.2): the channel forms too.
DELETE FROM sticky_senders
WHERE service_sid = :service_sid AND (sender = :sender OR sender = 'whatsapp:' || :sender);

-- name: save_sender_choice
INSERT INTO sender_choices (message_sid, rule, sender, detail, converted, date_created)
SELECT :message_sid, :rule, :sender, :detail, :converted, :date_created
WHERE EXISTS (SELECT 1 FROM messages WHERE sid = :message_sid)
ON CONFLICT (message_sid) DO UPDATE SET rule = excluded.rule, sender = excluded.sender,
    detail = excluded.detail, converted = excluded.converted;

-- name: get_sender_choice
SELECT * FROM sender_choices WHERE message_sid = :message_sid;

-- Event Streams (SPEC §19) ------------------------------------------------------------------

-- name: insert_sink
INSERT INTO event_sinks (sid, account_sid, description, sink_type, destination, method,
    batch_events, status, test_id, date_created, date_updated)
VALUES (:sid, :account_sid, :description, :sink_type, :destination, :method, :batch_events,
    :status, :test_id, :date_created, :date_updated);

-- name: get_sink
SELECT * FROM event_sinks WHERE account_sid = :account_sid AND sid = :sid;

-- name: find_sink
SELECT * FROM event_sinks WHERE sid = :sid;

-- name: update_sink
UPDATE event_sinks SET description = :description, status = :status, test_id = :test_id,
    date_updated = :date_updated
WHERE sid = :sid;

-- name: delete_sink
-- Its subscriptions go with it (ON DELETE CASCADE).
DELETE FROM event_sinks WHERE account_sid = :account_sid AND sid = :sid;

-- name: sink_seq
SELECT seq FROM event_sinks WHERE sid = :sid AND account_sid = :account_sid;

-- name: list_sinks
SELECT * FROM event_sinks k WHERE account_sid = :account_sid AND seq > :after_seq
  AND (:status IS NULL OR status = :status)
  AND (:in_use IS NULL
       OR EXISTS (SELECT 1 FROM event_subscriptions s WHERE s.sink_sid = k.sid) = :in_use)
ORDER BY seq LIMIT :limit;

-- name: insert_subscription
INSERT INTO event_subscriptions (sid, account_sid, sink_sid, description, date_created,
    date_updated)
VALUES (:sid, :account_sid, :sink_sid, :description, :date_created, :date_updated);

-- name: get_subscription
SELECT * FROM event_subscriptions WHERE account_sid = :account_sid AND sid = :sid;

-- name: update_subscription
UPDATE event_subscriptions SET description = :description, date_updated = :date_updated
WHERE sid = :sid;

-- name: delete_subscription
DELETE FROM event_subscriptions WHERE account_sid = :account_sid AND sid = :sid;

-- name: subscription_seq
SELECT seq FROM event_subscriptions WHERE sid = :sid AND account_sid = :account_sid;

-- name: list_subscriptions
SELECT * FROM event_subscriptions WHERE account_sid = :account_sid AND seq > :after_seq
  AND (:sink_sid IS NULL OR sink_sid = :sink_sid)
ORDER BY seq LIMIT :limit;

-- name: save_subscribed_event
INSERT INTO event_subscribed_types (subscription_sid, account_sid, type, schema_version)
VALUES (:subscription_sid, :account_sid, :type, :schema_version)
ON CONFLICT (subscription_sid, type) DO UPDATE SET schema_version = excluded.schema_version;

-- name: get_subscribed_event
SELECT * FROM event_subscribed_types WHERE subscription_sid = :subscription_sid AND type = :type;

-- name: delete_subscribed_event
DELETE FROM event_subscribed_types WHERE subscription_sid = :subscription_sid AND type = :type;

-- name: subscribed_event_seq
-- The page token of subscribed events is the type (they have no sid).
SELECT seq FROM event_subscribed_types WHERE type = :sid AND subscription_sid = :subscription_sid;

-- name: list_subscribed_events
SELECT * FROM event_subscribed_types WHERE subscription_sid = :subscription_sid
  AND seq > :after_seq
ORDER BY seq LIMIT :limit;

-- name: event_subscribed
-- include: account_subscribes
LIMIT 1;

-- name: fan_out_event
-- One event job per active sink subscribed to :type in the account, naming the highest schema
-- version any of its subscriptions asks for. A batching sink's job waits :batch_window for
-- company (see the event deliveries).
INSERT INTO jobs (kind, account_sid, message_sid, due_at, leased_until, attempts, payload)
SELECT 'event', :account_sid, :message_sid,
    :due_at + CASE WHEN k.batch_events THEN :batch_window ELSE 0 END, NULL, 0,
    json_set(:payload, '$.sink_sid', k.sid,
             '$.events[0].dataschema', :schema_base || MAX(t.schema_version))
FROM event_subscribed_types t
JOIN event_subscriptions s ON s.sid = t.subscription_sid
JOIN event_sinks k ON k.sid = s.sink_sid
WHERE t.account_sid = :account_sid AND t.type = :type AND k.status = 'active'
GROUP BY k.sid, k.batch_events;

-- name: claim_event_batch
-- The same sink's other event jobs due by :until and not running anywhere, leased to the job
-- that will carry them in its request.
UPDATE jobs SET leased_until = :leased_until, attempts = attempts + 1
WHERE id IN (
    SELECT id FROM jobs
    WHERE kind = 'event' AND id <> :id AND due_at <= :until
      AND (leased_until IS NULL OR leased_until < :now)
      AND json_extract(payload, '$.sink_sid') = :sink_sid
    ORDER BY due_at, id LIMIT :limit
)
RETURNING *;
