//! Infrastructure every dialect stands on: the server builder, shared state, the storage
//! port, the error type, request bodies and queries, request ids, metrics, authentication,
//! limits and the one way to register a route. Nothing here knows a dialect.

pub mod auth;
pub mod body;
pub mod connections;
pub mod error;
pub mod fields;
pub mod hashing;
pub mod limits;
pub mod metrics;
pub mod probes;
pub mod query;
pub mod repeats;
pub mod request_id;
pub mod resolve_cache;
pub mod routing;
pub mod server;
pub mod state;
pub mod storage;
