//! GetTrustBundles: the SPIFFE trust bundle of a workload identity provider's trust domain,
//! a JSON Web Key Set (RFC 7517) as the SPIFFE Trust Domain and Bundle specification
//! shapes it: `spiffe_refresh_hint` and `keys`. Each published X.509 signer (IN_TRANSITION,
//! ACTIVE or VALIDATING) contributes its certificate authority's key with `use`
//! `x509-svid` and the CA certificate in `x5c`; each JWT signer its key with `use`
//! `jwt-svid` and its `kid`.
//!
//! A provider without a trust domain (scheme `NONE`, which has no domain) has no bundle:
//! the list is empty. An unknown provider, or one of another account, is
//! ResourceNotFoundException (the message is Portcullis's; the protocol layer carries no
//! `ResourceId` member, so the message names it).
//!
//! `spiffe_refresh_hint` is [`REFRESH_HINT_SECONDS`]: a new X.509 signer is published at
//! least an hour before it signs (SigningDelayInHours is 1 at least), so a relying party
//! that refreshes every five minutes always trusts a signer before it signs.

use crate::call::Ctx;
use crate::error::Error;
use crate::iam::workload_identity::jwt_signers;
use crate::iam::workload_identity::signers::published_x509_signers;
use crate::time::now_millis;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use portcullis_protocol::sts::{
    GetTrustBundlesInput, GetTrustBundlesOutput, StsErrorCode, TrustBundleEntry,
};
use serde_json::{Map, Value, json};
use x509_parser::public_key::PublicKey;

/// How often relying parties should fetch the bundle again, in seconds.
pub(super) const REFRESH_HINT_SECONDS: i64 = 300;

const CURVE_P256: &str = "1.2.840.10045.3.1.7";
const CURVE_P384: &str = "1.3.132.0.34";
const CURVE_P521: &str = "1.3.132.0.35";

/// Big-endian bytes without leading zeros, base64url.
fn unsigned_b64(bytes: &[u8]) -> String {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    URL_SAFE_NO_PAD.encode(&bytes[start..])
}

/// The JWK (`use` `x509-svid`) of a CA certificate in PEM: its public key and the
/// certificate in `x5c`. `None` when the certificate cannot be read.
pub(super) fn x509_authority_jwk(certificate_pem: &str) -> Option<Value> {
    let (_, block) = x509_parser::pem::parse_x509_pem(certificate_pem.as_bytes()).ok()?;
    let (_, cert) = x509_parser::parse_x509_certificate(&block.contents).ok()?;
    let spki = cert.public_key();
    let mut jwk = Map::new();
    match spki.parsed().ok()? {
        PublicKey::EC(point) => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok())
                .map(|o| o.to_id_string())?;
            let crv = match curve.as_str() {
                CURVE_P256 => "P-256",
                CURVE_P384 => "P-384",
                CURVE_P521 => "P-521",
                _ => return None,
            };
            let data = point.data();
            // An uncompressed point: 0x04, then x and y of equal size.
            if data.first() != Some(&4) || data.len() % 2 != 1 {
                return None;
            }
            let (x, y) = data[1..].split_at(data.len() / 2);
            jwk.insert("kty".into(), json!("EC"));
            jwk.insert("crv".into(), json!(crv));
            jwk.insert("x".into(), json!(URL_SAFE_NO_PAD.encode(x)));
            jwk.insert("y".into(), json!(URL_SAFE_NO_PAD.encode(y)));
        }
        PublicKey::RSA(rsa) => {
            jwk.insert("kty".into(), json!("RSA"));
            jwk.insert("n".into(), json!(unsigned_b64(rsa.modulus)));
            jwk.insert("e".into(), json!(unsigned_b64(rsa.exponent)));
        }
        _ => return None,
    }
    jwk.insert("use".into(), json!("x509-svid"));
    jwk.insert("x5c".into(), json!([STANDARD.encode(&block.contents)]));
    Some(Value::Object(jwk))
}

/// GetTrustBundles.
pub(crate) async fn get_trust_bundles(
    ctx: &Ctx<'_>,
    input: GetTrustBundlesInput,
) -> Result<GetTrustBundlesOutput, Error> {
    let arn = input.provider_arn.as_str();
    let provider = ctx
        .app
        .read(|e| e.workload_providers.get(arn).cloned())
        .ok_or_else(|| {
            Error::aws(
                StsErrorCode::ResourceNotFoundException,
                format!("The workload identity provider {arn} was not found."),
            )
        })?;
    let Some(domain) = provider.domain.clone().filter(|d| !d.is_empty()) else {
        return Ok(GetTrustBundlesOutput {
            trust_bundles: Some(Vec::new()),
        });
    };
    let now = now_millis();
    let mut keys: Vec<Value> = published_x509_signers(&provider, now)
        .into_iter()
        .filter_map(|s| x509_authority_jwk(&s.ca_certificate))
        .collect();
    for jwk in jwt_signers::jwks(&ctx.app.server_key, &provider).keys {
        let mut key = serde_json::to_value(&jwk)
            .map_err(|e| Error::Config(format!("encoding a JSON Web Key: {e}")))?;
        if let Some(object) = key.as_object_mut() {
            object.insert("use".into(), json!("jwt-svid"));
        }
        keys.push(key);
    }
    let bundle = json!({
        "spiffe_refresh_hint": REFRESH_HINT_SECONDS,
        "keys": keys,
    });
    Ok(GetTrustBundlesOutput {
        trust_bundles: Some(vec![TrustBundleEntry {
            trust_domain: domain,
            bundle: bundle.to_string(),
        }]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iam::workload_identity::ca::make_ca;

    #[test]
    fn authority_keys_carry_the_ca_certificate() {
        let ca = make_ca("ca-bundle", 1_700_000_000_000).expect("a CA");
        let jwk = x509_authority_jwk(&ca.certificate_pem).expect("a key");
        assert_eq!(jwk["kty"], "EC");
        assert_eq!(jwk["crv"], "P-256");
        assert_eq!(jwk["use"], "x509-svid");
        assert_eq!(
            URL_SAFE_NO_PAD
                .decode(jwk["x"].as_str().unwrap())
                .unwrap()
                .len(),
            32
        );
        let der = STANDARD.decode(jwk["x5c"][0].as_str().unwrap()).unwrap();
        let (_, block) = x509_parser::pem::parse_x509_pem(ca.certificate_pem.as_bytes()).unwrap();
        assert_eq!(der, block.contents);
        assert_eq!(x509_authority_jwk("not a certificate"), None);
    }
}
