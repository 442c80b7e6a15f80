//! AssumeRoleWithSAML: a role session for the holder of a SAML 2.0 response from one of the
//! account's SAML providers.
//!
//! The call is unsigned. The response is checked as STS checks it (IAM User Guide,
//! "Configure SAML assertions for the authentication response"):
//! - `PrincipalArn` is a SAML provider of the account, and the response (or its assertion,
//!   or both) is signed by a key of the provider's metadata (`auth::saml`);
//! - the assertion's `Issuer` (and the response's, when it has one) is the metadata's
//!   `entityID`;
//! - it is redeemed within five minutes of its `IssueInstant` and before any
//!   `NotOnOrAfter` (of its `Conditions`, of the subject confirmation); a `NotBefore` or an
//!   `IssueInstant` in the future is accepted up to five minutes ahead, for clock skew;
//! - a bearer `SubjectConfirmation` has a `SubjectConfirmationData` with a `NotOnOrAfter`
//!   and a `Recipient` that is AWS's sign-in endpoint (`https://signin.aws.amazon.com/saml`,
//!   its `static/saml` form, a regional `https://REGION.signin.aws.amazon.com/saml`, each
//!   optionally followed by `/acs/` and the provider's `SAMLProviderUUID`); that recipient
//!   is the answer's `Audience` and `saml:aud`. Portcullis accepts exactly what AWS
//!   accepts, since the identity provider is configured for AWS;
//! - every `AudienceRestriction` names `urn:amazon:webservices` or a sign-in endpoint, and
//!   there is at least one;
//! - the subject has a `NameID` (the answer's `Subject`; its `Format` without the
//!   `urn:oasis:names:tc:SAML:2.0:nameid-format:` prefix is `SubjectType`);
//! - the `https://aws.amazon.com/SAML/Attributes/Role` attribute pairs `RoleArn` with
//!   `PrincipalArn` (`role,provider` or `provider,role`);
//! - the `RoleSessionName` attribute is there and matches `[a-zA-Z_0-9+=,.@-]{2,64}`;
//!   `SourceIdentity` the same; `SessionDuration` (900 to 43200) and the response's
//!   `SessionNotOnOrAfter` can only shorten the session; `PrincipalTag:KEY` attributes are
//!   session tags, `TransitiveTagKeys` marks some transitive.
//!
//! Then the role's trust policy alone decides (outside `--dev`): `sts:AssumeRoleWithSAML`
//! for the principal `{"Federated": PROVIDER-ARN}`, with the context keys `saml:aud`,
//! `saml:iss`, `saml:sub`, `saml:sub_type`, `saml:namequalifier`, `saml:doc`, the
//! eduPerson, eduOrg, Active Directory and X.500 attributes the user guide maps to keys
//! ("Mapping SAML attributes to AWS trust policy context keys"), `sts:RoleSessionName`;
//! plus `sts:TagSession` for session tags and `sts:SetSourceIdentity` for a source
//! identity. The session's own requests carry `saml:sub`, `saml:sub_type` and
//! `saml:namequalifier` for its permission policies.
//!
//! AWS's messages, from its troubleshooting guide and real answers quoted in public
//! reports: InvalidIdentityToken "Response signature invalid", "Issuer not present in
//! specified provider", "RoleSessionName is required in AuthnResponse", "RoleSessionName in
//! AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64}", "Source Identity must match
//! [a-zA-Z_0-9+=,.@-]{2,64} and not begin with \"aws:\"", "Response does not contain the
//! required audience", "Specified provider doesn't exist."; ExpiredTokenException "Token
//! must be redeemed within 5 minutes of issuance", "Response has expired"; AccessDenied
//! "Not authorized to perform sts:AssumeRoleWithSAML" (also for a response without a
//! `NameID`, for a role that does not exist, and, in Portcullis, for a role the Role
//! attribute does not pair with the provider); ValidationError "The requested
//! DurationSeconds exceeds the MaxSessionDuration set for this role.". The other messages
//! (a response that is not one, a status other than success, an encrypted assertion, a
//! wrong recipient, a response not valid yet, a bad `SessionDuration` or session tag) are
//! Portcullis's wording.

use super::credentials::{SessionRequest, issue_credentials, packed_size};
use super::federated_trust::{self, FederatedAssumption, not_authorized};
use super::federation::session_policies;
use super::propagation;
use crate::auth::saml::{self, Assertion, Refusal};
use crate::auth::session::{SessionPrincipal, SessionTag};
use crate::auth::web_token::CLOCK_SKEW_SECONDS;
use crate::call::Ctx;
use crate::error::Error;
use crate::iam::saml_providers::{key_hash, parse_metadata};
use crate::time::now_seconds;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use portcullis_protocol::CommonErrorCode;
use portcullis_protocol::sts::{
    AssumeRoleWithSAMLInput, AssumeRoleWithSAMLOutput, AssumedRoleUser, StsErrorCode,
};
use portcullis_store::{Role, SamlProvider};
use sha1::{Digest, Sha1};

