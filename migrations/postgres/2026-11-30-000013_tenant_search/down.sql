-- Reverses up.sql; pg_trgm stays installed (other objects may use it).
DROP INDEX IF EXISTS tenants_search_trgm;
ALTER TABLE tenants DROP COLUMN search_text;
