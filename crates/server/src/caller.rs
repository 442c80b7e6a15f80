//! Who is calling: authentication of a request by its SigV4 signature and access key.

use crate::app::App;
use crate::auth::sigv4::{self, AuthError, HttpRequest};
use crate::error::Error;
use crate::time::now_seconds;
use portcullis_policy::Principal;
use portcullis_store::KeyStatus;

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The principal, for the policy engine.
    pub principal: Principal,
    /// The caller's account.
    pub account: String,
    /// For an IAM user: its unique ID (`AIDA…`).
    pub user_id: Option<String>,
    /// For an IAM user: its name.
    pub user_name: Option<String>,
    /// The access key the request was signed with.
    pub access_key_id: Option<String>,
    /// The client's IP address.
    pub source_ip: String,
    /// The region the request was signed for.
    pub region: String,
}

impl Caller {
    /// True for the account's root user.
    pub fn is_root(&self) -> bool {
        self.user_id.is_none()
    }
}

fn auth_error(e: AuthError) -> Error {
    Error::aws(e.code(), e.message().to_string())
}

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
        source_ip: source_ip.to_string(),
        region: region.to_string(),
    })
}

/// Authenticates a request for `service` (`iam` or `sts`). In `--dev` mode signatures are
/// not checked and every caller is the root of the default account.
pub fn authenticate(
    app: &App,
    request: &HttpRequest<'_>,
    service: &str,
    source_ip: &str,
) -> Result<Caller, Error> {
    if !app.config.verifies_signatures() {
        let sig = sigv4::parse(request).ok();
        let region = sig.as_ref().map_or("us-east-1", |s| s.region.as_str());
        return root(
            app,
            sig.as_ref().map(|s| s.access_key_id.clone()),
            source_ip,
            region,
        );
    }
    let sig = sigv4::parse(request).map_err(auth_error)?;
    sigv4::check_time(&sig, now_seconds()).map_err(auth_error)?;
    sigv4::check_credential_scope(&sig, service, None).map_err(auth_error)?;
    let invalid_token = || auth_error(AuthError::InvalidClientTokenId);
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
                    "InternalFailure",
                    "The stored secret access key cannot be read with this server key.",
                )
            })?;
        Ok((secret, key.user_id.clone()))
    })?;
    sigv4::verify(request, &sig, &secret).map_err(auth_error)?;
    if sig.security_token.is_some() {
        return Err(invalid_token());
    }
    let Some(user_id) = user_id else {
        return root(app, Some(sig.access_key_id), source_ip, &sig.region);
    };
    let (arn, name) = app.read(|e| {
        e.user_by_id(&user_id)
            .map(|u| (u.arn.clone(), u.name.clone()))
            .ok_or_else(invalid_token)
    })?;
    Ok(Caller {
        principal: Principal::parse(&arn)?,
        account: app.account_id().to_string(),
        user_id: Some(user_id),
        user_name: Some(name),
        access_key_id: Some(sig.access_key_id),
        source_ip: source_ip.to_string(),
        region: sig.region,
    })
}
