-- Reverses up.sql.
DROP TABLE impersonation_tokens;
