//! Query-string parameters with FastAPI-style 422s located at `["query", name]`.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::core::error::{ApiError, Problem};

/// The largest page size; larger requests are refused.
pub const MAX_PER_PAGE: u32 = 100;
/// The page size when none is asked for.
pub const DEFAULT_PER_PAGE: u32 = 20;

/// The parameters of one query string.
#[derive(Debug, Default)]
pub struct QueryParams {
    values: HashMap<String, String>,
    problems: Vec<Problem>,
}

impl QueryParams {
    /// Reads `query` (the part after `?`). Malformed encoding is a 422 on `["query"]`.
    pub fn parse(query: &str) -> Result<Self, ApiError> {
        let pairs =
            actix_web::web::Query::<Vec<(String, String)>>::from_query(query).map_err(|_| {
                ApiError::invalid(
                    vec![json!("query")],
                    "query_error",
                    "Malformed query string",
                )
            })?;
        let mut params = Self::default();
        for (key, value) in pairs.into_inner() {
            if value.contains('\0') || key.contains('\0') {
                params.problem(
                    &key.replace('\0', ""),
                    "value_error",
                    "must not contain NUL characters",
                );
            }
            params.values.insert(key, value);
        }
        if params.problems.is_empty() {
            Ok(params)
        } else {
            Err(ApiError::Invalid(params.problems))
        }
    }

    /// Refuses parameters other than `known`.
    pub fn forbid_others(&mut self, known: &[&str]) {
        let mut unknown: Vec<String> = self
            .values
            .keys()
            .filter(|key| !known.contains(&key.as_str()))
            .cloned()
            .collect();
        unknown.sort();
        for key in unknown {
            self.problem(&key, "extra_forbidden", "Unknown query parameter");
        }
    }

    /// A text parameter; an empty value counts as absent.
    pub fn text(&self, name: &str) -> Option<String> {
        self.values
            .get(name)
            .filter(|value| !value.is_empty())
            .cloned()
    }

    /// A parameter parsed with `parse`, whose error becomes a 422 naming it.
    pub fn parsed<T, E: std::fmt::Display>(
        &mut self,
        name: &str,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Option<T> {
        let text = self.text(name)?;
        match parse(&text) {
            Ok(value) => Some(value),
            Err(error) => {
                self.problem(name, "value_error", error.to_string());
                None
            }
        }
    }

    /// An integer in `min..=max`, `default` when absent.
    pub fn integer(&mut self, name: &str, default: u32, min: u32, max: u32) -> u32 {
        let Some(text) = self.text(name) else {
            return default;
        };
        match text.parse::<u32>() {
            Ok(value) if (min..=max).contains(&value) => value,
            Ok(_) => {
                self.problem(
                    name,
                    "value_error",
                    format!("Input should be between {min} and {max}"),
                );
                default
            }
            Err(_) => {
                self.problem(name, "int_parsing", "Input should be a valid integer");
                default
            }
        }
    }

    /// `page` (from 1) and `per_page` (1..=100, default 20).
    pub fn paging(&mut self) -> (u32, u32) {
        let page = self.integer("page", 1, 1, 1_000_000);
        let per_page = self.integer("per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE);
        (page, per_page)
    }

    /// Records a problem with parameter `name`.
    pub fn problem(&mut self, name: &str, kind: &str, msg: impl Into<String>) {
        self.problems.push(Problem::new(
            vec![json!("query"), Value::from(name)],
            kind,
            msg,
        ));
    }

    /// Succeeds when no problem was recorded.
    pub fn finish(self) -> Result<(), ApiError> {
        if self.problems.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Invalid(self.problems))
        }
    }
}

/// `{"items", "total", "page", "per_page", "pages"}`.
pub fn page_json(items: Vec<Value>, total: u64, page: u32, per_page: u32) -> Value {
    let pages = total.div_ceil(u64::from(per_page.max(1)));
    json!({
        "items": items,
        "total": total,
        "page": page,
        "per_page": per_page,
        "pages": pages,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_is_bounded_and_located() {
        let mut query = QueryParams::parse("page=0&per_page=101&x=1").unwrap();
        query.forbid_others(&["page", "per_page"]);
        assert_eq!(query.paging(), (1, DEFAULT_PER_PAGE));
        let ApiError::Invalid(problems) = query.finish().unwrap_err() else {
            panic!("422 expected");
        };
        let locs: Vec<Value> = problems.iter().map(|problem| json!(problem.loc)).collect();
        assert_eq!(
            locs,
            vec![
                json!(["query", "x"]),
                json!(["query", "page"]),
                json!(["query", "per_page"])
            ]
        );
    }

    #[test]
    fn pages_round_up() {
        assert_eq!(page_json(vec![], 41, 1, 20)["pages"], 3);
        assert_eq!(page_json(vec![], 0, 1, 20)["pages"], 0);
    }
}
