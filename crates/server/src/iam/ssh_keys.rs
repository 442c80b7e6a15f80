//! SSH public keys of users (for AWS CodeCommit): UploadSSHPublicKey, GetSSHPublicKey,
//! ListSSHPublicKeys, UpdateSSHPublicKey, DeleteSSHPublicKey.
//!
//! IAM takes RSA keys of at least 2,048 bits, in OpenSSH format (`ssh-rsa AAAA… comment`)
//! or PEM (`PUBLIC KEY` or `RSA PUBLIC KEY`); other key types (an `ssh-ed25519` key is read
//! and recognised) are refused with UnrecognizedPublicKeyEncoding, as CodeCommit does not
//! take them. The fingerprint is the MD5 digest of the key's SSH wire encoding in
//! colon-separated hex, as IAM gives it; GetSSHPublicKey returns the key in OpenSSH format
//! (Encoding SSH) or as a PEM `PUBLIC KEY` (Encoding PEM). At most 5 keys per user.

use super::rules::over_quota;
use super::users;
use crate::call::Ctx;
use crate::call::input::{Page, dated_key};
use crate::error::Error;
use crate::pem::{pem_blocks, rsa_public_key, rsa_spki, to_pem};
use crate::secrets::unique_id;
use crate::time::now_millis;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use md5::{Digest, Md5};
use portcullis_protocol::Timestamp;
use portcullis_protocol::iam::{
    DeleteSSHPublicKeyInput, GetSSHPublicKeyInput, GetSSHPublicKeyOutput, IamErrorCode,
    ListSSHPublicKeysInput, ListSSHPublicKeysOutput, SSHPublicKey, SSHPublicKeyMetadata,
    UpdateSSHPublicKeyInput, UploadSSHPublicKeyInput, UploadSSHPublicKeyOutput,
};
use portcullis_store::{Change, CredentialStatus, Entities, SshPublicKey, User};

/// SSH public keys per user (IAM and STS quotas).
pub(crate) const KEYS_PER_USER: usize = 5;

/// The smallest RSA key IAM takes, in bits.
const MIN_RSA_BITS: usize = 2048;

/// A public key read from what a user uploaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ParsedKey {
    /// An RSA key: modulus and exponent, big-endian without leading zeros.
    Rsa {
        /// The modulus.
        modulus: Vec<u8>,
        /// The public exponent.
        exponent: Vec<u8>,
    },
    /// An Ed25519 key (32 bytes).
    Ed25519(Vec<u8>),
}

impl ParsedKey {
    /// The key's SSH wire encoding (RFC 4253 section 6.6, RFC 8709).
    pub(crate) fn wire(&self) -> Vec<u8> {
        let mut out = Vec::new();
        match self {
            ParsedKey::Rsa { modulus, exponent } => {
                put_string(&mut out, b"ssh-rsa");
                put_mpint(&mut out, exponent);
                put_mpint(&mut out, modulus);
            }
            ParsedKey::Ed25519(key) => {
                put_string(&mut out, b"ssh-ed25519");
                put_string(&mut out, key);
            }
        }
        out
    }

    /// The key in OpenSSH format, without a comment.
    pub(crate) fn openssh(&self) -> String {
        let kind = match self {
            ParsedKey::Rsa { .. } => "ssh-rsa",
            ParsedKey::Ed25519(_) => "ssh-ed25519",
        };
        format!("{kind} {}", STANDARD.encode(self.wire()))
    }

    /// The MD5 fingerprint of the wire encoding, as `aa:bb:…`.
    pub(crate) fn fingerprint(&self) -> String {
        Md5::digest(self.wire())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(":")
    }
}

fn put_string(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
    out.extend_from_slice(bytes);
}

fn put_mpint(out: &mut Vec<u8>, magnitude: &[u8]) {
    if magnitude.first().is_some_and(|b| b & 0x80 != 0) {
        let mut padded = vec![0];
        padded.extend_from_slice(magnitude);
        put_string(out, &padded);
    } else {
        put_string(out, magnitude);
    }
}

fn take_string<'a>(input: &mut &'a [u8]) -> Option<&'a [u8]> {
    if input.len() < 4 {
        return None;
    }
    let len = u32::from_be_bytes([input[0], input[1], input[2], input[3]]) as usize;
    let rest = &input[4..];
    if rest.len() < len {
        return None;
    }
    let (value, after) = rest.split_at(len);
    *input = after;
    Some(value)
}

