//! The benchmark's IAM policies translated to Cedar, and IAM's layering of them done in
//! the harness with one `is_authorized` call per layer.
//!
//! Each IAM statement becomes one Cedar policy: `permit` for `Allow`, `forbid` for `Deny`.
//! - `Action`: every pattern is expanded against the service authorization reference
//!   (Cedar has no globbing) into `action in [Action::"s3:GetObject", ...]`, or, in the
//!   [`ActionMode::Groups`] variant, into one action group per statement
//!   (`action in Action::"group:identity:0:1"`, the request's action entity listing the
//!   groups it belongs to). `NotAction` becomes `unless { action in [...] }`.
//! - `Resource`: `"*"` is no constraint; other ARNs become `resource.arn like "..."`
//!   (`==` when there is no `*`), ORed. Cedar's `like` has no `?` (a `?` is refused) and
//!   matches the ARN as one string, where IAM matches the first five ARN components one by
//!   one (a `*` there cannot span a colon in IAM, it can in Cedar): entries with a `*` in
//!   those components are therefore tested component by component on attributes of the
//!   resource entity (see [`resource_test`]).
//! - `Principal` (resource policies): `"*"` is no constraint; IAM user ARNs become
//!   `principal == User::"arn..."`. Nothing else is accepted.
//! - `Condition`: the operators the chosen policies use, over `context["key"]` with the key
//!   lower-cased (IAM keys are case-insensitive) and guarded by `context has "key"`:
//!   `StringEquals`, `StringNotEquals`, `StringLike` (no `?`), `StringNotLike`, `Bool`. Any
//!   other operator, `...IfExists`, set qualifiers and policy variables are refused, so a
//!   policy that cannot be translated faithfully fails the benchmark instead of being
//!   approximated.

use cedar_policy::{
    Authorizer, Context, Decision, Entities, Entity, EntityUid, Policy, PolicyId, PolicySet,
    Request, Response, RestrictedExpression,
};
use portcullis_policy::Outcome;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::str::FromStr;

/// How statement actions are written in Cedar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ActionMode {
    /// `action in [Action::"a", Action::"b", ...]`, the whole expanded list in the policy.
    List,
    /// `action in Action::"group:..."`, the request's action entity a member of its groups.
    Groups,
}

/// IAM action patterns expanded against the service authorization reference.
pub(crate) struct ActionExpander {
    /// Lower-cased service prefix → (lower-cased action name, `prefix:Name` as AWS spells it).
    services: HashMap<String, Vec<(String, String)>>,
}

impl ActionExpander {
    pub(crate) fn new() -> ActionExpander {
        let mut services: HashMap<String, Vec<(String, String)>> = HashMap::new();
        for service in portcullis_catalog::catalog().services() {
            let mut actions: Vec<(String, String)> = service
                .actions()
                .map(|a| {
                    (
                        a.name.to_ascii_lowercase(),
                        format!("{}:{}", service.prefix, a.name),
                    )
                })
                .collect();
            actions.sort();
            services.insert(service.prefix.to_ascii_lowercase(), actions);
        }
        ActionExpander { services }
    }

    /// The actions an IAM action pattern (`s3:Get*`, `*`, `iam:PassRole`) matches. A name
    /// without wildcards that the reference does not list is kept as written.
    pub(crate) fn expand(&self, pattern: &str, out: &mut BTreeSet<String>) {
        let lower = pattern.to_ascii_lowercase();
        if lower == "*" {
            for actions in self.services.values() {
                out.extend(actions.iter().map(|(_, full)| full.clone()));
            }
            return;
        }
        let (service, name) = lower
            .split_once(':')
            .unwrap_or_else(|| panic!("action {pattern:?} is not service:action"));
        let wild = |s: &str| s.contains(['*', '?']);
        let before = out.len();
        for (prefix, actions) in &self.services {
            let service_matches = if wild(service) {
                glob(service.as_bytes(), prefix.as_bytes())
            } else {
                service == prefix
            };
            if service_matches {
                out.extend(
                    actions
                        .iter()
                        .filter(|(n, _)| glob(name.as_bytes(), n.as_bytes()))
                        .map(|(_, full)| full.clone()),
                );
            }
        }
        if out.len() == before && !wild(&lower) {
            out.insert(pattern.to_string());
        }
    }
}

