//! PEM and DER as the certificate and key operations need them: X.509 certificates (read
//! with `x509-parser`), private keys (PKCS #1, PKCS #8, SEC 1) checked against a
//! certificate's public key, and RSA public keys written as DER `SubjectPublicKeyInfo`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use x509_parser::prelude::FromDer;
use x509_parser::public_key::PublicKey;

/// What was read from a PEM certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CertificateInfo {
    /// The end of its validity (notAfter), in milliseconds since the Unix epoch.
    pub not_after: i64,
    /// The public key: the RSA modulus (without leading zeros), or the EC point.
    pub public_key: KeyMaterial,
}

/// The part of a key pair that a private key and a certificate share.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum KeyMaterial {
    /// An RSA modulus, big-endian, without leading zero bytes.
    Rsa(Vec<u8>),
    /// An elliptic-curve public point (uncompressed or compressed encoding).
    Ec(Vec<u8>),
    /// An EC private key that does not carry its public point: it cannot be compared.
    EcWithoutPublicKey,
    /// Another algorithm.
    Other,
}

fn strip_zeros(bytes: &[u8]) -> Vec<u8> {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    bytes[start..].to_vec()
}

/// Reads the first certificate of a PEM text; `None` when it is not one.
pub(crate) fn parse_certificate(pem: &str) -> Option<CertificateInfo> {
    let (_, block) = x509_parser::pem::parse_x509_pem(pem.trim().as_bytes()).ok()?;
    if block.label != "CERTIFICATE" {
        return None;
    }
    let cert = block.parse_x509().ok()?;
    let public_key = match cert.public_key().parsed().ok()? {
        PublicKey::RSA(rsa) => KeyMaterial::Rsa(strip_zeros(rsa.modulus)),
        PublicKey::EC(point) => KeyMaterial::Ec(point.data().to_vec()),
        _ => KeyMaterial::Other,
    };
    Some(CertificateInfo {
        not_after: cert.validity().not_after.timestamp() * 1000,
        public_key,
    })
}

/// Every PEM block of a text: its label and decoded body.
pub(crate) fn pem_blocks(text: &str) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("-----BEGIN ") {
        let after = &rest[start + 11..];
        let Some(label_end) = after.find("-----") else {
            break;
        };
        let label = &after[..label_end];
        let body_start = &after[label_end + 5..];
        let end_marker = format!("-----END {label}-----");
        let Some(body_end) = body_start.find(&end_marker) else {
            break;
        };
        let body: String = body_start[..body_end]
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        match STANDARD.decode(body) {
            Ok(der) => out.push((label.to_string(), der)),
            Err(_) => out.push((label.to_string(), Vec::new())),
        }
        rest = &body_start[body_end + end_marker.len()..];
    }
    out
}

/// A DER TLV: its tag, its contents, and what follows it.
fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, &rest[n..])
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

/// The elements of a DER SEQUENCE.
fn sequence(der: &[u8]) -> Option<Vec<(u8, &[u8])>> {
    let (tag, mut body, _) = tlv(der)?;
    if tag != 0x30 {
        return None;
    }
    let mut items = Vec::new();
    while !body.is_empty() {
        let (t, content, rest) = tlv(body)?;
        items.push((t, content));
        body = rest;
    }
    Some(items)
}

/// RSAPrivateKey (PKCS #1): version, modulus, …
fn pkcs1(der: &[u8]) -> Option<KeyMaterial> {
    let items = sequence(der)?;
    match items.as_slice() {
        [(0x02, _), (0x02, modulus), (0x02, _), ..] => Some(KeyMaterial::Rsa(strip_zeros(modulus))),
        _ => None,
    }
}

/// ECPrivateKey (SEC 1): version, private key, [0] parameters, [1] public key.
fn sec1(der: &[u8]) -> Option<KeyMaterial> {
    let items = sequence(der)?;
    if !matches!(items.as_slice(), [(0x02, _), (0x04, _), ..]) {
        return None;
    }
    for (tag, content) in &items[2..] {
        if *tag == 0xa1 {
            let (t, bits, _) = tlv(content)?;
            if t != 0x03 || bits.is_empty() {
                return None;
            }
            return Some(KeyMaterial::Ec(bits[1..].to_vec()));
        }
    }
    Some(KeyMaterial::EcWithoutPublicKey)
}

/// PrivateKeyInfo (PKCS #8): version, algorithm, the key (PKCS #1 or SEC 1).
fn pkcs8(der: &[u8]) -> Option<KeyMaterial> {
    let items = sequence(der)?;
    let [(0x02, _), (0x30, _), (0x04, key), ..] = items.as_slice() else {
        return None;
    };
    pkcs1(key)
        .or_else(|| sec1(key))
        .or(Some(KeyMaterial::Other))
}

/// Reads an unencrypted PEM private key (`RSA PRIVATE KEY`, `EC PRIVATE KEY` or
/// `PRIVATE KEY`); `None` when it is none of these or cannot be read.
pub(crate) fn parse_private_key(pem: &str) -> Option<KeyMaterial> {
    let blocks = pem_blocks(pem);
    let (label, der) = blocks
        .iter()
        .find(|(l, _)| l.ends_with("PRIVATE KEY") && l != "ENCRYPTED PRIVATE KEY")?;
    match label.as_str() {
        "RSA PRIVATE KEY" => pkcs1(der),
        "EC PRIVATE KEY" => sec1(der),
        "PRIVATE KEY" => pkcs8(der),
        _ => None,
    }
}

