//! Authorization of every call by the policy engine: the action (`iam:CreateRole`), the
//! resource ARN the service authorization reference names for it, the request context, and
//! the caller's policies (compiled once per change of the account, then cached).

mod declared;

use crate::account::find_policy;
use crate::app::App;
use crate::auth::session::SessionPrincipal;
use crate::caller::Caller;
use crate::error::Error;
use crate::iam::rules::{check_policy_arn, check_role_arn};
use crate::policy_cache::PrincipalPolicies;
use crate::time::{iso8601, now_millis, now_seconds};
use portcullis_policy::{
    CompiledPolicy, Context, Decision, Policies, PrincipalKind, Request, authorize,
};
use portcullis_protocol::CommonErrorCode;
use portcullis_protocol::iam::IamRequest;
use portcullis_protocol::sts::StsRequest;
use portcullis_store::{Entities, Tag};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Everything about a caller that authorization needs: its policies and the context keys
/// that come from who it is.
pub(crate) struct CallerAuth {
    /// Identity-based policies and boundary (`None` for the root, which needs none).
    pub(crate) policies: Option<Arc<PrincipalPolicies>>,
    /// Session policies, when the session was created with some.
    pub(crate) session: Option<Arc<Vec<Arc<CompiledPolicy>>>>,
    /// Tags of the principal (session tags win over the role's or user's own).
    pub(crate) principal_tags: Vec<(String, String)>,
    /// `aws:userid`.
    pub(crate) user_id: Option<String>,
}

/// Loads what authorization needs about a caller.
pub(crate) fn caller_auth(app: &App, e: &Entities, caller: &Caller) -> Result<CallerAuth, Error> {
    let claims = caller.session.as_deref();
    let mut tags: BTreeMap<String, (String, String)> = BTreeMap::new();
    let mut add_tags = |list: &mut dyn Iterator<Item = (&str, &str)>| {
        for (k, v) in list {
            tags.insert(k.to_lowercase(), (k.to_string(), v.to_string()));
        }
    };
    let (policies, user_id) = match claims.map(|c| &c.principal) {
        Some(SessionPrincipal::AssumedRole {
            role_id,
            session_name,
            ..
        }) => {
            let policies = match e.role_by_id(role_id) {
                Some(role) => {
                    add_tags(&mut role.tags.iter().map(|t| (t.key.as_str(), t.value.as_str())));
                    app.policies.for_role(app.generation(), e, role)?
                }
                None => Arc::new(PrincipalPolicies {
                    identity: Vec::new(),
                    boundary: None,
                }),
            };
            (Some(policies), Some(format!("{role_id}:{session_name}")))
        }
        Some(SessionPrincipal::Root) => (None, None),
        Some(SessionPrincipal::FederatedUser { user_id: None, .. }) => {
            let all = Arc::new(CompiledPolicy::parse(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
            )?);
            let policies = Arc::new(PrincipalPolicies {
                identity: vec![all],
                boundary: None,
            });
            (Some(policies), None)
        }
        _ if caller.is_root() => (None, None),
        _ => {
            let user = caller
                .user_id
                .as_deref()
                .and_then(|id| e.user_by_id(id))
                .ok_or_else(|| {
                    Error::aws(
                        CommonErrorCode::InvalidClientTokenId,
                        "The security token included in the request is invalid",
                    )
                })?;
            add_tags(&mut user.tags.iter().map(|t| (t.key.as_str(), t.value.as_str())));
            let uid = match claims.map(|c| &c.principal) {
                Some(SessionPrincipal::FederatedUser { name, .. }) => {
                    Some(format!("{}:{name}", caller.account))
                }
                _ => Some(user.id.clone()),
            };
            (Some(app.policies.for_user(app.generation(), e, user)?), uid)
        }
    };
    if let Some(c) = claims {
        add_tags(&mut c.tags.iter().map(|t| (t.key.as_str(), t.value.as_str())));
    }
    let session = match claims {
        Some(c) if !c.policies.is_empty() || !c.policy_arns.is_empty() => {
            Some(app.policies.for_session(app.generation(), e, c)?)
        }
        _ => None,
    };
    Ok(CallerAuth {
        policies,
        session,
        principal_tags: tags.into_values().collect(),
        user_id,
    })
}