fn strip_zeros(bytes: &[u8]) -> Vec<u8> {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    bytes[start..].to_vec()
}

/// Why an uploaded key was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyError {
    /// Not a key in a format IAM reads (UnrecognizedPublicKeyEncoding).
    Unrecognized,
    /// Readable but not acceptable: malformed, or too short (InvalidPublicKey).
    Invalid,
}

/// Reads an OpenSSH wire blob.
fn parse_wire(blob: &[u8], declared: &str) -> Result<ParsedKey, KeyError> {
    let mut rest = blob;
    let kind = take_string(&mut rest).ok_or(KeyError::Invalid)?;
    if kind != declared.as_bytes() {
        return Err(KeyError::Invalid);
    }
    let key = match declared {
        "ssh-rsa" => {
            let e = take_string(&mut rest).ok_or(KeyError::Invalid)?;
            let n = take_string(&mut rest).ok_or(KeyError::Invalid)?;
            ParsedKey::Rsa {
                modulus: strip_zeros(n),
                exponent: strip_zeros(e),
            }
        }
        "ssh-ed25519" => {
            let k = take_string(&mut rest).ok_or(KeyError::Invalid)?;
            if k.len() != 32 {
                return Err(KeyError::Invalid);
            }
            ParsedKey::Ed25519(k.to_vec())
        }
        _ => return Err(KeyError::Unrecognized),
    };
    if !rest.is_empty() {
        return Err(KeyError::Invalid);
    }
    Ok(key)
}

/// Reads a public key in OpenSSH format or PEM.
pub(crate) fn parse_key(body: &str) -> Result<ParsedKey, KeyError> {
    let body = body.trim();
    if body.starts_with("-----BEGIN ") {
        let blocks = pem_blocks(body);
        let (label, der) = blocks.first().ok_or(KeyError::Unrecognized)?;
        let pkcs1 = match label.as_str() {
            "PUBLIC KEY" => false,
            "RSA PUBLIC KEY" => true,
            _ => return Err(KeyError::Unrecognized),
        };
        let (modulus, exponent) = rsa_public_key(der, pkcs1).ok_or(KeyError::Invalid)?;
        return Ok(ParsedKey::Rsa { modulus, exponent });
    }
    let mut fields = body.split_whitespace();
    let kind = fields.next().ok_or(KeyError::Unrecognized)?;
    if !matches!(kind, "ssh-rsa" | "ssh-ed25519") {
        return Err(KeyError::Unrecognized);
    }
    let blob = fields
        .next()
        .and_then(|b| STANDARD.decode(b).ok())
        .ok_or(KeyError::Invalid)?;
    parse_wire(&blob, kind)
}

/// Checks that IAM takes the key: RSA of at least 2,048 bits.
pub(crate) fn check_acceptable(key: &ParsedKey) -> Result<(), KeyError> {
    match key {
        ParsedKey::Rsa { modulus, .. } => {
            let bits =
                modulus.len() * 8 - modulus.first().map_or(8, |b| b.leading_zeros() as usize);
            if bits < MIN_RSA_BITS {
                return Err(KeyError::Invalid);
            }
            Ok(())
        }
        ParsedKey::Ed25519(_) => Err(KeyError::Unrecognized),
    }
}

fn key_error(e: KeyError) -> Error {
    match e {
        KeyError::Unrecognized => Error::aws(
            IamErrorCode::UnrecognizedPublicKeyEncoding,
            "The public key encoding format is unsupported or unrecognized.",
        ),
        KeyError::Invalid => Error::aws(
            IamErrorCode::InvalidPublicKey,
            "The public key is malformed or otherwise invalid.",
        ),
    }
}

fn not_found(id: &str) -> Error {
    Error::no_such_entity(format!("The Public Key with id {id} cannot be found."))
}

/// The user's key with this ID, or NoSuchEntity.
fn find<'e>(e: &'e Entities, user: &User, id: &str) -> Result<&'e SshPublicKey, Error> {
    e.ssh_public_keys
        .get(id)
        .filter(|k| k.user_id == user.id)
        .ok_or_else(|| not_found(id))
}

