-- Impersonation on SQLite: single-use secrets that sign the hosting panel's
-- operator in as a tenant's administrator on the tenant's site, kept by the SHA-256
-- digest of the secret, never the secret. They go with their tenant and their user.
CREATE TABLE impersonation_tokens (
    id INTEGER PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    digest TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP NULL,
    CONSTRAINT impersonation_tokens_digest_key UNIQUE (digest)
);
-- The foreign keys' indexes, for the cascades.
CREATE INDEX impersonation_tokens_tenant_id_idx ON impersonation_tokens (tenant_id);
CREATE INDEX impersonation_tokens_user_id_idx ON impersonation_tokens (user_id);
