//! The FastAPI field reader: reads the fields of one JSON object into typed values and
//! collects every problem with its `loc` instead of stopping at the first (the admin and
//! Open edX dialects answer them as one 422).

use serde_json::{Map, Value};

use crate::core::error::{ApiError, Problem};

/// Reads the fields of one JSON object, remembering every problem.
#[derive(Debug)]
pub struct Fields<'a> {
    object: &'a Map<String, Value>,
    root: Vec<Value>,
    problems: Vec<Problem>,
}

impl<'a> Fields<'a> {
    /// A reader of `object`, whose problems are located under `root` (e.g. `["body"]`).
    pub fn new(object: &'a Map<String, Value>, root: Vec<Value>) -> Self {
        Self {
            object,
            root,
            problems: Vec::new(),
        }
    }

    /// Where `name` sits, for problems.
    pub fn loc(&self, name: &str) -> Vec<Value> {
        let mut loc = self.root.clone();
        loc.push(Value::from(name));
        loc
    }

    /// Records a problem at `loc`.
    pub fn problem(&mut self, loc: Vec<Value>, kind: &str, msg: impl Into<String>) {
        self.problems.push(Problem::new(loc, kind, msg));
    }

    /// Refuses fields not in `known`.
    pub fn forbid_others(&mut self, known: &[&str]) {
        let unknown: Vec<String> = self
            .object
            .keys()
            .filter(|key| !known.contains(&key.as_str()))
            .cloned()
            .collect();
        for key in unknown {
            let loc = self.loc(&key);
            self.problem(loc, "extra_forbidden", "Extra inputs are not permitted");
        }
    }

    /// Whether the object has `name` at all (even as `null`).
    pub fn has(&self, name: &str) -> bool {
        self.object.contains_key(name)
    }

    /// The raw value of `name`.
    pub fn raw(&self, name: &str) -> Option<&'a Value> {
        self.object.get(name)
    }

    /// A required string.
    pub fn required_string(&mut self, name: &str) -> Option<String> {
        match self.object.get(name) {
            None | Some(Value::Null) => {
                let loc = self.loc(name);
                self.problem(loc, "missing", "Field required");
                None
            }
            Some(value) => self.string(name, value),
        }
    }

    /// An optional string: absent → `None`, `null` → `Some(None)`.
    pub fn optional_string(&mut self, name: &str) -> Option<Option<String>> {
        match self.object.get(name)? {
            Value::Null => Some(None),
            value => self.string(name, value).map(Some),
        }
    }

    /// An optional list of strings: absent → `None`; `null` is refused.
    pub fn string_list(&mut self, name: &str) -> Option<Vec<String>> {
        let value = self.object.get(name)?;
        let Value::Array(items) = value else {
            let loc = self.loc(name);
            self.problem(loc, "list_type", "Input should be a valid list");
            return None;
        };
        let mut strings = Vec::with_capacity(items.len());
        let mut valid = true;
        for (index, item) in items.iter().enumerate() {
            match item {
                Value::String(text) => strings.push(text.clone()),
                _ => {
                    let mut loc = self.loc(name);
                    loc.push(Value::from(index));
                    self.problem(loc, "string_type", "Input should be a valid string");
                    valid = false;
                }
            }
        }
        valid.then_some(strings)
    }

    /// An optional JSON object: absent → `None`; `null` is refused.
    pub fn object(&mut self, name: &str) -> Option<Map<String, Value>> {
        match self.object.get(name)? {
            Value::Object(map) => Some(map.clone()),
            _ => {
                let loc = self.loc(name);
                self.problem(loc, "dict_type", "Input should be a valid dictionary");
                None
            }
        }
    }

    /// An optional boolean: absent → `None`.
    pub fn boolean(&mut self, name: &str) -> Option<bool> {
        match self.object.get(name)? {
            Value::Bool(flag) => Some(*flag),
            _ => {
                let loc = self.loc(name);
                self.problem(loc, "bool_type", "Input should be a valid boolean");
                None
            }
        }
    }

    /// Parses a string field with `parse`, recording its error message.
    pub fn parsed<T, E: std::fmt::Display>(
        &mut self,
        name: &str,
        text: &str,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Option<T> {
        match parse(text) {
            Ok(value) => Some(value),
            Err(error) => {
                let loc = self.loc(name);
                self.problem(loc, "value_error", error.to_string());
                None
            }
        }
    }

    /// `Ok(value)` when no problem was recorded, otherwise every problem as a 422.
    pub fn finish<T>(self, value: impl FnOnce() -> Option<T>) -> Result<T, ApiError> {
        if self.problems.is_empty()
            && let Some(value) = value()
        {
            return Ok(value);
        }
        if self.problems.is_empty() {
            return Err(ApiError::invalid(self.root, "value_error", "Invalid input"));
        }
        Err(ApiError::Invalid(self.problems))
    }

    fn string(&mut self, name: &str, value: &Value) -> Option<String> {
        match value {
            Value::String(text) => Some(text.clone()),
            _ => {
                let loc = self.loc(name);
                self.problem(loc, "string_type", "Input should be a valid string");
                None
            }
        }
    }
}

/// The JSON object `value` is, for tests that write bodies with `json!`.
#[cfg(test)]
pub(crate) fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => unreachable!("tests pass objects"),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn every_problem_is_reported_with_its_location() {
        let body = object(json!({"name": 3, "tags": ["a", 1], "extra": true}));
        let mut fields = Fields::new(&body, vec![json!("body")]);
        fields.forbid_others(&["name", "tags", "display_name"]);
        assert_eq!(fields.required_string("name"), None);
        assert_eq!(fields.required_string("display_name"), None);
        assert_eq!(fields.string_list("tags"), None);
        let Err(ApiError::Invalid(problems)) = fields.finish(|| Some(())) else {
            panic!("problems expected");
        };
        let locs: Vec<Value> = problems.iter().map(|problem| json!(problem.loc)).collect();
        assert_eq!(
            locs,
            vec![
                json!(["body", "extra"]),
                json!(["body", "name"]),
                json!(["body", "display_name"]),
                json!(["body", "tags", 1]),
            ]
        );
    }
}
