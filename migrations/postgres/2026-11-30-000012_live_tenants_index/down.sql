-- Reverses up.sql.
DROP INDEX tenants_live_by_id;
