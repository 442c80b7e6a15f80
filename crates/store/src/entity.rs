//! The IAM entities Portcullis keeps, as they are stored. Links between entities are kept on
//! the entity that owns them (a user lists its groups by ID, a role its attached policy ARNs),
//! so that every change of one entity is one record.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A tag (`Key`, `Value`), kept in the order it was given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    /// The tag key.
    pub key: String,
    /// The tag value.
    pub value: String,
}

/// An AWS account served by Portcullis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// The 12-digit account ID.
    pub id: String,
    /// When the account was bootstrapped (milliseconds since the Unix epoch).
    pub create_date: i64,
}

/// An IAM user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// The unique ID (`AIDA…`).
    pub id: String,
    /// The name, as created.
    pub name: String,
    /// The path (`/` or `/division/`).
    pub path: String,
    /// The ARN.
    pub arn: String,
    /// Creation time (milliseconds since the Unix epoch).
    pub create_date: i64,
    /// The ARN of the permissions boundary policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions_boundary: Option<String>,
    /// Tags.
    #[serde(default)]
    pub tags: Vec<Tag>,
    /// IDs of the groups the user belongs to, in the order added.
    #[serde(default)]
    pub groups: Vec<String>,
    /// ARNs of the attached managed policies, in the order attached.
    #[serde(default)]
    pub attached_policies: Vec<String>,
    /// Inline policies by name.
    #[serde(default)]
    pub inline_policies: BTreeMap<String, String>,
    /// When the user's password was last used (milliseconds since the Unix epoch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_last_used: Option<i64>,
}

/// An IAM group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    /// The unique ID (`AGPA…`).
    pub id: String,
    /// The name, as created.
    pub name: String,
    /// The path.
    pub path: String,
    /// The ARN.
    pub arn: String,
    /// Creation time (milliseconds since the Unix epoch).
    pub create_date: i64,
    /// ARNs of the attached managed policies.
    #[serde(default)]
    pub attached_policies: Vec<String>,
    /// Inline policies by name.
    #[serde(default)]
    pub inline_policies: BTreeMap<String, String>,
}

/// When and where a role was last used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleLastUsed {
    /// Milliseconds since the Unix epoch.
    pub date: i64,
    /// The region of the request.
    pub region: String,
}

/// An IAM role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Role {
    /// The unique ID (`AROA…`).
    pub id: String,
    /// The name, as created.
    pub name: String,
    /// The path.
    pub path: String,
    /// The ARN.
    pub arn: String,
    /// Creation time (milliseconds since the Unix epoch).
    pub create_date: i64,
    /// The trust policy, exactly as submitted.
    pub assume_role_policy_document: String,
    /// The description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The maximum session duration in seconds (3,600 to 43,200).
    pub max_session_duration: i64,
    /// The maximum AWS Sign-In session duration in seconds (3,600 to 7,776,000) for
    /// OAuth-based sign-in with the role; `None`: not set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_signin_session_duration: Option<i64>,
    /// The ARN of the permissions boundary policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions_boundary: Option<String>,
    /// Tags.
    #[serde(default)]
    pub tags: Vec<Tag>,
    /// ARNs of the attached managed policies.
    #[serde(default)]
    pub attached_policies: Vec<String>,
    /// Inline policies by name.
    #[serde(default)]
    pub inline_policies: BTreeMap<String, String>,
    /// When the role was last used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used: Option<RoleLastUsed>,
}

/// One version of a customer managed policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyVersion {
    /// `v1`, `v2`, …
    pub version_id: String,
    /// The document, exactly as submitted.
    pub document: String,
    /// Creation time (milliseconds since the Unix epoch).
    pub create_date: i64,
}

/// A customer managed policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManagedPolicy {
    /// The unique ID (`ANPA…`).
    pub id: String,
    /// The name.
    pub name: String,
    /// The path.
    pub path: String,
    /// The ARN.
    pub arn: String,
    /// The description (set at creation only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Creation time (milliseconds since the Unix epoch).
    pub create_date: i64,
    /// Last change of the default version (milliseconds since the Unix epoch).
    pub update_date: i64,
    /// The default version's ID.
    pub default_version_id: String,
    /// The number the next version gets.
    pub next_version: u32,
    /// Versions, oldest first.
    pub versions: Vec<PolicyVersion>,
    /// Tags.
    #[serde(default)]
    pub tags: Vec<Tag>,
}

