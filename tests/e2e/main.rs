//! End-to-end tests: the real app over HTTP, each test on its own database, on SQLite and
//! on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod admin_access;
mod admin_records;
mod admin_tenants;
mod bounds;
mod chaos;
mod emails;
mod eox_sync;
mod hosting;
mod http_semantics;
mod logins;
mod openedx;
mod operations;
mod provisioning;
mod signals;
mod startup;
mod tahoe;
mod webhooks;
