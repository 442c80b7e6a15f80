//! The certificate signing request of GetCertificate: a PEM-encoded PKCS #10 request whose
//! signature must verify with its own public key. STS uses only the public key; the
//! subject, subject alternative names and requested extensions are ignored.
//!
//! Supported keys (those a Private CA leaf of IAM Workload Identity can carry and that
//! Portcullis verifies): EC P-256 and P-384, and RSA of 2,048 to 4,096 bits; signatures
//! ECDSA with SHA-256 or SHA-384, and RSASSA-PKCS1-v1_5 with SHA-256, SHA-384 or SHA-512.
//! Anything else answers `MalformedCertificateSigningRequestException`; the sentences of
//! its messages are Portcullis's.

use crate::error::Error;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey};
use portcullis_protocol::sts::StsErrorCode;
use x509_parser::certification_request::X509CertificationRequest;
use x509_parser::prelude::FromDer;
use x509_parser::public_key::PublicKey;
use x509_parser::x509::SubjectPublicKeyInfo;

const EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";
const CURVE_P256: &str = "1.2.840.10045.3.1.7";
const CURVE_P384: &str = "1.3.132.0.34";
const ECDSA_SHA256: &str = "1.2.840.10045.4.3.2";
const ECDSA_SHA384: &str = "1.2.840.10045.4.3.3";
const RSA_SHA256: &str = "1.2.840.113549.1.1.11";
const RSA_SHA384: &str = "1.2.840.113549.1.1.12";
const RSA_SHA512: &str = "1.2.840.113549.1.1.13";

/// `MalformedCertificateSigningRequestException` with `message`.
pub(super) fn malformed(message: &str) -> Error {
    Error::aws(
        StsErrorCode::MalformedCertificateSigningRequestException,
        message,
    )
}

/// The public key of a verified request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct RequestKey {
    /// The DER of its SubjectPublicKeyInfo, to put in the certificate.
    pub spki_der: Vec<u8>,
}

/// The signature algorithm a request uses, with the key it needs.
fn signature_algorithm(oid: &str, key_oid: &str) -> Option<Algorithm> {
    match (oid, key_oid) {
        (ECDSA_SHA256, EC_PUBLIC_KEY) => Some(Algorithm::ES256),
        (ECDSA_SHA384, EC_PUBLIC_KEY) => Some(Algorithm::ES384),
        (RSA_SHA256, RSA_ENCRYPTION) => Some(Algorithm::RS256),
        (RSA_SHA384, RSA_ENCRYPTION) => Some(Algorithm::RS384),
        (RSA_SHA512, RSA_ENCRYPTION) => Some(Algorithm::RS512),
        _ => None,
    }
}

/// Reads one DER INTEGER at the start of `der`: its unsigned big-endian bytes and the rest.
fn der_integer(der: &[u8]) -> Option<(&[u8], &[u8])> {
    let (&tag, rest) = der.split_first()?;
    if tag != 0x02 {
        return None;
    }
    let (&len, rest) = rest.split_first()?;
    let (len, rest) = if len < 0x80 {
        (usize::from(len), rest)
    } else if len == 0x81 {
        let (&l, rest) = rest.split_first()?;
        (usize::from(l), rest)
    } else {
        return None;
    };
    if rest.len() < len {
        return None;
    }
    let (value, rest) = rest.split_at(len);
    let mut value = value;
    while value.len() > 1 && value[0] == 0 {
        value = &value[1..];
    }
    Some((value, rest))
}

/// An ECDSA signature in DER (`SEQUENCE { r INTEGER, s INTEGER }`) as the fixed-size
/// `r || s` of `size`-byte halves that JWS uses.
fn ecdsa_fixed(der: &[u8], size: usize) -> Option<Vec<u8>> {
    let (&tag, rest) = der.split_first()?;
    if tag != 0x30 {
        return None;
    }
    let (&len, rest) = rest.split_first()?;
    let body = if len < 0x80 {
        rest
    } else if len == 0x81 {
        rest.get(1..)?
    } else {
        return None;
    };
    let (r, rest) = der_integer(body)?;
    let (s, rest) = der_integer(rest)?;
    if !rest.is_empty() || r.len() > size || s.len() > size {
        return None;
    }
    let mut out = vec![0u8; size * 2];
    out[size - r.len()..size].copy_from_slice(r);
    out[2 * size - s.len()..].copy_from_slice(s);
    Some(out)
}

