//! Self-contained temporary credentials. A session token is an authenticated-encrypted
//! blob (AES-256-GCM) that carries everything authorization needs — account, principal,
//! expiry, the secret access key of the session, session policies, tags, source identity,
//! MFA facts, role-chaining depth — so that any node holding the key ring verifies it
//! without reading the database.
//!
//! Token layout: `PCS1` followed by base64url (no padding) of: key ID (1 byte), nonce
//! (12 bytes), ciphertext of the JSON claims. The key ID names the key of the ring that
//! sealed it; new tokens use the newest key, older keys still open the tokens they sealed.

use crate::error::Error;
use crate::secrets::{random_bytes, write_private};
use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde::{Deserialize, Serialize};
use std::path::Path;

const PREFIX: &str = "PCS1";
/// How many keys a ring keeps: tokens live at most 36 hours, so three rotations of margin.
#[cfg(test)]
const RING_SIZE: usize = 4;

/// Who a session acts as.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SessionPrincipal {
    /// A role session (AssumeRole, AssumeRoleWithWebIdentity, instance and task roles).
    AssumedRole {
        /// The role's unique ID (`AROA…`).
        role_id: String,
        /// The role's ARN, with its path.
        role_arn: String,
        /// The role's name.
        role_name: String,
        /// The session name.
        session_name: String,
    },
    /// A federated user (GetFederationToken), on behalf of an IAM user.
    FederatedUser {
        /// The name given to GetFederationToken.
        name: String,
        /// The IAM user that called GetFederationToken (`None`: the root).
        user_id: Option<String>,
    },
    /// An IAM user's own session (GetSessionToken).
    User {
        /// The user's unique ID.
        user_id: String,
    },
    /// The root user's session (GetSessionToken).
    Root,
}

/// A session tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionTag {
    /// The key.
    pub key: String,
    /// The value.
    pub value: String,
}

/// What a session token carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionClaims {
    /// The account.
    pub account: String,
    /// The temporary access key ID (`ASIA…`).
    pub access_key_id: String,
    /// The temporary secret access key.
    pub secret_access_key: String,
    /// Issue time (seconds since the Unix epoch).
    pub issued: i64,
    /// Expiry (seconds since the Unix epoch).
    pub expires: i64,
    /// Who the session acts as.
    pub principal: SessionPrincipal,
    /// Inline session policy, as passed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<String>,
    /// Managed session policies, by ARN.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policy_arns: Vec<String>,
    /// Session tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<SessionTag>,
    /// Keys of the tags that pass on to a chained role session.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub transitive_tag_keys: Vec<String>,
    /// The source identity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_identity: Option<String>,
    /// When the caller authenticated with MFA (seconds since the Unix epoch), if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mfa_authenticated_at: Option<i64>,
    /// How many role assumptions led to this session by role chaining (0 when the caller
    /// was not itself a role session).
    #[serde(default)]
    pub chain_depth: u8,
    /// Condition keys from the identity provider that every request of the session
    /// carries: `saml:sub`, `saml:sub_type` and `saml:namequalifier` for a session of
    /// AssumeRoleWithSAML (IAM User Guide, "Available keys for SAML-based federation").
    /// They do not pass on to chained sessions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub provider_keys: Vec<(String, String)>,
    /// The workload identity of a role session that AssumeRole created from a workload
    /// identity context (IssueWorkloadIdentityContext). It does not pass on to chained
    /// sessions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workload_identity: Option<WorkloadIdentity>,
    /// The scope-down policies of GetScopedCredentials, oldest first. Each is a layer of its
    /// own that every request of the session must also pass: the session's permissions are
    /// their intersection with what it could do before (unlike `policies` and
    /// `policy_arns`, which together form one layer).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scope_policies: Vec<String>,
    /// Filler that brings the token up to the size asked for with MinimumSessionTokenSize.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub padding: String,
}

