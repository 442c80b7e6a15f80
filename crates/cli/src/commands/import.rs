//! `portcullis import FILE`: loads what `aws iam get-account-authorization-details` (or
//! `portcullis export`) wrote into a server, with the IAM API: customer managed policies
//! with their versions (same version IDs) and default version, then groups with their
//! inline and attached policies, users with paths, tags, permissions boundaries, group
//! memberships and policies, roles with their trust policies, tags, boundaries and
//! policies (service-linked roles through CreateServiceLinkedRole), and the instance
//! profiles the roles are in. AWS managed policies are attached, never created.
//!
//! Before changing anything the server's users, groups, roles, customer managed policies
//! and instance profiles are read: any of the file's that already exists (by name, as IAM
//! names are unique regardless of case) stops the import with the list, unless
//! `--skip-existing` leaves those exactly as they are and imports the rest.

use super::client::Endpoint;
use super::export::authorization_details;
use anyhow::{Context as _, Result, bail};
use clap::Args;
use portcullis_protocol::AwsError;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::ExitCode;

/// Options of `portcullis import`.
#[derive(Args)]
pub(crate) struct ImportArgs {
    /// The JSON file (`aws iam get-account-authorization-details > FILE`, or
    /// `portcullis export --out FILE`); `-` reads standard input.
    file: PathBuf,
    /// Leave the entities that already exist on the server as they are (not changed, their
    /// policies, memberships and tags not touched) and import the others, instead of
    /// stopping before any change.
    #[arg(long)]
    skip_existing: bool,
    #[command(flatten)]
    endpoint: Endpoint,
}

/// The path prefix of service-linked roles.
const SERVICE_ROLE_PATH: &str = "/aws-service-role/";

/// One entity of the file.
type Entity = Map<String, Value>;

/// The member `key` of an entity as text ("" when absent).
fn text<'a>(e: &'a Entity, key: &str) -> &'a str {
    e.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// The member `key` of an entity as a list (empty when absent).
fn list<'a>(e: &'a Entity, key: &str) -> &'a [Value] {
    e.get(key)
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice)
}

/// The entities of one list of the file.
fn entities<'a>(file: &'a Value, key: &str) -> Result<Vec<&'a Entity>> {
    match file.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, v)| {
                v.as_object()
                    .with_context(|| format!("{key}[{i}] is not an object"))
            })
            .collect(),
        Some(_) => bail!("{key} is not a list"),
    }
}

/// A policy document for a request: the file holds it as a JSON value (as the aws CLI
/// prints it) or as text.
fn document(v: Option<&Value>) -> Value {
    match v {
        Some(Value::String(s)) => Value::String(s.clone()),
        Some(other) => Value::String(other.to_string()),
        None => Value::Null,
    }
}

/// `Tags` for a request, or nothing when there are none.
fn tags(e: &Entity) -> Value {
    match list(e, "Tags") {
        [] => Value::Null,
        t => Value::Array(t.to_vec()),
    }
}

/// `1 group`, `2 groups`.
fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `v3` → 3.
fn version_number(id: &str) -> Option<u64> {
    id.strip_prefix('v')?.parse().ok()
}

/// What the server already holds, by lower-cased name.
#[derive(Default)]
struct Existing {
    users: BTreeSet<String>,
    groups: BTreeSet<String>,
    roles: BTreeSet<String>,
    /// Customer managed policies: name → ARN.
    policies: BTreeMap<String, String>,
    instance_profiles: BTreeSet<String>,
}

impl Existing {
    fn read(endpoint: &Endpoint) -> Result<Existing> {
        let details = authorization_details(
            endpoint,
            &["User", "Group", "Role", "LocalManagedPolicy"],
            1000,
        )?;
        let names = |list: &str, member: &str| -> BTreeSet<String> {
            details[list]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|e| e[member].as_str())
                .map(str::to_lowercase)
                .collect()
        };
        let mut existing = Existing {
            users: names("UserDetailList", "UserName"),
            groups: names("GroupDetailList", "GroupName"),
            roles: names("RoleDetailList", "RoleName"),
            ..Existing::default()
        };
        for p in details["Policies"].as_array().into_iter().flatten() {
            if let (Some(name), Some(arn)) = (p["PolicyName"].as_str(), p["Arn"].as_str()) {
                existing
                    .policies
                    .insert(name.to_lowercase(), arn.to_string());
            }
        }
        for page in endpoint.iam_pages("ListInstanceProfiles", &json!({"MaxItems": 1000}))? {
            for p in page["InstanceProfiles"].as_array().into_iter().flatten() {
                if let Some(name) = p["InstanceProfileName"].as_str() {
                    existing.instance_profiles.insert(name.to_lowercase());
                }
            }
        }
        Ok(existing)
    }
}

