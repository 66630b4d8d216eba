//! Field-addressed validation errors.
//!
//! A rule that rejects part of a structured input says *where* (the path of the field,
//! `settings.mfa_methods[0]`) and *what* is wrong, as a typed [`FieldProblem`] carrying
//! what a client needs to fix it (the bounds, the allowed values, the known fields). The
//! words a client reads are chosen by each wire format: the HTTP layer turns the path into
//! FastAPI's `loc` (`["body","settings","mfa_methods",0]`) and the problem into its `type`
//! and `msg`. [`FieldProblem`]'s `Display` is this crate's own plain English.
//!
//! ```
//! use tenantry_tenant::{FieldError, FieldPath, FieldProblem};
//!
//! let error = FieldError::new(
//!     FieldPath::field("session_timeout"),
//!     FieldProblem::OutOfRange { value: 0, min: 1, max: 43_200 },
//! )
//! .under(&FieldPath::field("settings"));
//! assert_eq!(error.to_string(), "settings.session_timeout: must be from 1 to 43200");
//! ```

use std::fmt;

/// One step of a path into a structured input: a named field or a list index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathSegment {
    /// A field of an object, e.g. `mfa_methods`.
    Field(&'static str),
    /// A position in a list, counted from 0.
    Index(usize),
}

/// The path of a field inside an input, outermost first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldPath(Vec<PathSegment>);

impl FieldPath {
    /// The empty path: the input as a whole.
    pub fn root() -> Self {
        Self(Vec::new())
    }

    /// A path of one field.
    pub fn field(name: &'static str) -> Self {
        Self(vec![PathSegment::Field(name)])
    }

    /// This path extended by a field.
    #[must_use]
    pub fn and(mut self, name: &'static str) -> Self {
        self.0.push(PathSegment::Field(name));
        self
    }

    /// This path extended by a list index.
    #[must_use]
    pub fn at(mut self, index: usize) -> Self {
        self.0.push(PathSegment::Index(index));
        self
    }

    /// This path placed under `prefix` (`prefix` comes first).
    #[must_use]
    pub fn under(self, prefix: &FieldPath) -> Self {
        let mut segments = prefix.0.clone();
        segments.extend(self.0);
        Self(segments)
    }

    /// The segments, outermost first.
    pub fn segments(&self) -> &[PathSegment] {
        &self.0
    }

    /// The innermost field name (`max_length` in `password_policy.max_length`,
    /// `mfa_methods` in `mfa_methods[2]`), if the path names any field.
    pub fn last_field(&self) -> Option<&'static str> {
        self.0.iter().rev().find_map(|segment| match segment {
            PathSegment::Field(name) => Some(*name),
            PathSegment::Index(_) => None,
        })
    }

    /// Whether the path starts with the field `name`.
    pub fn starts_with(&self, name: &str) -> bool {
        matches!(self.0.first(), Some(PathSegment::Field(first)) if *first == name)
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                PathSegment::Field(name) if i == 0 => write!(f, "{name}")?,
                PathSegment::Field(name) => write!(f, ".{name}")?,
                PathSegment::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

/// The JSON type a field needed, in [`FieldProblem::WrongType`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// `true` or `false`.
    Boolean,
    /// A whole number (not a float, not a string of digits).
    Integer,
    /// A list.
    List,
    /// An object.
    Object,
}

impl fmt::Display for ValueKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ValueKind::Boolean => "a boolean",
            ValueKind::Integer => "an integer",
            ValueKind::List => "a list",
            ValueKind::Object => "an object",
        })
    }
}

/// What a length limit counts, in [`FieldProblem::TooLong`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LengthUnit {
    /// Characters of a text.
    Characters,
    /// Entries of a list.
    Items,
    /// Bytes of the value written as compact JSON.
    JsonBytes,
}

/// What is wrong with a field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldProblem {
    /// The value has the wrong type.
    WrongType {
        /// The type the field takes.
        expected: ValueKind,
    },
    /// The value is none of the allowed ones.
    NotOneOf {
        /// Every allowed value, in the order to list them.
        allowed: Vec<&'static str>,
    },
    /// The number is outside `min..=max`.
    OutOfRange {
        /// The number given (wide enough for any JSON integer).
        value: i128,
        /// The smallest allowed number.
        min: i64,
        /// The largest allowed number.
        max: i64,
    },
    /// The object has a field it does not know. The error sits on the object; the
    /// unknown name is here because [`FieldPath`] holds only known names.
    UnknownField {
        /// The name given.
        name: String,
        /// The fields the object knows, in their documented order.
        expected: &'static [&'static str],
    },
    /// The text is empty or only white space.
    Blank,
    /// The value is longer than allowed.
    TooLong {
        /// The most allowed.
        max: usize,
        /// What `max` counts.
        unit: LengthUnit,
    },
    /// The text contains a control character (a newline, NUL, …).
    ControlCharacter,
    /// The text is not an e-mail address.
    NotAnEmail,
    /// The list names `value` a second time (reported at the repeat).
    Duplicate {
        /// The repeated value, as text.
        value: String,
    },
    /// The number is smaller than another field of the same object.
    LessThanField {
        /// The other field.
        field: &'static str,
        /// The other field's value.
        value: i64,
    },
    /// `mfa_required` is true but no MFA method is allowed.
    MfaMethodNeeded,
    /// The tenant name makes its default domain (`<name>.<base domain>`) invalid.
    DefaultDomain {
        /// The domain the name would get.
        host: String,
        /// Why that domain is invalid.
        reason: String,
    },
}

