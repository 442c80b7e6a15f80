//! Services, actions and condition keys from the service authorization reference.

use crate::Catalog;
use rustc_hash::{FxHashMap, FxHashSet};
use serde::Deserialize;

/// How an action is classified in the service authorization reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccessLevel {
    /// Lists resources.
    List,
    /// Reads resources.
    Read,
    /// Creates, changes or deletes resources.
    Write,
    /// Writes that only change tags.
    Tagging,
    /// Writes that change permissions (policies, credentials).
    PermissionsManagement,
}

impl AccessLevel {
    fn parse(text: &str) -> AccessLevel {
        if text.starts_with("Permissions management") {
            AccessLevel::PermissionsManagement
        } else if text.starts_with("Tagging") {
            AccessLevel::Tagging
        } else {
            match text {
                "List" => AccessLevel::List,
                "Read" => AccessLevel::Read,
                _ => AccessLevel::Write,
            }
        }
    }
}

/// The data type of a condition key (`ArrayOf…` types are multivalued).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConditionKeyType {
    /// `String`
    String,
    /// `ArrayOfString`
    ArrayOfString,
    /// `ARN`
    Arn,
    /// `ArrayOfARN`
    ArrayOfArn,
    /// `Bool`
    Bool,
    /// `ArrayOfBool`
    ArrayOfBool,
    /// `Numeric`
    Numeric,
    /// `Date`
    Date,
    /// `IPAddress`
    IpAddress,
    /// `Binary`
    Binary,
}

impl ConditionKeyType {
    fn parse(text: &str) -> ConditionKeyType {
        match text {
            "ArrayOfString" => ConditionKeyType::ArrayOfString,
            "ARN" => ConditionKeyType::Arn,
            "ArrayOfARN" => ConditionKeyType::ArrayOfArn,
            "Bool" => ConditionKeyType::Bool,
            "ArrayOfBool" => ConditionKeyType::ArrayOfBool,
            "Numeric" => ConditionKeyType::Numeric,
            "Date" => ConditionKeyType::Date,
            "IPAddress" => ConditionKeyType::IpAddress,
            "Binary" => ConditionKeyType::Binary,
            _ => ConditionKeyType::String,
        }
    }

    /// Whether a key of this type can carry several values in one request.
    pub fn is_multivalued(self) -> bool {
        matches!(
            self,
            ConditionKeyType::ArrayOfString
                | ConditionKeyType::ArrayOfArn
                | ConditionKeyType::ArrayOfBool
        )
    }
}

/// One action of a service.
#[derive(Debug, Clone)]
pub struct ActionInfo {
    /// The action name as AWS spells it (`GetObject`).
    pub name: String,
    /// Its access level.
    pub access_level: AccessLevel,
    /// The resource types it can be scoped to; empty when it supports only `"Resource": "*"`.
    pub resource_types: Vec<String>,
    /// Condition keys the action supports, beyond those of its resource types.
    pub condition_keys: Vec<String>,
}

impl ActionInfo {
    /// True when the action has no resource-level permissions: the service authorization
    /// reference lists no resource type for it, so only `"Resource": "*"` can grant it.
    pub fn is_wildcard_only(&self) -> bool {
        self.resource_types.is_empty()
    }
}

/// One service of the reference.
#[derive(Debug, Clone)]
pub struct ServiceInfo {
    /// The service prefix as used in actions (`s3`).
    pub prefix: String,
    /// The service's display name (`Amazon S3`).
    pub name: String,
    actions: FxHashMap<String, ActionInfo>,
    condition_keys: FxHashMap<String, (String, ConditionKeyType)>,
    /// ARN formats of the service's resource types, by resource type name.
    pub resource_arns: Vec<(String, String)>,
}

impl ServiceInfo {
    /// The action with this name, compared case-insensitively.
    pub fn action(&self, name: &str) -> Option<&ActionInfo> {
        if name.bytes().any(|b| b.is_ascii_uppercase()) {
            self.actions.get(&name.to_ascii_lowercase())
        } else {
            self.actions.get(name)
        }
    }

    /// Number of actions of the service.
    pub fn action_count(&self) -> usize {
        self.actions.len()
    }

    /// Every action of the service, in no particular order.
    pub fn actions(&self) -> impl Iterator<Item = &ActionInfo> {
        self.actions.values()
    }

    /// The lower-cased names of the service's actions, in no particular order.
    pub fn lowercase_action_names(&self) -> impl Iterator<Item = &str> {
        self.actions.keys().map(String::as_str)
    }

