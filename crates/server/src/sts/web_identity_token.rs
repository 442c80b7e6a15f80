//! GetWebIdentityToken (outbound identity federation): a signed JSON Web Token that
//! represents the caller's AWS identity to services outside AWS.
//!
//! - The account must have enabled outbound identity federation
//!   (EnableOutboundWebIdentityFederation): otherwise
//!   `OutboundWebIdentityFederationDisabledException`.
//! - The token is signed with the account's key for the requested `SigningAlgorithm`
//!   (`RS256` or `ES384`, see [`signing_keys`]); its `iss` is the account's issuer URL.
//!   Portcullis serves the issuer's key set at
//!   `/_portcullis/outbound/{UUID}/.well-known/jwks.json` (UUID: the first label of the
//!   issuer host `https://UUID.tokens.sts.global.api.aws`), see [`outbound_key_set`].
//! - Claims, as the IAM User Guide ("Understanding token claims") shows them: `iss`, `aud`
//!   (a string for one audience, a list for several), `sub`, `iat`, `exp`, `jti`, the
//!   top-level `scope` when Scope is given, and under the `https://sts.amazonaws.com/`
//!   namespace `aws_account`, `source_region`, `principal_id`, `principal_tags` (the
//!   principal's tags with the session's tags over them) and `request_tags` (the Tags of
//!   the request). `sub` is the ARN of the calling principal — for a role session the
//!   role's ARN, as in AWS's sample token and as `principal_id` is documented — or, with
//!   `SubjectMode=OriginIdentity`, the session's `aws:OriginIdentity/Subject`; the token
//!   then also carries `subject_mode`.
//! - `DurationSeconds` (60 to 3,600, default 300) may not take the token past the end of
//!   the calling session: `SessionDurationEscalationException`, for both token types.
//! - `TokenType=JWT_SVID` asks for the workload identity's JWT-SVID instead (see
//!   `sts::workload`); TokenType excludes SubjectMode and Scope, a JWT-SVID takes exactly
//!   one audience and no Tags. Scope needs `SubjectMode=OriginIdentity` and exactly one
//!   audience; its values may not repeat.
//! - Authorization happens here rather than in the request pipeline, because the request
//!   carries the condition keys: `sts:IdentityTokenAudience` (every audience),
//!   `sts:DurationSeconds` (the effective duration), `sts:SigningAlgorithm`,
//!   `sts:TokenType` and `sts:SubjectMode` (their effective values), `aws:RequestTag/…` and
//!   `aws:TagKeys`; with Scope, `sts:SetWebIdentityTokenScope` is authorized as well, with
//!   `sts:IdentityTokenScope` (every scope value).
//!
//! The payload limit ([`MAX_PAYLOAD_BYTES`]) and the wording of every error message are
//! Portcullis's: AWS publishes neither.

use portcullis_protocol::Timestamp;
use portcullis_protocol::sts::{GetWebIdentityTokenInput, GetWebIdentityTokenOutput, StsErrorCode};
mod signing_keys;

use super::federation::session_tags;
use crate::app::App;
use crate::auth::session::{SessionPrincipal, SessionTag};
use crate::authz::{Ask, access_denied, caller_auth, caller_context, decide};
use crate::call::Ctx;
use crate::error::Error;
use crate::time::now_seconds;
use serde_json::{Map, Value, json};

/// The default lifetime of a token, in seconds (STS API reference).
pub(super) const DEFAULT_SECONDS: i64 = 300;

/// The largest token payload (its JSON claims) Portcullis signs, in bytes.
pub(super) const MAX_PAYLOAD_BYTES: usize = 16_384;

/// The claim namespace of AWS's own claims.
const NAMESPACE: &str = "https://sts.amazonaws.com/";

const ORIGIN_SUBJECT: &str = "aws:OriginIdentity/Subject";
const ORIGIN_ISSUER: &str = "aws:OriginIdentity/Issuer";
const ORIGIN_PROVIDER: &str = "aws:OriginIdentity/FederatedProviderArn";

