//! AWS Signature Version 4 (SigV4): request verification the way IAM and STS do it,
//! plus a small signer for tests, benchmarks and our own clients.
//!
//! Everything here is a pure function: no I/O, no clock, no store. The caller supplies the
//! parts of the HTTP request ([`HttpRequest`]), the current time and the secret key.
//!
//! # How a request is checked
//!
//! AWS checks a signed request in a fixed order and answers with the first failure. To get
//! the same answers, call the functions in this order:
//!
//! 1. [`parse`] finds the authentication information (the `Authorization` header, or the
//!    `X-Amz-*` query parameters of a presigned URL) and checks its syntax: the required
//!    parts, the date format, that `host` is signed, the algorithm and the credential shape.
//!    No authentication information at all gives [`AuthError::MissingAuthenticationToken`];
//!    the caller decides which unsigned actions (STS `AssumeRoleWithWebIdentity` and
//!    `AssumeRoleWithSAML`) may go ahead anyway.
//! 2. [`check_time`] applies the 15-minute window around `X-Amz-Date`.
//! 3. [`check_credential_scope`] checks the scope: the service (`iam` or `sts`), optionally
//!    the region, the `aws4_request` terminator and the scope date.
//! 4. The caller looks up [`Signature::access_key_id`]. Unknown or inactive keys are
//!    [`AuthError::InvalidClientTokenId`] (AWS does not tell an inactive key from an unknown one).
//! 5. [`verify`] recomputes the signature with the secret key and compares it in constant time.
//! 6. The caller checks [`Signature::security_token`] for temporary credentials:
//!    [`AuthError::InvalidClientTokenId`] if it is wrong or missing, [`AuthError::ExpiredToken`]
//!    once the session has ended.
//!
//! # What the caller must pass
//!
//! * `method`, the raw `path` (still percent-encoded, as on the wire) and the raw `query`
//!   (without `?`), the request headers with their values as received, and the body.
//!   In the query, `+` means a space, as in HTML forms (botocore sends spaces that way).
//! * The `Host` header exactly as the client sent it, port included (`127.0.0.1:18081`).
//!   Clients always sign it, so a reverse proxy must preserve it. HTTP/2 requests carry
//!   `:authority` instead: pass it as a `host` (or `:authority`) entry; the verifier uses a
//!   `:authority` entry when there is no `host` header.
//! * All headers, not just the signed ones. Clients add unsigned headers after signing
//!   (the Rust SDK adds `content-length` to STS calls), and only the headers named in
//!   `SignedHeaders` take part in the signature.
//!
//! # Canonical request
//!
//! As for every AWS service except S3: the path has its dot segments and duplicate slashes
//! removed and is then percent-encoded again (so `%3D` on the wire becomes `%253D`); query
//! parameters are decoded (`+` is a space), re-encoded with the RFC 3986 unreserved set
//! and sorted; the
//! signed headers are lower-cased, trimmed, with inner runs of whitespace collapsed and
//! repeated headers joined with `,`; the payload hash is the SHA-256 of the body, or the
//! literal `UNSIGNED-PAYLOAD` for a presigned URL that says so in `X-Amz-Content-Sha256`.
//! [`CanonicalOptions`] turns the path normalisation off (S3 style) for the test suite.

use std::borrow::Cow;
use std::fmt;

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// The only signing algorithm SigV4 verification accepts.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// The last element of every SigV4 credential scope.
pub const TERMINATOR: &str = "aws4_request";
/// The payload hash a presigned URL may declare in `X-Amz-Content-Sha256`.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
/// How far `X-Amz-Date` may be from the server's clock, in seconds (15 minutes).
pub const MAX_CLOCK_SKEW_SECONDS: i64 = 15 * 60;
/// The longest `X-Amz-Expires` a presigned URL may carry, in seconds (7 days).
pub const MAX_PRESIGNED_EXPIRES_SECONDS: i64 = 604_800;

const MESSAGE_SIGNATURE_DOES_NOT_MATCH: &str = "The request signature we calculated does not match \
    the signature you provided. Check your AWS Secret Access Key and signing method. Consult the \
    service documentation for details.";
const MESSAGE_HOST_NOT_SIGNED: &str =
    "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.";
const MESSAGE_FOUND_BOTH: &str =
    "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.";

/// The parts of an HTTP request that SigV4 covers.
#[derive(Debug, Clone, Copy)]
pub struct HttpRequest<'a> {
    /// The HTTP method, as sent (`POST`, `GET`).
    pub method: &'a str,
    /// The path as it arrived on the wire, still percent-encoded (`/` for IAM and STS).
    pub path: &'a str,
    /// The raw query string, without the leading `?` (empty when there is none).
    pub query: &'a str,
    /// Every request header as `(name, value)`, names in any case, values as received.
    /// Repeated headers appear once per occurrence, in the order received.
    pub headers: &'a [(&'a str, &'a str)],
    /// The request body.
    pub body: &'a [u8],
}

impl<'a> HttpRequest<'a> {
    /// The first value of header `name` (compared case-insensitively), if present.
    pub fn header(&self, name: &str) -> Option<&'a str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }

    /// How many times header `name` appears.
    pub fn header_count(&self, name: &str) -> usize {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .count()
    }

    /// Every value of header `name` joined with `,`, as HTTP reads a repeated header
    /// (RFC 9110, section 5.3) and as AWS's front end hands it to the signature check.
    fn joined_header(&self, name: &str) -> Option<Cow<'a, str>> {
        let mut values = self
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v);
        let first = values.next()?;
        match values.next() {
            None => Some(Cow::Borrowed(first)),
            Some(second) => {
                let mut joined = format!("{first},{second}");
                for v in values {
                    joined.push(',');
                    joined.push_str(v);
                }
                Some(Cow::Owned(joined))
            }
        }
    }
}

/// What the `Authorization` header or the presigned query parameters say.
///
/// Its `Debug` output leaves the session token out.
#[derive(Clone, PartialEq, Eq)]
pub struct Signature {
    /// The access key ID from the credential (`AKIA…` or `ASIA…`); look it up in the store.
    pub access_key_id: String,
    /// The date of the credential scope (`YYYYMMDD`).
    pub date: String,
    /// The region of the credential scope: whatever region the client is configured with.
    pub region: String,
    /// The service of the credential scope (`iam`, `sts`); see [`check_credential_scope`].
    pub service: String,
    /// The last element of the credential scope; `aws4_request` unless the client is broken.
    pub terminator: String,
    /// The signed header names, lower-cased, in the order the client gave them.
    pub signed_headers: Vec<String>,
    /// The signature the client sent (64 hex digits when well formed).
    pub signature: String,
    /// The request time in ISO 8601 basic format (`20150830T123600Z`), as used in the
    /// string to sign: the `X-Amz-Date` value, or the `Date` header converted.
    pub amz_date: String,
    /// The request time as Unix epoch seconds.
    pub timestamp: i64,
    /// `X-Amz-Expires` of a presigned URL, in seconds. IAM and STS ignore it (see [`check_time`]).
    pub expires: Option<i64>,
    /// `X-Amz-Security-Token` (header, or query parameter of a presigned URL), if any.
    pub security_token: Option<String>,
    /// True when the authentication information came from the query string.
    pub presigned: bool,
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signature")
            .field("access_key_id", &self.access_key_id)
            .field("scope", &self.credential_scope())
            .field("signed_headers", &self.signed_headers)
            .field("signature", &self.signature)
            .field("amz_date", &self.amz_date)
            .field("expires", &self.expires)
            .field(
                "security_token",
                &self.security_token.as_ref().map(|_| "<redacted>"),
            )
            .field("presigned", &self.presigned)
            .finish()
    }
}

impl Signature {
    /// The credential scope, `date/region/service/terminator`.
    pub fn credential_scope(&self) -> String {
        format!(
            "{}/{}/{}/{}",
            self.date, self.region, self.service, self.terminator
        )
    }
}

/// The canonical request and string to sign the server computed, kept with a signature
/// mismatch so that they can be logged (or sent back, see [`AuthError::message_with_canonical_strings`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CanonicalStrings {
    /// The canonical request the server computed.
    pub canonical_request: String,
    /// The string to sign the server computed.
    pub string_to_sign: String,
}

