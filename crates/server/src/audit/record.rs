//! One request as a CloudTrail record: who called (`userIdentity`), what (`eventSource`,
//! `eventName`, `requestParameters`), what came of it (`responseElements` or `errorCode`
//! and `errorMessage`), with secrets left out as AWS leaves them out.
//!
//! Format: "CloudTrail record contents for management, data, and network activity events"
//! and "CloudTrail userIdentity element" in the AWS CloudTrail User Guide.

use crate::auth::session::{SessionClaims, SessionPrincipal};
use crate::caller::Caller;
use crate::iam::input::lower_camel;
use crate::protocol::AwsError;
use crate::time::iso8601;
use portcullis_policy::PrincipalKind;
use portcullis_store::EventRecord;
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::Value;
use std::borrow::Cow;

/// The version of the record format written (CloudTrail's `eventVersion`).
pub const EVENT_VERSION: &str = "1.08";

/// What AWS writes in place of a secret request parameter (a password, a token).
pub const HIDDEN: &str = "HIDDEN_DUE_TO_SECURITY_REASONS";

/// Request parameters whose values are secrets: written as [`HIDDEN`].
const SECRET_PARAMETERS: &[&str] = &[
    "Password",
    "NewPassword",
    "OldPassword",
    "WebIdentityToken",
    "SAMLAssertion",
    "TokenCode",
    "AuthenticationCode1",
    "AuthenticationCode2",
    "PrivateKey",
];

/// Response members that are secrets: never written.
const SECRET_RESPONSE_MEMBERS: &[&str] = &[
    "SecretAccessKey",
    "SessionToken",
    "Password",
    "ServicePassword",
    "PrivateKey",
    "Base32StringSeed",
    "QRCodePNG",
];

/// STS operations that issue credentials: read-only for CloudTrail, but their response
/// (without the secret and the token) is recorded.
const ISSUING: &[&str] = &[
    "AssumeRole",
    "AssumeRoleWithWebIdentity",
    "AssumeRoleWithSAML",
    "GetSessionToken",
    "GetFederationToken",
];

/// Everything known about one request when it is answered.
pub struct Facts<'a> {
    /// The request ID sent to the client.
    pub request_id: &'a str,
    /// When the request arrived (milliseconds since the Unix epoch).
    pub time: i64,
    /// The signing name of the service: `iam`, `sts` or `cloudtrail`.
    pub service: &'a str,
    /// The client's address.
    pub source_ip: &'a str,
    /// The client's `User-Agent`.
    pub user_agent: &'a str,
    /// The region the request was signed for, when known.
    pub region: Option<&'a str>,
    /// The authenticated caller; `None` when authentication failed.
    pub caller: Option<&'a Caller>,
    /// When authentication failed: the access key the request claimed, if it named one.
    pub claimed_access_key_id: Option<&'a str>,
    /// The operation, or `""` when the request named none that exists.
    pub operation: &'a str,
    /// The decoded input (keyed by the botocore member names), when it decoded.
    pub input: Option<&'a Value>,
    /// True when the request passed authentication and authorization.
    pub authorized: bool,
    /// The resource the request was authorized against, when it named one.
    pub resource_arn: Option<String>,
}

/// True for operations CloudTrail marks `readOnly`.
pub fn read_only(service: &str, operation: &str) -> bool {
    let prefixes: &[&str] = match service {
        // Every STS operation, LookupEvents.
        "sts" | "cloudtrail" => return true,
        "iam" => &["Get", "List", "Simulate"],
        _ => &["Describe", "Get", "List"],
    };
    prefixes.iter().any(|p| operation.starts_with(p))
}