/// An instance profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceProfile {
    /// The unique ID (`AIPA…`).
    pub id: String,
    /// The name.
    pub name: String,
    /// The path.
    pub path: String,
    /// The ARN.
    pub arn: String,
    /// Creation time (milliseconds since the Unix epoch).
    pub create_date: i64,
    /// Names of its roles (at most one).
    #[serde(default)]
    pub roles: Vec<String>,
    /// Tags.
    #[serde(default)]
    pub tags: Vec<Tag>,
}

/// `Active` or `Inactive`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyStatus {
    /// The key authenticates requests.
    Active,
    /// The key is rejected.
    Inactive,
}

impl KeyStatus {
    /// The status as IAM writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyStatus::Active => "Active",
            KeyStatus::Inactive => "Inactive",
        }
    }
}

/// When, where and for which service an access key was last used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyLastUsed {
    /// Milliseconds since the Unix epoch.
    pub date: i64,
    /// `iam` or `sts`.
    pub service: String,
    /// The region of the request.
    pub region: String,
}

/// A long-term access key of a user or of the account root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessKey {
    /// The access key ID (`AKIA…`).
    pub id: String,
    /// The owning user's ID; `None` for the account root.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// The secret access key, encrypted with the server key (never stored in clear).
    pub secret_ciphertext: String,
    /// Active or inactive.
    pub status: KeyStatus,
    /// Creation time (milliseconds since the Unix epoch).
    pub create_date: i64,
    /// Last use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used: Option<KeyLastUsed>,
}

/// A virtual MFA device: its TOTP seed (encrypted with the server key), and the user it is
/// enabled for, if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MfaDevice {
    /// The serial number: the device's ARN (`arn:aws:iam::ACCOUNT:mfa/PATH…NAME`).
    pub serial_number: String,
    /// The name, as created.
    pub name: String,
    /// The path.
    pub path: String,
    /// The Base32 TOTP seed, encrypted with the server key (never stored in clear).
    pub seed_ciphertext: String,
    /// The ID of the user the device is enabled for; `None` while unassigned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// When the device was enabled (milliseconds since the Unix epoch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_date: Option<i64>,
    /// Creation time (milliseconds since the Unix epoch).
    pub create_date: i64,
    /// Tags.
    #[serde(default)]
    pub tags: Vec<Tag>,
    /// The last TOTP time step whose code was accepted: a code of this step or an earlier
    /// one is never accepted again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_step: Option<i64>,
    /// How many time steps the device's clock runs ahead of the server's (negative: behind),
    /// as measured when it was enabled or last resynchronized.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub drift_steps: i64,
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

/// An IAM OpenID Connect identity provider: an external issuer of ID tokens whose holders
/// may assume roles with AssumeRoleWithWebIdentity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OidcProvider {
    /// The ARN: `arn:aws:iam::ACCOUNT:oidc-provider/HOST/PATH` (the URL without its scheme).
    pub arn: String,
    /// The URL as created, with its scheme (`https://…`; `http://…` only on loopback).
    pub url: String,
    /// The client IDs (audiences) tokens may be issued for, in the order added.
    #[serde(default)]
    pub client_ids: Vec<String>,
    /// Thumbprints of the issuer's certificates (kept and returned; IAM no longer needs them).
    #[serde(default)]
    pub thumbprints: Vec<String>,
    /// Creation time (milliseconds since the Unix epoch).
    pub create_date: i64,
    /// The trusted identity propagation context provider, when configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context_provider: Option<ContextProvider>,
    /// Tags.
    #[serde(default)]
    pub tags: Vec<Tag>,
}

impl OidcProvider {
    /// The URL without its scheme (`token.actions.githubusercontent.com`), as IAM returns it
    /// and as the ARN and trust-policy condition keys spell it.
    pub fn url_without_scheme(&self) -> &str {
        self.url
            .split_once("://")
            .map_or(self.url.as_str(), |(_, rest)| rest)
    }
}

