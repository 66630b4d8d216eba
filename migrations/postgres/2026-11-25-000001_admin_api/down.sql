-- Reverses up.sql.
DROP TABLE signing_keys;
DROP TABLE idempotency_keys;
DROP TABLE routing_state;