/// The event of a request that was answered with `outcome`.
pub fn event(
    account: &str,
    event_id: String,
    facts: &Facts<'_>,
    outcome: Result<&Value, &AwsError>,
) -> EventRecord {
    let source = format!("{}.amazonaws.com", facts.service);
    let read_only = read_only(facts.service, facts.operation);
    let identity = user_identity(account, facts, outcome.ok());
    let region = match facts.service {
        "iam" => "us-east-1",
        _ => facts.region.unwrap_or("us-east-1"),
    };
    let resources = resources(facts.input, outcome.ok());
    let record = Record {
        event_version: EVENT_VERSION,
        user_identity: &identity.json,
        event_time: iso8601(facts.time),
        event_source: &source,
        event_name: facts.operation,
        aws_region: region,
        source_ip_address: facts.source_ip,
        user_agent: facts.user_agent,
        error_code: outcome.err().map(AwsError::code),
        error_message: outcome.err().map(AwsError::message),
        request_parameters: facts
            .input
            .filter(|v| v.as_object().is_some_and(|o| !o.is_empty()))
            .map(request_parameters),
        response_elements: match outcome {
            Ok(v) if !read_only || ISSUING.contains(&facts.operation) => Some(response_elements(v)),
            _ => None,
        },
        request_id: facts.request_id,
        event_id: &event_id,
        read_only,
        resources: match (facts.service, facts.resource_arn.as_deref()) {
            ("sts", Some(arn)) => Some([RoleResource {
                account_id: account,
                kind: "AWS::IAM::Role",
                arn,
            }]),
            _ => None,
        },
        event_type: "AwsApiCall",
        management_event: true,
        recipient_account_id: account,
        event_category: "Management",
    };
    let body = serde_json::to_string(&record).expect("a record serializes to JSON");
    EventRecord {
        event_id,
        account: account.to_string(),
        time: facts.time,
        name: facts.operation.to_string(),
        source,
        username: identity.username,
        access_key_id: identity.access_key_id,
        read_only,
        principal_arn: identity.arn,
        issuer_arn: identity.issuer_arn,
        action: format!("{}:{}", facts.service, facts.operation),
        resource_arn: facts.resource_arn.clone(),
        authorized: facts.authorized,
        error_code: outcome.err().map(|e| e.code().to_string()),
        resources,
        body,
    }
}

/// The `userIdentity` element and the columns derived from it.
struct Identity<'a> {
    json: UserIdentity<'a>,
    username: Option<String>,
    access_key_id: Option<String>,
    arn: Option<String>,
    issuer_arn: Option<String>,
}

/// A record's `userIdentity`, written in CloudTrail's order of fields (each kind of
/// caller leaves out the fields it does not have).
#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
struct UserIdentity<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    principal_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    arn: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    account_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    access_key_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    identity_provider: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    session_context: Option<SessionContext<'a>>,
}

/// `userIdentity.sessionContext`: who issued the session, and how it was made.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SessionContext<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    session_issuer: Option<Box<UserIdentity<'a>>>,
    attributes: SessionAttributes,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_identity: Option<&'a str>,
}

/// `userIdentity.sessionContext.attributes`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SessionAttributes {
    creation_date: String,
    mfa_authenticated: &'static str,
}

fn session_context<'a>(
    claims: &'a SessionClaims,
    issuer: Option<UserIdentity<'a>>,
) -> SessionContext<'a> {
    SessionContext {
        session_issuer: issuer.map(Box::new),
        attributes: SessionAttributes {
            creation_date: iso8601(claims.issued * 1000),
            mfa_authenticated: if claims.mfa_authenticated_at.is_some() {
                "true"
            } else {
                "false"
            },
        },
        source_identity: claims.source_identity.as_deref(),
    }
}

