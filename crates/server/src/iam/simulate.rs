//! The IAM policy simulator: SimulatePrincipalPolicy, SimulateCustomPolicy,
//! GetContextKeysForPrincipalPolicy and GetContextKeysForCustomPolicy (IAM API Reference,
//! and IAM User Guide, "Testing IAM policies with the IAM policy simulator").
//!
//! Every request goes through the policy engine ([`portcullis_policy::authorize`]), the same
//! chain that authorizes the calls made to this server. What the simulator adds:
//!
//! - one `EvaluationResult` per action, its decision the most restrictive over the requested
//!   resources, with one `ResourceSpecificResult` per resource when `ResourceArns` names
//!   resources (the current API reference, "EvaluationResult");
//! - `MatchedStatements` from identity-based and resource-based policies (not SCPs, not the
//!   boundary, which `PermissionsBoundaryDecisionDetail` covers), named as IAM names them
//!   (`PolicyInputList.1`, the managed policy's name, `user_NAME_POLICY` for an inline
//!   policy) with the statement's place in the policy text;
//! - `MissingContextValues`: the context keys the policies use (as
//!   GetContextKeysFor*Policy lists them) that the request has no value for;
//! - a caller: `CallerArn`, else the user or role of `PolicySourceArn` (with its tags as
//!   `aws:PrincipalTag/*`), else an anonymous IAM user of the account whose
//!   `aws:username`, `aws:PrincipalArn`… have no value;
//! - the resource's owner: the account in its ARN, else `ResourceOwner`, else the caller's
//!   account;
//! - bounds (see "Limits"): at most 1,000 actions, 1,000 resources and 10,000 evaluations a
//!   simulation, and pages that count each `ResourceSpecificResult` as an item and stop at
//!   1 MiB, so that no request builds a large answer (`Simulation::answer`).
//!
//! Unlike AWS's simulator, SimulatePrincipalPolicy for `sts:AssumeRole*` (and the
//! `sts:TagSession`, `sts:SetSourceIdentity`, `sts:SetContext` that come with it) on a role of
//! the account evaluates that role's trust policy as the resource-based policy (unless
//! `ResourcePolicy` gives one), and a `ResourcePolicy` for these actions is evaluated as a
//! trust policy instead of being ignored.

use crate::account::{PolicyRef, find_policy};
use crate::call::Ctx;
use crate::call::input::{MEMBER_BYTES, Page, answer_bytes};
use crate::error::Error;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use portcullis_catalog::catalog;
use portcullis_policy::condition::parse_date;
use portcullis_policy::{
    CompiledPolicy, Context, Decision, Layer, Outcome, Policies, PolicyDocument, PolicyKind,
    Principal, PrincipalKind, Request, Span, ValidationOptions, split_arn, validate,
    wildcard_match,
};
use portcullis_protocol::iam::{
    ContextEntry, EvaluationResult, GetContextKeysForCustomPolicyInput,
    GetContextKeysForCustomPolicyOutput, GetContextKeysForPolicyResponse,
    GetContextKeysForPrincipalPolicyInput, GetContextKeysForPrincipalPolicyOutput,
    OrderedOrganizationPolicyType, OrganizationsDecisionDetail, PermissionsBoundaryDecisionDetail,
    PolicyIdentifier, Position, ResourceSpecificResult, SimulateCustomPolicyInput,
    SimulateCustomPolicyOutput, SimulatePolicyResponse, SimulatePrincipalPolicyInput,
    SimulatePrincipalPolicyOutput, Statement,
};
use portcullis_protocol::{CommonErrorCode, IndexMap};
use portcullis_store::{Entities, Group, Role, Tag, User};
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// SimulatePrincipalPolicy.
pub(crate) fn simulate_principal_policy(
    ctx: &Ctx<'_>,
    input: SimulatePrincipalPolicyInput,
) -> Result<SimulatePrincipalPolicyOutput, Error> {
    ctx.app
        .read(|e| simulate_principal_answer(e, ctx.account(), &input))
}

/// SimulateCustomPolicy.
pub(crate) fn simulate_custom_policy(
    ctx: &Ctx<'_>,
    input: SimulateCustomPolicyInput,
) -> Result<SimulateCustomPolicyOutput, Error> {
    simulate_custom_answer(ctx.account(), &input)
}

/// GetContextKeysForPrincipalPolicy.
pub(crate) fn get_context_keys_for_principal_policy(
    ctx: &Ctx<'_>,
    input: GetContextKeysForPrincipalPolicyInput,
) -> Result<GetContextKeysForPrincipalPolicyOutput, Error> {
    ctx.app
        .read(|e| context_keys_for_principal(e, ctx.account(), &input))
}

/// GetContextKeysForCustomPolicy.
pub(crate) fn get_context_keys_for_custom_policy(
    _ctx: &Ctx<'_>,
    input: GetContextKeysForCustomPolicyInput,
) -> Result<GetContextKeysForCustomPolicyOutput, Error> {
    context_keys_for_custom(&input)
}

// ---------------------------------------------------------------------------------------
// Limits
// ---------------------------------------------------------------------------------------
//
// AWS documents no bound on the number of ActionNames, ResourceArns, PolicyInputList or
// ContextEntries members: the botocore model (iam-service-2.json) bounds only the length of
// each member (an action 3..128 characters, a resource ARN 1..2048, a policy 1..131072, a
// context key name 5..256), MaxItems (1..1000), OrderedOrganizationPolicyInputList (7
// levels) and PolicyExclusionList (256). The API reference allows an answer to be short:
// "IAM might return fewer results, even when there are more results available". These are
// Portcullis's bounds, each refused with InvalidInput (the error the operations declare
// for bad input), so that no request can make the server do unbounded work or build a
// large answer.

/// The most `ActionNames` a simulation takes.
pub(super) const MAX_ACTION_NAMES: usize = 1_000;
/// The most `ResourceArns` a simulation takes.
pub(super) const MAX_RESOURCE_ARNS: usize = 1_000;
/// The most evaluations (actions × resources, `*` counting as one resource) a simulation
/// may need, over all its pages.
pub(super) const MAX_EVALUATIONS: usize = 10_000;
/// The most policies each list of policies given in a request (`PolicyInputList`,
/// `PermissionsBoundaryPolicyInputList`, each `ServiceControlPolicyInputList`) may hold.
pub(super) const MAX_POLICY_INPUTS: usize = 100;
/// The most statements the policies given in a request may hold together (the largest AWS
/// managed policy has 163).
pub(super) const MAX_GIVEN_STATEMENTS: usize = 1_000;
/// The most distinct context keys each of the policies given in a request may use,
/// counted policy by policy and added up.
pub(super) const MAX_GIVEN_CONTEXT_KEYS: usize = 1_000;
/// The most `ContextEntries` a simulation takes.
pub(super) const MAX_CONTEXT_ENTRIES: usize = 1_000;
/// The most `ContextKeyValues` all `ContextEntries` may hold together.
pub(super) const MAX_CONTEXT_VALUES: usize = 10_000;
/// The most bytes all `ContextKeyValues` may take together (each request's evaluations
/// copy them).
pub(super) const MAX_CONTEXT_BYTES: usize = 256 * 1024;
/// A page stops before the item that would take its XML past this many bytes.
pub(super) const PAGE_BYTES: usize = 1024 * 1024;
/// The most bytes one item (an `EvaluationResult` without its resource results, or one
/// `ResourceSpecificResult`) may take in the XML answer; a simulation with a larger one is
/// refused. With [`PAGE_BYTES`], no page's XML exceeds 2 MiB plus its envelope.
pub(super) const ITEM_BYTES: usize = 1024 * 1024;

/// The members SimulateCustomPolicy and SimulatePrincipalPolicy share that the limits and
/// the answer read; a list the request leaves out is empty.
struct Asked<'i> {
    actions: &'i [String],
    resources: &'i [String],
    policies: &'i [String],
    boundaries: &'i [String],
    organizations: &'i [OrderedOrganizationPolicyType],
    context: &'i [ContextEntry],
    handling: Option<&'i str>,
    marker: Option<&'i str>,
    max_items: Option<i64>,
}

