//! One request as a CloudTrail record: who called (`userIdentity`), what (`eventSource`,
//! `eventName`, `requestParameters`), what came of it (`responseElements` or `errorCode`
//! and `errorMessage`), with secrets left out as AWS leaves them out.
//!
//! Format: "CloudTrail record contents for management, data, and network activity events"
//! and "CloudTrail userIdentity element" in the AWS CloudTrail User Guide.

use crate::auth::session::{SessionClaims, SessionPrincipal};
use crate::call::input::LowerCamel;
use crate::caller::Caller;
use crate::secrets::IdSequence;
use crate::time::iso8601;
use portcullis_policy::PrincipalKind;
use portcullis_protocol::AwsError;
use portcullis_store::EventColumns;
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::Value;
use std::borrow::Cow;

/// The version of the record format written (CloudTrail's `eventVersion`).
pub(crate) const EVENT_VERSION: &str = "1.08";

/// What AWS writes in place of a secret request parameter (a password, a token).
pub(crate) const HIDDEN: &str = "HIDDEN_DUE_TO_SECURITY_REASONS";

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
pub(crate) fn read_only(service: &str, operation: &str) -> bool {
    let prefixes: &[&str] = match service {
        // Every STS operation, LookupEvents.
        "sts" | "cloudtrail" => return true,
        "iam" => &["Get", "List", "Simulate"],
        _ => &["Describe", "Get", "List"],
    };
    prefixes.iter().any(|p| operation.starts_with(p))
}

/// The most resources LookupEvents lists for one event: the members of [`NAMED`], the
/// access key made and the session made.
const MAX_RESOURCES: usize = NAMED.len() + 2;

/// Appends the line of the event of a request answered with `outcome` to `line` (the
/// store's line: [`EventColumns::write_line`]), written straight from the request's
/// facts, without copies of its strings.
pub fn write_event(
    line: &mut Vec<u8>,
    account: &str,
    facts: &Facts<'_>,
    outcome: Result<&Value, &AwsError>,
) {
    static IDS: IdSequence = IdSequence::new();
    let mut id = uuid::Uuid::encode_buffer();
    let event_id = &*IDS.next().hyphenated().encode_lower(&mut id);
    let source = format!("{}.amazonaws.com", facts.service);
    let read_only = read_only(facts.service, facts.operation);
    let identity = user_identity(account, facts, outcome.ok());
    let region = match facts.service {
        "iam" => "us-east-1",
        _ => facts.region.unwrap_or("us-east-1"),
    };
    let mut found = [("", ""); MAX_RESOURCES];
    let resources = resources(&mut found, facts.input, outcome.ok());
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
        event_id,
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
    let action = format!("{}:{}", facts.service, facts.operation);
    let columns = EventColumns {
        event_id,
        account,
        time: facts.time,
        name: facts.operation,
        source: &source,
        username: identity.username,
        access_key_id: identity.access_key_id,
        read_only,
        principal_arn: identity.arn,
        issuer_arn: identity.issuer_arn.as_deref(),
        action: &action,
        resource_arn: facts.resource_arn.as_deref(),
        authorized: facts.authorized,
        error_code: outcome.err().map(AwsError::code),
        resources,
    };
    columns.write_line(line, |out| {
        serde_json::to_writer(out, &record).expect("a record serializes to JSON");
    });
}

/// The `userIdentity` element and the columns derived from it.
struct Identity<'a> {
    json: UserIdentity<'a>,
    username: Option<&'a str>,
    access_key_id: Option<&'a str>,
    arn: Option<&'a str>,
    issuer_arn: Option<Cow<'a, str>>,
}