/// A user's console password (IAM's login profile). The password is kept only as an
/// Argon2id hash (PHC string), never in clear.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginProfile {
    /// The owning user's ID.
    pub user_id: String,
    /// The password's Argon2id hash.
    pub password_hash: String,
    /// Hashes of earlier passwords, newest first (kept for the password policy's
    /// PasswordReusePrevention, at most 24).
    #[serde(default)]
    pub previous_hashes: Vec<String>,
    /// Whether the user must set a new password at next sign-in.
    pub password_reset_required: bool,
    /// Creation time (milliseconds since the Unix epoch).
    pub create_date: i64,
    /// When the password was last set (milliseconds since the Unix epoch), for MaxPasswordAge.
    pub password_set_date: i64,
    /// The maximum AWS Sign-In session duration in seconds (3,600 to 7,776,000) for
    /// OAuth-based sign-in with this password; `None`: not set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_signin_session_duration: Option<i64>,
}

/// The account's password policy (UpdateAccountPasswordPolicy).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordPolicy {
    /// Minimum length (6 to 128).
    pub minimum_password_length: i64,
    /// At least one symbol.
    pub require_symbols: bool,
    /// At least one digit.
    pub require_numbers: bool,
    /// At least one upper-case letter.
    pub require_uppercase_characters: bool,
    /// At least one lower-case letter.
    pub require_lowercase_characters: bool,
    /// Users may change their own password.
    pub allow_users_to_change_password: bool,
    /// Days a password is valid (1 to 1,095); `None`: passwords do not expire.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_password_age: Option<i64>,
    /// How many previous passwords cannot be reused (1 to 24).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_reuse_prevention: Option<i64>,
    /// Expired passwords can only be reset by an administrator.
    pub hard_expiry: bool,
}

/// Account-wide settings: the alias, the password policy, STS preferences, outbound
/// identity federation and account properties. One record per account.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountSettings {
    /// The account alias (IAM allows one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
    /// The password policy, when one is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_policy: Option<PasswordPolicy>,
    /// `v1Token` or `v2Token` (SetSecurityTokenServicePreferences); `None` is v1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub global_endpoint_token_version: Option<String>,
    /// The issuer URL of outbound identity federation, while it is enabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outbound_issuer: Option<String>,
    /// The keys that sign the tokens of outbound identity federation (GetWebIdentityToken),
    /// by JWS algorithm (`RS256`, `ES384`): PKCS #8 PEM, encrypted with the server key.
    /// Made on first use.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub outbound_signing_keys: BTreeMap<String, String>,
    /// Account properties (`Namespace/PropertyName` → value).
    #[serde(default)]
    pub properties: BTreeMap<String, String>,
    /// The last credential report generated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_report: Option<CredentialReport>,
}

/// A credential report: a CSV snapshot of every user's credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialReport {
    /// When it was generated (milliseconds since the Unix epoch).
    pub generated: i64,
    /// The CSV text.
    pub csv: String,
}

/// `Active`, `Inactive` or `Expired`: the status of an SSH key, signing certificate or
/// service-specific credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CredentialStatus {
    /// In use.
    Active,
    /// Rejected.
    Inactive,
    /// Past its expiration.
    Expired,
}

impl CredentialStatus {
    /// The status as IAM writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialStatus::Active => "Active",
            CredentialStatus::Inactive => "Inactive",
            CredentialStatus::Expired => "Expired",
        }
    }

    /// Reads IAM's spelling.
    pub fn parse(text: &str) -> Option<CredentialStatus> {
        match text {
            "Active" => Some(CredentialStatus::Active),
            "Inactive" => Some(CredentialStatus::Inactive),
            "Expired" => Some(CredentialStatus::Expired),
            _ => None,
        }
    }
}