fn user_identity<'a>(
    account: &'a str,
    facts: &Facts<'a>,
    output: Option<&'a Value>,
) -> Identity<'a> {
    let Some(caller) = facts.caller else {
        return Identity {
            json: UserIdentity {
                kind: "Unknown",
                account_id: Some(account),
                access_key_id: facts.claimed_access_key_id,
                ..UserIdentity::default()
            },
            username: None,
            access_key_id: facts.claimed_access_key_id.map(str::to_string),
            arn: None,
            issuer_arn: None,
        };
    };
    let key = caller.access_key_id.as_deref();
    let claims = caller.session.as_deref();
    let arn = caller.principal.arn.as_str();
    // The fields every signed caller has.
    let signed = |kind, principal_id| UserIdentity {
        kind,
        principal_id: Some(principal_id),
        arn: Some(Cow::Borrowed(arn)),
        account_id: Some(caller.account.as_str()),
        access_key_id: Some(key.unwrap_or_default()),
        ..UserIdentity::default()
    };
    let (json, username, issuer_arn) = match caller.principal.kind {
        PrincipalKind::Root => {
            let mut json = signed("Root", caller.account.clone());
            json.session_context = claims.map(|c| session_context(c, None));
            (json, Some("root".to_string()), None)
        }
        PrincipalKind::AssumedRole => {
            let (role_id, role_arn, role_name, session) = match claims.map(|c| &c.principal) {
                Some(SessionPrincipal::AssumedRole {
                    role_id,
                    role_arn,
                    role_name,
                    session_name,
                }) => (
                    role_id.as_str(),
                    role_arn.as_str(),
                    role_name.as_str(),
                    session_name.as_str(),
                ),
                _ => ("", "", "", ""),
            };
            let issuer = UserIdentity {
                kind: "Role",
                principal_id: Some(role_id.to_string()),
                arn: Some(Cow::Borrowed(role_arn)),
                account_id: Some(caller.account.as_str()),
                user_name: Some(role_name),
                ..UserIdentity::default()
            };
            let mut json = signed("AssumedRole", format!("{role_id}:{session}"));
            json.session_context = claims.map(|c| session_context(c, Some(issuer)));
            (json, Some(session.to_string()), Some(role_arn.to_string()))
        }
        PrincipalKind::FederatedUser => {
            let name = caller.principal.name.as_deref().unwrap_or_default();
            let (issuer, issuer_arn) = match (&caller.user_id, &caller.user_name) {
                (Some(id), Some(user)) => {
                    let user_arn = format!("arn:aws:iam::{}:user/{user}", caller.account);
                    (
                        UserIdentity {
                            kind: "IAMUser",
                            principal_id: Some(id.clone()),
                            arn: Some(Cow::Owned(user_arn.clone())),
                            account_id: Some(caller.account.as_str()),
                            user_name: Some(user.as_str()),
                            ..UserIdentity::default()
                        },
                        user_arn,
                    )
                }
                _ => {
                    let root = format!("arn:aws:iam::{}:root", caller.account);
                    (
                        UserIdentity {
                            kind: "Root",
                            principal_id: Some(caller.account.clone()),
                            arn: Some(Cow::Owned(root.clone())),
                            account_id: Some(caller.account.as_str()),
                            ..UserIdentity::default()
                        },
                        root,
                    )
                }
            };
            let mut json = signed("FederatedUser", format!("{}:{name}", caller.account));
            json.session_context = claims.map(|c| session_context(c, Some(issuer)));
            (json, Some(name.to_string()), Some(issuer_arn))
        }
        PrincipalKind::Anonymous => {
            // An unsigned call (AssumeRoleWithWebIdentity, AssumeRoleWithSAML): who it is
            // comes from the token or the assertion, known once the call succeeded.
            let get = |k: &str| output.and_then(|o| o.get(k)).and_then(Value::as_str);
            let saml = facts.operation == "AssumeRoleWithSAML";
            let federated = |kind, provider: &'a str, audience: Option<&str>, subject: &'a str| {
                let principal_id = match audience {
                    Some(audience) => format!("{provider}:{audience}:{subject}"),
                    None => format!("{provider}:{subject}"),
                };
                UserIdentity {
                    kind,
                    principal_id: Some(principal_id),
                    user_name: Some(subject),
                    identity_provider: Some(provider),
                    ..UserIdentity::default()
                }
            };
            let unnamed = |kind| UserIdentity {
                kind,
                ..UserIdentity::default()
            };
            match (get("Provider"), get("SubjectFromWebIdentityToken")) {
                (Some(provider), Some(subject)) => {
                    let audience = get("Audience").unwrap_or_default();
                    (
                        federated("WebIdentityUser", provider, Some(audience), subject),
                        Some(subject.to_string()),
                        None,
                    )
                }
                _ if saml => match (get("NameQualifier"), get("Subject")) {
                    (Some(qualifier), Some(subject)) => (
                        federated("SAMLUser", qualifier, None, subject),
                        Some(subject.to_string()),
                        None,
                    ),
                    _ => (unnamed("SAMLUser"), None, None),
                },
                _ => (unnamed("WebIdentityUser"), None, None),
            }
        }
        _ => {
            let mut json = signed("IAMUser", caller.user_id.clone().unwrap_or_default());
            json.user_name = Some(caller.user_name.as_deref().unwrap_or_default());
            json.session_context = claims.map(|c| session_context(c, None));
            (json, caller.user_name.clone(), None)
        }
    };
    let known = caller.principal.kind != PrincipalKind::Anonymous;
    Identity {
        json,
        username,
        access_key_id: key.map(str::to_string),
        arn: known.then(|| arn.to_string()),
        issuer_arn,
    }
}