/// The import in progress: the server, what it held before, and what has been done.
struct Importer<'a> {
    endpoint: &'a Endpoint,
    existing: Existing,
    /// Customer managed policy ARNs of the file → their ARNs on the server.
    policy_arns: BTreeMap<String, String>,
    /// Entities left as they were (`--skip-existing`).
    skipped: Vec<String>,
    /// How many entities of each kind (singular and plural noun) were created, in the
    /// order of the import.
    created: Vec<((&'static str, &'static str), usize)>,
}

impl Importer<'_> {
    /// Calls `operation`; an error names what was being imported.
    fn call(&self, what: &str, operation: &str, input: Value) -> Result<Value> {
        self.endpoint.iam(operation, &input).map_err(|e| {
            let hint = match e.downcast_ref::<AwsError>() {
                Some(a) if a.code() == "EntityAlreadyExists" => {
                    " (it appeared on the server during the import; run again with --skip-existing to keep it)"
                }
                _ => "",
            };
            e.context(format!("importing {what}: {operation} failed{hint}"))
        })
    }

    /// The server's ARN for a policy ARN of the file.
    fn policy_arn(&self, arn: &str) -> String {
        self.policy_arns
            .get(arn)
            .cloned()
            .unwrap_or_else(|| arn.to_string())
    }

    fn done(&mut self, kind: (&'static str, &'static str), line: String) {
        match self.created.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, n)) => *n += 1,
            None => self.created.push((kind, 1)),
        }
        println!("{line}");
    }

    /// A customer managed policy with its versions under their IDs: version numbers the
    /// file skips (deleted versions) are created and deleted again, so that the next
    /// ones get the same IDs.
    fn policy(&mut self, p: &Entity) -> Result<()> {
        let name = text(p, "PolicyName");
        let arn = text(p, "Arn");
        if let Some(existing) = self.existing.policies.get(&name.to_lowercase()) {
            self.policy_arns.insert(arn.to_string(), existing.clone());
            self.skipped.push(format!("policy {name}"));
            return Ok(());
        }
        let what = format!("policy {name}");
        let mut versions: Vec<(u64, &Entity)> = Vec::new();
        for v in list(p, "PolicyVersionList") {
            let v = v
                .as_object()
                .with_context(|| format!("{what}: a PolicyVersionList item is not an object"))?;
            let id = text(v, "VersionId");
            let n = version_number(id)
                .with_context(|| format!("{what}: version ID {id:?} is not v<number>"))?;
            versions.push((n, v));
        }
        versions.sort_by_key(|(n, _)| *n);
        if versions.windows(2).any(|w| w[0].0 == w[1].0) {
            bail!("{what} lists a version ID twice");
        }
        let Some(&(first, first_version)) = versions.first() else {
            bail!("{what} has no PolicyVersionList");
        };
        let default_id = versions
            .iter()
            .find(|(_, v)| v.get("IsDefaultVersion").and_then(Value::as_bool) == Some(true))
            .map(|(n, _)| *n)
            .or_else(|| version_number(text(p, "DefaultVersionId")))
            .unwrap_or(first);
        let input = json!({
            "PolicyName": name,
            "Path": p.get("Path"),
            "PolicyDocument": document(first_version.get("Document")),
            "Description": p.get("Description"),
        });
        let out = self.call(&what, "CreatePolicy", input)?;
        let new_arn = out["Policy"]["Arn"]
            .as_str()
            .context("CreatePolicy answered without Policy.Arn")?
            .to_string();
        // v1 holds the first version's document; when the first version is not v1, v1 is
        // a stand-in until that version exists.
        let mut current_default = 1;
        let mut next = 2;
        for &(n, v) in versions.iter().filter(|(n, _)| *n > 1) {
            let doc = document(v.get("Document"));
            while next < n {
                let version = format!("v{next}");
                self.call(
                    &what,
                    "CreatePolicyVersion",
                    json!({"PolicyArn": new_arn, "PolicyDocument": doc, "SetAsDefault": false}),
                )?;
                self.call(
                    &what,
                    "DeletePolicyVersion",
                    json!({"PolicyArn": new_arn, "VersionId": version}),
                )?;
                next += 1;
            }
            let replaces_stand_in = current_default == 1 && first > 1;
            self.call(
                &what,
                "CreatePolicyVersion",
                json!({"PolicyArn": new_arn, "PolicyDocument": doc, "SetAsDefault": replaces_stand_in}),
            )?;
            if replaces_stand_in {
                current_default = n;
                self.call(
                    &what,
                    "DeletePolicyVersion",
                    json!({"PolicyArn": new_arn, "VersionId": "v1"}),
                )?;
            }
            next = n + 1;
        }
        if default_id != current_default {
            self.call(
                &what,
                "SetDefaultPolicyVersion",
                json!({"PolicyArn": new_arn, "VersionId": format!("v{default_id}")}),
            )?;
        }
        let ids: Vec<String> = versions.iter().map(|(n, _)| format!("v{n}")).collect();
        self.done(
            ("customer managed policy", "customer managed policies"),
            format!(
                "created policy {new_arn} (versions {}, default v{default_id})",
                ids.join(", ")
            ),
        );
        self.policy_arns.insert(arn.to_string(), new_arn);
        Ok(())
    }

    /// Inline policies and attached managed policies of a user, group or role.
    fn policies(
        &self,
        what: &str,
        e: &Entity,
        (member, name): (&str, &str),
        (inline_list, put, attach): (&str, &str, &str),
    ) -> Result<String> {
        let inline = list(e, inline_list);
        for p in inline {
            let p = p.as_object().context("an inline policy is not an object")?;
            self.call(
                what,
                put,
                json!({member: name, "PolicyName": text(p, "PolicyName"), "PolicyDocument": document(p.get("PolicyDocument"))}),
            )?;
        }
        let attached = list(e, "AttachedManagedPolicies");
        for p in attached {
            let arn = p
                .get("PolicyArn")
                .and_then(Value::as_str)
                .unwrap_or_default();
            self.call(
                what,
                attach,
                json!({member: name, "PolicyArn": self.policy_arn(arn)}),
            )?;
        }
        Ok(format!(
            "{}, {}",
            plural(inline.len(), "inline policy", "inline policies"),
            plural(attached.len(), "attached policy", "attached policies")
        ))
    }

    /// The permissions boundary of a user or role, as the server's policy ARN.
    fn boundary(&self, e: &Entity) -> Value {
        e.get("PermissionsBoundary")
            .and_then(|b| b.get("PermissionsBoundaryArn"))
            .and_then(Value::as_str)
            .map_or(Value::Null, |arn| json!(self.policy_arn(arn)))
    }

    fn group(&mut self, g: &Entity) -> Result<()> {
        let name = text(g, "GroupName");
        if self.existing.groups.contains(&name.to_lowercase()) {
            self.skipped.push(format!("group {name}"));
            return Ok(());
        }
        let what = format!("group {name}");
        self.call(
            &what,
            "CreateGroup",
            json!({"GroupName": name, "Path": g.get("Path")}),
        )?;
        let policies = self.policies(
            &what,
            g,
            ("GroupName", name),
            ("GroupPolicyList", "PutGroupPolicy", "AttachGroupPolicy"),
        )?;
        self.done(
            ("group", "groups"),
            format!("created group {name} ({policies})"),
        );
        Ok(())
    }

    fn user(&mut self, u: &Entity) -> Result<()> {
        let name = text(u, "UserName");
        if self.existing.users.contains(&name.to_lowercase()) {
            self.skipped.push(format!("user {name}"));
            return Ok(());
        }
        let what = format!("user {name}");
        self.call(
            &what,
            "CreateUser",
            json!({"UserName": name, "Path": u.get("Path"), "PermissionsBoundary": self.boundary(u), "Tags": tags(u)}),
        )?;
        let groups = list(u, "GroupList");
        for g in groups {
            self.call(
                &what,
                "AddUserToGroup",
                json!({"GroupName": g, "UserName": name}),
            )?;
        }
        let policies = self.policies(
            &what,
            u,
            ("UserName", name),
            ("UserPolicyList", "PutUserPolicy", "AttachUserPolicy"),
        )?;
        self.done(
            ("user", "users"),
            format!(
                "created user {name} ({}, {policies}, {}{})",
                plural(groups.len(), "group", "groups"),
                plural(list(u, "Tags").len(), "tag", "tags"),
                if u.contains_key("PermissionsBoundary") {
                    ", a permissions boundary"
                } else {
                    ""
                }
            ),
        );
        Ok(())
    }

    /// A role; `described` is its entry as a `Role` (in an instance profile of the file),
    /// the only place the file gives its description and maximum session duration.
    fn role(&mut self, r: &Entity, described: Option<&Entity>) -> Result<()> {
        let name = text(r, "RoleName");
        if self.existing.roles.contains(&name.to_lowercase()) {
            self.skipped.push(format!("role {name}"));
            return Ok(());
        }
        let what = format!("role {name}");
        let path = text(r, "Path");
        if let Some(service) = path
            .strip_prefix(SERVICE_ROLE_PATH)
            .and_then(|s| s.strip_suffix('/'))
        {
            // Created by the service's own call; its trust policy and policies are the
            // service's.
            let out = self.call(
                &what,
                "CreateServiceLinkedRole",
                json!({
                    "AWSServiceName": service,
                    "CustomSuffix": name.split_once('_').map(|(_, s)| s),
                    "Description": described.and_then(|d| d.get("Description")),
                }),
            )?;
            let made = out["Role"]["RoleName"].as_str().unwrap_or_default();
            if made != name {
                bail!("importing {what}: CreateServiceLinkedRole made the role {made} instead");
            }
            if !list(r, "Tags").is_empty() {
                self.call(&what, "TagRole", json!({"RoleName": name, "Tags": tags(r)}))?;
            }
            self.done(
                ("role", "roles"),
                format!("created service-linked role {name} (for {service})"),
            );
            return Ok(());
        }
        self.call(
            &what,
            "CreateRole",
            json!({
                "RoleName": name,
                "Path": r.get("Path"),
                "AssumeRolePolicyDocument": document(r.get("AssumeRolePolicyDocument")),
                "Description": described.and_then(|d| d.get("Description")),
                "MaxSessionDuration": described.and_then(|d| d.get("MaxSessionDuration")),
                "PermissionsBoundary": self.boundary(r),
                "Tags": tags(r),
            }),
        )?;
        let policies = self.policies(
            &what,
            r,
            ("RoleName", name),
            ("RolePolicyList", "PutRolePolicy", "AttachRolePolicy"),
        )?;
        self.done(
            ("role", "roles"),
            format!(
                "created role {name} ({policies}, {}{})",
                plural(list(r, "Tags").len(), "tag", "tags"),
                if r.contains_key("PermissionsBoundary") {
                    ", a permissions boundary"
                } else {
                    ""
                }
            ),
        );
        Ok(())
    }

    fn instance_profile(&mut self, p: &Entity) -> Result<()> {
        let name = text(p, "InstanceProfileName");
        if self
            .existing
            .instance_profiles
            .contains(&name.to_lowercase())
        {
            self.skipped.push(format!("instance profile {name}"));
            return Ok(());
        }
        let what = format!("instance profile {name}");
        self.call(
            &what,
            "CreateInstanceProfile",
            json!({"InstanceProfileName": name, "Path": p.get("Path"), "Tags": tags(p)}),
        )?;
        let mut roles = Vec::new();
        for r in list(p, "Roles") {
            let role = r
                .get("RoleName")
                .and_then(Value::as_str)
                .unwrap_or_default();
            self.call(
                &what,
                "AddRoleToInstanceProfile",
                json!({"InstanceProfileName": name, "RoleName": role}),
            )?;
            roles.push(role);
        }
        self.done(
            ("instance profile", "instance profiles"),
            format!(
                "created instance profile {name} (role {})",
                if roles.is_empty() {
                    "none".to_string()
                } else {
                    roles.join(", ")
                }
            ),
        );
        Ok(())
    }
}