/// What a request asks for.
struct TokenRequest<'a> {
    audiences: Vec<&'a str>,
    algorithm: &'a str,
    seconds: i64,
    token_type: Option<&'a str>,
    subject_mode: Option<&'a str>,
    scope: Option<&'a str>,
    tags: Vec<SessionTag>,
}

impl TokenRequest<'_> {
    fn svid(&self) -> bool {
        self.token_type == Some("JWT_SVID")
    }

    fn origin(&self) -> bool {
        self.subject_mode == Some("OriginIdentity")
    }
}

/// GetWebIdentityToken.
pub(crate) async fn get_web_identity_token(
    ctx: &Ctx<'_>,
    input: GetWebIdentityTokenInput,
) -> Result<GetWebIdentityTokenOutput, Error> {
    let request = read_request(&input)?;
    authorize(ctx, &request)?;
    let now = now_seconds();
    if let Some(session) = ctx.caller.session.as_deref()
        && now + request.seconds > session.expires
    {
        return Err(Error::aws(
            StsErrorCode::SessionDurationEscalationException,
            format!(
                "The requested token duration of {} seconds would extend beyond the expiration of the calling session, which expires in {} seconds.",
                request.seconds,
                (session.expires - now).max(0)
            ),
        ));
    }
    if request.svid() {
        let (token, expires_ms) =
            super::workload::jwt_svid(ctx, &request.audiences, request.seconds, request.algorithm)?;
        return Ok(GetWebIdentityTokenOutput {
            web_identity_token: Some(token),
            expiration: Some(Timestamp::from_millis(expires_ms)),
        });
    }
    let issuer = ctx
        .app
        .read(|e| e.settings.outbound_issuer.clone())
        .ok_or_else(|| {
            Error::aws(
                StsErrorCode::OutboundWebIdentityFederationDisabledException,
                "Outbound web identity federation is not enabled for this account. Enable it with EnableOutboundWebIdentityFederation.",
            )
        })?;
    let claims = token_claims(ctx, &request, &issuer, now)?;
    let size = serde_json::to_vec(&claims).map_or(0, |b| b.len());
    if size > MAX_PAYLOAD_BYTES {
        return Err(Error::aws(
            StsErrorCode::JWTPayloadSizeExceededException,
            format!(
                "The token payload would be {size} bytes, which exceeds the maximum of {MAX_PAYLOAD_BYTES} bytes. Pass fewer or shorter request tags."
            ),
        ));
    }
    let key = signing_keys::signing_key(ctx.app, request.algorithm).await?;
    let token = key.sign(&claims)?;
    Ok(GetWebIdentityTokenOutput {
        web_identity_token: Some(token),
        expiration: Some(Timestamp::from_millis((now + request.seconds) * 1000)),
    })
}

/// The public keys of the account's outbound issuer as a JSON Web Key Set, when `id` is
/// the UUID of its issuer URL (`https://UUID.tokens.sts.global.api.aws`) and outbound
/// identity federation is enabled; `None` otherwise.
pub(crate) fn outbound_key_set(app: &App, id: &str) -> Option<Value> {
    let issuer = app.read(|e| e.settings.outbound_issuer.clone())?;
    let host = issuer.strip_prefix("https://")?;
    let uuid = host.split('.').next()?;
    if id.is_empty() || uuid != id {
        return None;
    }
    serde_json::to_value(signing_keys::key_set(app)).ok()
}

