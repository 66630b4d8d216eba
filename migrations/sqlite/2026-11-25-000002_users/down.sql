-- Reverses up.sql.
DROP TABLE outbox;
DROP TABLE user_links;
DROP TABLE users;