/// Reads the file (or standard input for `-`).
fn read_file(path: &PathBuf) -> Result<Value> {
    let text = if path.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin()).context("reading standard input")?
    } else {
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?
    };
    let value: Value =
        serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))?;
    if !value.is_object() {
        bail!(
            "{} is not the output of get-account-authorization-details (not a JSON object)",
            path.display()
        );
    }
    Ok(value)
}

/// Runs `portcullis import`.
pub(crate) fn run(args: ImportArgs) -> Result<ExitCode> {
    let file = read_file(&args.file)?;
    let policies: Vec<&Entity> = entities(&file, "Policies")?
        .into_iter()
        .filter(|p| !text(p, "Arn").starts_with("arn:aws:iam::aws:"))
        .collect();
    let groups = entities(&file, "GroupDetailList")?;
    let users = entities(&file, "UserDetailList")?;
    let roles = entities(&file, "RoleDetailList")?;
    // Each instance profile once (it is listed under every role it holds), and each
    // role's own description as the profile's entry shows it.
    let mut profiles: BTreeMap<String, &Entity> = BTreeMap::new();
    let mut described: BTreeMap<&str, &Entity> = BTreeMap::new();
    for r in &roles {
        for p in list(r, "InstanceProfileList")
            .iter()
            .filter_map(Value::as_object)
        {
            profiles
                .entry(text(p, "InstanceProfileName").to_string())
                .or_insert(p);
            for role in list(p, "Roles").iter().filter_map(Value::as_object) {
                described.entry(text(role, "RoleName")).or_insert(role);
            }
        }
    }

    let existing = Existing::read(&args.endpoint)?;
    let mut conflicts = Vec::new();
    for p in &policies {
        if existing
            .policies
            .contains_key(&text(p, "PolicyName").to_lowercase())
        {
            conflicts.push(format!("policy {}", text(p, "PolicyName")));
        }
    }
    for (list, set, kind, member) in [
        (&groups, &existing.groups, "group", "GroupName"),
        (&users, &existing.users, "user", "UserName"),
        (&roles, &existing.roles, "role", "RoleName"),
    ] {
        for e in list {
            if set.contains(&text(e, member).to_lowercase()) {
                conflicts.push(format!("{kind} {}", text(e, member)));
            }
        }
    }
    for name in profiles.keys() {
        if existing.instance_profiles.contains(&name.to_lowercase()) {
            conflicts.push(format!("instance profile {name}"));
        }
    }
    if !conflicts.is_empty() && !args.skip_existing {
        eprintln!(
            "portcullis: nothing was imported: the server already has {} of the file's entities (EntityAlreadyExists): {}. \
             Run with --skip-existing to leave those as they are and import the others.",
            conflicts.len(),
            conflicts.join(", ")
        );
        return Ok(ExitCode::from(1));
    }

    let mut importer = Importer {
        endpoint: &args.endpoint,
        existing,
        policy_arns: BTreeMap::new(),
        skipped: Vec::new(),
        created: Vec::new(),
    };
    for p in &policies {
        importer.policy(p)?;
    }
    for g in &groups {
        importer.group(g)?;
    }
    for u in &users {
        importer.user(u)?;
    }
    for r in &roles {
        importer.role(r, described.get(text(r, "RoleName")).copied())?;
    }
    for p in profiles.values() {
        importer.instance_profile(p)?;
    }

    let created: Vec<String> = importer
        .created
        .iter()
        .map(|((one, many), n)| plural(*n, one, many))
        .collect();
    println!(
        "imported {}",
        if created.is_empty() {
            "nothing".to_string()
        } else {
            created.join(", ")
        }
    );
    if !importer.skipped.is_empty() {
        println!(
            "left as they were (--skip-existing): {}",
            importer.skipped.join(", ")
        );
    }
    Ok(ExitCode::SUCCESS)
}