/// The context keys that come from the caller and the moment of the request.
pub(crate) fn caller_context(caller: &Caller, service: &str, auth: &CallerAuth) -> Context {
    let mut c = Context::new();
    let now = now_millis();
    c.insert("aws:SourceIp", &caller.source_ip);
    c.insert("aws:CurrentTime", &iso8601(now));
    c.insert("aws:EpochTime", &(now / 1000).to_string());
    c.insert("aws:SecureTransport", "false");
    c.insert(
        "aws:RequestedRegion",
        if service == "iam" {
            "us-east-1"
        } else {
            &caller.region
        },
    );
    if let Some(id) = &auth.user_id {
        c.insert("aws:userid", id);
    }
    for (k, v) in &auth.principal_tags {
        c.insert(&format!("aws:PrincipalTag/{k}"), v);
    }
    if let Some(s) = &caller.session {
        c.insert("aws:TokenIssueTime", &iso8601(s.issued * 1000));
        match s.mfa_authenticated_at {
            Some(at) => {
                c.insert("aws:MultiFactorAuthPresent", "true");
                c.insert(
                    "aws:MultiFactorAuthAge",
                    &(now_seconds() - at).max(0).to_string(),
                );
            }
            None => c.insert("aws:MultiFactorAuthPresent", "false"),
        }
        if let Some(source) = &s.source_identity {
            c.insert("aws:SourceIdentity", source);
        }
        for (key, value) in &s.provider_keys {
            c.insert(key, value);
        }
    }
    c
}

/// The outcome of [`decide`].
pub(crate) struct Verdict {
    /// The decision.
    pub(crate) decision: Decision,
    /// For a denial: the encoded authorization message (see [`crate::denial`]).
    pub(crate) encoded: Option<String>,
}

/// A request to decide: who, what, on which resource, in which context.
pub(crate) struct Ask<'a> {
    /// The action (`iam:CreateRole`).
    pub(crate) action: &'a str,
    /// The resource ARN.
    pub(crate) resource: &'a str,
    /// The context keys.
    pub(crate) context: Context,
    /// The resource-based policy of the target, if it has one.
    pub(crate) resource_policy: Option<&'a CompiledPolicy>,
    /// Whether the action is scoped to the resource even though the service authorization
    /// reference lists no resource type for it.
    pub(crate) scoped: bool,
}

/// Decides a request of `caller`.
pub(crate) fn decide(
    app: &App,
    caller: &Caller,
    auth: &CallerAuth,
    ask: Ask<'_>,
) -> Result<Verdict, Error> {
    let mut builder = Request::builder(caller.principal.clone(), ask.action, ask.resource)
        .context(ask.context)
        .resource_account(Some(app.account_id()));
    if ask.scoped {
        builder = builder.scoped_to_resource();
    }
    let request = builder.build()?;
    let (identity, boundary) = match &auth.policies {
        Some(p) => (p.identity.as_slice(), p.boundary.as_deref()),
        None => (&[][..], None),
    };
    let policies = Policies {
        identity,
        resource: ask.resource_policy,
        boundary,
        session: auth.session.as_ref().map(|s| s.as_slice()),
        ..Policies::default()
    };
    let decision = authorize(&request, &policies);
    if !decision.is_allowed() {
        let encoded = Some(crate::denial::encode(app, &request, &decision, &policies));
        return Ok(Verdict { decision, encoded });
    }
    // Scoped credentials (GetScopedCredentials): every scope-down policy is one more
    // session-policy layer that must allow the request too.
    if let Some(claims) = caller
        .session
        .as_deref()
        .filter(|c| !c.scope_policies.is_empty())
    {
        for scope in app.policies.for_scopes(app.generation(), claims)?.iter() {
            let scoped = Policies {
                session: Some(std::slice::from_ref(scope)),
                ..policies
            };
            let decision = authorize(&request, &scoped);
            if !decision.is_allowed() {
                let encoded = Some(crate::denial::encode(app, &request, &decision, &scoped));
                return Ok(Verdict { decision, encoded });
            }
        }
    }
    Ok(Verdict {
        decision,
        encoded: None,
    })
}

/// AccessDenied for a denial, in AWS's words, carrying its encoded message.
pub(crate) fn access_denied(
    caller: &Caller,
    action: &str,
    resource: &str,
    verdict: Verdict,
) -> Error {
    Error::Denied {
        error: portcullis_protocol::AwsError::of(
            CommonErrorCode::AccessDenied,
            format!(
                "User: {} is not authorized to perform: {action} on resource: {resource} {}",
                caller.principal.arn,
                verdict.decision.because(action)
            ),
        ),
        encoded: verdict.encoded.unwrap_or_default(),
    }
}