/// The `SSHPublicKey` shape, with the key's body as given.
fn full_view(k: &SshPublicKey, user: &User, body: String) -> SSHPublicKey {
    SSHPublicKey {
        user_name: user.name.clone(),
        ssh_public_key_id: k.id.clone(),
        fingerprint: k.fingerprint.clone(),
        ssh_public_key_body: body,
        status: k.status.as_str().to_string(),
        upload_date: Some(Timestamp::from_millis(k.upload_date)),
    }
}

/// UploadSSHPublicKey.
pub(crate) async fn upload_ssh_public_key(
    ctx: &Ctx<'_>,
    input: UploadSSHPublicKeyInput,
) -> Result<UploadSSHPublicKeyOutput, Error> {
    let name = input.user_name.as_str();
    let body = input.ssh_public_key_body.as_str();
    let key = parse_key(body).map_err(key_error)?;
    check_acceptable(&key).map_err(key_error)?;
    let fingerprint = key.fingerprint();
    let stored_body = if body.trim().starts_with("-----") {
        key.openssh()
    } else {
        body.trim().to_string()
    };
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let user = users::find(e, name)?;
            let existing = e.ssh_public_keys_of(&user.id);
            if existing.iter().any(|k| k.fingerprint == fingerprint) {
                return Err(Error::aws(
                    IamErrorCode::DuplicateSSHPublicKey,
                    "The SSH public key specified in the request is already associated with the user.",
                ));
            }
            if existing.len() >= KEYS_PER_USER {
                return Err(over_quota("PublicKeysPerUser", KEYS_PER_USER));
            }
            let k = SshPublicKey {
                id: unique_id("APKA", 16),
                user_id: user.id.clone(),
                body: stored_body,
                fingerprint,
                status: CredentialStatus::Active,
                upload_date: now_millis(),
            };
            let out = UploadSSHPublicKeyOutput {
                ssh_public_key: Some(full_view(&k, user, k.body.clone())),
            };
            Ok((vec![Change::put(account, &k)], out))
        })
        .await
}

/// GetSSHPublicKey, in OpenSSH format or as PEM.
pub(crate) fn get_ssh_public_key(
    ctx: &Ctx<'_>,
    input: GetSSHPublicKeyInput,
) -> Result<GetSSHPublicKeyOutput, Error> {
    let name = input.user_name.as_str();
    let id = input.ssh_public_key_id.as_str();
    let encoding = input.encoding.as_str();
    ctx.app.read(|e| {
        let user = users::find(e, name)?;
        let k = find(e, user, id)?;
        let body = match encoding {
            "PEM" => match parse_key(&k.body) {
                Ok(ParsedKey::Rsa { modulus, exponent }) => {
                    to_pem("PUBLIC KEY", &rsa_spki(&modulus, &exponent))
                }
                _ => return Err(key_error(KeyError::Unrecognized)),
            },
            _ => k.body.clone(),
        };
        Ok(GetSSHPublicKeyOutput {
            ssh_public_key: Some(full_view(k, user, body)),
        })
    })
}

/// ListSSHPublicKeys: the named user's keys (the caller's without a name); a user without
/// keys lists none.
pub(crate) fn list_ssh_public_keys(
    ctx: &Ctx<'_>,
    input: ListSSHPublicKeysInput,
) -> Result<ListSSHPublicKeysOutput, Error> {
    let page = Page::new(input.marker.as_deref(), input.max_items)?;
    ctx.app.read(|e| {
        let user = users::find(e, users::target_user(ctx, input.user_name.as_deref())?)?;
        let keys = e.ssh_public_keys_of(&user.id);
        let order: Vec<String> = keys
            .iter()
            .map(|k| dated_key(k.upload_date, &k.id))
            .collect();
        let (items, next) = page.take(order.iter().zip(&keys).map(|(o, k)| {
            (
                o.as_str(),
                SSHPublicKeyMetadata {
                    user_name: user.name.clone(),
                    ssh_public_key_id: k.id.clone(),
                    status: k.status.as_str().to_string(),
                    upload_date: Timestamp::from_millis(k.upload_date),
                },
            )
        }));
        Ok(ListSSHPublicKeysOutput {
            ssh_public_keys: Some(items),
            is_truncated: Some(next.is_some()),
            marker: next,
        })
    })
}

