//! Verifying an enveloped XML signature (XML Signature Syntax and Processing) the way
//! SAML 2.0 uses it (SAML 2.0 Core, section 5.4): a `ds:Signature` child of the signed
//! element, whose one `Reference` names that element by its `ID` and transforms it with
//! enveloped-signature then Exclusive XML Canonicalization.
//!
//! Accepted: canonicalization `http://www.w3.org/2001/10/xml-exc-c14n#` (and its
//! `#WithComments` variant for `SignedInfo`), with an `InclusiveNamespaces` `PrefixList`;
//! signature methods RSA PKCS #1 v1.5 with SHA-1, SHA-256, SHA-384 or SHA-512; the same
//! digest methods. Anything else (inclusive canonicalization, other transforms, several
//! references, ECDSA or HMAC signatures) is refused.
//!
//! The reference is never looked up by ID in the document: it must name the very element
//! that encloses the signature, and that element is the one whose content the caller then
//! reads, so a signature cannot vouch for an element other than the one used (XML
//! signature wrapping).

use super::c14n::{Options, canonicalize, prefix_list};
use super::xml::Element;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rsa::{Pkcs1v15Sign, RsaPublicKey};
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha384, Sha512};

/// The XML Signature namespace.
pub(crate) const DSIG_NS: &str = "http://www.w3.org/2000/09/xmldsig#";
/// Exclusive XML Canonicalization 1.0, without comments.
pub(crate) const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
/// Exclusive XML Canonicalization 1.0, with comments.
pub(crate) const EXC_C14N_WITH_COMMENTS: &str =
    "http://www.w3.org/2001/10/xml-exc-c14n#WithComments";
/// The enveloped-signature transform.
pub(crate) const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";

/// A hash function of a digest or signature method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hash {
    /// SHA-1.
    Sha1,
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl Hash {
    /// The hash of a `DigestMethod` algorithm URI.
    pub(crate) fn of_digest_method(uri: &str) -> Option<Hash> {
        Some(match uri {
            "http://www.w3.org/2000/09/xmldsig#sha1" => Hash::Sha1,
            "http://www.w3.org/2001/04/xmlenc#sha256" => Hash::Sha256,
            "http://www.w3.org/2001/04/xmldsig-more#sha384" => Hash::Sha384,
            "http://www.w3.org/2001/04/xmlenc#sha512" => Hash::Sha512,
            _ => return None,
        })
    }

    /// The hash of an RSA `SignatureMethod` algorithm URI.
    pub(crate) fn of_rsa_signature_method(uri: &str) -> Option<Hash> {
        Some(match uri {
            "http://www.w3.org/2000/09/xmldsig#rsa-sha1" => Hash::Sha1,
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256" => Hash::Sha256,
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384" => Hash::Sha384,
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512" => Hash::Sha512,
            _ => return None,
        })
    }

    /// The hash of `data`.
    pub(crate) fn hash(self, data: &[u8]) -> Vec<u8> {
        match self {
            Hash::Sha1 => Sha1::digest(data).to_vec(),
            Hash::Sha256 => Sha256::digest(data).to_vec(),
            Hash::Sha384 => Sha384::digest(data).to_vec(),
            Hash::Sha512 => Sha512::digest(data).to_vec(),
        }
    }

    /// The DER `DigestInfo` header that precedes the hash in an RSA PKCS #1 v1.5 signature
    /// (RFC 8017, section 9.2, note 1).
    fn digest_info(self) -> &'static [u8] {
        match self {
            Hash::Sha1 => &[
                0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04,
                0x14,
            ],
            Hash::Sha256 => &[
                0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x01, 0x05, 0x00, 0x04, 0x20,
            ],
            Hash::Sha384 => &[
                0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x02, 0x05, 0x00, 0x04, 0x30,
            ],
            Hash::Sha512 => &[
                0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x03, 0x05, 0x00, 0x04, 0x40,
            ],
        }
    }

    /// The PKCS #1 v1.5 padding scheme of RSA signatures over this hash.
    pub(crate) fn pkcs1v15(self) -> Pkcs1v15Sign {
        let prefix = self.digest_info();
        Pkcs1v15Sign {
            hash_len: Some(usize::from(prefix[prefix.len() - 1])),
            prefix: prefix.into(),
        }
    }
}

/// What is wrong with a signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flaw {
    /// Not the structure XML Signature prescribes (or base64 that does not decode).
    Structure,
    /// An algorithm or transform this verifier does not accept.
    Algorithm,
    /// The reference does not name the element that encloses the signature.
    Reference,
    /// The digest of the signed element does not match: its content changed.
    Digest,
    /// No key verifies the signature of `SignedInfo`.
    Signature,
}