/// The resource a call is authorized against: its ARN, how AWS names it in AccessDenied
/// messages, its tags, and whether the action is scoped to it although the service
/// authorization reference lists no resource type (IAM's List operations). It borrows
/// what it can from the entities, so that finding it copies nothing it does not need.
struct Target<'e> {
    arn: Cow<'e, str>,
    /// An existing entity's kind and name: AWS names it "role NAME", "user NAME", … in
    /// AccessDenied (otherwise by its ARN).
    entity: Option<(&'static str, &'e str)>,
    tags: Cow<'e, [Tag]>,
    scoped: bool,
}

impl<'e> Target<'e> {
    fn of_arn(arn: impl Into<Cow<'e, str>>) -> Target<'e> {
        Target {
            arn: arn.into(),
            entity: None,
            tags: Cow::Borrowed(&[]),
            scoped: false,
        }
    }

    /// An existing entity.
    fn existing(arn: &'e str, kind: &'static str, name: &'e str, tags: &'e [Tag]) -> Target<'e> {
        Target {
            arn: Cow::Borrowed(arn),
            entity: Some((kind, name)),
            tags: Cow::Borrowed(tags),
            scoped: false,
        }
    }

    /// With these tags.
    fn tagged(mut self, tags: impl Into<Cow<'e, [Tag]>>) -> Target<'e> {
        self.tags = tags.into();
        self
    }

    /// How AccessDenied names the resource.
    fn described(&self) -> Cow<'_, str> {
        match self.entity {
            Some((kind, name)) => Cow::Owned(format!("{kind} {name}")),
            None => Cow::Borrowed(&self.arn),
        }
    }
}

