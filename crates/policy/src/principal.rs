//! Who makes a request, and how `Principal` / `NotPrincipal` elements name principals.
//!
//! IAM User Guide, "AWS JSON policy elements: Principal" and "NotPrincipal": an `AWS` value
//! is `*`, an account (`123456789012` or `arn:aws:iam::123456789012:root`), a user, role,
//! assumed-role session or federated-user ARN, or a unique ID (`AIDA…`, `AROA…`). Naming
//! a role matches every session of that role; naming an account delegates to the account's
//! own policies.

use crate::document::{PrincipalElement, PrincipalValue};
use crate::error::PolicyError;

/// What kind of principal makes a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrincipalKind {
    /// The root user of an account.
    Root,
    /// An IAM user.
    User,
    /// A role session (AssumeRole, web identity, SAML, or a service using a role).
    AssumedRole,
    /// A federated-user session (GetFederationToken).
    FederatedUser,
    /// An AWS service principal such as `lambda.amazonaws.com`.
    Service,
    /// A web-identity or SAML provider calling AssumeRoleWithWebIdentity/WithSAML.
    Federated,
    /// An unauthenticated caller.
    Anonymous,
}

/// The principal of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// Its kind.
    pub kind: PrincipalKind,
    /// Its ARN (or service name, provider, or `*` for anonymous).
    pub arn: String,
    /// Its account, when it has one.
    pub account: Option<String>,
    /// The partition of its ARN (`aws`, `aws-cn`, …).
    pub partition: String,
    /// The user, role or federated-user name.
    pub name: Option<String>,
    /// For a role session: the role's ARN (`arn:aws:iam::A:role/NAME`).
    pub role_arn: Option<String>,
    /// For a role session: the session name.
    pub session_name: Option<String>,
}

const FEDERATED_PROVIDERS: &[&str] = &[
    "cognito-identity.amazonaws.com",
    "accounts.google.com",
    "graph.facebook.com",
    "www.amazon.com",
];

impl Principal {
    /// Reads a principal: a user, role, root, assumed-role or federated-user ARN; an
    /// OIDC or SAML provider ARN or a well-known identity provider; a service principal
    /// (`lambda.amazonaws.com`); or `*` for an anonymous caller.
    pub fn parse(text: &str) -> Result<Principal, PolicyError> {
        let bad = || {
            PolicyError::Request(format!(
                "principal {text:?} is not a user, role, root, assumed-role, federated-user, provider or service principal, nor \"*\""
            ))
        };
        if text == "*" || text.eq_ignore_ascii_case("anonymous") {
            return Ok(Principal::simple(PrincipalKind::Anonymous, "*"));
        }
        if FEDERATED_PROVIDERS.contains(&text) {
            return Ok(Principal::simple(PrincipalKind::Federated, text));
        }
        if !text.starts_with("arn:") {
            let valid_service = text.contains('.')
                && text
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
            return if valid_service {
                Ok(Principal::simple(PrincipalKind::Service, text))
            } else {
                Err(bad())
            };
        }
        let parts = crate::arn::split_arn(text).ok_or_else(bad)?;
        let [_, partition, service, _, account, resource] = parts;
        if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let mut p = Principal {
            kind: PrincipalKind::User,
            arn: text.to_string(),
            account: Some(account.to_string()),
            partition: partition.to_string(),
            name: None,
            role_arn: None,
            session_name: None,
        };
        match (service, resource.split_once('/')) {
            ("iam", None) if resource == "root" => p.kind = PrincipalKind::Root,
            ("iam", Some(("user", path))) => {
                p.name = Some(last_segment(path).ok_or_else(bad)?.to_string());
            }
            ("iam", Some(("role", path))) => {
                let name = last_segment(path).ok_or_else(bad)?;
                p.kind = PrincipalKind::AssumedRole;
                p.name = Some(name.to_string());
                p.role_arn = Some(text.to_string());
            }
            ("iam", Some(("oidc-provider" | "saml-provider", _))) => {
                p.kind = PrincipalKind::Federated;
            }
            ("sts", Some(("assumed-role", rest))) => {
                let (role, session) = rest.split_once('/').ok_or_else(bad)?;
                if role.is_empty() || session.is_empty() {
                    return Err(bad());
                }
                p.kind = PrincipalKind::AssumedRole;
                p.name = Some(role.to_string());
                p.session_name = Some(session.to_string());
                p.role_arn = Some(format!("arn:{partition}:iam::{account}:role/{role}"));
            }
            ("sts", Some(("federated-user", name))) if !name.is_empty() => {
                p.kind = PrincipalKind::FederatedUser;
                p.name = Some(name.to_string());
            }
            _ => return Err(bad()),
        }
        Ok(p)
    }

