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
        signing_keys::secret.eq(hex::encode(candidate)),
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
    hex::decode(&stored).map_err(|_| StoreError::corrupt("signing_keys.secret", "not hexadecimal"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_stored_form_is_lowercase_hex_and_reads_either_case() {
        // Keys stored before the `hex` crate replaced a hand-written encoder must still read.
        let bytes: Vec<u8> = (0..=255).collect();
        assert_eq!(hex::decode(hex::encode(&bytes)).unwrap(), bytes);
        assert_eq!(hex::encode([0x00, 0xab, 0xff]), "00abff");
        assert_eq!(hex::decode("00ABff").unwrap(), [0x00, 0xab, 0xff]);
        assert_eq!(hex::decode("").unwrap(), Vec::<u8>::new());
        for bad in ["0", "zz", "+1", "0g"] {
            assert!(hex::decode(bad).is_err(), "{bad}");
        }
    }
}
