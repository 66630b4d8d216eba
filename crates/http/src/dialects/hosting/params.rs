//! The panel's parameters: a JSON object, a form, or (for GET) the query string.

use actix_web::HttpRequest;
use serde_json::{Map, Value};
use tenantry_tenant::ServiceId;

use super::error::HostingError;
use super::operator;
use crate::core::auth::caller::Caller;
use crate::core::body::{BodyError, BodyRules, decode_form, read_fields};
use crate::core::error::ApiError;

/// The caller, an operator, and the request body read for this dialect (JSON or a form).
///
/// The credentials (a header) are checked before a byte of the body is read, so a client
/// without them is answered 401 at once instead of holding a connection and a buffer
/// for as long as it takes to send its body. Failures to receive the body (413, a broken
/// connection, a read deadline) then answer at once, in the panel's envelope; failures to
/// decode it are answered by [`Params::from_body`].
#[derive(Debug)]
pub struct PanelBody {
    caller: Caller,
    fields: Result<Map<String, Value>, BodyError>,
}

impl actix_web::FromRequest for PanelBody {
    type Error = HostingError;
    type Future = std::pin::Pin<Box<dyn Future<Output = Result<Self, HostingError>>>>;

    fn from_request(request: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let request = request.clone();
        let payload = payload.take();
        Box::pin(async move {
            let caller = operator(&request).await?;
            match read_fields(&request, payload, BodyRules::JSON_OR_FORM).await {
                Err(
                    error @ (BodyError::TooLarge | BodyError::Unreadable | BodyError::TimedOut),
                ) => Err(HostingError::Api(ApiError::from(error))),
                fields => Ok(PanelBody { caller, fields }),
            }
        })
    }
}

/// Named parameters as sent.
#[derive(Debug, Default)]
pub struct Params(Map<String, Value>);

impl Params {
    /// The caller and the parameters of a body; an empty body has none.
    pub fn from_body(body: PanelBody) -> Result<(Caller, Self), HostingError> {
        let PanelBody { caller, fields } = body;
        let params = fields.map(Params).map_err(|error| {
            HostingError::BadRequest(match error {
                BodyError::InvalidJson(_) | BodyError::NotAnObject => {
                    "The body is not a JSON object".to_owned()
                }
                BodyError::FormNotUtf8 => "The form is not UTF-8".to_owned(),
                BodyError::UnsupportedMediaType(other) => {
                    format!("Send parameters as JSON or a form, not {other}")
                }
                _ => "Malformed parameters".to_owned(),
            })
        })?;
        Ok((caller, params))
    }

    /// Reads a query string.
    pub fn from_query(text: &str) -> Result<Self, HostingError> {
        decode_form(text.as_bytes(), &[])
            .map(Params)
            .map_err(|_| HostingError::BadRequest("Malformed parameters".into()))
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
