//! The tables, written by hand with the column types both backends share (`BigInt`,
//! `Integer`, `Text`, `Bool`, `Timestamp`). `diesel print-schema` would disagree between
//! backends (`Integer` on SQLite, `Int8` on PostgreSQL). JSON columns are `Text`;
//! timestamps hold UTC.

diesel::table! {
    /// Tenants: identity, lifecycle and descriptive fields; JSON in `modules`,
    /// `org_filter`, `metadata` and `settings`.
    tenants (id) {
        id -> BigInt,
        name -> Text,
        display_name -> Text,
        status -> Text,
        service_id -> Nullable<Text>,
        partner_id -> Nullable<Text>,
        plan_id -> Nullable<Text>,
        modules -> Text,
        theme_name -> Nullable<Text>,
        org_filter -> Text,
        admin_email -> Nullable<Text>,
        metadata -> Text,
        settings -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        deleted_at -> Nullable<Timestamp>,
        version -> BigInt,
        /// Name, display name and hosts, case-folded, one per line (`tenantry_tenant::search`).
        search_text -> Nullable<Text>,
    }
}

diesel::table! {
    /// Host names, each owned by one tenant; at most one primary per tenant.
    domains (id) {
        id -> BigInt,
        tenant_id -> BigInt,
        host -> Text,
        is_primary -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// Platform operators and their argon2id password hashes (PHC strings).
    operators (id) {
        id -> BigInt,
        username -> Text,
        password_hash -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    /// API tokens by SHA-256 digest (hex); the token itself is never stored.
    api_tokens (id) {
        id -> BigInt,
        digest -> Text,
        label -> Nullable<Text>,
        scope -> Text,
        tenant_id -> Nullable<BigInt>,
        operator_id -> Nullable<BigInt>,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// The append-only audit log; `tenant_id` is not a foreign key.
    audit_events (id) {
        id -> BigInt,
        at -> Timestamp,
        actor -> Text,
        action -> Text,
        tenant_id -> Nullable<BigInt>,
        tenant_name -> Nullable<Text>,
        request_id -> Nullable<Text>,
        source -> Nullable<Text>,
        outcome -> Text,
        details -> Text,
    }
}

diesel::table! {
    /// One row (`id` 1): the routing version, increased by every tenant write.
    routing_state (id) {
        id -> BigInt,
        version -> BigInt,
    }
}

diesel::table! {
    /// The first response to each `Idempotency-Key` of each actor.
    idempotency_keys (id) {
        id -> BigInt,
        actor -> Text,
        key -> Text,
        fingerprint -> Text,
        status -> Integer,
        body -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// One row (`id` 1): the JWT signing key, hexadecimal.
    signing_keys (id) {
        id -> BigInt,
        secret -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// A tenant's users; unique by (tenant, username) and (tenant, lower-cased email).
    users (id) {
        id -> BigInt,
        tenant_id -> BigInt,
        username -> Text,
        email -> Text,
        email_normalized -> Text,
        name -> Text,
        password_hash -> Nullable<Text>,
        is_active -> Bool,
        is_tenant_admin -> Bool,
        created_at -> Timestamp,
        activated_at -> Nullable<Timestamp>,
        /// Username, email and name, case-folded, one per line (`tenantry_tenant::search`).
        search_text -> Nullable<Text>,
    }
}

diesel::table! {
    /// Single-use activation and password-reset links, by SHA-256 digest (hex).
    user_links (id) {
        id -> BigInt,
        user_id -> BigInt,
        purpose -> Text,
        digest -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// Emails waiting to be sent (and, with `delivered_at`, those sent).
    outbox (id) {
        id -> BigInt,
        tenant_id -> Nullable<BigInt>,
        recipient -> Text,
        subject -> Text,
        body -> Text,
        created_at -> Timestamp,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        last_error -> Nullable<Text>,
        delivered_at -> Nullable<Timestamp>,
        failed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// Each tenant's own database: a file path or a PostgreSQL database and its role;
    /// never a password. One per tenant.
    tenant_databases (tenant_id) {
        tenant_id -> BigInt,
        backend -> Text,
        database -> Text,
        role -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// Tenant databases being created: written before the database is made, removed when
    /// the tenant is committed. A row left behind is an interrupted create.
    provisioning_intents (database) {
        database -> Text,
        tenant_name -> Text,
        backend -> Text,
        role -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// Single-use impersonation secrets, by the SHA-256 digest of the secret.
    impersonation_tokens (id) {
        id -> BigInt,
        tenant_id -> BigInt,
        user_id -> BigInt,
        digest -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(domains -> tenants (tenant_id));
diesel::joinable!(api_tokens -> tenants (tenant_id));
diesel::joinable!(api_tokens -> operators (operator_id));
diesel::joinable!(users -> tenants (tenant_id));
diesel::joinable!(user_links -> users (user_id));
diesel::joinable!(outbox -> tenants (tenant_id));
diesel::joinable!(tenant_databases -> tenants (tenant_id));

diesel::table! {
    /// The requests each API token made in the current throttle window.
    token_requests (id) {
        id -> BigInt,
        token_id -> BigInt,
        made_at -> Timestamp,
    }
}

diesel::table! {
    eox_sync (tenant_name) {
        tenant_name -> Text,
        generation -> BigInt,
        synced_generation -> BigInt,
        pending_since -> Nullable<Timestamp>,
        next_attempt_at -> Timestamp,
        attempts -> Integer,
        last_error -> Nullable<Text>,
        synced_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    eox_owned_keys (external_key) {
        external_key -> Text,
        tenant_name -> Text,
    }
}

diesel::table! {
    webhooks (id) {
        id -> BigInt,
        url -> Text,
        events -> Nullable<Text>,
        tenant_id -> Nullable<BigInt>,
        secret -> Text,
        previous_secret -> Nullable<Text>,
        previous_secret_until -> Nullable<Timestamp>,
        enabled -> Bool,
        failing_since -> Nullable<Timestamp>,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    webhook_events (id) {
        id -> BigInt,
        message_id -> Text,
        event_type -> Text,
        tenant_id -> Nullable<BigInt>,
        created_at -> Timestamp,
        body -> Text,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> BigInt,
        webhook_id -> BigInt,
        event_id -> BigInt,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        last_attempt_at -> Nullable<Timestamp>,
        last_status_code -> Nullable<Integer>,
        last_error -> Nullable<Text>,
        delivered_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::joinable!(webhook_deliveries -> webhooks (webhook_id));
diesel::joinable!(webhook_deliveries -> webhook_events (event_id));

diesel::allow_tables_to_appear_in_same_query!(
    tenants,
    domains,
    operators,
    api_tokens,
    audit_events,
    routing_state,
    idempotency_keys,
    signing_keys,
    users,
    user_links,
    outbox,
    tenant_databases,
    token_requests,
    eox_sync,
    eox_owned_keys,
    webhooks,
    webhook_events,
    webhook_deliveries
);
