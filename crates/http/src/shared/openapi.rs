//! Building blocks of the OpenAPI document that every dialect adds its paths to (the
//! document is assembled in `dialects`, above them all).

use serde_json::{Map, Value, json};

/// How an operation is called: its summary, the credentials it takes (names of
/// `components.securitySchemes`, none for a public one), the media types of its body, and
/// its responses (status and description).
pub struct Described<'a> {
    /// One line.
    pub summary: &'a str,
    /// Security schemes, any of which is accepted.
    pub security: &'a [&'a str],
    /// Media types of the request body (`application/json`, a form); none: no body.
    pub body: &'a [&'a str],
    /// Query parameters (strings).
    pub query: &'a [&'a str],
    /// Status and description of each documented response.
    pub responses: &'a [(u16, &'a str)],
}

/// The OpenAPI operation object of `operation` at `path` (its `{segments}` become path
/// parameters).
pub fn operation(path: &str, operation: &Described<'_>) -> Value {
    let mut parameters: Vec<Value> = path_parameters(path)
        .into_iter()
        .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
        .collect();
    parameters.extend(operation.query.iter().map(|name| {
        json!({"name": name, "in": "query", "required": false, "schema": {"type": "string"}})
    }));
    let responses: Map<String, Value> = operation
        .responses
        .iter()
        .map(|(status, description)| (status.to_string(), json!({"description": description})))
        .collect();
    let mut value = json!({
        "summary": operation.summary,
        "responses": responses,
    });
    if !parameters.is_empty() {
        value["parameters"] = Value::from(parameters);
    }
    if !operation.body.is_empty() {
        let content: Map<String, Value> = operation
            .body
            .iter()
            .map(|media| ((*media).to_owned(), json!({"schema": {"type": "object"}})))
            .collect();
        value["requestBody"] = json!({"required": true, "content": content});
    }
    value["security"] = Value::from(
        operation
            .security
            .iter()
            .map(|scheme| json!({ *scheme: [] }))
            .collect::<Vec<_>>(),
    );
    value
}

/// The `{name}` segments of an actix path pattern.
pub fn path_parameters(path: &str) -> Vec<&str> {
    path.split('/')
        .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
        .collect()
}

/// Adds `operation` to `paths` at `path` under `method` (lower case).
pub fn add(paths: &mut Map<String, Value>, path: &str, method: &str, operation: Value) {
    let entry = paths.entry(path.to_owned()).or_insert_with(|| json!({}));
    entry[method] = operation;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_segments_become_parameters() {
        assert_eq!(
            path_parameters("/api/tenant/v1/delete/{tenant_name}"),
            ["tenant_name"]
        );
        let described = operation(
            "/x/{id}",
            &Described {
                summary: "A thing",
                security: &["basic"],
                body: &["application/json"],
                query: &["page"],
                responses: &[(200, "Done")],
            },
        );
        assert_eq!(described["parameters"][0]["name"], "id");
        assert_eq!(described["parameters"][1]["in"], "query");
        assert_eq!(described["security"], json!([{"basic": []}]));
        assert!(described["requestBody"]["content"]["application/json"].is_object());
    }
}
