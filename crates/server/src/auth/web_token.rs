//! The JSON Web Tokens presented to AssumeRoleWithWebIdentity: reading them, verifying
//! their signature with a provider's keys (see [`super::oidc`]), and checking their claims
//! as STS does. Mapping the failures to AWS's errors is the operation's business
//! (`sts::web_identity`).

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm};
use jsonwebtoken::{Algorithm, DecodingKey, Header, Validation};
use serde_json::{Map, Value};

/// IAM accepts a token up to five minutes after the expiry in its `exp` claim, for clock
/// skew (IAM User Guide, "OIDC federation"); the same allowance applies before `nbf`/`iat`.
pub(crate) const CLOCK_SKEW_SECONDS: i64 = 300;

/// The signature algorithms accepted: RSA (PKCS#1 v1.5 and PSS) and ECDSA on P-256/P-384.
/// Symmetric algorithms are never accepted: a provider publishes public keys.
pub(crate) const ALGORITHMS: &[Algorithm] = &[
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
];

/// The claim that carries session tags (IAM User Guide, "Passing session tags using
/// AssumeRoleWithWebIdentity").
pub(crate) const TAGS_CLAIM: &str = "https://aws.amazon.com/tags";
/// The claim that carries the source identity.
pub(crate) const SOURCE_IDENTITY_CLAIM: &str = "https://aws.amazon.com/source_identity";

/// What is wrong with a token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum TokenError {
    /// Not three base64url parts with a JSON header and JSON object claims.
    #[error("the token is not a valid JWT")]
    Malformed,
    /// Signed with an algorithm that is not accepted (see [`ALGORITHMS`]).
    #[error("the token is signed with {0}, which is not accepted")]
    Algorithm(String),
    /// A claim STS requires is absent.
    #[error("missing a required claim: {0}")]
    MissingClaim(&'static str),
    /// No key of the provider verifies the signature.
    #[error("the signature does not verify")]
    Signature,
    /// Expired, beyond the allowance for clock skew.
    #[error("expired at {expires} (now {now})")]
    Expired {
        /// Now (seconds since the Unix epoch).
        now: i64,
        /// The `exp` claim.
        expires: i64,
    },
    /// Not valid yet (`nbf` or `iat` in the future, beyond the allowance for clock skew).
    #[error("not valid before {not_before} (now {now})")]
    NotYetValid {
        /// Now (seconds since the Unix epoch).
        now: i64,
        /// The `nbf` (or `iat`) claim.
        not_before: i64,
    },
    /// Neither `azp` nor any `aud` is one of the provider's client IDs.
    #[error("the token's audience is not a client ID of the provider")]
    Audience,
    /// The session-tags claim is not in the documented shape.
    #[error("{0}")]
    Tags(String),
}

/// The audience of a verified token, as STS exposes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Audience {
    /// The value of the `PROVIDER:aud` condition key and of the answer's `Audience`: the
    /// `azp` claim when the token has one, else the `aud` value that is a client ID.
    pub aud: String,
    /// The values of `PROVIDER:oaud`: the `aud` claim, when `azp` stood in for it.
    pub oaud: Vec<String>,
}

/// The session tags a token carries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct TokenTags {
    /// `principal_tags`, as (key, value), in the claim's order.
    pub tags: Vec<(String, String)>,
    /// `transitive_tag_keys`.
    pub transitive: Vec<String>,
}

/// A token as read, before and after verification.
#[derive(Debug, Clone)]
pub(crate) struct Token {
    raw: String,
    /// The JOSE header.
    pub header: Header,
    /// The claims.
    pub claims: Map<String, Value>,
}

impl Token {
    /// Reads a compact JWS without verifying it.
    pub(crate) fn parse(raw: &str) -> Result<Token, TokenError> {
        let raw = raw.trim();
        if raw.split('.').count() != 3 {
            return Err(TokenError::Malformed);
        }
        let header = jsonwebtoken::decode_header(raw).map_err(|_| TokenError::Malformed)?;
        let claims: Map<String, Value> = jsonwebtoken::dangerous::insecure_decode_claims(raw)
            .map_err(|_| TokenError::Malformed)?;
        Ok(Token {
            raw: raw.to_string(),
            header,
            claims,
        })
    }

    /// A string claim.
    pub(crate) fn claim_str(&self, name: &str) -> Option<&str> {
        self.claims.get(name)?.as_str()
    }

    /// A claim that is a string or a list of strings, as a list.
    pub(crate) fn claim_strings(&self, name: &str) -> Vec<&str> {
        match self.claims.get(name) {
            Some(Value::String(s)) => vec![s.as_str()],
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        }
    }

    /// A numeric date claim (seconds since the Unix epoch; fractions are dropped).
    pub(crate) fn claim_time(&self, name: &str) -> Option<i64> {
        let v = self.claims.get(name)?;
        v.as_i64().or_else(|| v.as_f64().map(|f| f.floor() as i64))
    }