const ACTION: &str = "sts:AssumeRoleWithSAML";
const ROLE: &str = "https://aws.amazon.com/SAML/Attributes/Role";
const ROLE_SESSION_NAME: &str = "https://aws.amazon.com/SAML/Attributes/RoleSessionName";
const SESSION_DURATION: &str = "https://aws.amazon.com/SAML/Attributes/SessionDuration";
const SOURCE_IDENTITY: &str = "https://aws.amazon.com/SAML/Attributes/SourceIdentity";
const PRINCIPAL_TAG: &str = "https://aws.amazon.com/SAML/Attributes/PrincipalTag:";
const TRANSITIVE_TAG_KEYS: &str = "https://aws.amazon.com/SAML/Attributes/TransitiveTagKeys";
const BEARER: &str = "urn:oasis:names:tc:SAML:2.0:cm:bearer";
const NAME_ID_FORMAT_PREFIX: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:";
/// The format of a `NameID` without one (SAML 2.0 Core, section 8.3.1).
const UNSPECIFIED_FORMAT: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified";
/// How long after its issue a response may be redeemed.
const REDEEM_SECONDS: i64 = 300;
/// Session tags per session, and their key and value lengths (IAM and STS quotas).
const MAX_TAGS: usize = 50;
const MAX_TAG_KEY: usize = 128;
const MAX_TAG_VALUE: usize = 256;

const SIGNATURE_INVALID: &str = "Response signature invalid";
const NO_PROVIDER: &str = "Specified provider doesn't exist.";
const ISSUER_MISMATCH: &str = "Issuer not present in specified provider";
const EXPIRED: &str = "Response has expired";
const REDEEM_LATE: &str = "Token must be redeemed within 5 minutes of issuance";
const NO_AUDIENCE: &str = "Response does not contain the required audience";
const NO_RECIPIENT: &str = "Response does not contain a bearer SubjectConfirmationData with a NotOnOrAfter and an AWS sign-in endpoint as Recipient";
const SESSION_NAME_REQUIRED: &str = "RoleSessionName is required in AuthnResponse";
const SESSION_NAME_PATTERN: &str =
    "RoleSessionName in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64}";
const SOURCE_IDENTITY_PATTERN: &str =
    "Source Identity must match [a-zA-Z_0-9+=,.@-]{2,64} and not begin with \"aws:\"";

/// SAML attributes that map to trust-policy context keys (IAM User Guide, "Mapping SAML
/// attributes to AWS trust policy context keys"): attribute name, key, and whether the key
/// is a list. `2.4.5.42` is the OID as the guide prints it; `2.5.4.42` is givenName's
/// real OID, accepted too.
const MAPPED_ATTRIBUTES: &[(&str, &str, bool)] = &[
    (
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.1",
        "saml:edupersonaffiliation",
        true,
    ),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.2",
        "saml:edupersonnickname",
        true,
    ),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.3",
        "saml:edupersonorgdn",
        false,
    ),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.4",
        "saml:edupersonorgunitdn",
        true,
    ),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.5",
        "saml:edupersonprimaryaffiliation",
        false,
    ),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.6",
        "saml:edupersonprincipalname",
        false,
    ),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.7",
        "saml:edupersonentitlement",
        true,
    ),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.8",
        "saml:edupersonprimaryorgunitdn",
        false,
    ),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.9",
        "saml:edupersonscopedaffiliation",
        true,
    ),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.10",
        "saml:edupersontargetedid",
        true,
    ),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.11",
        "saml:edupersonassurance",
        true,
    ),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.2.1.2",
        "saml:eduorghomepageuri",
        true,
    ),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.2.1.3",
        "saml:eduorgidentityauthnpolicyuri",
        true,
    ),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.2.1.4",
        "saml:eduorglegalname",
        true,
    ),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.2.1.5",
        "saml:eduorgsuperioruri",
        true,
    ),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.2.1.6",
        "saml:eduorgwhitepagesuri",
        true,
    ),
    ("urn:oid:2.5.4.3", "saml:cn", true),
    (
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name",
        "saml:name",
        false,
    ),
    (
        "http://schemas.xmlsoap.org/claims/CommonName",
        "saml:commonName",
        false,
    ),
    (
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname",
        "saml:givenName",
        false,
    ),
    (
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname",
        "saml:surname",
        false,
    ),
    (
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
        "saml:mail",
        false,
    ),
    (
        "http://schemas.microsoft.com/ws/2008/06/identity/claims/primarygroupsid",
        "saml:primaryGroupSID",
        false,
    ),
    ("2.5.4.3", "saml:commonName", false),
    ("2.5.4.4", "saml:surname", false),
    ("2.4.5.42", "saml:givenName", false),
    ("2.5.4.42", "saml:givenName", false),
    ("2.5.4.45", "saml:x500UniqueIdentifier", false),
    ("0.9.2342.19200300100.1.1", "saml:uid", false),
    ("0.9.2342.19200300100.1.3", "saml:mail", false),
    (
        "0.9.2342.19200300.100.1.45",
        "saml:organizationStatus",
        false,
    ),
];

