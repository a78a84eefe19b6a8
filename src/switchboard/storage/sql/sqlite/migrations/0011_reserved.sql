-- Placeholder for migration 0011, which another branch adds: the loader wants versions 1..n
-- without gaps. Replace this file with that branch's 0011 when merging.
SELECT 1;