impl<'i> Asked<'i> {
    /// The members of a SimulateCustomPolicy request.
    fn custom(input: &'i SimulateCustomPolicyInput) -> Asked<'i> {
        Asked {
            actions: &input.action_names,
            resources: input.resource_arns.as_deref().unwrap_or_default(),
            policies: &input.policy_input_list,
            boundaries: input
                .permissions_boundary_policy_input_list
                .as_deref()
                .unwrap_or_default(),
            organizations: input
                .ordered_organization_policy_input_list
                .as_deref()
                .unwrap_or_default(),
            context: input.context_entries.as_deref().unwrap_or_default(),
            handling: input.resource_handling_option.as_deref(),
            marker: input.marker.as_deref(),
            max_items: input.max_items,
        }
    }

    /// The members of a SimulatePrincipalPolicy request (which has no
    /// `OrderedOrganizationPolicyInputList`).
    fn principal(input: &'i SimulatePrincipalPolicyInput) -> Asked<'i> {
        Asked {
            actions: &input.action_names,
            resources: input.resource_arns.as_deref().unwrap_or_default(),
            policies: input.policy_input_list.as_deref().unwrap_or_default(),
            boundaries: input
                .permissions_boundary_policy_input_list
                .as_deref()
                .unwrap_or_default(),
            organizations: &[],
            context: input.context_entries.as_deref().unwrap_or_default(),
            handling: input.resource_handling_option.as_deref(),
            marker: input.marker.as_deref(),
            max_items: input.max_items,
        }
    }
}

/// The `ServiceControlPolicyInputList` of a level of `OrderedOrganizationPolicyInputList`.
fn scp_inputs(level: &OrderedOrganizationPolicyType) -> &[String] {
    level
        .service_control_policy_input_list
        .as_deref()
        .unwrap_or_default()
}

fn too_many(member: &str, given: usize, max: usize) -> Error {
    Error::invalid_input(format!(
        "{member} has {given} members, more than the {max} a simulation takes."
    ))
}

/// Applies the limits that the request's lists must meet before anything is read.
fn check_input_limits(asked: &Asked<'_>) -> Result<(), Error> {
    let actions = asked.actions.len();
    if actions > MAX_ACTION_NAMES {
        return Err(too_many("ActionNames", actions, MAX_ACTION_NAMES));
    }
    let resources = asked.resources.len();
    if resources > MAX_RESOURCE_ARNS {
        return Err(too_many("ResourceArns", resources, MAX_RESOURCE_ARNS));
    }
    let evaluations = actions * resources.max(1);
    if evaluations > MAX_EVALUATIONS {
        return Err(Error::invalid_input(format!(
            "The simulation of {actions} actions on {} resources needs {evaluations} evaluations, more than the {MAX_EVALUATIONS} a simulation may have: simulate fewer actions or resources at a time.",
            resources.max(1)
        )));
    }
    for (member, list) in [
        ("PolicyInputList", asked.policies),
        ("PermissionsBoundaryPolicyInputList", asked.boundaries),
    ] {
        let n = list.len();
        if n > MAX_POLICY_INPUTS {
            return Err(too_many(member, n, MAX_POLICY_INPUTS));
        }
    }
    for level in asked.organizations {
        let n = scp_inputs(level).len();
        if n > MAX_POLICY_INPUTS {
            return Err(too_many(
                "ServiceControlPolicyInputList",
                n,
                MAX_POLICY_INPUTS,
            ));
        }
    }
    let entries = asked.context.len();
    if entries > MAX_CONTEXT_ENTRIES {
        return Err(too_many("ContextEntries", entries, MAX_CONTEXT_ENTRIES));
    }
    let values = asked
        .context
        .iter()
        .filter_map(|e| e.context_key_values.as_deref());
    let (mut count, mut bytes) = (0usize, 0usize);
    for v in values.flatten() {
        count += 1;
        bytes += v.len();
    }
    if count > MAX_CONTEXT_VALUES {
        return Err(too_many("ContextKeyValues", count, MAX_CONTEXT_VALUES));
    }
    if bytes > MAX_CONTEXT_BYTES {
        return Err(Error::invalid_input(format!(
            "The ContextKeyValues take {bytes} bytes, more than the {MAX_CONTEXT_BYTES} a simulation takes."
        )));
    }
    Ok(())
}

/// What the policies given in a request add up to.
#[derive(Default)]
struct Given {
    statements: usize,
    keys: usize,
}

impl Given {
    fn add(&mut self, p: &SimPolicy) {
        self.statements += p.spans.len();
        self.keys += p.keys.len();
    }

    /// A policy given as text but read later (`ResourcePolicy`): counted as written, a
    /// text that does not parse counts nothing (it is refused when read).
    fn add_text(&mut self, text: &str) {
        if let Ok(doc) = PolicyDocument::parse(text) {
            let mut keys = Keys::default();
            keys.add_document(&doc);
            self.statements += doc.statements.len();
            self.keys += keys.names.len();
        }
    }

    fn check(&self) -> Result<(), Error> {
        if self.statements > MAX_GIVEN_STATEMENTS {
            return Err(Error::invalid_input(format!(
                "The policies given in the request have {} statements, more than the {MAX_GIVEN_STATEMENTS} a simulation takes.",
                self.statements
            )));
        }
        if self.keys > MAX_GIVEN_CONTEXT_KEYS {
            return Err(Error::invalid_input(format!(
                "The policies given in the request use {} context keys, more than the {MAX_GIVEN_CONTEXT_KEYS} a simulation takes.",
                self.keys
            )));
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// Policies taking part in a simulation
// ---------------------------------------------------------------------------------------

/// `PolicySourceType`: where a matched statement's policy comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SourceType {
    /// An inline policy of a user.
    User,
    /// An inline policy of a group.
    Group,
    /// An inline policy of a role.
    Role,
    /// An AWS managed policy.
    AwsManaged,
    /// A customer managed policy.
    UserManaged,
    /// The resource-based policy.
    Resource,
    /// A policy given in the request.
    None,
}

impl SourceType {
    fn as_str(self) -> &'static str {
        match self {
            SourceType::User => "user",
            SourceType::Group => "group",
            SourceType::Role => "role",
            SourceType::AwsManaged => "aws-managed",
            SourceType::UserManaged => "user-managed",
            SourceType::Resource => "resource",
            SourceType::None => "none",
        }
    }
}

/// A policy of the simulation: how IAM names it, its statements' places, its compiled
/// form and the context keys it uses.
struct SimPolicy {
    id: String,
    source: SourceType,
    spans: Vec<Option<Span>>,
    compiled: Arc<CompiledPolicy>,
    keys: Vec<String>,
}

impl SimPolicy {
    fn from_document(id: String, source: SourceType, doc: &PolicyDocument) -> SimPolicy {
        let mut keys = Keys::default();
        keys.add_document(doc);
        SimPolicy {
            spans: doc.statements.iter().map(|s| s.span).collect(),
            compiled: Arc::new(CompiledPolicy::compile(doc).with_name(id.clone())),
            keys: keys.names,
            id,
            source,
        }
    }

    /// A policy stored in the account (validated when it was written).
    fn stored(id: String, source: SourceType, text: &str) -> Result<SimPolicy, Error> {
        let doc = PolicyDocument::parse(text)?;
        Ok(SimPolicy::from_document(id, source, &doc))
    }

    /// A policy given in the request, validated as `kind`; IAM answers InvalidInput for one
    /// it cannot read.
    fn given(
        id: String,
        source: SourceType,
        text: &str,
        kind: PolicyKind,
    ) -> Result<SimPolicy, Error> {
        let options = ValidationOptions {
            check_size: false,
            warnings: false,
            ..ValidationOptions::new(kind)
        };
        match validate(text, &options).into_result() {
            Ok(doc) => Ok(SimPolicy::from_document(id, source, &doc)),
            Err(portcullis_policy::PolicyError::Invalid { message, .. }) => Err(
                Error::invalid_input(format!("{id} is not a valid policy: {message}")),
            ),
            Err(other) => Err(other.into()),
        }
    }
}

/// A policy attached to the simulated entity, before it is read.
struct Attached {
    id: String,
    source: SourceType,
    text: String,
    /// For a managed policy: its ARN.
    arn: Option<String>,
    /// For an inline policy: the owner's type (`user`, `group`, `role`) and name, and the
    /// policy's name.
    inline: Option<(&'static str, String, String)>,
}

impl Attached {
    fn inline(kind: SourceType, owner: &str, name: &str, text: &str) -> Attached {
        let owner_type = kind.as_str();
        Attached {
            id: format!("{owner_type}_{owner}_{name}"),
            source: kind,
            text: text.to_string(),
            arn: None,
            inline: Some((owner_type, owner.to_string(), name.to_string())),
        }
    }

    fn managed(policy: &PolicyRef<'_>) -> Attached {
        Attached {
            id: policy.name().to_string(),
            source: match policy {
                PolicyRef::Aws(_) => SourceType::AwsManaged,
                PolicyRef::Customer(_) => SourceType::UserManaged,
            },
            text: policy.default_document().to_string(),
            arn: Some(policy.arn().to_string()),
            inline: None,
        }
    }
}

/// The user, group or role `PolicySourceArn` names.
#[derive(Clone, Copy)]
enum Entity<'e> {
    User(&'e User),
    Group(&'e Group),
    Role(&'e Role),
}

impl Entity<'_> {
    /// Reads `PolicySourceArn`: a user, group or role of this account, or NoSuchEntity.
    fn find<'e>(e: &'e Entities, account: &str, arn: &str) -> Result<Entity<'e>, Error> {
        let invalid = || {
            Error::invalid_input(format!(
                "Invalid ARN {arn}: it must be the ARN of a user, group or role."
            ))
        };
        let [_, _, service, _, arn_account, resource] = split_arn(arn).ok_or_else(invalid)?;
        let (kind, path) = resource.split_once('/').ok_or_else(invalid)?;
        if service != "iam" {
            return Err(invalid());
        }
        let name = path.rsplit('/').next().unwrap_or_default();
        let same = |entity_arn: &str| arn_account == account && entity_arn == arn;
        match kind {
            "user" => e
                .user(name)
                .filter(|u| same(&u.arn))
                .map(Entity::User)
                .ok_or_else(|| super::users::not_found(name)),
            "group" => e
                .group(name)
                .filter(|g| same(&g.arn))
                .map(Entity::Group)
                .ok_or_else(|| {
                    Error::no_such_entity(format!("The group with name {name} cannot be found."))
                }),
            "role" => e
                .role(name)
                .filter(|r| same(&r.arn))
                .map(Entity::Role)
                .ok_or_else(|| {
                    Error::no_such_entity(format!("The role with name {name} cannot be found."))
                }),
            _ => Err(invalid()),
        }
    }

    /// Its identity-based policies (for a user, its groups' too, in the order the server
    /// authorizes with: inline, then attached) and its boundary.
    fn policies(self, e: &Entities) -> (Vec<Attached>, Option<Attached>) {
        let mut identity = Vec::new();
        let managed = |arns: &[String], out: &mut Vec<Attached>| {
            out.extend(
                arns.iter()
                    .filter_map(|a| find_policy(e, a))
                    .map(|p| Attached::managed(&p)),
            );
        };
        let boundary = |arn: &Option<String>| {
            arn.as_deref()
                .and_then(|a| find_policy(e, a))
                .map(|p| Attached::managed(&p))
        };
        match self {
            Entity::User(u) => {
                let groups: Vec<&Group> =
                    u.groups.iter().filter_map(|g| e.group_by_id(g)).collect();
                for (name, text) in &u.inline_policies {
                    identity.push(Attached::inline(SourceType::User, &u.name, name, text));
                }
                for g in &groups {
                    for (name, text) in &g.inline_policies {
                        identity.push(Attached::inline(SourceType::Group, &g.name, name, text));
                    }
                }
                managed(&u.attached_policies, &mut identity);
                for g in &groups {
                    managed(&g.attached_policies, &mut identity);
                }
                (identity, boundary(&u.permissions_boundary))
            }
            Entity::Group(g) => {
                for (name, text) in &g.inline_policies {
                    identity.push(Attached::inline(SourceType::Group, &g.name, name, text));
                }
                managed(&g.attached_policies, &mut identity);
                (identity, None)
            }
            Entity::Role(r) => {
                for (name, text) in &r.inline_policies {
                    identity.push(Attached::inline(SourceType::Role, &r.name, name, text));
                }
                managed(&r.attached_policies, &mut identity);
                (identity, boundary(&r.permissions_boundary))
            }
        }
    }

    /// The caller it stands for when no `CallerArn` is given: the user, or a session of
    /// the role, with its tags; a group is no caller.
    fn caller(self) -> Result<Option<Caller>, Error> {
        let (arn, tags) = match self {
            Entity::User(u) => (&u.arn, &u.tags),
            Entity::Role(r) => (&r.arn, &r.tags),
            Entity::Group(_) => return Ok(None),
        };
        Ok(Some(Caller {
            principal: Principal::parse(arn)?,
            tags: tags.clone(),
        }))
    }
}

// ---------------------------------------------------------------------------------------
// PolicyExclusionList
// ---------------------------------------------------------------------------------------

/// One `PolicyIdentifier` of `PolicyExclusionList`.
enum Exclusion {
    /// `inline`, `aws-managed`, `user-managed`, `permission-boundary` (`scp` and `rcp`
    /// name nothing here: the account has no organization).
    Type(String),
    /// A managed policy ARN, wildcards allowed in the policy name.
    Arn(String),
    /// An inline policy by name, and the type and name (wildcards allowed) of its owner.
    Inline {
        policy: String,
        owner_type: String,
        owner: String,
    },
}

/// At most one `*`, any number of `?`.
fn check_wildcards(text: &str, what: &str) -> Result<(), Error> {
    if text.matches('*').count() > 1 {
        return Err(Error::invalid_input(format!(
            "Invalid {what} {text}: use at most one * wildcard."
        )));
    }
    Ok(())
}

impl Exclusion {
    fn read_all(items: &[PolicyIdentifier]) -> Result<Vec<Exclusion>, Error> {
        items.iter().map(Exclusion::read).collect()
    }

    fn read(item: &PolicyIdentifier) -> Result<Exclusion, Error> {
        match (
            &item.policy_type,
            &item.policy_arn,
            &item.inline_policy_identifier,
        ) {
            (Some(t), None, None) => Ok(Exclusion::Type(t.clone())),
            (None, Some(arn), None) => Exclusion::arn(arn),
            (None, None, Some(inline)) => {
                check_wildcards(&inline.attachment_name, "AttachmentName")?;
                Ok(Exclusion::Inline {
                    policy: inline.policy_name.clone(),
                    owner_type: inline.attachment_type.clone(),
                    owner: inline.attachment_name.clone(),
                })
            }
            _ => Err(Error::invalid_input(
                "Each PolicyIdentifier must specify exactly one of PolicyType, PolicyArn or InlinePolicyIdentifier.",
            )),
        }
    }

    /// A `PolicyArn`: of a managed policy (`aws` or an account), wildcards allowed in the
    /// policy name only.
    fn arn(arn: &str) -> Result<Exclusion, Error> {
        let bad = || Error::invalid_input(format!("Invalid policy ARN {arn}."));
        let [_, partition, service, region, account, resource] = split_arn(arn).ok_or_else(bad)?;
        let account_ok = account == "aws"
            || (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()));
        let name = resource.strip_prefix("policy/").ok_or_else(bad)?;
        let (path, name) = name.rsplit_once('/').unwrap_or(("", name));
        if partition.is_empty()
            || service != "iam"
            || !region.is_empty()
            || !account_ok
            || name.is_empty()
            || [partition, account, path]
                .iter()
                .any(|p| p.contains(['*', '?']))
        {
            return Err(bad());
        }
        check_wildcards(name, "policy ARN")?;
        Ok(Exclusion::Arn(arn.to_string()))
    }

    fn excludes(&self, p: &Attached, boundary: bool) -> bool {
        match self {
            Exclusion::Type(t) => match t.as_str() {
                "inline" => p.inline.is_some() && !boundary,
                "aws-managed" => p.source == SourceType::AwsManaged && !boundary,
                "user-managed" => p.source == SourceType::UserManaged && !boundary,
                "permission-boundary" => boundary,
                _ => false,
            },
            Exclusion::Arn(pattern) => p.arn.as_deref().is_some_and(|a| wildcard_match(pattern, a)),
            Exclusion::Inline {
                policy,
                owner_type,
                owner,
            } => p.inline.as_ref().is_some_and(|(t, o, n)| {
                t == owner_type && n == policy && wildcard_match(owner, o)
            }),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Context keys
// ---------------------------------------------------------------------------------------

/// Context key names in the order they first appear, each once (names compare without
/// regard to case, as IAM compares them), spelled as first written. Adding a key takes
/// constant time, whatever the number of keys.
#[derive(Default)]
struct Keys {
    names: Vec<String>,
    /// The names lower-cased.
    seen: HashSet<String>,
}

impl Keys {
    fn add(&mut self, key: &str) {
        if self.seen.insert(key.to_ascii_lowercase()) {
            self.names.push(key.to_string());
        }
    }

    fn contains(&self, key: &str) -> bool {
        self.seen.contains(&key.to_ascii_lowercase())
    }

    fn extend(&mut self, keys: &[String]) {
        for k in keys {
            self.add(k);
        }
    }

    /// The keys of a policy: in each statement, the policy variables of its resources,
    /// then each condition key followed by the variables in its values (variables count
    /// only under Version 2012-10-17, and only where IAM reads them).
    fn add_document(&mut self, doc: &PolicyDocument) {
        let variables = doc.variables_enabled();
        for s in &doc.statements {
            if variables && let Some(r) = &s.resource {
                for v in &r.values {
                    self.add_variables(v);
                }
            }
            for c in &s.conditions {
                self.add(&c.key);
                if variables && c.operator.base.accepts_variables() {
                    for v in &c.values {
                        self.add_variables(v);
                    }
                }
            }
        }
    }

    /// The keys of the policy variables in `text` (`${aws:username}`,
    /// `${aws:PrincipalTag/team, 'default'}`; not `${*}`, `${?}`, `${$}`).
    fn add_variables(&mut self, text: &str) {
        let mut rest = text;
        while let Some(at) = rest.find("${") {
            let body = &rest[at + 2..];
            let Some(end) = body.find('}') else { break };
            let key = body[..end].split(',').next().unwrap_or_default().trim();
            if !key.is_empty()
                && !matches!(key, "*" | "?")
                && !key.contains('$')
                && !key.contains(char::is_whitespace)
            {
                self.add(key);
            }
            rest = &body[end + 1..];
        }
    }
}

/// `ContextEntries` as a request context.
fn context_entries(entries: &[ContextEntry]) -> Result<Context, Error> {
    let mut context = Context::new();
    for entry in entries {
        let name = entry
            .context_key_name
            .as_deref()
            .ok_or_else(|| Error::invalid_input("Each ContextEntry must have a ContextKeyName."))?;
        let kind = entry.context_key_type.as_deref().unwrap_or("string");
        let values: Vec<&str> = entry
            .context_key_values
            .iter()
            .flatten()
            .map(String::as_str)
            .collect();
        let base = kind.strip_suffix("List").unwrap_or(kind);
        for v in &values {
            if !value_has_type(base, v) {
                return Err(Error::invalid_input(format!(
                    "Invalid value {v} for context key {name} of type {kind}."
                )));
            }
        }
        match values.as_slice() {
            [one] if base == kind => context.insert(name, one),
            [] if base == kind => {}
            _ => context.insert_multi(name, values),
        }
    }
    Ok(context)
}

/// Whether a context value reads as the type `ContextKeyType` gives it.
fn value_has_type(kind: &str, value: &str) -> bool {
    match kind {
        "numeric" => value.trim().parse::<f64>().is_ok_and(f64::is_finite),
        "boolean" => value.eq_ignore_ascii_case("true") || value.eq_ignore_ascii_case("false"),
        "ip" => {
            let (addr, prefix) = value.split_once('/').unwrap_or((value, ""));
            match addr.parse::<std::net::IpAddr>() {
                Ok(ip) => {
                    let max = if ip.is_ipv4() { 32 } else { 128 };
                    prefix.is_empty() || prefix.parse::<u8>().is_ok_and(|p| p <= max)
                }
                Err(_) => false,
            }
        }
        "date" => parse_date(value).is_some(),
        "binary" => STANDARD.decode(value).is_ok(),
        _ => true,
    }
}

/// Keys the engine derives from the caller: an anonymous caller has no value for them
/// (an empty set counts as no value), unless `ContextEntries` gives one.
const CALLER_KEYS: &[&str] = &[
    "aws:PrincipalArn",
    "aws:PrincipalAccount",
    "aws:PrincipalType",
    "aws:username",
    "aws:userid",
    "aws:PrincipalIsAWSService",
];

// ---------------------------------------------------------------------------------------
// The simulation
// ---------------------------------------------------------------------------------------

/// The simulated caller.
struct Caller {
    principal: Principal,
    tags: Vec<Tag>,
}

impl Caller {
    /// `CallerArn`: an IAM user or role (a session of it); a group stands for no caller.
    fn from_arn(arn: &str) -> Result<Option<Caller>, Error> {
        let bad = || {
            Error::invalid_input(format!(
                "Invalid CallerArn {arn}: it must be the ARN of an IAM user, group or role."
            ))
        };
        if let Some([_, _, "iam", _, _, resource]) = split_arn(arn)
            && resource.starts_with("group/")
        {
            return Ok(None);
        }
        let principal = Principal::parse(arn).map_err(|_| bad())?;
        let is_role = principal.role_arn.as_deref() == Some(arn);
        if principal.kind != PrincipalKind::User && !is_role {
            return Err(bad());
        }
        Ok(Some(Caller {
            principal,
            tags: Vec::new(),
        }))
    }
}

/// Everything a simulation needs, read from the request.
struct Simulation<'e> {
    caller: Option<Caller>,
    /// The principal the engine sees: the caller, or an anonymous user of the account.
    principal: Principal,
    identity: Vec<SimPolicy>,
    /// The compiled forms of `identity`, as the engine takes them.
    identity_compiled: Vec<Arc<CompiledPolicy>>,
    boundary: Option<SimPolicy>,
    /// The context keys of `identity` and `boundary`, in order of appearance.
    keys: Keys,
    resource_policy: Option<String>,
    /// The account's entities, whose roles' trust policies SimulatePrincipalPolicy
    /// evaluates for `sts:AssumeRole*`.
    roles_of: Option<&'e Entities>,
    scps: Vec<Vec<Arc<CompiledPolicy>>>,
    /// `ContextEntries`, and for an anonymous caller the caller's keys without a value.
    context: Context,
    owner: String,
    /// Resource-based policies already read, by `ResourcePolicy` kind or role ARN.
    read: RefCell<HashMap<String, Arc<ResourcePolicy>>>,
}

/// A resource-based policy of the simulation, with the context keys it uses that the
/// identity-based policies and the boundary do not.
struct ResourcePolicy {
    policy: SimPolicy,
    extra_keys: Vec<String>,
}

/// A statement that decided an evaluation: of an identity-based policy (by its place in
/// `Simulation::identity`) or of the resource-based policy.
#[derive(Clone)]
enum MatchRef {
    Identity(usize, u32),
    Resource(Arc<ResourcePolicy>, u32),
}

impl MatchRef {
    /// What tells two matched statements apart within one action.
    fn key(&self) -> (bool, usize, u32) {
        match self {
            MatchRef::Identity(i, s) => (false, *i, *s),
            MatchRef::Resource(p, s) => (true, Arc::as_ptr(p) as usize, *s),
        }
    }

    fn statement(&self, sim: &Simulation<'_>) -> Statement {
        match self {
            MatchRef::Identity(i, s) => matched_statement(&sim.identity[*i], *s),
            MatchRef::Resource(p, s) => matched_statement(&p.policy, *s),
        }
    }
}

/// One action on one resource.
struct ResourceOutcome<'r> {
    resource: &'r str,
    decision: Outcome,
    matched: Vec<MatchRef>,
    missing: Vec<String>,
    boundary: Option<bool>,
    organizations: Option<bool>,
    details: Option<Vec<(&'static str, Outcome)>>,
}

fn restrictiveness(o: Outcome) -> u8 {
    match o {
        Outcome::Allowed => 0,
        Outcome::ImplicitDeny => 1,
        Outcome::ExplicitDeny => 2,
    }
}

/// True for the actions AWS authorizes against a role's trust policy: `sts:AssumeRole*`,
/// and `sts:TagSession`, `sts:SetSourceIdentity`, `sts:SetContext` that come with them.
fn is_trust_action(action: &str) -> bool {
    let action = action.to_ascii_lowercase();
    action.starts_with("sts:assumerole")
        || matches!(
            action.as_str(),
            "sts:tagsession" | "sts:setsourceidentity" | "sts:setcontext"
        )
}

/// A `MatchedStatement`: its policy, and its place in the policy text when known.
fn matched_statement(p: &SimPolicy, statement: u32) -> Statement {
    let span = p.spans.get(statement as usize).copied().flatten();
    let position = |line: u32, column: u32| Position {
        line: Some(line.into()),
        column: Some(column.into()),
    };
    Statement {
        source_policy_id: Some(p.id.clone()),
        source_policy_type: Some(p.source.as_str().to_string()),
        start_position: span.map(|s| position(s.start.line, s.start.column)),
        end_position: span.map(|s| position(s.end.line, s.end.column)),
    }
}

/// Allowed, explicitly denied or not allowed by one set of policies on their own.
fn side(policies: &[&CompiledPolicy], request: &Request, has_boundary: bool) -> Outcome {
    let mut allowed = false;
    for p in policies {
        let m = p.evaluate(request, has_boundary);
        if m.deny.is_some() {
            return Outcome::ExplicitDeny;
        }
        allowed |= m.allow.is_some();
    }
    if allowed {
        Outcome::Allowed
    } else {
        Outcome::ImplicitDeny
    }
}

/// What the results of one action over all its resources add up to (the
/// `EvaluationResult` without its `ResourceSpecificResults`), folded one resource at a
/// time: it holds no more than the policies' statements and keys, however many resources
/// there are.
#[derive(Default)]
struct Aggregate {
    /// The most restrictive decision so far.
    decision: Option<Outcome>,
    /// The statements matched by the resources with that decision, each once.
    matched: Vec<MatchRef>,
    seen: HashSet<(bool, usize, u32)>,
    missing: Keys,
    organizations: Option<bool>,
    boundary: Option<bool>,
    /// The most restrictive outcome per policy kind, when any resource is detailed.
    details: Option<Vec<(&'static str, Outcome)>>,
}

impl Aggregate {
    fn add(&mut self, r: &ResourceOutcome<'_>) {
        if self
            .decision
            .is_none_or(|d| restrictiveness(r.decision) > restrictiveness(d))
        {
            self.decision = Some(r.decision);
            self.matched.clear();
            self.seen.clear();
        }
        if self.decision == Some(r.decision) {
            for m in &r.matched {
                if self.seen.insert(m.key()) {
                    self.matched.push(m.clone());
                }
            }
        }
        for k in &r.missing {
            self.missing.add(k);
        }
        self.organizations = all_of([self.organizations, r.organizations].into_iter());
        self.boundary = all_of([self.boundary, r.boundary].into_iter());
        if let Some(details) = &r.details {
            let worst = self.details.get_or_insert_with(Vec::new);
            for (k, o) in details {
                match worst.iter_mut().find(|(w, _)| w == k) {
                    Some((_, w)) if restrictiveness(*o) > restrictiveness(*w) => *w = *o,
                    Some(_) => {}
                    None => worst.push((k, *o)),
                }
            }
        }
    }

    /// The `EvaluationResult`, without `ResourceSpecificResults`.
    fn result(
        &self,
        sim: &Simulation<'_>,
        action: &str,
        resource_name: String,
    ) -> EvaluationResult {
        let decision = self.decision.unwrap_or(Outcome::ImplicitDeny);
        EvaluationResult {
            eval_action_name: action.to_string(),
            eval_resource_name: Some(resource_name),
            eval_decision: decision.as_str().to_string(),
            matched_statements: Some(self.matched.iter().map(|m| m.statement(sim)).collect()),
            missing_context_values: Some(self.missing.names.clone()),
            organizations_decision_detail: self.organizations.map(|allowed| {
                OrganizationsDecisionDetail {
                    allowed_by_organizations: Some(allowed),
                }
            }),
            permissions_boundary_decision_detail: self.boundary.map(boundary_detail),
            eval_decision_details: self.details.as_deref().map(details_map),
            resource_specific_results: None,
        }
    }
}

impl Simulation<'_> {
    /// Derives what every evaluation shares: the compiled identity-based policies, their
    /// keys, and the context an anonymous caller evaluates in.
    fn prepared(mut self) -> Self {
        self.identity_compiled = self.identity.iter().map(|p| p.compiled.clone()).collect();
        let mut keys = Keys::default();
        for p in self.identity.iter().chain(&self.boundary) {
            keys.extend(&p.keys);
        }
        self.keys = keys;
        if self.caller.is_none() {
            for key in CALLER_KEYS {
                if !self.context.contains(key) {
                    self.context.insert_multi(key, Vec::<&str>::new());
                }
            }
        }
        self
    }

    /// The role of the account `resource` names, if any.
    fn role_named(&self, resource: &str) -> Option<&Role> {
        let e = self.roles_of?;
        let [_, _, "iam", _, _, path] = split_arn(resource)? else {
            return None;
        };
        let name = path.strip_prefix("role/")?.rsplit('/').next()?;
        e.role(name).filter(|r| r.arn == resource)
    }

    /// The resource-based policy for `action` on `resource`, validated as a trust policy
    /// for `sts:AssumeRole*`.
    fn resource_policy(
        &self,
        action: &str,
        resource: &str,
    ) -> Result<Option<Arc<ResourcePolicy>>, Error> {
        let trust = is_trust_action(action);
        let key = match (&self.resource_policy, trust) {
            (Some(_), true) => "ResourcePolicy as a trust policy",
            (Some(_), false) => "ResourcePolicy",
            (None, true) => match self.role_named(resource) {
                Some(r) => r.arn.as_str(),
                None => return Ok(None),
            },
            (None, false) => return Ok(None),
        };
        if let Some(p) = self.read.borrow().get(key) {
            return Ok(Some(p.clone()));
        }
        let policy = match (&self.resource_policy, self.role_named(resource)) {
            (Some(text), _) => {
                let kind = if trust {
                    PolicyKind::Trust
                } else {
                    PolicyKind::Resource
                };
                SimPolicy::given("ResourcePolicy".into(), SourceType::Resource, text, kind)?
            }
            (None, Some(r)) => SimPolicy::stored(
                r.arn.clone(),
                SourceType::Resource,
                &r.assume_role_policy_document,
            )?,
            (None, None) => return Ok(None),
        };
        let extra_keys = policy
            .keys
            .iter()
            .filter(|k| !self.keys.contains(k))
            .cloned()
            .collect();
        let policy = Arc::new(ResourcePolicy { policy, extra_keys });
        self.read
            .borrow_mut()
            .insert(key.to_string(), policy.clone());
        Ok(Some(policy))
    }

    fn run<'r>(
        &self,
        action: &str,
        resource: &'r str,
        listed: bool,
    ) -> Result<ResourceOutcome<'r>, Error> {
        let resource_policy = self.resource_policy(action, resource)?;
        let owner = match split_arn(resource) {
            Some([.., account, _])
                if account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()) =>
            {
                account
            }
            _ => self.owner.as_str(),
        };
        let mut builder = Request::builder(self.principal.clone(), action, resource)
            .context(self.context.clone())
            .resource_account(Some(owner));
        for t in self.caller.iter().flat_map(|c| &c.tags) {
            builder = builder.principal_tag(&t.key, &t.value);
        }
        let request = builder.build()?;
        let resource_compiled = resource_policy.as_ref().map(|p| &*p.policy.compiled);
        let policies = Policies {
            identity: &self.identity_compiled,
            resource: resource_compiled,
            boundary: self.boundary.as_ref().map(|p| &*p.compiled),
            scps: &self.scps,
            ..Policies::default()
        };
        let decision: Decision = portcullis_policy::authorize(&request, &policies);
        let matched = decision
            .statements
            .iter()
            .filter_map(|r| match r.layer {
                Layer::Identity => {
                    let i = r.policy as usize;
                    (i < self.identity.len()).then_some(MatchRef::Identity(i, r.statement))
                }
                Layer::Resource => resource_policy
                    .clone()
                    .map(|p| MatchRef::Resource(p, r.statement)),
                _ => None,
            })
            .collect();
        let missing = self
            .keys
            .names
            .iter()
            .chain(resource_policy.iter().flat_map(|p| &p.extra_keys))
            .filter(|k| request.context().get(k).is_none_or(|v| v.is_empty_set()))
            .cloned()
            .collect();
        let has_boundary = self.boundary.is_some();
        let boundary = self
            .boundary
            .as_ref()
            .map(|b| side(&[&*b.compiled], &request, true) == Outcome::Allowed);
        let organizations = (!self.scps.is_empty()).then(|| {
            self.scps.iter().all(|level| {
                let level: Vec<&CompiledPolicy> = level.iter().map(|p| &**p).collect();
                side(&level, &request, has_boundary) == Outcome::Allowed
            })
        });
        let cross_account = self
            .principal
            .account
            .as_deref()
            .is_some_and(|a| a != owner);
        let details = if cross_account {
            let identity: Vec<&CompiledPolicy> =
                self.identity_compiled.iter().map(|p| &**p).collect();
            let mut d = vec![("IAM Policy", side(&identity, &request, has_boundary))];
            if let Some(r) = resource_compiled {
                d.push(("Resource Policy", side(&[r], &request, has_boundary)));
            }
            if let Some(b) = &self.boundary {
                d.push((
                    "Permissions Boundary Policy",
                    side(&[&*b.compiled], &request, true),
                ));
            }
            Some(d)
        } else if listed {
            Some(Vec::new())
        } else {
            None
        };
        Ok(ResourceOutcome {
            resource,
            decision: decision.outcome,
            matched,
            missing,
            boundary,
            organizations,
            details,
        })
    }

    /// What one action adds up to over every resource, evaluated one resource at a time.
    fn aggregate(
        &self,
        action: &str,
        resources: &[String],
        listed: bool,
    ) -> Result<Aggregate, Error> {
        let mut aggregate = Aggregate::default();
        for r in resources {
            aggregate.add(&self.run(action, r, listed)?);
        }
        Ok(aggregate)
    }

    /// Refuses, before anything is evaluated, what any page of the simulation would refuse:
    /// an action that is not `service:Action` or has a wildcard, a `ResourcePolicy` that is
    /// not a valid policy of the kind the actions need.
    fn check(&self, actions: &[&str]) -> Result<(), Error> {
        for action in actions {
            if action.contains('*') {
                return Err(Error::invalid_input(format!(
                    "Action {action} is not valid: wildcards are not allowed in ActionNames."
                )));
            }
            Request::builder(self.principal.clone(), action, "*").build()?;
            if self.resource_policy.is_some() {
                self.resource_policy(action, "*")?;
            }
        }
        Ok(())
    }

    /// The page of `EvaluationResults` the request asks for.
    ///
    /// The items of a simulation are its (action, resource) pairs when `ResourceArns`
    /// names resources (each is a `ResourceSpecificResult`), else its actions. A page holds
    /// at most `MaxItems` of them and stops before the item that would take the answer past
    /// [`PAGE_BYTES`] (the first item always goes in): as IAM says, it "might return fewer
    /// results, even when there are more results available". An action whose resources
    /// span pages is answered on each of them with the same aggregate decision and the
    /// `ResourceSpecificResults` of that page, so that paging through the answer gives every
    /// (action, resource) once. Nothing is built for the items outside the page.
    fn answer(&self, asked: &Asked<'_>) -> Result<SimulatePolicyResponse, Error> {
        let actions: Vec<&str> = asked.actions.iter().map(String::as_str).collect();
        let resources: Vec<String> = asked.resources.to_vec();
        check_resource_handling(asked.handling, &resources)?;
        let listed = !resources.is_empty() && resources.iter().any(|r| r != "*");
        let resources = if resources.is_empty() {
            vec!["*".to_string()]
        } else {
            resources
        };
        let page = Page::new(asked.marker, asked.max_items)?;
        let (first_action, first_resource) = page_start(page.start.as_deref())?;
        self.check(&actions)?;

        let mut results: Vec<EvaluationResult> = Vec::new();
        let mut items = 0usize;
        let mut bytes = 0usize;
        let mut next: Option<(usize, usize)> = None;
        for (a, action) in actions.iter().enumerate().skip(first_action) {
            let from = if a == first_action { first_resource } else { 0 };
            if listed && from >= resources.len() {
                continue;
            }
            if items == page.max_items {
                next = Some((a, from));
                break;
            }
            let resource_name = if listed {
                resource_template(action, &resources[0])
            } else {
                "*".to_string()
            };
            let mut result =
                self.aggregate(action, &resources, listed)?
                    .result(self, action, resource_name);
            let size = xml_bytes(&result)? + MEMBER_BYTES;
            check_item_size(size, action, None)?;
            if items > 0 && bytes + size > PAGE_BYTES {
                next = Some((a, from));
                break;
            }
            bytes += size;
            if !listed {
                items += 1;
                results.push(result);
                continue;
            }
            let mut specific = Vec::new();
            for (r, resource) in resources.iter().enumerate().skip(from) {
                if items == page.max_items {
                    next = Some((a, r));
                    break;
                }
                let v = resource_result(self, &self.run(action, resource, listed)?);
                let size = xml_bytes(&v)? + MEMBER_BYTES;
                check_item_size(size, action, Some(resource))?;
                if !specific.is_empty() && bytes + size > PAGE_BYTES {
                    next = Some((a, r));
                    break;
                }
                bytes += size;
                items += 1;
                specific.push(v);
            }
            result.resource_specific_results = Some(specific);
            results.push(result);
            if next.is_some() {
                break;
            }
        }
        let marker = next.map(|(a, r)| URL_SAFE_NO_PAD.encode(format!("{a:010}{r:010}")));
        Ok(SimulatePolicyResponse {
            evaluation_results: Some(results),
            is_truncated: Some(marker.is_some()),
            marker,
        })
    }
}

/// The bytes an item of the answer takes at most in its XML ([`answer_bytes`] of the item
/// as the encoder reads it).
fn xml_bytes(item: &impl serde::Serialize) -> Result<usize, Error> {
    let value = serde_json::to_value(item).map_err(|e| {
        Error::aws(
            CommonErrorCode::InternalFailure,
            format!("A simulation result cannot be encoded: {e}"),
        )
    })?;
    Ok(answer_bytes(&value))
}

/// The item a page starts at, from its marker: 20 digits, the action's index then the
/// resource's.
fn page_start(start: Option<&str>) -> Result<(usize, usize), Error> {
    let Some(start) = start else {
        return Ok((0, 0));
    };
    // Answered as `Page::new` answers a marker that does not decode.
    let bad = || match Page::new(Some("%"), None) {
        Err(e) => e,
        Ok(_) => Error::invalid_input("Invalid Marker."),
    };
    if start.len() != 20 || !start.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let action = start[..10].parse().map_err(|_| bad())?;
    let resource = start[10..].parse().map_err(|_| bad())?;
    Ok((action, resource))
}

/// Refuses a single result too large for any page.
fn check_item_size(size: usize, action: &str, resource: Option<&str>) -> Result<(), Error> {
    if size <= ITEM_BYTES {
        return Ok(());
    }
    let what = match resource {
        Some(r) => format!("{action} on {r}"),
        None => action.to_string(),
    };
    Err(Error::invalid_input(format!(
        "The simulation result of {what} would take {size} bytes, more than the {ITEM_BYTES} one result may take: simulate fewer or smaller policies."
    )))
}

/// The EC2 scenarios of `ResourceHandlingOption` and the resource types each needs
/// (SimulatePrincipalPolicy, "ResourceHandlingOption").
const SCENARIOS: &[(&str, &[&str])] = &[
    (
        "EC2-VPC-InstanceStore",
        &["instance", "image", "security-group", "network-interface"],
    ),
    (
        "EC2-VPC-InstanceStore-Subnet",
        &[
            "instance",
            "image",
            "security-group",
            "network-interface",
            "subnet",
        ],
    ),
    (
        "EC2-VPC-EBS",
        &[
            "instance",
            "image",
            "security-group",
            "network-interface",
            "volume",
        ],
    ),
    (
        "EC2-VPC-EBS-Subnet",
        &[
            "instance",
            "image",
            "security-group",
            "network-interface",
            "subnet",
            "volume",
        ],
    ),
];

/// `ResourceHandlingOption`: a known scenario, whose resources `ResourceArns` must all
/// name.
fn check_resource_handling(option: Option<&str>, resources: &[String]) -> Result<(), Error> {
    let Some(option) = option else {
        return Ok(());
    };
    let Some((_, needed)) = SCENARIOS.iter().find(|(name, _)| *name == option) else {
        let known: Vec<&str> = SCENARIOS.iter().map(|(n, _)| *n).collect();
        return Err(Error::invalid_input(format!(
            "Invalid ResourceHandlingOption {option}: it must be one of {}.",
            known.join(", ")
        )));
    };
    let missing: Vec<&str> = needed
        .iter()
        .copied()
        .filter(|kind| {
            !resources.iter().any(|r| {
                split_arn(r).is_some_and(|p| {
                    p[2] == "ec2"
                        && p[5]
                            .strip_prefix(kind)
                            .is_some_and(|rest| rest.starts_with('/'))
                })
            })
        })
        .collect();
    if !missing.is_empty() {
        return Err(Error::invalid_input(format!(
            "ResourceHandlingOption {option} needs ResourceArns of these EC2 resource types: {}.",
            missing.join(", ")
        )));
    }
    Ok(())
}

/// True when every value says so; `None` when none is given.
fn all_of(values: impl Iterator<Item = Option<bool>>) -> Option<bool> {
    values.fold(None, |acc, v| match (acc, v) {
        (acc, None) => acc,
        (None, Some(v)) => Some(v),
        (Some(a), Some(v)) => Some(a && v),
    })
}

/// `EvalDecisionDetails`: the outcome by kind of policy.
fn details_map(details: &[(&str, Outcome)]) -> IndexMap<String, String> {
    details
        .iter()
        .map(|(k, o)| (k.to_string(), o.as_str().to_string()))
        .collect()
}

/// `PermissionsBoundaryDecisionDetail`.
fn boundary_detail(allowed: bool) -> PermissionsBoundaryDecisionDetail {
    PermissionsBoundaryDecisionDetail {
        allowed_by_permissions_boundary: Some(allowed),
    }
}

/// A `ResourceSpecificResult`.
fn resource_result(sim: &Simulation<'_>, r: &ResourceOutcome<'_>) -> ResourceSpecificResult {
    ResourceSpecificResult {
        eval_resource_name: r.resource.to_string(),
        eval_resource_decision: r.decision.as_str().to_string(),
        matched_statements: Some(r.matched.iter().map(|m| m.statement(sim)).collect()),
        missing_context_values: Some(r.missing.clone()),
        eval_decision_details: r.details.as_deref().map(details_map),
        permissions_boundary_decision_detail: r.boundary.map(boundary_detail),
    }
}

/// `EvalResourceName` when resources are named: the ARN format (from the service
/// authorization reference) of the action's resource type that the first resource is of,
/// with `${Partition}` filled in; `*` for an action without resource types.
fn resource_template(action: &str, resource: &str) -> String {
    let Some((service, _)) = action.split_once(':') else {
        return "*".to_string();
    };
    let (Some(info), Some(svc)) = (catalog().action(action), catalog().service(service)) else {
        return "*".to_string();
    };
    let partition = split_arn(resource).map_or("aws", |p| p[1]);
    let formats: Vec<&str> = info
        .resource_types
        .iter()
        .filter_map(|t| {
            let t = t.trim_end_matches('*');
            svc.resource_arns
                .iter()
                .find(|(name, _)| name == t)
                .map(|(_, f)| f.as_str())
        })
        .collect();
    let as_pattern = |f: &str| {
        let mut out = String::new();
        let mut rest = f;
        while let Some(at) = rest.find("${") {
            out.push_str(&rest[..at]);
            out.push('*');
            rest = rest[at..].find('}').map_or("", |e| &rest[at + e + 1..]);
        }
        out.push_str(rest);
        out
    };
    formats
        .iter()
        .find(|f| wildcard_match(&as_pattern(f), resource))
        .or(formats.first())
        .map_or_else(|| "*".to_string(), |f| f.replace("${Partition}", partition))
}

/// The policies given as strings in the list member `member`, named `MEMBER.N`.
fn given_list(items: &[String], member: &str, kind: PolicyKind) -> Result<Vec<SimPolicy>, Error> {
    items
        .iter()
        .enumerate()
        .map(|(i, text)| {
            SimPolicy::given(format!("{member}.{}", i + 1), SourceType::None, text, kind)
        })
        .collect()
}

/// The permissions boundary given in the request (at most one).
fn given_boundary(items: &[String]) -> Result<Option<SimPolicy>, Error> {
    let mut list = given_list(
        items,
        "PermissionsBoundaryPolicyInputList",
        PolicyKind::Boundary,
    )?;
    if list.len() > 1 {
        return Err(Error::invalid_input(
            "You can specify only one permissions boundary policy.",
        ));
    }
    Ok(list.pop())
}

/// `ResourceOwner`: an account ID, or the ARN of an account (`arn:aws:iam::ID:root`).
fn resource_owner(owner: Option<&str>) -> Result<Option<String>, Error> {
    let Some(owner) = owner else {
        return Ok(None);
    };
    let is_account = |a: &str| a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit());
    if is_account(owner) {
        return Ok(Some(owner.to_string()));
    }
    match split_arn(owner) {
        Some([_, _, "iam", "", account, "root"]) if is_account(account) => {
            Ok(Some(account.to_string()))
        }
        _ => Err(Error::invalid_input(format!(
            "Invalid ResourceOwner {owner}: it must be an account ID or arn:aws:iam::ACCOUNT:root."
        ))),
    }
}

