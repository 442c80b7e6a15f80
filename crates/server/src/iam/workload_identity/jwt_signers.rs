//! The JWT outbound signers of a workload identity provider: signing keys IAM manages, one
//! per supported JWS algorithm, made with the provider and never disabled, rotated by
//! hand or deleted. The algorithms are those GetWebIdentityToken documents: `RS256` (an
//! RSA 2048-bit key, key algorithm `RSA_2048`) and `ES384` (a NIST P-384 key,
//! `ECC_NIST_P384`), made by [`crate::auth::jwt_keys`]. The private keys are kept as PKCS#8
//! PEM encrypted with the server key; each key's ID is the thumbprint of its public key.
//!
//! STS uses [`jwks`] (the provider's JSON Web Key Set) and [`sign`] (a JWT signed by the
//! provider's key for an algorithm).

use crate::auth::jwt_keys::{JwtKey, new_key_pem};
use crate::error::Error;
use crate::secrets::ServerKey;
use jsonwebtoken::jwk::JwkSet;
use portcullis_store::{WorkloadIdentityProvider, WorkloadJwtSigner};
use serde_json::Value;

/// The supported algorithms: (JWS algorithm, key algorithm).
pub(crate) const ALGORITHMS: [(&str, &str); 2] =
    [("RS256", "RSA_2048"), ("ES384", "ECC_NIST_P384")];

fn failed(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Config(format!("{what}: {e}"))
}

/// The private keys (PEM) and key IDs of a new provider's signers, in [`ALGORITHMS`] order.
fn new_keys() -> Result<Vec<(String, String)>, Error> {
    ALGORITHMS
        .iter()
        .map(|(jws, _)| {
            let pem = new_key_pem(jws)?;
            let kid = JwtKey::from_pem(jws, &pem)?.kid().to_string();
            Ok((pem, kid))
        })
        .collect()
}

/// The JWT signers of a new provider, one per supported algorithm, signing from `now`.
/// The keys are made on a blocking thread: an RSA key takes a while.
pub(crate) async fn new_signers(
    server_key: &ServerKey,
    now: i64,
) -> Result<Vec<WorkloadJwtSigner>, Error> {
    let keys = tokio::task::spawn_blocking(new_keys)
        .await
        .map_err(|e| failed("making signing keys", e))??;
    Ok(ALGORITHMS
        .iter()
        .zip(keys)
        .map(|((jws, key_algorithm), (pem, kid))| WorkloadJwtSigner {
            signing_algorithm: jws.to_string(),
            key_algorithm: key_algorithm.to_string(),
            key_id: kid,
            key_ciphertext: server_key.encrypt(&pem),
            start_signing_time: now,
        })
        .collect())
}

/// The provider's JSON Web Key Set: the public key of every JWT signer, with its `kid`
/// and `alg`. A key that cannot be opened is left out.
pub(crate) fn jwks(server_key: &ServerKey, provider: &WorkloadIdentityProvider) -> JwkSet {
    let keys = provider
        .jwt_signers
        .iter()
        .filter_map(|s| {
            let pem = server_key.decrypt(&s.key_ciphertext)?;
            let key = JwtKey::from_pem(&s.signing_algorithm, &pem).ok()?;
            Some(key.jwk().clone())
        })
        .collect();
    JwkSet { keys }
}

/// A JWT of `claims` signed by the provider's signer for the JWS algorithm `jws`
/// (`RS256`, `ES384`), its header naming the key (`kid`). InvalidInput when the provider
/// has no signer for that algorithm.
pub(crate) fn sign(
    server_key: &ServerKey,
    provider: &WorkloadIdentityProvider,
    jws: &str,
    claims: &Value,
) -> Result<String, Error> {
    let signer = provider
        .jwt_signers
        .iter()
        .find(|s| s.signing_algorithm == jws)
        .ok_or_else(|| {
            Error::invalid_input(format!(
                "The workload identity provider {} has no signing key for the algorithm {jws}.",
                provider.arn
            ))
        })?;
    let pem = server_key
        .decrypt(&signer.key_ciphertext)
        .ok_or_else(|| failed("opening a signing key", "the server key cannot decrypt it"))?;
    JwtKey::from_pem(jws, &pem)?.sign(claims)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{DecodingKey, Validation, decode, decode_header};

    #[tokio::test]
    async fn makes_signers_whose_key_set_verifies_their_tokens() {
        let server_key = ServerKey::generate();
        let signers = new_signers(&server_key, 1_700_000_000_000).await.unwrap();
        let algs: Vec<(&str, &str)> = signers
            .iter()
            .map(|s| (s.signing_algorithm.as_str(), s.key_algorithm.as_str()))
            .collect();
        assert_eq!(algs, [("RS256", "RSA_2048"), ("ES384", "ECC_NIST_P384")]);
        assert!(
            signers
                .iter()
                .all(|s| s.start_signing_time == 1_700_000_000_000)
        );
        assert!(
            signers
                .iter()
                .all(|s| !s.key_ciphertext.contains("PRIVATE KEY"))
        );
        assert_ne!(signers[0].key_id, signers[1].key_id);
        let provider = WorkloadIdentityProvider {
            arn: "arn:aws:iam::123456789012:workload-identity-provider/p".into(),
            name: "p".into(),
            id: "AWPAEXAMPLE0000000000".into(),
            scope: "ACCOUNT".into(),
            scheme: "NONE".into(),
            domain: None,
            description: None,
            jwt_signers: signers.clone(),
            x509_signers: vec![],
            resource_policy: None,
            create_date: 0,
            tags: vec![],
        };
        let set = jwks(&server_key, &provider);
        assert_eq!(set.keys.len(), 2);
        let claims = serde_json::json!({"sub": "w", "aud": "a", "exp": 4_000_000_000u64});
        for s in &signers {
            let token = sign(&server_key, &provider, &s.signing_algorithm, &claims).unwrap();
            let header = decode_header(&token).unwrap();
            assert_eq!(header.kid.as_deref(), Some(s.key_id.as_str()));
            let jwk = set.find(&s.key_id).expect("the key is in the set");
            let key = DecodingKey::from_jwk(jwk).unwrap();
            let mut v = Validation::new(header.alg);
            v.set_audience(&["a"]);
            let data = decode::<Value>(&token, &key, &v).unwrap();
            assert_eq!(data.claims["sub"], "w");
        }
        // The key IDs are those of the public keys: the same on every reading.
        assert_eq!(
            jwks(&server_key, &provider).keys[0].common.key_id,
            set.keys[0].common.key_id
        );
        let e = sign(&server_key, &provider, "PS512", &claims)
            .unwrap_err()
            .into_aws();
        assert_eq!(e.code(), "InvalidInput");
    }
}