/// An authentication failure, carrying AWS's error code, HTTP status and message.
///
/// The codes, statuses and texts are the ones IAM and STS return; see [`AuthError::code`],
/// [`AuthError::status`] and [`AuthError::message`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthError {
    /// No `Authorization` header and no `X-Amz-Algorithm`/`X-Amz-Credential` query
    /// parameter (or an `Authorization` header that isn't SigV4 at all).
    /// 403, "Request is missing Authentication Token".
    MissingAuthenticationToken,
    /// The signature information is malformed or incomplete. 400, message varies.
    IncompleteSignature(String),
    /// The signature is wrong, expired or scoped wrongly. 403, message varies.
    SignatureDoesNotMatch {
        /// AWS's message.
        message: Cow<'static, str>,
        /// What the server computed, when the failure is a signature mismatch.
        computed: Option<Box<CanonicalStrings>>,
    },
    /// Unknown or inactive access key, or a session token that is missing, malformed or
    /// doesn't belong to the key. 403, "The security token included in the request is invalid".
    InvalidClientTokenId,
    /// The session of a temporary credential has ended.
    /// 403, "The security token included in the request is expired".
    ExpiredToken,
    /// A presigned URL's `X-Amz-Expires` is malformed or out of range. Only
    /// [`check_presigned_expiry`] (the S3-style opt-in) and [`parse`] (non-numeric value)
    /// return it. 400, message varies.
    AuthorizationQueryParametersError(String),
    /// A presigned URL is past `X-Amz-Date + X-Amz-Expires`. Only [`check_presigned_expiry`]
    /// returns it. Code `AccessDenied`, 403, "Request has expired".
    PresignedUrlExpired,
}

impl AuthError {
    /// AWS's error code (`SignatureDoesNotMatch`, …), for the `<Code>` element.
    pub fn code(&self) -> &'static str {
        match self {
            AuthError::MissingAuthenticationToken => "MissingAuthenticationToken",
            AuthError::IncompleteSignature(_) => "IncompleteSignature",
            AuthError::SignatureDoesNotMatch { .. } => "SignatureDoesNotMatch",
            AuthError::InvalidClientTokenId => "InvalidClientTokenId",
            AuthError::ExpiredToken => "ExpiredToken",
            AuthError::AuthorizationQueryParametersError(_) => "AuthorizationQueryParametersError",
            AuthError::PresignedUrlExpired => "AccessDenied",
        }
    }

    /// The HTTP status AWS answers with.
    pub fn status(&self) -> u16 {
        match self {
            AuthError::IncompleteSignature(_) | AuthError::AuthorizationQueryParametersError(_) => {
                400
            }
            _ => 403,
        }
    }

    /// AWS's message, for the `<Message>` element.
    pub fn message(&self) -> &str {
        match self {
            AuthError::MissingAuthenticationToken => "Request is missing Authentication Token",
            AuthError::IncompleteSignature(message)
            | AuthError::AuthorizationQueryParametersError(message) => message,
            AuthError::SignatureDoesNotMatch { message, .. } => message,
            AuthError::InvalidClientTokenId => {
                "The security token included in the request is invalid"
            }
            AuthError::ExpiredToken => "The security token included in the request is expired",
            AuthError::PresignedUrlExpired => "Request has expired",
        }
    }

    /// The message followed, for a signature mismatch, by the canonical request and string
    /// to sign the server computed, in the layout STS has been seen to use. This tells the
    /// client what was signed, so use it for debugging, not by default.
    pub fn message_with_canonical_strings(&self) -> Cow<'_, str> {
        match self {
            AuthError::SignatureDoesNotMatch {
                message,
                computed: Some(computed),
            } => Cow::Owned(format!(
                "{message}\n\nThe Canonical String for this request should have been\n'{}'\n\n\
                 The String-to-Sign should have been\n'{}'\n",
                computed.canonical_request, computed.string_to_sign
            )),
            _ => Cow::Borrowed(self.message()),
        }
    }

    fn signature_does_not_match(message: impl Into<Cow<'static, str>>) -> Self {
        AuthError::SignatureDoesNotMatch {
            message: message.into(),
            computed: None,
        }
    }

    fn mismatch(canonical_request: String, string_to_sign: String) -> Self {
        AuthError::SignatureDoesNotMatch {
            message: Cow::Borrowed(MESSAGE_SIGNATURE_DOES_NOT_MATCH),
            computed: Some(Box::new(CanonicalStrings {
                canonical_request,
                string_to_sign,
            })),
        }
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code(), self.message())
    }
}

impl std::error::Error for AuthError {}

/// Options for building the canonical request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CanonicalOptions {
    /// Remove dot segments and duplicate slashes from the path before encoding it, as every
    /// AWS service except S3 does. Default `true`; `false` only for S3-style signing.
    pub normalize_uri_path: bool,
}

