//! AssumeRoleWithWebIdentity: a role session for the holder of an OpenID Connect ID token.
//!
//! The call is unsigned. The token is verified as STS verifies it: its `iss` names an
//! OpenID Connect provider of the account (`https://…`, or `http://…` on loopback in
//! Portcullis), its signature verifies with the provider's keys (`auth::oidc`), it has not
//! expired (five minutes of clock skew allowed), its `azp` or `aud` is one of the
//! provider's client IDs, and it has a `sub`. Then the role's trust policy alone decides
//! (a federated principal has no identity policies): `sts:AssumeRoleWithWebIdentity` for
//! the principal `{"Federated": PROVIDER-ARN}`, with the context keys `PROVIDER:aud`,
//! `PROVIDER:sub`, `PROVIDER:oaud` (when `azp` stood in for `aud`), `PROVIDER:amr` (when
//! the token has one), `aws:FederatedProvider`, `sts:RoleSessionName`; plus
//! `sts:TagSession` for the session tags of the token's `https://aws.amazon.com/tags` claim
//! and `sts:SetSourceIdentity` for its `https://aws.amazon.com/source_identity` claim.
//!
//! AWS's messages, from real answers quoted in public reports: InvalidIdentityToken "The ID
//! Token provided is not a valid JWT. (You may see this error if you sent an Access Token)",
//! "No OpenIDConnect provider found in your account for https://…", "Couldn't retrieve
//! verification key from your identity provider,  please reference
//! AssumeRoleWithWebIdentity documentation for requirements" (two spaces, as AWS writes
//! it), "Incorrect token audience", "Missing a required claim: aud"; ExpiredTokenException
//! "Token expired: current date/time N must be before the expiration date/time M";
//! AccessDenied "Not authorized to perform sts:AssumeRoleWithWebIdentity". A signature that
//! does not verify gets the STS API reference's description of InvalidIdentityToken;
//! a token not valid yet, or a malformed session-tags claim, gets IDPRejectedClaim.

use super::credentials::{SessionRequest, issue_credentials, packed_size};
use super::federated_trust::{self, FederatedAssumption, not_authorized};
use super::federation::session_policies;
use super::propagation;
use crate::auth::oidc::provider_id;
use crate::auth::session::{SessionPrincipal, SessionTag};
use crate::auth::web_token::{Audience, SOURCE_IDENTITY_CLAIM, Token, TokenError, TokenTags};
use crate::call::Ctx;
use crate::error::Error;
use crate::time::now_seconds;
use portcullis_protocol::CommonErrorCode;
use portcullis_protocol::sts::{
    AssumeRoleWithWebIdentityInput, AssumeRoleWithWebIdentityOutput, AssumedRoleUser, StsErrorCode,
};
use portcullis_store::{OidcProvider, Role};

const NOT_A_JWT: &str = "The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)";
const NO_KEY: &str = "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements";
const NOT_VALIDATED: &str = "The web identity token that was passed could not be validated by AWS. Get a new identity token from the identity provider and then retry the request.";
const WRONG_AUDIENCE: &str = "Incorrect token audience";
/// The OAuth 2.0 providers whose access tokens STS checks by asking the provider.
const OAUTH_PROVIDERS: &[&str] = &["www.amazon.com", "graph.facebook.com"];

fn invalid(message: impl Into<String>) -> Error {
    Error::aws(StsErrorCode::InvalidIdentityToken, message)
}

fn no_provider(issuer: &str) -> Error {
    invalid(format!(
        "No OpenIDConnect provider found in your account for {issuer}"
    ))
}

/// A token that passed every check, with the provider that issued it.
struct Verified {
    provider: OidcProvider,
    /// The provider's URL without scheme: the prefix of its condition keys.
    id: String,
    token: Token,
    subject: String,
    audience: Audience,
}

