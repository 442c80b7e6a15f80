//! SAML 2.0 responses presented to AssumeRoleWithSAML: decoding one, verifying its XML
//! signature with the keys of the provider's metadata, and reading what its assertion
//! says. The rules STS applies to what it says (issuer, audience, times, the role and
//! session attributes) and their AWS errors belong to the operation (`sts::saml`).
//!
//! A response is accepted when it is base64 of a well-formed SAML 2.0 `samlp:Response`
//! (see [`xml`] for what the reader refuses) with status `Success`, exactly one
//! `saml:Assertion` and no other ID-carrying elements sharing an ID, and when the response,
//! its assertion or both carry an enveloped signature: every such signature must verify
//! ([`dsig`]) with a key of the metadata. Encrypted assertions are not supported.

pub(crate) mod c14n;
pub(crate) mod dsig;
pub(crate) mod xml;

use dsig::{DSIG_NS, Flaw, decode_base64, verify_enveloped};
use rsa::{BigUint, RsaPublicKey};
use std::collections::HashSet;
use x509_parser::public_key::PublicKey;
use xml::Element;

/// The SAML 2.0 protocol namespace.
pub(crate) const PROTOCOL_NS: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
/// The SAML 2.0 assertion namespace.
pub(crate) const ASSERTION_NS: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
/// The SAML 2.0 metadata namespace.
pub(crate) const METADATA_NS: &str = "urn:oasis:names:tc:SAML:2.0:metadata";
/// The status code of a successful response.
const SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";

/// Why a response is refused before what its assertion says is looked at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Not base64 of a well-formed SAML 2.0 response with one assertion: what is wrong.
    Malformed(&'static str),
    /// The response's status code, which is not success.
    Status(String),
    /// The assertion is encrypted.
    Encrypted,
    /// Neither the response nor its assertion is signed.
    Unsigned,
    /// A signature does not verify.
    Signature(Flaw),
}

/// The subject's name identifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NameId {
    /// The value.
    pub value: String,
    /// The `Format` attribute.
    pub format: Option<String>,
}

/// A `SubjectConfirmation` with its `SubjectConfirmationData`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Confirmation {
    /// The `Method` (`urn:oasis:names:tc:SAML:2.0:cm:bearer`).
    pub method: String,
    /// Where the assertion may be presented.
    pub recipient: Option<String>,
    /// Not before this time.
    pub not_before: Option<i64>,
    /// Not at or after this time.
    pub not_on_or_after: Option<i64>,
}

/// What a signed assertion says. Times are seconds since the Unix epoch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Assertion {
    /// The `Issuer` of the response, when it names one.
    pub response_issuer: Option<String>,
    /// The `Issuer` of the assertion.
    pub issuer: String,
    /// The assertion's `IssueInstant`.
    pub issue_instant: i64,
    /// The subject's `NameID`.
    pub name_id: Option<NameId>,
    /// The subject confirmations.
    pub confirmations: Vec<Confirmation>,
    /// `Conditions` `NotBefore`.
    pub not_before: Option<i64>,
    /// `Conditions` `NotOnOrAfter`.
    pub not_on_or_after: Option<i64>,
    /// The audiences of each `AudienceRestriction`.
    pub audience_restrictions: Vec<Vec<String>>,
    /// The earliest `SessionNotOnOrAfter` of the authentication statements.
    pub session_not_on_or_after: Option<i64>,
    /// The attributes: `Name` and values, in document order.
    pub attributes: Vec<(String, Vec<String>)>,
}

impl Assertion {
    /// The values of the attributes named `name` (empty when there is none).
    pub(crate) fn values(&self, name: &str) -> Vec<&str> {
        self.attributes
            .iter()
            .filter(|(n, _)| n == name)
            .flat_map(|(_, values)| values.iter().map(String::as_str))
            .collect()
    }

    /// Whether an attribute named `name` is present.
    #[cfg(test)]
    pub(crate) fn has(&self, name: &str) -> bool {
        self.attributes.iter().any(|(n, _)| n == name)
    }
}

/// The RSA public key of a DER certificate; `None` for another kind of key.
pub(crate) fn rsa_key(der: &[u8]) -> Option<RsaPublicKey> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    match cert.public_key().parsed().ok()? {
        PublicKey::RSA(key) => RsaPublicKey::new(
            BigUint::from_bytes_be(key.modulus),
            BigUint::from_bytes_be(key.exponent),
        )
        .ok(),
        _ => None,
    }
}

