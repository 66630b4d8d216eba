//! Small SQL helpers shared by the repositories.

use crate::StoreError;

diesel::define_sql_function! {
    /// SQL `lower(text)`: ASCII case folding on SQLite, the database's locale on
    /// PostgreSQL. Applied to both sides of a comparison, so each backend is consistent.
    fn lower(text: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// A SQL `COUNT` as `u64`.
pub(crate) fn count(value: i64) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| StoreError::Backend(format!("negative count {value}")))
}