/// The principal the engine sees, and the account resources belong to by default.
fn principal_of(caller: &Option<Caller>, account: &str) -> Result<Principal, Error> {
    match caller {
        Some(c) => Ok(c.principal.clone()),
        None => Ok(Principal::parse(&format!(
            "arn:aws:iam::{account}:user/PolicySimulatorCaller"
        ))?),
    }
}

/// The answer of SimulateCustomPolicy in `account`.
fn simulate_custom_answer(
    account: &str,
    input: &SimulateCustomPolicyInput,
) -> Result<SimulatePolicyResponse, Error> {
    let asked = Asked::custom(input);
    check_input_limits(&asked)?;
    let identity = given_list(asked.policies, "PolicyInputList", PolicyKind::Identity)?;
    let boundary = given_boundary(asked.boundaries)?;
    let mut given = Given::default();
    identity.iter().chain(&boundary).for_each(|p| given.add(p));
    let caller = match input.caller_arn.as_deref() {
        Some(arn) => Caller::from_arn(arn)?,
        None => None,
    };
    let resource_policy = input.resource_policy.clone();
    if resource_policy.is_some() && caller.is_none() {
        return Err(Error::invalid_input(
            "CallerArn must be the ARN of an IAM user or role when a ResourcePolicy is given.",
        ));
    }
    let mut scps = Vec::new();
    for level in asked.organizations {
        let list = given_list(
            scp_inputs(level),
            "ServiceControlPolicyInputList",
            PolicyKind::Scp,
        )?;
        list.iter().for_each(|p| given.add(p));
        scps.push(list.into_iter().map(|p| p.compiled).collect());
    }
    if let Some(text) = &resource_policy {
        given.add_text(text);
    }
    given.check()?;
    let principal = principal_of(&caller, account)?;
    let owner = resource_owner(input.resource_owner.as_deref())?
        .or_else(|| principal.account.clone())
        .unwrap_or_else(|| account.to_string());
    let sim = Simulation {
        principal,
        caller,
        identity,
        identity_compiled: Vec::new(),
        boundary,
        keys: Keys::default(),
        resource_policy,
        roles_of: None,
        scps,
        context: context_entries(asked.context)?,
        owner,
        read: RefCell::default(),
    };
    sim.prepared().answer(&asked)
}

