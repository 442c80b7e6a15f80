//! Authorization of every call by the policy engine: the action (`iam:CreateRole`), the
//! resource ARN the service authorization reference names for it, the request context, and
//! the caller's policies (compiled once per change of the account, then cached).

use crate::account::find_policy;
use crate::app::App;
use crate::auth::session::SessionPrincipal;
use crate::caller::Caller;
use crate::error::Error;
use crate::policy_cache::PrincipalPolicies;
use crate::time::{iso8601, now_millis, now_seconds};
use portcullis_catalog::catalog;
use portcullis_policy::{
    CompiledPolicy, Context, Decision, Policies, PrincipalKind, Request, authorize,
};
use portcullis_protocol::CommonErrorCode;
use portcullis_protocol::Service;
use portcullis_store::{Entities, Tag};
use serde_json::Value;
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

/// The IAM List operations that AWS checks against the ARN of the path they list.
const LISTED_KINDS: &[(&str, &str)] = &[
    ("iam:ListRoles", "role"),
    ("iam:ListUsers", "user"),
    ("iam:ListGroups", "group"),
    ("iam:ListInstanceProfiles", "instance-profile"),
    ("iam:ListPolicies", "policy"),
];

/// The entity an IAM operation acts on, as the service authorization reference names its
/// resource type.
fn target<'e>(
    account: &str,
    caller: &'e Caller,
    action: &str,
    input: &'e Value,
    e: &'e Entities,
) -> Target<'e> {
    let get = |m: &str| input.get(m).and_then(Value::as_str);
    let path = || get("Path").unwrap_or("/").to_string();
    let arn =
        |kind: &str, path: String, name: &str| format!("arn:aws:iam::{account}:{kind}{path}{name}");
    if let Some((_, kind)) = LISTED_KINDS.iter().find(|(a, _)| *a == action) {
        let mut t = Target::of_arn(arn(kind, get("PathPrefix").unwrap_or("/").to_string(), ""));
        t.scoped = true;
        return t;
    }
    let resource_type = catalog()
        .action(action)
        .and_then(|a| a.resource_types.first());
    match resource_type.map(String::as_str) {
        Some("role") => match (get("RoleName"), get("RoleArn")) {
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
        Some("user") => match get("UserName").or(caller.user_name.as_deref()) {
            Some(name) => match e.user(name) {
                Some(u) => Target::existing(&u.arn, "user", &u.name, &u.tags),
                None => Target::of_arn(arn("user", path(), name)),
            },
            None => Target::of_arn(format!("arn:aws:iam::{account}:root")),
        },
        Some("group") => match get("GroupName") {
            Some(name) => match e.group(name) {
                Some(g) => Target::existing(&g.arn, "group", &g.name, &[]),
                None => Target::of_arn(arn("group", path(), name)),
            },
            None => Target::of_arn("*"),
        },
        Some("policy") => match (get("PolicyArn"), get("PolicyName")) {
            // An existing policy is named by its ARN, the one it was looked up by.
            (Some(a), _) if find_policy(e, a).is_some() => {
                let tags = e.policy_by_arn(a).map_or(&[][..], |p| &p.tags);
                Target::existing(a, "policy", a, tags)
            }
            (Some(a), _) => Target::of_arn(a),
            (None, Some(name)) => Target::of_arn(arn("policy", path(), name)),
            _ => Target::of_arn("*"),
        },
        Some("instance-profile") => match get("InstanceProfileName") {
            Some(name) => match e.instance_profile(name) {
                Some(p) => Target::existing(&p.arn, "instance-profile", &p.name, &p.tags),
                None => Target::of_arn(arn("instance-profile", path(), name)),
            },
            None => Target::of_arn("*"),
        },
        // A virtual MFA device: AWS names it by its ARN in AccessDenied.
        Some("mfa") => match (get("SerialNumber"), get("VirtualMFADeviceName")) {
            (Some(serial), _) => {
                Target::of_arn(serial).tagged(e.mfa_device(serial).map_or(&[][..], |d| &d.tags))
            }
            (None, Some(name)) => Target::of_arn(arn("mfa", path(), name)),
            (None, None) => Target::of_arn("*"),
        },
        // An OpenID Connect provider, named by its ARN.
        Some("oidc-provider") => match crate::iam::oidc::target(account, input, e) {
            Some((arn, tags)) => Target::of_arn(arn).tagged(tags),
            None => Target::of_arn("*"),
        },
        // A server certificate, named by its ARN.
        Some("server-certificate") => {
            match crate::iam::server_certificates::target(account, input, e) {
                Some((arn, tags)) => Target::of_arn(arn).tagged(tags),
                None => Target::of_arn("*"),
            }
        }
        // A SAML provider, named by its ARN.
        Some("saml-provider") => match crate::iam::saml_providers::target(account, input, e) {
            Some((arn, tags)) => Target::of_arn(arn).tagged(tags),
            None => Target::of_arn("*"),
        },
        // A delegation request, named by its ID, or by its ARN (GetHumanReadableSummary).
        Some("delegation-request") => match (get("DelegationRequestId"), get("EntityArn")) {
            (Some(id), _) => {
                Target::of_arn(format!("arn:aws:iam::{account}:delegation-request/{id}"))
            }
            (None, Some(arn)) => Target::of_arn(arn),
            (None, None) => Target::of_arn("*"),
        },
        // A workload identity provider, named by its ARN (the one Create would give).
        Some("workload-identity-provider") => {
            match (get("WorkloadIdentityProviderArn"), get("ProviderName")) {
                (Some(a), _) => Target::of_arn(a)
                    .tagged(e.workload_providers.get(a).map_or(&[][..], |p| &p.tags)),
                (None, Some(name)) => Target::of_arn(format!(
                    "arn:aws:iam::{account}:workload-identity-provider/{name}"
                )),
                (None, None) => Target::of_arn("*"),
            }
        }
        // A workload identity template, named by its ARN (the one Create would give).
        Some("workload-identity-template") => {
            match (get("WorkloadIdentityTemplateArn"), get("Name")) {
                (Some(a), _) => Target::of_arn(a)
                    .tagged(e.workload_templates.get(a).map_or(&[][..], |t| &t.tags)),
                (None, Some(name)) => Target::of_arn(format!(
                    "arn:aws:iam::{account}:workload-identity-template/{name}"
                )),
                (None, None) => Target::of_arn("*"),
            }
        }
        // A role template, named by its ARN.
        Some("role-template") => Target::of_arn(get("TemplateArn").unwrap_or("*")),
        _ => Target::of_arn("*"),
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
fn request_keys(c: &mut Context, input: &Value, resource_tags: &[Tag]) {
    for t in resource_tags {
        c.insert(&format!("aws:ResourceTag/{}", t.key), &t.value);
    }
    if let Some(Value::Array(tags)) = input.get("Tags") {
        let mut keys = Vec::new();
        for t in tags {
            if let (Some(k), Some(v)) = (
                t.get("Key").and_then(Value::as_str),
                t.get("Value").and_then(Value::as_str),
            ) {
                c.insert(&format!("aws:RequestTag/{k}"), v);
                keys.push(k.to_string());
            }
        }
        c.insert_multi("aws:TagKeys", keys);
    }
    if let Some(Value::Array(keys)) = input.get("TagKeys") {
        c.insert_multi("aws:TagKeys", keys.iter().filter_map(Value::as_str));
    }
    if let Some(arn) = input.get("PolicyArn").and_then(Value::as_str) {
        c.insert("iam:PolicyARN", arn);
    }
    if let Some(arn) = input.get("PermissionsBoundary").and_then(Value::as_str) {
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

/// How an operation is authorized, as it declares it ([`declared`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Authorization {
    /// The caller's policies (identity-based, boundary, session and scope policies) must
    /// allow the operation's action on the resource its input names, with the request's
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

/// How an IAM or STS operation is authorized.
pub(crate) fn declared(service: Service, op: &str) -> Authorization {
    match (service, op) {
        (Service::Sts, "GetCallerIdentity" | "GetSessionToken") => Authorization::NotRequired,
        (Service::Sts, "AssumeRole" | "GetWebIdentityToken") => Authorization::ByOperation,
        _ => Authorization::Policies,
    }
}

/// The authorization stage of the pipeline: the checks AWS makes before authorizing, the
/// calls temporary credentials cannot make, then what the operation declares. Answers
/// AWS's AccessDenied when the policies do not allow the call. The root user of the account
/// is allowed everything (no organization policies apply); anonymous callers reach only the
/// unsigned operations, which authorize against the role's trust policy themselves.
pub fn authorize_call(
    app: &App,
    caller: &Caller,
    service: &str,
    op: &str,
    input: &Value,
    declared: Authorization,
) -> Result<(), Error> {
    // Some input is refused before any authorization, in every mode, as AWS does.
    crate::iam::rules::check_before_authorization(service, op, input)?;
    // GetUser names no user: fine for a user (itself) and the root, not for a role
    // session, which AWS refuses before it authorizes anything.
    if service == "iam"
        && op == "GetUser"
        && input.get("UserName").is_none()
        && caller.user_name.is_none()
        && !caller.is_root()
        && caller.principal.kind != PrincipalKind::Anonymous
    {
        return Err(Error::validation(
            "Must specify userName when calling with non-User credentials",
        ));
    }
    if !app.config.authorizes() {
        return Ok(());
    }
    session_restriction(caller, service, op)?;
    if declared != Authorization::Policies {
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
        let target = target(app.account_id(), caller, &action, input, e);
        let mut context = caller_context(caller, service, &auth);
        request_keys(&mut context, input, &target.tags);
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
pub fn resource_arn(
    app: &App,
    caller: &Caller,
    service: &str,
    op: &str,
    input: &Value,
) -> Option<String> {
    let action = format!("{service}:{op}");
    app.read(|e| {
        let arn = target(app.account_id(), caller, &action, input, e).arn;
        (arn != "*").then(|| arn.into_owned())
    })
}