/// A CloudTrail record, in CloudTrail's order of fields, written without building a tree.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Record<'a> {
    event_version: &'static str,
    user_identity: &'a UserIdentity<'a>,
    event_time: String,
    event_source: &'a str,
    event_name: &'a str,
    aws_region: &'a str,
    #[serde(rename = "sourceIPAddress")]
    source_ip_address: &'a str,
    user_agent: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_code: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_message: Option<&'a str>,
    request_parameters: Option<Renamed<'a>>,
    response_elements: Option<Renamed<'a>>,
    #[serde(rename = "requestID")]
    request_id: &'a str,
    #[serde(rename = "eventID")]
    event_id: &'a str,
    read_only: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    resources: Option<[RoleResource<'a>; 1]>,
    event_type: &'static str,
    management_event: bool,
    recipient_account_id: &'a str,
    event_category: &'static str,
}

/// The role an STS call named, as a record's `resources` lists it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RoleResource<'a> {
    account_id: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(rename = "ARN")]
    arn: &'a str,
}

/// What becomes of secret members when a value is written into a record.
#[derive(Clone, Copy)]
enum Secrets {
    /// Written as [`HIDDEN`] (request parameters).
    Hide,
    /// Left out (response elements).
    Drop,
}

/// A request's input or a response's output as a record holds it: member names in lower
/// camel case (at every depth), secrets hidden or left out.
struct Renamed<'a> {
    value: &'a Value,
    secrets: Secrets,
}

impl Serialize for Renamed<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.value {
            Value::Object(members) => {
                let mut map = serializer.serialize_map(None)?;
                for (name, value) in members {
                    match self.secrets {
                        Secrets::Hide if SECRET_PARAMETERS.contains(&name.as_str()) => {
                            map.serialize_entry(&lower_camel(name), HIDDEN)?;
                        }
                        Secrets::Drop if SECRET_RESPONSE_MEMBERS.contains(&name.as_str()) => {}
                        secrets => {
                            map.serialize_entry(&lower_camel(name), &Renamed { value, secrets })?
                        }
                    }
                }
                map.end()
            }
            Value::Array(items) => serializer.collect_seq(items.iter().map(|value| Renamed {
                value,
                secrets: self.secrets,
            })),
            other => other.serialize(serializer),
        }
    }
}

/// The input with member names in lower camel case and secrets hidden.
fn request_parameters(input: &Value) -> Renamed<'_> {
    Renamed {
        value: input,
        secrets: Secrets::Hide,
    }
}

/// The output with member names in lower camel case and secrets left out.
fn response_elements(output: &Value) -> Renamed<'_> {
    Renamed {
        value: output,
        secrets: Secrets::Drop,
    }
}

