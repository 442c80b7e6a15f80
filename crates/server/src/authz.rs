//! Authorization of every call by the policy engine: the action (`iam:CreateRole`), the
//! resource ARN the service authorization reference names for it, the request context, and
//! the caller's policies (compiled once per change of the account, then cached).

use crate::app::App;
use crate::caller::Caller;
use crate::error::Error;
use crate::iam::rules::{PolicyRef, find_policy};
use crate::time::{iso8601, now_millis};
use portcullis_catalog::catalog;
use portcullis_policy::{CompiledPolicy, Context, Policies, Request, authorize};
use portcullis_store::{Entities, Tag, User};
use rustc_hash::FxHashMap;
use serde_json::Value;
use std::sync::{Arc, Mutex};

/// The compiled policies of one principal.
struct PrincipalPolicies {
    identity: Vec<Arc<CompiledPolicy>>,
    boundary: Option<Arc<CompiledPolicy>>,
}

/// Compiled policies: AWS managed policies by ARN (they never change), and each
/// principal's set, valid for one generation of the account's entities.
#[derive(Default)]
pub struct PolicyCache {
    aws: Mutex<FxHashMap<String, Arc<CompiledPolicy>>>,
    principals: Mutex<FxHashMap<String, (u64, Arc<PrincipalPolicies>)>>,
}

impl PolicyCache {
    fn compile(&self, policy: &PolicyRef<'_>) -> Result<Arc<CompiledPolicy>, Error> {
        match policy {
            PolicyRef::Aws(p) => {
                let mut aws = self.aws.lock().unwrap_or_else(|e| e.into_inner());
                if let Some(c) = aws.get(&p.arn) {
                    return Ok(c.clone());
                }
                let c = Arc::new(CompiledPolicy::parse(&p.document)?.with_name(p.arn.clone()));
                aws.insert(p.arn.clone(), c.clone());
                Ok(c)
            }
            PolicyRef::Customer(p) => Ok(Arc::new(
                CompiledPolicy::parse(policy.default_document())?.with_name(p.arn.clone()),
            )),
        }
    }

    fn for_user(
        &self,
        app: &App,
        e: &Entities,
        user: &User,
    ) -> Result<Arc<PrincipalPolicies>, Error> {
        let generation = app.generation();
        {
            let cached = self.principals.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((g, p)) = cached.get(&user.id)
                && *g == generation
            {
                return Ok(p.clone());
            }
        }
        let mut identity = Vec::new();
        let groups: Vec<_> = user
            .groups
            .iter()
            .filter_map(|g| e.group_by_id(g))
            .collect();
        let inline = user
            .inline_policies
            .iter()
            .map(|(n, d)| (format!("inline:user/{}/{n}", user.name), d))
            .chain(groups.iter().flat_map(|g| {
                g.inline_policies
                    .iter()
                    .map(move |(n, d)| (format!("inline:group/{}/{n}", g.name), d))
            }));
        for (name, document) in inline {
            identity.push(Arc::new(CompiledPolicy::parse(document)?.with_name(name)));
        }
        let attached = user
            .attached_policies
            .iter()
            .chain(groups.iter().flat_map(|g| g.attached_policies.iter()));
        for arn in attached {
            if let Some(p) = find_policy(e, arn) {
                identity.push(self.compile(&p)?);
            }
        }
        let boundary = match user
            .permissions_boundary
            .as_deref()
            .and_then(|b| find_policy(e, b))
        {
            Some(p) => Some(self.compile(&p)?),
            None => None,
        };
        let set = Arc::new(PrincipalPolicies { identity, boundary });
        self.principals
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(user.id.clone(), (generation, set.clone()));
        Ok(set)
    }
}

/// The resource a call is authorized against: its ARN, how AWS names it in AccessDenied
/// messages, its tags, and whether the action is scoped to it although the service
/// authorization reference lists no resource type (IAM's List operations).
struct Target {
    arn: String,
    described: String,
    tags: Vec<Tag>,
    scoped: bool,
}

impl Target {
    fn of_arn(arn: String) -> Target {
        Target {
            described: arn.clone(),
            arn,
            tags: Vec::new(),
            scoped: false,
        }
    }