fn invalid(message: impl Into<String>) -> Error {
    Error::aws(StsErrorCode::InvalidIdentityToken, message)
}

fn rejected(message: impl Into<String>) -> Error {
    Error::aws(StsErrorCode::IDPRejectedClaim, message)
}

fn expired(message: &str) -> Error {
    Error::aws(StsErrorCode::ExpiredTokenException, message)
}

/// The AWS error for a response refused before its content is read.
fn refusal_error(r: Refusal) -> Error {
    match r {
        Refusal::Malformed(why) => invalid(format!("Invalid SAML response: {why}")),
        Refusal::Status(code) => rejected(format!(
            "The identity provider reported that authentication failed (status {code})"
        )),
        Refusal::Encrypted => invalid(
            "Encrypted SAML assertions are not supported by Portcullis; configure the identity provider to sign without encrypting",
        ),
        Refusal::Unsigned | Refusal::Signature(_) => invalid(SIGNATURE_INVALID),
    }
}

/// Whether `url` is an AWS sign-in endpoint for SAML: `https://signin.aws.amazon.com/saml`,
/// `…/static/saml`, a regional host `REGION.signin.aws.amazon.com`, optionally followed by
/// `/acs/UUID` for the provider whose `SAMLProviderUUID` is `uuid`.
fn sign_in_endpoint(url: &str, uuid: &str) -> bool {
    let Some((host, path)) = url
        .strip_prefix("https://")
        .and_then(|rest| rest.split_once('/'))
    else {
        return false;
    };
    let host_ok = match host.strip_suffix("signin.aws.amazon.com") {
        Some("") => true,
        Some(region) => region.strip_suffix('.').is_some_and(|r| {
            !r.is_empty()
                && r.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        }),
        None => false,
    };
    let path = path.strip_prefix("static/").unwrap_or(path);
    let path_ok = match path.strip_prefix("saml") {
        Some("") => true,
        Some(rest) => rest.strip_prefix("/acs/") == Some(uuid),
        None => false,
    };
    host_ok && path_ok
}

/// Whether a role session name or source identity matches `[a-zA-Z_0-9+=,.@-]{2,64}`.
fn well_formed_name(name: &str) -> bool {
    (2..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b))
}

/// `saml:namequalifier`: base64 of the SHA-1 of the issuer, the account and `/NAME`
/// (STS API reference, AssumeRoleWithSAML, NameQualifier).
fn name_qualifier(issuer: &str, account: &str, provider_name: &str) -> String {
    STANDARD.encode(Sha1::digest(
        format!("{issuer}{account}/{provider_name}").as_bytes(),
    ))
}

/// What the checks established about a response.
struct Checked {
    assertion: Assertion,
    subject: String,
    subject_type: String,
    recipient: String,
    session_name: String,
    source_identity: Option<String>,
    /// The longest the session may last, from `SessionDuration` and `SessionNotOnOrAfter`.
    max_seconds: Option<i64>,
    tags: Vec<SessionTag>,
    transitive: Vec<String>,
}

