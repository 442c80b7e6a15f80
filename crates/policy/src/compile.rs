//! Policies compiled once into a form that evaluates without re-parsing: actions
//! lower-cased and indexed by service prefix, ARN patterns split into components,
//! condition values parsed into their types, principals sorted by kind.

use crate::arn::{ArnPattern, MissingParts};
use crate::condition::CompiledCondition;
use crate::document::{Effect, PolicyDocument};
use crate::error::PolicyError;
use crate::pattern::Pattern;
use crate::principal::PrincipalMatcher;
use rustc_hash::FxHashMap;

/// A policy ready for evaluation.
#[derive(Debug, Clone)]
pub struct CompiledPolicy {
    name: Option<String>,
    pub(crate) statements: Box<[CompiledStatement]>,
    /// Statements whose `Action` names only specific services, by lower-cased service
    /// prefix, each with its action-name patterns for that service.
    pub(crate) by_service: FxHashMap<Box<str>, Box<[ServiceEntry]>>,
    /// Statements that may match any service (`NotAction`, `*`, wildcards in the
    /// service part), tested in full for every request.
    pub(crate) unindexed: Box<[u32]>,
    /// Whether any statement denies: a policy without one cannot change a layer's
    /// answer once another policy of the layer allows.
    pub(crate) has_deny: bool,
}

/// The action-name patterns of one statement for one service.
#[derive(Debug, Clone)]
pub(crate) struct ServiceEntry {
    pub(crate) statement: u32,
    pub(crate) names: Box<[Pattern]>,
}

/// A compiled statement.
#[derive(Debug, Clone)]
pub(crate) struct CompiledStatement {
    pub(crate) sid: Option<Box<str>>,
    pub(crate) effect: Effect,
    /// `Action`/`NotAction` patterns over the whole lower-cased action, for statements
    /// that are not indexed by service (empty otherwise).
    pub(crate) actions: Box<[Pattern]>,
    pub(crate) not_action: bool,
    pub(crate) resources: ResourceMatcher,
    pub(crate) principal: Option<PrincipalMatcher>,
    pub(crate) conditions: Box<[CompiledCondition]>,
}

/// A compiled `Resource`/`NotResource` element.
#[derive(Debug, Clone)]
pub(crate) enum ResourceMatcher {
    /// No element (resource and trust policies): the resource the policy is attached to.
    Attached,
    /// A list of ARN patterns; `negated` for `NotResource`.
    List {
        negated: bool,
        patterns: Box<[ArnPattern]>,
    },
}

impl CompiledPolicy {
    /// Parses and compiles a policy document (structure only; see [`crate::validate`]
    /// for the rules of each kind of policy).
    pub fn parse(text: &str) -> Result<CompiledPolicy, PolicyError> {
        Ok(CompiledPolicy::compile(&PolicyDocument::parse(text)?))
    }

    /// Compiles a parsed document.
    pub fn compile(doc: &PolicyDocument) -> CompiledPolicy {
        let variables = doc.variables_enabled();
        let mut statements = Vec::with_capacity(doc.statements.len());
        let mut groups: FxHashMap<Box<str>, Vec<ServiceEntry>> = FxHashMap::default();
        let mut unindexed = Vec::new();
        for (index, s) in doc.statements.iter().enumerate() {
            let index = index as u32;
            let (action_values, not_action) = match &s.action {
                Some(a) => (a.values.as_slice(), a.negated),
                None => (&[][..], false),
            };
            let lowered: Vec<String> = action_values
                .iter()
                .map(|a| a.to_ascii_lowercase())
                .collect();
            let indexed = match (not_action, service_groups(&lowered)) {
                (false, Some(by_service)) => {
                    for (service, names) in by_service {
                        groups.entry(service).or_default().push(ServiceEntry {
                            statement: index,
                            names: names.iter().map(|n| Pattern::wildcard(n)).collect(),
                        });
                    }
                    true
                }
                _ => {
                    unindexed.push(index);
                    false
                }
            };
            let resources = match &s.resource {
                None => ResourceMatcher::Attached,
                Some(r) => ResourceMatcher::List {
                    negated: r.negated,
                    patterns: r
                        .values
                        .iter()
                        .map(|v| ArnPattern::new(v, variables, MissingParts::Wildcard))
                        .collect(),
                },
            };
            statements.push(CompiledStatement {
                sid: s.sid.as_deref().map(Into::into),
                effect: s.effect,
                actions: if indexed {
                    Box::default()
                } else {
                    lowered.iter().map(|a| Pattern::wildcard(a)).collect()
                },
                not_action,
                resources,
                principal: s.principal.as_ref().map(PrincipalMatcher::compile),
                conditions: s
                    .conditions
                    .iter()
                    .map(|c| CompiledCondition::compile(c, variables))
                    .collect(),
            });
        }
        let has_deny = statements.iter().any(|s| s.effect == Effect::Deny);
        CompiledPolicy {
            name: doc.id.clone(),
            has_deny,
            statements: statements.into(),
            by_service: groups
                .into_iter()
                .map(|(k, v)| (k, v.into_boxed_slice()))
                .collect(),
            unindexed: unindexed.into(),
        }
    }

    /// Names the policy (an ARN, `inline:NAME`, a file name…) for explanations.
    pub fn with_name(mut self, name: impl Into<String>) -> CompiledPolicy {
        self.name = Some(name.into());
        self
    }

    /// The policy's name: the one given with [`CompiledPolicy::with_name`], else its `Id`.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// Number of statements.
    pub fn statement_count(&self) -> usize {
        self.statements.len()
    }

    /// The `Sid` of a statement.
    pub fn sid(&self, statement: usize) -> Option<&str> {
        self.statements.get(statement)?.sid.as_deref()
    }
}

/// Groups action patterns by service when every one names a single service without
/// wildcards in its prefix; `None` otherwise (the statement is then unindexed).
fn service_groups(actions: &[String]) -> Option<FxHashMap<Box<str>, Vec<&str>>> {
    let mut out: FxHashMap<Box<str>, Vec<&str>> = FxHashMap::default();
    for a in actions {
        let (service, name) = a.split_once(':')?;
        if service.contains(['*', '?']) || name.contains(':') {
            return None;
        }
        out.entry(service.into()).or_default().push(name);
    }
    Some(out)
}