impl Default for CanonicalOptions {
    fn default() -> Self {
        CanonicalOptions {
            normalize_uri_path: true,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------

/// Finds and parses the SigV4 authentication information of a request.
///
/// Header authentication wins unless the query also has `X-Amz-Algorithm`, which is an
/// error. This checks, in AWS's order: the `key=value` syntax of the header, the required
/// parts (each missing one is listed), the date format, that `host` is signed, the algorithm
/// and the five-element credential. It does not check time, scope or signature.
pub fn parse(request: &HttpRequest<'_>) -> Result<Signature, AuthError> {
    let authorization = request.joined_header("authorization");
    let authorization = authorization
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty());
    let query_algorithm = query_param(request.query, "X-Amz-Algorithm").is_some();
    let sig = match authorization {
        Some(_) if query_algorithm => {
            return Err(AuthError::signature_does_not_match(MESSAGE_FOUND_BOTH));
        }
        Some(value) => {
            // Presigning parameters beside an Authorization header: which one signs?
            for name in ["X-Amz-Credential", "X-Amz-Signature"] {
                if query_param(request.query, name).is_some() {
                    return Err(AuthError::signature_does_not_match(format!(
                        "Found both '{name}' as a query-string param and 'Authorization' as HTTP header."
                    )));
                }
            }
            let sig = parse_header_auth(request, value)?;
            // Two Authorization headers that still parse once joined (the second one
            // empty, or only key=value pairs).
            refuse_repeated_header(request, "Authorization")?;
            sig
        }
        None if query_algorithm || query_param(request.query, "X-Amz-Credential").is_some() => {
            for name in PRESIGN_PARAMS {
                if query_param_count(request.query, name) > 1 {
                    return Err(AuthError::IncompleteSignature(format!(
                        "The request has more than one '{name}' query-string parameter."
                    )));
                }
            }
            parse_query_auth(request)?
        }
        None => return Err(AuthError::MissingAuthenticationToken),
    };
    refuse_repeated_header(request, "X-Amz-Security-Token")?;
    refuse_repeated_header(request, "X-Amz-Content-Sha256")?;
    Ok(sig)
}

/// The query parameters of a presigned URL that say how it is signed.
const PRESIGN_PARAMS: [&str; 8] = [
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Signature",
    "X-Amz-SignedHeaders",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-Security-Token",
    "X-Amz-Content-Sha256",
];

/// Refuses a request that repeats a header the signature check reads: whichever copy it
/// read, the other one could say something else.
fn refuse_repeated_header(request: &HttpRequest<'_>, name: &str) -> Result<(), AuthError> {
    if request.header_count(name) > 1 {
        return Err(AuthError::IncompleteSignature(format!(
            "The request has more than one '{name}' header."
        )));
    }
    Ok(())
}

fn parse_header_auth(request: &HttpRequest<'_>, value: &str) -> Result<Signature, AuthError> {
    if !value.starts_with("AWS4-") {
        return Err(AuthError::MissingAuthenticationToken);
    }
    let (algorithm, rest) = value
        .split_once(|c: char| c.is_ascii_whitespace())
        .unwrap_or((value, ""));

    let mut credential = None;
    let mut signed_headers = None;
    let mut signature = None;
    for piece in rest
        .split(|c: char| c == ',' || c.is_ascii_whitespace())
        .filter(|p| !p.is_empty())
    {
        let Some((key, val)) = piece.split_once('=') else {
            return Err(AuthError::IncompleteSignature(format!(
                "'{piece}' not a valid key=value pair (missing equal-sign) in Authorization header: '{value}'."
            )));
        };
        let slot = match key {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed_headers,
            "Signature" => &mut signature,
            _ => continue,
        };
        slot.get_or_insert(val);
    }
    let credential = credential.filter(|v| !v.is_empty());
    let signature = signature.filter(|v| !v.is_empty());
    // A repeated date header is read as HTTP joins it, which no date parses as.
    let amz_date_header = request.joined_header("x-amz-date");
    let amz_date_header = amz_date_header.as_deref().map(str::trim);
    let date_header = request.joined_header("date");
    let date_header = date_header.as_deref().map(str::trim);

    let mut missing = String::new();
    for (name, present) in [
        ("Credential", credential.is_some()),
        ("Signature", signature.is_some()),
        ("SignedHeaders", signed_headers.is_some()),
    ] {
        if !present {
            missing.push_str("Authorization header requires '");
            missing.push_str(name);
            missing.push_str("' parameter. ");
        }
    }
    if amz_date_header.is_none() && date_header.is_none() {
        missing.push_str(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ",
        );
    }
    let (credential, signature, signed_headers) = match (credential, signature, signed_headers) {
        (Some(c), Some(s), Some(h)) if missing.is_empty() => (c, s, h),
        _ => {
            return Err(AuthError::IncompleteSignature(format!(
                "{missing}Authorization={value}"
            )));
        }
    };

    let (amz_date, timestamp) = match amz_date_header {
        Some(raw) => (
            raw.to_owned(),
            parse_amz_date(raw).ok_or_else(|| bad_date(raw))?,
        ),
        None => {
            let raw = date_header.unwrap_or_default();
            let timestamp = parse_http_date(raw).ok_or_else(|| bad_date(raw))?;
            (format_amz_date(timestamp), timestamp)
        }
    };
    let signed_headers = split_signed_headers(signed_headers)?;
    check_algorithm(algorithm)?;
    let scope = split_credential(credential)?;

    Ok(Signature {
        access_key_id: scope[0].to_owned(),
        date: scope[1].to_owned(),
        region: scope[2].to_owned(),
        service: scope[3].to_owned(),
        terminator: scope[4].to_owned(),
        signed_headers,
        signature: signature.to_owned(),
        amz_date,
        timestamp,
        expires: None,
        security_token: request.header("x-amz-security-token").map(str::to_owned),
        presigned: false,
    })
}

fn parse_query_auth(request: &HttpRequest<'_>) -> Result<Signature, AuthError> {
    let get = |name| query_param(request.query, name).filter(|v| !v.is_empty());
    let algorithm = get("X-Amz-Algorithm");
    let credential = get("X-Amz-Credential");
    let signature = get("X-Amz-Signature");
    let signed_headers = get("X-Amz-SignedHeaders");
    let date = get("X-Amz-Date");

    let (Some(algorithm), Some(credential), Some(signature), Some(signed_headers), Some(date)) =
        (algorithm, credential, signature, signed_headers, date)
    else {
        let mut message = String::new();
        for name in [
            "X-Amz-Algorithm",
            "X-Amz-Credential",
            "X-Amz-Signature",
            "X-Amz-SignedHeaders",
            "X-Amz-Date",
        ] {
            if get(name).is_none() {
                message.push_str("AWS query-string parameters must include '");
                message.push_str(name);
                message.push_str("'. ");
            }
        }
        message.push_str("Re-examine the query-string parameters.");
        return Err(AuthError::IncompleteSignature(message));
    };

    let timestamp = parse_amz_date(&date).ok_or_else(|| bad_date(&date))?;
    let signed_headers = split_signed_headers(&signed_headers)?;
    check_algorithm(&algorithm)?;
    let scope = split_credential(&credential)?;
    let expires = match query_param(request.query, "X-Amz-Expires") {
        None => None,
        Some(raw) => Some(raw.trim().parse::<i64>().map_err(|_| {
            AuthError::AuthorizationQueryParametersError(
                "X-Amz-Expires should be a number".to_owned(),
            )
        })?),
    };
    let security_token = query_param(request.query, "X-Amz-Security-Token")
        .map(Cow::into_owned)
        .or_else(|| request.header("x-amz-security-token").map(str::to_owned));

    Ok(Signature {
        access_key_id: scope[0].to_owned(),
        date: scope[1].to_owned(),
        region: scope[2].to_owned(),
        service: scope[3].to_owned(),
        terminator: scope[4].to_owned(),
        signed_headers,
        signature: signature.into_owned(),
        amz_date: date.into_owned(),
        timestamp,
        expires,
        security_token,
        presigned: true,
    })
}

fn bad_date(raw: &str) -> AuthError {
    AuthError::IncompleteSignature(format!(
        "Date must be in ISO-8601 'basic format'. Got '{raw}'. See http://en.wikipedia.org/wiki/ISO_8601"
    ))
}

fn split_signed_headers(raw: &str) -> Result<Vec<String>, AuthError> {
    let names: Vec<String> = raw
        .split(';')
        .map(|name| name.trim().to_ascii_lowercase())
        .filter(|name| !name.is_empty())
        .collect();
    if !names
        .iter()
        .any(|name| name == "host" || name == ":authority")
    {
        return Err(AuthError::signature_does_not_match(MESSAGE_HOST_NOT_SIGNED));
    }
    Ok(names)
}

fn check_algorithm(algorithm: &str) -> Result<(), AuthError> {
    if algorithm == ALGORITHM {
        Ok(())
    } else {
        Err(AuthError::IncompleteSignature(format!(
            "Unsupported AWS 'algorithm': '{algorithm}' (only {ALGORITHM} for now). "
        )))
    }
}

fn split_credential(credential: &str) -> Result<[&str; 5], AuthError> {
    let trimmed = credential.trim_end_matches('/');
    let mut parts = trimmed.split('/');
    let mut out = [""; 5];
    for slot in &mut out {
        *slot = parts.next().ok_or_else(|| bad_credential(credential))?;
    }
    if parts.next().is_some() {
        return Err(bad_credential(credential));
    }
    Ok(out)
}

fn bad_credential(credential: &str) -> AuthError {
    AuthError::IncompleteSignature(format!(
        "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{credential}'"
    ))
}

/// How many query parameters are named exactly `name`.
fn query_param_count(query: &str, name: &str) -> usize {
    query
        .split('&')
        .map(|pair| pair.split_once('=').map_or(pair, |(key, _)| key))
        .filter(|key| form_decode(key) == name.as_bytes())
        .count()
}

/// The first query parameter named exactly `name`, form-decoded.
fn query_param<'q>(query: &'q str, name: &str) -> Option<Cow<'q, str>> {
    query
        .split('&')
        .map(|pair| pair.split_once('=').unwrap_or((pair, "")))
        .find(|(key, _)| form_decode(key) == name.as_bytes())
        .map(|(_, value)| match form_decode(value) {
            Cow::Borrowed(_) => Cow::Borrowed(value),
            Cow::Owned(bytes) => Cow::Owned(String::from_utf8_lossy(&bytes).into_owned()),
        })
}

/// Decodes one query-string component the way AWS's signers do (`application/x-www-form-urlencoded`):
/// `+` is a space, `%XX` a byte. Borrows when there is nothing to decode.
fn form_decode(s: &str) -> Cow<'_, [u8]> {
    if !s.contains(['+', '%']) {
        return Cow::Borrowed(s.as_bytes());
    }
    let plus_decoded = s.replace('+', " ");
    Cow::Owned(percent_encoding::percent_decode_str(&plus_decoded).collect())
}

// ---------------------------------------------------------------------------------------
// Time and scope
// ---------------------------------------------------------------------------------------

/// Checks the request time the way IAM and STS do: `X-Amz-Date` must be within
/// [`MAX_CLOCK_SKEW_SECONDS`] (15 minutes) of `now_epoch_seconds`, for header-signed and
/// presigned requests alike.
///
/// IAM and STS ignore `X-Amz-Expires` (a presigned STS URL lives about 15 minutes whatever
/// it says, which is what `aws-iam-authenticator`-style tokens rely on); use
/// [`check_presigned_expiry`] on top of this to enforce it the S3 way.
///
/// Errors: `SignatureDoesNotMatch` (403) with "Signature expired: 20261123T120000Z is now
/// earlier than 20261123T121500Z (20261123T123000Z - 15 min.)" or "Signature not yet current:
/// … is still later than … (… + 15 min.)".
pub fn check_time(sig: &Signature, now_epoch_seconds: i64) -> Result<(), AuthError> {
    let now = now_epoch_seconds;
    if sig.timestamp < now - MAX_CLOCK_SKEW_SECONDS {
        return Err(AuthError::signature_does_not_match(format!(
            "Signature expired: {} is now earlier than {} ({} - 15 min.)",
            sig.amz_date,
            format_amz_date(now - MAX_CLOCK_SKEW_SECONDS),
            format_amz_date(now)
        )));
    }
    if sig.timestamp > now + MAX_CLOCK_SKEW_SECONDS {
        return Err(AuthError::signature_does_not_match(format!(
            "Signature not yet current: {} is still later than {} ({} + 15 min.)",
            sig.amz_date,
            format_amz_date(now + MAX_CLOCK_SKEW_SECONDS),
            format_amz_date(now)
        )));
    }
    Ok(())
}