/// Reads and checks the request: the algorithm, and the rules between TokenType,
/// SubjectMode, Scope, Audience and Tags.
fn read_request(input: &GetWebIdentityTokenInput) -> Result<TokenRequest<'_>, Error> {
    let algorithm = input.signing_algorithm.as_str();
    if !signing_keys::ALGORITHMS.contains(&algorithm) {
        return Err(Error::validation(format!(
            "1 validation error detected: Value '{algorithm}' at 'signingAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: [RS256, ES384]"
        )));
    }
    let request = TokenRequest {
        audiences: input.audience.iter().map(String::as_str).collect(),
        algorithm,
        seconds: input.duration_seconds.unwrap_or(DEFAULT_SECONDS),
        token_type: input.token_type.as_deref(),
        subject_mode: input.subject_mode.as_deref(),
        scope: input.scope.as_deref(),
        tags: session_tags(input.tags.as_deref())?,
    };
    if request.audiences.is_empty() {
        return Err(Error::validation(
            "1 validation error detected: Value null at 'audience' failed to satisfy constraint: Member must not be null",
        ));
    }
    if request.token_type.is_some() && request.subject_mode.is_some() {
        return Err(Error::validation(
            "SubjectMode and TokenType are mutually exclusive: specify only one of them.",
        ));
    }
    if request.token_type.is_some() && request.scope.is_some() {
        return Err(Error::validation(
            "Scope and TokenType are mutually exclusive: specify only one of them.",
        ));
    }
    if request.svid() {
        if request.audiences.len() != 1 {
            return Err(Error::validation(
                "A JWT_SVID token takes exactly one audience.",
            ));
        }
        if !request.tags.is_empty() {
            return Err(Error::validation(
                "Tags cannot be specified with TokenType JWT_SVID.",
            ));
        }
    }
    if let Some(scope) = request.scope {
        if !request.origin() || request.audiences.len() != 1 {
            return Err(Error::validation(
                "Scope can be specified only with SubjectMode OriginIdentity and exactly one audience.",
            ));
        }
        let values: Vec<&str> = scope.split(' ').collect();
        if values
            .iter()
            .enumerate()
            .any(|(n, v)| values[..n].contains(v))
        {
            return Err(Error::validation(format!(
                "Scope {scope} repeats a scope value."
            )));
        }
    }
    Ok(request)
}

/// Authorizes `sts:GetWebIdentityToken` (and `sts:SetWebIdentityTokenScope` with Scope)
/// with the request's condition keys.
fn authorize(ctx: &Ctx<'_>, request: &TokenRequest<'_>) -> Result<(), Error> {
    if !ctx.app.config.authorizes() || ctx.caller.is_root() {
        return Ok(());
    }
    let mut actions = vec!["sts:GetWebIdentityToken"];
    if request.scope.is_some() {
        actions.push("sts:SetWebIdentityTokenScope");
    }
    ctx.app.read(|e| {
        let auth = caller_auth(ctx.app, e, ctx.caller)?;
        for action in actions {
            let mut c = caller_context(ctx.caller, "sts", &auth);
            c.insert_multi("sts:IdentityTokenAudience", request.audiences.iter());
            c.insert("sts:DurationSeconds", &request.seconds.to_string());
            c.insert("sts:SigningAlgorithm", request.algorithm);
            c.insert("sts:TokenType", request.token_type.unwrap_or("AWSIdentity"));
            if !request.svid() {
                c.insert(
                    "sts:SubjectMode",
                    request.subject_mode.unwrap_or("AWSIdentity"),
                );
            }
            if let Some(scope) = request.scope {
                c.insert_multi("sts:IdentityTokenScope", scope.split(' '));
            }
            if !request.tags.is_empty() {
                for t in &request.tags {
                    c.insert(&format!("aws:RequestTag/{}", t.key), &t.value);
                }
                c.insert_multi("aws:TagKeys", request.tags.iter().map(|t| t.key.as_str()));
            }
            let verdict = decide(
                ctx.app,
                ctx.caller,
                &auth,
                Ask {
                    action,
                    resource: "*",
                    context: c,
                    resource_policy: None,
                    scoped: false,
                },
            )?;
            if !verdict.decision.is_allowed() {
                return Err(access_denied(ctx.caller, action, "*", verdict));
            }
        }
        Ok(())
    })
}

/// The ARN the token names the caller by: for a role session the role's ARN, otherwise
/// the caller's own.
fn principal_arn(ctx: &Ctx<'_>) -> String {
    match ctx.caller.session.as_deref().map(|s| &s.principal) {
        Some(SessionPrincipal::AssumedRole { role_arn, .. }) => role_arn.clone(),
        _ => ctx.caller.principal.arn.clone(),
    }
}