/// Verifies the response and applies STS's rules to what it says.
fn check(
    provider: &SamlProvider,
    role_arn: &str,
    encoded: &str,
    now: i64,
) -> Result<Checked, Error> {
    let metadata = parse_metadata(&provider.metadata).ok_or_else(|| invalid(SIGNATURE_INVALID))?;
    let keys: Vec<_> = metadata
        .signing_certificates
        .iter()
        .filter_map(|der| saml::rsa_key(der))
        .collect();
    let assertion = saml::read(encoded, &keys).map_err(|r| {
        tracing::info!(provider = %provider.arn, refusal = ?r, "SAML response refused");
        refusal_error(r)
    })?;

    let entity_id = metadata.entity_id.as_deref();
    if Some(assertion.issuer.as_str()) != entity_id
        || assertion
            .response_issuer
            .as_deref()
            .is_some_and(|i| Some(i) != entity_id)
    {
        return Err(invalid(ISSUER_MISMATCH));
    }

    if now > assertion.issue_instant + REDEEM_SECONDS {
        return Err(expired(REDEEM_LATE));
    }
    if assertion.issue_instant > now + CLOCK_SKEW_SECONDS
        || assertion
            .not_before
            .is_some_and(|t| t > now + CLOCK_SKEW_SECONDS)
    {
        return Err(rejected("Response is not yet valid"));
    }
    if assertion.not_on_or_after.is_some_and(|t| now >= t) {
        return Err(expired(EXPIRED));
    }
    let bearer: Vec<_> = assertion
        .confirmations
        .iter()
        .filter(|c| c.method == BEARER)
        .filter(|c| {
            c.recipient
                .as_deref()
                .is_some_and(|r| sign_in_endpoint(r, &provider.uuid))
        })
        .filter(|c| c.not_on_or_after.is_some())
        .collect();
    if bearer.is_empty() {
        return Err(invalid(NO_RECIPIENT));
    }
    let Some(confirmation) = bearer.iter().find(|c| {
        c.not_on_or_after.is_some_and(|t| now < t)
            && c.not_before.is_none_or(|t| t <= now + CLOCK_SKEW_SECONDS)
    }) else {
        return Err(expired(EXPIRED));
    };
    let recipient = confirmation.recipient.clone().unwrap_or_default();
    let audience_ok =
        |a: &String| a == "urn:amazon:webservices" || sign_in_endpoint(a, &provider.uuid);
    if assertion.audience_restrictions.is_empty()
        || !assertion
            .audience_restrictions
            .iter()
            .all(|r| r.iter().any(audience_ok))
    {
        return Err(invalid(NO_AUDIENCE));
    }

    let Some(name_id) = assertion.name_id.clone().filter(|n| !n.value.is_empty()) else {
        return Err(not_authorized(ACTION));
    };
    let pairs_role = assertion.values(ROLE).iter().any(|pair| {
        let mut parts = pair.split(',').map(str::trim);
        match (parts.next(), parts.next(), parts.next()) {
            (Some(a), Some(b), None) => {
                (a == role_arn && b == provider.arn) || (b == role_arn && a == provider.arn)
            }
            _ => false,
        }
    });
    if !pairs_role {
        return Err(not_authorized(ACTION));
    }

    let session_name = match assertion.values(ROLE_SESSION_NAME).as_slice() {
        [] => return Err(invalid(SESSION_NAME_REQUIRED)),
        [name] if well_formed_name(name) => name.to_string(),
        _ => return Err(invalid(SESSION_NAME_PATTERN)),
    };
    // The pattern has no `:`, so no source identity that matches it begins with "aws:".
    let source_identity = match assertion.values(SOURCE_IDENTITY).as_slice() {
        [] => None,
        [s] if well_formed_name(s) => Some(s.to_string()),
        _ => return Err(invalid(SOURCE_IDENTITY_PATTERN)),
    };
    let mut max_seconds = match assertion.values(SESSION_DURATION).as_slice() {
        [] => None,
        [d] => match d.parse::<i64>() {
            Ok(seconds) if (900..=43_200).contains(&seconds) => Some(seconds),
            _ => {
                return Err(invalid(
                    "SessionDuration in AuthnResponse must be an integer from 900 to 43200",
                ));
            }
        },
        _ => {
            return Err(invalid(
                "SessionDuration in AuthnResponse must have one value",
            ));
        }
    };
    if let Some(end) = assertion.session_not_on_or_after {
        if end <= now {
            return Err(expired(EXPIRED));
        }
        max_seconds = Some(max_seconds.map_or(end - now, |m| m.min(end - now)));
    }
    let (tags, transitive) = session_tags(&assertion)?;
    let subject_type = name_id
        .format
        .as_deref()
        .map(|f| f.strip_prefix(NAME_ID_FORMAT_PREFIX).unwrap_or(f))
        .unwrap_or(UNSPECIFIED_FORMAT)
        .to_string();
    Ok(Checked {
        subject: name_id.value,
        subject_type,
        recipient,
        session_name,
        source_identity,
        max_seconds,
        tags,
        transitive,
        assertion,
    })
}

/// The session tags of the `PrincipalTag:KEY` attributes and the transitive keys of the
/// `TransitiveTagKeys` attribute.
fn session_tags(a: &Assertion) -> Result<(Vec<SessionTag>, Vec<String>), Error> {
    let mut tags: Vec<SessionTag> = Vec::new();
    for (name, values) in &a.attributes {
        let Some(key) = name.strip_prefix(PRINCIPAL_TAG) else {
            continue;
        };
        let [value] = values.as_slice() else {
            return Err(rejected(format!(
                "The session tag attribute {name} must have exactly one value"
            )));
        };
        if key.is_empty()
            || key.chars().count() > MAX_TAG_KEY
            || value.chars().count() > MAX_TAG_VALUE
        {
            return Err(rejected(format!(
                "The session tag {key} must have a key of 1 to {MAX_TAG_KEY} characters and a value of at most {MAX_TAG_VALUE}"
            )));
        }
        if tags.iter().any(|t| t.key.eq_ignore_ascii_case(key)) {
            return Err(Error::aws(
                CommonErrorCode::InvalidParameterValue,
                "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
            ));
        }
        tags.push(SessionTag {
            key: key.to_string(),
            value: value.clone(),
        });
    }
    if tags.len() > MAX_TAGS {
        return Err(rejected(format!(
            "The SAML response passes {} session tags; at most {MAX_TAGS} are allowed",
            tags.len()
        )));
    }
    let mut transitive = Vec::new();
    for key in a.values(TRANSITIVE_TAG_KEYS) {
        if !tags.iter().any(|t| t.key.eq_ignore_ascii_case(key)) {
            return Err(Error::aws(
                CommonErrorCode::InvalidParameterValue,
                "The specified transitive tag key must be included in the requested tags.",
            ));
        }
        transitive.push(key.to_string());
    }
    Ok((tags, transitive))
}

