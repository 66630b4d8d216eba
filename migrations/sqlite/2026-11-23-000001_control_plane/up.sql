-- The control plane on SQLite: tenants and their domains, operators, API tokens, audit.
-- Ids are INTEGER PRIMARY KEY (SQLite's auto-assigned 64-bit rowid), timestamps are
-- TIMESTAMP text holding UTC, JSON is TEXT, booleans are 0/1.

CREATE TABLE tenants (
    id INTEGER PRIMARY KEY,
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
CREATE INDEX tenants_status_idx ON tenants (status);
CREATE INDEX tenants_partner_id_idx ON tenants (partner_id);
CREATE INDEX tenants_created_at_idx ON tenants (created_at);

CREATE TABLE domains (
    id INTEGER PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    host TEXT NOT NULL UNIQUE,
    is_primary BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX domains_tenant_id_idx ON domains (tenant_id);
CREATE UNIQUE INDEX domains_one_primary_per_tenant ON domains (tenant_id) WHERE is_primary;

CREATE TABLE operators (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    digest TEXT NOT NULL UNIQUE,
    label TEXT NULL,
    scope TEXT NOT NULL CHECK (scope IN ('admin', 'registration')),
    tenant_id BIGINT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    operator_id BIGINT NULL REFERENCES operators (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP NULL,
    revoked_at TIMESTAMP NULL,
    CHECK (
        (scope = 'admin' AND tenant_id IS NULL)
        OR (scope = 'registration' AND tenant_id IS NOT NULL)
    )
);
CREATE INDEX api_tokens_tenant_id_idx ON api_tokens (tenant_id);
CREATE INDEX api_tokens_operator_id_idx ON api_tokens (operator_id);

-- tenant_id is deliberately not a foreign key: events outlive their tenant.
CREATE TABLE audit_events (
    id INTEGER PRIMARY KEY,
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
CREATE INDEX audit_events_at_idx ON audit_events (at);
CREATE INDEX audit_events_tenant_id_at_idx ON audit_events (tenant_id, at);
CREATE INDEX audit_events_tenant_name_at_idx ON audit_events (tenant_name, at);
CREATE INDEX audit_events_action_at_idx ON audit_events (action, at);
CREATE INDEX audit_events_actor_at_idx ON audit_events (actor, at);