/// The `aws:OriginIdentity/Subject` of the calling session, checked as STS documents it
/// for SubjectMode OriginIdentity.
fn origin_subject(ctx: &Ctx<'_>) -> Result<String, Error> {
    let keys = ctx
        .caller
        .session
        .as_deref()
        .map_or(&[][..], |s| s.provider_keys.as_slice());
    let get = |name: &str| {
        keys.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let has_origin = get(ORIGIN_ISSUER).is_some() || get(ORIGIN_PROVIDER).is_some();
    let subject = match get(ORIGIN_SUBJECT) {
        Some(s) if has_origin && !s.trim().is_empty() => s,
        _ => {
            return Err(Error::validation(
                "SubjectMode OriginIdentity needs a trusted identity propagation context with aws:OriginIdentity/Subject and aws:OriginIdentity/Issuer or aws:OriginIdentity/FederatedProviderArn in the calling session.",
            ));
        }
    };
    let refused = |why: &str| {
        Error::denied(format!(
            "User: {} is not authorized to perform: sts:GetWebIdentityToken because the origin identity subject {why}",
            ctx.caller.principal.arn
        ))
    };
    if subject
        .get(..4)
        .is_some_and(|p| p.eq_ignore_ascii_case("arn:"))
    {
        return Err(refused("begins with arn:"));
    }
    if subject.starts_with(' ') || subject.ends_with(' ') {
        return Err(refused("begins or ends with a space"));
    }
    if subject.chars().any(|c| c != ' ' && disallowed(c)) {
        return Err(refused("contains a control, format or separator character"));
    }
    Ok(subject.to_string())
}

/// Control characters (Cc), separators (Zs, Zl, Zp) and the format characters (Cf).
fn disallowed(c: char) -> bool {
    c.is_control()
        || c.is_whitespace()
        || matches!(
            c,
            '\u{ad}'
                | '\u{600}'..='\u{605}'
                | '\u{61c}'
                | '\u{6dd}'
                | '\u{70f}'
                | '\u{890}'..='\u{891}'
                | '\u{8e2}'
                | '\u{180e}'
                | '\u{200b}'..='\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{206f}'
                | '\u{feff}'
                | '\u{fff9}'..='\u{fffb}'
                | '\u{110bd}'
                | '\u{110cd}'
                | '\u{13430}'..='\u{1343f}'
                | '\u{1bca0}'..='\u{1bca3}'
                | '\u{1d173}'..='\u{1d17a}'
                | '\u{e0001}'
                | '\u{e0020}'..='\u{e007f}'
        )
}

/// The claims of an AWSIdentity token issued `now`.
fn token_claims(
    ctx: &Ctx<'_>,
    request: &TokenRequest<'_>,
    issuer: &str,
    now: i64,
) -> Result<Value, Error> {
    let principal = principal_arn(ctx);
    let subject = if request.origin() {
        origin_subject(ctx)?
    } else {
        principal.clone()
    };
    let principal_tags = ctx.app.read(|e| {
        caller_auth(ctx.app, e, ctx.caller).map(|auth| {
            auth.principal_tags
                .into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect::<Map<String, Value>>()
        })
    })?;
    let mut aws = json!({
        "aws_account": ctx.caller.account,
        "source_region": ctx.caller.region,
        "principal_id": principal,
    });
    if !principal_tags.is_empty() {
        aws["principal_tags"] = Value::Object(principal_tags);
    }
    if !request.tags.is_empty() {
        let tags: Map<String, Value> = request
            .tags
            .iter()
            .map(|t| (t.key.clone(), Value::String(t.value.clone())))
            .collect();
        aws["request_tags"] = Value::Object(tags);
    }
    let audience = match request.audiences.as_slice() {
        [one] => json!(one),
        many => json!(many),
    };
    let mut claims = json!({
        "iss": issuer,
        "aud": audience,
        "sub": subject,
        "iat": now,
        "exp": now + request.seconds,
        "jti": uuid::Uuid::new_v4().to_string(),
        NAMESPACE: aws,
    });
    if request.origin() {
        claims["subject_mode"] = json!("OriginIdentity");
    }
    if let Some(scope) = request.scope {
        claims["scope"] = json!(scope);
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::App;
    use crate::caller::Caller;
    use crate::config::Config;
    use crate::sts::credentials::{SessionRequest, issue_credentials};
    use crate::time::iso8601;
    use jsonwebtoken::jwk::JwkSet;
    use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
    use std::sync::Arc;

    async fn call(app: &App, caller: &Caller, input: Value) -> Result<Value, Error> {
        let ctx = Ctx { app, caller };
        crate::sts::call("GetWebIdentityToken", &ctx, &input)
            .await
            .expect("an STS operation")
    }

    fn code(e: Error) -> (String, String) {
        let e = e.into_aws();
        (e.code().to_string(), e.message().to_string())
    }

    async fn enabled_app() -> (App, String) {
        let (app, _) = App::open(Config::in_memory(false)).await.unwrap();
        let issuer = "https://3f1d3c5e-0000-4000-8000-000000000001.tokens.sts.global.api.aws";
        let account = app.account_id().to_string();
        app.write(|e| {
            let mut settings = e.settings.clone();
            settings.outbound_issuer = Some(issuer.to_string());
            Ok((vec![portcullis_store::Change::put(&account, &settings)], ()))
        })
        .await
        .unwrap();
        (app, issuer.to_string())
    }

    /// Runs an IAM operation as the root.
    async fn iam(app: &App, op: &str, input: Value) -> Result<Value, Error> {
        let root = Caller::test_root();
        let ctx = crate::call::Ctx { app, caller: &root };
        crate::iam::call(op, &ctx, &input)
            .await
            .expect("an IAM operation")
    }

    /// A role session of role `worker` (made on first use, allowed to get tokens) with a
    /// tag and, optionally, provider keys.
    async fn role_caller(app: &App, seconds: i64, provider_keys: Vec<(String, String)>) -> Caller {
        if app.read(|e| e.role("worker").is_none()) {
            let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}"#;
            iam(
                app,
                "CreateRole",
                json!({"RoleName": "worker", "AssumeRolePolicyDocument": trust}),
            )
            .await
            .unwrap();
            let allow = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:GetWebIdentityToken","sts:SetWebIdentityTokenScope"],"Resource":"*"}]}"#;
            iam(
                app,
                "PutRolePolicy",
                json!({"RoleName": "worker", "PolicyName": "tokens", "PolicyDocument": allow}),
            )
            .await
            .unwrap();
        }
        let role_id = app.read(|e| e.role("worker").map(|r| r.id.clone()).unwrap());
        let (claims, _) = issue_credentials(
            app,
            SessionRequest {
                principal: SessionPrincipal::AssumedRole {
                    role_id,
                    role_arn: format!("arn:aws:iam::{}:role/worker", app.account_id()),
                    role_name: "worker".into(),
                    session_name: "job-1".into(),
                },
                duration_seconds: seconds,
                policies: vec![],
                policy_arns: vec![],
                tags: vec![SessionTag {
                    key: "team".into(),
                    value: "data".into(),
                }],
                transitive_tag_keys: vec![],
                source_identity: None,
                mfa_authenticated_at: None,
                chain_depth: 0,
                provider_keys,
            },
        );
        let mut caller = Caller::test_root();
        caller.principal = portcullis_policy::Principal::parse(&format!(
            "arn:aws:sts::{}:assumed-role/worker/job-1",
            app.account_id()
        ))
        .unwrap();
        caller.account = app.account_id().to_string();
        caller.region = "eu-west-1".into();
        caller.session = Some(Arc::new(claims));
        caller
    }

    fn verify(app: &App, issuer: &str, token: &str, audience: &str) -> Value {
        let uuid = issuer
            .strip_prefix("https://")
            .unwrap()
            .split('.')
            .next()
            .unwrap();
        let set: JwkSet = serde_json::from_value(outbound_key_set(app, uuid).unwrap()).unwrap();
        let header = decode_header(token).unwrap();
        let jwk = set.find(header.kid.as_deref().unwrap()).unwrap();
        let mut validation = Validation::new(header.alg);
        validation.set_audience(&[audience]);
        validation.set_issuer(&[issuer]);
        decode::<Value>(token, &DecodingKey::from_jwk(jwk).unwrap(), &validation)
            .unwrap()
            .claims
    }

    #[tokio::test]
    async fn refused_until_outbound_federation_is_enabled() {
        let (app, _) = App::open(Config::in_memory(false)).await.unwrap();
        let (c, _) = code(
            call(
                &app,
                &Caller::test_root(),
                json!({"Audience": ["https://api.example.com"], "SigningAlgorithm": "ES384"}),
            )
            .await
            .unwrap_err(),
        );
        assert_eq!(c, "OutboundWebIdentityFederationDisabledException");
        assert!(outbound_key_set(&app, "anything").is_none());
    }

    #[tokio::test]
    async fn signs_the_documented_claims() {
        let (app, issuer) = enabled_app().await;
        let caller = role_caller(&app, 3600, vec![]).await;
        let out = call(
            &app,
            &caller,
            json!({
                "Audience": ["https://api.example.com"],
                "SigningAlgorithm": "ES384",
                "DurationSeconds": 120,
                "Tags": [{"Key": "job", "Value": "nightly"}],
            }),
        )
        .await
        .unwrap();
        let token = out["WebIdentityToken"].as_str().unwrap();
        assert_eq!(decode_header(token).unwrap().alg, Algorithm::ES384);
        let claims = verify(&app, &issuer, token, "https://api.example.com");
        let role = format!("arn:aws:iam::{}:role/worker", app.account_id());
        assert_eq!(claims["sub"], role);
        assert_eq!(claims["aud"], "https://api.example.com");
        assert_eq!(
            claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
            120
        );
        assert_eq!(
            out["Expiration"],
            iso8601(claims["exp"].as_i64().unwrap() * 1000)
        );
        let aws = &claims[NAMESPACE];
        assert_eq!(aws["aws_account"], app.account_id());
        assert_eq!(aws["source_region"], "eu-west-1");
        assert_eq!(aws["principal_id"], role);
        assert_eq!(aws["principal_tags"]["team"], "data");
        assert_eq!(aws["request_tags"]["job"], "nightly");
        assert!(claims.get("scope").is_none());
        assert!(claims["jti"].as_str().unwrap().len() >= 32);

        // RS256 with two audiences: a list.
        let out = call(
            &app,
            &caller,
            json!({"Audience": ["a", "b"], "SigningAlgorithm": "RS256"}),
        )
        .await
        .unwrap();
        let token = out["WebIdentityToken"].as_str().unwrap();
        assert_eq!(decode_header(token).unwrap().alg, Algorithm::RS256);
        let claims = verify(&app, &issuer, token, "b");
        assert_eq!(claims["aud"], json!(["a", "b"]));
        assert_eq!(
            claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
            300
        );
    }

    #[tokio::test]
    async fn checks_the_request_rules() {
        let (app, _) = enabled_app().await;
        let caller = role_caller(&app, 3600, vec![]).await;
        let cases = [
            (
                json!({"Audience": ["a"], "SigningAlgorithm": "HS256"}),
                "ValidationError",
            ),
            (
                json!({"Audience": ["a"], "SigningAlgorithm": "ES384", "TokenType": "AWSIdentity", "SubjectMode": "AWSIdentity"}),
                "ValidationError",
            ),
            (
                json!({"Audience": ["a"], "SigningAlgorithm": "ES384", "TokenType": "JWT_SVID", "Scope": "read"}),
                "ValidationError",
            ),
            (
                json!({"Audience": ["a", "b"], "SigningAlgorithm": "ES384", "TokenType": "JWT_SVID"}),
                "ValidationError",
            ),
            (
                json!({"Audience": ["a"], "SigningAlgorithm": "ES384", "TokenType": "JWT_SVID", "Tags": [{"Key": "k", "Value": "v"}]}),
                "ValidationError",
            ),
            (
                json!({"Audience": ["a"], "SigningAlgorithm": "ES384", "Scope": "read"}),
                "ValidationError",
            ),
            (
                json!({"Audience": ["a"], "SigningAlgorithm": "ES384", "Tags": [{"Key": "k", "Value": "1"}, {"Key": "K", "Value": "2"}]}),
                "InvalidParameterValue",
            ),
            (
                json!({"Audience": ["a"], "SigningAlgorithm": "ES384", "SubjectMode": "OriginIdentity"}),
                "ValidationError",
            ),
        ];
        for (input, expected) in cases {
            let (c, m) = code(call(&app, &caller, input.clone()).await.unwrap_err());
            assert_eq!(c, expected, "{input}: {m}");
        }
        // A token may not outlive the calling session.
        let short = role_caller(&app, 100, vec![]).await;
        let (c, _) = code(
            call(
                &app,
                &short,
                json!({"Audience": ["a"], "SigningAlgorithm": "ES384", "DurationSeconds": 200}),
            )
            .await
            .unwrap_err(),
        );
        assert_eq!(c, "SessionDurationEscalationException");
        // Too many large tags: the payload is too large.
        let tags: Vec<Value> = (0..50)
            .map(|n| json!({"Key": format!("{n:03}{}", "k".repeat(120)), "Value": "v".repeat(256)}))
            .collect();
        let (c, _) = code(
            call(
                &app,
                &caller,
                json!({"Audience": ["a"], "SigningAlgorithm": "ES384", "Tags": tags}),
            )
            .await
            .unwrap_err(),
        );
        assert_eq!(c, "JWTPayloadSizeExceededException");
    }

    #[tokio::test]
    async fn origin_identity_subject_and_scope() {
        let (app, issuer) = enabled_app().await;
        let keys = |subject: &str| {
            vec![
                (ORIGIN_SUBJECT.to_string(), subject.to_string()),
                (
                    ORIGIN_ISSUER.to_string(),
                    "https://idp.example.com".to_string(),
                ),
            ]
        };
        let caller = role_caller(&app, 3600, keys("alice@example.com")).await;
        let out = call(
            &app,
            &caller,
            json!({"Audience": ["api"], "SigningAlgorithm": "ES384", "SubjectMode": "OriginIdentity", "Scope": "read write"}),
        )
        .await
        .unwrap();
        let claims = verify(
            &app,
            &issuer,
            out["WebIdentityToken"].as_str().unwrap(),
            "api",
        );
        assert_eq!(claims["sub"], "alice@example.com");
        assert_eq!(claims["subject_mode"], "OriginIdentity");
        assert_eq!(claims["scope"], "read write");
        assert_eq!(
            claims[NAMESPACE]["principal_id"],
            format!("arn:aws:iam::{}:role/worker", app.account_id())
        );
        for bad in [
            "ARN:aws:iam::1:user/x",
            " alice",
            "al\u{200b}ice",
            "al\tice",
        ] {
            let caller = role_caller(&app, 3600, keys(bad)).await;
            let (c, _) = code(
                call(
                    &app,
                    &caller,
                    json!({"Audience": ["api"], "SigningAlgorithm": "ES384", "SubjectMode": "OriginIdentity"}),
                )
                .await
                .unwrap_err(),
            );
            assert_eq!(c, "AccessDenied", "{bad:?}");
        }
        let blank = role_caller(&app, 3600, keys("  ")).await;
        let (c, _) = code(
            call(
                &app,
                &blank,
                json!({"Audience": ["api"], "SigningAlgorithm": "ES384", "SubjectMode": "OriginIdentity"}),
            )
            .await
            .unwrap_err(),
        );
        assert_eq!(c, "ValidationError");
        let (c, _) = code(
            call(
                &app,
                &caller,
                json!({"Audience": ["api"], "SigningAlgorithm": "ES384", "SubjectMode": "OriginIdentity", "Scope": "read read"}),
            )
            .await
            .unwrap_err(),
        );
        assert_eq!(c, "ValidationError");
    }
}