impl fmt::Display for FieldProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldProblem::WrongType { expected } => write!(f, "must be {expected}"),
            FieldProblem::NotOneOf { allowed } => {
                write!(f, "must be one of {}", allowed.join(", "))
            }
            FieldProblem::OutOfRange { min, max, .. } => {
                write!(f, "must be from {min} to {max}")
            }
            FieldProblem::UnknownField { name, expected } => {
                write!(
                    f,
                    "{name:?} is not a field here (expected {})",
                    expected.join(", ")
                )
            }
            FieldProblem::Blank => f.write_str("must not be blank"),
            FieldProblem::TooLong { max, unit } => match unit {
                LengthUnit::Characters => write!(f, "must be at most {max} characters"),
                LengthUnit::Items => write!(f, "must have at most {max} items"),
                LengthUnit::JsonBytes => write!(f, "must be at most {max} bytes as JSON"),
            },
            FieldProblem::ControlCharacter => f.write_str("must not contain control characters"),
            FieldProblem::NotAnEmail => f.write_str("must be an e-mail address"),
            FieldProblem::Duplicate { value } => write!(f, "{value} is listed twice"),
            FieldProblem::LessThanField { field, value } => {
                write!(f, "must be greater than or equal to {field} ({value})")
            }
            FieldProblem::MfaMethodNeeded => {
                f.write_str("at least one MFA method is needed when mfa_required is true")
            }
            FieldProblem::DefaultDomain { host, reason } => {
                write!(f, "makes the default domain {host:?} invalid: {reason}")
            }
        }
    }
}

/// A rejected field: where it is and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Where the offending value sits in the input.
    pub path: FieldPath,
    /// What is wrong.
    pub problem: FieldProblem,
}

impl FieldError {
    /// A field error at `path`.
    pub fn new(path: FieldPath, problem: FieldProblem) -> Self {
        Self { path, problem }
    }

    /// The same error placed under `prefix`.
    #[must_use]
    pub fn under(self, prefix: &FieldPath) -> Self {
        Self {
            path: self.path.under(prefix),
            ..self
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.segments().is_empty() {
            write!(f, "{}", self.problem)
        } else {
            write!(f, "{}: {}", self.path, self.problem)
        }
    }
}

/// Pushes a [`FieldProblem::Duplicate`] at `path[index]` for every item of `items` that
/// repeats an earlier one.
pub(crate) fn repeats<T: PartialEq + fmt::Display>(
    errors: &mut Vec<FieldError>,
    path: &FieldPath,
    items: &[T],
) {
    for (index, item) in items.iter().enumerate() {
        if items[..index].contains(item) {
            errors.push(FieldError::new(
                path.clone().at(index),
                FieldProblem::Duplicate {
                    value: item.to_string(),
                },
            ));
        }
    }
}

/// `Ok(())` when `errors` is empty, otherwise all of them.
pub(crate) fn into_result(errors: Vec<FieldError>) -> Result<(), Vec<FieldError>> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_display_like_field_access() {
        let path = FieldPath::field("settings").and("mfa_methods").at(2);
        assert_eq!(path.to_string(), "settings.mfa_methods[2]");
        assert_eq!(path.last_field(), Some("mfa_methods"));
        assert!(path.starts_with("settings"));
        assert!(!path.starts_with("mfa_methods"));
        assert_eq!(FieldPath::root().last_field(), None);
    }

    #[test]
    fn errors_move_under_a_prefix() {
        let error = FieldError::new(FieldPath::field("min_length"), FieldProblem::Blank)
            .under(&FieldPath::field("settings").and("password_policy"));
        assert_eq!(
            error.path.segments(),
            &[
                PathSegment::Field("settings"),
                PathSegment::Field("password_policy"),
                PathSegment::Field("min_length"),
            ]
        );
        assert_eq!(
            error.to_string(),
            "settings.password_policy.min_length: must not be blank"
        );
    }

    #[test]
    fn problems_read_as_plain_english() {
        let cases = [
            (
                FieldProblem::TooLong {
                    max: 255,
                    unit: LengthUnit::Characters,
                },
                "must be at most 255 characters",
            ),
            (
                FieldProblem::TooLong {
                    max: 100,
                    unit: LengthUnit::Items,
                },
                "must have at most 100 items",
            ),
            (
                FieldProblem::TooLong {
                    max: 65_536,
                    unit: LengthUnit::JsonBytes,
                },
                "must be at most 65536 bytes as JSON",
            ),
            (
                FieldProblem::WrongType {
                    expected: ValueKind::Integer,
                },
                "must be an integer",
            ),
            (
                FieldProblem::NotOneOf {
                    allowed: vec!["a", "b"],
                },
                "must be one of a, b",
            ),
            (
                FieldProblem::UnknownField {
                    name: "x".into(),
                    expected: &["a", "b"],
                },
                "\"x\" is not a field here (expected a, b)",
            ),
            (
                FieldProblem::Duplicate {
                    value: "a.example.com".into(),
                },
                "a.example.com is listed twice",
            ),
            (
                FieldProblem::LessThanField {
                    field: "min_length",
                    value: 8,
                },
                "must be greater than or equal to min_length (8)",
            ),
        ];
        for (problem, text) in cases {
            assert_eq!(problem.to_string(), text);
        }
        let whole = FieldError::new(FieldPath::root(), FieldProblem::NotAnEmail);
        assert_eq!(whole.to_string(), "must be an e-mail address");
    }
}
