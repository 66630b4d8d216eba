-- Reverses up.sql.
DROP TABLE tenant_databases;