    /// The `iss` claim.
    pub(crate) fn issuer(&self) -> Option<&str> {
        self.claim_str("iss")
    }

    /// The `sub` claim.
    pub(crate) fn subject(&self) -> Option<&str> {
        self.claim_str("sub").filter(|s| !s.is_empty())
    }

    /// The `kid` of the header.
    pub(crate) fn key_id(&self) -> Option<&str> {
        self.header.kid.as_deref()
    }

    /// Verifies the signature with the first of `keys` that fits the token's algorithm.
    pub(crate) fn verify_signature(&self, keys: &[Jwk]) -> Result<(), TokenError> {
        let alg = self.header.alg;
        if !ALGORITHMS.contains(&alg) {
            return Err(TokenError::Algorithm(format!("{alg:?}")));
        }
        let mut validation = Validation::new(alg);
        validation.required_spec_claims.clear();
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        for jwk in keys.iter().filter(|k| fits(k, alg)) {
            let Ok(key) = DecodingKey::from_jwk(jwk) else {
                continue;
            };
            if jsonwebtoken::decode::<Value>(&self.raw, &key, &validation).is_ok() {
                return Ok(());
            }
        }
        Err(TokenError::Signature)
    }

    /// Checks `exp` (required), `nbf` and `iat` against `now`, with the allowance for clock
    /// skew.
    pub(crate) fn check_times(&self, now: i64) -> Result<(), TokenError> {
        let expires = self
            .claim_time("exp")
            .ok_or(TokenError::MissingClaim("exp"))?;
        if now > expires + CLOCK_SKEW_SECONDS {
            return Err(TokenError::Expired { now, expires });
        }
        for name in ["nbf", "iat"] {
            if let Some(t) = self.claim_time(name)
                && t > now + CLOCK_SKEW_SECONDS
            {
                return Err(TokenError::NotYetValid { now, not_before: t });
            }
        }
        Ok(())
    }

    /// Checks the audience against the provider's client IDs: the `azp` claim, or one of
    /// the `aud` values, must be one of them.
    pub(crate) fn audience(&self, client_ids: &[String]) -> Result<Audience, TokenError> {
        let auds = self.claim_strings("aud");
        let azp = self.claim_str("azp");
        if auds.is_empty() && azp.is_none() {
            return Err(TokenError::MissingClaim("aud"));
        }
        let listed = |a: &str| client_ids.iter().any(|c| c == a);
        match azp {
            Some(azp) if listed(azp) || auds.iter().any(|a| listed(a)) => Ok(Audience {
                aud: azp.to_string(),
                oaud: auds.iter().map(|a| a.to_string()).collect(),
            }),
            Some(_) => Err(TokenError::Audience),
            None => auds
                .iter()
                .find(|a| listed(a))
                .map(|a| Audience {
                    aud: a.to_string(),
                    oaud: Vec::new(),
                })
                .ok_or(TokenError::Audience),
        }
    }

    /// The session tags of the token's [`TAGS_CLAIM`]: `principal_tags` (each value a list
    /// of one string, or a string) and `transitive_tag_keys`, which must name tags given.
    pub(crate) fn session_tags(&self) -> Result<TokenTags, TokenError> {
        let Some(claim) = self.claims.get(TAGS_CLAIM) else {
            return Ok(TokenTags::default());
        };
        let bad = |why: &str| TokenError::Tags(format!("The {TAGS_CLAIM} claim is invalid: {why}"));
        let Value::Object(claim) = claim else {
            return Err(bad("it is not an object"));
        };
        let mut tags = Vec::new();
        if let Some(principal) = claim.get("principal_tags") {
            let Value::Object(map) = principal else {
                return Err(bad("principal_tags is not an object"));
            };
            for (key, value) in map {
                let value = match value {
                    Value::String(s) => s.clone(),
                    Value::Array(items) if items.len() == 1 && items[0].is_string() => {
                        items[0].as_str().unwrap_or_default().to_string()
                    }
                    _ => {
                        return Err(bad(&format!("the value of tag {key} is not one string")));
                    }
                };
                tags.push((key.clone(), value));
            }
        }
        let mut transitive = Vec::new();
        if let Some(keys) = claim.get("transitive_tag_keys") {
            let Value::Array(items) = keys else {
                return Err(bad("transitive_tag_keys is not a list"));
            };
            for item in items {
                let key = item
                    .as_str()
                    .ok_or_else(|| bad("transitive_tag_keys holds a value that is not a string"))?;
                if !tags.iter().any(|(k, _)| k.eq_ignore_ascii_case(key)) {
                    return Err(bad(&format!(
                        "transitive tag key {key} is not among principal_tags"
                    )));
                }
                transitive.push(key.to_string());
            }
        }
        Ok(TokenTags { tags, transitive })
    }
}

