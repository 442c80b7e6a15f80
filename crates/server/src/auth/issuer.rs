//! A built-in OpenID Connect issuer, for tests and local Kubernetes-like use: it signs ID
//! tokens (ES256) with a key kept in the data directory, serves its discovery document
//! and key set under its URL (`http://ADDR/oidc` unless configured), and registers its
//! keys with the server's own verifier, so that `AssumeRoleWithWebIdentity` accepts its
//! tokens once an OIDC provider with its URL exists.

use crate::error::Error;
use crate::secrets::{random_bytes, write_private};
use crate::time::now_seconds;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use p256::pkcs8::{EncodePrivateKey, LineEnding};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use std::path::Path;

/// The file in the data directory that holds the signing key (PKCS #8 PEM).
pub(crate) const KEY_FILE: &str = "oidc-issuer-key.pem";
/// The file in the data directory that holds the issuer URL the server last used.
pub(crate) const URL_FILE: &str = "oidc-issuer-url";

/// The issuer URL of a server listening on `listen`: `http://ADDR/oidc`, with a loopback
/// address in place of an unspecified one.
pub fn default_url(listen: std::net::SocketAddr) -> String {
    let mut addr = listen;
    if addr.ip().is_unspecified() {
        addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    format!("http://{addr}/oidc")
}

/// Where the issuer URL of a start comes from (see `resolve_url`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlSource {
    /// Derived from the listening address: no URL given, none kept.
    Derived,
    /// Kept in the data directory since an earlier start (no URL given).
    Kept,
    /// Given (`--issuer-url`): the first for the data directory, or the one it keeps.
    Given,
    /// Given, and not the one the data directory kept: the URL changed at this start.
    Changed {
        /// The URL the data directory kept until now.
        previous: String,
    },
}

/// The issuer URL of a start, and where it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IssuerUrl {
    /// The URL (no trailing `/`).
    pub url: String,
    /// Where it comes from.
    pub source: UrlSource,
}

/// The issuer URL a server starts with. A data directory keeps the URL of its first start
/// (in [`URL_FILE`]), so that restarting on another address does not change the issuer
/// under the OpenID Connect providers made for it: a kept URL wins over the one derived
/// from `listen`. A URL given (`--issuer-url`) wins over a kept one: that is a deliberate
/// change, reported as [`UrlSource::Changed`] for the caller to say loudly, and kept from
/// then on. Without a data directory nothing is kept.
pub(crate) fn resolve_url(
    dir: Option<&Path>,
    given: Option<&str>,
    listen: std::net::SocketAddr,
) -> Result<IssuerUrl, Error> {
    let kept = match dir {
        Some(dir) => kept_url(dir)?,
        None => None,
    };
    let (url, source) = match (given, kept) {
        (Some(given), Some(kept)) if same_url(given, &kept) => {
            (given.to_string(), UrlSource::Given)
        }
        (Some(given), Some(kept)) => (given.to_string(), UrlSource::Changed { previous: kept }),
        (Some(given), None) => (given.to_string(), UrlSource::Given),
        (None, Some(kept)) => (kept, UrlSource::Kept),
        (None, None) => (default_url(listen), UrlSource::Derived),
    };
    Ok(IssuerUrl {
        url: url.trim_end_matches('/').to_string(),
        source,
    })
}

