-- Ids are never reused on SQLite: every table whose rows can be deleted gets
-- `INTEGER PRIMARY KEY AUTOINCREMENT`, so a purged tenant's ids (its own, its users',
-- tokens', emails') are never handed to new rows. Without it SQLite reuses the largest
-- id after it is deleted, and a delivery worker holding email 1 of a purged tenant
-- marked another tenant's new email 1 delivered (issue 10). The outbox also gets
-- `failed_at`: when delivery was given up after repeated permanent rejections.
--
-- SQLite cannot add AUTOINCREMENT to a table, so each is rebuilt, keeping its rows:
-- create `<table>_new`, copy, drop the old table, rename. diesel runs this in one
-- transaction with `foreign_keys = ON`, where the pragma cannot be switched off, and
-- dropping a parent would then cascade into its children. So the new children refer to
-- the new parents (`tenants_new`), the old tables are dropped children first (nothing
-- refers to them any more), and renaming a new parent rewrites its children's
-- references. Indexes are created under their names once the old tables are gone.

CREATE TABLE tenants_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'suspended', 'cancelled', 'deleted')),
    service_id TEXT NULL UNIQUE,
    partner_id TEXT NULL,
    plan_id TEXT NULL,
    modules TEXT NOT NULL,
    theme_name TEXT NULL,
    org_filter TEXT NOT NULL,
    admin_email TEXT NULL,
    metadata TEXT NOT NULL,
    settings TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    deleted_at TIMESTAMP NULL,
    version BIGINT NOT NULL
);
INSERT INTO tenants_new SELECT * FROM tenants;

CREATE TABLE domains_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id BIGINT NOT NULL REFERENCES tenants_new (id) ON DELETE CASCADE,
    host TEXT NOT NULL UNIQUE,
    is_primary BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL
);
INSERT INTO domains_new SELECT * FROM domains;

CREATE TABLE operators_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
INSERT INTO operators_new SELECT * FROM operators;

CREATE TABLE api_tokens_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    digest TEXT NOT NULL UNIQUE,
    label TEXT NULL,
    scope TEXT NOT NULL CHECK (scope IN ('admin', 'registration')),
    tenant_id BIGINT NULL REFERENCES tenants_new (id) ON DELETE CASCADE,
    operator_id BIGINT NULL REFERENCES operators_new (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP NULL,
    revoked_at TIMESTAMP NULL,
    CHECK (
        (scope = 'admin' AND tenant_id IS NULL)
        OR (scope = 'registration' AND tenant_id IS NOT NULL)
    )
);
INSERT INTO api_tokens_new SELECT * FROM api_tokens;

-- tenant_id is deliberately not a foreign key: events outlive their tenant.
CREATE TABLE audit_events_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TIMESTAMP NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    tenant_id BIGINT NULL,
    tenant_name TEXT NULL,
    request_id TEXT NULL,
    source TEXT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('success', 'failure')),
    details TEXT NOT NULL
);
INSERT INTO audit_events_new SELECT * FROM audit_events;

CREATE TABLE idempotency_keys_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    actor TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status INTEGER NOT NULL CHECK (status BETWEEN 100 AND 599),
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    CONSTRAINT idempotency_keys_actor_key_key UNIQUE (actor, key)
);
INSERT INTO idempotency_keys_new SELECT * FROM idempotency_keys;

CREATE TABLE users_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id BIGINT NOT NULL REFERENCES tenants_new (id) ON DELETE CASCADE,
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
INSERT INTO users_new SELECT * FROM users;

CREATE TABLE user_links_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users_new (id) ON DELETE CASCADE,
    purpose TEXT NOT NULL CHECK (purpose IN ('activation', 'password_reset')),
    digest TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP NULL,
    CONSTRAINT user_links_digest_key UNIQUE (digest)
);
INSERT INTO user_links_new SELECT * FROM user_links;

CREATE TABLE outbox_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id BIGINT NULL REFERENCES tenants_new (id) ON DELETE CASCADE,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    attempts INTEGER NOT NULL CHECK (attempts >= 0),
    next_attempt_at TIMESTAMP NOT NULL,
    last_error TEXT NULL,
    delivered_at TIMESTAMP NULL,
    failed_at TIMESTAMP NULL
);
INSERT INTO outbox_new (
    id, tenant_id, recipient, subject, body, created_at, attempts, next_attempt_at,
    last_error, delivered_at
)
SELECT
    id, tenant_id, recipient, subject, body, created_at, attempts, next_attempt_at,
    last_error, delivered_at