/// UpdateSSHPublicKey: Active or Inactive.
pub(crate) async fn update_ssh_public_key(
    ctx: &Ctx<'_>,
    input: UpdateSSHPublicKeyInput,
) -> Result<(), Error> {
    let name = input.user_name.as_str();
    let id = input.ssh_public_key_id.as_str();
    let status = settable_status(&input.status)?;
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let user = users::find(e, name)?;
            let mut k = find(e, user, id)?.clone();
            k.status = status;
            Ok((vec![Change::put(account, &k)], ()))
        })
        .await
}

/// A status an update may set: Active or Inactive (Expired is IAM's to set).
pub(crate) fn settable_status(text: &str) -> Result<CredentialStatus, Error> {
    match CredentialStatus::parse(text) {
        Some(s @ (CredentialStatus::Active | CredentialStatus::Inactive)) => Ok(s),
        _ => Err(Error::invalid_input(format!(
            "Invalid status {text}: only Active and Inactive can be set."
        ))),
    }
}

/// DeleteSSHPublicKey.
pub(crate) async fn delete_ssh_public_key(
    ctx: &Ctx<'_>,
    input: DeleteSSHPublicKeyInput,
) -> Result<(), Error> {
    let name = input.user_name.as_str();
    let id = input.ssh_public_key_id.as_str();
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let user = users::find(e, name)?;
            let k = find(e, user, id)?;
            Ok((vec![Change::delete(account, k)], ()))
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An RSA 2048 key made with `ssh-keygen -t rsa -b 2048`, and its MD5 fingerprint as
    /// `ssh-keygen -l -E md5` prints it.
    const RSA: &str = include_str!("testdata/id_rsa.pub");
    const RSA_MD5: &str = include_str!("testdata/id_rsa.md5");
    /// The same key as PEM (`ssh-keygen -e -m PKCS8`).
    const RSA_PEM: &str = include_str!("testdata/id_rsa.pem");
    /// An Ed25519 key (`ssh-keygen -t ed25519`) and its MD5 fingerprint.
    const ED25519: &str = include_str!("testdata/id_ed25519.pub");
    const ED25519_MD5: &str = include_str!("testdata/id_ed25519.md5");
    /// An RSA 1024 key: too short for IAM.
    const RSA_1024: &str = include_str!("testdata/id_rsa_1024.pub");

    #[test]
    fn fingerprints_as_ssh_keygen_does() {
        let key = parse_key(RSA).unwrap();
        assert_eq!(key.fingerprint(), RSA_MD5.trim());
        assert!(check_acceptable(&key).is_ok());
        let ed = parse_key(ED25519).unwrap();
        assert_eq!(ed.fingerprint(), ED25519_MD5.trim());
        assert_eq!(check_acceptable(&ed), Err(KeyError::Unrecognized));
        let short = parse_key(RSA_1024).unwrap();
        assert_eq!(check_acceptable(&short), Err(KeyError::Invalid));
    }

    #[test]
    fn reads_pem_and_writes_it_back() {
        let from_pem = parse_key(RSA_PEM).unwrap();
        let from_ssh = parse_key(RSA).unwrap();
        assert_eq!(from_pem, from_ssh);
        let ParsedKey::Rsa { modulus, exponent } = &from_ssh else {
            panic!("RSA")
        };
        assert_eq!(
            to_pem("PUBLIC KEY", &rsa_spki(modulus, exponent)).trim(),
            RSA_PEM.trim()
        );
        // The OpenSSH form without the comment round-trips.
        assert_eq!(
            from_ssh.openssh(),
            RSA.split_whitespace().take(2).collect::<Vec<_>>().join(" ")
        );
    }

    #[test]
    fn refuses_what_is_not_a_key() {
        assert_eq!(parse_key("ssh-dss AAAA"), Err(KeyError::Unrecognized));
        assert_eq!(parse_key("hello"), Err(KeyError::Unrecognized));
        assert_eq!(parse_key("ssh-rsa !!!"), Err(KeyError::Invalid));
        // A blob that says it is an Ed25519 key under an ssh-rsa label.
        let ed_blob = ED25519.split_whitespace().nth(1).unwrap();
        assert_eq!(
            parse_key(&format!("ssh-rsa {ed_blob}")),
            Err(KeyError::Invalid)
        );
        assert_eq!(
            parse_key("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"),
            Err(KeyError::Unrecognized)
        );
        assert!(settable_status("Expired").is_err());
        assert_eq!(
            settable_status("Inactive").unwrap(),
            CredentialStatus::Inactive
        );
    }
}
