-- Placeholder: version 08 belongs to another branch's migration. Delete this file when
-- merging that branch (it keeps the numbering contiguous until then).
SELECT 1;
