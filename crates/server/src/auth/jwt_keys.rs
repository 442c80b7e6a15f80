//! Keys that sign the JWTs Portcullis issues for AWS's token types (outbound identity
//! federation tokens, JWT-SVIDs): the two JWS algorithms STS offers, `RS256` (an RSA
//! 2048-bit key) and `ES384` (a NIST P-384 key), kept as PKCS #8 PEM. A key's ID is the
//! RFC 7638 thumbprint of its public half, so it is stable for the key's life.

use crate::error::Error;
use crate::secrets::random_bytes;
use jsonwebtoken::jwk::{Jwk, PublicKeyUse, ThumbprintHash};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use p384::pkcs8::{EncodePrivateKey, LineEnding};
use serde_json::Value;

/// The JWS algorithms: `RS256` and `ES384`.
pub(crate) const ALGORITHMS: [&str; 2] = ["RS256", "ES384"];

/// The operating system's randomness, as the `rsa` crate takes it.
struct OsRandom;

impl rsa::rand_core::RngCore for OsRandom {
    fn next_u32(&mut self) -> u32 {
        u32::from_le_bytes(random_bytes::<4>())
    }

    fn next_u64(&mut self) -> u64 {
        u64::from_le_bytes(random_bytes::<8>())
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        getrandom::fill(dest).expect("the operating system provides randomness");
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rsa::rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl rsa::rand_core::CryptoRng for OsRandom {}

fn key_error(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Config(format!("{what}: {e}"))
}

/// The jsonwebtoken algorithm of a JWS algorithm name; `None` for one not offered.
pub(crate) fn algorithm(jws: &str) -> Option<Algorithm> {
    match jws {
        "RS256" => Some(Algorithm::RS256),
        "ES384" => Some(Algorithm::ES384),
        _ => None,
    }
}

/// A new private key (PKCS #8 PEM) for the JWS algorithm `jws`. An RSA key takes a while:
/// call it off the request threads.
pub(crate) fn new_key_pem(jws: &str) -> Result<String, Error> {
    match jws {
        "RS256" => {
            let key = rsa::RsaPrivateKey::new(&mut OsRandom, 2048)
                .map_err(|e| key_error("making an RSA key", e))?;
            let pem = rsa::pkcs8::EncodePrivateKey::to_pkcs8_pem(&key, LineEnding::LF)
                .map_err(|e| key_error("encoding an RSA key", e))?;
            Ok(pem.to_string())
        }
        "ES384" => loop {
            // A random scalar is a valid key unless it is zero or not below the order.
            if let Ok(key) = p384::SecretKey::from_slice(&random_bytes::<48>()) {
                let pem = key
                    .to_pkcs8_pem(LineEnding::LF)
                    .map_err(|e| key_error("encoding a P-384 key", e))?;
                return Ok(pem.to_string());
            }
        },
        other => Err(key_error(
            "making a signing key",
            format!("no algorithm {other}"),
        )),
    }
}

/// A signing key, opened from its PEM.
pub(crate) struct JwtKey {
    algorithm: Algorithm,
    kid: String,
    key: EncodingKey,
    jwk: Jwk,
}

impl JwtKey {
    /// The key of JWS algorithm `jws` in `pem`.
    pub(crate) fn from_pem(jws: &str, pem: &str) -> Result<JwtKey, Error> {
        let alg = algorithm(jws)
            .ok_or_else(|| key_error("reading a signing key", format!("no algorithm {jws}")))?;
        let bad = |e: jsonwebtoken::errors::Error| key_error("reading a signing key", e);
        let key = match alg {
            Algorithm::RS256 => EncodingKey::from_rsa_pem(pem.as_bytes()).map_err(bad)?,
            _ => EncodingKey::from_ec_pem(pem.as_bytes()).map_err(bad)?,
        };
        let mut jwk = Jwk::from_encoding_key(&key, alg).map_err(bad)?;
        let kid = jwk.thumbprint(ThumbprintHash::SHA256).map_err(bad)?;
        jwk.common.key_id = Some(kid.clone());
        jwk.common.public_key_use = Some(PublicKeyUse::Signature);
        jwk.common.key_algorithm = serde_json::from_value(Value::String(jws.to_string())).ok();
        Ok(JwtKey {
            algorithm: alg,
            kid,
            key,
            jwk,
        })
    }

    /// The key ID.
    pub(crate) fn kid(&self) -> &str {
        &self.kid
    }

    /// The public half, as a JWK with its `kid`, `use` and `alg`.
    pub(crate) fn jwk(&self) -> &Jwk {
        &self.jwk
    }

    /// A JWT of `claims` signed with this key; its header names the key (`kid`) and the
    /// type `JWT`.
    pub(crate) fn sign(&self, claims: &Value) -> Result<String, Error> {
        let mut header = Header::new(self.algorithm);
        header.kid = Some(self.kid.clone());
        header.typ = Some("JWT".to_string());
        jsonwebtoken::encode(&header, claims, &self.key).map_err(|e| key_error("signing", e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{DecodingKey, Validation, decode, decode_header};
    use serde_json::json;

    #[test]
    fn keys_sign_tokens_their_public_half_verifies() {
        for jws in ALGORITHMS {
            let pem = new_key_pem(jws).unwrap();
            let key = JwtKey::from_pem(jws, &pem).unwrap();
            let again = JwtKey::from_pem(jws, &pem).unwrap();
            assert_eq!(key.kid(), again.kid(), "{jws}: the key ID is the key's");
            let token = key
                .sign(&json!({"sub": "x", "exp": 4_000_000_000u64}))
                .unwrap();
            let header = decode_header(&token).unwrap();
            assert_eq!(header.kid.as_deref(), Some(key.kid()));
            assert_eq!(header.typ.as_deref(), Some("JWT"));
            let decoding = DecodingKey::from_jwk(key.jwk()).unwrap();
            let mut validation = Validation::new(algorithm(jws).unwrap());
            validation.validate_aud = false;
            let claims = decode::<Value>(&token, &decoding, &validation)
                .unwrap()
                .claims;
            assert_eq!(claims["sub"], "x");
        }
        assert!(new_key_pem("HS256").is_err());
        assert!(JwtKey::from_pem("RS256", "not a key").is_err());
    }
}
