//! Small SQL helpers shared by the repositories.

use crate::StoreError;

/// The `LIKE` escape character used with [`escape_like`].
pub(crate) const LIKE_ESCAPE: char = '\\';

/// `input` with `\`, `%` and `_` escaped, so that it matches itself literally inside a
/// `LIKE … ESCAPE '\'` pattern.
pub(crate) fn escape_like(input: &str) -> String {
    let mut escaped = String::with_capacity(input.len() + 2);
    for character in input.chars() {
        if matches!(character, '\\' | '%' | '_') {
            escaped.push(LIKE_ESCAPE);
        }
        escaped.push(character);
    }
    escaped
}

/// A SQL `COUNT` as `u64`.
pub(crate) fn count(value: i64) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| StoreError::Backend(format!("negative count {value}")))
}

diesel::define_sql_function! {
    /// SQL `coalesce` of two nullable timestamps: the first that is not NULL.
    fn coalesce(
        first: diesel::sql_types::Nullable<diesel::sql_types::Timestamp>,
        second: diesel::sql_types::Nullable<diesel::sql_types::Timestamp>,
    ) -> diesel::sql_types::Nullable<diesel::sql_types::Timestamp>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_wildcards_and_the_escape_character_are_escaped() {
        assert_eq!(escape_like("plain"), "plain");
        assert_eq!(escape_like("50%_off"), "50\\%\\_off");
        assert_eq!(escape_like("back\\slash"), "back\\\\slash");
    }
}