/// The entity's policies, less those `PolicyExclusionList` removes, read.
fn entity_policies(
    e: &Entities,
    entity: Entity<'_>,
    exclusions: &[Exclusion],
) -> Result<(Vec<SimPolicy>, Option<SimPolicy>), Error> {
    let (identity, boundary) = entity.policies(e);
    let kept = |p: &Attached, b: bool| !exclusions.iter().any(|x| x.excludes(p, b));
    let identity = identity
        .into_iter()
        .filter(|p| kept(p, false))
        .map(|p| SimPolicy::stored(p.id, p.source, &p.text))
        .collect::<Result<Vec<_>, _>>()?;
    let boundary = match boundary.filter(|b| kept(b, true)) {
        Some(b) => Some(SimPolicy::stored(b.id, b.source, &b.text)?),
        None => None,
    };
    Ok((identity, boundary))
}

/// The answer of SimulatePrincipalPolicy in `account`, whose entities are `e`.
fn simulate_principal_answer(
    e: &Entities,
    account: &str,
    input: &SimulatePrincipalPolicyInput,
) -> Result<SimulatePolicyResponse, Error> {
    let source = &input.policy_source_arn;
    let asked = Asked::principal(input);
    check_input_limits(&asked)?;
    let entity = Entity::find(e, account, source)?;
    let exclusions =
        Exclusion::read_all(input.policy_exclusion_list.as_deref().unwrap_or_default())?;
    let (mut identity, mut boundary) = entity_policies(e, entity, &exclusions)?;
    let mut given = Given::default();
    let given_identity = given_list(asked.policies, "PolicyInputList", PolicyKind::Identity)?;
    given_identity.iter().for_each(|p| given.add(p));
    identity.extend(given_identity);
    if let Some(b) = given_boundary(asked.boundaries)? {
        given.add(&b);
        boundary = Some(b);
    }
    let caller = match input.caller_arn.as_deref() {
        Some(arn) => Caller::from_arn(arn)?.map(|mut c| {
            let user = e.users.values().find(|u| u.arn == arn).map(|u| &u.tags);
            let role = e.roles.values().find(|r| r.arn == arn).map(|r| &r.tags);
            if let Some(tags) = user.or(role) {
                c.tags = tags.clone();
            }
            c
        }),
        None => entity.caller()?,
    };
    let resource_policy = input.resource_policy.clone();
    if resource_policy.is_some() && caller.is_none() {
        return Err(Error::invalid_input(
            "CallerArn is required when a ResourcePolicy is given and PolicySourceArn is a group.",
        ));
    }
    if let Some(text) = &resource_policy {
        given.add_text(text);
    }
    given.check()?;
    let principal = principal_of(&caller, account)?;
    let owner = resource_owner(input.resource_owner.as_deref())?
        .or_else(|| principal.account.clone())
        .unwrap_or_else(|| account.to_string());
    let sim = Simulation {
        principal,
        caller,
        identity,
        identity_compiled: Vec::new(),
        boundary,
        keys: Keys::default(),
        resource_policy,
        roles_of: Some(e),
        scps: Vec::new(),
        context: context_entries(asked.context)?,
        owner,
        read: RefCell::default(),
    };
    sim.prepared().answer(&asked)
}