/// The entity a request acts on, as its operation declares it.
fn target<'e>(
    account: &str,
    caller: &'e Caller,
    declared: &Authorization<'e>,
    e: &'e Entities,
) -> Target<'e> {
    let path = || declared.path.unwrap_or("/").to_string();
    let arn =
        |kind: &str, path: String, name: &str| format!("arn:aws:iam::{account}:{kind}{path}{name}");
    match declared.resource {
        Named::Listed { kind, prefix } => {
            let mut t = Target::of_arn(arn(kind, prefix.unwrap_or("/").to_string(), ""));
            t.scoped = true;
            t
        }
        Named::Role {
            name,
            arn: role_arn,
        } => match (name, role_arn) {
            (Some(name), _) => match e.role(name) {
                Some(r) => Target::existing(&r.arn, "role", &r.name, &r.tags),
                None => Target::of_arn(arn("role", path(), name)),
            },
            (None, Some(role_arn)) => match e.roles.values().find(|r| r.arn == role_arn) {
                Some(r) => Target::existing(&r.arn, "role", &r.name, &r.tags),
                None => Target::of_arn(role_arn),
            },
            (None, None) => Target::of_arn("*"),
        },
        Named::User(name) => match name.or(caller.user_name.as_deref()) {
            Some(name) => match e.user(name) {
                Some(u) => Target::existing(&u.arn, "user", &u.name, &u.tags),
                None => Target::of_arn(arn("user", path(), name)),
            },
            None => Target::of_arn(format!("arn:aws:iam::{account}:root")),
        },
        Named::Group(name) => match name {
            Some(name) => match e.group(name) {
                Some(g) => Target::existing(&g.arn, "group", &g.name, &[]),
                None => Target::of_arn(arn("group", path(), name)),
            },
            None => Target::of_arn("*"),
        },
        Named::Policy {
            arn: policy_arn,
            name,
        } => match (policy_arn, name) {
            // An existing policy is named by its ARN, the one it was looked up by.
            (Some(a), _) if find_policy(e, a).is_some() => {
                let tags = e.policy_by_arn(a).map_or(&[][..], |p| &p.tags);
                Target::existing(a, "policy", a, tags)
            }
            (Some(a), _) => Target::of_arn(a),
            (None, Some(name)) => Target::of_arn(arn("policy", path(), name)),
            _ => Target::of_arn("*"),
        },
        Named::InstanceProfile(name) => match name {
            Some(name) => match e.instance_profile(name) {
                Some(p) => Target::existing(&p.arn, "instance-profile", &p.name, &p.tags),
                None => Target::of_arn(arn("instance-profile", path(), name)),
            },
            None => Target::of_arn("*"),
        },
        // A virtual MFA device: AWS names it by its ARN in AccessDenied.
        Named::Mfa { serial, name } => match (serial, name) {
            (Some(serial), _) => {
                Target::of_arn(serial).tagged(e.mfa_device(serial).map_or(&[][..], |d| &d.tags))
            }
            (None, Some(name)) => Target::of_arn(arn("mfa", path(), name)),
            (None, None) => Target::of_arn("*"),
        },
        // An OpenID Connect provider, named by its ARN.
        Named::OidcProvider { arn: provider, url } => {
            match crate::iam::oidc::target(account, provider, url, e) {
                Some((arn, tags)) => Target::of_arn(arn).tagged(tags),
                None => Target::of_arn("*"),
            }
        }
        // A server certificate, named by its ARN.
        Named::ServerCertificate(name) => {
            match crate::iam::server_certificates::target(account, name, declared.path, e) {
                Some((arn, tags)) => Target::of_arn(arn).tagged(tags),
                None => Target::of_arn("*"),
            }
        }
        // A SAML provider, named by its ARN.
        Named::SamlProvider {
            arn: provider,
            name,
        } => match crate::iam::saml_providers::target(account, provider, name, e) {
            Some((arn, tags)) => Target::of_arn(arn).tagged(tags),
            None => Target::of_arn("*"),
        },
        // A delegation request, named by its ID, or by its ARN (GetHumanReadableSummary).
        Named::DelegationRequest { id, arn: entity } => match (id, entity) {
            (Some(id), _) => {
                Target::of_arn(format!("arn:aws:iam::{account}:delegation-request/{id}"))
            }
            (None, Some(arn)) => Target::of_arn(arn),
            (None, None) => Target::of_arn("*"),
        },
        // A workload identity provider, named by its ARN (the one Create would give).
        Named::WorkloadIdentityProvider {
            arn: provider,
            name,
        } => match (provider, name) {
            (Some(a), _) => {
                Target::of_arn(a).tagged(e.workload_providers.get(a).map_or(&[][..], |p| &p.tags))
            }
            (None, Some(name)) => Target::of_arn(format!(
                "arn:aws:iam::{account}:workload-identity-provider/{name}"
            )),
            (None, None) => Target::of_arn("*"),
        },
        // A workload identity template, named by its ARN (the one Create would give).
        Named::WorkloadIdentityTemplate {
            arn: template,
            name,
        } => match (template, name) {
            (Some(a), _) => {
                Target::of_arn(a).tagged(e.workload_templates.get(a).map_or(&[][..], |t| &t.tags))
            }
            (None, Some(name)) => Target::of_arn(format!(
                "arn:aws:iam::{account}:workload-identity-template/{name}"
            )),
            (None, None) => Target::of_arn("*"),
        },
        // A role template, named by its ARN.
        Named::RoleTemplate(template) => Target::of_arn(template.unwrap_or("*")),
        Named::Any => Target::of_arn("*"),
    }
}

/// Whether the account's password policy lets every IAM user make this call on itself
/// (AllowUsersToChangePassword: ChangePassword and GetAccountPasswordPolicy, IAM User
/// Guide, "Set an account password policy for IAM users").
fn allowed_by_password_policy(caller: &Caller, action: &str, e: &Entities) -> bool {
    caller.user_id.is_some()
        && matches!(
            action,
            "iam:ChangePassword" | "iam:GetAccountPasswordPolicy"
        )
        && e.settings
            .password_policy
            .as_ref()
            .is_some_and(|p| p.allow_users_to_change_password)
}

/// Adds the context keys that come from the request and its target: tags, policy ARNs.
fn request_keys(c: &mut Context, declared: &Authorization<'_>, resource_tags: &[Tag]) {
    for t in resource_tags {
        c.insert(&format!("aws:ResourceTag/{}", t.key), &t.value);
    }
    if let Some(tags) = &declared.tags {
        for (k, v) in tags {
            c.insert(&format!("aws:RequestTag/{k}"), v);
        }
        c.insert_multi("aws:TagKeys", tags.iter().map(|(k, _)| k.to_string()));
    }
    if let Some(keys) = declared.tag_keys {
        c.insert_multi("aws:TagKeys", keys.iter().map(String::as_str));
    }
    if let Some(arn) = declared.policy_arn {
        c.insert("iam:PolicyARN", arn);
    }
    if let Some(arn) = declared.boundary {
        c.insert("iam:PermissionsBoundary", arn);
    }
}