/// IAM's action wildcards over ASCII-lower-cased text: `*` any run, `?` one character.
fn glob(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut backtrack: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(b'*') => {
                backtrack = Some((p, t));
                p += 1;
            }
            Some(&c) if c == b'?' || c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match backtrack {
                Some((bp, bt)) => {
                    p = bp + 1;
                    t = bt + 1;
                    backtrack = Some((bp, bt + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

/// One of IAM's layers as a Cedar policy set.
pub(crate) struct CedarLayer {
    pub set: PolicySet,
    /// Number of Cedar policies (= IAM statements) in the layer.
    pub policies: usize,
}

/// Policy ids are `layer:policy:statement`, so reasons map back to IAM statements.
pub(crate) fn policy_id(layer: &str, policy: usize, statement: usize) -> String {
    format!("{layer}:{policy}:{statement}")
}

/// Translates IAM policies into Cedar policies.
pub(crate) struct Translator<'a> {
    expander: &'a ActionExpander,
    mode: ActionMode,
    /// Condition keys (lower-cased) that `Bool` conditions test: the context carries them as
    /// Cedar booleans.
    pub bool_keys: HashSet<String>,
    /// For [`ActionMode::Groups`]: action (as AWS spells it) → the groups it belongs to.
    pub groups_of: HashMap<String, Vec<EntityUid>>,
    /// Number of (statement, action) pairs after expansion.
    pub action_entries: usize,
}

fn list<'v>(value: &'v Value, what: &str) -> Vec<&'v str> {
    match value {
        Value::String(s) => vec![s.as_str()],
        Value::Array(items) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .unwrap_or_else(|| panic!("{what}: not a string: {v}"))
            })
            .collect(),
        other => panic!("{what}: not a string or list: {other}"),
    }
}

/// A Cedar string literal.
fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The names of the resource entity's attributes holding ARN components 1 to 5.
const ARN_COMPONENTS: [&str; 5] = ["partition", "service", "region", "account", "name"];

/// The Cedar test for one IAM `Resource` entry other than `"*"`. When the first five ARN
/// components are literal, `resource.arn like "<entry>"` is exact (the literal prefix holds
/// exactly five colons, so it pins the components, and a `*` in the resource component may
/// span colons in IAM too). When one of them has a `*`, IAM still matches it within its
/// component, so the test is made component by component over the resource entity's
/// attributes (`resource.region like "*"` etc.), which the request fills from the ARN.
fn resource_test(entry: &str, id: &str) -> String {
    let parts: Vec<&str> = entry.splitn(6, ':').collect();
    let head_wild = parts.iter().take(5).any(|p| p.contains('*'));
    if !head_wild {
        let pattern = like_pattern(entry, id);
        return if entry.contains('*') {
            format!("resource.arn like {pattern}")
        } else {
            format!("resource.arn == {pattern}")
        };
    }
    assert!(
        parts.len() == 6 && parts[0] == "arn",
        "{id}: resource {entry:?} is not a six-component ARN pattern"
    );
    let mut tests = vec!["resource has name".to_string()];
    for (part, attribute) in parts[1..].iter().zip(ARN_COMPONENTS) {
        if *part == "*" {
            continue;
        }
        let pattern = like_pattern(part, id);
        tests.push(if part.contains('*') {
            format!("resource.{attribute} like {pattern}")
        } else {
            format!("resource.{attribute} == {pattern}")
        });
    }
    format!("({})", tests.join(" && "))
}

/// A Cedar `like` pattern for an IAM wildcard pattern (`*` only).
fn like_pattern(text: &str, what: &str) -> String {
    assert!(
        !text.contains('?'),
        "{what}: {text:?} has a `?`, which Cedar's `like` cannot express"
    );
    assert!(
        !text.contains("${"),
        "{what}: {text:?} has a policy variable, which is not translated"
    );
    quote(text)
}

fn entity_uid(kind: &str, id: &str) -> EntityUid {
    EntityUid::from_str(&format!("{kind}::{}", quote(id))).expect("entity uid")
}