/// Whether a key can verify a signature of algorithm `alg` (its type, curve and, when it
/// names one, its algorithm).
fn fits(jwk: &Jwk, alg: Algorithm) -> bool {
    if let Some(key_alg) = jwk.common.key_algorithm
        && key_alg != KeyAlgorithm::from(alg)
    {
        return false;
    }
    match (&jwk.algorithm, alg) {
        (
            AlgorithmParameters::RSA(_),
            Algorithm::RS256
            | Algorithm::RS384
            | Algorithm::RS512
            | Algorithm::PS256
            | Algorithm::PS384
            | Algorithm::PS512,
        ) => true,
        (AlgorithmParameters::EllipticCurve(p), Algorithm::ES256) => p.curve == EllipticCurve::P256,
        (AlgorithmParameters::EllipticCurve(p), Algorithm::ES384) => p.curve == EllipticCurve::P384,
        _ => false,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use jsonwebtoken::jwk::JwkSet;
    use jsonwebtoken::{EncodingKey, encode};
    use serde_json::json;

    /// Test keys (made for these tests only): an RSA and a P-256 private key in PEM, with
    /// their public halves as JWKs.
    pub(crate) const KEYS: &str = include_str!("testdata/oidc-test-keys.json");

    fn keys() -> Value {
        serde_json::from_str(KEYS).unwrap()
    }

    /// The test key set: `rsa1` (RS256), `ec` (ES256).
    pub(crate) fn jwks() -> JwkSet {
        let k = keys();
        serde_json::from_value(json!({"keys": [
            {"kty": "RSA", "kid": "rsa1", "use": "sig", "n": k["rsa1"]["n"], "e": k["rsa1"]["e"]},
            {"kty": "EC", "kid": "ec", "crv": "P-256", "x": k["ec"]["x"], "y": k["ec"]["y"]},
        ]}))
        .unwrap()
    }

    /// A token signed with test key `key` (`rsa1`, `rsa2` or `ec`).
    pub(crate) fn sign(key: &str, kid: Option<&str>, claims: &Value) -> String {
        let k = keys();
        let pem = k[key]["pem"].as_str().unwrap().as_bytes();
        let (alg, enc) = if key == "ec" {
            (Algorithm::ES256, EncodingKey::from_ec_pem(pem).unwrap())
        } else {
            (Algorithm::RS256, EncodingKey::from_rsa_pem(pem).unwrap())
        };
        let mut header = Header::new(alg);
        header.kid = kid.map(str::to_string);
        encode(&header, claims, &enc).unwrap()
    }

    fn claims(now: i64) -> Value {
        json!({"iss": "https://idp.example.com", "sub": "alice", "aud": "app", "iat": now, "exp": now + 600})
    }

    #[test]
    fn verifies_rs256_and_es256_signatures() {
        let set = jwks();
        let now = 1_700_000_000;
        for (key, kid) in [("rsa1", Some("rsa1")), ("ec", Some("ec")), ("rsa1", None)] {
            let t = Token::parse(&sign(key, kid, &claims(now))).unwrap();
            assert_eq!(t.issuer(), Some("https://idp.example.com"));
            assert_eq!(t.subject(), Some("alice"));
            assert_eq!(t.key_id(), kid);
            t.verify_signature(&set.keys).unwrap();
        }
        // Another key with a known kid, and a tampered payload, fail.
        let forged = Token::parse(&sign("rsa2", Some("rsa1"), &claims(now))).unwrap();
        assert_eq!(
            forged.verify_signature(&set.keys),
            Err(TokenError::Signature)
        );
        let good = sign("rsa1", Some("rsa1"), &claims(now));
        let parts: Vec<&str> = good.split('.').collect();
        let other = sign(
            "rsa1",
            Some("rsa1"),
            &json!({"iss": "https://idp.example.com", "sub": "mallory", "aud": "app", "exp": now + 600}),
        );
        let tampered = format!(
            "{}.{}.{}",
            parts[0],
            other.split('.').nth(1).unwrap(),
            parts[2]
        );
        let t = Token::parse(&tampered).unwrap();
        assert_eq!(t.subject(), Some("mallory"));
        assert_eq!(t.verify_signature(&set.keys), Err(TokenError::Signature));
        // No keys at all.
        let t = Token::parse(&good).unwrap();
        assert_eq!(t.verify_signature(&[]), Err(TokenError::Signature));
    }

    #[test]
    fn refuses_symmetric_algorithms() {
        let header = Header::new(Algorithm::HS256);
        let token = encode(&header, &claims(1), &EncodingKey::from_secret(b"secret")).unwrap();
        let t = Token::parse(&token).unwrap();
        assert_eq!(
            t.verify_signature(&jwks().keys),
            Err(TokenError::Algorithm("HS256".into()))
        );
    }

    #[test]
    fn reads_only_well_formed_tokens() {
        for bad in [
            "",
            "abc",
            "a.b",
            "a.b.c",
            "eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln",
            "a.b.c.d",
        ] {
            assert_eq!(
                Token::parse(bad).unwrap_err(),
                TokenError::Malformed,
                "{bad}"
            );
        }
        // A header with an unknown algorithm.
        let header = "eyJhbGciOiJub25lIn0"; // {"alg":"none"}
        let payload = "eyJzdWIiOiJ4In0"; // {"sub":"x"}
        assert_eq!(
            Token::parse(&format!("{header}.{payload}.")).unwrap_err(),
            TokenError::Malformed
        );
    }

    #[test]
    fn checks_times_with_five_minutes_of_skew() {
        let now = 1_700_000_000;
        let token = |c: Value| Token::parse(&sign("rsa1", Some("rsa1"), &c)).unwrap();
        assert!(token(json!({"exp": now - 299})).check_times(now).is_ok());
        assert_eq!(
            token(json!({"exp": now - 301})).check_times(now),
            Err(TokenError::Expired {
                now,
                expires: now - 301
            })
        );
        assert!(
            token(json!({"exp": (now + 10) as f64 + 0.5}))
                .check_times(now)
                .is_ok()
        );
        assert_eq!(
            token(json!({"sub": "x"})).check_times(now),
            Err(TokenError::MissingClaim("exp"))
        );
        assert!(
            token(json!({"exp": now + 900, "nbf": now + 299}))
                .check_times(now)
                .is_ok()
        );
        assert_eq!(
            token(json!({"exp": now + 900, "nbf": now + 400})).check_times(now),
            Err(TokenError::NotYetValid {
                now,
                not_before: now + 400
            })
        );
        assert!(matches!(
            token(json!({"exp": now + 900, "iat": now + 3600})).check_times(now),
            Err(TokenError::NotYetValid { .. })
        ));
    }

    #[test]
    fn matches_the_audience_with_the_client_ids() {
        let ids = vec!["app".to_string(), "other".to_string()];
        let token = |c: Value| Token::parse(&sign("rsa1", Some("rsa1"), &c)).unwrap();
        assert_eq!(
            token(json!({"aud": "app"})).audience(&ids),
            Ok(Audience {
                aud: "app".into(),
                oaud: vec![]
            })
        );
        assert_eq!(
            token(json!({"aud": ["x", "other"]}))
                .audience(&ids)
                .unwrap()
                .aud,
            "other"
        );
        assert_eq!(
            token(json!({"aud": "backend", "azp": "app"})).audience(&ids),
            Ok(Audience {
                aud: "app".into(),
                oaud: vec!["backend".into()]
            })
        );
        assert_eq!(
            token(json!({"aud": "nope"})).audience(&ids),
            Err(TokenError::Audience)
        );
        assert_eq!(
            token(json!({"aud": "app", "azp": "stranger"}))
                .audience(&ids)
                .unwrap()
                .aud,
            "stranger"
        );
        assert_eq!(
            token(json!({"aud": "nope", "azp": "stranger"})).audience(&ids),
            Err(TokenError::Audience)
        );
        assert_eq!(
            token(json!({"sub": "x"})).audience(&ids),
            Err(TokenError::MissingClaim("aud"))
        );
        assert_eq!(
            token(json!({"aud": "app"})).audience(&[]),
            Err(TokenError::Audience)
        );
    }

    #[test]
    fn reads_session_tags() {
        let token = |c: Value| Token::parse(&sign("rsa1", Some("rsa1"), &c)).unwrap();
        let t = token(json!({TAGS_CLAIM: {
            "principal_tags": {"Project": ["Automation"], "CostCenter": "987654"},
            "transitive_tag_keys": ["Project"]
        }}));
        let TokenTags { tags, transitive } = t.session_tags().unwrap();
        assert_eq!(
            tags,
            [
                ("Project".to_string(), "Automation".to_string()),
                ("CostCenter".to_string(), "987654".to_string())
            ]
        );
        assert_eq!(transitive, ["Project"]);
        assert_eq!(
            token(json!({"sub": "x"}))
                .session_tags()
                .unwrap()
                .tags
                .len(),
            0
        );
        for bad in [
            json!("tags"),
            json!({"principal_tags": ["a"]}),
            json!({"principal_tags": {"a": ["1", "2"]}}),
            json!({"principal_tags": {"a": 1}}),
            json!({"principal_tags": {"a": "1"}, "transitive_tag_keys": "a"}),
            json!({"principal_tags": {"a": "1"}, "transitive_tag_keys": ["b"]}),
        ] {
            assert!(matches!(
                token(json!({TAGS_CLAIM: bad})).session_tags(),
                Err(TokenError::Tags(_))
            ));
        }
    }
}
