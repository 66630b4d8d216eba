-- Each tenant's own database on SQLite: where it is (a file path, or a PostgreSQL
-- database name with its role), never a password. One per tenant, gone with the tenant;
-- dropping the database itself is the caller's job. The constraint names are what the
-- store maps to conflicts on `database`.
CREATE TABLE tenant_databases (
    tenant_id BIGINT NOT NULL PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    backend TEXT NOT NULL CHECK (backend IN ('sqlite', 'postgres')),
    database TEXT NOT NULL,
    role TEXT NULL,
    created_at TIMESTAMP NOT NULL,
    CONSTRAINT tenant_databases_database_key UNIQUE (database)
);