    fn simple(kind: PrincipalKind, arn: &str) -> Principal {
        Principal {
            kind,
            arn: arn.to_string(),
            account: None,
            partition: "aws".to_string(),
            name: None,
            role_arn: None,
            session_name: None,
        }
    }

    /// True for a service-linked role (path `/aws-service-role/`): SCPs and RCPs do not
    /// restrict it.
    pub fn is_service_linked_role(&self) -> bool {
        self.role_arn
            .as_deref()
            .is_some_and(|r| r.contains(":role/aws-service-role/"))
    }

    /// True for principals that have identity-based policies in an account (root, users,
    /// role sessions, federated users).
    pub fn has_identity(&self) -> bool {
        matches!(
            self.kind,
            PrincipalKind::Root
                | PrincipalKind::User
                | PrincipalKind::AssumedRole
                | PrincipalKind::FederatedUser
        )
    }

    /// The value of `aws:PrincipalType`.
    pub fn principal_type(&self) -> &'static str {
        match self.kind {
            PrincipalKind::Root => "Account",
            PrincipalKind::User => "User",
            PrincipalKind::AssumedRole | PrincipalKind::Federated => "AssumedRole",
            PrincipalKind::FederatedUser => "FederatedUser",
            PrincipalKind::Service => "AWSService",
            PrincipalKind::Anonymous => "Anonymous",
        }
    }

    /// The value of `aws:PrincipalArn`: for a role session, the role's ARN.
    pub fn principal_arn(&self) -> Option<&str> {
        match self.kind {
            PrincipalKind::AssumedRole => self.role_arn.as_deref(),
            PrincipalKind::Service | PrincipalKind::Anonymous | PrincipalKind::Federated => None,
            _ => Some(&self.arn),
        }
    }

    /// How AWS names the caller in an AccessDenied message.
    pub fn display(&self) -> &str {
        match self.kind {
            PrincipalKind::Anonymous => "anonymous",
            _ => &self.arn,
        }
    }
}

fn last_segment(path: &str) -> Option<&str> {
    path.rsplit('/').next().filter(|s| !s.is_empty())
}

/// How a resource-based policy statement names the caller, from strongest to weakest.
/// The strength decides whether identity policies, boundaries and session policies still
/// have a say (IAM User Guide, policy evaluation logic, "resource-based policies").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Grant {
    /// The caller's account (or its root ARN): only delegates to the account's policies.
    Account,
    /// The role of a role session: limited by the boundary and session policies.
    Role,
    /// The caller itself (user, session, federated user, service, provider, or `*`).
    Direct,
}

/// A compiled `Principal`/`NotPrincipal` element.
#[derive(Debug, Clone)]
pub(crate) struct PrincipalMatcher {
    pub(crate) negated: bool,
    everyone: bool,
    aws_everyone: bool,
    accounts: Box<[Box<str>]>,
    arns: Box<[Box<str>]>,
    ids: Box<[Box<str>]>,
    services: Box<[Box<str>]>,
    federated: Box<[Box<str>]>,
}

impl PrincipalMatcher {
    pub(crate) fn compile(element: &PrincipalElement) -> PrincipalMatcher {
        let mut m = PrincipalMatcher {
            negated: element.negated,
            everyone: false,
            aws_everyone: false,
            accounts: Box::default(),
            arns: Box::default(),
            ids: Box::default(),
            services: Box::default(),
            federated: Box::default(),
        };
        let (mut accounts, mut arns, mut ids, mut services, mut federated) =
            (vec![], vec![], vec![], vec![], vec![]);
        match &element.value {
            PrincipalValue::Everyone => m.everyone = true,
            PrincipalValue::Other(_) => {}
            PrincipalValue::Map(entries) => {
                for (kind, values) in entries {
                    for v in values {
                        match kind.as_str() {
                            "AWS" if v == "*" => m.aws_everyone = true,
                            "AWS" => match account_of(v) {
                                Some(a) => accounts.push(a.into()),
                                None if v.starts_with("arn:") => arns.push(v.as_str().into()),
                                None => ids.push(v.as_str().into()),
                            },
                            "Service" => services.push(v.to_ascii_lowercase().into()),
                            "Federated" => federated.push(v.as_str().into()),
                            _ => {}
                        }
                    }
                }
            }
        }
        m.accounts = accounts.into();
        m.arns = arns.into();
        m.ids = ids.into();
        m.services = services.into();
        m.federated = federated.into();
        m
    }

