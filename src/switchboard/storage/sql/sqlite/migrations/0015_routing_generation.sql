-- What routes a message to a number (the number, its pool entry, its Messaging Service) is
-- read for every message, and changes rarely. A process keeps what it read with this counter's
-- value at the time, and uses it again only while a read of the counter started after the
-- request arrived still finds that value (storage/routing_cache.py). Every write to those
-- tables moves the counter in the same transaction, whichever process or tool writes it.
CREATE TABLE routing_generation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n INTEGER NOT NULL
);
INSERT INTO routing_generation (id, n) VALUES (1, 0);

-- SQLite's triggers take one event each (PostgreSQL's one per table, for every statement).

CREATE TRIGGER phone_numbers_routing_insert AFTER INSERT ON phone_numbers
BEGIN UPDATE routing_generation SET n = n + 1; END;
CREATE TRIGGER phone_numbers_routing_update AFTER UPDATE ON phone_numbers
BEGIN UPDATE routing_generation SET n = n + 1; END;
CREATE TRIGGER phone_numbers_routing_delete AFTER DELETE ON phone_numbers
BEGIN UPDATE routing_generation SET n = n + 1; END;

CREATE TRIGGER service_phone_numbers_routing_insert AFTER INSERT ON service_phone_numbers
BEGIN UPDATE routing_generation SET n = n + 1; END;
CREATE TRIGGER service_phone_numbers_routing_update AFTER UPDATE ON service_phone_numbers
BEGIN UPDATE routing_generation SET n = n + 1; END;
CREATE TRIGGER service_phone_numbers_routing_delete AFTER DELETE ON service_phone_numbers
BEGIN UPDATE routing_generation SET n = n + 1; END;

CREATE TRIGGER messaging_services_routing_insert AFTER INSERT ON messaging_services
BEGIN UPDATE routing_generation SET n = n + 1; END;
CREATE TRIGGER messaging_services_routing_update AFTER UPDATE ON messaging_services
BEGIN UPDATE routing_generation SET n = n + 1; END;
CREATE TRIGGER messaging_services_routing_delete AFTER DELETE ON messaging_services
BEGIN UPDATE routing_generation SET n = n + 1; END;