/// Whether a private key belongs to a certificate's public key. An EC key without its
/// public point is accepted (it cannot be compared without curve arithmetic).
pub(crate) fn key_matches(private: &KeyMaterial, certificate: &KeyMaterial) -> bool {
    match (private, certificate) {
        (KeyMaterial::EcWithoutPublicKey, KeyMaterial::Ec(_)) => true,
        (KeyMaterial::Other, KeyMaterial::Other) => true,
        (a, b) => a == b,
    }
}

fn der_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
}

fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    der_len(&mut out, content.len());
    out.extend_from_slice(content);
    out
}

fn der_integer(magnitude: &[u8]) -> Vec<u8> {
    let mut m = strip_zeros(magnitude);
    if m.is_empty() || m[0] & 0x80 != 0 {
        m.insert(0, 0);
    }
    der(0x02, &m)
}

/// The DER `SubjectPublicKeyInfo` of an RSA public key (modulus and exponent big-endian).
pub(crate) fn rsa_spki(modulus: &[u8], exponent: &[u8]) -> Vec<u8> {
    let algorithm = der(
        0x30,
        &[
            der(
                0x06,
                &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01],
            ),
            vec![0x05, 0x00],
        ]
        .concat(),
    );
    let key = der(
        0x30,
        &[der_integer(modulus), der_integer(exponent)].concat(),
    );
    let mut bits = vec![0u8];
    bits.extend(key);
    der(0x30, &[algorithm, der(0x03, &bits)].concat())
}

/// Reads the RSA modulus and exponent of a DER `SubjectPublicKeyInfo` (or of a PKCS #1
/// `RSAPublicKey`); `None` for another kind of key.
pub(crate) fn rsa_public_key(der: &[u8], pkcs1: bool) -> Option<(Vec<u8>, Vec<u8>)> {
    if pkcs1 {
        let items = sequence(der)?;
        return match items.as_slice() {
            [(0x02, n), (0x02, e)] => Some((strip_zeros(n), strip_zeros(e))),
            _ => None,
        };
    }
    let (_, spki) = x509_parser::x509::SubjectPublicKeyInfo::from_der(der).ok()?;
    match spki.parsed().ok()? {
        PublicKey::RSA(rsa) => Some((strip_zeros(rsa.modulus), strip_zeros(rsa.exponent))),
        _ => None,
    }
}

/// A DER body as PEM with this label, in lines of 64 characters.
pub(crate) fn to_pem(label: &str, der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A self-signed RSA 2048 certificate (CN=portcullis.test, valid until
    /// 2036-11-30T18:06:38Z), made with OpenSSL for these tests.
    pub(crate) const CERT: &str = include_str!("iam/testdata/server.crt");
    /// The certificate's private key (PKCS #8).
    pub(crate) const KEY: &str = include_str!("iam/testdata/server.key");
    /// Another RSA key (PKCS #1), which does not match the certificate.
    pub(crate) const OTHER_KEY: &str = include_str!("iam/testdata/other.key");
    /// An EC P-256 certificate and its SEC 1 key.
    pub(crate) const EC_CERT: &str = include_str!("iam/testdata/ec.crt");
    /// The EC certificate's key.
    pub(crate) const EC_KEY: &str = include_str!("iam/testdata/ec.key");

    #[test]
    fn reads_certificates() {
        let info = parse_certificate(CERT).unwrap();
        assert_eq!(info.not_after, 2_111_681_198_000);
        let KeyMaterial::Rsa(n) = &info.public_key else {
            panic!("an RSA key")
        };
        assert_eq!(n.len(), 256);
        assert!(parse_certificate("not a certificate").is_none());
        assert!(parse_certificate(KEY).is_none());
        let truncated = &CERT[..CERT.len() / 2];
        assert!(parse_certificate(truncated).is_none());
    }

    #[test]
    fn matches_private_keys_to_certificates() {
        let cert = parse_certificate(CERT).unwrap().public_key;
        let key = parse_private_key(KEY).unwrap();
        assert!(key_matches(&key, &cert));
        let other = parse_private_key(OTHER_KEY).unwrap();
        assert!(matches!(other, KeyMaterial::Rsa(_)));
        assert!(!key_matches(&other, &cert));
        let ec_cert = parse_certificate(EC_CERT).unwrap().public_key;
        let ec_key = parse_private_key(EC_KEY).unwrap();
        assert!(key_matches(&ec_key, &ec_cert));
        assert!(!key_matches(&ec_key, &cert));
        assert!(
            parse_private_key("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----")
                .is_none()
        );
        assert!(parse_private_key(CERT).is_none());
    }

    #[test]
    fn writes_rsa_public_keys_that_read_back() {
        let n: Vec<u8> = (1..=255u8).collect();
        let spki = rsa_spki(&[&[0x80][..], &n].concat(), &[1, 0, 1]);
        let (modulus, exponent) = rsa_public_key(&spki, false).unwrap();
        assert_eq!(modulus[0], 0x80);
        assert_eq!(modulus.len(), 256);
        assert_eq!(exponent, [1, 0, 1]);
        let pem = to_pem("PUBLIC KEY", &spki);
        assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
        assert_eq!(pem_blocks(&pem), [("PUBLIC KEY".to_string(), spki)]);
    }
}
