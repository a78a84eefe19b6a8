-- Job ids are never reused: SQLite's 0003 rebuilds its jobs table with AUTOINCREMENT.
-- PostgreSQL's identity columns never hand out an id twice, so there is nothing to change;
-- the migration exists so that both dialects number their migrations alike.
SELECT 1;