/// The AWS error for a token that fails a check.
fn token_error(e: TokenError) -> Error {
    match e {
        TokenError::Malformed => invalid(NOT_A_JWT),
        TokenError::Algorithm(_) | TokenError::Signature => invalid(NOT_VALIDATED),
        TokenError::MissingClaim(claim) => invalid(format!("Missing a required claim: {claim}")),
        TokenError::Expired { now, expires } => Error::aws(
            StsErrorCode::ExpiredTokenException,
            format!(
                "Token expired: current date/time {now} must be before the expiration date/time {expires}"
            ),
        ),
        TokenError::NotYetValid { now, not_before } => Error::aws(
            StsErrorCode::IDPRejectedClaim,
            format!(
                "Token is not valid yet: current date/time {now} must be after the not-before date/time {not_before}"
            ),
        ),
        TokenError::Audience => invalid(WRONG_AUDIENCE),
        TokenError::Tags(message) => Error::aws(StsErrorCode::IDPRejectedClaim, message),
    }
}

/// Verifies a web identity token against the account's OpenID Connect providers.
async fn verify(ctx: &Ctx<'_>, raw: &str) -> Result<Verified, Error> {
    let token = Token::parse(raw).map_err(token_error)?;
    let issuer = token
        .issuer()
        .ok_or_else(|| token_error(TokenError::MissingClaim("iss")))?
        .to_string();
    let id = provider_id(&issuer)
        .ok_or_else(|| no_provider(&issuer))?
        .to_string();
    let provider = ctx
        .app
        .read(|e| e.oidc_provider_for(&id).cloned())
        .ok_or_else(|| no_provider(&issuer))?;
    let keys = match ctx
        .app
        .oidc_keys
        .candidates(&provider.url, token.key_id())
        .await
    {
        Ok(keys) if !keys.is_empty() => keys,
        Ok(_) => {
            tracing::info!(provider = %provider.arn, kid = ?token.key_id(), "no key of the provider has the token's kid");
            return Err(invalid(NO_KEY));
        }
        Err(e) => {
            tracing::warn!(provider = %provider.arn, error = %e, "could not load the provider's keys");
            return Err(invalid(NO_KEY));
        }
    };
    token.verify_signature(&keys).map_err(token_error)?;
    token.check_times(now_seconds()).map_err(token_error)?;
    let audience = token.audience(&provider.client_ids).map_err(token_error)?;
    let subject = token
        .subject()
        .ok_or_else(|| token_error(TokenError::MissingClaim("sub")))?
        .to_string();
    Ok(Verified {
        provider,
        id,
        token,
        subject,
        audience,
    })
}

/// AssumeRoleWithWebIdentity.
pub(crate) async fn assume_role_with_web_identity(
    ctx: &Ctx<'_>,
    input: AssumeRoleWithWebIdentityInput,
) -> Result<AssumeRoleWithWebIdentityOutput, Error> {
    let role_arn = input.role_arn.as_str();
    let session_name = input.role_session_name.as_str();
    let raw = input.web_identity_token.as_str();
    if let Some(p) = input.provider_id.as_deref()
        && OAUTH_PROVIDERS.contains(&p)
    {
        // Their OAuth 2.0 access tokens are checked by asking the provider, which an
        // offline server cannot do.
        return Err(Error::aws(
            StsErrorCode::IDPCommunicationError,
            format!(
                "{p}: Portcullis cannot reach OAuth 2.0 identity providers; use an OpenID Connect provider"
            ),
        ));
    }
    let v = verify(ctx, raw).await?;
    let role: Role = ctx
        .app
        .read(|e| e.roles.values().find(|r| r.arn == role_arn).cloned())
        .ok_or_else(|| not_authorized("sts:AssumeRoleWithWebIdentity"))?;
    let seconds = input.duration_seconds.unwrap_or(3600);
    if seconds > role.max_session_duration {
        return Err(Error::validation(
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
        ));
    }
    let (policies, policy_arns) = session_policies(
        ctx.app,
        input.policy.as_deref(),
        input.policy_arns.as_deref(),
    )?;
    let TokenTags { tags, transitive } = v.token.session_tags().map_err(token_error)?;
    let tags: Vec<SessionTag> = tags
        .into_iter()
        .map(|(key, value)| SessionTag { key, value })
        .collect();
    for (n, t) in tags.iter().enumerate() {
        if tags[..n].iter().any(|o| o.key.eq_ignore_ascii_case(&t.key)) {
            return Err(Error::aws(
                CommonErrorCode::InvalidParameterValue,
                "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
            ));
        }
    }
    let packed = packed_size(&policies, &policy_arns, &tags)?;
    let source_identity = v.token.claim_str(SOURCE_IDENTITY_CLAIM).map(str::to_string);
    if ctx.app.config.authorizes() {
        authorize(
            ctx,
            &v,
            &role,
            session_name,
            &tags,
            &transitive,
            source_identity.as_deref(),
        )?;
    }
    let provider_keys = match &v.provider.context_provider {
        Some(cp) => propagation::session_keys(
            cp,
            |name| v.token.claim_str(name).map(str::to_string),
            // The `iss` claim without its scheme: the provider's URL without its scheme.
            &v.id,
            &v.provider.arn,
        ),
        None => Vec::new(),
    };
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
            tags,
            transitive_tag_keys: transitive,
            source_identity: source_identity.clone(),
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
    let account = ctx.app.account_id();
    Ok(AssumeRoleWithWebIdentityOutput {
        credentials: Some(credentials),
        subject_from_web_identity_token: Some(v.subject),
        assumed_role_user: Some(AssumedRoleUser {
            assumed_role_id: format!("{}:{session_name}", role.id),
            arn: format!(
                "arn:aws:sts::{account}:assumed-role/{}/{session_name}",
                role.name
            ),
        }),
        provider: Some(v.provider.arn),
        audience: Some(v.audience.aud),
        packed_policy_size: packed,
        source_identity,
        trusted_identity_propagation_context: propagation::answer(&provider_keys),
        ..Default::default()
    })
}