/// An SSH public key of a user (for CodeCommit).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SshPublicKey {
    /// The key ID (`APKA…`).
    pub id: String,
    /// The owning user's ID.
    pub user_id: String,
    /// The key as uploaded, in OpenSSH format (`ssh-rsa AAAA…`).
    pub body: String,
    /// The MD5 fingerprint (`aa:bb:…`).
    pub fingerprint: String,
    /// Active or inactive.
    pub status: CredentialStatus,
    /// Upload time (milliseconds since the Unix epoch).
    pub upload_date: i64,
}

/// An X.509 signing certificate of a user (or of the account root).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigningCertificate {
    /// The certificate ID (24 or more characters).
    pub id: String,
    /// The owning user's ID; `None` for the account root.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// The PEM body as uploaded.
    pub body: String,
    /// Active or inactive.
    pub status: CredentialStatus,
    /// Upload time (milliseconds since the Unix epoch).
    pub upload_date: i64,
}

/// A server certificate (for load balancers and CloudFront).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerCertificate {
    /// The unique ID (`ASCA…`).
    pub id: String,
    /// The name, as uploaded.
    pub name: String,
    /// The path.
    pub path: String,
    /// The ARN.
    pub arn: String,
    /// The PEM certificate body.
    pub body: String,
    /// The PEM chain, if given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chain: Option<String>,
    /// The private key, encrypted with the server key (never stored in clear, never returned).
    pub private_key_ciphertext: String,
    /// The certificate's notAfter (milliseconds since the Unix epoch).
    pub expiration: i64,
    /// Upload time (milliseconds since the Unix epoch).
    pub upload_date: i64,
    /// Tags.
    #[serde(default)]
    pub tags: Vec<Tag>,
}

/// A service-specific credential of a user (CodeCommit, Keyspaces, Bedrock).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceSpecificCredential {
    /// The credential ID (`ACCA…`).
    pub id: String,
    /// The owning user's ID.
    pub user_id: String,
    /// The service (`codecommit.amazonaws.com`, …).
    pub service_name: String,
    /// The user name to present to the service (for password credentials).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_user_name: Option<String>,
    /// The alias to present to the service (for API-key credentials such as Bedrock's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_credential_alias: Option<String>,
    /// The password or secret, encrypted with the server key.
    pub secret_ciphertext: String,
    /// Active or inactive.
    pub status: CredentialStatus,
    /// Creation time (milliseconds since the Unix epoch).
    pub create_date: i64,
    /// When the credential expires (milliseconds since the Unix epoch), if it does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration_date: Option<i64>,
}

/// A private key of a SAML provider, for decrypting encrypted assertions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SamlPrivateKey {
    /// The key ID (upper-case letters and digits).
    pub key_id: String,
    /// The PEM key, encrypted with the server key (never stored in clear, never returned).
    pub key_ciphertext: String,
    /// When it was added (milliseconds since the Unix epoch).
    pub timestamp: i64,
}

/// An IAM SAML 2.0 identity provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SamlProvider {
    /// The ARN: `arn:aws:iam::ACCOUNT:saml-provider/NAME`.
    pub arn: String,
    /// The name, as created.
    pub name: String,
    /// The provider's unique ID (SAMLProviderUUID).
    pub uuid: String,
    /// The SAML metadata document, as uploaded.
    pub metadata: String,
    /// The metadata's `validUntil` (milliseconds since the Unix epoch), if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<i64>,
    /// `Required` or `Allowed`, when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assertion_encryption_mode: Option<String>,
    /// Private keys for encrypted assertions (at most two).
    #[serde(default)]
    pub private_keys: Vec<SamlPrivateKey>,
    /// Creation time (milliseconds since the Unix epoch).
    pub create_date: i64,
    /// The trusted identity propagation context provider, when configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context_provider: Option<ContextProvider>,
    /// Tags.
    #[serde(default)]
    pub tags: Vec<Tag>,
}

/// The last time an IAM user or role was authenticated for an action (service last accessed
/// data), as the server records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionAccess {
    /// The user's or role's unique ID.
    pub entity_id: String,
    /// The action (`iam:CreateUser`).
    pub action: String,
    /// When (milliseconds since the Unix epoch).
    pub date: i64,
    /// The region of the request.
    pub region: String,
}

