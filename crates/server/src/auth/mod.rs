//! Authentication of requests.

pub mod issuer;
pub mod jwt_keys;
pub mod oidc;
pub mod saml;
pub mod session;
pub mod web_token;
