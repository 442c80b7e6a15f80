//! The local certificate authorities Portcullis stands in for AWS Private CA with.
//!
//! An X.509 outbound signer of a workload identity provider names an AWS Private CA
//! certificate authority by its ID and owning account. Portcullis has no Private CA
//! service, so when such an authority is attached it makes one locally: an EC P-256 key
//! (key algorithm `EC_prime256v1`, which signs with ECDSA SHA-256 as IAM's rule for that
//! key algorithm says) and a self-signed root certificate whose subject is `CN=<CA ID>`,
//! valid for ten years. The key is kept encrypted with the server key on the signer
//! ([`portcullis_store::WorkloadX509Signer`]); the certificate is the trust anchor IAM
//! publishes. [`issue_leaf`] signs X509-SVID leaf certificates with it (used by STS).

use crate::error::Error;
use crate::secrets::{ServerKey, random_bytes};
use p256::ecdsa::{DerSignature, SigningKey};
use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
use portcullis_store::WorkloadX509Signer;
use std::str::FromStr;
use std::time::{Duration, UNIX_EPOCH};
use x509_cert::Certificate;
use x509_cert::builder::{Builder, CertificateBuilder, Profile};
use x509_cert::der::asn1::{Ia5String, ObjectIdentifier};
use x509_cert::der::{Decode, DecodePem, EncodePem};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{ExtendedKeyUsage, SubjectAltName};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::SubjectPublicKeyInfoOwned;
use x509_cert::time::{Time, Validity};

/// The AWS Private CA key algorithm of every local certificate authority.
pub(crate) const KEY_ALGORITHM: &str = "EC_prime256v1";

/// `id-kp-serverAuth` (RFC 5280).
const SERVER_AUTH: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.1");
/// `id-kp-clientAuth` (RFC 5280).
const CLIENT_AUTH: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.2");

/// How long a local certificate authority's certificate is valid (ten years).
pub(crate) const CA_VALIDITY_MILLIS: i64 = 10 * 365 * 24 * 3600 * 1000;

/// A certificate authority's signing material, opened.
#[derive(Debug, Clone)]
pub(crate) struct CaMaterial {
    /// The key algorithm (`EC_prime256v1`).
    pub key_algorithm: String,
    /// The private key, PKCS#8 PEM.
    pub key_pem: String,
    /// The self-signed CA certificate, PEM.
    pub certificate_pem: String,
}

impl CaMaterial {
    /// The material of an X.509 signer, its key decrypted with the server key; `None` when
    /// the key cannot be decrypted.
    pub(crate) fn open(server_key: &ServerKey, signer: &WorkloadX509Signer) -> Option<CaMaterial> {
        Some(CaMaterial {
            key_algorithm: signer.key_algorithm.clone(),
            key_pem: server_key.decrypt(&signer.ca_key_ciphertext)?,
            certificate_pem: signer.ca_certificate.clone(),
        })
    }
}

fn failed(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Config(format!("{what}: {e}"))
}

/// A positive 16-byte serial number, DER-minimal.
fn serial() -> Result<SerialNumber, Error> {
    let mut bytes = random_bytes::<16>();
    bytes[0] = (bytes[0] & 0x7f) | 0x40;
    SerialNumber::new(&bytes).map_err(|e| failed("making a serial number", e))
}

fn time(millis: i64) -> Result<Time, Error> {
    let at = UNIX_EPOCH + Duration::from_millis(millis.max(0) as u64);
    Time::try_from(at).map_err(|e| failed("encoding a certificate time", e))
}

fn new_p256_key() -> Result<SigningKey, Error> {
    loop {
        if let Ok(key) = SigningKey::from_slice(&random_bytes::<32>()) {
            return Ok(key);
        }
    }
}