impl ActionAccess {
    /// The record key: entity ID and lower-cased action.
    pub fn record_key(entity_id: &str, action: &str) -> String {
        format!("{entity_id}|{}", action.to_lowercase())
    }
}

/// A service last accessed report (GenerateServiceLastAccessedDetails), as generated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccessReport {
    /// The job ID (a UUID).
    pub job_id: String,
    /// `SERVICE_LEVEL` or `ACTION_LEVEL`.
    pub granularity: String,
    /// When it was generated (milliseconds since the Unix epoch).
    pub created: i64,
    /// The `ServiceLastAccessed` entries, in the shape IAM answers them.
    pub services: Vec<serde_json::Value>,
    /// For reports on a group or policy: the `EntityDetails` entries per service namespace.
    #[serde(default)]
    pub entities: BTreeMap<String, Vec<serde_json::Value>>,
}

/// Whether an instance's metadata service insists on IMDSv2 session tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum HttpTokens {
    /// IMDSv2 only: requests without a session token are refused (401).
    Required,
    /// IMDSv1 and IMDSv2.
    Optional,
}

impl HttpTokens {
    /// The value as EC2 writes it (`required`, `optional`).
    pub fn as_str(self) -> &'static str {
        match self {
            HttpTokens::Required => "required",
            HttpTokens::Optional => "optional",
        }
    }
}

/// A registered EC2-like instance: a workload that gets the role of its instance profile
/// from its own instance metadata listener.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Instance {
    /// The instance ID (`i-` and 17 hexadecimal digits).
    pub id: String,
    /// The name of its instance profile.
    pub instance_profile: String,
    /// Whether IMDSv2 tokens are required.
    pub http_tokens: HttpTokens,
    /// The address its metadata listener binds to (`127.0.0.1:0` picks a free port).
    pub imds_listen: String,
    /// The image ID it was launched with.
    pub image_id: String,
    /// The instance type it was launched with.
    pub instance_type: String,
    /// The availability zone it runs in.
    pub availability_zone: String,
    /// Launch time (milliseconds since the Unix epoch).
    pub launch_time: i64,
    /// Tags.
    #[serde(default)]
    pub tags: Vec<Tag>,
}

/// A registered ECS-like task: a workload that gets its task role from the container
/// credentials endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    /// The task ID (32 hexadecimal digits).
    pub id: String,
    /// The cluster name.
    pub cluster: String,
    /// The task definition it runs (`family:revision`, as given).
    pub task_definition: String,
    /// The ARN of the task role, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_role_arn: Option<String>,
    /// The ARN of the task execution role, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_role_arn: Option<String>,
    /// The secret part of the credentials path (`/v2/credentials/ID`) that only the task
    /// knows.
    pub credentials_id: String,
    /// SHA-256 (hex) of the authorization token the full-URI form requires; the token
    /// itself is shown once, when the task starts.
    pub authorization_token_sha256: String,
    /// Start time (milliseconds since the Unix epoch).
    pub created_at: i64,
}

/// A JWT outbound signer of a workload identity provider: a signing key IAM manages, one per
/// supported algorithm, created with the provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkloadJwtSigner {
    /// The JWS algorithm (`RS256`, `ES384`).
    pub signing_algorithm: String,
    /// The key's algorithm (`RSA_2048`, `ECC_NIST_P384`).
    pub key_algorithm: String,
    /// The key ID published in the provider's JWKS.
    pub key_id: String,
    /// The private key (PKCS#8 PEM), encrypted with the server key.
    pub key_ciphertext: String,
    /// When it started signing: the provider's creation (milliseconds since the Unix epoch).
    pub start_signing_time: i64,
}