/// Decodes base64 that may be broken into lines.
pub(crate) fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    STANDARD.decode(compact).ok()
}

/// The next child element, which must be `local` in the XML Signature namespace.
fn expect<'a>(
    it: &mut impl Iterator<Item = &'a Element>,
    local: &str,
) -> Result<&'a Element, Flaw> {
    it.next()
        .filter(|e| e.is(DSIG_NS, local))
        .ok_or(Flaw::Structure)
}

/// Reads a canonicalization method (`CanonicalizationMethod` or a canonicalization
/// `Transform`): whether it keeps comments, and its inclusive prefixes.
fn exclusive_c14n(method: &Element) -> Result<(bool, Vec<String>), Flaw> {
    let comments = match method.attr("Algorithm") {
        Some(EXC_C14N) => false,
        Some(EXC_C14N_WITH_COMMENTS) => true,
        _ => return Err(Flaw::Algorithm),
    };
    let mut prefixes = Vec::new();
    for e in method.elements() {
        if !e.is(EXC_C14N, "InclusiveNamespaces") {
            return Err(Flaw::Structure);
        }
        prefixes.extend(prefix_list(e.attr("PrefixList").unwrap_or("")));
    }
    Ok((comments, prefixes))
}

/// Verifies `signature`, a child of `signed`, as an enveloped signature of `signed` by one
/// of `keys`.
pub(crate) fn verify_enveloped(
    signed: &Element,
    signature: &Element,
    keys: &[RsaPublicKey],
) -> Result<(), Flaw> {
    let mut parts = signature.elements();
    let signed_info = expect(&mut parts, "SignedInfo")?;
    let signature_value = expect(&mut parts, "SignatureValue")?;

    let mut info = signed_info.elements();
    let (comments, info_prefixes) = exclusive_c14n(expect(&mut info, "CanonicalizationMethod")?)?;
    let method = expect(&mut info, "SignatureMethod")?;
    let signature_hash = method
        .attr("Algorithm")
        .and_then(Hash::of_rsa_signature_method)
        .ok_or(Flaw::Algorithm)?;
    let reference = expect(&mut info, "Reference")?;
    if info.next().is_some() {
        return Err(Flaw::Structure);
    }

    let id = signed.attr("ID").ok_or(Flaw::Reference)?;
    match reference.attr("URI") {
        Some(uri) if uri.strip_prefix('#') == Some(id) => {}
        _ => return Err(Flaw::Reference),
    }
    // The transforms must be enveloped-signature then exclusive canonicalization: without
    // the latter the node set would be converted with inclusive canonicalization, which is
    // not accepted. The node set of a reference never has comments (XML Signature,
    // section 4.4.3.3), whichever variant is named.
    let mut steps = reference.elements();
    let mut transforms = expect(&mut steps, "Transforms")?.elements();
    if expect(&mut transforms, "Transform")?.attr("Algorithm") != Some(ENVELOPED) {
        return Err(Flaw::Algorithm);
    }
    let reference_prefixes = exclusive_c14n(expect(&mut transforms, "Transform")?)?.1;
    if transforms.next().is_some() {
        return Err(Flaw::Algorithm);
    }
    let digest_hash = expect(&mut steps, "DigestMethod")?
        .attr("Algorithm")
        .and_then(Hash::of_digest_method)
        .ok_or(Flaw::Algorithm)?;
    let digest_value =
        decode_base64(&expect(&mut steps, "DigestValue")?.text()).ok_or(Flaw::Structure)?;
    if steps.next().is_some() {
        return Err(Flaw::Structure);
    }

    let content = canonicalize(
        signed,
        Options {
            inclusive: &reference_prefixes,
            comments: false,
            exclude: Some(signature),
        },
    );
    if digest_hash.hash(&content) != digest_value {
        return Err(Flaw::Digest);
    }

    let canonical_info = canonicalize(
        signed_info,
        Options {
            inclusive: &info_prefixes,
            comments,
            exclude: None,
        },
    );
    let hashed = signature_hash.hash(&canonical_info);
    let value = decode_base64(&signature_value.text()).ok_or(Flaw::Structure)?;
    if keys
        .iter()
        .any(|k| k.verify(signature_hash.pkcs1v15(), &hashed, &value).is_ok())
    {
        Ok(())
    } else {
        Err(Flaw::Signature)
    }
}