/// The answer of GetContextKeysForCustomPolicy.
fn context_keys_for_custom(
    input: &GetContextKeysForCustomPolicyInput,
) -> Result<GetContextKeysForPolicyResponse, Error> {
    let mut keys = Keys::default();
    add_given_keys(&input.policy_input_list, &mut keys)?;
    Ok(GetContextKeysForPolicyResponse {
        context_key_names: Some(keys.names),
    })
}

/// Adds the keys of the policies of `PolicyInputList`.
fn add_given_keys(policies: &[String], keys: &mut Keys) -> Result<(), Error> {
    for (i, text) in policies.iter().enumerate() {
        let doc = PolicyDocument::parse(text).map_err(|e| {
            Error::invalid_input(format!(
                "PolicyInputList.{} is not a valid policy: {e}",
                i + 1
            ))
        })?;
        keys.add_document(&doc);
    }
    Ok(())
}

/// The answer of GetContextKeysForPrincipalPolicy in `account`, whose entities are `e`.
fn context_keys_for_principal(
    e: &Entities,
    account: &str,
    input: &GetContextKeysForPrincipalPolicyInput,
) -> Result<GetContextKeysForPolicyResponse, Error> {
    let entity = Entity::find(e, account, &input.policy_source_arn)?;
    let (identity, boundary) = entity.policies(e);
    let mut keys = Keys::default();
    for p in identity.iter().chain(&boundary) {
        keys.add_document(&PolicyDocument::parse(&p.text)?);
    }
    add_given_keys(
        input.policy_input_list.as_deref().unwrap_or_default(),
        &mut keys,
    )?;
    Ok(GetContextKeysForPolicyResponse {
        context_key_names: Some(keys.names),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use portcullis_store::{Change, ManagedPolicy};
    use serde_json::{Value, json};

    const ACCOUNT: &str = "123456789012";

    /// The AWS CLI's `simulate-custom-policy` example (awscli/examples/iam/
    /// simulate-custom-policy.rst).
    const CLI_EXAMPLE: &str = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2018-08-16T12:00:00Z"}}}}"#;

    fn allow(action: &str) -> String {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"{action}","Resource":"*"}}]}}"#
        )
    }

    fn deny(action: &str) -> String {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Deny","Action":"{action}","Resource":"*"}}]}}"#
        )
    }

    fn entry(name: &str, kind: &str, values: &[&str]) -> Value {
        json!({"ContextKeyName": name, "ContextKeyType": kind, "ContextKeyValues": values})
    }

    /// A SimulateCustomPolicy input, as a client would send it.
    fn custom_input(input: Value) -> SimulateCustomPolicyInput {
        serde_json::from_value(input).unwrap()
    }

    /// The answer of SimulateCustomPolicy, as the encoder reads it.
    fn custom(input: Value) -> Value {
        serde_json::to_value(simulate_custom_answer(ACCOUNT, &custom_input(input)).unwrap())
            .unwrap()
    }

    /// The answer of GetContextKeysForCustomPolicy, as the encoder reads it.
    fn custom_keys(input: Value) -> Result<Value, Error> {
        context_keys_for_custom(&serde_json::from_value(input).unwrap())
            .map(|out| serde_json::to_value(out).unwrap())
    }

    /// The context of the `ContextEntries` of `input`.
    fn read_context(input: Value) -> Result<Context, Error> {
        let entries: Vec<ContextEntry> =
            serde_json::from_value(input["ContextEntries"].clone()).unwrap();
        context_entries(&entries)
    }

    fn first(answer: &Value) -> &Value {
        &answer["EvaluationResults"][0]
    }

    fn decision(answer: &Value) -> &str {
        first(answer)["EvalDecision"].as_str().unwrap()
    }

    fn code(e: Error) -> String {
        e.into_aws().code().to_string()
    }

    #[test]
    fn the_aws_cli_example_with_its_positions() {
        let allowed = custom(json!({
            "PolicyInputList": [CLI_EXAMPLE],
            "ActionNames": ["dynamodb:CreateBackup"],
            "ContextEntries": [entry("aws:CurrentTime", "date", &["2019-04-25T11:00:00Z"])],
        }));
        let r = first(&allowed);
        assert_eq!(r["EvalDecision"], "allowed");
        assert_eq!(r["EvalResourceName"], "*");
        assert_eq!(
            r["MatchedStatements"],
            json!([{"SourcePolicyId": "PolicyInputList.1", "SourcePolicyType": "none",
                    "StartPosition": {"Line": 1, "Column": 38},
                    "EndPosition": {"Line": 1, "Column": 167}}])
        );
        assert_eq!(r["MissingContextValues"], json!([]));
        assert!(r.get("ResourceSpecificResults").is_none());
        assert!(r.get("EvalDecisionDetails").is_none());
        assert_eq!(allowed["IsTruncated"], false);

        let early = custom(json!({
            "PolicyInputList": [CLI_EXAMPLE],
            "ActionNames": ["dynamodb:CreateBackup"],
            "ContextEntries": [entry("aws:CurrentTime", "date", &["2014-04-25T11:00:00Z"])],
        }));
        assert_eq!(decision(&early), "implicitDeny");
        assert_eq!(first(&early)["MatchedStatements"], json!([]));

        let without = custom(json!({
            "PolicyInputList": [CLI_EXAMPLE],
            "ActionNames": ["dynamodb:CreateBackup"],
        }));
        assert_eq!(decision(&without), "implicitDeny");
        assert_eq!(
            first(&without)["MissingContextValues"],
            json!(["aws:CurrentTime"])
        );
    }

    #[test]
    fn context_keys_in_order_of_appearance() {
        let text = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*","Resource":"arn:aws:dynamodb:us-west-2:123456789012:table/${aws:username}","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2015-08-16T12:00:00Z"}}}}"#;
        let out = custom_keys(json!({"PolicyInputList": [text]})).unwrap();
        assert_eq!(
            out,
            json!({"ContextKeyNames": ["aws:username", "aws:CurrentTime"]})
        );

        let text = r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:PrincipalTag/team, 'none'}/${*}/${aws:userid}",
             "Condition":{"StringEquals":{"s3:prefix":"${aws:username}/x"},"NumericLessThan":{"s3:max-keys":"${not:a-variable}"}}},
            {"Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"Bool":{"AWS:SecureTransport":"false"},"StringLike":{"S3:Prefix":"a"}}}]}"#;
        let out = custom_keys(json!({"PolicyInputList": [text, CLI_EXAMPLE]})).unwrap();
        assert_eq!(
            out["ContextKeyNames"],
            json!([
                "aws:PrincipalTag/team",
                "aws:userid",
                "s3:prefix",
                "aws:username",
                "s3:max-keys",
                "AWS:SecureTransport",
                "aws:CurrentTime"
            ])
        );

        let old = r#"{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username}"}}"#;
        let out = custom_keys(json!({"PolicyInputList": [old]})).unwrap();
        assert_eq!(out["ContextKeyNames"], json!([]));

        let bad = custom_keys(json!({"PolicyInputList": ["{"]})).unwrap_err();
        assert_eq!(code(bad), "InvalidInput");
    }

    #[test]
    fn context_entries_of_every_type() {
        let ok = [
            ("string", vec!["x"]),
            ("stringList", vec!["a", "b"]),
            ("numeric", vec!["10.5"]),
            ("numericList", vec!["1", "-2e3"]),
            ("boolean", vec!["TRUE"]),
            ("booleanList", vec!["true", "false"]),
            ("ip", vec!["10.1.2.3"]),
            ("ipList", vec!["10.0.0.0/8", "2001:db8::/32"]),
            ("binary", vec!["QmluYXJ5"]),
            ("binaryList", vec!["QQ==", "Qg=="]),
            ("date", vec!["2019-04-25T11:00:00Z"]),
            ("dateList", vec!["2019-04-25T11:00:00Z", "1556190000"]),
        ];
        for (kind, values) in ok {
            let c = read_context(json!({"ContextEntries": [entry("test:key", kind, &values)]}))
                .unwrap_or_else(|e| panic!("{kind}: {e}"));
            let v = c.get("TEST:KEY").unwrap();
            assert_eq!(v.values().len(), values.len(), "{kind}");
            let multi = matches!(v, portcullis_policy::ContextValue::Multi(_));
            assert_eq!(multi, kind.ends_with("List"), "{kind}");
        }
        for (kind, value) in [
            ("numeric", "ten"),
            ("boolean", "yes"),
            ("ip", "10.1.2.300"),
            ("ipList", "10.0.0.0/33"),
            ("binary", "not base64!"),
            ("date", "yesterday"),
        ] {
            let e = read_context(json!({"ContextEntries": [entry("test:key", kind, &[value])]}))
                .unwrap_err();
            assert_eq!(code(e), "InvalidInput", "{kind} {value}");
        }
        let empty =
            read_context(json!({"ContextEntries": [entry("aws:TagKeys", "stringList", &[])]}))
                .unwrap();
        assert!(empty.get("aws:tagkeys").unwrap().is_empty_set());
    }

    #[test]
    fn typed_context_entries_drive_conditions() {
        let policy = r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}},
            {"Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":{"NumericLessThanEquals":{"s3:max-keys":"10"}}},
            {"Effect":"Allow","Action":"s3:PutObject","Resource":"*","Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["a","b"]}}}]}"#;
        let run = |action: &str, entries: Value| {
            decision(&custom(json!({"PolicyInputList": [policy], "ActionNames": [action], "ContextEntries": entries})))
                .to_string()
        };
        assert_eq!(
            run(
                "s3:GetObject",
                json!([entry("aws:SourceIp", "ip", &["10.9.8.7"])])
            ),
            "allowed"
        );
        assert_eq!(
            run(
                "s3:GetObject",
                json!([entry("aws:SourceIp", "ip", &["192.168.0.1"])])
            ),
            "implicitDeny"
        );
        assert_eq!(
            run(
                "s3:ListBucket",
                json!([entry("s3:max-keys", "numeric", &["9"])])
            ),
            "allowed"
        );
        assert_eq!(
            run(
                "s3:ListBucket",
                json!([entry("s3:max-keys", "numeric", &["11"])])
            ),
            "implicitDeny"
        );
        assert_eq!(
            run(
                "s3:PutObject",
                json!([entry("aws:TagKeys", "stringList", &["a"])])
            ),
            "allowed"
        );
        assert_eq!(
            run(
                "s3:PutObject",
                json!([entry("aws:TagKeys", "stringList", &["a", "c"])])
            ),
            "implicitDeny"
        );
    }

    #[test]
    fn resources_are_aggregated_per_action() {
        let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::open/*"}]}"#;
        let answer = custom(json!({
            "PolicyInputList": [policy],
            "ActionNames": ["s3:GetObject"],
            "ResourceArns": ["arn:aws:s3:::open/a", "arn:aws:s3:::closed/b"],
        }));
        assert_eq!(answer["EvaluationResults"].as_array().unwrap().len(), 1);
        let r = first(&answer);
        assert_eq!(r["EvalDecision"], "implicitDeny");
        assert_eq!(
            r["EvalResourceName"],
            "arn:aws:s3:::${BucketName}/${ObjectName}"
        );
        assert_eq!(r["MatchedStatements"], json!([]));
        assert_eq!(r["EvalDecisionDetails"], json!({}));
        let specific = r["ResourceSpecificResults"].as_array().unwrap();
        assert_eq!(specific.len(), 2);
        assert_eq!(specific[0]["EvalResourceName"], "arn:aws:s3:::open/a");
        assert_eq!(specific[0]["EvalResourceDecision"], "allowed");
        assert_eq!(
            specific[0]["MatchedStatements"][0]["SourcePolicyId"],
            "PolicyInputList.1"
        );
        assert_eq!(specific[1]["EvalResourceDecision"], "implicitDeny");
        assert_eq!(
            resource_template("iam:ListRoles", "arn:aws:iam::123456789012:role/x"),
            "*"
        );
        assert_eq!(
            resource_template("iam:GetRole", "arn:aws-cn:iam::123456789012:role/x"),
            "arn:aws-cn:iam::${Account}:role/${RoleNameWithPath}"
        );
    }

    #[test]
    fn boundaries_and_organizations_are_detailed() {
        let answer = custom(json!({
            "PolicyInputList": [allow("*")],
            "PermissionsBoundaryPolicyInputList": [allow("s3:*")],
            "ActionNames": ["s3:GetObject", "iam:CreateRole"],
        }));
        let results = answer["EvaluationResults"].as_array().unwrap();
        assert_eq!(results[0]["EvalDecision"], "allowed");
        assert_eq!(
            results[0]["PermissionsBoundaryDecisionDetail"]["AllowedByPermissionsBoundary"],
            true
        );
        assert_eq!(results[1]["EvalDecision"], "implicitDeny");
        assert_eq!(
            results[1]["PermissionsBoundaryDecisionDetail"]["AllowedByPermissionsBoundary"],
            false
        );
        assert!(results[0].get("OrganizationsDecisionDetail").is_none());

        let two = simulate_custom_answer(
            ACCOUNT,
            &custom_input(json!({
                "PolicyInputList": [allow("*")],
                "PermissionsBoundaryPolicyInputList": [allow("s3:*"), allow("ec2:*")],
                "ActionNames": ["s3:GetObject"],
            })),
        );
        assert_eq!(code(two.unwrap_err()), "InvalidInput");

        let answer = custom(json!({
            "PolicyInputList": [allow("*")],
            "OrderedOrganizationPolicyInputList": [
                {"ServiceControlPolicyInputList": [allow("*")]},
                {"ServiceControlPolicyInputList": [allow("s3:*"), deny("s3:DeleteBucket")]},
            ],
            "ActionNames": ["s3:GetObject", "s3:DeleteBucket", "ec2:RunInstances"],
        }));
        let results = answer["EvaluationResults"].as_array().unwrap();
        let orgs: Vec<_> = results
            .iter()
            .map(|r| {
                (
                    r["EvalDecision"].as_str().unwrap(),
                    r["OrganizationsDecisionDetail"]["AllowedByOrganizations"]
                        .as_bool()
                        .unwrap(),
                )
            })
            .collect();
        assert_eq!(
            orgs,
            [
                ("allowed", true),
                ("explicitDeny", false),
                ("implicitDeny", false)
            ]
        );
        assert_eq!(
            results[1]["MatchedStatements"],
            json!([]),
            "SCP statements are not listed"
        );
    }

    #[test]
    fn resource_policies_need_a_caller_and_detail_cross_account() {
        let bucket = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::shared/*"}]}"#;
        let e = simulate_custom_answer(
            ACCOUNT,
            &custom_input(json!({
                "PolicyInputList": [allow("s3:*")],
                "ResourcePolicy": bucket,
                "ActionNames": ["s3:GetObject"],
            })),
        )
        .unwrap_err();
        assert_eq!(code(e), "InvalidInput");

        let run = |identity: &str, owner: &str| {
            custom(json!({
                "PolicyInputList": [identity],
                "ResourcePolicy": bucket,
                "CallerArn": "arn:aws:iam::111122223333:user/alice",
                "ResourceOwner": owner,
                "ActionNames": ["s3:GetObject"],
                "ResourceArns": ["arn:aws:s3:::shared/k"],
            }))
        };
        // Same account: the bucket policy naming alice is enough.
        let same = run(&allow("ec2:*"), "111122223333");
        assert_eq!(decision(&same), "allowed");
        assert_eq!(
            first(&same)["MatchedStatements"][0]["SourcePolicyType"],
            "resource"
        );
        assert_eq!(
            first(&same)["MatchedStatements"][0]["SourcePolicyId"],
            "ResourcePolicy"
        );
        assert_eq!(first(&same)["EvalDecisionDetails"], json!({}));
        // Across accounts both sides must allow.
        let cross = run(&allow("ec2:*"), "arn:aws:iam::444455556666:root");
        assert_eq!(decision(&cross), "implicitDeny");
        assert_eq!(
            first(&cross)["EvalDecisionDetails"],
            json!({"IAM Policy": "implicitDeny", "Resource Policy": "allowed"})
        );
        let both = run(&allow("s3:GetObject"), "444455556666");
        assert_eq!(decision(&both), "allowed");
        assert_eq!(
            first(&both)["MatchedStatements"].as_array().unwrap().len(),
            2
        );

        for bad in [
            "arn:aws:sts::111122223333:assumed-role/r/s",
            "lambda.amazonaws.com",
            "arn:aws:iam::111122223333:root",
        ] {
            let e = simulate_custom_answer(ACCOUNT, &custom_input(json!({
                "PolicyInputList": [allow("s3:*")], "CallerArn": bad, "ActionNames": ["s3:GetObject"],
            })))
            .unwrap_err();
            assert_eq!(code(e), "InvalidInput", "{bad}");
        }
        let e = simulate_custom_answer(ACCOUNT, &custom_input(json!({
            "PolicyInputList": [allow("s3:*")], "ResourceOwner": "nobody", "ActionNames": ["s3:GetObject"],
        })))
        .unwrap_err();
        assert_eq!(code(e), "InvalidInput");
    }

    #[test]
    fn an_anonymous_caller_has_no_principal_keys() {
        let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::home/${aws:username}/*"}]}"#;
        let run = |extra: Value| {
            let mut input = json!({"PolicyInputList": [policy], "ActionNames": ["s3:GetObject"],
                                   "ResourceArns": ["arn:aws:s3:::home/PolicySimulatorCaller/x"]});
            input
                .as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            custom(input)
        };
        let none = run(json!({}));
        assert_eq!(decision(&none), "implicitDeny");
        assert_eq!(
            first(&none)["MissingContextValues"],
            json!(["aws:username"])
        );
        let given = run(
            json!({"ContextEntries": [entry("aws:username", "string", &["PolicySimulatorCaller"])]}),
        );
        assert_eq!(decision(&given), "allowed");
        let caller =
            run(json!({"CallerArn": "arn:aws:iam::123456789012:user/PolicySimulatorCaller"}));
        assert_eq!(decision(&caller), "allowed");
        assert_eq!(first(&caller)["MissingContextValues"], json!([]));
    }

    #[test]
    fn pages_through_actions() {
        let actions = [
            "s3:GetObject",
            "s3:PutObject",
            "ec2:RunInstances",
            "iam:GetRole",
            "sqs:SendMessage",
        ];
        let mut marker: Option<String> = None;
        let mut seen = Vec::new();
        loop {
            let mut input =
                json!({"PolicyInputList": [allow("s3:*")], "ActionNames": actions, "MaxItems": 2});
            if let Some(m) = &marker {
                input["Marker"] = json!(m);
            }
            let page = custom(input);
            for r in page["EvaluationResults"].as_array().unwrap() {
                seen.push(r["EvalActionName"].as_str().unwrap().to_string());
            }
            match page.get("Marker").and_then(Value::as_str) {
                Some(m) => {
                    assert_eq!(page["IsTruncated"], true);
                    marker = Some(m.to_string());
                }
                None => {
                    assert_eq!(page["IsTruncated"], false);
                    break;
                }
            }
        }
        assert_eq!(seen, actions);
        let e = simulate_custom_answer(
            ACCOUNT,
            &custom_input(json!({"PolicyInputList": [allow("s3:*")], "ActionNames": actions, "Marker": "%%%"})),
        )
        .unwrap_err();
        // As every paginated operation answers a marker it cannot read.
        let expected = Page::new(Some("%%%"), None).err().map(code);
        assert_eq!(Some(code(e)), expected);
        // A marker that reads but is not one of the simulation's.
        let e = simulate_custom_answer(
            ACCOUNT,
            &custom_input(json!({"PolicyInputList": [allow("s3:*")], "ActionNames": actions, "Marker": URL_SAFE_NO_PAD.encode("12")})),
        )
        .unwrap_err();
        assert_eq!(Some(code(e)), expected);
    }

    /// Every page of a simulation, from the first.
    fn all_pages(input: Value) -> Vec<Value> {
        let mut pages = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let mut input = input.clone();
            if let Some(m) = &marker {
                input["Marker"] = json!(m);
            }
            let page = custom(input);
            marker = page
                .get("Marker")
                .and_then(Value::as_str)
                .map(str::to_string);
            assert_eq!(page["IsTruncated"], marker.is_some());
            pages.push(page);
            if marker.is_none() {
                return pages;
            }
            assert!(pages.len() < 10_000, "the pages never end");
        }
    }

    #[test]
    fn pages_through_resource_specific_results() {
        let actions = ["s3:GetObject", "s3:PutObject", "sqs:SendMessage"];
        let resources: Vec<String> = (0..7)
            .map(|i| format!("arn:aws:s3:::bucket/object-{i}"))
            .collect();
        // object-5 is denied: every page that answers an S3 action carries the decision
        // over all its resources, wherever object-5 is answered.
        let policies = [
            allow("s3:*"),
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::bucket/object-5"}}"#.to_string(),
        ];
        let pages = all_pages(json!({
            "PolicyInputList": policies, "ActionNames": actions, "ResourceArns": resources, "MaxItems": 4,
        }));
        let mut seen = Vec::new();
        for page in &pages {
            let mut on_page = 0;
            for result in page["EvaluationResults"].as_array().unwrap() {
                let action = result["EvalActionName"].as_str().unwrap();
                let expected = if action.starts_with("s3:") {
                    "explicitDeny"
                } else {
                    "implicitDeny"
                };
                assert_eq!(result["EvalDecision"], expected, "{result}");
                let specific = result["ResourceSpecificResults"].as_array().unwrap();
                assert!(!specific.is_empty(), "{result}");
                for r in specific {
                    on_page += 1;
                    seen.push((
                        action.to_string(),
                        r["EvalResourceName"].as_str().unwrap().to_string(),
                    ));
                }
            }
            assert!(on_page <= 4, "{page}");
        }
        let expected: Vec<(String, String)> = actions
            .iter()
            .flat_map(|a| resources.iter().map(|r| (a.to_string(), r.clone())))
            .collect();
        assert_eq!(seen, expected);
        assert_eq!(pages.len(), 6);
        // Without MaxItems, 100 items a page: one page.
        let one = all_pages(json!({
            "PolicyInputList": policies, "ActionNames": actions, "ResourceArns": resources,
        }));
        assert_eq!(one.len(), 1);
        // A marker past the end gives an empty last page.
        let past = custom(json!({
            "PolicyInputList": policies, "ActionNames": actions, "ResourceArns": resources,
            "Marker": URL_SAFE_NO_PAD.encode("00000000090000000000"),
        }));
        assert_eq!(past["EvaluationResults"], json!([]));
        assert_eq!(past["IsTruncated"], false);
    }

    #[test]
    fn pages_stay_within_their_byte_bound() {
        // 1,000 resources with 1,900-character ARNs: 1,000 items do not fit in a page.
        let resources: Vec<String> = (0..1000)
            .map(|i| format!("arn:aws:s3:::bucket/{i:04}-{}", "x".repeat(1880)))
            .collect();
        let pages = all_pages(json!({
            "PolicyInputList": [allow("s3:*")], "ActionNames": ["s3:GetObject", "s3:PutObject"],
            "ResourceArns": resources, "MaxItems": 1000,
        }));
        let mut items = 0;
        for page in &pages {
            let bytes = answer_bytes(page);
            assert!(bytes <= PAGE_BYTES + ITEM_BYTES, "{bytes}");
            items += page["EvaluationResults"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["ResourceSpecificResults"].as_array().unwrap().len())
                .sum::<usize>();
        }
        assert_eq!(items, 2000);
        assert!(pages.len() >= 4, "{} pages", pages.len());
    }

    #[test]
    fn the_answer_bound_is_an_upper_bound_of_the_xml() {
        let answer = custom(json!({
            "PolicyInputList": [allow("s3:*"), CLI_EXAMPLE],
            "ActionNames": ["s3:GetObject", "dynamodb:GetItem"],
            "ResourceArns": ["arn:aws:s3:::b/\"<&>'\r", "arn:aws:dynamodb:us-east-1:210987654321:table/t"],
        }));
        let model = portcullis_protocol::Service::Iam.model();
        let op = model.operation("SimulateCustomPolicy").unwrap();
        let xml = portcullis_protocol::encode_output(model, op, &answer, "id");
        assert!(answer_bytes(&answer) >= xml.len() - 300, "{xml}");
    }

    #[test]
    fn simulations_have_limits() {
        let many =
            |n: usize, f: &dyn Fn(usize) -> String| -> Vec<String> { (0..n).map(f).collect() };
        let action = |i: usize| format!("s3:Action{i}");
        let arn = |i: usize| format!("arn:aws:s3:::b/{i}");
        let refused = |input: Value, text: &str| {
            let e = simulate_custom_answer(ACCOUNT, &custom_input(input.clone()))
                .unwrap_err()
                .into_aws();
            assert_eq!(e.code(), "InvalidInput", "{input}");
            assert!(e.message().contains(text), "{}", e.message());
        };
        let p = [allow("s3:*")];
        refused(
            json!({"PolicyInputList": p, "ActionNames": many(1001, &action)}),
            "ActionNames has 1001 members, more than the 1000",
        );
        refused(
            json!({"PolicyInputList": p, "ActionNames": ["s3:GetObject"], "ResourceArns": many(1001, &arn)}),
            "ResourceArns has 1001 members",
        );
        refused(
            json!({"PolicyInputList": p, "ActionNames": many(11, &action), "ResourceArns": many(1000, &arn)}),
            "needs 11000 evaluations, more than the 10000",
        );
        refused(
            json!({"PolicyInputList": vec![allow("s3:*"); 101], "ActionNames": ["s3:GetObject"]}),
            "PolicyInputList has 101 members",
        );
        let statements =
            vec![r#"{"Effect":"Allow","Action":"s3:*","Resource":"*"}"#; 1001].join(",");
        refused(
            json!({"PolicyInputList": [format!(r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#)], "ActionNames": ["s3:GetObject"]}),
            "have 1001 statements",
        );
        let keys: Vec<String> = (0..1001).map(|i| format!(r#""s3:k{i}":"v""#)).collect();
        refused(
            json!({"PolicyInputList": [format!(r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{{"StringEquals":{{{}}}}}}}}}"#, keys.join(","))], "ActionNames": ["s3:GetObject"]}),
            "use 1001 context keys",
        );
        let entries: Vec<Value> = (0..1001)
            .map(|i| entry(&format!("s3:k{i}"), "string", &["v"]))
            .collect();
        refused(
            json!({"PolicyInputList": p, "ActionNames": ["s3:GetObject"], "ContextEntries": entries}),
            "ContextEntries has 1001 members",
        );
        let values: Vec<&str> = vec!["v"; 10_001];
        refused(
            json!({"PolicyInputList": p, "ActionNames": ["s3:GetObject"], "ContextEntries": [entry("aws:TagKeys", "stringList", &values)]}),
            "ContextKeyValues has 10001 members",
        );
        let big = "v".repeat(300 * 1024);
        refused(
            json!({"PolicyInputList": p, "ActionNames": ["s3:GetObject"], "ContextEntries": [entry("s3:k", "string", &[&big])]}),
            "more than the 262144",
        );
        // At the limits, the simulation runs.
        let ok = custom(
            json!({"PolicyInputList": p, "ActionNames": many(10, &action), "ResourceArns": many(1000, &arn), "MaxItems": 5}),
        );
        assert_eq!(ok["IsTruncated"], true);
        assert_eq!(
            first(&ok)["ResourceSpecificResults"]
                .as_array()
                .unwrap()
                .len(),
            5
        );
        // The limits hold for SimulatePrincipalPolicy too.
        let e = account();
        let err = principal(
            &e,
            json!({"PolicySourceArn": format!("arn:aws:iam::{ACCOUNT}:user/alice"), "ActionNames": many(1001, &action)}),
        )
        .unwrap_err();
        assert_eq!(code(err), "InvalidInput");
    }

    #[test]
    fn a_result_too_large_for_any_page_is_refused() {
        // Policies given in a request cannot make a result that large (see below), stored
        // ones hardly can: the check itself.
        assert!(check_item_size(ITEM_BYTES, "s3:GetObject", None).is_ok());
        let e = check_item_size(ITEM_BYTES + 1, "s3:GetObject", Some("arn:aws:s3:::b"))
            .unwrap_err()
            .into_aws();
        assert_eq!(e.code(), "InvalidInput");
        assert!(
            e.message().contains("s3:GetObject on arn:aws:s3:::b"),
            "{}",
            e.message()
        );
        // The largest aggregate the limits allow (every statement matched by a resource of
        // its own) fits in one.
        let statements: Vec<String> = (0..1000)
            .map(|i| format!(r#"{{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/{i}"}}"#))
            .collect();
        let resources: Vec<String> = (0..1000).map(|i| format!("arn:aws:s3:::b/{i}")).collect();
        let answer = custom(json!({
            "PolicyInputList": [format!(r#"{{"Version":"2012-10-17","Statement":[{}]}}"#, statements.join(","))],
            "ActionNames": ["s3:GetObject"], "ResourceArns": resources, "MaxItems": 1,
        }));
        let result = first(&answer);
        assert_eq!(result["MatchedStatements"].as_array().unwrap().len(), 1000);
        assert!(
            answer_bytes(result) < ITEM_BYTES,
            "{}",
            answer_bytes(result)
        );
    }

    #[test]
    fn bad_inputs_are_invalid_input() {
        for input in [
            json!({"PolicyInputList": ["{"], "ActionNames": ["s3:GetObject"]}),
            json!({"PolicyInputList": [r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}}"#], "ActionNames": ["s3:GetObject"]}),
            json!({"PolicyInputList": [allow("s3:*")], "ActionNames": ["s3:*"]}),
            json!({"PolicyInputList": [allow("s3:*")], "ActionNames": ["nocolon"]}),
            json!({"PolicyInputList": [allow("s3:*")], "ActionNames": ["s3:GetObject"], "ResourceHandlingOption": "Mainframe"}),
            json!({"PolicyInputList": [allow("ec2:*")], "ActionNames": ["ec2:RunInstances"], "ResourceHandlingOption": "EC2-VPC-EBS",
                   "ResourceArns": ["arn:aws:ec2:us-east-1:123456789012:instance/*", "arn:aws:ec2:us-east-1::image/ami-1"]}),
        ] {
            let e = simulate_custom_answer(ACCOUNT, &custom_input(input.clone())).unwrap_err();
            assert_eq!(code(e), "InvalidInput", "{input}");
        }
        let ok = custom(
            json!({"PolicyInputList": [allow("ec2:*")], "ActionNames": ["ec2:RunInstances"], "ResourceHandlingOption": "EC2-VPC-InstanceStore",
            "ResourceArns": ["arn:aws:ec2:us-east-1:123456789012:instance/*", "arn:aws:ec2:us-east-1::image/ami-1",
                             "arn:aws:ec2:us-east-1:123456789012:security-group/*", "arn:aws:ec2:us-east-1:123456789012:network-interface/*"]}),
        );
        assert_eq!(decision(&ok), "allowed");
        assert_eq!(
            first(&ok)["ResourceSpecificResults"]
                .as_array()
                .unwrap()
                .len(),
            4
        );
    }

    // --- SimulatePrincipalPolicy ------------------------------------------------------

    fn put<T: serde::de::DeserializeOwned + portcullis_store::Entity>(e: &mut Entities, v: Value) {
        let entity: T = serde_json::from_value(v).unwrap();
        e.apply(&Change::put(ACCOUNT, &entity)).unwrap();
    }

    fn managed(e: &mut Entities, name: &str, document: &str) -> String {
        let arn = format!("arn:aws:iam::{ACCOUNT}:policy/{name}");
        put::<ManagedPolicy>(
            e,
            json!({
                "id": format!("ANPA{name}"), "name": name, "path": "/", "arn": arn, "create_date": 0,
                "update_date": 0, "default_version_id": "v1", "next_version": 2,
                "versions": [{"version_id": "v1", "document": document, "create_date": 0}],
            }),
        );
        arn
    }

    /// alice (inline policy, ReadOnlyAccess, group `devs` with an inline deny and a
    /// customer managed policy, boundary), role `app` (inline policy, trust policy naming
    /// alice), role `other` (trust policy naming someone else).
    fn account() -> Entities {
        let mut e = Entities::default();
        let ec2 = managed(&mut e, "Ec2Describe", &allow("ec2:Describe*"));
        let boundary = managed(&mut e, "Boundary", &allow("*"));
        put::<Group>(
            &mut e,
            json!({
                "id": "AGPADEVS", "name": "devs", "path": "/", "arn": format!("arn:aws:iam::{ACCOUNT}:group/devs"),
                "create_date": 0, "attached_policies": [ec2],
                "inline_policies": {"no-delete": deny("iam:DeleteRole")},
            }),
        );
        put::<User>(
            &mut e,
            json!({
                "id": "AIDAALICE", "name": "alice", "path": "/eng/", "arn": format!("arn:aws:iam::{ACCOUNT}:user/eng/alice"),
                "create_date": 0, "groups": ["AGPADEVS"], "permissions_boundary": boundary,
                "tags": [{"key": "team", "value": "ml"}],
                "attached_policies": ["arn:aws:iam::aws:policy/ReadOnlyAccess"],
                "inline_policies": {"roles": allow("iam:*Role"), "sts": allow("sts:AssumeRole")},
            }),
        );
        let trust = |who: &str| {
            format!(
                r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{who}"}},"Action":"sts:AssumeRole"}}]}}"#
            )
        };
        for (name, who) in [
            ("app", format!("arn:aws:iam::{ACCOUNT}:user/eng/alice")),
            ("other", format!("arn:aws:iam::{ACCOUNT}:user/bob")),
        ] {
            put::<Role>(
                &mut e,
                json!({
                    "id": format!("AROA{name}"), "name": name, "path": "/", "arn": format!("arn:aws:iam::{ACCOUNT}:role/{name}"),
                    "create_date": 0, "assume_role_policy_document": trust(&who), "max_session_duration": 3600,
                    "inline_policies": {"tagged": r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"ml"}}}]}"#},
                }),
            );
        }
        e
    }

    /// The answer of SimulatePrincipalPolicy, as the encoder reads it.
    fn principal(e: &Entities, input: Value) -> Result<Value, Error> {
        simulate_principal_answer(e, ACCOUNT, &serde_json::from_value(input).unwrap())
            .map(|out| serde_json::to_value(out).unwrap())
    }

    fn sources(answer: &Value, i: usize) -> Vec<(String, String)> {
        answer["EvaluationResults"][i]["MatchedStatements"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                (
                    m["SourcePolicyId"].as_str().unwrap().to_string(),
                    m["SourcePolicyType"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }

    #[test]
    fn a_users_policies_with_its_groups() {
        let e = account();
        let alice = format!("arn:aws:iam::{ACCOUNT}:user/eng/alice");
        let answer = principal(&e, json!({
            "PolicySourceArn": alice,
            "ActionNames": ["iam:GetRole", "iam:DeleteRole", "ec2:DescribeInstances", "iam:CreateUser", "s3:GetObject"],
        }))
        .unwrap();
        let decisions: Vec<&str> = answer["EvaluationResults"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["EvalDecision"].as_str().unwrap())
            .collect();
        assert_eq!(
            decisions,
            [
                "allowed",
                "explicitDeny",
                "allowed",
                "implicitDeny",
                "allowed"
            ]
        );
        assert_eq!(
            sources(&answer, 0),
            [("user_alice_roles".to_string(), "user".to_string())]
        );
        assert_eq!(
            sources(&answer, 1),
            [("group_devs_no-delete".to_string(), "group".to_string())]
        );
        assert_eq!(
            sources(&answer, 2),
            [("ReadOnlyAccess".to_string(), "aws-managed".to_string())]
        );
        assert_eq!(sources(&answer, 3), []);
        let first = &answer["EvaluationResults"][0];
        assert_eq!(
            first["PermissionsBoundaryDecisionDetail"]["AllowedByPermissionsBoundary"],
            true
        );
        assert_eq!(
            first["MissingContextValues"],
            json!(["s3express:SessionMode"]),
            "ReadOnlyAccess has a condition"
        );

        // Excluding policies by type, ARN (wildcards in the name) or inline identifier.
        let excluded = |exclusions: Value| {
            let answer = principal(&e, json!({
                "PolicySourceArn": alice, "ActionNames": ["iam:GetRole", "iam:DeleteRole", "ec2:DescribeInstances"],
                "PolicyExclusionList": exclusions,
            }))
            .unwrap();
            answer["EvaluationResults"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["EvalDecision"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            excluded(json!([{"PolicyType": "inline"}])),
            ["allowed", "implicitDeny", "allowed"]
        );
        assert_eq!(
            excluded(
                json!([{"InlinePolicyIdentifier": {"PolicyName": "no-delete", "AttachmentType": "group", "AttachmentName": "d?v*"}}])
            ),
            ["allowed", "allowed", "allowed"]
        );
        assert_eq!(
            excluded(
                json!([{"PolicyArn": "arn:aws:iam::aws:policy/ReadOnly*"}, {"PolicyType": "user-managed"}])
            ),
            ["allowed", "explicitDeny", "implicitDeny"]
        );
        assert_eq!(
            excluded(json!([{"PolicyType": "permission-boundary"}])),
            ["allowed", "explicitDeny", "allowed"]
        );
        for bad in [
            json!([{"PolicyArn": "arn:aws:iam::aws:policy/*Read*"}]),
            json!([{"PolicyArn": "not-an-arn"}]),
            json!([{"PolicyArn": "arn:aws:iam::*:policy/x"}]),
            json!([{"PolicyType": "inline", "PolicyArn": "arn:aws:iam::aws:policy/x"}]),
        ] {
            let e = principal(&e, json!({"PolicySourceArn": alice, "ActionNames": ["iam:GetRole"], "PolicyExclusionList": bad})).unwrap_err();
            assert_eq!(code(e), "InvalidInput");
        }

        // A boundary given in the request replaces the user's.
        let answer = principal(
            &e,
            json!({
                "PolicySourceArn": alice, "ActionNames": ["iam:GetRole"],
                "PermissionsBoundaryPolicyInputList": [allow("s3:*")],
            }),
        )
        .unwrap();
        assert_eq!(decision(&answer), "implicitDeny");
        assert_eq!(first_boundary(&answer), Some(false));

        let keys = context_keys_for_principal(
            &e,
            ACCOUNT,
            &serde_json::from_value(
                json!({"PolicySourceArn": alice, "PolicyInputList": [CLI_EXAMPLE]}),
            )
            .unwrap(),
        )
        .unwrap();
        let keys = serde_json::to_value(keys).unwrap();
        assert_eq!(
            keys["ContextKeyNames"],
            json!(["s3express:SessionMode", "aws:CurrentTime"])
        );
    }

    fn first_boundary(answer: &Value) -> Option<bool> {
        first(answer)["PermissionsBoundaryDecisionDetail"]["AllowedByPermissionsBoundary"].as_bool()
    }

    #[test]
    fn roles_groups_and_trust_policies() {
        let e = account();
        let app = format!("arn:aws:iam::{ACCOUNT}:role/app");
        // The role's tags become aws:PrincipalTag/*: it has none, so the condition fails
        // and the key is missing, until ContextEntries gives it.
        let answer = principal(
            &e,
            json!({"PolicySourceArn": app, "ActionNames": ["s3:GetObject"]}),
        )
        .unwrap();
        assert_eq!(decision(&answer), "implicitDeny");
        assert_eq!(
            first(&answer)["MissingContextValues"],
            json!(["aws:PrincipalTag/team"])
        );
        let answer = principal(
            &e,
            json!({"PolicySourceArn": app, "ActionNames": ["s3:GetObject"],
            "ContextEntries": [entry("aws:PrincipalTag/team", "string", &["ml"])]}),
        )
        .unwrap();
        assert_eq!(decision(&answer), "allowed");
        assert_eq!(
            sources(&answer, 0),
            [("role_app_tagged".to_string(), "role".to_string())]
        );
        // alice's tags count when she is the caller.
        let answer = principal(
            &e,
            json!({"PolicySourceArn": app, "ActionNames": ["s3:GetObject"],
            "CallerArn": format!("arn:aws:iam::{ACCOUNT}:user/eng/alice")}),
        )
        .unwrap();
        assert_eq!(decision(&answer), "allowed");

        // A group's policies, with no caller.
        let devs = format!("arn:aws:iam::{ACCOUNT}:group/devs");
        let answer = principal(
            &e,
            json!({"PolicySourceArn": devs, "ActionNames": ["ec2:DescribeVpcs", "iam:DeleteRole"]}),
        )
        .unwrap();
        assert_eq!(answer["EvaluationResults"][0]["EvalDecision"], "allowed");
        assert_eq!(
            sources(&answer, 0),
            [("Ec2Describe".to_string(), "user-managed".to_string())]
        );
        assert_eq!(
            answer["EvaluationResults"][1]["EvalDecision"],
            "explicitDeny"
        );
        let err = principal(&e, json!({"PolicySourceArn": devs, "ActionNames": ["s3:GetObject"], "ResourcePolicy": allow("s3:*")})).unwrap_err();
        assert_eq!(code(err), "InvalidInput");

        // sts:AssumeRole on a role of the account: its trust policy decides with alice's.
        let alice = format!("arn:aws:iam::{ACCOUNT}:user/eng/alice");
        let answer = principal(
            &e,
            json!({
                "PolicySourceArn": alice, "ActionNames": ["sts:AssumeRole"],
                "ResourceArns": [app, format!("arn:aws:iam::{ACCOUNT}:role/other")],
            }),
        )
        .unwrap();
        let r = first(&answer);
        assert_eq!(r["EvalDecision"], "implicitDeny");
        let specific = r["ResourceSpecificResults"].as_array().unwrap();
        assert_eq!(specific[0]["EvalResourceDecision"], "allowed");
        let trust: Vec<&str> = specific[0]["MatchedStatements"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["SourcePolicyType"].as_str().unwrap())
            .collect();
        assert_eq!(
            trust,
            ["resource"],
            "a trust policy naming the user is enough"
        );
        assert_eq!(
            specific[0]["MatchedStatements"][0]["SourcePolicyId"],
            json!(app)
        );
        assert_eq!(specific[1]["EvalResourceDecision"], "implicitDeny");

        for (arn, code_wanted) in [
            (format!("arn:aws:iam::{ACCOUNT}:user/bob"), "NoSuchEntity"),
            (format!("arn:aws:iam::{ACCOUNT}:user/alice"), "NoSuchEntity"),
            (
                "arn:aws:iam::111122223333:role/app".to_string(),
                "NoSuchEntity",
            ),
            (
                format!("arn:aws:iam::{ACCOUNT}:policy/Boundary"),
                "InvalidInput",
            ),
            ("nonsense".to_string(), "InvalidInput"),
        ] {
            let e = principal(
                &e,
                json!({"PolicySourceArn": arn, "ActionNames": ["s3:GetObject"]}),
            )
            .unwrap_err();
            assert_eq!(code(e), code_wanted, "{arn}");
        }
    }
}