    /// The type of a service condition key such as `s3:prefix`, compared case-insensitively.
    pub fn condition_key_type(&self, key: &str) -> Option<ConditionKeyType> {
        self.condition_keys
            .get(&key.to_ascii_lowercase())
            .map(|(_, t)| *t)
    }
}

/// A global condition key such as `aws:SourceIp`.
#[derive(Debug, Clone)]
pub struct GlobalConditionKey {
    /// The key as AWS spells it; tag keys end in `/tag-key`.
    pub key: String,
    /// Its data type.
    pub kind: ConditionKeyType,
}

#[derive(Deserialize)]
struct RawReference {
    services: FxHashMap<String, RawService>,
    #[serde(rename = "rcpSupportedServices", default)]
    rcp_supported_services: Vec<String>,
}

#[derive(Deserialize)]
struct RawService {
    name: String,
    actions: FxHashMap<String, RawAction>,
    #[serde(rename = "resourceTypes")]
    resource_types: FxHashMap<String, RawResourceType>,
    #[serde(rename = "conditionKeys")]
    condition_keys: FxHashMap<String, RawConditionKey>,
}

#[derive(Deserialize)]
struct RawAction {
    #[serde(rename = "accessLevel")]
    access_level: String,
    #[serde(rename = "resourceTypes")]
    resource_types: Vec<RawActionResource>,
    #[serde(rename = "conditionKeys")]
    condition_keys: Vec<String>,
}

#[derive(Deserialize)]
struct RawActionResource {
    name: String,
}

#[derive(Deserialize)]
struct RawResourceType {
    arn: String,
}

#[derive(Deserialize)]
struct RawConditionKey {
    #[serde(rename = "type")]
    kind: String,
}

#[derive(Deserialize)]
struct RawGlobalKey {
    key: String,
    #[serde(rename = "type")]
    kind: String,
}

/// Parses the embedded reference. The data is compiled into the binary and checked by
/// this crate's tests, so a failure here is a build defect, not an input error.
pub(crate) fn load(reference: &str, supplement: &str, global_keys: &str) -> Catalog {
    let mut raw: RawReference =
        serde_json::from_str(reference).expect("embedded service authorization reference");
    let extra: RawReference =
        serde_json::from_str(supplement).expect("embedded reference supplement");
    for (prefix, s) in extra.services {
        let Some(service) = raw.services.get_mut(&prefix) else {
            raw.services.insert(prefix, s);
            continue;
        };
        for (name, a) in s.actions {
            service.actions.entry(name).or_insert(a);
        }
        for (name, r) in s.resource_types {
            service.resource_types.entry(name).or_insert(r);
        }
        for (name, k) in s.condition_keys {
            service.condition_keys.entry(name).or_insert(k);
        }
    }
    let globals: Vec<RawGlobalKey> =
        serde_json::from_str(global_keys).expect("embedded global condition keys");
    let services = raw
        .services
        .into_iter()
        .map(|(prefix, s)| {
            let actions = s
                .actions
                .into_iter()
                .map(|(name, a)| {
                    let info = ActionInfo {
                        access_level: AccessLevel::parse(&a.access_level),
                        resource_types: a.resource_types.into_iter().map(|r| r.name).collect(),
                        condition_keys: a.condition_keys,
                        name: name.clone(),
                    };
                    (name.to_ascii_lowercase(), info)
                })
                .collect();
            let condition_keys = s
                .condition_keys
                .into_iter()
                .map(|(k, v)| {
                    (
                        k.to_ascii_lowercase(),
                        (k, ConditionKeyType::parse(&v.kind)),
                    )
                })
                .collect();
            let mut resource_arns: Vec<(String, String)> = s
                .resource_types
                .into_iter()
                .map(|(name, r)| (name, r.arn))
                .collect();
            resource_arns.sort();
            let info = ServiceInfo {
                prefix: prefix.clone(),
                name: s.name,
                actions,
                condition_keys,
                resource_arns,
            };
            (prefix.to_ascii_lowercase(), info)
        })
        .collect();
    let rcp_supported: FxHashSet<String> = raw
        .rcp_supported_services
        .into_iter()
        .map(|s| s.to_ascii_lowercase())
        .collect();
    let global_keys = globals
        .into_iter()
        .map(|g| GlobalConditionKey {
            kind: ConditionKeyType::parse(&g.kind),
            key: g.key,
        })
        .collect();
    Catalog {
        services,
        rcp_supported,
        global_keys,
    }
}
