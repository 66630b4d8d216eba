//! The rules of a profile's free-text fields, each pushing a [`FieldError`] naming its
//! field.

use serde_json::{Map, Value};

use crate::{FieldError, FieldPath, FieldProblem, LengthUnit};

/// Longest display name, theme name, plan, partner id or list item, in characters.
pub const MAX_TEXT_LENGTH: usize = 255;
/// Most entries in `modules` or `org_filter`.
pub const MAX_LIST_ITEMS: usize = 100;
/// Largest `metadata` object, as compact JSON, in bytes.
pub const MAX_METADATA_BYTES: usize = 64 * 1024;
/// Longest e-mail address (RFC 5321).
pub const MAX_EMAIL_LENGTH: usize = 254;

/// A text, when given: not blank, at most [`MAX_TEXT_LENGTH`] characters, no control
/// characters (the first broken rule is reported).
pub(super) fn text(errors: &mut Vec<FieldError>, field: &'static str, value: Option<&str>) {
    if let Some(problem) = value.and_then(text_problem) {
        errors.push(FieldError::new(FieldPath::field(field), problem));
    }
}

/// An e-mail address, when given: `local@host.tld` without white space or control
/// characters, at most [`MAX_EMAIL_LENGTH`] bytes.
pub(super) fn email(errors: &mut Vec<FieldError>, field: &'static str, value: Option<&str>) {
    let Some(value) = value else { return };
    let well_formed = value.len() <= MAX_EMAIL_LENGTH
        && !value.chars().any(|c| c.is_whitespace() || c.is_control())
        && value.split_once('@').is_some_and(|(local, host)| {
            !local.is_empty() && host.contains('.') && !host.contains('@')
        });
    if !well_formed {
        errors.push(FieldError::new(
            FieldPath::field(field),
            FieldProblem::NotAnEmail,
        ));
    }
}

/// A list of texts, when given: at most [`MAX_LIST_ITEMS`], each following [`text`]'s
/// rules (reported at its index).
pub(super) fn list(errors: &mut Vec<FieldError>, field: &'static str, items: Option<&[String]>) {
    let Some(items) = items else { return };
    if items.len() > MAX_LIST_ITEMS {
        errors.push(FieldError::new(
            FieldPath::field(field),
            FieldProblem::TooLong {
                max: MAX_LIST_ITEMS,
                unit: LengthUnit::Items,
            },
        ));
    }
    for (index, item) in items.iter().enumerate() {
        if let Some(problem) = text_problem(item) {
            errors.push(FieldError::new(FieldPath::field(field).at(index), problem));
        }
    }
}

/// A JSON object, when given, of at most [`MAX_METADATA_BYTES`] as compact JSON.
pub(super) fn metadata(
    errors: &mut Vec<FieldError>,
    field: &'static str,
    metadata: Option<&Map<String, Value>>,
) {
    let Some(metadata) = metadata else { return };
    let size = serde_json::to_string(metadata).map_or(usize::MAX, |text| text.len());
    if size > MAX_METADATA_BYTES {
        errors.push(FieldError::new(
            FieldPath::field(field),
            FieldProblem::TooLong {
                max: MAX_METADATA_BYTES,
                unit: LengthUnit::JsonBytes,
            },
        ));
    }
}

fn text_problem(value: &str) -> Option<FieldProblem> {
    if value.trim().is_empty() {
        Some(FieldProblem::Blank)
    } else if value.chars().count() > MAX_TEXT_LENGTH {
        Some(FieldProblem::TooLong {
            max: MAX_TEXT_LENGTH,
            unit: LengthUnit::Characters,
        })
    } else if value.chars().any(char::is_control) {
        Some(FieldProblem::ControlCharacter)
    } else {
        None
    }
}