/// A record's `userIdentity`, written in CloudTrail's order of fields (each kind of
/// caller leaves out the fields it does not have).
#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
struct UserIdentity<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    principal_id: Option<Cow<'a, str>>,
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
            access_key_id: facts.claimed_access_key_id,
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
            let mut json = signed("Root", Cow::Borrowed(caller.account.as_str()));
            json.session_context = claims.map(|c| session_context(c, None));
            (json, Some("root"), None)
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
                principal_id: Some(Cow::Borrowed(role_id)),
                arn: Some(Cow::Borrowed(role_arn)),
                account_id: Some(caller.account.as_str()),
                user_name: Some(role_name),
                ..UserIdentity::default()
            };
            let mut json = signed("AssumedRole", Cow::Owned(format!("{role_id}:{session}")));
            json.session_context = claims.map(|c| session_context(c, Some(issuer)));
            (json, Some(session), Some(Cow::Borrowed(role_arn)))
        }
        PrincipalKind::FederatedUser => {
            let name = caller.principal.name.as_deref().unwrap_or_default();
            let (issuer, issuer_arn) = match (&caller.user_id, &caller.user_name) {
                (Some(id), Some(user)) => {
                    let user_arn = format!("arn:aws:iam::{}:user/{user}", caller.account);
                    (
                        UserIdentity {
                            kind: "IAMUser",
                            principal_id: Some(Cow::Borrowed(id.as_str())),
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
                            principal_id: Some(Cow::Borrowed(caller.account.as_str())),
                            arn: Some(Cow::Owned(root.clone())),
                            account_id: Some(caller.account.as_str()),
                            ..UserIdentity::default()
                        },
                        root,
                    )
                }
            };
            let principal_id = format!("{}:{name}", caller.account);
            let mut json = signed("FederatedUser", Cow::Owned(principal_id));
            json.session_context = claims.map(|c| session_context(c, Some(issuer)));
            (json, Some(name), Some(Cow::Owned(issuer_arn)))
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
                    principal_id: Some(Cow::Owned(principal_id)),
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
                        Some(subject),
                        None,
                    )
                }
                _ if saml => match (get("NameQualifier"), get("Subject")) {
                    (Some(qualifier), Some(subject)) => (
                        federated("SAMLUser", qualifier, None, subject),
                        Some(subject),
                        None,
                    ),
                    _ => (unnamed("SAMLUser"), None, None),
                },
                _ => (unnamed("WebIdentityUser"), None, None),
            }
        }
        _ => {
            let user_id = caller.user_id.as_deref().unwrap_or_default();
            let mut json = signed("IAMUser", Cow::Borrowed(user_id));
            json.user_name = Some(caller.user_name.as_deref().unwrap_or_default());
            json.session_context = claims.map(|c| session_context(c, None));
            (json, caller.user_name.as_deref(), None)
        }
    };
    let known = caller.principal.kind != PrincipalKind::Anonymous;
    Identity {
        json,
        username,
        access_key_id: key,
        arn: known.then_some(arn),
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
                            map.serialize_entry(&LowerCamel(name), HIDDEN)?;
                        }
                        Secrets::Drop if SECRET_RESPONSE_MEMBERS.contains(&name.as_str()) => {}
                        secrets => {
                            map.serialize_entry(&LowerCamel(name), &Renamed { value, secrets })?
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

/// The input members that name an entity, and the entity's type.
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

/// The resources LookupEvents lists for a request, as (type, name) pairs: the entities
/// its input names (in the order of [`NAMED`]), then the access key and the session its
/// output made; kept in `found`. The members are compared in place rather than looked up
/// by hashing each name.
fn resources<'a>(
    found: &'a mut [(&'static str, &'a str); MAX_RESOURCES],
    input: Option<&'a Value>,
    output: Option<&'a Value>,
) -> &'a [(&'a str, &'a str)] {
    let mut n = 0;
    if let Some(Value::Object(members)) = input {
        for (member, kind) in NAMED {
            let value = members.iter().find(|(m, _)| m == member).map(|(_, v)| v);
            if let Some(name) = value.and_then(Value::as_str) {
                found[n] = (kind, name);
                n += 1;
            }
        }
    }
    let (mut key, mut session) = (None, None);
    if let Some(Value::Object(members)) = output {
        for (member, value) in members {
            match member.as_str() {
                "Credentials" | "AccessKey" => key = key.or(value.get("AccessKeyId")),
                "AssumedRoleUser" => session = value.get("Arn"),
                _ => {}
            }
        }
    }
    for (kind, value) in [
        ("AWS::IAM::AccessKey", key),
        ("AWS::STS::AssumedRole", session),
    ] {
        if let Some(name) = value.and_then(Value::as_str) {
            found[n] = (kind, name);
            n += 1;
        }
    }
    &found[..n]
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
        let mut found = [("", ""); MAX_RESOURCES];
        assert_eq!(
            resources(&mut found, Some(&input), Some(&output)),
            [
                ("AWS::IAM::Role", "arn:aws:iam::1:role/R"),
                ("AWS::IAM::AccessKey", "ASIAX"),
                ("AWS::STS::AssumedRole", "arn:aws:sts::1:assumed-role/R/s"),
            ]
        );
        // In the order of NAMED, whatever the order of the input's members.
        let input = json!({"PolicyArn": "arn:aws:iam::1:policy/P", "UserName": "bob",
            "RoleName": "R", "Path": "/"});
        let output = json!({"AccessKey": {"AccessKeyId": "AKIAX", "SecretAccessKey": "s"}});
        let mut found = [("", ""); MAX_RESOURCES];
        assert_eq!(
            resources(&mut found, Some(&input), Some(&output)),
            [
                ("AWS::IAM::Role", "R"),
                ("AWS::IAM::User", "bob"),
                ("AWS::IAM::Policy", "arn:aws:iam::1:policy/P"),
                ("AWS::IAM::AccessKey", "AKIAX"),
            ]
        );
    }
}
