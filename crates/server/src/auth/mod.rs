//! Authentication of requests.

pub(crate) mod issuer;
pub(crate) mod jwt_keys;
pub(crate) mod oidc;
pub(crate) mod saml;
pub(crate) mod session;
pub(crate) mod web_token;