    /// How a `Principal` element names this caller, if it does. `unique_id` is the
    /// caller's `aws:userid` (for a role session, `ROLEID:session`).
    pub(crate) fn grant(&self, p: &Principal, unique_id: Option<&str>) -> Option<Grant> {
        if self.everyone || self.aws_everyone {
            return Some(Grant::Direct);
        }
        match p.kind {
            PrincipalKind::Service => self
                .services
                .iter()
                .any(|s| s.eq_ignore_ascii_case(&p.arn))
                .then_some(Grant::Direct),
            PrincipalKind::Federated => self
                .federated
                .iter()
                .any(|f| **f == *p.arn)
                .then_some(Grant::Direct),
            PrincipalKind::Anonymous => None,
            _ => {
                let role_id = unique_id.map(|u| u.split(':').next().unwrap_or(u));
                let listed = |arn: &str| self.arns.iter().any(|a| **a == *arn);
                let direct = match p.kind {
                    PrincipalKind::AssumedRole => p.session_name.is_some() && listed(&p.arn),
                    PrincipalKind::User => {
                        listed(&p.arn)
                            || unique_id.is_some_and(|u| self.ids.iter().any(|i| **i == *u))
                    }
                    _ => listed(&p.arn),
                };
                if direct {
                    Some(Grant::Direct)
                } else if p.kind == PrincipalKind::AssumedRole
                    && (p
                        .role_arn
                        .as_deref()
                        .is_some_and(|r| self.arns.iter().any(|a| **a == *r))
                        || role_id.is_some_and(|r| self.ids.iter().any(|i| **i == *r)))
                {
                    Some(Grant::Role)
                } else if p
                    .account
                    .as_deref()
                    .is_some_and(|acct| self.accounts.iter().any(|a| **a == *acct))
                {
                    Some(Grant::Account)
                } else {
                    None
                }
            }
        }
    }

    /// Whether a `NotPrincipal` statement applies to the caller: it does unless the caller's
    /// account is listed together with the caller (the user; the role or the session; the
    /// federated user). It always applies to a caller with a permissions boundary (IAM User
    /// Guide, "NotPrincipal").
    pub(crate) fn not_principal_applies(
        &self,
        p: &Principal,
        unique_id: Option<&str>,
        has_boundary: bool,
    ) -> bool {
        if has_boundary && matches!(p.kind, PrincipalKind::User | PrincipalKind::AssumedRole) {
            return true;
        }
        if self.everyone || self.aws_everyone {
            return false;
        }
        let listed_arn = |arn: &str| self.arns.iter().any(|a| **a == *arn);
        let account_listed = p
            .account
            .as_deref()
            .is_some_and(|acct| self.accounts.iter().any(|a| **a == *acct));
        let exempt = match p.kind {
            PrincipalKind::Root => account_listed,
            PrincipalKind::User => {
                account_listed
                    && (listed_arn(&p.arn)
                        || unique_id.is_some_and(|u| self.ids.iter().any(|i| **i == *u)))
            }
            PrincipalKind::AssumedRole => {
                account_listed
                    && (p.role_arn.as_deref().is_some_and(listed_arn)
                        || (p.session_name.is_some() && listed_arn(&p.arn)))
            }
            PrincipalKind::FederatedUser => account_listed && listed_arn(&p.arn),
            PrincipalKind::Service => self.services.iter().any(|s| s.eq_ignore_ascii_case(&p.arn)),
            PrincipalKind::Federated => self.federated.iter().any(|f| **f == *p.arn),
            PrincipalKind::Anonymous => false,
        };
        !exempt
    }
}