/// Authorizes the assumption with the role's trust policy alone, for the federated
/// principal of the provider, with the provider's `aud`, `sub`, `oaud` and `amr` keys.
fn authorize(
    ctx: &Ctx<'_>,
    v: &Verified,
    role: &Role,
    session_name: &str,
    tags: &[SessionTag],
    transitive: &[String],
    source_identity: Option<&str>,
) -> Result<(), Error> {
    let ask = FederatedAssumption {
        action: "sts:AssumeRoleWithWebIdentity",
        provider_arn: &v.provider.arn,
        role,
        session_name,
        tags,
        transitive,
        source_identity,
    };
    let id = &v.id;
    let amr = v.token.claim_strings("amr");
    federated_trust::authorize(ctx, &ask, |c| {
        c.insert(&format!("{id}:aud"), &v.audience.aud);
        c.insert(&format!("{id}:sub"), &v.subject);
        if !v.audience.oaud.is_empty() {
            c.insert_multi(&format!("{id}:oaud"), v.audience.oaud.iter());
        }
        if !amr.is_empty() {
            c.insert_multi(&format!("{id}:amr"), amr.iter().copied());
        }
        c.insert("aws:FederatedProvider", &v.provider.arn);
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(e: Error) -> (String, String, u16) {
        let a = e.into_aws();
        (a.code().to_string(), a.message().to_string(), a.status())
    }

    #[test]
    fn answers_token_failures_as_aws_does() {
        assert_eq!(
            message(token_error(TokenError::Malformed)),
            ("InvalidIdentityToken".into(), NOT_A_JWT.into(), 400)
        );
        assert_eq!(
            message(token_error(TokenError::Audience)).1,
            "Incorrect token audience"
        );
        assert_eq!(
            message(token_error(TokenError::MissingClaim("aud"))).1,
            "Missing a required claim: aud"
        );
        assert_eq!(
            message(token_error(TokenError::Expired {
                now: 1731098245,
                expires: 1731095240
            })),
            (
                "ExpiredTokenException".into(),
                "Token expired: current date/time 1731098245 must be before the expiration date/time 1731095240".into(),
                400
            )
        );
        assert_eq!(
            message(token_error(TokenError::NotYetValid {
                now: 1,
                not_before: 900
            }))
            .0,
            "IDPRejectedClaim"
        );
        assert_eq!(message(token_error(TokenError::Tags("x".into()))).2, 403);
        assert_eq!(
            message(no_provider("https://studio.dvc.ai/api")).1,
            "No OpenIDConnect provider found in your account for https://studio.dvc.ai/api"
        );
        assert_eq!(
            message(not_authorized("sts:AssumeRoleWithWebIdentity")),
            (
                "AccessDenied".into(),
                "Not authorized to perform sts:AssumeRoleWithWebIdentity".into(),
                403
            )
        );
    }
}