/// Enforces `X-Amz-Expires` of a presigned URL the way S3 does (IAM and STS don't; this is
/// an opt-in for callers that want it). Header-signed requests pass.
///
/// Errors (S3's codes and texts): `AuthorizationQueryParametersError` (400) when
/// `X-Amz-Expires` is missing, negative or above [`MAX_PRESIGNED_EXPIRES_SECONDS`];
/// `AccessDenied` (403) "Request has expired" once `X-Amz-Date + X-Amz-Expires` has passed.
pub fn check_presigned_expiry(sig: &Signature, now_epoch_seconds: i64) -> Result<(), AuthError> {
    if !sig.presigned {
        return Ok(());
    }
    let expires = match sig.expires {
        None => {
            return Err(AuthError::AuthorizationQueryParametersError(
                "Query-string authentication version 4 requires the X-Amz-Algorithm, \
                 X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and \
                 X-Amz-Expires parameters."
                    .to_owned(),
            ));
        }
        Some(e) if e < 0 => {
            return Err(AuthError::AuthorizationQueryParametersError(
                "X-Amz-Expires must be non-negative".to_owned(),
            ));
        }
        Some(e) if e > MAX_PRESIGNED_EXPIRES_SECONDS => {
            return Err(AuthError::AuthorizationQueryParametersError(
                "X-Amz-Expires must be less than a week (in seconds); that is, the given \
                 X-Amz-Expires must be less than 604800 seconds"
                    .to_owned(),
            ));
        }
        Some(e) => e,
    };
    if now_epoch_seconds > sig.timestamp.saturating_add(expires) {
        return Err(AuthError::PresignedUrlExpired);
    }
    Ok(())
}

/// Checks the credential scope: the service must be `expected_service` (`iam` or `sts`),
/// the region one of `allowed_regions` (any region when `None`: clients sign with whatever
/// region they are configured with), the terminator `aws4_request`, and the date that of
/// `X-Amz-Date`.
///
/// Like AWS, it reports every problem at once, in one `SignatureDoesNotMatch` (403), e.g.
/// "Credential should be scoped to correct service: 'iam'. Date in Credential scope does not
/// match YYYYMMDD from ISO-8601 version of date from HTTP: '20150831' != '20150830', from
/// '20150830T123600Z'."
pub fn check_credential_scope(
    sig: &Signature,
    expected_service: &str,
    allowed_regions: Option<&[&str]>,
) -> Result<(), AuthError> {
    match allowed_regions {
        Some(regions) => scope_errors(sig, Some(expected_service), Some(&|r| regions.contains(&r))),
        None => scope_errors(sig, Some(expected_service), None),
    }
}

/// [`check_credential_scope`] with the valid regions given by a predicate, e.g. "an AWS
/// region ([`is_aws_region`]) or one the operator added".
pub fn check_credential_scope_with(
    sig: &Signature,
    expected_service: &str,
    valid_region: &dyn Fn(&str) -> bool,
) -> Result<(), AuthError> {
    scope_errors(sig, Some(expected_service), Some(valid_region))
}

/// The regions of AWS's partitions `aws`, `aws-cn` and `aws-us-gov`, each of which has
/// IAM (through its partition's global endpoint) and a regional STS endpoint.
///
/// Source: botocore's endpoints data is not among the data this project keeps
/// (/work/shared/data has the IAM and STS service models only), so the list is taken from
/// AWS's documentation: the IAM User Guide, "AWS STS Regions and endpoints"
/// (id_credentials_temp_region-endpoints), and the AWS General Reference, "AWS Security
/// Token Service endpoints and quotas" (gr/sts.html), which name one regional STS endpoint
/// per region, with the GovCloud and China regions; plus the two regions opened since
/// (Asia Pacific (Taipei) `ap-east-2`, Asia Pacific (New Zealand) `ap-southeast-6`). Regions
/// of other partitions, and on-premises names, are added with `--region`.
pub const AWS_REGIONS: &[&str] = &[
    // aws
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    // aws-cn
    "cn-north-1",
    "cn-northwest-1",
    // aws-us-gov
    "us-gov-east-1",
    "us-gov-west-1",
];

/// True for a region in [`AWS_REGIONS`].
pub fn is_aws_region(region: &str) -> bool {
    AWS_REGIONS.contains(&region)
}

fn scope_errors(
    sig: &Signature,
    expected_service: Option<&str>,
    valid_region: Option<&dyn Fn(&str) -> bool>,
) -> Result<(), AuthError> {
    let mut message = String::new();
    if let Some(valid) = valid_region
        && !valid(&sig.region)
    {
        message.push_str(&format!(
            "Credential should be scoped to a valid region, not '{}'. ",
            sig.region
        ));
    }
    if let Some(service) = expected_service
        && sig.service != service
    {
        message.push_str(&format!(
            "Credential should be scoped to correct service: '{service}'. "
        ));
    }
    if sig.terminator != TERMINATOR {
        message.push_str(&format!(
            "Credential should be scoped with a valid terminator: '{TERMINATOR}', not '{}'. ",
            sig.terminator
        ));
    }
    let request_date = sig.amz_date.get(..8).unwrap_or(&sig.amz_date);
    if sig.date != request_date {
        message.push_str(&format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{}', from '{}'.",
            sig.date, request_date, sig.amz_date
        ));
    }
    if message.is_empty() {
        Ok(())
    } else {
        Err(AuthError::signature_does_not_match(message))
    }
}

// ---------------------------------------------------------------------------------------
// Verification
// ---------------------------------------------------------------------------------------

/// Recomputes the signature of `request` with `secret_access_key` and compares it with the
/// one in `sig`, in constant time. Uses the rules of every AWS service except S3.
///
/// It also refuses a scope with a wrong terminator or date (so it is safe on its own), and
/// an `x-amz-content-sha256` header that doesn't match the body. Failures are
/// `SignatureDoesNotMatch` (403); a plain mismatch carries what the server computed.
pub fn verify(
    request: &HttpRequest<'_>,
    sig: &Signature,
    secret_access_key: &str,
) -> Result<(), AuthError> {
    verify_with_options(
        request,
        sig,
        secret_access_key,
        &CanonicalOptions::default(),
    )
}

/// [`verify`] with explicit [`CanonicalOptions`].
pub fn verify_with_options(
    request: &HttpRequest<'_>,
    sig: &Signature,
    secret_access_key: &str,
    options: &CanonicalOptions,
) -> Result<(), AuthError> {
    scope_errors(sig, None, None)?;
    let body_hash = hex_sha256(request.body);
    let payload_hash = payload_hash(request, sig, &body_hash);
    let canonical = build_canonical_request(request, sig, payload_hash, options);
    let to_sign = string_to_sign(sig, &canonical);

    if payload_hash != UNSIGNED_PAYLOAD
        && let Some(declared) = request.header("x-amz-content-sha256")
        && !declared.trim().eq_ignore_ascii_case(&body_hash)
    {
        return Err(AuthError::mismatch(canonical, to_sign));
    }
    let provided = match hex::decode(sig.signature.trim()) {
        Ok(bytes) if bytes.len() == 32 => bytes,
        _ => return Err(AuthError::mismatch(canonical, to_sign)),
    };
    let key = signing_key(secret_access_key, &sig.date, &sig.region, &sig.service);
    let mut mac = HmacSha256::new_from_slice(&key).expect("HMAC accepts keys of any length");
    mac.update(to_sign.as_bytes());
    mac.verify_slice(&provided)
        .map_err(|_| AuthError::mismatch(canonical, to_sign))
}

