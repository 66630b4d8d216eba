//! The deployment's JWT signing key: stored once, by whichever node asks first.

use diesel::prelude::*;

use crate::schema::signing_keys;
use crate::{DbConnection, StoreError};

/// The id of the single `signing_keys` row.
const ROW: i64 = 1;

/// The stored key; `candidate` is stored first when there is none. Concurrent callers all
/// get the key that won: the insert does nothing when the row exists (`ON CONFLICT DO
/// NOTHING`, which diesel offers on each concrete connection but not on the
/// multi-backend one).
pub(crate) fn get_or_store(
    conn: &mut DbConnection,
    candidate: &[u8],
) -> Result<Vec<u8>, StoreError> {
    let row = (
        signing_keys::id.eq(ROW),
        signing_keys::secret.eq(to_hex(candidate)),
    );
    match conn {
        DbConnection::Sqlite(conn) => diesel::insert_into(signing_keys::table)
            .values(row)
            .on_conflict_do_nothing()
            .execute(conn)?,
        DbConnection::Postgres(conn) => diesel::insert_into(signing_keys::table)
            .values(row)
            .on_conflict_do_nothing()
            .execute(conn)?,
    };
    let stored: String = signing_keys::table
        .find(ROW)
        .select(signing_keys::secret)
        .first(conn)?;
    from_hex(&stored).ok_or_else(|| StoreError::corrupt("signing_keys.secret", "not hexadecimal"))
}

/// `bytes` as lowercase hexadecimal.
fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        text.push(char::from(DIGITS[usize::from(byte >> 4)]));
        text.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    text
}

/// The bytes hexadecimal `text` spells; `None` when it is not an even number of
/// hexadecimal digits.
fn from_hex(text: &str) -> Option<Vec<u8>> {
    fn digit(byte: u8) -> Option<u8> {
        char::from(byte)
            .to_digit(16)
            .and_then(|value| u8::try_from(value).ok())
    }
    let pairs = text.as_bytes().chunks_exact(2);
    if !pairs.remainder().is_empty() {
        return None;
    }
    pairs
        .map(|pair| match pair {
            [high, low] => Some((digit(*high)? << 4) | digit(*low)?),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips_and_refuses_other_text() {
        let bytes: Vec<u8> = (0..=255).collect();
        assert_eq!(from_hex(&to_hex(&bytes)), Some(bytes));
        assert_eq!(to_hex(&[0x00, 0xab, 0xff]), "00abff");
        assert_eq!(from_hex("00ABff"), Some(vec![0x00, 0xab, 0xff]));
        assert_eq!(from_hex(""), Some(Vec::new()));
        for bad in ["0", "zz", "+1", "0g"] {
            assert_eq!(from_hex(bad), None, "{bad}");
        }
    }
}
