//! Field-addressed validation errors.
//!
//! A rule that rejects part of a structured input says *where*: the path of the field
//! (`settings.mfa_methods[0]`), a human message and a stable machine-readable kind. The
//! HTTP layer turns the path into FastAPI's `loc` (`["body","settings","mfa_methods",0]`).

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

/// A rejected field: where it is, what is wrong, and a stable kind such as
/// `value_error.out_of_range`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Where the offending value sits in the input.
    pub path: FieldPath,
    /// A sentence for a person.
    pub message: String,
    /// A stable identifier for programs, e.g. `value_error.missing`.
    pub kind: &'static str,
}

impl FieldError {
    /// A field error at `path`.
    pub fn new(path: FieldPath, kind: &'static str, message: impl Into<String>) -> Self {
        Self {
            path,
            message: message.into(),
            kind,
        }
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
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_display_like_field_access() {
        let path = FieldPath::field("settings").and("mfa_methods").at(2);
        assert_eq!(path.to_string(), "settings.mfa_methods[2]");
    }

    #[test]
    fn errors_move_under_a_prefix() {
        let error = FieldError::new(FieldPath::field("min_length"), "value_error", "too small")
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
            "settings.password_policy.min_length: too small"
        );
    }
}
