-- Reverses up.sql.
DROP TABLE token_requests;