/// The resources LookupEvents lists for a request: the entities its input names, and the
/// credentials and sessions its output made.
fn resources(input: Option<&Value>, output: Option<&Value>) -> Vec<(String, String)> {
    const NAMED: &[(&str, &str)] = &[
        ("RoleName", "AWS::IAM::Role"),
        ("RoleArn", "AWS::IAM::Role"),
        ("UserName", "AWS::IAM::User"),
        ("GroupName", "AWS::IAM::Group"),
        ("PolicyArn", "AWS::IAM::Policy"),
        ("InstanceProfileName", "AWS::IAM::InstanceProfile"),
        ("AccessKeyId", "AWS::IAM::AccessKey"),
        ("OpenIDConnectProviderArn", "AWS::IAM::OIDCProvider"),
        ("SerialNumber", "AWS::IAM::MFADevice"),
    ];
    let mut out = Vec::new();
    if let Some(input) = input {
        for (member, kind) in NAMED {
            if let Some(v) = input.get(*member).and_then(Value::as_str) {
                out.push((kind.to_string(), v.to_string()));
            }
        }
    }
    if let Some(output) = output {
        let key = output
            .get("Credentials")
            .or_else(|| output.get("AccessKey"))
            .and_then(|c| c.get("AccessKeyId"))
            .and_then(Value::as_str);
        if let Some(key) = key {
            out.push(("AWS::IAM::AccessKey".to_string(), key.to_string()));
        }
        if let Some(arn) = output
            .get("AssumedRoleUser")
            .and_then(|u| u.get("Arn"))
            .and_then(Value::as_str)
        {
            out.push(("AWS::STS::AssumedRole".to_string(), arn.to_string()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secrets_are_hidden_in_parameters_and_left_out_of_responses() {
        let input = json!({"UserName": "bob", "Password": "hunter2!", "Tags": [{"Key": "k", "Value": "v"}]});
        assert_eq!(
            serde_json::to_value(request_parameters(&input)).unwrap(),
            json!({"userName": "bob", "password": HIDDEN, "tags": [{"key": "k", "value": "v"}]})
        );
        let output = json!({"Credentials": {"AccessKeyId": "ASIA1", "SecretAccessKey": "s3cr3t",
            "SessionToken": "tok", "Expiration": "2026-01-01T00:00:00Z"}});
        let text = serde_json::to_string(&response_elements(&output)).unwrap();
        assert!(!text.contains("s3cr3t") && !text.contains("tok"), "{text}");
        assert!(text.contains("\"accessKeyId\":\"ASIA1\""), "{text}");
    }

    #[test]
    fn read_only_follows_cloudtrail() {
        assert!(read_only("iam", "GetRole"));
        assert!(read_only("iam", "ListRoles"));
        assert!(!read_only("iam", "CreateRole"));
        assert!(read_only("sts", "AssumeRole"));
        assert!(read_only("cloudtrail", "LookupEvents"));
        assert!(read_only("ec2", "DescribeInstances"));
        assert!(!read_only("ec2", "RunInstances"));
        assert!(!read_only("ecs", "StopTask"));
    }

    #[test]
    fn resources_come_from_the_input_and_the_credentials_made() {
        let input = json!({"RoleArn": "arn:aws:iam::1:role/R", "RoleSessionName": "s"});
        let output = json!({"Credentials": {"AccessKeyId": "ASIAX"},
            "AssumedRoleUser": {"Arn": "arn:aws:sts::1:assumed-role/R/s"}});
        assert_eq!(
            resources(Some(&input), Some(&output)),
            vec![
                (
                    "AWS::IAM::Role".to_string(),
                    "arn:aws:iam::1:role/R".to_string()
                ),
                ("AWS::IAM::AccessKey".to_string(), "ASIAX".to_string()),
                (
                    "AWS::STS::AssumedRole".to_string(),
                    "arn:aws:sts::1:assumed-role/R/s".to_string()
                ),
            ]
        );
    }
}