/// Why a signature was not verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Unverified {
    /// The key is not EC P-256/P-384 or RSA of 2,048 to 4,096 bits.
    UnsupportedKey,
    /// The signature algorithm is not supported or does not match the key.
    UnsupportedAlgorithm,
    /// The signature does not verify.
    BadSignature,
}

/// Verifies `signature` (as X.509 and PKCS #10 encode it: DER for ECDSA) of `message` made
/// with the algorithm `algorithm_oid` by the key of `spki`.
pub(super) fn verify_signature(
    spki: &SubjectPublicKeyInfo<'_>,
    algorithm_oid: &str,
    signature: &[u8],
    message: &[u8],
) -> Result<(), Unverified> {
    let key_oid = spki.algorithm.algorithm.to_id_string();
    let parsed = spki.parsed().map_err(|_| Unverified::UnsupportedKey)?;
    let (decoding, fixed_size) = match (&parsed, key_oid.as_str()) {
        (PublicKey::EC(point), EC_PUBLIC_KEY) => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok())
                .map(|o| o.to_id_string());
            let size = match curve.as_deref() {
                Some(CURVE_P256) => 32,
                Some(CURVE_P384) => 48,
                _ => return Err(Unverified::UnsupportedKey),
            };
            (DecodingKey::from_ec_der(point.data()), Some(size))
        }
        (PublicKey::RSA(rsa), RSA_ENCRYPTION) => {
            if !(2048..=4096).contains(&rsa.key_size()) {
                return Err(Unverified::UnsupportedKey);
            }
            (
                DecodingKey::from_rsa_der(&spki.subject_public_key.data),
                None,
            )
        }
        _ => return Err(Unverified::UnsupportedKey),
    };
    let algorithm =
        signature_algorithm(algorithm_oid, &key_oid).ok_or(Unverified::UnsupportedAlgorithm)?;
    let signature = match fixed_size {
        Some(size) => ecdsa_fixed(signature, size).ok_or(Unverified::BadSignature)?,
        None => signature.to_vec(),
    };
    let verified = jsonwebtoken::crypto::verify(
        &URL_SAFE_NO_PAD.encode(&signature),
        message,
        &decoding,
        algorithm,
    )
    .unwrap_or(false);
    if verified {
        Ok(())
    } else {
        Err(Unverified::BadSignature)
    }
}

