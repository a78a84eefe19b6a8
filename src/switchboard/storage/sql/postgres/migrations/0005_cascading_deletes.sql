-- Deletes cascade in the schema: a message's media and status events go with it, a pool entry
-- goes with its number or its service. Rows that lost their parent (none should exist: the
-- store deleted children with their parents) are dropped so the constraints can be checked.

DELETE FROM media WHERE message_sid NOT IN (SELECT sid FROM messages);
ALTER TABLE media ADD CONSTRAINT media_message_fk
    FOREIGN KEY (message_sid) REFERENCES messages (sid) ON DELETE CASCADE;

DELETE FROM status_events WHERE message_sid NOT IN (SELECT sid FROM messages);
ALTER TABLE status_events ADD CONSTRAINT status_events_message_fk
    FOREIGN KEY (message_sid) REFERENCES messages (sid) ON DELETE CASCADE;

DELETE FROM service_phone_numbers
WHERE sid NOT IN (SELECT sid FROM phone_numbers)
   OR service_sid NOT IN (SELECT sid FROM messaging_services);
ALTER TABLE service_phone_numbers
    ADD CONSTRAINT service_phone_numbers_number_fk
        FOREIGN KEY (sid) REFERENCES phone_numbers (sid) ON DELETE CASCADE,
    ADD CONSTRAINT service_phone_numbers_service_fk
        FOREIGN KEY (service_sid) REFERENCES messaging_services (sid) ON DELETE CASCADE;
