-- Reverses up.sql.
DROP TABLE provisioning_intents;