impl<'a> Translator<'a> {
    pub(crate) fn new(expander: &'a ActionExpander, mode: ActionMode) -> Translator<'a> {
        Translator {
            expander,
            mode,
            bool_keys: HashSet::new(),
            groups_of: HashMap::new(),
            action_entries: 0,
        }
    }

    /// Translates the IAM policies of one layer.
    pub(crate) fn layer(&mut self, layer: &str, texts: &[&str]) -> CedarLayer {
        let mut set = PolicySet::new();
        let mut count = 0;
        for (p, text) in texts.iter().enumerate() {
            let doc: Value = serde_json::from_str(text).expect("policy JSON");
            let statements = match &doc["Statement"] {
                Value::Array(items) => items.clone(),
                one @ Value::Object(_) => vec![one.clone()],
                other => panic!("{layer}[{p}]: Statement is {other}"),
            };
            for (s, statement) in statements.iter().enumerate() {
                let id = policy_id(layer, p, s);
                let source = self.statement(&id, statement);
                let policy = Policy::parse(Some(PolicyId::new(&id)), &source)
                    .unwrap_or_else(|e| panic!("{id}: {e:?}\n{source}"));
                set.add(policy).expect("unique policy ids");
                count += 1;
            }
        }
        CedarLayer {
            set,
            policies: count,
        }
    }

    /// One IAM statement as the text of one Cedar policy.
    fn statement(&mut self, id: &str, s: &Value) -> String {
        let obj = s.as_object().expect("statement object");
        for key in obj.keys() {
            assert!(
                matches!(
                    key.as_str(),
                    "Sid"
                        | "Effect"
                        | "Principal"
                        | "Action"
                        | "NotAction"
                        | "Resource"
                        | "NotResource"
                        | "Condition"
                ),
                "{id}: {key} is not translated"
            );
        }
        let effect = match s["Effect"].as_str() {
            Some("Allow") => "permit",
            Some("Deny") => "forbid",
            other => panic!("{id}: effect {other:?}"),
        };
        let mut when: Vec<String> = Vec::new();
        let mut unless: Vec<String> = Vec::new();

        // Principal.
        let mut principal_scope = "principal".to_string();
        match obj.get("Principal") {
            None => {}
            Some(Value::String(star)) if star == "*" => {}
            Some(Value::Object(map)) => {
                assert_eq!(map.len(), 1, "{id}: only AWS principals are translated");
                let arns = list(&map["AWS"], id);
                for arn in &arns {
                    assert!(
                        arn.starts_with("arn:aws:iam::") && arn.contains(":user/"),
                        "{id}: only IAM user ARNs are translated, not {arn}"
                    );
                }
                if let [one] = arns[..] {
                    principal_scope = format!("principal == User::{}", quote(one));
                } else {
                    let any: Vec<String> = arns
                        .iter()
                        .map(|a| format!("principal == User::{}", quote(a)))
                        .collect();
                    when.push(format!("({})", any.join(" || ")));
                }
            }
            Some(other) => panic!("{id}: principal {other} is not translated"),
        }

        // Action.
        let (actions, negated) = match (obj.get("Action"), obj.get("NotAction")) {
            (Some(a), None) => (list(a, id), false),
            (None, Some(a)) => (list(a, id), true),
            _ => panic!("{id}: needs exactly one of Action and NotAction"),
        };
        let mut expanded = BTreeSet::new();
        for a in &actions {
            self.expander.expand(a, &mut expanded);
        }
        self.action_entries += expanded.len();
        let action_test = match self.mode {
            ActionMode::List => {
                let uids: Vec<String> = expanded
                    .iter()
                    .map(|a| format!("Action::{}", quote(a)))
                    .collect();
                format!("action in [{}]", uids.join(", "))
            }
            ActionMode::Groups => {
                let group = format!("group:{id}");
                let uid = entity_uid("Action", &group);
                for a in &expanded {
                    self.groups_of
                        .entry(a.clone())
                        .or_default()
                        .push(uid.clone());
                }
                format!("action in Action::{}", quote(&group))
            }
        };
        let action_scope = if negated {
            unless.push(action_test);
            "action".to_string()
        } else {
            action_test
        };

        // Resource.
        let (resources, negated) = match (obj.get("Resource"), obj.get("NotResource")) {
            (Some(r), None) => (Some(list(r, id)), false),
            (None, Some(r)) => (Some(list(r, id)), true),
            (None, None) => (None, false),
            _ => panic!("{id}: both Resource and NotResource"),
        };
        if let Some(resources) = resources {
            if resources.contains(&"*") {
                if negated {
                    when.push("false".to_string());
                }
            } else {
                let tests: Vec<String> = resources.iter().map(|r| resource_test(r, id)).collect();
                let any = format!("({})", tests.join(" || "));
                if negated {
                    unless.push(any);
                } else {
                    when.push(any);
                }
            }
        }

        // Condition.
        if let Some(conditions) = obj.get("Condition") {
            let conditions = conditions.as_object().expect("Condition object");
            for (operator, entries) in conditions {
                let entries = entries.as_object().expect("condition entries");
                for (key, values) in entries {
                    let key = key.to_ascii_lowercase();
                    let values = list(values, id);
                    when.push(self.condition(id, operator, &key, &values));
                }
            }
        }

        let mut out = format!("{effect}({principal_scope}, {action_scope}, resource)");
        for w in &when {
            out.push_str(&format!("\nwhen {{ {w} }}"));
        }
        for u in &unless {
            out.push_str(&format!("\nunless {{ {u} }}"));
        }
        out.push(';');
        out
    }

    fn condition(&mut self, id: &str, operator: &str, key: &str, values: &[&str]) -> String {
        assert!(
            !key.contains("${") && values.iter().all(|v| !v.contains("${")),
            "{id}: policy variables in conditions are not translated"
        );
        let k = quote(key);
        let has = format!("context has {k}");
        let get = format!("context[{k}]");
        let any = |f: &dyn Fn(&str) -> String| {
            let parts: Vec<String> = values.iter().map(|v| f(v)).collect();
            format!("({})", parts.join(" || "))
        };
        match operator {
            "StringEquals" => format!("{has} && {}", any(&|v| format!("{get} == {}", quote(v)))),
            "StringNotEquals" => {
                format!("!({has} && {})", any(&|v| format!("{get} == {}", quote(v))))
            }
            "StringLike" => format!(
                "{has} && {}",
                any(&|v| format!("{get} like {}", like_pattern(v, id)))
            ),
            "StringNotLike" => format!(
                "!({has} && {})",
                any(&|v| format!("{get} like {}", like_pattern(v, id)))
            ),
            "Bool" => {
                self.bool_keys.insert(key.to_string());
                format!(
                    "{has} && {}",
                    any(&|v| {
                        let b = match v.to_ascii_lowercase().as_str() {
                            "true" => "true",
                            "false" => "false",
                            other => panic!("{id}: Bool value {other:?}"),
                        };
                        format!("{get} == {b}")
                    })
                )
            }
            other => panic!("{id}: condition operator {other} is not translated"),
        }
    }

    /// Cedar's action group entities (no parents of their own).
    fn group_entities(&self) -> Vec<Entity> {
        let groups: BTreeSet<&EntityUid> = self.groups_of.values().flatten().collect();
        groups
            .into_iter()
            .map(|g| Entity::new_no_attrs(g.clone(), HashSet::new()))
            .collect()
    }
}

/// The three layers the benchmark's requests go through, plus what is needed to build
/// requests for them.
pub(crate) struct CedarEngine {
    pub identity: CedarLayer,
    pub boundary: CedarLayer,
    pub resource: CedarLayer,
    authorizer: Authorizer,
    mode: ActionMode,
    bool_keys: HashSet<String>,
    groups_of: HashMap<String, Vec<EntityUid>>,
    group_entities: Vec<Entity>,
    /// Number of (statement, action) pairs after expansion.
    pub action_entries: usize,
}

/// A request, ready for [`CedarEngine::decide`].
pub(crate) struct CedarRequest {
    pub request: Request,
    pub entities: Entities,
    /// Whether the resource policy applies (the request is on the bucket).
    pub resource_layer: bool,
}

/// What one layer says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LayerAnswer {
    /// Satisfied `forbid` policies.
    pub forbids: BTreeSet<String>,
    /// Satisfied `permit` policies (only known when no forbid is satisfied).
    pub permits: BTreeSet<String>,
}