/// An X.509 outbound signer of a workload identity provider: a certificate authority
/// attached to it, with its signing window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkloadX509Signer {
    /// The certificate authority's ID.
    pub certificate_authority_id: String,
    /// The account that owns the certificate authority.
    pub account_id: String,
    /// When it starts or started signing (milliseconds since the Unix epoch).
    pub start_signing_time: i64,
    /// When it stops or stopped signing, once scheduled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_signing_time: Option<i64>,
    /// When its trust material stops being published, once scheduled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discovery_expiration_time: Option<i64>,
    /// True when a cancelled rotation stopped it before it ever signed: such an entry is
    /// never resumed by EnableWorkloadIdentityProviderOutboundSigner.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cancelled: bool,
    /// The certificate authority's key algorithm (`EC_prime256v1`): the signer's slot.
    #[serde(default)]
    pub key_algorithm: String,
    /// The certificate authority's private key (PKCS#8 PEM), encrypted with the server key:
    /// Portcullis stands in for AWS Private CA with a local authority of this ID.
    #[serde(default)]
    pub ca_key_ciphertext: String,
    /// The certificate authority's self-signed certificate (PEM): the trust anchor.
    #[serde(default)]
    pub ca_certificate: String,
}

/// An IAM workload identity provider: the issuer and trust boundary of the workload
/// identities minted under it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkloadIdentityProvider {
    /// The ARN: `arn:aws:iam::ACCOUNT:workload-identity-provider/NAME`.
    pub arn: String,
    /// The name, as created.
    pub name: String,
    /// The provider's ID (`AWPA…` for an account-scoped provider).
    pub id: String,
    /// `ACCOUNT` or `ORGANIZATION`.
    pub scope: String,
    /// `SPIFFE` or `NONE`.
    pub scheme: String,
    /// The domain that roots its identifiers, when claimed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// The description, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The JWT signers, one per supported algorithm.
    #[serde(default)]
    pub jwt_signers: Vec<WorkloadJwtSigner>,
    /// The X.509 signers, in the order attached.
    #[serde(default)]
    pub x509_signers: Vec<WorkloadX509Signer>,
    /// The resource policy, exactly as put.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_policy: Option<String>,
    /// Creation time (milliseconds since the Unix epoch).
    pub create_date: i64,
    /// Tags.
    #[serde(default)]
    pub tags: Vec<Tag>,
}

/// An IAM workload identity template: how workload identifiers under a provider are
/// rendered, and which workloads may be attested through it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkloadIdentityTemplate {
    /// The ARN: `arn:aws:iam::ACCOUNT:workload-identity-template/NAME`.
    pub arn: String,
    /// The name, as created.
    pub name: String,
    /// The template's ID (`AWTA…` for an account-scoped template).
    pub id: String,
    /// `ACCOUNT` or `ORGANIZATION`.
    pub scope: String,
    /// The ARN of the provider it was created under.
    pub provider_arn: String,
    /// The description, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The namespace between the provider's root and the pattern, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_prefix: Option<String>,
    /// The pattern workload identifiers are rendered from.
    pub path_pattern: String,
    /// The attestation policy, exactly as set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attestation_policy: Option<String>,
    /// Creation time (milliseconds since the Unix epoch).
    pub create_date: i64,
    /// Tags.
    #[serde(default)]
    pub tags: Vec<Tag>,
}

/// The deletion of a workload identity provider, readable by its ID for 24 hours.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkloadProviderDeletion {
    /// The deletion task ID DeleteWorkloadIdentityProvider returned.
    pub id: String,
    /// The ARN of the deleted provider.
    pub provider_arn: String,
    /// `SUCCEEDED`, `IN_PROGRESS`, `FAILED` or `NOT_STARTED`.
    pub status: String,
    /// When the deletion was asked for (milliseconds since the Unix epoch).
    pub create_date: i64,
}

/// One source-to-target key mapping of a [`ContextProvider`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContextKeyDefinition {
    /// The claim or attribute of the identity provider's token to read.
    pub source_key: String,
    /// The trusted context key it maps to, when given (the source key's name otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_key: Option<String>,
}

/// The trusted identity propagation context provider of an OIDC or SAML provider: how a
/// federated session's end-user identity and context keys come from the token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContextProvider {
    /// The claim that supplies the end user's subject.
    pub subject_source_key: String,
    /// A static subject type (`user`, `workload`), when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject_type_value: Option<String>,
    /// The claim that supplies the subject type, when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject_type_source_key: Option<String>,
    /// The claims mapped into `aws:TransactionContext/IdentityProvider/*` keys.
    #[serde(default)]
    pub key_definitions: Vec<ContextKeyDefinition>,
}