/// Calls that temporary credentials cannot make whatever the policies say (STS API
/// reference, GetSessionToken and GetFederationToken): federated users cannot call IAM
/// or STS (but GetCallerIdentity); GetSessionToken sessions cannot call IAM without MFA,
/// nor STS but AssumeRole and GetCallerIdentity.
fn session_restriction(caller: &Caller, service: &str, op: &str) -> Result<(), Error> {
    let Some(session) = caller
        .session
        .as_deref()
        .filter(|_| matches!(service, "iam" | "sts"))
    else {
        return Ok(());
    };
    if matches!(op, "GetSessionToken" | "GetFederationToken") {
        // The operations answer "Cannot call … with session credentials" themselves.
        return Ok(());
    }
    if op == "GetScopedCredentials" {
        // Made for temporary credentials of every kind: a federated-user session or one
        // from GetSessionToken may scope itself down (STS API reference).
        return Ok(());
    }
    let why = match &session.principal {
        SessionPrincipal::FederatedUser { .. } if op != "GetCallerIdentity" => {
            "federated-user sessions cannot call IAM or STS operations"
        }
        SessionPrincipal::User { .. } | SessionPrincipal::Root
            if service == "iam" && session.mfa_authenticated_at.is_none() =>
        {
            // IAM refuses the token itself (GetSessionToken, STS API reference), as AWS
            // answers: InvalidClientTokenId, not AccessDenied.
            return Err(Error::aws(
                CommonErrorCode::InvalidClientTokenId,
                "The security token included in the request is invalid",
            ));
        }
        SessionPrincipal::User { .. } | SessionPrincipal::Root
            if service == "sts" && !matches!(op, "AssumeRole" | "GetCallerIdentity") =>
        {
            "sessions from GetSessionToken can call only AssumeRole and GetCallerIdentity"
        }
        _ => return Ok(()),
    };
    Err(Error::aws(
        CommonErrorCode::AccessDenied,
        format!(
            "User: {} is not authorized to perform: {service}:{op} because {why}",
            caller.principal.arn
        ),
    ))
}

/// Authorizes one action of a call outside IAM and STS (`ec2:RunInstances`,
/// `iam:PassRole`, …) on `resource`, with extra context keys; AccessDenied as [`authorize_call`]
/// answers it.
pub(crate) fn check_action(
    app: &App,
    caller: &Caller,
    action: &str,
    resource: &str,
    extra: &[(&str, &str)],
) -> Result<(), Error> {
    if !app.config.authorizes() || caller.is_root() {
        return Ok(());
    }
    let service = action.split(':').next().unwrap_or_default();
    app.read(|e| {
        let auth = caller_auth(app, e, caller)?;
        let mut context = caller_context(caller, service, &auth);
        for (k, v) in extra {
            context.insert(k, v);
        }
        let verdict = decide(
            app,
            caller,
            &auth,
            Ask {
                action,
                resource,
                context,
                resource_policy: None,
                scoped: false,
            },
        )?;
        if verdict.decision.is_allowed() {
            Ok(())
        } else {
            Err(access_denied(caller, action, resource, verdict))
        }
    })
}

/// How an operation is authorized.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum How {
    /// The caller's policies (identity-based, boundary, session and scope policies) must
    /// allow the operation's action on the resource its request names, with the request's
    /// context keys.
    Policies,
    /// No permission is needed: GetCallerIdentity and GetSessionToken (STS API
    /// reference).
    NotRequired,
    /// The operation authorizes what it does as it reaches it, and answers a refusal as
    /// [`Error::Denied`]: AssumeRole (the role's trust policy together with the caller's
    /// policies), GetWebIdentityToken (with the condition keys of its request: audiences,
    /// duration, algorithm, scope), and the EC2 and ECS calls (each instance or task and
    /// the role it is passed).
    ByOperation,
}