/// Makes a local certificate authority named `ca_id`: a new P-256 key and a self-signed
/// root certificate (`CN=<ca_id>`) valid from `now_millis` for ten years.
pub(crate) fn make_ca(ca_id: &str, now_millis: i64) -> Result<CaMaterial, Error> {
    let key = new_p256_key()?;
    let subject = Name::from_str(&format!("CN={ca_id}"))
        .map_err(|e| failed("naming the certificate authority", e))?;
    let spki = SubjectPublicKeyInfoOwned::from_key(*key.verifying_key())
        .map_err(|e| failed("encoding the CA public key", e))?;
    let validity = Validity {
        not_before: time(now_millis)?,
        not_after: time(now_millis + CA_VALIDITY_MILLIS)?,
    };
    let builder = CertificateBuilder::new(Profile::Root, serial()?, validity, subject, spki, &key)
        .map_err(|e| failed("building the CA certificate", e))?;
    let cert = builder
        .build::<DerSignature>()
        .map_err(|e| failed("signing the CA certificate", e))?;
    let certificate_pem = cert
        .to_pem(LineEnding::LF)
        .map_err(|e| failed("encoding the CA certificate", e))?;
    let key_pem = key
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| failed("encoding the CA key", e))?
        .to_string();
    Ok(CaMaterial {
        key_algorithm: KEY_ALGORITHM.to_string(),
        key_pem,
        certificate_pem,
    })
}