/// Reads an `xs:dateTime` as seconds since the Unix epoch.
fn time(text: &str) -> Option<i64> {
    if !text.contains('T') {
        return None;
    }
    let nanos = portcullis_policy::condition::parse_date(text)?;
    i64::try_from(nanos.div_euclid(1_000_000_000)).ok()
}

/// An optional time attribute: `Err` when present and not a time.
fn time_attr(e: &Element, name: &str) -> Result<Option<i64>, Refusal> {
    e.attr(name)
        .map(|t| time(t).ok_or(Refusal::Malformed("a time that is not an xs:dateTime")))
        .transpose()
}

fn trimmed_text(e: &Element) -> String {
    e.text().trim().to_string()
}

/// Decodes, checks and verifies a base64 SAML response with the provider's `keys`, and
/// reads its assertion.
pub(crate) fn read(encoded: &str, keys: &[RsaPublicKey]) -> Result<Assertion, Refusal> {
    let bytes = decode_base64(encoded).ok_or(Refusal::Malformed("not base64"))?;
    let text = String::from_utf8(bytes).map_err(|_| Refusal::Malformed("not UTF-8"))?;
    let response = xml::parse(&text).ok_or(Refusal::Malformed("not well-formed XML"))?;
    if !response.is(PROTOCOL_NS, "Response") {
        return Err(Refusal::Malformed("not a SAML 2.0 Response"));
    }
    let mut ids = HashSet::new();
    for e in response.descendants() {
        for a in e.attributes.iter().filter(|a| a.namespace.is_none()) {
            if matches!(a.local.as_str(), "ID" | "Id" | "id") && !ids.insert(a.value.as_str()) {
                return Err(Refusal::Malformed("two elements with the same ID"));
            }
        }
    }
    let status = response
        .child(PROTOCOL_NS, "Status")
        .and_then(|s| s.child(PROTOCOL_NS, "StatusCode"))
        .and_then(|c| c.attr("Value"))
        .unwrap_or_default();
    if status != SUCCESS {
        return Err(Refusal::Status(status.to_string()));
    }
    if response.child(ASSERTION_NS, "EncryptedAssertion").is_some() {
        return Err(Refusal::Encrypted);
    }
    let mut assertions = response.children_named(ASSERTION_NS, "Assertion");
    let (Some(assertion), None) = (assertions.next(), assertions.next()) else {
        return Err(Refusal::Malformed("not exactly one assertion"));
    };
    let mut signed = false;
    for element in [&response, assertion] {
        let mut signatures = element.children_named(DSIG_NS, "Signature");
        if let Some(signature) = signatures.next() {
            if signatures.next().is_some() {
                return Err(Refusal::Malformed("two signatures on one element"));
            }
            verify_enveloped(element, signature, keys).map_err(Refusal::Signature)?;
            signed = true;
        }
    }
    if !signed {
        return Err(Refusal::Unsigned);
    }
    content(&response, assertion)
}