/// The canonical request for `request` as signed according to `sig`.
///
/// For a presigned URL the `X-Amz-Signature` parameter is left out, and the payload hash is
/// `UNSIGNED-PAYLOAD` when `X-Amz-Content-Sha256` (query or header) says so; otherwise it is
/// the hex SHA-256 of the body.
pub fn canonical_request(
    request: &HttpRequest<'_>,
    sig: &Signature,
    options: &CanonicalOptions,
) -> String {
    let body_hash = hex_sha256(request.body);
    let payload_hash = payload_hash(request, sig, &body_hash);
    build_canonical_request(request, sig, payload_hash, options)
}

fn payload_hash<'h>(request: &HttpRequest<'_>, sig: &Signature, body_hash: &'h str) -> &'h str {
    if sig.presigned {
        let declared = query_param(request.query, "X-Amz-Content-Sha256")
            .map(Cow::into_owned)
            .or_else(|| request.header("x-amz-content-sha256").map(str::to_owned));
        if declared.as_deref().map(str::trim) == Some(UNSIGNED_PAYLOAD) {
            return UNSIGNED_PAYLOAD;
        }
    }
    body_hash
}

fn build_canonical_request(
    request: &HttpRequest<'_>,
    sig: &Signature,
    payload_hash: &str,
    options: &CanonicalOptions,
) -> String {
    let mut out = String::with_capacity(256 + request.query.len());
    out.push_str(request.method);
    out.push('\n');
    out.push_str(&canonical_uri(request.path, options.normalize_uri_path));
    out.push('\n');
    out.push_str(&canonical_query_string(request.query, sig.presigned));
    out.push('\n');
    for name in &sig.signed_headers {
        out.push_str(name);
        out.push(':');
        canonical_header_value(request, name, &mut out);
        out.push('\n');
    }
    out.push('\n');
    for (i, name) in sig.signed_headers.iter().enumerate() {
        if i > 0 {
            out.push(';');
        }
        out.push_str(name);
    }
    out.push('\n');
    out.push_str(payload_hash);
    out
}

/// Appends the canonical value of header `name`: every occurrence trimmed, inner runs of
/// whitespace collapsed to one space, joined with `,`.
fn canonical_header_value(request: &HttpRequest<'_>, name: &str, out: &mut String) {
    // HTTP/2: without a Host header, the authority comes as `:authority`.
    let by_authority = name == "host"
        && !request
            .headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("host"));
    let wanted = if by_authority { ":authority" } else { name };
    let values = request
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(wanted));
    for (i, (_, value)) in values.enumerate() {
        if i > 0 {
            out.push(',');
        }
        for (j, word) in value.split_ascii_whitespace().enumerate() {
            if j > 0 {
                out.push(' ');
            }
            out.push_str(word);
        }
    }
}

/// The string to sign: algorithm, request time, credential scope and the hex SHA-256 of
/// the canonical request, one per line.
pub fn string_to_sign(sig: &Signature, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{}\n{}\n{}",
        sig.amz_date,
        sig.credential_scope(),
        hex_sha256(canonical_request.as_bytes())
    )
}

/// The signing key: HMAC-SHA256 chained from `"AWS4" + secret` over the date (`YYYYMMDD`),
/// region, service and `aws4_request`. It is valid for one day, so callers may cache it.
pub fn signing_key(secret_access_key: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let mut secret = Vec::with_capacity(4 + secret_access_key.len());
    secret.extend_from_slice(b"AWS4");
    secret.extend_from_slice(secret_access_key.as_bytes());
    let k_date = hmac(&secret, date.as_bytes());
    let k_region = hmac(&k_date, region.as_bytes());
    let k_service = hmac(&k_region, service.as_bytes());
    hmac(&k_service, TERMINATOR.as_bytes())
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

fn hex_sha256(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

// ---------------------------------------------------------------------------------------
// Canonical URI and query string
// ---------------------------------------------------------------------------------------

/// The canonical URI of a raw (still percent-encoded) path: normalised when asked, then
/// every byte outside `A-Za-z0-9-_.~/` percent-encoded, so existing escapes are encoded a
/// second time (`%3D` becomes `%253D`), as every AWS service except S3 expects.
pub fn canonical_uri(raw_path: &str, normalize: bool) -> String {
    let path = if raw_path.is_empty() { "/" } else { raw_path };
    let path: Cow<'_, str> = if normalize {
        Cow::Owned(normalize_path(path))
    } else {
        Cow::Borrowed(path)
    };
    let mut out = String::with_capacity(path.len() + 8);
    uri_encode_into(&path, true, &mut out);
    out
}

/// Removes `.` and `..` segments and empty segments (duplicate slashes), keeping a leading
/// and a trailing slash.
fn normalize_path(path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    let mut trailing_slash = false;
    for segment in path.split('/') {
        trailing_slash = matches!(segment, "" | "." | "..");
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    let mut out = String::with_capacity(path.len());
    for segment in &segments {
        out.push('/');
        out.push_str(segment);
    }
    if trailing_slash || segments.is_empty() {
        out.push('/');
    }
    out
}

/// The canonical query string: each `name=value` pair decoded (`+` is a space, as for the
/// AWS SDK signers: botocore sends `a+b` and signs `a%20b`), encoded again with the RFC 3986
/// unreserved set, and sorted by name then value; for a presigned URL without
/// `X-Amz-Signature`.
pub fn canonical_query_string(raw_query: &str, presigned: bool) -> String {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for pair in raw_query.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let name = uri_encode_bytes(&form_decode(name));
        if presigned && name == "X-Amz-Signature" {
            continue;
        }
        let value = uri_encode_bytes(&form_decode(value));
        pairs.push((name, value));
    }
    pairs.sort_unstable();
    let mut out = String::with_capacity(raw_query.len() + 16);
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(name);
        out.push('=');
        out.push_str(value);
    }
    out
}

/// Percent-encodes `s` with the RFC 3986 unreserved set (`A-Za-z0-9-_.~`), upper-case hex.
pub fn uri_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    uri_encode_into(s, false, &mut out);
    out
}

fn uri_encode_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    encode_bytes_into(bytes, false, &mut out);
    out
}

fn uri_encode_into(s: &str, keep_slash: bool, out: &mut String) {
    encode_bytes_into(s.as_bytes(), keep_slash, out);
}

fn encode_bytes_into(bytes: &[u8], keep_slash: bool, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in bytes {
        if b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'_' | b'.' | b'~')
            || (keep_slash && b == b'/')
        {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 0x0f)] as char);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Dates
// ---------------------------------------------------------------------------------------

/// The dates of SigV4, from Portcullis's one time module: `x-amz-date` in ISO 8601 basic
/// format (`20150830T123600Z`) and the HTTP `Date` header (`Sun, 30 Aug 2015 12:36:00 GMT`),
/// as epoch seconds.
pub use portcullis_time::{format_amz_date, parse_amz_date, parse_http_date};

// ---------------------------------------------------------------------------------------
// Signing (for tests, benchmarks and our own clients)
// ---------------------------------------------------------------------------------------

/// Credentials and scope for [`sign`] and [`presign`]. Its `Debug` output leaves the
/// secret and the session token out.
#[derive(Clone, Copy)]
pub struct SigningParams<'a> {
    /// The access key ID.
    pub access_key_id: &'a str,
    /// The secret access key.
    pub secret_access_key: &'a str,
    /// The session token of temporary credentials; it is sent and signed.
    pub session_token: Option<&'a str>,
    /// The region of the credential scope.
    pub region: &'a str,
    /// The service of the credential scope (`iam`, `sts`).
    pub service: &'a str,
    /// The signing time, epoch seconds.
    pub timestamp: i64,
}

impl fmt::Debug for SigningParams<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningParams")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field("session_token", &self.session_token.map(|_| "<redacted>"))
            .field("region", &self.region)
            .field("service", &self.service)
            .field("timestamp", &self.timestamp)
            .finish()
    }
}