FROM outbox;

CREATE TABLE tenant_databases_new (
    tenant_id BIGINT NOT NULL PRIMARY KEY REFERENCES tenants_new (id) ON DELETE CASCADE,
    backend TEXT NOT NULL CHECK (backend IN ('sqlite', 'postgres')),
    database TEXT NOT NULL,
    role TEXT NULL,
    created_at TIMESTAMP NOT NULL,
    CONSTRAINT tenant_databases_database_key UNIQUE (database)
);
INSERT INTO tenant_databases_new SELECT * FROM tenant_databases;

CREATE TABLE impersonation_tokens_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id BIGINT NOT NULL REFERENCES tenants_new (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users_new (id) ON DELETE CASCADE,
    digest TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP NULL,
    CONSTRAINT impersonation_tokens_digest_key UNIQUE (digest)
);
INSERT INTO impersonation_tokens_new SELECT * FROM impersonation_tokens;

-- Children first: when a table is dropped, nothing refers to it any more.
DROP TABLE impersonation_tokens;
DROP TABLE tenant_databases;
DROP TABLE outbox;
DROP TABLE user_links;
DROP TABLE users;
DROP TABLE api_tokens;
DROP TABLE domains;
DROP TABLE audit_events;
DROP TABLE idempotency_keys;
DROP TABLE operators;
DROP TABLE tenants;

-- Parents first: each rename rewrites the references of the (renamed or not) children.
ALTER TABLE tenants_new RENAME TO tenants;
ALTER TABLE operators_new RENAME TO operators;
ALTER TABLE users_new RENAME TO users;
ALTER TABLE domains_new RENAME TO domains;
ALTER TABLE api_tokens_new RENAME TO api_tokens;
ALTER TABLE audit_events_new RENAME TO audit_events;
ALTER TABLE idempotency_keys_new RENAME TO idempotency_keys;
ALTER TABLE user_links_new RENAME TO user_links;
ALTER TABLE outbox_new RENAME TO outbox;
ALTER TABLE tenant_databases_new RENAME TO tenant_databases;
ALTER TABLE impersonation_tokens_new RENAME TO impersonation_tokens;

CREATE INDEX tenants_status_idx ON tenants (status);
CREATE INDEX tenants_partner_id_idx ON tenants (partner_id);
CREATE INDEX tenants_created_at_idx ON tenants (created_at);
CREATE INDEX domains_tenant_id_idx ON domains (tenant_id);
CREATE UNIQUE INDEX domains_one_primary_per_tenant ON domains (tenant_id) WHERE is_primary;
CREATE INDEX api_tokens_tenant_id_idx ON api_tokens (tenant_id);
CREATE INDEX api_tokens_operator_id_idx ON api_tokens (operator_id);
CREATE INDEX audit_events_at_idx ON audit_events (at);
CREATE INDEX audit_events_tenant_id_at_idx ON audit_events (tenant_id, at);
CREATE INDEX audit_events_tenant_name_at_idx ON audit_events (tenant_name, at);
CREATE INDEX audit_events_action_at_idx ON audit_events (action, at);
CREATE INDEX audit_events_actor_at_idx ON audit_events (actor, at);
CREATE INDEX idempotency_keys_created_at_idx ON idempotency_keys (created_at);
CREATE INDEX users_tenant_id_id_idx ON users (tenant_id, id);
CREATE INDEX user_links_user_id_idx ON user_links (user_id);
CREATE INDEX outbox_tenant_id_idx ON outbox (tenant_id);
-- The queue: emails neither delivered nor given up, by the time they are due.
CREATE INDEX outbox_due_idx ON outbox (next_attempt_at)
    WHERE delivered_at IS NULL AND failed_at IS NULL;
CREATE INDEX impersonation_tokens_tenant_id_idx ON impersonation_tokens (tenant_id);
CREATE INDEX impersonation_tokens_user_id_idx ON impersonation_tokens (user_id);

-- The copies set each sequence to the table's largest id. Ids of rows already deleted
-- are unknowable, except tenants': the audit log outlives them, so their sequence also
-- starts past every tenant id it mentions.
DELETE FROM sqlite_sequence WHERE name IN ('tenants', 'tenants_new');
INSERT INTO sqlite_sequence (name, seq)
SELECT 'tenants', max(
    coalesce((SELECT max(id) FROM tenants), 0),
    coalesce((SELECT max(tenant_id) FROM audit_events), 0)
);