/// What the (verified) assertion says.
fn content(response: &Element, assertion: &Element) -> Result<Assertion, Refusal> {
    let issuer = assertion
        .child(ASSERTION_NS, "Issuer")
        .map(trimmed_text)
        .ok_or(Refusal::Malformed("an assertion without an Issuer"))?;
    let issue_instant = time_attr(assertion, "IssueInstant")?
        .ok_or(Refusal::Malformed("an assertion without an IssueInstant"))?;
    let subject = assertion.child(ASSERTION_NS, "Subject");
    let name_id = subject
        .and_then(|s| s.child(ASSERTION_NS, "NameID"))
        .map(|n| NameId {
            value: trimmed_text(n),
            format: n.attr("Format").map(str::to_string),
        });
    let mut confirmations = Vec::new();
    for c in subject
        .into_iter()
        .flat_map(|s| s.children_named(ASSERTION_NS, "SubjectConfirmation"))
    {
        let data = c.child(ASSERTION_NS, "SubjectConfirmationData");
        confirmations.push(Confirmation {
            method: c.attr("Method").unwrap_or_default().to_string(),
            recipient: data.and_then(|d| d.attr("Recipient")).map(str::to_string),
            not_before: data
                .map(|d| time_attr(d, "NotBefore"))
                .transpose()?
                .flatten(),
            not_on_or_after: data
                .map(|d| time_attr(d, "NotOnOrAfter"))
                .transpose()?
                .flatten(),
        });
    }
    let conditions = assertion.child(ASSERTION_NS, "Conditions");
    let not_before = conditions
        .map(|c| time_attr(c, "NotBefore"))
        .transpose()?
        .flatten();
    let not_on_or_after = conditions
        .map(|c| time_attr(c, "NotOnOrAfter"))
        .transpose()?
        .flatten();
    let audience_restrictions = conditions
        .into_iter()
        .flat_map(|c| c.children_named(ASSERTION_NS, "AudienceRestriction"))
        .map(|r| {
            r.children_named(ASSERTION_NS, "Audience")
                .map(trimmed_text)
                .collect()
        })
        .collect();
    let mut session_not_on_or_after: Option<i64> = None;
    for statement in assertion.children_named(ASSERTION_NS, "AuthnStatement") {
        if let Some(t) = time_attr(statement, "SessionNotOnOrAfter")? {
            session_not_on_or_after = Some(session_not_on_or_after.map_or(t, |s| s.min(t)));
        }
    }
    let attributes = assertion
        .children_named(ASSERTION_NS, "AttributeStatement")
        .flat_map(|s| s.children_named(ASSERTION_NS, "Attribute"))
        .map(|a| {
            (
                a.attr("Name").unwrap_or_default().to_string(),
                a.children_named(ASSERTION_NS, "AttributeValue")
                    .map(trimmed_text)
                    .collect(),
            )
        })
        .collect();
    Ok(Assertion {
        response_issuer: response.child(ASSERTION_NS, "Issuer").map(trimmed_text),
        issuer,
        issue_instant,
        name_id,
        confirmations,
        not_before,
        not_on_or_after,
        audience_restrictions,
        session_not_on_or_after,
        attributes,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::c14n::{Options, canonicalize};
    use super::dsig::Hash;
    use super::*;
    use crate::pem::pem_blocks;
    use crate::pem::tests::{CERT, KEY, OTHER_KEY};
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use rsa::RsaPrivateKey;
    use rsa::pkcs1::DecodeRsaPrivateKey;
    use rsa::pkcs8::DecodePrivateKey;

    /// Responses signed by xmlsec1 (see `testdata/make-vectors.sh`): the response and its
    /// assertion with RSA-SHA256; the assertion alone with RSA-SHA1.
    const SIGNED_BOTH: &str = include_str!("testdata/signed-both.xml");
    const SIGNED_SHA1: &str = include_str!("testdata/signed-assertion-sha1.xml");

    /// An RSA private key from PEM (PKCS #1 or PKCS #8).
    pub(crate) fn private_key(pem: &str) -> RsaPrivateKey {
        let (label, der) = pem_blocks(pem).remove(0);
        if label == "RSA PRIVATE KEY" {
            RsaPrivateKey::from_pkcs1_der(&der).expect("a PKCS #1 key")
        } else {
            RsaPrivateKey::from_pkcs8_der(&der).expect("a PKCS #8 key")
        }
    }

    /// The test certificate's key (`iam/testdata/server.crt`), which `KEY` signs for.
    pub(crate) fn certificate_key() -> RsaPublicKey {
        rsa_key(&pem_blocks(CERT)[0].1).expect("an RSA certificate")
    }

    /// An enveloped signature template for the element with ID `id`, to fill with
    /// [`sign`]: RSA-SHA256 over exclusive canonicalization, SHA-256 digest.
    pub(crate) fn template(id: &str) -> String {
        format!(
            r##"<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/><ds:Reference URI="#{id}"><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/><ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue>DIGEST-{id}</ds:DigestValue></ds:Reference></ds:SignedInfo><ds:SignatureValue>SIGNATURE-{id}</ds:SignatureValue></ds:Signature>"##
        )
    }

    fn with_id<'a>(root: &'a Element, id: &str) -> &'a Element {
        root.descendants()
            .into_iter()
            .find(|e| e.attr("ID") == Some(id))
            .expect("the element to sign")
    }

    /// Fills the [`template`] of the element with ID `id` in `doc`. The canonical forms
    /// come from this crate's canonicalization, which the xmlsec1 vectors check.
    pub(crate) fn sign(doc: &str, id: &str, key: &RsaPrivateKey) -> String {
        let root = xml::parse(doc).expect("a well-formed template");
        let signed = with_id(&root, id);
        let signature = signed.child(DSIG_NS, "Signature").expect("a template");
        let content = canonicalize(
            signed,
            Options {
                inclusive: &[],
                comments: false,
                exclude: Some(signature),
            },
        );
        let doc = doc.replace(
            &format!("DIGEST-{id}"),
            &STANDARD.encode(Hash::Sha256.hash(&content)),
        );
        let root = xml::parse(&doc).expect("still well-formed");
        let info = with_id(&root, id)
            .child(DSIG_NS, "Signature")
            .and_then(|s| s.child(DSIG_NS, "SignedInfo"))
            .expect("SignedInfo");
        let canonical = canonicalize(
            info,
            Options {
                inclusive: &[],
                comments: false,
                exclude: None,
            },
        );
        let value = key
            .sign(Hash::Sha256.pkcs1v15(), &Hash::Sha256.hash(&canonical))
            .expect("signing");
        doc.replace(&format!("SIGNATURE-{id}"), &STANDARD.encode(value))
    }

    fn read_text(doc: &str) -> Result<Assertion, Refusal> {
        read(&STANDARD.encode(doc), &[certificate_key()])
    }

    /// The text of the first `<Assertion …>…</Assertion>` of a document.
    fn assertion_text(doc: &str) -> &str {
        let start = doc.find("<Assertion ").expect("an assertion");
        let end = doc.find("</Assertion>").expect("its end") + "</Assertion>".len();
        &doc[start..end]
    }

    #[test]
    fn verifies_responses_signed_by_another_implementation() {
        for doc in [SIGNED_BOTH, SIGNED_SHA1] {
            let a = read_text(doc).unwrap();
            assert_eq!(a.issuer, "https://idp.example.com/saml");
            assert_eq!(
                a.response_issuer.as_deref(),
                Some("https://idp.example.com/saml")
            );
            assert_eq!(a.issue_instant, 1_767_225_600);
            let name_id = a.name_id.clone().unwrap();
            assert_eq!(name_id.value, "alice@example.com");
            assert_eq!(
                name_id.format.as_deref(),
                Some("urn:oasis:names:tc:SAML:2.0:nameid-format:persistent")
            );
            assert_eq!(
                a.confirmations,
                vec![Confirmation {
                    method: "urn:oasis:names:tc:SAML:2.0:cm:bearer".into(),
                    recipient: Some("https://signin.aws.amazon.com/saml".into()),
                    not_before: None,
                    not_on_or_after: Some(1_767_225_900),
                }]
            );
            assert_eq!(
                (a.not_before, a.not_on_or_after),
                (Some(1_767_225_540), Some(1_767_225_900))
            );
            assert_eq!(
                a.audience_restrictions,
                vec![vec!["urn:amazon:webservices".to_string()]]
            );
            assert_eq!(a.session_not_on_or_after, Some(1_767_254_400));
            assert_eq!(
                a.values("https://aws.amazon.com/SAML/Attributes/Role"),
                [
                    "arn:aws:iam::123456789012:role/SamlRole,arn:aws:iam::123456789012:saml-provider/ExampleIdP"
                ]
            );
            assert_eq!(
                a.values("urn:example:tricky"),
                ["text & < > \" ' \r tab\tend <cdata> &", ""]
            );
            assert!(a.has("https://aws.amazon.com/SAML/Attributes/RoleSessionName"));
        }
    }

    #[test]
    fn refuses_a_changed_response_or_another_key() {
        let tampered = SIGNED_SHA1.replace("alice@example.com</NameID>", "admin</NameID>");
        assert_eq!(read_text(&tampered), Err(Refusal::Signature(Flaw::Digest)));
        // The response's signature covers its assertion.
        let tampered = SIGNED_BOTH.replace(
            ">alice@example.com</AttributeValue>",
            ">bob</AttributeValue>",
        );
        assert_eq!(read_text(&tampered), Err(Refusal::Signature(Flaw::Digest)));
        let other = private_key(OTHER_KEY).to_public_key();
        assert_eq!(
            read(&STANDARD.encode(SIGNED_SHA1), std::slice::from_ref(&other)),
            Err(Refusal::Signature(Flaw::Signature))
        );
        // Any key of the metadata may sign.
        assert!(read(&STANDARD.encode(SIGNED_SHA1), &[other, certificate_key()]).is_ok());
        assert_eq!(
            read(&STANDARD.encode(SIGNED_SHA1), &[]),
            Err(Refusal::Signature(Flaw::Signature))
        );
        let start = SIGNED_SHA1.find("<Signature xmlns").unwrap();
        let end = SIGNED_SHA1.find("</Signature>").unwrap() + "</Signature>".len();
        let unsigned = format!("{}{}", &SIGNED_SHA1[..start], &SIGNED_SHA1[end..]);
        assert_eq!(read_text(&unsigned), Err(Refusal::Unsigned));
        let inclusive = SIGNED_SHA1.replace(
            "http://www.w3.org/2001/10/xml-exc-c14n#WithComments",
            "http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
        );
        assert_eq!(
            read_text(&inclusive),
            Err(Refusal::Signature(Flaw::Algorithm))
        );
    }

    #[test]
    fn refuses_signature_wrapping() {
        let original = assertion_text(SIGNED_SHA1);
        let evil = original
            .replace("alice@example.com</NameID>", "admin</NameID>")
            .replace("ID=\"_assertion-2\"", "ID=\"_evil\"");
        let evil_unsigned = {
            let start = evil.find("<Signature xmlns").unwrap();
            let end = evil.find("</Signature>").unwrap() + "</Signature>".len();
            format!("{}{}", &evil[..start], &evil[end..])
        };
        // A second assertion next to the signed one.
        let two = SIGNED_SHA1.replace(original, &format!("{evil_unsigned}{original}"));
        assert_eq!(
            read_text(&two),
            Err(Refusal::Malformed("not exactly one assertion"))
        );
        // The signed assertion hidden in Extensions, an unsigned one in its place.
        let hidden = SIGNED_SHA1.replace(
            original,
            &format!("<samlp:Extensions>{original}</samlp:Extensions>{evil_unsigned}"),
        );
        assert_eq!(read_text(&hidden), Err(Refusal::Unsigned));
        // The signature moved onto the forged assertion: it names the original's ID.
        assert_eq!(
            read_text(&SIGNED_SHA1.replace(
                original,
                &format!("<samlp:Extensions>{original}</samlp:Extensions>{evil}")
            )),
            Err(Refusal::Signature(Flaw::Reference))
        );
        // The forged assertion takes the original's ID.
        let same_id = evil.replace("ID=\"_evil\"", "ID=\"_assertion-2\"");
        assert_eq!(
            read_text(&SIGNED_SHA1.replace(
                original,
                &format!("<samlp:Extensions>{original}</samlp:Extensions>{same_id}")
            )),
            Err(Refusal::Malformed("two elements with the same ID"))
        );
    }

    #[test]
    fn refuses_what_is_not_a_successful_signed_response() {
        assert_eq!(
            read("%%%", &[certificate_key()]),
            Err(Refusal::Malformed("not base64"))
        );
        assert_eq!(
            read_text("<a/>"),
            Err(Refusal::Malformed("not a SAML 2.0 Response"))
        );
        let doctype = SIGNED_SHA1.replace(
            "<samlp:Response",
            "<!DOCTYPE r [<!ENTITY e \"x\">]><samlp:Response",
        );
        assert_eq!(
            read_text(&doctype),
            Err(Refusal::Malformed("not well-formed XML"))
        );
        let failed = SIGNED_SHA1.replace(
            "urn:oasis:names:tc:SAML:2.0:status:Success",
            "urn:oasis:names:tc:SAML:2.0:status:Requester",
        );
        assert_eq!(
            read_text(&failed),
            Err(Refusal::Status(
                "urn:oasis:names:tc:SAML:2.0:status:Requester".into()
            ))
        );
        let encrypted = SIGNED_SHA1.replace(
            assertion_text(SIGNED_SHA1),
            "<saml:EncryptedAssertion xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\"/>",
        );
        assert_eq!(read_text(&encrypted), Err(Refusal::Encrypted));
    }

    #[test]
    fn signs_like_xmlsec() {
        // The test signer, used by the operation's tests, makes what the verifier accepts.
        let unsigned = SIGNED_SHA1.replace(
            &SIGNED_SHA1[SIGNED_SHA1.find("<Signature xmlns").unwrap()
                ..SIGNED_SHA1.find("</Signature>").unwrap() + "</Signature>".len()],
            &template("_assertion-2"),
        );
        let signed = sign(&unsigned, "_assertion-2", &private_key(KEY));
        assert!(read_text(&signed).is_ok());
        let by_other = sign(&unsigned, "_assertion-2", &private_key(OTHER_KEY));
        assert_eq!(
            read_text(&by_other),
            Err(Refusal::Signature(Flaw::Signature))
        );
    }
}
