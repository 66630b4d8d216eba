-- Reverses up.sql. Emails given up on (their bodies are gone) stay out of the queue:
-- they read as delivered.
UPDATE outbox SET delivered_at = failed_at WHERE delivered_at IS NULL AND failed_at IS NOT NULL;
DROP INDEX outbox_due_idx;
CREATE INDEX outbox_due_idx ON outbox (next_attempt_at) WHERE delivered_at IS NULL;
ALTER TABLE outbox DROP COLUMN failed_at;