/// Signs `request` in the `Authorization` header, like the AWS SDKs do.
///
/// Every header of `request` is signed (except `authorization`, `x-amz-date` and
/// `x-amz-security-token`, which the signer sets), so pass exactly the headers to sign
/// (including `host`) and add unsigned ones afterwards. Returns the headers to add, in
/// this order: `x-amz-date`, `x-amz-security-token` (with a session token), `authorization`.
pub fn sign(request: &HttpRequest<'_>, params: &SigningParams<'_>) -> Vec<(String, String)> {
    let amz_date = format_amz_date(params.timestamp);
    let mut headers: Vec<(&str, &str)> = request
        .headers
        .iter()
        .filter(|(n, _)| {
            !["authorization", "x-amz-date", "x-amz-security-token"]
                .iter()
                .any(|skip| n.eq_ignore_ascii_case(skip))
        })
        .copied()
        .collect();
    headers.push(("x-amz-date", &amz_date));
    if let Some(token) = params.session_token {
        headers.push(("x-amz-security-token", token));
    }
    let sig = signing_signature(&headers, params, amz_date.clone(), false);
    let signed = HttpRequest {
        headers: &headers,
        ..*request
    };
    let signature = compute_signature(&signed, &sig, params.secret_access_key);
    let authorization = format!(
        "{ALGORITHM} Credential={}/{}, SignedHeaders={}, Signature={signature}",
        params.access_key_id,
        sig.credential_scope(),
        sig.signed_headers.join(";")
    );
    let mut out = vec![("x-amz-date".to_owned(), amz_date)];
    if let Some(token) = params.session_token {
        out.push(("x-amz-security-token".to_owned(), token.to_owned()));
    }
    out.push(("authorization".to_owned(), authorization));
    out
}

/// Presigns `request` (query-string authentication) and returns the new query string: the
/// original query followed by `X-Amz-Algorithm`, `X-Amz-Credential`, `X-Amz-Date`,
/// `X-Amz-Expires`, `X-Amz-SignedHeaders`, `X-Amz-Security-Token` (with a session token)
/// and `X-Amz-Signature`. Every header of `request` is signed (pass at least `host`); the
/// payload hash is the SHA-256 of the body, or `UNSIGNED-PAYLOAD` when the query already
/// has `X-Amz-Content-Sha256=UNSIGNED-PAYLOAD`.
pub fn presign(request: &HttpRequest<'_>, params: &SigningParams<'_>, expires_in: i64) -> String {
    let amz_date = format_amz_date(params.timestamp);
    let headers: Vec<(&str, &str)> = request
        .headers
        .iter()
        .filter(|(n, _)| !n.eq_ignore_ascii_case("authorization"))
        .copied()
        .collect();
    let sig = signing_signature(&headers, params, amz_date.clone(), true);
    let mut query = String::from(request.query);
    let mut add = |name: &str, value: &str| {
        if !query.is_empty() {
            query.push('&');
        }
        query.push_str(name);
        query.push('=');
        query.push_str(&uri_encode(value));
    };
    add("X-Amz-Algorithm", ALGORITHM);
    add(
        "X-Amz-Credential",
        &format!("{}/{}", params.access_key_id, sig.credential_scope()),
    );
    add("X-Amz-Date", &amz_date);
    add("X-Amz-Expires", &expires_in.to_string());
    add("X-Amz-SignedHeaders", &sig.signed_headers.join(";"));
    if let Some(token) = params.session_token {
        add("X-Amz-Security-Token", token);
    }
    let signed = HttpRequest {
        query: &query,
        headers: &headers,
        ..*request
    };
    let signature = compute_signature(&signed, &sig, params.secret_access_key);
    query.push_str("&X-Amz-Signature=");
    query.push_str(&signature);
    query
}

fn signing_signature(
    headers: &[(&str, &str)],
    params: &SigningParams<'_>,
    amz_date: String,
    presigned: bool,
) -> Signature {
    let mut signed_headers: Vec<String> = headers
        .iter()
        .map(|(n, _)| n.to_ascii_lowercase())
        .collect();
    signed_headers.sort_unstable();
    signed_headers.dedup();
    Signature {
        access_key_id: params.access_key_id.to_owned(),
        date: amz_date[..8].to_owned(),
        region: params.region.to_owned(),
        service: params.service.to_owned(),
        terminator: TERMINATOR.to_owned(),
        signed_headers,
        signature: String::new(),
        amz_date,
        timestamp: params.timestamp,
        expires: None,
        security_token: params.session_token.map(str::to_owned),
        presigned,
    }
}