/// The workload identity a role session carries: who the workload is and which provider and
/// template minted its identifier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkloadIdentity {
    /// The workload identifier (for a SPIFFE provider, the SPIFFE ID).
    pub subject: String,
    /// The ARN of the workload identity provider.
    pub provider_arn: String,
    /// The ARN of the workload identity template.
    pub template_arn: String,
}

/// The keys that seal and open session tokens.
pub struct KeyRing {
    /// (ID, cipher), oldest first; the last seals new tokens.
    keys: Vec<(u8, Aes256Gcm)>,
}

#[derive(Serialize, Deserialize)]
struct StoredKey {
    id: u8,
    key: String,
}

impl KeyRing {
    /// A ring with one new random key (for in-memory servers).
    pub fn generate() -> KeyRing {
        KeyRing::from_stored(&[new_key(0)]).expect("a random key makes a ring")
    }

    fn from_stored(stored: &[StoredKey]) -> Result<KeyRing, Error> {
        let keys = stored
            .iter()
            .map(|k| {
                let bytes = STANDARD.decode(k.key.trim()).map_err(|e| {
                    Error::Config(format!("session key {} is not base64: {e}", k.id))
                })?;
                let cipher = Aes256Gcm::new_from_slice(&bytes)
                    .map_err(|_| Error::Config(format!("session key {} must be 32 bytes", k.id)))?;
                Ok((k.id, cipher))
            })
            .collect::<Result<Vec<_>, Error>>()?;
        if keys.is_empty() {
            return Err(Error::Config("the session key ring is empty".to_string()));
        }
        Ok(KeyRing { keys })
    }

    /// Reads a ring from its JSON text (`[{"id": 0, "key": "base64"}, …]`, oldest first).
    pub fn from_json(text: &str) -> Result<KeyRing, Error> {
        let stored: Vec<StoredKey> = serde_json::from_str(text)
            .map_err(|e| Error::Config(format!("the session key ring is not valid JSON: {e}")))?;
        KeyRing::from_stored(&stored)
    }

    /// Reads the ring at `path`, creating it (mode 0600) with one key when missing.
    pub(crate) fn load_or_create(path: &Path) -> Result<KeyRing, Error> {
        match std::fs::read_to_string(path) {
            Ok(text) => KeyRing::from_json(&text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let stored = vec![new_key(0)];
                write_private(path, &to_json(&stored))?;
                KeyRing::from_stored(&stored)
            }
            Err(e) => Err(Error::io(format!("reading {}", path.display()), e)),
        }
    }

    /// Adds a new key to the ring file at `path` (creating it if missing); new tokens are
    /// sealed with it, and the oldest keys beyond the ring's size are dropped. Returns the
    /// new key's ID. (Nothing rotates a ring yet but the tests.)
    #[cfg(test)]
    pub(crate) fn rotate(path: &Path) -> Result<u8, Error> {
        let mut stored: Vec<StoredKey> = match std::fs::read_to_string(path) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| {
                Error::Config(format!("the session key ring is not valid JSON: {e}"))
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(Error::io(format!("reading {}", path.display()), e)),
        };
        let id = stored.last().map_or(0, |k| k.id.wrapping_add(1));
        stored.push(new_key(id));
        if stored.len() > RING_SIZE {
            stored.drain(..stored.len() - RING_SIZE);
        }
        let tmp = path.with_extension("new");
        let _ = std::fs::remove_file(&tmp);
        write_private(&tmp, &to_json(&stored))?;
        std::fs::rename(&tmp, path)
            .map_err(|e| Error::io(format!("replacing {}", path.display()), e))?;
        Ok(id)
    }

    /// Seals claims into a session token.
    pub fn seal(&self, claims: &SessionClaims) -> String {
        let plain = serde_json::to_vec(claims).expect("claims serialize to JSON");
        format!("{PREFIX}{}", self.seal_bytes(&plain))
    }