/// AssumeRoleWithSAML.
pub(crate) async fn assume_role_with_saml(
    ctx: &Ctx<'_>,
    input: AssumeRoleWithSAMLInput,
) -> Result<AssumeRoleWithSAMLOutput, Error> {
    let role_arn = input.role_arn.as_str();
    let principal_arn = input.principal_arn.as_str();
    let encoded = input.saml_assertion.as_str();
    let provider = ctx
        .app
        .read(|e| e.saml_providers.get(principal_arn).cloned())
        .ok_or_else(|| invalid(NO_PROVIDER))?;
    let now = now_seconds();
    let checked = check(&provider, role_arn, encoded, now)?;
    let role: Role = ctx
        .app
        .read(|e| e.roles.values().find(|r| r.arn == role_arn).cloned())
        .ok_or_else(|| not_authorized(ACTION))?;
    let asked = input.duration_seconds.unwrap_or(3600);
    if asked > role.max_session_duration {
        return Err(Error::validation(
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
        ));
    }
    let seconds = checked.max_seconds.map_or(asked, |m| asked.min(m));
    let (policies, policy_arns) = session_policies(
        ctx.app,
        input.policy.as_deref(),
        input.policy_arns.as_deref(),
    )?;
    let packed = packed_size(&policies, &policy_arns, &checked.tags)?;
    let account = ctx.app.account_id();
    let qualifier = name_qualifier(&checked.assertion.issuer, account, &provider.name);
    if ctx.app.config.authorizes() {
        authorize(ctx, &provider, &role, &checked, &qualifier)?;
    }
    let session_name = checked.session_name.as_str();
    let mut provider_keys = vec![
        ("saml:sub".to_string(), checked.subject.clone()),
        ("saml:sub_type".to_string(), checked.subject_type.clone()),
        ("saml:namequalifier".to_string(), qualifier.clone()),
    ];
    if let Some(cp) = &provider.context_provider {
        // The issuer is the hash of the provider's signing key (the first of its metadata).
        let issuer = parse_metadata(&provider.metadata)
            .and_then(|m| m.signing_certificates.first().and_then(|c| key_hash(c)))
            .unwrap_or_default();
        provider_keys.extend(propagation::session_keys(
            cp,
            |name| {
                checked
                    .assertion
                    .values(name)
                    .first()
                    .map(|v| v.to_string())
            },
            &issuer,
            &provider.arn,
        ));
    }
    let (_, credentials) = issue_credentials(
        ctx.app,
        SessionRequest {
            principal: SessionPrincipal::AssumedRole {
                role_id: role.id.clone(),
                role_arn: role.arn.clone(),
                role_name: role.name.clone(),
                session_name: session_name.to_string(),
            },
            duration_seconds: seconds,
            policies,
            policy_arns,
            tags: checked.tags.clone(),
            transitive_tag_keys: checked.transitive.clone(),
            source_identity: checked.source_identity.clone(),
            mfa_authenticated_at: None,
            chain_depth: 0,
            provider_keys: provider_keys.clone(),
        },
    );
    if let Err(e) = ctx
        .app
        .record_role_use(&role.name, &ctx.caller.region)
        .await
    {
        tracing::warn!(error = %e, role = %role.name, "could not record the use of a role");
    }
    Ok(AssumeRoleWithSAMLOutput {
        credentials: Some(credentials),
        assumed_role_user: Some(AssumedRoleUser {
            assumed_role_id: format!("{}:{session_name}", role.id),
            arn: format!(
                "arn:aws:sts::{account}:assumed-role/{}/{session_name}",
                role.name
            ),
        }),
        subject: Some(checked.subject),
        subject_type: Some(checked.subject_type),
        issuer: Some(checked.assertion.issuer),
        audience: Some(checked.recipient),
        name_qualifier: Some(qualifier),
        packed_policy_size: packed,
        source_identity: checked.source_identity,
        trusted_identity_propagation_context: propagation::answer(&provider_keys),
        ..Default::default()
    })
}