impl CedarEngine {
    pub(crate) fn new(
        expander: &ActionExpander,
        mode: ActionMode,
        identity: &[&str],
        boundary: &str,
        resource: &str,
    ) -> CedarEngine {
        let mut t = Translator::new(expander, mode);
        let identity = t.layer("identity", identity);
        let boundary = t.layer("boundary", &[boundary]);
        let resource = t.layer("resource", &[resource]);
        let group_entities = t.group_entities();
        CedarEngine {
            action_entries: t.action_entries,
            identity,
            boundary,
            resource,
            authorizer: Authorizer::new(),
            mode,
            bool_keys: t.bool_keys,
            groups_of: t.groups_of,
            group_entities,
        }
    }

    /// Builds the Cedar request: `User::"<principal ARN>"`, `Action::"<action>"`,
    /// `Resource::"<ARN>"` with attribute `arn` (and, for an ARN, its components 1 to 5 as
    /// `partition`, `service`, `region`, `account`, `name`), and the context keys lower-cased (keys that
    /// `Bool` conditions test as booleans, the others as strings).
    pub(crate) fn request(
        &self,
        principal: &str,
        action: &str,
        resource: &str,
        context: &[(&str, &str)],
        resource_layer: bool,
    ) -> CedarRequest {
        let principal = entity_uid("User", principal);
        let action_uid = entity_uid("Action", action);
        let resource_uid = entity_uid("Resource", resource);
        let mut pairs: BTreeMap<String, RestrictedExpression> = BTreeMap::new();
        for (k, v) in context {
            let key = k.to_ascii_lowercase();
            let value = if self.bool_keys.contains(&key) {
                RestrictedExpression::new_bool(v.eq_ignore_ascii_case("true"))
            } else {
                RestrictedExpression::new_string(v.to_string())
            };
            pairs.insert(key, value);
        }
        let context = Context::from_pairs(pairs).expect("context");
        let mut attributes = HashMap::from([(
            "arn".to_string(),
            RestrictedExpression::new_string(resource.to_string()),
        )]);
        let parts: Vec<&str> = resource.splitn(6, ':').collect();
        if parts.len() == 6 && parts[0] == "arn" {
            for (part, attribute) in parts[1..].iter().zip(ARN_COMPONENTS) {
                attributes.insert(
                    attribute.to_string(),
                    RestrictedExpression::new_string(part.to_string()),
                );
            }
        }
        let mut entities = vec![
            Entity::new(resource_uid.clone(), attributes, HashSet::new()).expect("resource entity"),
        ];
        if self.mode == ActionMode::Groups {
            entities.extend(self.group_entities.iter().cloned());
            let parents: HashSet<EntityUid> = self
                .groups_of
                .get(action)
                .map(|g| g.iter().cloned().collect())
                .unwrap_or_default();
            entities.push(Entity::new_no_attrs(action_uid.clone(), parents));
        }
        CedarRequest {
            request: Request::new(principal, action_uid, resource_uid, context, None)
                .expect("request"),
            entities: Entities::from_entities(entities, None).expect("entities"),
            resource_layer,
        }
    }

