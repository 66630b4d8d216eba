//! The panel's parameters: a JSON object, a form, or (for GET) the query string.

use std::collections::HashMap;

use actix_web::HttpRequest;
use actix_web::web;
use serde_json::Value;
use tenantry_tenant::ServiceId;

use super::error::HostingError;
use crate::core::body::{media_type, parse_object};

/// A request body read for this dialect: its failures (413 and the like) answer in the
/// panel's envelope.
#[derive(Debug)]
pub struct PanelBody(pub web::Bytes);

impl actix_web::FromRequest for PanelBody {
    type Error = HostingError;
    type Future = std::pin::Pin<Box<dyn Future<Output = Result<Self, HostingError>>>>;

    fn from_request(request: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let body = crate::core::body::read_limited(request, payload);
        Box::pin(async move { body.await.map(PanelBody).map_err(HostingError::Api) })
    }
}

/// Named parameters as sent.
#[derive(Debug, Default)]
pub struct Params(HashMap<String, Value>);

impl Params {
    /// Reads the body (JSON or form) of `request`; an empty body has no parameters.
    pub fn from_body(request: &HttpRequest, bytes: &[u8]) -> Result<Self, HostingError> {
        if bytes.is_empty() {
            return Ok(Params::default());
        }
        match media_type(request).as_deref() {
            Some("application/json") | None => parse_object(bytes)
                .map(|object| Params(object.into_iter().collect()))
                .map_err(|_| HostingError::BadRequest("The body is not a JSON object".into())),
            Some("application/x-www-form-urlencoded") => {
                let text = std::str::from_utf8(bytes)
                    .map_err(|_| HostingError::BadRequest("The form is not UTF-8".into()))?;
                Self::from_query(text)
            }
            Some(other) => Err(HostingError::BadRequest(format!(
                "Send parameters as JSON or a form, not {other}"
            ))),
        }
    }

    /// Reads a query string or form body.
    pub fn from_query(text: &str) -> Result<Self, HostingError> {
        let pairs = web::Query::<Vec<(String, String)>>::from_query(text)
            .map_err(|_| HostingError::BadRequest("Malformed parameters".into()))?;
        Ok(Params(
            pairs
                .into_inner()
                .into_iter()
                .map(|(key, value)| (key, Value::String(value)))
                .collect(),
        ))
    }

    /// A parameter as text; empty text counts as absent. Numbers are accepted as text.
    pub fn text(&self, name: &str) -> Result<Option<String>, HostingError> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) if text.contains('\0') => Err(HostingError::BadRequest(
                format!("{name} must not contain NUL characters"),
            )),
            Some(Value::String(text)) if text.trim().is_empty() => Ok(None),
            Some(Value::String(text)) => Ok(Some(text.trim().to_owned())),
            Some(Value::Number(number)) => Ok(Some(number.to_string())),
            Some(_) => Err(HostingError::BadRequest(format!("{name} must be text"))),
        }
    }

    /// A required text parameter.
    pub fn required(&self, name: &str) -> Result<String, HostingError> {
        self.text(name)?
            .ok_or_else(|| HostingError::BadRequest(format!("{name} is required")))
    }

    /// The required `serviceId`.
    pub fn service_id(&self) -> Result<ServiceId, HostingError> {
        let text = self.required("serviceId")?;
        ServiceId::parse(&text)
            .map_err(|error| HostingError::BadRequest(format!("serviceId: {error}")))
    }

    /// `modules`: a comma-separated text (`news,epaper`) or a JSON list of texts.
    pub fn modules(&self) -> Result<Option<Vec<String>>, HostingError> {
        match self.0.get("modules") {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => Ok(Some(
                text.split(',')
                    .map(str::trim)
                    .filter(|module| !module.is_empty())
                    .map(str::to_owned)
                    .collect(),
            )),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| match item {
                    Value::String(text) => Ok(text.trim().to_owned()),
                    _ => Err(HostingError::BadRequest("modules must be texts".into())),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(_) => Err(HostingError::BadRequest(
                "modules must be a comma-separated text".into(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modules_are_split_and_trimmed() {
        let params = Params::from_query("serviceId=42&modules=news,%20epaper,,").unwrap();
        assert_eq!(
            params.modules().unwrap(),
            Some(vec!["news".into(), "epaper".into()])
        );
        assert_eq!(params.service_id().unwrap().as_str(), "42");
        assert!(
            matches!(params.required("domain"), Err(HostingError::BadRequest(m)) if m == "domain is required")
        );
    }
}
