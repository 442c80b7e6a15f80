//! The keys that sign the account's outbound identity federation tokens (GetWebIdentityToken
//! with the default token type): one per JWS algorithm STS offers, `RS256` (an RSA
//! 2048-bit key) and `ES384` (a NIST P-384 key).
//!
//! A key is made the first time a token is asked for with its algorithm, and kept in the
//! account's settings as PKCS #8 PEM encrypted with the server key, so that every node and
//! every restart signs with the same key. Its key ID is the RFC 7638 thumbprint of its
//! public half, and [`key_set`] publishes the public halves as a JSON Web Key Set for
//! relying parties.

use crate::app::App;
use crate::auth::jwt_keys::{self, JwtKey};
use crate::error::Error;
use jsonwebtoken::jwk::JwkSet;
use portcullis_protocol::CommonErrorCode;
use portcullis_store::Change;

/// The JWS algorithms outbound tokens can be signed with.
pub(super) use crate::auth::jwt_keys::ALGORITHMS;

/// A signing key of the account.
pub(super) type SigningKey = JwtKey;

fn key_error(what: &str, e: impl std::fmt::Display) -> Error {
    Error::aws(CommonErrorCode::InternalFailure, format!("{what}: {e}"))
}

/// The stored key of algorithm `name`, opened with the server key.
fn open(app: &App, name: &str, ciphertext: &str) -> Result<SigningKey, Error> {
    let pem = app.server_key.decrypt(ciphertext).ok_or_else(|| {
        key_error(
            "reading a signing key",
            "the stored key cannot be read with this server key",
        )
    })?;
    JwtKey::from_pem(name, &pem)
}

/// The account's key for JWS algorithm `name` (one of [`ALGORITHMS`]), made and stored
/// the first time it is needed.
pub(super) async fn signing_key(app: &App, name: &str) -> Result<SigningKey, Error> {
    let stored = app.read(|e| e.settings.outbound_signing_keys.get(name).cloned());
    if let Some(ciphertext) = stored {
        return open(app, name, &ciphertext);
    }
    // Making an RSA key takes a while: not on the request threads.
    let owned = name.to_string();
    let pem = tokio::task::spawn_blocking(move || jwt_keys::new_key_pem(&owned))
        .await
        .map_err(|e| key_error("making a signing key", e))??;
    let ciphertext = app.server_key.encrypt(&pem);
    let account = app.account_id().to_string();
    let kept = app
        .write(|e| {
            // Two first requests may race: the key stored first wins.
            if let Some(existing) = e.settings.outbound_signing_keys.get(name) {
                return Ok((Vec::new(), existing.clone()));
            }
            let mut settings = e.settings.clone();
            settings
                .outbound_signing_keys
                .insert(name.to_string(), ciphertext.clone());
            Ok((vec![Change::put(&account, &settings)], ciphertext))
        })
        .await?;
    open(app, name, &kept)
}

/// The public halves of the account's signing keys, as a JSON Web Key Set.
pub(super) fn key_set(app: &App) -> JwkSet {
    let stored: Vec<(String, String)> = app.read(|e| {
        e.settings
            .outbound_signing_keys
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    });
    let keys = stored
        .iter()
        .filter_map(|(name, ciphertext)| open(app, name, ciphertext).ok())
        .map(|k| k.jwk().clone())
        .collect();
    JwkSet { keys }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode};
    use serde_json::{Value, json};

    #[tokio::test]
    async fn keys_are_made_once_kept_and_published() {
        let (app, _) = App::open(Config::in_memory(false)).await.unwrap();
        assert!(key_set(&app).keys.is_empty());
        let es = signing_key(&app, "ES384").await.unwrap();
        let again = signing_key(&app, "ES384").await.unwrap();
        assert_eq!(es.kid(), again.kid(), "the stored key is reused");
        let stored = app.read(|e| e.settings.outbound_signing_keys.get("ES384").cloned());
        assert!(!stored.unwrap().contains("PRIVATE KEY"), "kept encrypted");

        let token = es
            .sign(&json!({"sub": "me", "aud": "you", "exp": 4_000_000_000u64}))
            .unwrap();
        let set = key_set(&app);
        assert_eq!(set.keys.len(), 1);
        let jwk = set.find(es.kid()).unwrap();
        let mut validation = Validation::new(Algorithm::ES384);
        validation.set_audience(&["you"]);
        let data =
            decode::<Value>(&token, &DecodingKey::from_jwk(jwk).unwrap(), &validation).unwrap();
        assert_eq!(data.claims["sub"], "me");
        assert_eq!(data.header.kid.as_deref(), Some(es.kid()));
    }
}
