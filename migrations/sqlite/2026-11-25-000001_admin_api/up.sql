-- What the admin API needs on SQLite: a routing version for host caches, remembered
-- responses to idempotent requests, and the key that signs JWTs.

-- One row: increased by every tenant insert, save and delete, in the same transaction.
CREATE TABLE routing_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO routing_state (id, version) VALUES (1, 0);

-- The first response to each (actor, key); expired rows are replaced, not purged here.
CREATE TABLE idempotency_keys (
    id INTEGER PRIMARY KEY,
    actor TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status INTEGER NOT NULL CHECK (status BETWEEN 100 AND 599),
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    CONSTRAINT idempotency_keys_actor_key_key UNIQUE (actor, key)
);
CREATE INDEX idempotency_keys_created_at_idx ON idempotency_keys (created_at);

-- One row: the deployment's JWT signing key, hexadecimal; the first node to start stores it.
CREATE TABLE signing_keys (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    secret TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
