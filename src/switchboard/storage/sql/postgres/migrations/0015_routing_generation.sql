-- What routes a message to a number (the number, its pool entry, its Messaging Service) is
-- read for every message, and changes rarely. A process keeps what it read with this counter's
-- value at the time, and uses it again only while a read of the counter started after the
-- request arrived still finds that value (storage/routing_cache.py). Every write to those
-- tables moves the counter in the same transaction, whichever node or tool writes it.
CREATE TABLE routing_generation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n BIGINT NOT NULL
);
INSERT INTO routing_generation (id, n) VALUES (1, 0);

CREATE FUNCTION bump_routing_generation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE routing_generation SET n = n + 1;
    RETURN NULL;
END;
$$;

CREATE TRIGGER phone_numbers_routing AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON phone_numbers FOR EACH STATEMENT EXECUTE FUNCTION bump_routing_generation();
CREATE TRIGGER service_phone_numbers_routing AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON service_phone_numbers FOR EACH STATEMENT EXECUTE FUNCTION bump_routing_generation();
CREATE TRIGGER messaging_services_routing AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON messaging_services FOR EACH STATEMENT EXECUTE FUNCTION bump_routing_generation();