/// Parses a PEM-encoded PKCS #10 request, checks its key, and verifies its signature.
pub(super) fn parse(pem: &str) -> Result<RequestKey, Error> {
    if pem.trim().is_empty() {
        return Err(malformed("The certificate signing request is blank."));
    }
    let (_, block) = x509_parser::pem::parse_x509_pem(pem.trim().as_bytes()).map_err(|_| {
        malformed("The certificate signing request is not a valid PEM-encoded PKCS #10 request.")
    })?;
    if !matches!(
        block.label.as_str(),
        "CERTIFICATE REQUEST" | "NEW CERTIFICATE REQUEST"
    ) {
        return Err(malformed(
            "The certificate signing request is not a valid PEM-encoded PKCS #10 request.",
        ));
    }
    let (rest, csr) = X509CertificationRequest::from_der(&block.contents).map_err(|_| {
        malformed("The certificate signing request is not a valid PEM-encoded PKCS #10 request.")
    })?;
    if !rest.is_empty() {
        return Err(malformed(
            "The certificate signing request is not a valid PEM-encoded PKCS #10 request.",
        ));
    }
    let info = &csr.certification_request_info;
    match verify_signature(
        &info.subject_pki,
        &csr.signature_algorithm.algorithm.to_id_string(),
        &csr.signature_value.data,
        info.raw,
    ) {
        Ok(()) => {}
        Err(Unverified::UnsupportedKey) => {
            return Err(malformed(
                "The certificate signing request uses a key type or key size that the signer does not support.",
            ));
        }
        Err(Unverified::UnsupportedAlgorithm) => {
            return Err(malformed(
                "The certificate signing request is signed with an algorithm that does not match its key or is not supported.",
            ));
        }
        Err(Unverified::BadSignature) => {
            return Err(malformed(
                "The signature of the certificate signing request does not verify.",
            ));
        }
    }
    let spki = &info.subject_pki;
    Ok(RequestKey {
        spki_der: spki.raw.to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecdsa_signatures_become_fixed_size() {
        // r = 0x00ff (a leading zero for the sign), s = 0x01.
        let der = [0x30, 0x07, 0x02, 0x02, 0x00, 0xff, 0x02, 0x01, 0x01];
        let fixed = ecdsa_fixed(&der, 4).expect("a signature");
        assert_eq!(fixed, vec![0, 0, 0, 0xff, 0, 0, 0, 1]);
        assert_eq!(ecdsa_fixed(&der[..5], 4), None);
        assert_eq!(ecdsa_fixed(&[0x31, 0], 4), None);
    }

    fn code_and_message(e: Error) -> (String, String) {
        match e {
            Error::Aws(a) => (a.code().to_string(), a.message().to_string()),
            other => panic!("{other}"),
        }
    }

    #[test]
    fn garbage_is_malformed() {
        for text in [
            "",
            "   ",
            "hello",
            "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n",
            "-----BEGIN PUBLIC KEY-----\nMAA=\n-----END PUBLIC KEY-----\n",
        ] {
            let (code, _) = code_and_message(parse(text).unwrap_err());
            assert_eq!(
                code, "MalformedCertificateSigningRequestException",
                "{text}"
            );
        }
        let (_, message) = code_and_message(parse(" ").unwrap_err());
        assert_eq!(message, "The certificate signing request is blank.");
    }

    #[test]
    fn signed_requests_verify_and_give_their_key() {
        for text in [
            include_str!("testdata/p256.csr"),
            include_str!("testdata/p384.csr"),
            include_str!("testdata/rsa2048.csr"),
        ] {
            let key = parse(text).expect("a valid request");
            let (_, block) = x509_parser::pem::parse_x509_pem(text.as_bytes()).unwrap();
            let (_, csr) = X509CertificationRequest::from_der(&block.contents).unwrap();
            assert_eq!(key.spki_der, csr.certification_request_info.subject_pki.raw);
        }
    }

    #[test]
    fn unsupported_keys_and_bad_signatures_are_malformed() {
        for text in [
            include_str!("testdata/p521.csr"),
            include_str!("testdata/rsa1024.csr"),
        ] {
            let (code, message) = code_and_message(parse(text).unwrap_err());
            assert_eq!(code, "MalformedCertificateSigningRequestException");
            assert!(message.contains("key type or key size"), "{message}");
        }
        // The subject changed after signing: the signature no longer verifies.
        let text = include_str!("testdata/p256.csr");
        let (_, block) = x509_parser::pem::parse_x509_pem(text.as_bytes()).unwrap();
        let mut der = block.contents.clone();
        let at = der
            .windows(7)
            .position(|w| w == b"ignored")
            .expect("the subject CN");
        der[at] = b'I';
        let body = base64::engine::general_purpose::STANDARD.encode(&der);
        let altered = format!(
            "-----BEGIN CERTIFICATE REQUEST-----\n{body}\n-----END CERTIFICATE REQUEST-----\n"
        );
        let (code, message) = code_and_message(parse(&altered).unwrap_err());
        assert_eq!(code, "MalformedCertificateSigningRequestException");
        assert_eq!(
            message,
            "The signature of the certificate signing request does not verify."
        );
    }
}