/// Issues an X509-SVID leaf certificate: the public key `spki_der` (a DER
/// SubjectPublicKeyInfo), the SPIFFE ID `spiffe_uri` as its only URI SAN (critical, the
/// subject being empty), valid from `not_before` to `not_after` (milliseconds since the
/// Unix epoch), signed by `ca`. Basic constraints say it is no CA; its key usage is digital
/// signature, its extended key usage TLS server and client authentication (STS documents
/// X509-SVIDs as good for both). Returns the PEM certificate. InvalidInput when `spki_der`
/// is not a public key or `spiffe_uri` is not an IA5 string.
pub(crate) fn issue_leaf(
    ca: &CaMaterial,
    spki_der: &[u8],
    spiffe_uri: &str,
    not_before: i64,
    not_after: i64,
) -> Result<String, Error> {
    let key =
        SigningKey::from_pkcs8_pem(&ca.key_pem).map_err(|e| failed("opening the CA key", e))?;
    let ca_cert = Certificate::from_pem(ca.certificate_pem.as_bytes())
        .map_err(|e| failed("reading the CA certificate", e))?;
    let spki = SubjectPublicKeyInfoOwned::from_der(spki_der).map_err(|_| {
        Error::invalid_input("The public key is not a valid DER SubjectPublicKeyInfo.")
    })?;
    let uri = Ia5String::new(spiffe_uri)
        .map_err(|_| Error::invalid_input("The SPIFFE ID is not a valid URI."))?;
    let validity = Validity {
        not_before: time(not_before)?,
        not_after: time(not_after)?,
    };
    let profile = Profile::Leaf {
        issuer: ca_cert.tbs_certificate.subject.clone(),
        enable_key_agreement: false,
        enable_key_encipherment: false,
    };
    let mut builder =
        CertificateBuilder::new(profile, serial()?, validity, Name::default(), spki, &key)
            .map_err(|e| failed("building the leaf certificate", e))?;
    builder
        .add_extension(&SubjectAltName(vec![
            GeneralName::UniformResourceIdentifier(uri),
        ]))
        .map_err(|e| failed("adding the SPIFFE ID", e))?;
    builder
        .add_extension(&ExtendedKeyUsage(vec![SERVER_AUTH, CLIENT_AUTH]))
        .map_err(|e| failed("adding the extended key usage", e))?;
    let cert = builder
        .build::<DerSignature>()
        .map_err(|e| failed("signing the leaf certificate", e))?;
    cert.to_pem(LineEnding::LF)
        .map_err(|e| failed("encoding the leaf certificate", e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use x509_parser::extensions::{GeneralName as ParsedName, ParsedExtension};
    use x509_parser::pem::parse_x509_pem;

    /// Asserts that `issuer`'s P-256 key signed `cert`.
    fn verify(
        cert: &x509_parser::certificate::X509Certificate<'_>,
        issuer: &x509_parser::certificate::X509Certificate<'_>,
    ) {
        use p256::ecdsa::signature::Verifier;
        let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(
            &issuer.public_key().subject_public_key.data,
        )
        .unwrap();
        let signature = DerSignature::try_from(&cert.signature_value.data[..]).unwrap();
        key.verify(cert.tbs_certificate.as_ref(), &signature)
            .expect("a valid signature");
    }

    fn parse(pem: &str) -> Vec<u8> {
        parse_x509_pem(pem.as_bytes()).unwrap().1.contents
    }

    #[test]
    fn makes_a_self_signed_root() {
        let ca = make_ca("a1b2c3d4-5678-90ab-cdef-EXAMPLE11111", 1_700_000_000_000).unwrap();
        assert_eq!(ca.key_algorithm, "EC_prime256v1");
        let der = parse(&ca.certificate_pem);
        let (_, cert) = x509_parser::parse_x509_certificate(&der).unwrap();
        assert_eq!(
            cert.subject().to_string(),
            "CN=a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"
        );
        assert_eq!(cert.subject(), cert.issuer());
        assert!(cert.is_ca());
        assert_eq!(cert.validity().not_before.timestamp(), 1_700_000_000);
        assert_eq!(
            cert.validity().not_after.timestamp(),
            1_700_000_000 + CA_VALIDITY_MILLIS / 1000
        );
        verify(&cert, &cert);
        assert!(ca.key_pem.starts_with("-----BEGIN PRIVATE KEY-----"));
    }

    #[test]
    fn issues_leaves_the_ca_verifies() {
        let ca = make_ca("ca-1", 1_700_000_000_000).unwrap();
        let ca_der = parse(&ca.certificate_pem);
        let (_, ca_cert) = x509_parser::parse_x509_certificate(&ca_der).unwrap();
        let workload = new_p256_key().unwrap();
        let spki = SubjectPublicKeyInfoOwned::from_key(*workload.verifying_key()).unwrap();
        let spki_der = x509_cert::der::Encode::to_der(&spki).unwrap();
        let leaf_pem = issue_leaf(
            &ca,
            &spki_der,
            "spiffe://example.org/payments/api",
            1_700_000_000_000,
            1_700_003_600_000,
        )
        .unwrap();
        let der = parse(&leaf_pem);
        let (_, leaf) = x509_parser::parse_x509_certificate(&der).unwrap();
        assert_eq!(leaf.issuer(), ca_cert.subject());
        assert!(!leaf.is_ca());
        assert_eq!(leaf.public_key().raw, &spki_der[..]);
        assert_eq!(leaf.validity().not_before.timestamp(), 1_700_000_000);
        assert_eq!(leaf.validity().not_after.timestamp(), 1_700_003_600);
        verify(&leaf, &ca_cert);
        let san = leaf
            .extensions()
            .iter()
            .find_map(|e| match e.parsed_extension() {
                ParsedExtension::SubjectAlternativeName(s) => Some((e.critical, s)),
                _ => None,
            })
            .expect("a SAN");
        assert!(san.0, "critical: the subject is empty");
        assert_eq!(
            san.1.general_names,
            vec![ParsedName::URI("spiffe://example.org/payments/api")]
        );
        let usage = leaf.key_usage().unwrap().unwrap().value;
        assert!(usage.digital_signature() && !usage.key_cert_sign());
        let eku = leaf.extended_key_usage().unwrap().unwrap().value;
        assert!(eku.server_auth && eku.client_auth);
    }

    #[test]
    fn refuses_what_is_not_a_public_key() {
        let ca = make_ca("ca-2", 1_700_000_000_000).unwrap();
        let e = issue_leaf(&ca, b"nope", "spiffe://x/y", 0, 1000)
            .unwrap_err()
            .into_aws();
        assert_eq!(e.code(), "InvalidInput");
    }
}
