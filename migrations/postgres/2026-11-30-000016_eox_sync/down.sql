-- Reverses up.sql.
DROP TABLE eox_owned_keys;
DROP TABLE eox_sync;
