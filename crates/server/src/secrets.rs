//! Randomness and secrets at rest: new IDs and secret keys, and the server key that
//! encrypts secret access keys before they are stored (AES-256-GCM).

use crate::error::Error;
use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use std::path::Path;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// Random bytes from the operating system.
pub(crate) fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).expect("the operating system provides randomness");
    buf
}

/// IDs in the UUID form AWS uses for request and event IDs, made from a random
/// per-process prefix and a counter, so that making one costs no system call.
pub(crate) struct IdSequence {
    base: OnceLock<u128>,
    counter: AtomicU64,
}

impl IdSequence {
    /// A sequence whose prefix is drawn when its first ID is made.
    pub(crate) const fn new() -> IdSequence {
        IdSequence {
            base: OnceLock::new(),
            counter: AtomicU64::new(0),
        }
    }

    /// The next ID.
    pub(crate) fn next(&self) -> uuid::Uuid {
        let base = *self
            .base
            .get_or_init(|| u128::from_le_bytes(random_bytes::<16>()));
        let n = u128::from(self.counter.fetch_add(1, Ordering::Relaxed));
        uuid::Builder::from_random_bytes((base ^ n).to_le_bytes()).into_uuid()
    }
}

impl Default for IdSequence {
    fn default() -> IdSequence {
        IdSequence::new()
    }
}

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// An AWS-style unique ID: a four-letter prefix (`AIDA`, `AROA`, `ANPA`, `AGPA`, `AIPA`,
/// `AKIA`, `ASIA`) and `len` random base-32 characters.
pub(crate) fn unique_id(prefix: &str, len: usize) -> String {
    let bytes = random_bytes::<32>();
    let mut id = String::with_capacity(prefix.len() + len);
    id.push_str(prefix);
    id.extend(
        bytes
            .iter()
            .take(len)
            .map(|b| BASE32[(b & 31) as usize] as char),
    );
    id
}

/// A new secret access key: 40 characters of base64.
pub(crate) fn secret_access_key() -> String {
    let mut s = STANDARD.encode(random_bytes::<30>());
    s.truncate(40);
    s
}

/// The key that encrypts secrets at rest.
pub(crate) struct ServerKey {
    cipher: Aes256Gcm,
}

impl ServerKey {
    /// A key from its base64 text (32 bytes).
    pub(crate) fn from_base64(text: &str) -> Result<ServerKey, Error> {
        let bytes = STANDARD
            .decode(text.trim())
            .map_err(|e| Error::Config(format!("the server key is not base64: {e}")))?;
        ServerKey::from_bytes(&bytes)
    }

    fn from_bytes(bytes: &[u8]) -> Result<ServerKey, Error> {
        let cipher = Aes256Gcm::new_from_slice(bytes)
            .map_err(|_| Error::Config("the server key must be 32 bytes".to_string()))?;
        Ok(ServerKey { cipher })
    }

    /// A new random key (for in-memory servers).
    pub(crate) fn generate() -> ServerKey {
        ServerKey::from_bytes(&random_bytes::<32>()).expect("32 random bytes make a key")
    }

    /// Reads the key from `path`, creating it (mode 0600) when missing. Returns whether
    /// it was created.
    pub(crate) fn load_or_create(path: &Path) -> Result<(ServerKey, bool), Error> {
        match std::fs::read_to_string(path) {
            Ok(text) => Ok((ServerKey::from_base64(&text)?, false)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let text = STANDARD.encode(random_bytes::<32>());
                write_private(path, &format!("{text}\n"))?;
                Ok((ServerKey::from_base64(&text)?, true))
            }
            Err(e) => Err(Error::io(format!("reading {}", path.display()), e)),
        }
    }

    /// Encrypts a secret; the result is base64 of nonce and ciphertext.
    pub(crate) fn encrypt(&self, plaintext: &str) -> String {
        let nonce_bytes = random_bytes::<12>();
        let nonce = Nonce::from(nonce_bytes);
        let sealed = self
            .cipher
            .encrypt(&nonce, plaintext.as_bytes())
            .expect("AES-GCM encrypts any input of this size");
        let mut out = nonce_bytes.to_vec();
        out.extend_from_slice(&sealed);
        STANDARD.encode(out)
    }

