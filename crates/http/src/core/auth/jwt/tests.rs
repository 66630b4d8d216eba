use super::*;
use chrono::TimeZone as _;

const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";
const HOUR: Duration = Duration::from_secs(3600);

fn keys() -> JwtKeys {
    JwtKeys::new(SECRET).unwrap()
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 6, 1, 12, 0, 0).unwrap()
}

fn secs(n: i64) -> chrono::TimeDelta {
    chrono::TimeDelta::seconds(n)
}

fn b64(json: &str) -> String {
    URL_SAFE_NO_PAD.encode(json)
}

/// A token with arbitrary header and claims, correctly signed with `keys`.
fn forge(keys: &JwtKeys, header: &str, claims: &str) -> String {
    let input = format!("{}.{}", b64(header), b64(claims));
    format!("{input}.{}", keys.sign(&input))
}

fn claims_json(iss: &str, iat: i64, exp: i64) -> String {
    format!(r#"{{"iss":"{iss}","sub":"alice","iat":{iat},"exp":{exp},"jti":"00"}}"#)
}

#[test]
fn header_constant_matches_its_json() {
    assert_eq!(HEADER_B64, b64(r#"{"alg":"HS256","typ":"JWT"}"#));
}

#[test]
fn secrets_shorter_than_32_bytes_are_refused() {
    assert_eq!(JwtKeys::new(b"").unwrap_err(), SecretTooShort { len: 0 });
    assert_eq!(
        JwtKeys::new(&SECRET[..31]).unwrap_err(),
        SecretTooShort { len: 31 }
    );
    assert!(JwtKeys::new(SECRET).is_ok());
    assert!(JwtKeys::new(&[7; 64]).is_ok());
}

#[test]
fn round_trip() {
    let keys = keys();
    let (token, expires_in) = keys.issue("alice", t0(), HOUR).unwrap();
    assert_eq!(expires_in, 3600);
    assert_eq!(token.split('.').count(), 3);
    assert!(token.starts_with(&format!("{HEADER_B64}.")));
    assert!(!token.contains('='));

    let claims = keys.verify(&token, t0()).unwrap();
    assert_eq!(claims.iss, "tenantry");
    assert_eq!(claims.sub, "alice");
    assert_eq!(claims.iat, t0().timestamp());
    assert_eq!(claims.exp, t0().timestamp() + 3600);
    assert_eq!(claims.jti.len(), 32);
    assert!(
        claims
            .jti
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    );
}

#[test]
fn payload_is_the_documented_json() {
    let (token, _) = keys().issue("al\"ice", t0(), HOUR).unwrap();
    let payload = token.split('.').nth(1).unwrap();
    let json: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    let object = json.as_object().unwrap();
    let mut fields: Vec<_> = object.keys().map(String::as_str).collect();
    fields.sort_unstable();
    assert_eq!(fields, ["exp", "iat", "iss", "jti", "sub"]);
    assert_eq!(json["sub"], "al\"ice");
    assert_eq!(json["iat"], t0().timestamp());
}

#[test]
fn token_ids_differ() {
    let keys = keys();
    let (a, _) = keys.issue("alice", t0(), HOUR).unwrap();
    let (b, _) = keys.issue("alice", t0(), HOUR).unwrap();
    assert_ne!(a, b);
    assert_ne!(
        keys.verify(&a, t0()).unwrap().jti,
        keys.verify(&b, t0()).unwrap().jti
    );
}

#[test]
fn lifetime_bounds() {
    let keys = keys();
    assert!(matches!(
        keys.issue("a", t0(), Duration::ZERO),
        Err(IssueError::Lifetime)
    ));
    assert!(matches!(
        keys.issue("a", t0(), Duration::from_millis(999)),
        Err(IssueError::Lifetime)
    ));
    assert!(matches!(
        keys.issue("a", t0(), MAX_LIFETIME + Duration::from_secs(1)),
        Err(IssueError::Lifetime)
    ));
    assert_eq!(
        keys.issue("a", t0(), Duration::from_millis(1500))
            .unwrap()
            .1,
        1
    );
    assert_eq!(
        keys.issue("a", t0(), MAX_LIFETIME).unwrap().1,
        MAX_LIFETIME.as_secs()
    );
    assert!(matches!(
        keys.issue("a", DateTime::<Utc>::MAX_UTC, HOUR),
        Err(IssueError::OutOfRange)
    ));
}

#[test]
fn expiry_with_leeway() {
    let keys = keys();
    let (token, _) = keys.issue("alice", t0(), HOUR).unwrap();
    let exp = t0() + secs(3600);
    assert!(keys.verify(&token, exp - secs(1)).is_ok());
    assert!(keys.verify(&token, exp).is_ok());
    assert!(
        keys.verify(&token, exp + secs(CLOCK_LEEWAY_SECS - 1))
            .is_ok()
    );
    assert_eq!(
        keys.verify(&token, exp + secs(CLOCK_LEEWAY_SECS)),
        Err(JwtError::Expired)
    );
    assert_eq!(
        keys.verify(&token, exp + secs(86_400)),
        Err(JwtError::Expired)
    );
}

#[test]
fn issued_in_the_future_beyond_leeway() {
    let keys = keys();
    let (token, _) = keys.issue("alice", t0(), HOUR).unwrap();
    assert!(keys.verify(&token, t0() - secs(CLOCK_LEEWAY_SECS)).is_ok());
    assert_eq!(
        keys.verify(&token, t0() - secs(CLOCK_LEEWAY_SECS + 1)),
        Err(JwtError::NotYetValid)
    );
}

#[test]
fn tampered_payload() {
    let keys = keys();
    let (token, _) = keys.issue("alice", t0(), HOUR).unwrap();
    let parts: Vec<&str> = token.split('.').collect();
    let payload = String::from_utf8(URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    let forged = payload.replace("alice", "admin");
    assert_ne!(forged, payload);
    let token = format!("{}.{}.{}", parts[0], b64(&forged), parts[2]);
    assert_eq!(keys.verify(&token, t0()), Err(JwtError::BadSignature));
}

#[test]
fn tampered_signature() {
    let keys = keys();
    let (token, _) = keys.issue("alice", t0(), HOUR).unwrap();
    let (input, signature) = token.rsplit_once('.').unwrap();
    let mut raw = URL_SAFE_NO_PAD.decode(signature).unwrap();
    for i in [0, 15, 31] {
        raw[i] ^= 1;
        let tampered = format!("{input}.{}", URL_SAFE_NO_PAD.encode(&raw));
        assert_eq!(keys.verify(&tampered, t0()), Err(JwtError::BadSignature));
        raw[i] ^= 1;
    }
    // Truncated, extended, or missing signatures.
    let short = format!("{input}.{}", URL_SAFE_NO_PAD.encode(&raw[..31]));
    assert_eq!(keys.verify(&short, t0()), Err(JwtError::BadSignature));
    let long = format!(
        "{input}.{}",
        URL_SAFE_NO_PAD.encode([&raw[..], &[0]].concat())
    );
    assert_eq!(keys.verify(&long, t0()), Err(JwtError::BadSignature));
    assert_eq!(
        keys.verify(&format!("{input}."), t0()),
        Err(JwtError::BadSignature)
    );
    // A non-canonical encoding of the same bytes (changed trailing bits) is malformed.
    let mut chars: Vec<char> = signature.chars().collect();
    let last = chars.len() - 1;
    chars[last] = if chars[last] == 'A' { 'B' } else { 'A' };
    let noncanonical: String = chars.into_iter().collect();
    let result = keys.verify(&format!("{input}.{noncanonical}"), t0());
    assert!(
        matches!(result, Err(JwtError::Malformed | JwtError::BadSignature)),
        "{result:?}"
    );
}

#[test]
fn wrong_key() {
    let (token, _) = keys().issue("alice", t0(), HOUR).unwrap();
    let other = JwtKeys::new(b"fedcba9876543210fedcba9876543210").unwrap();
    assert_eq!(other.verify(&token, t0()), Err(JwtError::BadSignature));
}

#[test]
fn alg_none_and_other_algorithms_are_refused() {
    let keys = keys();
    let claims = claims_json(ISSUER, t0().timestamp(), t0().timestamp() + 60);
    // Unsigned, with an empty or a copied signature.
    let (real, _) = keys.issue("alice", t0(), HOUR).unwrap();
    let real_signature = real.rsplit('.').next().unwrap();
    for header in [
        r#"{"alg":"none","typ":"JWT"}"#,
        r#"{"alg":"None"}"#,
        r#"{"alg":"NONE"}"#,
        r#"{"alg":"hs256"}"#,
        r#"{"alg":"HS384"}"#,
        r#"{"alg":"HS512"}"#,
        r#"{"alg":"RS256"}"#,
        r#"{"alg":"ES256"}"#,
        r#"{"alg":"HS256 "}"#,
        r#"{"alg":"HS256","crit":["exp"],"exp":1}"#,
    ] {
        let unsigned = format!("{}.{}.", b64(header), b64(&claims));
        assert_eq!(
            keys.verify(&unsigned, t0()),
            Err(JwtError::WrongAlgorithm),
            "{header}"
        );
        let copied = format!("{}.{}.{real_signature}", b64(header), b64(&claims));
        assert_eq!(
            keys.verify(&copied, t0()),
            Err(JwtError::WrongAlgorithm),
            "{header}"
        );
        // Even with a valid HMAC over the input, the header decides.
        let signed = forge(&keys, header, &claims);
        assert_eq!(
            keys.verify(&signed, t0()),
            Err(JwtError::WrongAlgorithm),
            "{header}"
        );
    }
    for header in [
        r#"{"typ":"JWT"}"#,
        r#"{"alg":null}"#,
        r#"{"alg":256}"#,
        "[]",
        "null",
    ] {
        let token = forge(&keys, header, &claims);
        assert_eq!(
            keys.verify(&token, t0()),
            Err(JwtError::Malformed),
            "{header}"
        );
    }
    // A header without typ is fine as long as it is HS256 and correctly signed.
    assert!(
        keys.verify(&forge(&keys, r#"{"alg":"HS256"}"#, &claims), t0())
            .is_ok()
    );
}

#[test]
fn signed_but_wrong_claims() {
    let keys = keys();
    let header = r#"{"alg":"HS256","typ":"JWT"}"#;
    let (iat, exp) = (t0().timestamp(), t0().timestamp() + 60);
    let cases = [
        (claims_json("someone-else", iat, exp), JwtError::WrongIssuer),
        (claims_json("Tenantry", iat, exp), JwtError::WrongIssuer),
        (
            r#"{"sub":"alice","iat":1,"exp":2,"jti":"0"}"#.to_owned(),
            JwtError::Malformed,
        ),
        (
            format!(r#"{{"iss":"tenantry","iat":{iat},"exp":{exp},"jti":"0"}}"#),
            JwtError::Malformed,
        ),
        (
            format!(r#"{{"iss":"tenantry","sub":"a","iat":{iat},"exp":{exp}.5,"jti":"0"}}"#),
            JwtError::Malformed,
        ),
        (
            format!(r#"{{"iss":"tenantry","sub":"a","iat":{iat},"exp":"{exp}","jti":"0"}}"#),
            JwtError::Malformed,
        ),
        ("not json".to_owned(), JwtError::Malformed),
        (claims_json(ISSUER, iat, i64::MIN), JwtError::Expired),
        (
            claims_json(ISSUER, i64::MAX, i64::MAX),
            JwtError::NotYetValid,
        ),
    ];
    for (claims, expected) in cases {
        assert_eq!(
            keys.verify(&forge(&keys, header, &claims), t0()),
            Err(expected),
            "{claims}"
        );
    }
    // Extra claims are ignored.
    let extra =
        format!(r#"{{"iss":"tenantry","sub":"a","iat":{iat},"exp":{exp},"jti":"0","adm":true}}"#);
    assert!(keys.verify(&forge(&keys, header, &extra), t0()).is_ok());
}

#[test]
fn garbage_never_panics_and_is_rejected() {
    let keys = keys();
    let (real, _) = keys.issue("alice", t0(), HOUR).unwrap();
    let long = "a".repeat(10_000);
    let dots = ".".repeat(5000);
    let mut inputs: Vec<String> = [
        "",
        ".",
        "..",
        "...",
        "....",
        "a.b",
        "a.b.c",
        "a.b.c.d",
        "=.=.=",
        "eyJ.eyJ.eyJ",
        "\u{0}",
        "\u{0}.\u{0}.\u{0}",
        "é.é.é",
        "🔑.🔑.🔑",
        " . . ",
        "Bearer x.y.z",
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9..",
        "..c2ln",
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.e30.",
        "e30.e30.e30",
        "bnVsbA.bnVsbA.bnVsbA",
        "eyJhbGciOiJIUzI1NiJ9===.e30.AA",
        "+/+/.+/+/.+/+/",
        "%%%.%%%.%%%",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    inputs.push(long.clone());
    inputs.push(format!("{long}.{long}.{long}"));
    inputs.push(dots);
    inputs.push(format!("{real}."));
    inputs.push(format!("{real}.{real}"));
    inputs.push(format!(".{real}"));
    inputs.push(format!(" {real}"));
    inputs.push(real.replace('.', ".."));
    inputs.push(real[..real.len() - 1].to_owned());
    inputs.push(real.to_uppercase());
    // Every prefix of a real token.
    for end in 0..real.len() {
        inputs.push(real[..end].to_owned());
    }
    for input in &inputs {
        assert!(keys.verify(input, t0()).is_err(), "{input:?}");
    }
    assert!(keys.verify(&real, t0()).is_ok());
}

#[test]
fn debug_hides_the_secret() {
    let debug = format!("{:?}", keys());
    assert_eq!(debug, "JwtKeys { .. }");
}
