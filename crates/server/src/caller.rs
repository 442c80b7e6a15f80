//! Who is calling: authentication of a request by its SigV4 signature and either a
//! long-term access key or temporary credentials (a session token).

use crate::app::App;
use crate::auth::session::{SessionClaims, SessionPrincipal};
use crate::error::Error;
use crate::time::now_seconds;
use portcullis_policy::{Principal, PrincipalKind};
use portcullis_protocol::CommonErrorCode;
use portcullis_protocol::sigv4::{self, AuthError, HttpRequest, Signature};
use portcullis_store::KeyStatus;
use std::sync::Arc;

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The principal, for the policy engine.
    pub principal: Principal,
    /// The caller's account.
    pub account: String,
    /// For an IAM user, or a session of one: the user's unique ID (`AIDA…`).
    pub user_id: Option<String>,
    /// For an IAM user, or a session of one: its name.
    pub user_name: Option<String>,
    /// The access key the request was signed with.
    pub access_key_id: Option<String>,
    /// The session, when the caller used temporary credentials.
    pub session: Option<Arc<SessionClaims>>,
    /// The client's IP address.
    pub source_ip: String,
    /// The region the request was signed for.
    pub region: String,
}

impl Caller {
    /// True for the account's root user (with long-term or temporary credentials).
    pub(crate) fn is_root(&self) -> bool {
        self.principal.kind == PrincipalKind::Root
    }
}

#[cfg(test)]
impl Caller {
    /// The root of account 123456789012, calling from loopback in us-east-1 (for tests).
    pub(crate) fn test_root() -> Caller {
        Caller {
            principal: Principal::parse("arn:aws:iam::123456789012:root").expect("a root ARN"),
            account: "123456789012".into(),
            user_id: None,
            user_name: None,
            access_key_id: None,
            session: None,
            source_ip: "127.0.0.1".into(),
            region: "us-east-1".into(),
        }
    }
}

fn auth_error(e: AuthError) -> Error {
    Error::Aws(portcullis_protocol::AwsError::with_status(
        e.code(),
        e.message().to_string(),
        e.status(),
    ))
}

fn invalid_token() -> Error {
    auth_error(AuthError::InvalidClientTokenId)
}

/// The root of the account as a caller.
fn root(
    app: &App,
    access_key_id: Option<String>,
    source_ip: &str,
    region: &str,
) -> Result<Caller, Error> {
    let account = app.account_id().to_string();
    Ok(Caller {
        principal: Principal::parse(&format!("arn:aws:iam::{account}:root"))?,
        account,
        user_id: None,
        user_name: None,
        access_key_id,
        session: None,
        source_ip: source_ip.to_string(),
        region: region.to_string(),
    })
}

/// The caller of an unsigned operation (AssumeRoleWithWebIdentity, AssumeRoleWithSAML):
/// anonymous until the token or assertion it carries says who it is.
pub(crate) fn anonymous(app: &App, source_ip: &str) -> Result<Caller, Error> {
    Ok(Caller {
        principal: Principal::parse("*")?,
        account: app.account_id().to_string(),
        user_id: None,
        user_name: None,
        access_key_id: None,
        session: None,
        source_ip: source_ip.to_string(),
        region: "us-east-1".to_string(),
    })
}

/// An IAM user of the account as a caller.
fn user(app: &App, user_id: &str, sig: &Signature, source_ip: &str) -> Result<Caller, Error> {
    let (arn, name) = app.read(|e| {
        e.user_by_id(user_id)
            .map(|u| (u.arn.clone(), u.name.clone()))
            .ok_or_else(invalid_token)
    })?;
    Ok(Caller {
        principal: Principal::parse(&arn)?,
        account: app.account_id().to_string(),
        user_id: Some(user_id.to_string()),
        user_name: Some(name),
        access_key_id: Some(sig.access_key_id.clone()),
        session: None,
        source_ip: source_ip.to_string(),
        region: sig.region.clone(),
    })
}

/// Authenticates a request for `service` (`iam` or `sts`). In `--dev` mode signatures are
/// not checked: see [`identify_unverified`].
pub(crate) fn authenticate(
    app: &App,
    request: &HttpRequest<'_>,
    service: &str,
    source_ip: &str,
) -> Result<Caller, Error> {
    if !app.config.verifies_signatures() {
        return identify_unverified(app, request, source_ip);
    }
    let sig = sigv4::parse(request).map_err(auth_error)?;
    sigv4::check_time(&sig, now_seconds()).map_err(auth_error)?;
    let extra = &app.config.regions;
    let valid_region = |r: &str| sigv4::is_aws_region(r) || extra.iter().any(|e| e == r);
    sigv4::check_credential_scope_with(&sig, service, &valid_region).map_err(auth_error)?;
    if let Some(token) = &sig.security_token {
        return session_caller(app, request, &sig, token, source_ip);
    }
    let (secret, user_id) = app.read(|e| {
        let key = e
            .access_keys
            .get(&sig.access_key_id)
            .ok_or_else(invalid_token)?;
        if key.status != KeyStatus::Active {
            return Err(invalid_token());
        }
        let secret = app
            .server_key
            .decrypt(&key.secret_ciphertext)
            .ok_or_else(|| {
                Error::aws(
                    CommonErrorCode::InternalFailure,
                    "The stored secret access key cannot be read with this server key.",
                )
            })?;
        Ok((secret, key.user_id.clone()))
    })?;
    sigv4::verify(request, &sig, &secret).map_err(auth_error)?;
    match user_id {
        Some(id) => user(app, &id, &sig, source_ip),
        None => root(app, Some(sig.access_key_id.clone()), source_ip, &sig.region),
    }
}

