-- Reverses up.sql.
DROP TRIGGER tenants_search_reindex;
DROP TRIGGER tenants_search_unindex;
DROP TRIGGER tenants_search_delete;
DROP TRIGGER tenants_search_insert;
DROP TABLE tenants_search;
ALTER TABLE tenants DROP COLUMN search_text;
