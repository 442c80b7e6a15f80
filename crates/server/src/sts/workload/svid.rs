//! SPIFFE Verifiable Identity Documents for the workload identity of the calling role
//! session: X509-SVIDs (GetCertificate) and JWT-SVIDs (GetWebIdentityToken with
//! `TokenType=JWT_SVID`).
//!
//! Both need a role session with a workload identity whose provider and template still
//! exist and whose provider uses the SPIFFE scheme (AccessDenied otherwise). The provider
//! must have a signer of the kind (SignerNotConfiguredException); for a certificate, one of
//! its X.509 signers must be signing now (RegionalSignerUnavailableException while the only
//! signers are still IN_TRANSITION or have stopped). GetCertificate also needs
//! `acm-pca:IssueCertificate` and `acm-pca:GetCertificate` on the signer's certificate
//! authority (`arn:aws:acm-pca:REGION:ACCOUNT:certificate-authority/ID`, the Region of the
//! request), as STS issues the certificate with the caller's permissions.

use super::{csr, live_spiffe_identity, session_identity, signer_not_configured};
use crate::call::Ctx;
use crate::error::Error;
use crate::iam::workload_identity::ca::CaMaterial;
use crate::iam::workload_identity::ca::issue_leaf;
use crate::iam::workload_identity::jwt_signers;
use crate::iam::workload_identity::providers::oidc_issuer_uri;
use crate::iam::workload_identity::signers::active_x509_signers;
use crate::time::{now_millis, now_seconds};
use portcullis_protocol::Timestamp;
use portcullis_protocol::sts::{GetCertificateInput, GetCertificateOutput, StsErrorCode};
use serde_json::json;

/// How long a certificate is valid unless asked otherwise (12 hours), in seconds.
const DEFAULT_CERTIFICATE_SECONDS: i64 = 43_200;
/// How far before its issue a certificate becomes valid, for clock skew (5 minutes).
const CLOCK_SKEW_MILLIS: i64 = 5 * 60 * 1000;

/// `RegionalSignerUnavailableException` with why.
fn unavailable(message: &str) -> Error {
    Error::aws(StsErrorCode::RegionalSignerUnavailableException, message)
}

/// GetCertificate.
pub(crate) async fn get_certificate(
    ctx: &Ctx<'_>,
    input: GetCertificateInput,
) -> Result<GetCertificateOutput, Error> {
    const ACTION: &str = "sts:GetCertificate";
    let identity = session_identity(ctx, ACTION)?;
    let request = input.certificate_signing_request.as_str();
    let seconds = input
        .max_duration_seconds
        .unwrap_or(DEFAULT_CERTIFICATE_SECONDS);
    let (provider, _) = live_spiffe_identity(ctx, &identity, ACTION)?;
    let key = csr::parse(request)?;
    if provider.x509_signers.is_empty() {
        return Err(signer_not_configured(&provider, "X.509"));
    }
    let now = now_millis() / 1000 * 1000;
    let signer = active_x509_signers(&provider, now)
        .into_iter()
        .next()
        .cloned()
        .ok_or_else(|| {
            unavailable(
                "No X.509 signer of the workload identity provider can sign in this Region right now.",
            )
        })?;
    let ca_arn = format!(
        "arn:aws:acm-pca:{}:{}:certificate-authority/{}",
        ctx.caller.region, signer.account_id, signer.certificate_authority_id
    );
    for action in ["acm-pca:IssueCertificate", "acm-pca:GetCertificate"] {
        crate::authz::check_action(ctx.app, ctx.caller, action, &ca_arn, &[])?;
    }
    let ca = CaMaterial::open(&ctx.app.server_key, &signer).ok_or_else(|| {
        unavailable("The certificate authority of the X.509 signer cannot issue certificates.")
    })?;
    let not_before = now - CLOCK_SKEW_MILLIS;
    let not_after = now + seconds * 1000;
    let certificate = issue_leaf(&ca, &key.spki_der, &identity.subject, not_before, not_after)?;
    Ok(GetCertificateOutput {
        certificate: Some(certificate),
        certificate_chain: Some(ca.certificate_pem),
        not_before: Some(Timestamp::from_millis(not_before)),
        not_after: Some(Timestamp::from_millis(not_after)),
        subject: Some(identity.subject),
    })
}

/// A JWT-SVID for the workload identity of the calling session (GetWebIdentityToken with
/// `TokenType=JWT_SVID`), signed by the provider's JWT signer for `signing_algorithm`:
/// the token and its expiry (milliseconds since the Unix epoch). Its claims are exactly
/// `sub` (the SPIFFE ID), `aud` (the one audience), `iss` (the provider's OIDC issuer URI),
/// `iat`, `exp` and `jti`.
pub(crate) fn jwt_svid(
    ctx: &Ctx<'_>,
    audiences: &[&str],
    duration_seconds: i64,
    signing_algorithm: &str,
) -> Result<(String, i64), Error> {
    const ACTION: &str = "sts:GetWebIdentityToken";
    let identity = session_identity(ctx, ACTION)?;
    let [audience] = audiences else {
        return Err(Error::validation(
            "You must specify exactly one audience for a JWT-SVID.",
        ));
    };
    let (provider, _) = live_spiffe_identity(ctx, &identity, ACTION)?;
    if !provider
        .jwt_signers
        .iter()
        .any(|s| s.signing_algorithm == signing_algorithm)
    {
        return Err(signer_not_configured(
            &provider,
            &format!("JWT ({signing_algorithm})"),
        ));
    }
    let now = now_seconds();
    let expires = now + duration_seconds;
    if ctx
        .caller
        .session
        .as_deref()
        .is_some_and(|s| expires > s.expires)
    {
        return Err(Error::aws(
            StsErrorCode::SessionDurationEscalationException,
            "The requested token duration would extend the session beyond its original expiration time.",
        ));
    }
    let claims = json!({
        "sub": identity.subject,
        "aud": audience,
        "iss": oidc_issuer_uri(ctx.app, &provider),
        "iat": now,
        "exp": expires,
        "jti": uuid::Uuid::new_v4().to_string(),
    });
    let token = jwt_signers::sign(&ctx.app.server_key, &provider, signing_algorithm, &claims)?;
    Ok((token, expires * 1000))
}