/// Authorizes the assumption with the role's trust policy alone, for the federated
/// principal of the provider, with the `saml:*` keys of the assertion.
fn authorize(
    ctx: &Ctx<'_>,
    provider: &SamlProvider,
    role: &Role,
    checked: &Checked,
    qualifier: &str,
) -> Result<(), Error> {
    let ask = FederatedAssumption {
        action: ACTION,
        provider_arn: &provider.arn,
        role,
        session_name: &checked.session_name,
        tags: &checked.tags,
        transitive: &checked.transitive,
        source_identity: checked.source_identity.as_deref(),
    };
    let account = ctx.app.account_id();
    let a = &checked.assertion;
    federated_trust::authorize(ctx, &ask, |c| {
        c.insert("saml:aud", &checked.recipient);
        c.insert("saml:iss", &a.issuer);
        c.insert("saml:sub", &checked.subject);
        c.insert("saml:sub_type", &checked.subject_type);
        c.insert("saml:namequalifier", qualifier);
        c.insert("saml:doc", &format!("{account}/{}", provider.name));
        for (name, key, list) in MAPPED_ATTRIBUTES {
            let values = a.values(name);
            match values.as_slice() {
                [] => {}
                [first, ..] if !list => c.insert(key, first),
                _ => c.insert_multi(key, values.iter().copied()),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::saml::tests::{private_key, sign, template};
    use crate::iam::saml_providers::tests::metadata_xml;
    use crate::pem::tests::{CERT, KEY, OTHER_KEY};
    use crate::time::iso8601;

    const NOW: i64 = 1_767_225_600;
    const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/SamlRole";
    const PROVIDER_ARN: &str = "arn:aws:iam::123456789012:saml-provider/ExampleIdP";
    const ISSUER: &str = "https://idp.example.com/saml";
    const AWS: &str = "https://signin.aws.amazon.com/saml";

    fn provider() -> SamlProvider {
        SamlProvider {
            arn: PROVIDER_ARN.into(),
            name: "ExampleIdP".into(),
            uuid: "8f2b1c3d-uuid".into(),
            metadata: metadata_xml(CERT, None),
            valid_until: None,
            assertion_encryption_mode: None,
            private_keys: Vec::new(),
            create_date: 0,
            tags: Vec::new(),
            context_provider: None,
        }
    }

    /// What a test response says; `Default` is a good one, issued at `NOW`.
    struct Spec {
        issuer: String,
        issued: i64,
        not_on_or_after: i64,
        recipient: String,
        audience: String,
        name_id: Option<String>,
        session_not_on_or_after: Option<i64>,
        attributes: Vec<(String, Vec<String>)>,
    }

    impl Default for Spec {
        fn default() -> Spec {
            Spec {
                issuer: ISSUER.into(),
                issued: NOW,
                not_on_or_after: NOW + 300,
                recipient: AWS.into(),
                audience: "urn:amazon:webservices".into(),
                name_id: Some("alice@example.com".into()),
                session_not_on_or_after: None,
                attributes: vec![
                    (ROLE.into(), vec![format!("{ROLE_ARN},{PROVIDER_ARN}")]),
                    (ROLE_SESSION_NAME.into(), vec!["alice".into()]),
                ],
            }
        }
    }

    fn time(seconds: i64) -> String {
        iso8601(seconds * 1000)
    }

    /// The base64 response of `spec`, its assertion signed with `key`.
    fn response_with(spec: &Spec, key: &str) -> String {
        let name_id = spec
            .name_id
            .as_ref()
            .map(|n| format!(r#"<saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">{n}</saml:NameID>"#))
            .unwrap_or_default();
        let session = spec
            .session_not_on_or_after
            .map(|t| format!(r#" SessionNotOnOrAfter="{}""#, time(t)))
            .unwrap_or_default();
        let attributes: String = spec
            .attributes
            .iter()
            .map(|(name, values)| {
                let values: String = values
                    .iter()
                    .map(|v| format!("<saml:AttributeValue>{v}</saml:AttributeValue>"))
                    .collect();
                format!(r#"<saml:Attribute Name="{name}">{values}</saml:Attribute>"#)
            })
            .collect();
        let doc = format!(
            r#"<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_r" Version="2.0" IssueInstant="{issued}"><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status><saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_a" Version="2.0" IssueInstant="{issued}"><saml:Issuer>{issuer}</saml:Issuer>{signature}<saml:Subject>{name_id}<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="{end}" Recipient="{recipient}"/></saml:SubjectConfirmation></saml:Subject><saml:Conditions NotBefore="{issued}" NotOnOrAfter="{end}"><saml:AudienceRestriction><saml:Audience>{audience}</saml:Audience></saml:AudienceRestriction></saml:Conditions><saml:AuthnStatement AuthnInstant="{issued}"{session}/><saml:AttributeStatement>{attributes}</saml:AttributeStatement></saml:Assertion></samlp:Response>"#,
            issued = time(spec.issued),
            issuer = spec.issuer,
            signature = template("_a"),
            end = time(spec.not_on_or_after),
            recipient = spec.recipient,
            audience = spec.audience,
        );
        STANDARD.encode(sign(&doc, "_a", &private_key(key)))
    }

    fn response(spec: &Spec) -> String {
        response_with(spec, KEY)
    }

    fn checked(spec: &Spec) -> Result<Checked, (String, String)> {
        check(&provider(), ROLE_ARN, &response(spec), NOW).map_err(|e| {
            let a = e.into_aws();
            (a.code().to_string(), a.message().to_string())
        })
    }

    fn refused(spec: &Spec) -> (String, String) {
        match checked(spec) {
            Ok(_) => panic!("accepted"),
            Err(e) => e,
        }
    }

    fn with_attribute(name: &str, values: &[&str]) -> Spec {
        let mut spec = Spec::default();
        spec.attributes
            .push((name.into(), values.iter().map(|v| v.to_string()).collect()));
        spec
    }

    #[test]
    fn accepts_a_signed_response_for_the_role() {
        let c = checked(&Spec::default()).unwrap();
        assert_eq!(c.subject, "alice@example.com");
        assert_eq!(c.subject_type, "persistent");
        assert_eq!(c.recipient, AWS);
        assert_eq!(c.session_name, "alice");
        assert_eq!(c.max_seconds, None);
        assert_eq!(c.assertion.issuer, ISSUER);
        // The pair in either order; a regional, static or per-provider endpoint.
        let mut spec = Spec::default();
        spec.attributes[0].1 = vec![
            format!("{PROVIDER_ARN},arn:aws:iam::123456789012:role/Other"),
            format!("{PROVIDER_ARN}, {ROLE_ARN}"),
        ];
        assert!(checked(&spec).is_ok());
        for endpoint in [
            "https://eu-west-1.signin.aws.amazon.com/saml",
            "https://signin.aws.amazon.com/static/saml",
            "https://signin.aws.amazon.com/saml/acs/8f2b1c3d-uuid",
        ] {
            let spec = Spec {
                recipient: endpoint.into(),
                audience: endpoint.into(),
                ..Spec::default()
            };
            assert_eq!(checked(&spec).unwrap().recipient, endpoint);
        }
    }

    #[test]
    fn refuses_a_bad_signature_or_issuer() {
        let signature = (
            "InvalidIdentityToken".to_string(),
            SIGNATURE_INVALID.to_string(),
        );
        let other = check(
            &provider(),
            ROLE_ARN,
            &response_with(&Spec::default(), OTHER_KEY),
            NOW,
        )
        .err()
        .unwrap()
        .into_aws();
        assert_eq!(
            (other.code(), other.message()),
            ("InvalidIdentityToken", SIGNATURE_INVALID)
        );
        let bytes = STANDARD.decode(response(&Spec::default())).unwrap();
        let tampered = String::from_utf8(bytes)
            .unwrap()
            .replace(">alice<", ">admin<");
        let e = check(&provider(), ROLE_ARN, &STANDARD.encode(tampered), NOW)
            .err()
            .unwrap()
            .into_aws();
        assert_eq!((e.code().to_string(), e.message().to_string()), signature);
        let spec = Spec {
            issuer: "https://evil.example.com".into(),
            ..Spec::default()
        };
        assert_eq!(
            refused(&spec),
            ("InvalidIdentityToken".into(), ISSUER_MISMATCH.into())
        );
    }

    #[test]
    fn refuses_a_response_out_of_its_time() {
        let late = Spec {
            issued: NOW - 301,
            not_on_or_after: NOW + 3600,
            ..Spec::default()
        };
        assert_eq!(
            refused(&late),
            ("ExpiredTokenException".into(), REDEEM_LATE.into())
        );
        let expired = Spec {
            issued: NOW - 120,
            not_on_or_after: NOW - 60,
            ..Spec::default()
        };
        assert_eq!(
            refused(&expired),
            ("ExpiredTokenException".into(), EXPIRED.into())
        );
        // An identity provider whose clock runs up to five minutes ahead is fine.
        let ahead = Spec {
            issued: NOW + 240,
            not_on_or_after: NOW + 540,
            ..Spec::default()
        };
        assert!(checked(&ahead).is_ok());
        let future = Spec {
            issued: NOW + 600,
            not_on_or_after: NOW + 900,
            ..Spec::default()
        };
        assert_eq!(refused(&future).0, "IDPRejectedClaim");
        // SessionNotOnOrAfter shortens the session.
        let session = Spec {
            session_not_on_or_after: Some(NOW + 1800),
            ..Spec::default()
        };
        assert_eq!(checked(&session).unwrap().max_seconds, Some(1800));
    }

    #[test]
    fn refuses_other_recipients_and_audiences() {
        for recipient in [
            "https://signin.aws.amazon.com/saml/acs/another-uuid",
            "http://signin.aws.amazon.com/saml",
            "https://signin.aws.amazon.com.evil.example/saml",
            "https://evil.example/signin.aws.amazon.com/saml",
        ] {
            let spec = Spec {
                recipient: recipient.into(),
                ..Spec::default()
            };
            assert_eq!(
                refused(&spec),
                ("InvalidIdentityToken".into(), NO_RECIPIENT.into()),
                "{recipient}"
            );
        }
        let spec = Spec {
            audience: "https://sp.example.com".into(),
            ..Spec::default()
        };
        assert_eq!(
            refused(&spec),
            ("InvalidIdentityToken".into(), NO_AUDIENCE.into())
        );
        let spec = Spec {
            audience: AWS.into(),
            ..Spec::default()
        };
        assert!(checked(&spec).is_ok());
    }

    #[test]
    fn needs_a_subject_the_role_and_a_session_name() {
        let denied = (
            "AccessDenied".to_string(),
            "Not authorized to perform sts:AssumeRoleWithSAML".to_string(),
        );
        let spec = Spec {
            name_id: None,
            ..Spec::default()
        };
        assert_eq!(refused(&spec), denied);
        let mut spec = Spec::default();
        spec.attributes[0].1 = vec![format!(
            "arn:aws:iam::123456789012:role/Other,{PROVIDER_ARN}"
        )];
        assert_eq!(refused(&spec), denied);
        spec.attributes[0].1 = vec![format!(
            "{ROLE_ARN},arn:aws:iam::123456789012:saml-provider/Other"
        )];
        assert_eq!(refused(&spec), denied);
        spec.attributes.remove(0);
        assert_eq!(refused(&spec), denied);

        let mut spec = Spec::default();
        spec.attributes.remove(1);
        assert_eq!(
            refused(&spec),
            ("InvalidIdentityToken".into(), SESSION_NAME_REQUIRED.into())
        );
        for bad in ["a", "John Doe", &"x".repeat(65)] {
            let mut spec = Spec::default();
            spec.attributes[1].1 = vec![bad.to_string()];
            assert_eq!(
                refused(&spec),
                ("InvalidIdentityToken".into(), SESSION_NAME_PATTERN.into())
            );
        }
    }

    #[test]
    fn reads_the_optional_attributes() {
        let c = checked(&with_attribute(SOURCE_IDENTITY, &["alice@example.com"])).unwrap();
        assert_eq!(c.source_identity.as_deref(), Some("alice@example.com"));
        assert_eq!(
            refused(&with_attribute(SOURCE_IDENTITY, &["aws:alice"])),
            (
                "InvalidIdentityToken".into(),
                SOURCE_IDENTITY_PATTERN.into()
            )
        );
        assert_eq!(
            checked(&with_attribute(SESSION_DURATION, &["1800"]))
                .unwrap()
                .max_seconds,
            Some(1800)
        );
        for bad in ["600", "50000", "soon"] {
            assert_eq!(
                refused(&with_attribute(SESSION_DURATION, &[bad])).0,
                "InvalidIdentityToken"
            );
        }
        let mut spec = with_attribute(&format!("{PRINCIPAL_TAG}Project"), &["Marketing"]);
        spec.attributes
            .push((format!("{PRINCIPAL_TAG}CostCenter"), vec!["12345".into()]));
        spec.attributes
            .push((TRANSITIVE_TAG_KEYS.into(), vec!["project".into()]));
        let c = checked(&spec).unwrap();
        assert_eq!(
            c.tags,
            vec![
                SessionTag {
                    key: "Project".into(),
                    value: "Marketing".into()
                },
                SessionTag {
                    key: "CostCenter".into(),
                    value: "12345".into()
                }
            ]
        );
        assert_eq!(c.transitive, ["project"]);
        spec.attributes
            .push((TRANSITIVE_TAG_KEYS.into(), vec!["Missing".into()]));
        assert_eq!(refused(&spec).0, "InvalidParameterValue");
        let mut spec = with_attribute(&format!("{PRINCIPAL_TAG}Project"), &["a"]);
        spec.attributes
            .push((format!("{PRINCIPAL_TAG}project"), vec!["b".into()]));
        assert_eq!(refused(&spec).0, "InvalidParameterValue");
        assert_eq!(
            refused(&with_attribute(
                &format!("{PRINCIPAL_TAG}Project"),
                &["a", "b"]
            ))
            .0,
            "IDPRejectedClaim"
        );
    }

    #[test]
    fn qualifies_names_as_the_sts_reference_shows() {
        // BASE64 ( SHA1 ( "https://example.com/saml" + "123456789012" + "/MySAMLIdP" ) ),
        // computed independently with Python's hashlib.
        assert_eq!(
            name_qualifier("https://example.com/saml", "123456789012", "MySAMLIdP"),
            "1uAJanUnBc2XeUkHURMht+xam2c="
        );
        assert!(well_formed_name("user@example.com"));
        assert!(!well_formed_name("x"));
        assert!(!well_formed_name("a:b"));
    }

    #[test]
    fn answers_refusals_as_aws_does() {
        let e = refusal_error(Refusal::Unsigned).into_aws();
        assert_eq!(
            (e.code(), e.message(), e.status()),
            ("InvalidIdentityToken", SIGNATURE_INVALID, 400)
        );
        assert_eq!(
            refusal_error(Refusal::Status("x".into()))
                .into_aws()
                .status(),
            403
        );
        assert_eq!(expired(EXPIRED).into_aws().status(), 400);
        assert_eq!(not_authorized(ACTION).into_aws().status(), 403);
    }
}
