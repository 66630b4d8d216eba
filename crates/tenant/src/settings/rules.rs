//! Checks shared by the settings groups.

use crate::{FieldError, FieldPath, FieldProblem};

/// Pushes an [`FieldProblem::OutOfRange`] when `value` is outside `min..=max`; returns
/// whether it is inside.
pub(super) fn check_bounds<T>(
    errors: &mut Vec<FieldError>,
    path: FieldPath,
    value: T,
    min: T,
    max: T,
) -> bool
where
    T: Copy + Into<i64>,
{
    let (value, min, max) = (value.into(), min.into(), max.into());
    if (min..=max).contains(&value) {
        return true;
    }
    errors.push(FieldError::new(
        path,
        FieldProblem::OutOfRange {
            value: value.into(),
            min,
            max,
        },
    ));
    false
}