    /// Seals bytes with the newest key: base64url of key ID, nonce and ciphertext.
    pub(crate) fn seal_bytes(&self, plain: &[u8]) -> String {
        let (id, cipher) = self.keys.last().expect("the ring is never empty");
        let nonce = random_bytes::<12>();
        let sealed = cipher
            .encrypt(&Nonce::from(nonce), plain)
            .expect("AES-GCM encrypts any input of this size");
        let mut bytes = Vec::with_capacity(13 + sealed.len());
        bytes.push(*id);
        bytes.extend_from_slice(&nonce);
        bytes.extend_from_slice(&sealed);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// Opens a session token; `None` when it was not sealed by a key of this ring or was
    /// altered.
    pub(crate) fn open(&self, token: &str) -> Option<SessionClaims> {
        let plain = self.open_bytes(token.strip_prefix(PREFIX)?)?;
        serde_json::from_slice(&plain).ok()
    }

    /// Opens what [`KeyRing::seal_bytes`] sealed; `None` when no key of the ring sealed it
    /// or it was altered.
    pub(crate) fn open_bytes(&self, sealed: &str) -> Option<Vec<u8>> {
        let bytes = URL_SAFE_NO_PAD.decode(sealed).ok()?;
        if bytes.len() < 13 {
            return None;
        }
        let (id, rest) = (bytes[0], &bytes[1..]);
        let (nonce, sealed) = rest.split_at(12);
        let (_, cipher) = self.keys.iter().find(|(k, _)| *k == id)?;
        let nonce = Nonce::try_from(nonce).ok()?;
        cipher.decrypt(&nonce, sealed).ok()
    }
}

fn new_key(id: u8) -> StoredKey {
    StoredKey {
        id,
        key: STANDARD.encode(random_bytes::<32>()),
    }
}

fn to_json(stored: &[StoredKey]) -> String {
    serde_json::to_string_pretty(stored).expect("keys serialize to JSON") + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> SessionClaims {
        SessionClaims {
            account: "123456789012".into(),
            access_key_id: "ASIAEXAMPLE".into(),
            secret_access_key: "secret".into(),
            issued: 1,
            expires: 2,
            principal: SessionPrincipal::AssumedRole {
                role_id: "AROAX".into(),
                role_arn: "arn:aws:iam::123456789012:role/R".into(),
                role_name: "R".into(),
                session_name: "s".into(),
            },
            policies: vec!["{}".into()],
            policy_arns: vec![],
            tags: vec![SessionTag {
                key: "team".into(),
                value: "ml".into(),
            }],
            transitive_tag_keys: vec![],
            source_identity: None,
            mfa_authenticated_at: Some(1),
            chain_depth: 0,
            provider_keys: vec![],
            workload_identity: None,
            scope_policies: vec![],
            padding: String::new(),
        }
    }

    #[test]
    fn tokens_round_trip_and_resist_tampering() {
        let ring = KeyRing::generate();
        let token = ring.seal(&claims());
        assert!(token.starts_with("PCS1"));
        assert!(!token.contains("secret"));
        assert_eq!(ring.open(&token).unwrap(), claims());
        let mut bytes = token.into_bytes();
        let last = bytes.len() - 5;
        bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
        assert!(ring.open(&String::from_utf8(bytes).unwrap()).is_none());
        assert!(KeyRing::generate().open(&ring.seal(&claims())).is_none());
        assert!(ring.open("garbage").is_none());
    }

    #[test]
    fn rotation_keeps_old_tokens_valid() {
        let dir = std::env::temp_dir().join(format!("portcullis-ring-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("session-keys");
        let _ = std::fs::remove_file(&path);
        let ring = KeyRing::load_or_create(&path).unwrap();
        let old = ring.seal(&claims());
        assert_eq!(KeyRing::rotate(&path).unwrap(), 1);
        let ring = KeyRing::load_or_create(&path).unwrap();
        assert!(ring.open(&old).is_some());
        let new = ring.seal(&claims());
        for _ in 0..RING_SIZE {
            KeyRing::rotate(&path).unwrap();
        }
        let ring = KeyRing::load_or_create(&path).unwrap();
        assert!(ring.open(&old).is_none());
        assert!(ring.open(&new).is_none());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