/// `--dev`: who a request says it is, its signature unchecked. An access key Portcullis
/// issued identifies its principal exactly as in default mode: a user's key its user, the
/// root's key the root, a session's key with its token the session (an assumed role, a
/// federated user, a workload). Only a key Portcullis does not know (or no key at all)
/// acts as the root of the default account.
fn identify_unverified(
    app: &App,
    request: &HttpRequest<'_>,
    source_ip: &str,
) -> Result<Caller, Error> {
    let Ok(sig) = sigv4::parse(request) else {
        return root(app, None, source_ip, "us-east-1");
    };
    match &sig.security_token {
        Some(token) => {
            if let Some(claims) = open_session(app, &sig, token) {
                return session_principal(app, &sig, claims, source_ip);
            }
        }
        None => {
            let owner = app.read(|e| {
                e.access_keys
                    .get(&sig.access_key_id)
                    .map(|k| k.user_id.clone())
            });
            if let Some(Some(user_id)) = owner {
                return user(app, &user_id, &sig, source_ip);
            }
        }
    }
    root(app, Some(sig.access_key_id.clone()), source_ip, &sig.region)
}

/// The claims of a session token of this account that names the access key that signed.
fn open_session(app: &App, sig: &Signature, token: &str) -> Option<Arc<SessionClaims>> {
    app.open_session(&sig.access_key_id, token)
        .filter(|c| c.access_key_id == sig.access_key_id && c.account == app.account_id())
}

/// Authenticates a request signed with temporary credentials: the token opens with the
/// key ring, names the access key that signed, has not expired, and carries the secret the
/// signature was made with.
fn session_caller(
    app: &App,
    request: &HttpRequest<'_>,
    sig: &Signature,
    token: &str,
    source_ip: &str,
) -> Result<Caller, Error> {
    let claims = open_session(app, sig, token).ok_or_else(invalid_token)?;
    if claims.expires <= now_seconds() {
        return Err(auth_error(AuthError::ExpiredToken));
    }
    sigv4::verify(request, sig, &claims.secret_access_key).map_err(auth_error)?;
    session_principal(app, sig, claims, source_ip)
}

/// The caller a session's claims name.
fn session_principal(
    app: &App,
    sig: &Signature,
    claims: Arc<SessionClaims>,
    source_ip: &str,
) -> Result<Caller, Error> {
    let account = claims.account.clone();
    let mut caller = match &claims.principal {
        SessionPrincipal::Root => {
            root(app, Some(sig.access_key_id.clone()), source_ip, &sig.region)?
        }
        SessionPrincipal::User { user_id } => user(app, user_id, sig, source_ip)?,
        SessionPrincipal::AssumedRole {
            role_arn,
            role_name,
            session_name,
            ..
        } => Caller {
            principal: Principal {
                kind: PrincipalKind::AssumedRole,
                arn: format!("arn:aws:sts::{account}:assumed-role/{role_name}/{session_name}"),
                account: Some(account.clone()),
                partition: "aws".to_string(),
                name: Some(role_name.clone()),
                role_arn: Some(role_arn.clone()),
                session_name: Some(session_name.clone()),
            },
            account: account.clone(),
            user_id: None,
            user_name: None,
            access_key_id: Some(sig.access_key_id.clone()),
            session: None,
            source_ip: source_ip.to_string(),
            region: sig.region.clone(),
        },
        SessionPrincipal::FederatedUser { name, user_id } => {
            let user_name = match user_id {
                Some(id) => app.read(|e| e.user_by_id(id).map(|u| u.name.clone())),
                None => None,
            };
            Caller {
                principal: Principal::parse(&format!(
                    "arn:aws:sts::{account}:federated-user/{name}"
                ))?,
                account: account.clone(),
                user_id: user_id.clone(),
                user_name,
                access_key_id: Some(sig.access_key_id.clone()),
                session: None,
                source_ip: source_ip.to_string(),
                region: sig.region.clone(),
            }
        }
    };
    caller.session = Some(claims);
    Ok(caller)
}