/// The account an `AWS` principal value names as a whole: a 12-digit ID or a root ARN.
pub(crate) fn account_of(value: &str) -> Option<&str> {
    if value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit()) {
        return Some(value);
    }
    let parts = crate::arn::split_arn(value)?;
    (parts[0] == "arn" && parts[2] == "iam" && parts[5] == "root").then_some(parts[4])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matcher(json: &str) -> PrincipalMatcher {
        let doc = crate::document::PolicyDocument::parse(&format!(
            r#"{{"Statement":{{"Effect":"Deny","Principal":{json},"Action":"s3:*"}}}}"#
        ))
        .unwrap();
        PrincipalMatcher::compile(doc.statements[0].principal.as_ref().unwrap())
    }

    #[test]
    fn parses_principals() {
        let u = Principal::parse("arn:aws:iam::111122223333:user/division/alice").unwrap();
        assert_eq!(u.kind, PrincipalKind::User);
        assert_eq!(u.name.as_deref(), Some("alice"));
        let s = Principal::parse("arn:aws:sts::111122223333:assumed-role/R/sess").unwrap();
        assert_eq!(s.kind, PrincipalKind::AssumedRole);
        assert_eq!(
            s.role_arn.as_deref(),
            Some("arn:aws:iam::111122223333:role/R")
        );
        assert_eq!(s.principal_arn(), s.role_arn.as_deref());
        assert_eq!(
            Principal::parse("arn:aws:iam::111122223333:root")
                .unwrap()
                .kind,
            PrincipalKind::Root
        );
        assert_eq!(
            Principal::parse("lambda.amazonaws.com").unwrap().kind,
            PrincipalKind::Service
        );
        assert_eq!(
            Principal::parse("cognito-identity.amazonaws.com")
                .unwrap()
                .kind,
            PrincipalKind::Federated
        );
        assert_eq!(
            Principal::parse("*").unwrap().kind,
            PrincipalKind::Anonymous
        );
        assert!(Principal::parse("bob").is_err());
        assert!(Principal::parse("arn:aws:iam::1:user/x").is_err());
        assert!(Principal::parse("arn:aws:sts::111122223333:assumed-role/R").is_err());
    }

    #[test]
    fn grants() {
        let s = Principal::parse("arn:aws:sts::111122223333:assumed-role/R/sess").unwrap();
        assert_eq!(
            matcher(r#"{"AWS":"arn:aws:iam::111122223333:role/R"}"#).grant(&s, None),
            Some(Grant::Role)
        );
        assert_eq!(
            matcher(r#"{"AWS":"arn:aws:sts::111122223333:assumed-role/R/sess"}"#).grant(&s, None),
            Some(Grant::Direct)
        );
        assert_eq!(
            matcher(r#"{"AWS":"111122223333"}"#).grant(&s, None),
            Some(Grant::Account)
        );
        assert_eq!(
            matcher(r#"{"AWS":"AROAEXAMPLEID"}"#).grant(&s, Some("AROAEXAMPLEID:sess")),
            Some(Grant::Role)
        );
        assert_eq!(matcher(r#"{"AWS":"444455556666"}"#).grant(&s, None), None);
        assert_eq!(matcher(r#""*""#).grant(&s, None), Some(Grant::Direct));
        let svc = Principal::parse("lambda.amazonaws.com").unwrap();
        assert_eq!(
            matcher(r#"{"Service":["ec2.amazonaws.com","lambda.amazonaws.com"]}"#)
                .grant(&svc, None),
            Some(Grant::Direct)
        );
        assert_eq!(matcher(r#"{"AWS":"111122223333"}"#).grant(&svc, None), None);
    }

    #[test]
    fn not_principal_needs_every_identity() {
        let u = Principal::parse("arn:aws:iam::444455556666:user/Bob").unwrap();
        let only_user = matcher(r#"{"AWS":"arn:aws:iam::444455556666:user/Bob"}"#);
        assert!(only_user.not_principal_applies(&u, None, false));
        let both = matcher(
            r#"{"AWS":["arn:aws:iam::444455556666:user/Bob","arn:aws:iam::444455556666:root"]}"#,
        );
        assert!(!both.not_principal_applies(&u, None, false));
        assert!(both.not_principal_applies(&u, None, true));
    }
}