fn compute_signature(request: &HttpRequest<'_>, sig: &Signature, secret: &str) -> String {
    let body_hash = hex_sha256(request.body);
    let payload_hash = payload_hash(request, sig, &body_hash);
    let canonical =
        build_canonical_request(request, sig, payload_hash, &CanonicalOptions::default());
    let to_sign = string_to_sign(sig, &canonical);
    let key = signing_key(secret, &sig.date, &sig.region, &sig.service);
    hex::encode(hmac(&key, to_sign.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const AKID: &str = "AKIDEXAMPLE";
    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    // 2015-08-30T12:36:00Z
    const T0: i64 = 1_440_938_160;

    fn params() -> SigningParams<'static> {
        SigningParams {
            access_key_id: AKID,
            secret_access_key: SECRET,
            session_token: None,
            region: "us-east-1",
            service: "iam",
            timestamp: T0,
        }
    }

    fn request<'a>(headers: &'a [(&'a str, &'a str)], body: &'a [u8]) -> HttpRequest<'a> {
        HttpRequest {
            method: "POST",
            path: "/",
            query: "",
            headers,
            body,
        }
    }

    /// Signs `headers` + body and returns the full header list the server would see.
    fn signed_headers(headers: &[(&str, &str)], body: &[u8]) -> Vec<(String, String)> {
        let added = sign(&request(headers, body), &params());
        let mut all: Vec<(String, String)> = headers
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect();
        all.extend(added);
        all
    }

    fn borrow(headers: &[(String, String)]) -> Vec<(&str, &str)> {
        headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect()
    }

    #[test]
    fn uri_encoding_and_normalisation() {
        assert_eq!(uri_encode("a b+c/~"), "a%20b%2Bc%2F~");
        assert_eq!(canonical_uri("", true), "/");
        assert_eq!(canonical_uri("/", true), "/");
        assert_eq!(canonical_uri("/example/..", true), "/");
        assert_eq!(canonical_uri("/example1/example2/../..", true), "/");
        assert_eq!(canonical_uri("/./", true), "/");
        assert_eq!(canonical_uri("//", true), "/");
        assert_eq!(canonical_uri("/./example", true), "/example");
        assert_eq!(canonical_uri("//example//", true), "/example/");
        assert_eq!(canonical_uri("/a/b/.", true), "/a/b/");
        assert_eq!(canonical_uri("//example//", false), "//example//");
        assert_eq!(canonical_uri("/a%3Db c", true), "/a%253Db%20c");
        assert_eq!(
            canonical_query_string("b=2&a=2&a=1&c&X-Amz-Signature=x", true),
            "a=1&a=2&b=2&c="
        );
        assert_eq!(
            canonical_query_string("p=a+b%20c%2f%2B&q=%7E~", false),
            "p=a%20b%20c%2F%2B&q=~~"
        );
    }

    #[test]
    fn round_trip_and_tampering() {
        let headers = [
            ("Host", "127.0.0.1:18081"),
            (
                "Content-Type",
                "application/x-www-form-urlencoded; charset=utf-8",
            ),
        ];
        let body = b"Action=GetCallerIdentity&Version=2011-06-15";
        let all = signed_headers(&headers, body);
        let all = borrow(&all);
        let req = request(&all, body);
        let sig = parse(&req).unwrap();
        assert_eq!(sig.access_key_id, AKID);
        assert_eq!(sig.signed_headers, ["content-type", "host", "x-amz-date"]);
        check_time(&sig, T0).unwrap();
        check_credential_scope(&sig, "iam", None).unwrap();
        verify(&req, &sig, SECRET).unwrap();

        let err = verify(&req, &sig, "wrong").unwrap_err();
        assert_eq!(err.code(), "SignatureDoesNotMatch");
        assert_eq!(err.status(), 403);
        assert_eq!(err.message(), MESSAGE_SIGNATURE_DOES_NOT_MATCH);
        assert!(
            err.message_with_canonical_strings()
                .contains("\nhost:127.0.0.1:18081\n")
        );

        let tampered = request(&all, b"Action=GetCallerIdentity&Version=2011-06-16");
        assert!(verify(&tampered, &sig, SECRET).is_err());
    }

    #[test]
    fn missing_authentication() {
        let headers = [("Host", "h")];
        let err = parse(&request(&headers, b"")).unwrap_err();
        assert_eq!(err, AuthError::MissingAuthenticationToken);
        assert_eq!(err.status(), 403);
        assert_eq!(err.message(), "Request is missing Authentication Token");
        let headers = [("Host", "h"), ("Authorization", "AWS AKID:c2ln")];
        assert_eq!(
            parse(&request(&headers, b"")).unwrap_err(),
            AuthError::MissingAuthenticationToken
        );
    }

    #[test]
    fn incomplete_signature_lists_every_missing_part() {
        let headers = [("Host", "h"), ("Authorization", "AWS4-HMAC-SHA256")];
        let err = parse(&request(&headers, b"")).unwrap_err();
        assert_eq!(err.code(), "IncompleteSignature");
        assert_eq!(err.status(), 400);
        assert_eq!(
            err.message(),
            "Authorization header requires 'Credential' parameter. Authorization header requires \
             'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. \
             Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. \
             Authorization=AWS4-HMAC-SHA256"
        );
        let value = "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/iam/aws4_request";
        let headers = [
            ("Host", "h"),
            ("X-Amz-Date", "20150830T123600Z"),
            ("Authorization", value),
        ];
        assert_eq!(
            parse(&request(&headers, b"")).unwrap_err().message(),
            format!(
                "Authorization header requires 'Signature' parameter. Authorization header requires \
                 'SignedHeaders' parameter. Authorization={value}"
            )
        );
        let value = "AWS4-HMAC-SHA256 Credential=AKID /20150830/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=00";
        let headers = [
            ("Host", "h"),
            ("X-Amz-Date", "20150830T123600Z"),
            ("Authorization", value),
        ];
        assert_eq!(
            parse(&request(&headers, b"")).unwrap_err().message(),
            format!(
                "'/20150830/us-east-1/iam/aws4_request' not a valid key=value pair (missing \
                 equal-sign) in Authorization header: '{value}'."
            )
        );
    }

    #[test]
    fn malformed_parts() {
        let auth = |alg: &str, cred: &str, signed: &str| {
            format!("{alg} Credential={cred}, SignedHeaders={signed}, Signature=00")
        };
        let cases = [
            (
                auth(
                    "AWS4-HMAC-SHA1",
                    "A/20150830/us-east-1/iam/aws4_request",
                    "host;x-amz-date",
                ),
                "IncompleteSignature",
                "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA1' (only AWS4-HMAC-SHA256 for now). ",
            ),
            (
                auth(ALGORITHM, "A/20150830/us-east-1/iam", "host"),
                "IncompleteSignature",
                "Credential must have exactly 5 slash-delimited elements, e.g. \
                 keyid/date/region/service/term, got 'A/20150830/us-east-1/iam'",
            ),
            (
                auth(
                    ALGORITHM,
                    "A/20150830/us-east-1/iam/aws4_request",
                    "content-type;x-amz-date",
                ),
                "SignatureDoesNotMatch",
                MESSAGE_HOST_NOT_SIGNED,
            ),
        ];
        for (value, code, message) in cases {
            let headers = [
                ("Host", "h"),
                ("X-Amz-Date", "20150830T123600Z"),
                ("Authorization", value.as_str()),
            ];
            let err = parse(&request(&headers, b"")).unwrap_err();
            assert_eq!((err.code(), err.message()), (code, message), "{value}");
        }
        let value = auth(ALGORITHM, "A/20150830/us-east-1/iam/aws4_request", "host");
        let headers = [
            ("Host", "h"),
            ("X-Amz-Date", "2015-08-30T12:36:00Z"),
            ("Authorization", value.as_str()),
        ];
        assert_eq!(
            parse(&request(&headers, b"")).unwrap_err().message(),
            "Date must be in ISO-8601 'basic format'. Got '2015-08-30T12:36:00Z'. See \
             http://en.wikipedia.org/wiki/ISO_8601"
        );
        // Trailing slashes of the credential are ignored; comma-only separators and extra
        // spaces are fine.
        let value = format!(
            "{ALGORITHM}   Credential=A/20150830/us-east-1/iam/aws4_request//,SignedHeaders=host ,  Signature=00"
        );
        let headers = [
            ("Host", "h"),
            ("X-Amz-Date", "20150830T123600Z"),
            ("Authorization", value.as_str()),
        ];
        let sig = parse(&request(&headers, b"")).unwrap();
        assert_eq!(sig.terminator, "aws4_request");
    }

    #[test]
    fn scope_messages() {
        let value = format!(
            "{ALGORITHM} Credential=A/20150831/eu-west-1/sts/aws5_request, SignedHeaders=host, Signature=00"
        );
        let headers = [
            ("Host", "h"),
            ("X-Amz-Date", "20150830T123600Z"),
            ("Authorization", value.as_str()),
        ];
        let sig = parse(&request(&headers, b"")).unwrap();
        let err = check_credential_scope(&sig, "iam", Some(&["us-east-1"])).unwrap_err();
        assert_eq!(
            err.message(),
            "Credential should be scoped to a valid region, not 'eu-west-1'. Credential should be \
             scoped to correct service: 'iam'. Credential should be scoped with a valid \
             terminator: 'aws4_request', not 'aws5_request'. Date in Credential scope does not \
             match YYYYMMDD from ISO-8601 version of date from HTTP: '20150831' != '20150830', \
             from '20150830T123600Z'."
        );
        // verify() refuses a bad terminator or date on its own.
        let err = verify(&request(&headers, b""), &sig, SECRET).unwrap_err();
        assert!(
            err.message()
                .starts_with("Credential should be scoped with a valid terminator")
        );
    }

    #[test]
    fn repeated_authentication_headers() {
        let all = signed_headers(&[("Host", "h")], b"");
        let auth = all
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("authorization"))
            .map(|(_, v)| v.clone())
            .unwrap();
        let date = all
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("x-amz-date"))
            .map(|(_, v)| v.clone())
            .unwrap();
        let once = borrow(&all);
        assert!(parse(&request(&once, b"")).is_ok());
        let with = |name: &'static str, value: &str| {
            let mut h = all.clone();
            h.push((name.to_owned(), value.to_owned()));
            h
        };
        let err = |h: &[(String, String)]| parse(&request(&borrow(h), b"")).unwrap_err();
        // Joined as HTTP joins them, the second algorithm name is no key=value pair.
        assert_eq!(
            err(&with("authorization", &auth)),
            AuthError::IncompleteSignature(format!(
                "'{ALGORITHM}' not a valid key=value pair (missing equal-sign) in Authorization header: '{auth},{auth}'."
            ))
        );
        for second in ["Signature=00", ""] {
            assert_eq!(
                err(&with("Authorization", second)),
                AuthError::IncompleteSignature(
                    "The request has more than one 'Authorization' header.".into()
                )
            );
        }
        assert_eq!(
            err(&with("x-amz-date", &date)).code(),
            "IncompleteSignature"
        );
        for name in ["X-Amz-Security-Token", "x-amz-content-sha256"] {
            let mut twice = with(name, "a");
            twice.push((name.to_owned(), "a".to_owned()));
            assert_eq!(err(&twice).code(), "IncompleteSignature", "{name}");
            assert_eq!(err(&twice).status(), 400);
        }
        // Header signature plus presigning parameters.
        for query in [
            "X-Amz-Algorithm=x",
            "X-Amz-Credential=x",
            "X-Amz-Signature=x",
        ] {
            let r = HttpRequest {
                query,
                ..request(&once, b"")
            };
            assert_eq!(parse(&r).unwrap_err().code(), "SignatureDoesNotMatch");
        }
    }

    #[test]
    fn regions_of_every_partition_and_added_ones() {
        let scoped = |region: &str| {
            let value = format!(
                "{ALGORITHM} Credential=A/20150830/{region}/iam/aws4_request, SignedHeaders=host, Signature=00"
            );
            let headers = [
                ("Host", "h"),
                ("X-Amz-Date", "20150830T123600Z"),
                ("Authorization", value.as_str()),
            ];
            parse(&request(&headers, b"")).unwrap()
        };
        let added = ["onprem-1".to_string()];
        let valid = |r: &str| is_aws_region(r) || added.iter().any(|a| a == r);
        for region in [
            "us-east-1",
            "eu-south-2",
            "cn-northwest-1",
            "us-gov-east-1",
            "onprem-1",
        ] {
            check_credential_scope_with(&scoped(region), "iam", &valid).unwrap();
        }
        for region in ["xx-bogus-9", "aws-global", "US-EAST-1", ""] {
            let err = check_credential_scope_with(&scoped(region), "iam", &valid).unwrap_err();
            assert_eq!(err.code(), "SignatureDoesNotMatch");
            assert_eq!(err.status(), 403);
            assert_eq!(
                err.message(),
                format!("Credential should be scoped to a valid region, not '{region}'. ")
            );
        }
        assert_eq!(AWS_REGIONS.len(), 38);
    }

    #[test]
    fn clock_skew() {
        let all = signed_headers(&[("Host", "h")], b"");
        let all = borrow(&all);
        let sig = parse(&request(&all, b"")).unwrap();
        check_time(&sig, T0 + 900).unwrap();
        check_time(&sig, T0 - 900).unwrap();
        assert_eq!(
            check_time(&sig, T0 + 901).unwrap_err().message(),
            "Signature expired: 20150830T123600Z is now earlier than 20150830T123601Z \
             (20150830T125101Z - 15 min.)"
        );
        assert_eq!(
            check_time(&sig, T0 - 901).unwrap_err().message(),
            "Signature not yet current: 20150830T123600Z is still later than 20150830T123559Z \
             (20150830T122059Z + 15 min.)"
        );
    }

    #[test]
    fn date_header_instead_of_x_amz_date() {
        let headers = [("Host", "h"), ("Date", "Sun, 30 Aug 2015 12:36:00 GMT")];
        let req = request(&headers, b"");
        // Sign by hand with the Date header as the signed time.
        let sig = Signature {
            access_key_id: AKID.into(),
            date: "20150830".into(),
            region: "us-east-1".into(),
            service: "iam".into(),
            terminator: TERMINATOR.into(),
            signed_headers: vec!["date".into(), "host".into()],
            signature: String::new(),
            amz_date: "20150830T123600Z".into(),
            timestamp: T0,
            expires: None,
            security_token: None,
            presigned: false,
        };
        let signature = compute_signature(&req, &sig, SECRET);
        let value = format!(
            "{ALGORITHM} Credential={AKID}/20150830/us-east-1/iam/aws4_request, SignedHeaders=date;host, Signature={signature}"
        );
        let mut all = headers.to_vec();
        all.push(("Authorization", &value));
        let req = request(&all, b"");
        let parsed = parse(&req).unwrap();
        assert_eq!(parsed.amz_date, "20150830T123600Z");
        verify(&req, &parsed, SECRET).unwrap();
    }

    #[test]
    fn content_sha256_must_match_the_body() {
        let body = b"Action=ListRoles&Version=2010-05-08";
        let good = hex_sha256(body);
        let wrong = hex_sha256(b"other");
        for (declared, ok) in [
            (good.as_str(), true),
            (wrong.as_str(), false),
            (UNSIGNED_PAYLOAD, false),
        ] {
            let headers = [("Host", "h"), ("x-amz-content-sha256", declared)];
            let all = signed_headers(&headers, body);
            let all = borrow(&all);
            let req = request(&all, body);
            let sig = parse(&req).unwrap();
            assert_eq!(verify(&req, &sig, SECRET).is_ok(), ok, "{declared}");
        }
    }

    #[test]
    fn presigned_round_trip_and_expiry() {
        let headers = [("host", "127.0.0.1:18081")];
        let unsigned = HttpRequest {
            method: "GET",
            path: "/",
            query: "Action=GetCallerIdentity&Version=2011-06-15",
            headers: &headers,
            body: b"",
        };
        let p = SigningParams {
            service: "sts",
            session_token: Some("FQoGZXIvYXdzEXAMPLETOKEN//+="),
            ..params()
        };
        let query = presign(&unsigned, &p, 60);
        let req = HttpRequest {
            query: &query,
            ..unsigned
        };
        let sig = parse(&req).unwrap();
        assert!(sig.presigned);
        assert_eq!(sig.expires, Some(60));
        assert_eq!(
            sig.security_token.as_deref(),
            Some("FQoGZXIvYXdzEXAMPLETOKEN//+=")
        );
        check_credential_scope(&sig, "sts", None).unwrap();
        verify(&req, &sig, SECRET).unwrap();
        // IAM/STS: 15 minutes whatever X-Amz-Expires says.
        check_time(&sig, T0 + 900).unwrap();
        assert!(check_time(&sig, T0 + 901).is_err());
        // S3 style, opt-in.
        check_presigned_expiry(&sig, T0 + 60).unwrap();
        let err = check_presigned_expiry(&sig, T0 + 61).unwrap_err();
        assert_eq!(
            (err.code(), err.status(), err.message()),
            ("AccessDenied", 403, "Request has expired")
        );

        let tampered_query = query.replace("GetCallerIdentity", "GetSessionToken");
        let tampered = HttpRequest {
            query: &tampered_query,
            ..unsigned
        };
        assert!(verify(&tampered, &parse(&tampered).unwrap(), SECRET).is_err());
    }

    #[test]
    fn presigned_parameter_errors() {
        let req = |query: &'static str| HttpRequest {
            method: "GET",
            path: "/",
            query,
            headers: &[],
            body: b"",
        };
        let err = parse(&req(
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20150830T123600Z",
        ))
        .unwrap_err();
        assert_eq!(
            err.message(),
            "AWS query-string parameters must include 'X-Amz-Credential'. AWS query-string \
             parameters must include 'X-Amz-Signature'. AWS query-string parameters must include \
             'X-Amz-SignedHeaders'. Re-examine the query-string parameters."
        );
        let base = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=A%2F20150830%2Fus-east-1%2Fsts%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=host&X-Amz-Signature=00";
        let sig = parse(&req(base)).unwrap();
        assert_eq!(sig.expires, None);
        let err = check_presigned_expiry(&sig, T0).unwrap_err();
        assert_eq!(
            (err.code(), err.status()),
            ("AuthorizationQueryParametersError", 400)
        );
        for (expires, message) in [
            (
                "604801",
                "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds",
            ),
            ("-1", "X-Amz-Expires must be non-negative"),
        ] {
            let query = format!("{base}&X-Amz-Expires={expires}");
            let request = HttpRequest {
                query: &query,
                ..req("")
            };
            let err = check_presigned_expiry(&parse(&request).unwrap(), T0).unwrap_err();
            assert_eq!(err.message(), message);
        }
        let query = format!("{base}&X-Amz-Expires=soon");
        let request = HttpRequest {
            query: &query,
            ..req("")
        };
        assert_eq!(
            parse(&request).unwrap_err().message(),
            "X-Amz-Expires should be a number"
        );

        let both = [
            ("host", "h"),
            ("authorization", "AWS4-HMAC-SHA256 Credential=x"),
        ];
        let request = HttpRequest {
            headers: &both,
            ..req(base)
        };
        let err = parse(&request).unwrap_err();
        assert_eq!(
            (err.code(), err.message()),
            ("SignatureDoesNotMatch", MESSAGE_FOUND_BOTH)
        );
    }

    #[test]
    fn http2_authority_stands_in_for_host() {
        let all = signed_headers(&[("host", "iam.example:443")], b"");
        let mut all = borrow(&all);
        all[0].0 = ":authority";
        let req = request(&all, b"");
        let sig = parse(&req).unwrap();
        verify(&req, &sig, SECRET).unwrap();
    }

    #[test]
    fn debug_output_hides_secrets() {
        let p = SigningParams {
            session_token: Some("TOKENVALUE"),
            ..params()
        };
        let shown = format!("{p:?}");
        assert!(
            !shown.contains(SECRET) && !shown.contains("TOKENVALUE"),
            "{shown}"
        );
        let headers = [("host", "h")];
        let query = presign(&request(&headers, b""), &p, 60);
        let sig = parse(&HttpRequest {
            query: &query,
            ..request(&headers, b"")
        })
        .unwrap();
        let shown = format!("{sig:?}");
        assert!(
            !shown.contains("TOKENVALUE") && shown.contains("<redacted>"),
            "{shown}"
        );
    }

    #[test]
    fn error_codes_and_statuses() {
        let cases = [
            (
                AuthError::InvalidClientTokenId,
                "InvalidClientTokenId",
                403,
                "The security token included in the request is invalid",
            ),
            (
                AuthError::ExpiredToken,
                "ExpiredToken",
                403,
                "The security token included in the request is expired",
            ),
            (
                AuthError::MissingAuthenticationToken,
                "MissingAuthenticationToken",
                403,
                "Request is missing Authentication Token",
            ),
        ];
        for (err, code, status, message) in cases {
            assert_eq!(
                (err.code(), err.status(), err.message()),
                (code, status, message)
            );
            assert_eq!(err.to_string(), format!("{code}: {message}"));
        }
    }
}