    /// An existing entity: AWS names it "role NAME", "user NAME", … in AccessDenied.
    fn existing(arn: &str, kind: &str, name: &str, tags: &[Tag]) -> Target {
        Target {
            arn: arn.to_string(),
            described: format!("{kind} {name}"),
            tags: tags.to_vec(),
            scoped: false,
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
fn target(account: &str, caller: &Caller, action: &str, input: &Value, e: &Entities) -> Target {
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
        .and_then(|a| a.resource_types.first().cloned());
    match resource_type.as_deref() {
        Some("role") => match (get("RoleName"), get("RoleArn")) {
            (Some(name), _) => match e.role(name) {
                Some(r) => Target::existing(&r.arn, "role", &r.name, &r.tags),
                None => Target::of_arn(arn("role", path(), name)),
            },
            (None, Some(role_arn)) => match e.roles.values().find(|r| r.arn == role_arn) {
                Some(r) => Target::existing(&r.arn, "role", &r.name, &r.tags),
                None => Target::of_arn(role_arn.to_string()),
            },
            (None, None) => Target::of_arn("*".to_string()),
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
            None => Target::of_arn("*".to_string()),
        },
        Some("policy") => match (get("PolicyArn"), get("PolicyName")) {
            (Some(a), _) => match find_policy(e, a) {
                Some(p) => {
                    let tags = e
                        .policy_by_arn(a)
                        .map(|p| p.tags.clone())
                        .unwrap_or_default();
                    Target::existing(p.arn(), "policy", p.arn(), &tags)
                }
                None => Target::of_arn(a.to_string()),
            },
            (None, Some(name)) => Target::of_arn(arn("policy", path(), name)),
            _ => Target::of_arn("*".to_string()),
        },
        Some("instance-profile") => match get("InstanceProfileName") {
            Some(name) => match e.instance_profile(name) {
                Some(p) => Target::existing(&p.arn, "instance-profile", &p.name, &p.tags),
                None => Target::of_arn(arn("instance-profile", path(), name)),
            },
            None => Target::of_arn("*".to_string()),
        },
        _ => Target::of_arn("*".to_string()),
    }
}

/// The request context of a call.
fn context(
    caller: &Caller,
    service: &str,
    input: &Value,
    resource_tags: &[Tag],
    user: Option<&User>,
) -> Context {
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
    if let Some(u) = user {
        c.insert("aws:userid", &u.id);
        for t in &u.tags {
            c.insert(&format!("aws:PrincipalTag/{}", t.key), &t.value);
        }
    }
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
    c
}

/// Authorizes a call, answering AWS's AccessDenied when the policies do not allow it.
/// The root user of the account is allowed everything (no organization policies apply).
pub fn check(
    app: &App,
    caller: &Caller,
    service: &str,
    op: &str,
    input: &Value,
) -> Result<(), Error> {
    if !app.config.authorizes() || caller.is_root() {
        return Ok(());
    }
    let action = format!("{service}:{op}");
    if action == "sts:GetCallerIdentity" {
        return Ok(());
    }
    app.read(|e| {
        let user = caller.user_id.as_deref().and_then(|id| e.user_by_id(id));
        let Some(user) = user else {
            return Err(Error::aws(
                "InvalidClientTokenId",
                "The security token included in the request is invalid.",
            ));
        };
        let target = target(app.account_id(), caller, &action, input, e);
        let mut builder = Request::builder(caller.principal.clone(), &action, &target.arn)
            .context(context(caller, service, input, &target.tags, Some(user)))
            .resource_account(Some(app.account_id()));
        if target.scoped {
            builder = builder.scoped_to_resource();
        }
        let request = builder.build()?;
        let set = app.policies.for_user(app, e, user)?;
        let policies = Policies {
            identity: &set.identity,
            boundary: set.boundary.as_deref(),
            ..Policies::default()
        };
        let decision = authorize(&request, &policies);
        if decision.is_allowed() {
            Ok(())
        } else {
            Err(Error::aws(
                "AccessDenied",
                format!(
                    "User: {} is not authorized to perform: {action} on resource: {} {}",
                    caller.principal.arn,
                    target.described,
                    decision.because(&action)
                ),
            ))
        }
    })
}
