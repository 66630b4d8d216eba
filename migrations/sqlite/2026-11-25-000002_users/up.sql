-- Registration on SQLite: a tenant's users, their single-use links, and the outbox of
-- emails written in the same transaction as the change that causes them.

-- Usernames are unique per tenant as given; emails per tenant by their lower-cased form
-- (`email_normalized`), while `email` keeps the text as registered, for display.
-- The constraint names are what the store maps to conflicts on `username` and `email`.
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    username TEXT NOT NULL,
    email TEXT NOT NULL,
    email_normalized TEXT NOT NULL,
    name TEXT NOT NULL,
    password_hash TEXT NULL,
    is_active BOOLEAN NOT NULL,
    is_tenant_admin BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    activated_at TIMESTAMP NULL,
    CONSTRAINT users_tenant_id_username_key UNIQUE (tenant_id, username),
    CONSTRAINT users_tenant_id_email_normalized_key UNIQUE (tenant_id, email_normalized),
    CONSTRAINT users_active_since CHECK (activated_at IS NOT NULL OR NOT is_active)
);
-- A tenant's users in id order (listing and its count).
CREATE INDEX users_tenant_id_id_idx ON users (tenant_id, id);

-- Activation and password-reset links, by the SHA-256 digest of their secret.
CREATE TABLE user_links (
    id INTEGER PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose TEXT NOT NULL CHECK (purpose IN ('activation', 'password_reset')),
    digest TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP NULL,
    CONSTRAINT user_links_digest_key UNIQUE (digest)
);
CREATE INDEX user_links_user_id_idx ON user_links (user_id);

-- Emails to send. A purged tenant's emails go with it (they would carry links to users
-- who no longer exist, and addresses that must not outlive the tenant's data); emails
-- without a tenant stay.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    tenant_id BIGINT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    attempts INTEGER NOT NULL CHECK (attempts >= 0),
    next_attempt_at TIMESTAMP NOT NULL,
    last_error TEXT NULL,
    delivered_at TIMESTAMP NULL
);
CREATE INDEX outbox_tenant_id_idx ON outbox (tenant_id);
-- The queue: undelivered emails by the time they are due.
CREATE INDEX outbox_due_idx ON outbox (next_attempt_at) WHERE delivered_at IS NULL;
