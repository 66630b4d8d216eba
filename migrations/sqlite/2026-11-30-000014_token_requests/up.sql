-- The requests each API token made in the last throttle window (issue 12): Tahoe allows a
-- token 60 requests in any 60 seconds, as Django REST framework's throttle does, and the
-- count lives here so that every node sharing the database enforces one limit. Rows older
-- than the window are deleted as the token makes new requests.
CREATE TABLE token_requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    token_id BIGINT NOT NULL REFERENCES api_tokens (id) ON DELETE CASCADE,
    made_at TIMESTAMP NOT NULL
);
CREATE INDEX token_requests_by_token ON token_requests (token_id, made_at);