/// The resource a request names, by the resource type of its action in the service
/// authorization reference, with the members that name it (`None` when the request leaves
/// a member out).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Named<'r> {
    /// A role, by name or ARN.
    Role {
        name: Option<&'r str>,
        arn: Option<&'r str>,
    },
    /// A user by name; without one, the calling user (or the account's root).
    User(Option<&'r str>),
    /// A group, by name.
    Group(Option<&'r str>),
    /// A managed policy, by ARN or (to be created) by name.
    Policy {
        arn: Option<&'r str>,
        name: Option<&'r str>,
    },
    /// An instance profile, by name.
    InstanceProfile(Option<&'r str>),
    /// An MFA device, by serial number (its ARN) or (to be created) by name.
    Mfa {
        serial: Option<&'r str>,
        name: Option<&'r str>,
    },
    /// An OpenID Connect provider, by ARN or (to be created) by URL.
    OidcProvider {
        arn: Option<&'r str>,
        url: Option<&'r str>,
    },
    /// A server certificate, by name.
    ServerCertificate(Option<&'r str>),
    /// A SAML provider, by ARN or (to be created) by name.
    SamlProvider {
        arn: Option<&'r str>,
        name: Option<&'r str>,
    },
    /// A delegation request, by ID, or by its ARN (GetHumanReadableSummary).
    DelegationRequest {
        id: Option<&'r str>,
        arn: Option<&'r str>,
    },
    /// A workload identity provider, by ARN or (to be created) by name.
    WorkloadIdentityProvider {
        arn: Option<&'r str>,
        name: Option<&'r str>,
    },
    /// A workload identity template, by ARN or (to be created) by name.
    WorkloadIdentityTemplate {
        arn: Option<&'r str>,
        name: Option<&'r str>,
    },
    /// A role template, by ARN.
    RoleTemplate(Option<&'r str>),
    /// The entities of a kind under a path prefix: the IAM List operations that AWS checks
    /// against the ARN of the path they list.
    Listed {
        kind: &'static str,
        prefix: Option<&'r str>,
    },
    /// No resource (`*`).
    Any,
}

/// What an operation's authorization asks, as the operation declares it ([`declared`]):
/// how it is authorized, the resource its request names, and the context keys the request
/// sets.
#[derive(Clone, Debug)]
pub struct Authorization<'r> {
    how: How,
    resource: Named<'r>,
    /// The path of an entity the request creates (its ARN when it does not exist yet).
    path: Option<&'r str>,
    /// `aws:RequestTag/…` and `aws:TagKeys`: the tags the request sets.
    tags: Option<Vec<(&'r str, &'r str)>>,
    /// `aws:TagKeys`: the tag keys the request removes.
    tag_keys: Option<&'r [String]>,
    /// `iam:PolicyARN`.
    policy_arn: Option<&'r str>,
    /// `iam:PermissionsBoundary`.
    boundary: Option<&'r str>,
}

/// A tag of a request: IAM's and STS's.
pub(crate) trait RequestTag {
    /// The key and the value.
    fn pair(&self) -> (&str, &str);
}

impl RequestTag for portcullis_protocol::iam::Tag {
    fn pair(&self) -> (&str, &str) {
        (&self.key, &self.value)
    }
}

impl RequestTag for portcullis_protocol::sts::Tag {
    fn pair(&self) -> (&str, &str) {
        (&self.key, &self.value)
    }
}

impl<'r> Authorization<'r> {
    /// By the caller's policies, on `resource`, with no request keys.
    pub(crate) fn on(resource: Named<'r>) -> Authorization<'r> {
        Authorization {
            how: How::Policies,
            resource,
            path: None,
            tags: None,
            tag_keys: None,
            policy_arn: None,
            boundary: None,
        }
    }

    /// Authorized another way.
    pub(crate) fn how(mut self, how: How) -> Authorization<'r> {
        self.how = how;
        self
    }

    /// With the path of the entity the request creates.
    pub(crate) fn path(mut self, path: Option<&'r str>) -> Authorization<'r> {
        self.path = path;
        self
    }

    /// With the tags the request sets.
    pub(crate) fn tags<T: RequestTag>(mut self, tags: Option<&'r [T]>) -> Authorization<'r> {
        self.tags = tags.map(|t| t.iter().map(RequestTag::pair).collect());
        self
    }

    /// With the tag keys the request removes.
    pub(crate) fn tag_keys(mut self, keys: Option<&'r [String]>) -> Authorization<'r> {
        self.tag_keys = keys;
        self
    }

    /// With the managed policy the request attaches or detaches.
    pub(crate) fn policy_arn(mut self, arn: Option<&'r str>) -> Authorization<'r> {
        self.policy_arn = arn;
        self
    }

    /// With the permissions boundary the request sets.
    pub(crate) fn boundary(mut self, arn: Option<&'r str>) -> Authorization<'r> {
        self.boundary = arn;
        self
    }
}

/// How an IAM request is authorized: by the caller's policies, as [`declared::iam`] names its
/// resource and keys.
pub fn iam_authorization(request: &IamRequest) -> Authorization<'_> {
    declared::iam(request)
}

/// How an STS request is authorized: GetCallerIdentity and GetSessionToken need no
/// permission (STS API reference); AssumeRole and GetWebIdentityToken decide themselves;
/// the others by the caller's policies, as [`declared::sts`] names their resource and keys.
pub(crate) fn sts_authorization(request: &StsRequest) -> Authorization<'_> {
    let declared = declared::sts(request);
    match request {
        StsRequest::GetCallerIdentity(_) | StsRequest::GetSessionToken(_) => {
            declared.how(How::NotRequired)
        }
        StsRequest::AssumeRole(_) | StsRequest::GetWebIdentityToken(_) => {
            declared.how(How::ByOperation)
        }
        _ => declared,
    }
}

/// What AWS refuses in an IAM request before it authorizes anything, in every mode:
/// a policy ARN that is not one (Attach*Policy), and GetUser without a user name from a
/// caller that is no user (a role session).
pub(crate) fn check_iam_request(caller: &Caller, request: &IamRequest) -> Result<(), Error> {
    match request {
        IamRequest::AttachRolePolicy(i) => check_policy_arn(&i.policy_arn),
        IamRequest::AttachUserPolicy(i) => check_policy_arn(&i.policy_arn),
        IamRequest::AttachGroupPolicy(i) => check_policy_arn(&i.policy_arn),
        IamRequest::GetUser(i)
            if i.user_name.is_none()
                && caller.user_name.is_none()
                && !caller.is_root()
                && caller.principal.kind != PrincipalKind::Anonymous =>
        {
            Err(Error::validation(
                "Must specify userName when calling with non-User credentials",
            ))
        }
        _ => Ok(()),
    }
}

/// What AWS refuses in an STS request before it authorizes anything: AssumeRole's `RoleArn`
/// that is not an ARN.
pub(crate) fn check_sts_request(request: &StsRequest) -> Result<(), Error> {
    match request {
        StsRequest::AssumeRole(i) => check_role_arn(&i.role_arn),
        _ => Ok(()),
    }
}

/// The authorization stage of the pipeline: the calls temporary credentials cannot make,
/// then what the operation declares. Answers AWS's AccessDenied when the policies do not
/// allow the call. The root user of the account is allowed everything (no organization
/// policies apply); anonymous callers reach only the unsigned operations, which authorize
/// against the role's trust policy themselves.
pub fn authorize_call(
    app: &App,
    caller: &Caller,
    service: &str,
    op: &str,
    declared: &Authorization<'_>,
) -> Result<(), Error> {
    if !app.config.authorizes() {
        return Ok(());
    }
    session_restriction(caller, service, op)?;
    if declared.how != How::Policies {
        return Ok(());
    }
    if service == "sts" && op == "GetScopedCredentials" && caller.session.is_none() {
        // Long-term credentials are refused by the operation itself, whatever the
        // policies say (InvalidSubjectCredentials).
        return Ok(());
    }
    if caller.is_root() || caller.principal.kind == PrincipalKind::Anonymous {
        return Ok(());
    }
    let action = format!("{service}:{op}");
    app.read(|e| {
        if allowed_by_password_policy(caller, &action, e) {
            return Ok(());
        }
        let auth = caller_auth(app, e, caller)?;
        let target = target(app.account_id(), caller, declared, e);
        let mut context = caller_context(caller, service, &auth);
        request_keys(&mut context, declared, &target.tags);
        let verdict = decide(
            app,
            caller,
            &auth,
            Ask {
                action: &action,
                resource: &target.arn,
                context,
                resource_policy: None,
                scoped: target.scoped,
            },
        )?;
        if verdict.decision.is_allowed() {
            Ok(())
        } else {
            Err(access_denied(caller, &action, &target.described(), verdict))
        }
    })
}

/// The ARN of the resource a call acts on, as authorization names it (for the audit
/// trail); `None` when the call names none.
pub fn resource_arn(app: &App, caller: &Caller, declared: &Authorization<'_>) -> Option<String> {
    app.read(|e| {
        let arn = target(app.account_id(), caller, declared, e).arn;
        (arn != "*").then(|| arn.into_owned())
    })
}