/// The issuer URL a data directory keeps, if any.
fn kept_url(dir: &Path) -> Result<Option<String>, Error> {
    let path = dir.join(URL_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let url = text.trim();
            Ok((!url.is_empty()).then(|| url.to_string()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(format!("reading {}", path.display()), e)),
    }
}

/// True when two issuer URLs are the same issuer (a trailing `/` aside).
fn same_url(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}

/// The issuer: its URL and signing key.
pub struct Issuer {
    url: String,
    key: EncodingKey,
    kid: String,
    keys: JwkSet,
}

fn new_key_pem() -> Result<String, Error> {
    loop {
        if let Ok(secret) = p256::SecretKey::from_slice(&random_bytes::<32>()) {
            let pem = secret
                .to_pkcs8_pem(LineEnding::LF)
                .map_err(|e| Error::Config(format!("encoding the issuer key: {e}")))?;
            return Ok(pem.to_string());
        }
    }
}

impl Issuer {
    /// The issuer with the key in `pem`.
    pub(crate) fn from_pem(url: &str, pem: &str) -> Result<Issuer, Error> {
        let bad = |e: jsonwebtoken::errors::Error| {
            Error::Config(format!(
                "the OIDC issuer key is not a P-256 PKCS #8 key: {e}"
            ))
        };
        let key = EncodingKey::from_ec_pem(pem.as_bytes()).map_err(bad)?;
        let mut jwk = Jwk::from_encoding_key(&key, Algorithm::ES256).map_err(bad)?;
        let public = serde_json::to_string(&jwk.algorithm).unwrap_or_default();
        let kid: String = Sha256::digest(public.as_bytes())
            .iter()
            .take(8)
            .map(|b| format!("{b:02x}"))
            .collect();
        jwk.common.key_id = Some(kid.clone());
        jwk.common.public_key_use = Some(jsonwebtoken::jwk::PublicKeyUse::Signature);
        Ok(Issuer {
            url: url.trim_end_matches('/').to_string(),
            key,
            kid,
            keys: JwkSet { keys: vec![jwk] },
        })
    }

    /// The issuer of a server: its key read from the data directory, or made (and, with a
    /// data directory, written there) on first start. The URL is written beside it for
    /// `portcullis token issue`, and kept for later starts (see `resolve_url`).
    pub(crate) fn open(dir: Option<&Path>, url: &str) -> Result<Issuer, Error> {
        let Some(dir) = dir else {
            return Issuer::from_pem(url, &new_key_pem()?);
        };
        let path = dir.join(KEY_FILE);
        let pem = match std::fs::read_to_string(&path) {
            Ok(pem) => pem,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let pem = new_key_pem()?;
                write_private(&path, &pem)?;
                pem
            }
            Err(e) => return Err(Error::io(format!("reading {}", path.display()), e)),
        };
        let url_path = dir.join(URL_FILE);
        crate::secrets::private_options()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&url_path)
            .and_then(|mut f| std::io::Write::write_all(&mut f, url.as_bytes()))
            .map_err(|e| Error::io(format!("writing {}", url_path.display()), e))?;
        Issuer::from_pem(url, &pem)
    }

    /// The issuer a data directory's server uses, for signing tokens outside the server.
    pub fn from_data_dir(dir: &Path) -> Result<Issuer, Error> {
        let read = |name: &str| {
            let p = dir.join(name);
            std::fs::read_to_string(&p).map_err(|e| {
                Error::io(
                    format!(
                        "reading {} (has `portcullis serve` run on this data directory?)",
                        p.display()
                    ),
                    e,
                )
            })
        };
        Issuer::from_pem(read(URL_FILE)?.trim(), &read(KEY_FILE)?)
    }

    /// The issuer URL (the `iss` of its tokens).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The path part of the URL, where the discovery document and key set are served.
    pub(crate) fn path(&self) -> &str {
        crate::auth::oidc::ProviderUrl::parse(&self.url).map_or("", |u| u.path)
    }

    /// The public keys.
    pub(crate) fn key_set(&self) -> &JwkSet {
        &self.keys
    }

    /// The OpenID Connect discovery document.
    pub(crate) fn discovery(&self) -> Value {
        json!({
            "issuer": self.url,
            "jwks_uri": format!("{}/jwks.json", self.url),
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["ES256"],
            "claims_supported": ["sub", "aud", "exp", "iat", "iss", "nbf"],
        })
    }

    /// A signed ID token for `sub` and `aud`, valid for `ttl_seconds`, with extra claims.
    pub fn issue(
        &self,
        sub: &str,
        aud: &str,
        ttl_seconds: i64,
        extra: &Map<String, Value>,
    ) -> Result<String, Error> {
        let now = now_seconds();
        let mut claims = extra.clone();
        for (k, v) in [
            ("iss", json!(self.url)),
            ("sub", json!(sub)),
            ("aud", json!(aud)),
            ("iat", json!(now)),
            ("nbf", json!(now)),
            ("exp", json!(now + ttl_seconds)),
        ] {
            claims.insert(k.to_string(), v);
        }
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, &claims, &self.key)
            .map_err(|e| Error::Config(format!("signing a token: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{DecodingKey, Validation, decode};

    #[test]
    fn signs_tokens_its_key_set_verifies() {
        let issuer =
            Issuer::from_pem("http://127.0.0.1:4600/oidc/", &new_key_pem().unwrap()).unwrap();
        assert_eq!(issuer.url(), "http://127.0.0.1:4600/oidc");
        assert_eq!(issuer.path(), "/oidc");
        assert_eq!(
            issuer.discovery()["jwks_uri"],
            "http://127.0.0.1:4600/oidc/jwks.json"
        );
        let token = issuer
            .issue(
                "system:serviceaccount:ns:sa",
                "sts.amazonaws.com",
                600,
                &Map::new(),
            )
            .unwrap();
        let jwk = &issuer.key_set().keys[0];
        let mut validation = Validation::new(Algorithm::ES256);
        validation.set_audience(&["sts.amazonaws.com"]);
        validation.set_issuer(&["http://127.0.0.1:4600/oidc"]);
        let data =
            decode::<Value>(&token, &DecodingKey::from_jwk(jwk).unwrap(), &validation).unwrap();
        assert_eq!(data.claims["sub"], "system:serviceaccount:ns:sa");
        assert_eq!(data.header.kid.as_deref(), jwk.common.key_id.as_deref());
    }

    #[test]
    fn a_data_directory_keeps_its_first_url() {
        let dir =
            std::env::temp_dir().join(format!("portcullis-issuer-url-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let first: std::net::SocketAddr = "0.0.0.0:4600".parse().unwrap();
        let other: std::net::SocketAddr = "127.0.0.1:4700".parse().unwrap();
        let start = |given: Option<&str>, listen| {
            let url = resolve_url(Some(&dir), given, listen).unwrap();
            Issuer::open(Some(&dir), &url.url).unwrap();
            url
        };
        let derived = start(None, first);
        assert_eq!(derived.url, "http://127.0.0.1:4600/oidc");
        assert_eq!(derived.source, UrlSource::Derived);
        // Another address: the kept URL.
        let kept = start(None, other);
        assert_eq!(kept.url, "http://127.0.0.1:4600/oidc");
        assert_eq!(kept.source, UrlSource::Kept);
        // The same URL given (a trailing slash aside): nothing changes.
        let same = start(Some("http://127.0.0.1:4600/oidc/"), other);
        assert_eq!(same.url, "http://127.0.0.1:4600/oidc");
        assert_eq!(same.source, UrlSource::Given);
        // Another URL given: it wins, the change is reported, and it is kept from then on.
        let changed = start(Some("https://id.example.com/k8s"), other);
        assert_eq!(changed.url, "https://id.example.com/k8s");
        assert_eq!(
            changed.source,
            UrlSource::Changed {
                previous: "http://127.0.0.1:4600/oidc".into()
            }
        );
        assert_eq!(
            start(None, first),
            IssuerUrl {
                url: "https://id.example.com/k8s".into(),
                source: UrlSource::Kept
            }
        );
        assert_eq!(
            Issuer::from_data_dir(&dir).unwrap().url(),
            "https://id.example.com/k8s"
        );
        std::fs::remove_dir_all(&dir).unwrap();
        // Without a data directory: given, or derived; nothing kept.
        assert_eq!(
            resolve_url(None, None, other).unwrap().source,
            UrlSource::Derived
        );
    }

    #[test]
    fn keeps_its_key_in_the_data_directory() {
        let dir = std::env::temp_dir().join(format!("portcullis-issuer-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let first = Issuer::open(Some(&dir), "http://127.0.0.1:1/oidc").unwrap();
        let again = Issuer::from_data_dir(&dir).unwrap();
        assert_eq!(first.key_set(), again.key_set());
        assert_eq!(again.url(), "http://127.0.0.1:1/oidc");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