    fn ask(&self, layer: &CedarLayer, r: &CedarRequest) -> Response {
        self.authorizer
            .is_authorized(&r.request, &layer.set, &r.entities)
    }

    /// IAM's decision for a same-account IAM user, one `is_authorized` call per layer in
    /// the order Portcullis evaluates them: a satisfied `forbid` in any layer is an
    /// explicit deny; a `permit` of the resource policy (which names users directly) is
    /// final; otherwise both the identity policies and the boundary must permit.
    pub(crate) fn decide(&self, r: &CedarRequest) -> Outcome {
        let mut resource_allows = false;
        if r.resource_layer {
            let resource = self.ask(&self.resource, r);
            match resource.decision() {
                Decision::Allow => resource_allows = true,
                Decision::Deny => {
                    if resource.diagnostics().reason().next().is_some() {
                        return Outcome::ExplicitDeny;
                    }
                }
            }
        }
        let identity = self.ask(&self.identity, r);
        let identity_allows = identity.decision() == Decision::Allow;
        if !identity_allows && identity.diagnostics().reason().next().is_some() {
            return Outcome::ExplicitDeny;
        }
        let boundary = self.ask(&self.boundary, r);
        let boundary_allows = boundary.decision() == Decision::Allow;
        if !boundary_allows && boundary.diagnostics().reason().next().is_some() {
            return Outcome::ExplicitDeny;
        }
        if resource_allows || (identity_allows && boundary_allows) {
            Outcome::Allowed
        } else {
            Outcome::ImplicitDeny
        }
    }

    /// What each layer says, for the equivalence check (which also requires evaluation
    /// without errors).
    pub(crate) fn layer_answer(&self, layer: &CedarLayer, r: &CedarRequest) -> LayerAnswer {
        let response = self.ask(layer, r);
        let errors: Vec<String> = response
            .diagnostics()
            .errors()
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "Cedar evaluation errors: {errors:?}");
        let reasons: BTreeSet<String> = response
            .diagnostics()
            .reason()
            .map(|id| id.to_string())
            .collect();
        match response.decision() {
            Decision::Allow => LayerAnswer {
                forbids: BTreeSet::new(),
                permits: reasons,
            },
            Decision::Deny => LayerAnswer {
                forbids: reasons,
                permits: BTreeSet::new(),
            },
        }
    }

    /// Total number of Cedar policies.
    pub(crate) fn policy_count(&self) -> usize {
        self.identity.policies + self.boundary.policies + self.resource.policies
    }
}
