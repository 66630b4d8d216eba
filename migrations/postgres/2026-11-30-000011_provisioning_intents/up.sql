-- Tenant databases about to be created (issue 10): a row is written, and committed,
-- before the database (and role) is made, and removed in the transaction that records the
-- finished tenant. A row left behind is a create interrupted on the way: start-up, or the
-- next create of that tenant, drops its database and the row. No password is stored. No
-- foreign key: the tenant does not exist yet.
CREATE TABLE provisioning_intents (
    database TEXT NOT NULL PRIMARY KEY,
    tenant_name TEXT NOT NULL,
    backend TEXT NOT NULL CHECK (backend IN ('sqlite', 'postgres')),
    role TEXT NULL,
    created_at TIMESTAMP NOT NULL
);