    /// Decrypts what [`ServerKey::encrypt`] produced; `None` when it was not made with
    /// this key or was altered.
    pub(crate) fn decrypt(&self, ciphertext: &str) -> Option<String> {
        let bytes = STANDARD.decode(ciphertext).ok()?;
        if bytes.len() < 12 {
            return None;
        }
        let (nonce, sealed) = bytes.split_at(12);
        let nonce = Nonce::try_from(nonce).ok()?;
        let plain = self.cipher.decrypt(&nonce, sealed).ok()?;
        String::from_utf8(plain).ok()
    }
}

/// Creates `dir` if missing, then makes it and everything in it (one level of subfolders
/// deep) its owner's alone: folders 0700, files 0600. A data directory holds the password
/// hashes, the encrypted secrets and the audit trail.
pub(crate) fn make_private_dir(dir: &Path) -> Result<(), Error> {
    let failed = |e| Error::io(format!("making {} private", dir.display()), e);
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(failed)?;
    #[cfg(unix)]
    restrict(dir, 1).map_err(failed)?;
    Ok(())
}

/// Sets `path` to 0700 (a folder, then its entries, `depth` levels deep) or 0600 (a file);
/// symbolic links are left alone.
#[cfg(unix)]
fn restrict(path: &Path, depth: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::symlink_metadata(path)?;
    if meta.is_dir() {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700))?;
        if depth > 0 {
            for entry in std::fs::read_dir(path)? {
                restrict(&entry?.path(), depth - 1)?;
            }
        }
    } else if meta.is_file() {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

/// Creates `path` empty, readable only by its owner (mode 0600), unless it exists.
pub(crate) fn create_private_file(path: &Path) -> Result<(), Error> {
    private_options()
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map(drop)
        .map_err(|e| Error::io(format!("creating {}", path.display()), e))
}

/// Options that create a file readable only by its owner (mode 0600).
pub(crate) fn private_options() -> std::fs::OpenOptions {
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = std::fs::OpenOptions::new();
    #[cfg(unix)]
    options.mode(0o600);
    options
}

/// Writes a file readable only by its owner (mode 0600).
pub fn write_private(path: &Path, contents: &str) -> Result<(), Error> {
    use std::io::Write;
    let mut file = private_options()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| Error::io(format!("creating {}", path.display()), e))?;
    file.write_all(contents.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| Error::io(format!("writing {}", path.display()), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_look_like_aws() {
        let id = unique_id("AROA", 17);
        assert_eq!(id.len(), 21);
        assert!(id.starts_with("AROA"));
        assert!(
            id.bytes()
                .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b))
        );
        assert_eq!(secret_access_key().len(), 40);
    }

    #[test]
    fn sequences_make_distinct_random_uuids() {
        let (first, second) = (IdSequence::new(), IdSequence::new());
        let ids: std::collections::HashSet<uuid::Uuid> = (0..1000)
            .map(|_| first.next())
            .chain([second.next()])
            .collect();
        assert_eq!(ids.len(), 1001);
        for id in &ids {
            assert_eq!(id.get_version(), Some(uuid::Version::Random));
            assert_eq!(id.get_variant(), uuid::Variant::RFC4122);
        }
    }

    #[test]
    fn secrets_round_trip_and_resist_tampering() {
        let key = ServerKey::generate();
        let sealed = key.encrypt("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
        assert!(!sealed.contains("wJalr"));
        assert_eq!(
            key.decrypt(&sealed).unwrap(),
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
        );
        let mut bytes = STANDARD.decode(&sealed).unwrap();
        bytes[20] ^= 1;
        assert!(key.decrypt(&STANDARD.encode(bytes)).is_none());
        assert!(ServerKey::generate().decrypt(&sealed).is_none());
    }
}
