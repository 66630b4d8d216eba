-- Signed webhooks (issue 13). Operators register endpoints; every successful change that
-- is a webhook event (tenant.created, user.registered, …) is written as an event with one
-- delivery per matching endpoint, in the transaction of the change (the audit log's write
-- does it). A worker sends due deliveries, signed per the Standard Webhooks specification.
CREATE TABLE webhooks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    url TEXT NOT NULL,
    -- A JSON list of event types, or NULL for every type.
    events TEXT NULL,
    -- Only events of this tenant (no foreign key: its tenant.purged event still goes out).
    tenant_id BIGINT NULL,
    -- The signing secret (whsec_ + base64): kept as is, since signing needs it.
    secret TEXT NOT NULL,
    -- The secret before the latest rotation, valid (signatures carry both) until then.
    previous_secret TEXT NULL,
    previous_secret_until TIMESTAMP NULL,
    enabled BOOLEAN NOT NULL,
    -- Since when deliveries to it have been given up (NULL: it works).
    failing_since TIMESTAMP NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE webhook_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id TEXT NOT NULL UNIQUE,
    event_type TEXT NOT NULL,
    tenant_id BIGINT NULL,
    created_at TIMESTAMP NOT NULL,
    -- The JSON body every endpoint receives: {"id","type","timestamp","data"}.
    body TEXT NOT NULL
);

CREATE TABLE webhook_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id BIGINT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id BIGINT NOT NULL REFERENCES webhook_events (id) ON DELETE CASCADE,
    -- pending, delivered or failed (given up after the last attempt).
    status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts INTEGER NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    last_attempt_at TIMESTAMP NULL,
    last_status_code INTEGER NULL,
    -- Why the last attempt failed, or the start of the response: a short excerpt.
    last_error TEXT NULL,
    delivered_at TIMESTAMP NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (webhook_id, id);
CREATE INDEX webhook_deliveries_by_event ON webhook_deliveries (event_id);
