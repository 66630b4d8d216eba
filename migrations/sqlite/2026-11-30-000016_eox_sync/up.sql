-- The eox-tenant sync (issue 13). Every successful change that affects what Open edX should
-- hold for a tenant marks the tenant here, in the transaction of the change (the audit
-- log's write does it): `generation` counts the changes, `synced_generation` the ones
-- the LMS has. A worker brings due tenants in step and records the outcome. Keyed by the
-- tenant's name, not its id: a purged tenant's rows in the LMS must still be removed.
CREATE TABLE eox_sync (
    tenant_name TEXT NOT NULL PRIMARY KEY,
    generation BIGINT NOT NULL,
    synced_generation BIGINT NOT NULL DEFAULT 0,
    pending_since TIMESTAMP NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NULL,
    synced_at TIMESTAMP NULL
);
CREATE INDEX eox_sync_due ON eox_sync (next_attempt_at) WHERE generation > synced_generation;

-- The external_keys of eox_tenant_tenantconfig rows tenantry created (or is about to
-- create: a key is recorded before its row is written). Rows with other keys, and routes
-- pointing at them, are never changed.
CREATE TABLE eox_owned_keys (
    external_key TEXT NOT NULL PRIMARY KEY,
    tenant_name TEXT NOT NULL
);
CREATE INDEX eox_owned_keys_by_tenant ON eox_owned_keys (tenant_name);
