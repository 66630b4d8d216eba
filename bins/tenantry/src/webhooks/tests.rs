use super::*;

/// The example of the Standard Webhooks specification's test vectors.
#[test]
fn signatures_match_the_standard_webhooks_test_vector() {
    let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".to_owned();
    let body = r#"{"test": 2432232314}"#;
    assert_eq!(
        signature(&[secret], "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    );
}

#[test]
fn both_secrets_sign_during_a_rotation_and_a_malformed_one_signs_nothing() {
    let secrets = vec![
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".to_owned(),
        "whsec_not base64!".to_owned(),
        "whsec_c2Vjb25k".to_owned(),
    ];
    let header = signature(&secrets, "msg_1", 1, "{}");
    let parts: Vec<&str> = header.split(' ').collect();
    assert_eq!(parts.len(), 2, "{header}");
    assert!(parts.iter().all(|part| part.starts_with("v1,")));
    assert_eq!(parts[0], signature(&secrets[..1], "msg_1", 1, "{}"));
    assert_eq!(signature(&["plain".to_owned()], "msg_1", 1, "{}"), "");
}

#[test]
fn restricted_targets_are_refused_before_any_connection() {
    let url = WebhookUrl::parse("http://127.0.0.1:9/hook").unwrap();
    let refused = post(&url, &[], "{}", false).unwrap_err();
    assert_eq!(
        refused.to_string(),
        "refused: 127.0.0.1 resolves to 127.0.0.1, a loopback address \
         (TENANTRY_WEBHOOKS_ALLOW_PRIVATE=true allows it)"
    );
    let url = WebhookUrl::parse("http://localhost:9/hook").unwrap();
    assert!(matches!(
        post(&url, &[], "{}", false),
        Err(PostError::Refused(_))
    ));
    // Allowed, the same target is tried (and nothing listens on the discard port).
    let url = WebhookUrl::parse("http://127.0.0.1:9/hook").unwrap();
    assert!(matches!(
        post(&url, &[], "{}", true),
        Err(PostError::Transport(_))
    ));
}
