//! Compiled policies, cached: AWS managed policies once, each principal's and each
//! session's for one generation of the account's entities. The cache is plain data the
//! server state owns; whoever asks passes the generation its view of the entities has.

use crate::account::{PolicyRef, find_policy};
use crate::auth::session::SessionClaims;
use crate::error::Error;
use portcullis_policy::CompiledPolicy;
use portcullis_store::{Entities, Group, Role, User};
use rustc_hash::FxHashMap;
use std::sync::{Arc, Mutex};

/// The compiled identity-based policies and boundary of one principal.
pub(crate) struct PrincipalPolicies {
    /// Identity-based policies (inline, attached, and the groups' for a user).
    pub(crate) identity: Vec<Arc<CompiledPolicy>>,
    /// The permissions boundary.
    pub(crate) boundary: Option<Arc<CompiledPolicy>>,
}

/// Compiled policies: AWS managed policies by ARN (they never change); each principal's
/// set and each session's policies, valid for one generation of the account's entities
/// (the caller passes the generation it reads under: see `App::generation`).
#[derive(Default)]
pub(crate) struct PolicyCache {
    aws: Mutex<FxHashMap<String, Arc<CompiledPolicy>>>,
    principals: Generational<Arc<PrincipalPolicies>>,
    sessions: Generational<SessionPolicies>,
}

/// Compiled session policies.
type SessionPolicies = Arc<Vec<Arc<CompiledPolicy>>>;

/// Values cached by key, each valid for one generation of the account's entities.
type Generational<T> = Mutex<FxHashMap<String, (u64, T)>>;

/// How many principals' and sessions' compiled policies are kept.
const CACHE_LIMIT: usize = 10_000;

fn cached<T: Clone>(
    map: &Generational<T>,
    key: &str,
    generation: u64,
    build: impl FnOnce() -> Result<T, Error>,
) -> Result<T, Error> {
    {
        let map = map.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((g, v)) = map.get(key)
            && *g == generation
        {
            return Ok(v.clone());
        }
    }
    let value = build()?;
    let mut map = map.lock().unwrap_or_else(|e| e.into_inner());
    if map.len() >= CACHE_LIMIT {
        map.clear();
    }
    map.insert(key.to_string(), (generation, value.clone()));
    Ok(value)
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

    fn compile_set<'a>(
        &self,
        e: &Entities,
        inline: impl IntoIterator<Item = (String, &'a String)>,
        attached: impl IntoIterator<Item = &'a String>,
        boundary: Option<&str>,
    ) -> Result<PrincipalPolicies, Error> {
        let mut identity = Vec::new();
        for (name, document) in inline {
            identity.push(Arc::new(CompiledPolicy::parse(document)?.with_name(name)));
        }
        for arn in attached {
            if let Some(p) = find_policy(e, arn) {
                identity.push(self.compile(&p)?);
            }
        }
        let boundary = match boundary.and_then(|b| find_policy(e, b)) {
            Some(p) => Some(self.compile(&p)?),
            None => None,
        };
        Ok(PrincipalPolicies { identity, boundary })
    }

    /// The policies of a user: its own, its groups', and its boundary.
    pub(crate) fn for_user(
        &self,
        generation: u64,
        e: &Entities,
        user: &User,
    ) -> Result<Arc<PrincipalPolicies>, Error> {
        cached(&self.principals, &user.id, generation, || {
            let groups: Vec<&Group> = user
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
            let attached = user
                .attached_policies
                .iter()
                .chain(groups.iter().flat_map(|g| g.attached_policies.iter()));
            Ok(Arc::new(self.compile_set(
                e,
                inline,
                attached,
                user.permissions_boundary.as_deref(),
            )?))
        })
    }

    /// The policies of a role: inline, attached, and its boundary.
    pub(crate) fn for_role(
        &self,
        generation: u64,
        e: &Entities,
        role: &Role,
    ) -> Result<Arc<PrincipalPolicies>, Error> {
        cached(&self.principals, &role.id, generation, || {
            let inline = role
                .inline_policies
                .iter()
                .map(|(n, d)| (format!("inline:role/{}/{n}", role.name), d));
            Ok(Arc::new(self.compile_set(
                e,
                inline,
                role.attached_policies.iter(),
                role.permissions_boundary.as_deref(),
            )?))
        })
    }

    /// The session policies a session was created with (inline and managed).
    pub(crate) fn for_session(
        &self,
        generation: u64,
        e: &Entities,
        claims: &SessionClaims,
    ) -> Result<Arc<Vec<Arc<CompiledPolicy>>>, Error> {
        cached(&self.sessions, &claims.access_key_id, generation, || {
            let mut out = Vec::new();
            for text in &claims.policies {
                out.push(Arc::new(
                    CompiledPolicy::parse(text)?.with_name("session policy"),
                ));
            }
            for arn in &claims.policy_arns {
                if let Some(p) = find_policy(e, arn) {
                    out.push(self.compile(&p)?);
                }
            }
            Ok(Arc::new(out))
        })
    }
}

impl PolicyCache {
    /// The scope-down policies of a session (GetScopedCredentials), compiled, oldest first.
    pub(crate) fn for_scopes(
        &self,
        generation: u64,
        claims: &SessionClaims,
    ) -> Result<Arc<Vec<Arc<CompiledPolicy>>>, Error> {
        let key = format!("{}#scopes", claims.access_key_id);
        cached(&self.sessions, &key, generation, || {
            let mut out = Vec::with_capacity(claims.scope_policies.len());
            for text in &claims.scope_policies {
                out.push(Arc::new(
                    CompiledPolicy::parse(text)?.with_name("scope-down policy"),
                ));
            }
            Ok(Arc::new(out))
        })
    }
}
