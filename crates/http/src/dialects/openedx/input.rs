//! Reading the dialect's create body — JSON or form-urlencoded, as the seed's clients send
//! it — into the domain's [`CreateTenant`].

use serde_json::{Map, Value, json};
use tenantry_tenant::TenantName;
use tenantry_tenant::operations::CreateTenant;

use crate::core::body::BodyRules;
use crate::core::error::ApiError;
use crate::core::fields::Fields;

/// How create bodies are read: JSON as sent, or a form's fields as strings (`org_filter`
/// repeated as a list); other media types are refused with 415.
pub const CREATE_BODY: BodyRules = BodyRules {
    lists: &["org_filter"],
    ..BodyRules::JSON_OR_FORM
};

/// Reads a create request: `tenant_name` (a tenant name), `platform_name` (the display
/// name), optional `theme_name` and `org_filter`. Other fields are ignored, as Django
/// REST framework does.
pub fn create_tenant(body: &Map<String, Value>) -> Result<CreateTenant, ApiError> {
    let mut fields = Fields::new(body, vec![json!("body")]);
    let name = fields
        .required_string("tenant_name")
        .and_then(|name| fields.parsed("tenant_name", &name, TenantName::parse));
    let platform_name = fields.required_string("platform_name");
    let theme_name = fields.optional_string("theme_name").flatten();
    let org_filter = match fields.raw("org_filter") {
        None | Some(Value::Null) => Some(Vec::new()),
        Some(_) => fields.string_list("org_filter"),
    };
    fields.finish(|| {
        let mut input = CreateTenant::new(name?, platform_name?);
        input.profile.theme_name = theme_name;
        input.profile.org_filter = org_filter?;
        Some(input)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::body::decode_form;
    use crate::core::fields::object;

    #[test]
    fn the_seeds_body_is_read() {
        let body = object(json!({
            "tenant_name": "talent1", "platform_name": "Talent 1 Learning",
            "theme_name": "indigo", "org_filter": ["org1"], "unknown": 1,
        }));
        let input = create_tenant(&body).unwrap();
        assert_eq!(input.name.as_str(), "talent1");
        assert_eq!(input.profile.display_name, "Talent 1 Learning");
        assert_eq!(input.profile.theme_name.as_deref(), Some("indigo"));
        assert_eq!(input.profile.org_filter, ["org1"]);
        assert!(input.domains.is_empty());
    }

    #[test]
    fn forms_repeat_org_filter() {
        let body = decode_form(
            b"tenant_name=talent1&platform_name=Talent+1+Learning&org_filter=org1&org_filter=org2",
            CREATE_BODY.lists,
        )
        .unwrap();
        assert_eq!(
            Value::Object(body.clone()),
            json!({"tenant_name": "talent1", "platform_name": "Talent 1 Learning",
                   "org_filter": ["org1", "org2"]})
        );
        assert_eq!(
            create_tenant(&body).unwrap().profile.org_filter,
            ["org1", "org2"]
        );
    }

    #[test]
    fn every_bad_field_is_named() {
        let body = object(json!({"tenant_name": "1abc", "org_filter": "org1"}));
        let Err(ApiError::Invalid(problems)) = create_tenant(&body) else {
            panic!("invalid input expected");
        };
        let locs: Vec<Value> = problems.iter().map(|problem| json!(problem.loc)).collect();
        assert_eq!(
            locs,
            [
                json!(["body", "tenant_name"]),
                json!(["body", "platform_name"]),
                json!(["body", "org_filter"]),
            ]
        );
        assert_eq!(
            problems[0].msg,
            "tenant name must start with a lowercase letter"
        );
    }
}
