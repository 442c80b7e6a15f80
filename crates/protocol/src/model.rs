//! The IAM and STS API models (botocore `service-2.json`), loaded once into Rust types.
//!
//! The models are the one source of truth for the API surface: operation names, input and
//! output shapes, wire names, constraints, error codes and HTTP statuses all come from them.
//!
//! The embedded model files have their keys sorted, which loses the order in which a structure
//! declares its members. AWS writes response elements and reports validation errors in that
//! declared order, so `member_order.json` (beside this file) restores it: for every structure
//! whose declared order is not alphabetical it lists the members in the order of botocore's
//! original file. A test checks the table against the embedded model (same members) and, when
//! `../shared/data/botocore` is present, against the original order.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use rustc_hash::FxHashMap;
use serde_json::Value;

use super::paginators::Paginator;
use super::pattern::{Pattern, PatternError};

const IAM_MODEL: &str = include_str!("../data/iam-service-2.json");
const STS_MODEL: &str = include_str!("../data/sts-service-2.json");
const IAM_PAGINATORS: &str = include_str!("../data/iam-paginators-1.json");
const STS_PAGINATORS: &str = include_str!("../data/sts-paginators-1.json");
const MEMBER_ORDER: &str = include_str!("member_order.json");

/// The shape whose string members AWS returns URL-encoded (RFC 3986) in responses.
const URL_ENCODED_OUTPUT_SHAPES: &[&str] = &["policyDocumentType"];

/// The two services Portcullis serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Service {
    /// AWS Identity and Access Management, API version 2010-05-08.
    Iam,
    /// AWS Security Token Service, API version 2011-06-15.
    Sts,
}

impl Service {
    /// Both services.
    pub const ALL: [Service; 2] = [Service::Iam, Service::Sts];

    /// The model of this service.
    pub fn model(self) -> &'static Model {
        match self {
            Service::Iam => Model::iam(),
            Service::Sts => Model::sts(),
        }
    }

    /// `iam` or `sts`: the SigV4 scope service and the IAM action prefix.
    pub fn signing_name(self) -> &'static str {
        match self {
            Service::Iam => "iam",
            Service::Sts => "sts",
        }
    }
}

/// An index into [`Model::shape`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ShapeId(u32);

/// A loaded service model.
#[derive(Debug)]
pub struct Model {
    service: Service,
    api_version: String,
    xml_namespace: String,
    service_id: String,
    operations: Vec<Operation>,
    operation_index: FxHashMap<String, usize>,
    shapes: Vec<Shape>,
    shape_index: FxHashMap<String, ShapeId>,
    errors: Vec<ErrorShape>,
    error_by_code: FxHashMap<String, usize>,
    error_by_shape: FxHashMap<String, usize>,
}

/// One API operation.
#[derive(Debug)]
pub struct Operation {
    /// `CreateRole`.
    pub name: String,
    /// The input structure, if the operation takes parameters.
    pub input: Option<ShapeId>,
    /// The output structure, if the operation returns a result.
    pub output: Option<ShapeId>,
    /// `CreateRoleResult`: the element that wraps the output in the response.
    pub result_wrapper: Option<String>,
    /// `CreateRoleResponse`: the root element of the response.
    pub response_element: String,
    /// The error shapes the model lists for the operation (`NoSuchEntityException`, …).
    pub errors: Vec<String>,
    /// True for the operations AWS serves without a signature
    /// (`AssumeRoleWithWebIdentity`, `AssumeRoleWithSAML`).
    pub unsigned: bool,
    /// Pagination keys, from `paginators-1.json`.
    pub paginator: Option<Paginator>,
}

/// A named shape.
#[derive(Debug)]
pub struct Shape {
    /// The model's name for the shape (`roleNameType`).
    pub name: String,
    /// What kind of value it is, with its constraints.
    pub kind: ShapeKind,
    /// AWS never echoes a sensitive value (passwords, secrets, tokens) in a message.
    pub sensitive: bool,
}

/// The kinds of shapes in the models.
#[derive(Debug)]
pub enum ShapeKind {
    /// A structure of named members.
    Structure(Structure),
    /// A list of one element shape.
    List(ListShape),
    /// A map from key shape to value shape.
    Map(MapShape),
    /// A string, with its constraints.
    String(StringShape),
    /// `integer` and `long`.
    Integer(IntegerShape),
    /// `float` and `double` (not used by IAM or STS; decoded and encoded as JSON numbers).
    Float,
    /// `boolean`.
    Boolean,
    /// `timestamp` (ISO 8601 on the wire).
    Timestamp,
    /// `blob` (base64 on the wire).
    Blob(BlobShape),
}

/// A structure shape.
#[derive(Debug)]
pub struct Structure {
    /// Members in the order the model declares them.
    pub members: Vec<Member>,
    /// For exception shapes: the wire error code and HTTP status.
    pub error: Option<ErrorShape>,
    /// A union: at most one member is set.
    pub union: bool,
}

/// A member of a structure.
#[derive(Debug)]
pub struct Member {
    /// The member name (`RoleName`), which is also the key in decoded and encoded JSON values.
    pub name: String,
    /// The name on the wire: the Query parameter segment and the XML element
    /// (`locationName` when the model gives one, else the member name).
    pub wire_name: String,
    /// The name in validation messages: the member name with its first letter in lower case
    /// (`roleName`, `sAMLMetadataDocument`), as AWS writes it.
    pub path_name: String,
    /// The member's shape.
    pub shape: ShapeId,
    /// Listed in the structure's `required`.
    pub required: bool,
}

/// A list shape.
#[derive(Debug)]
pub struct ListShape {
    /// The element shape.
    pub member: ShapeId,
    /// The element name on the wire (`member` unless the model names it).
    pub member_name: String,
    /// A flattened list has no `member` level.
    pub flattened: bool,
    /// The fewest elements.
    pub min: Option<u64>,
    /// The most elements.
    pub max: Option<u64>,
}

/// A map shape.
#[derive(Debug)]
pub struct MapShape {
    /// The key shape.
    pub key: ShapeId,
    /// The value shape.
    pub value: ShapeId,
    /// `key` unless the model names it.
    pub key_name: String,
    /// `value` unless the model names it.
    pub value_name: String,
    /// A flattened map has no `entry` level.
    pub flattened: bool,
    /// The fewest entries.
    pub min: Option<u64>,
    /// The most entries.
    pub max: Option<u64>,
}

/// A string shape and its constraints.
#[derive(Debug)]
pub struct StringShape {
    /// The shortest length, in characters.
    pub min: Option<u64>,
    /// The longest length, in characters.
    pub max: Option<u64>,
    /// The pattern the whole value must match.
    pub pattern: Option<Pattern>,
    /// The only values allowed, for an enum.
    pub enum_values: Option<Vec<String>>,
    /// Written URL-encoded (RFC 3986) in responses, as IAM does for policy documents.
    pub url_encoded: bool,
}

/// An integer or long shape and its range.
#[derive(Debug)]
pub struct IntegerShape {
    /// The smallest value.
    pub min: Option<i64>,
    /// The largest value.
    pub max: Option<i64>,
    /// `long` rather than `integer`.
    pub long: bool,
}

/// A blob shape (base64 on the wire).
#[derive(Debug)]
pub struct BlobShape {
    /// The fewest bytes.
    pub min: Option<u64>,
    /// The most bytes.
    pub max: Option<u64>,
}

/// An exception shape of the model: its wire code and HTTP status.
#[derive(Clone, Debug)]
pub struct ErrorShape {
    /// The shape name (`NoSuchEntityException`).
    pub shape: String,
    /// The code on the wire (`NoSuchEntity`).
    pub code: String,
    /// The HTTP status (`404`).
    pub status: u16,
    /// `Sender` rather than `Receiver` in the error response.
    pub sender_fault: bool,
}

/// A model that does not load (only possible if the embedded files are broken).
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// A file is not JSON.
    #[error("model JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// A file is JSON but not a model this crate reads.
    #[error("model: {0}")]
    Invalid(String),
    /// A pattern does not compile.
    #[error(transparent)]
    Pattern(#[from] PatternError),
}

impl Model {
    /// The IAM model, loaded on first use.
    pub fn iam() -> &'static Model {
        static IAM: OnceLock<Model> = OnceLock::new();
        IAM.get_or_init(|| {
            Model::load(Service::Iam, IAM_MODEL, IAM_PAGINATORS).expect("embedded IAM model")
        })
    }

    /// The STS model, loaded on first use.
    pub fn sts() -> &'static Model {
        static STS: OnceLock<Model> = OnceLock::new();
        STS.get_or_init(|| {
            Model::load(Service::Sts, STS_MODEL, STS_PAGINATORS).expect("embedded STS model")
        })
    }

    /// The model whose API version is `version` (`2010-05-08` or `2011-06-15`).
    pub fn for_version(version: &str) -> Option<&'static Model> {
        Service::ALL
            .into_iter()
            .map(Service::model)
            .find(|m| m.api_version == version)
    }

    /// Which service this is.
    pub fn service(&self) -> Service {
        self.service
    }

    /// `2010-05-08` (IAM) or `2011-06-15` (STS).
    pub fn api_version(&self) -> &str {
        &self.api_version
    }

    /// `https://iam.amazonaws.com/doc/2010-05-08/` or `https://sts.amazonaws.com/doc/2011-06-15/`.
    pub fn xml_namespace(&self) -> &str {
        &self.xml_namespace
    }

    /// `IAM` or `STS`.
    pub fn service_id(&self) -> &str {
        &self.service_id
    }

    /// The operation named `name` (case-sensitive, as AWS matches `Action`).
    pub fn operation(&self, name: &str) -> Option<&Operation> {
        self.operation_index.get(name).map(|&i| &self.operations[i])
    }

    /// All operations, sorted by name.
    pub fn operations(&self) -> impl ExactSizeIterator<Item = &Operation> {
        self.operations.iter()
    }

    /// The shape behind an id.
    pub fn shape(&self, id: ShapeId) -> &Shape {
        &self.shapes[id.0 as usize]
    }

    /// The shape named `name`.
    pub fn shape_by_name(&self, name: &str) -> Option<(ShapeId, &Shape)> {
        self.shape_index.get(name).map(|&id| (id, self.shape(id)))
    }

    /// The structure behind an id, if it is one.
    pub fn structure(&self, id: ShapeId) -> Option<&Structure> {
        match &self.shape(id).kind {
            ShapeKind::Structure(s) => Some(s),
            _ => None,
        }
    }

    /// The model's exception with wire code `code` (`NoSuchEntity`).
    pub fn error(&self, code: &str) -> Option<&ErrorShape> {
        self.error_by_code.get(code).map(|&i| &self.errors[i])
    }

    /// The model's exception shape named `shape` (`NoSuchEntityException`).
    pub fn error_by_shape(&self, shape: &str) -> Option<&ErrorShape> {
        self.error_by_shape.get(shape).map(|&i| &self.errors[i])
    }

    /// All exception shapes of the model.
    pub fn errors(&self) -> impl ExactSizeIterator<Item = &ErrorShape> {
        self.errors.iter()
    }

    /// True when the shape, or anything inside it, is sensitive.
    pub fn contains_sensitive(&self, id: ShapeId) -> bool {
        fn walk(model: &Model, id: ShapeId, depth: usize) -> bool {
            let shape = model.shape(id);
            if shape.sensitive {
                return true;
            }
            if depth > 16 {
                return false;
            }
            match &shape.kind {
                ShapeKind::Structure(s) => {
                    s.members.iter().any(|m| walk(model, m.shape, depth + 1))
                }
                ShapeKind::List(l) => walk(model, l.member, depth + 1),
                ShapeKind::Map(m) => {
                    walk(model, m.key, depth + 1) || walk(model, m.value, depth + 1)
                }
                _ => false,
            }
        }
        walk(self, id, 0)
    }

    fn load(service: Service, json: &str, paginators: &str) -> Result<Model, ModelError> {
        let root: Value = serde_json::from_str(json)?;
        let order: Value = serde_json::from_str(MEMBER_ORDER)?;
        let order = order
            .get(service.signing_name())
            .and_then(Value::as_object)
            .ok_or_else(|| ModelError::Invalid("member_order.json lacks the service".into()))?;
        let pages: Value = serde_json::from_str(paginators)?;
        let pages = pages.get("pagination").and_then(Value::as_object);

        let invalid = |what: String| ModelError::Invalid(what);
        let metadata = root
            .get("metadata")
            .ok_or_else(|| invalid("no metadata".into()))?;
        let meta = |key: &str| -> Result<String, ModelError> {
            metadata
                .get(key)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| invalid(format!("metadata.{key}")))
        };
        let shapes_json = root
            .get("shapes")
            .and_then(Value::as_object)
            .ok_or_else(|| invalid("no shapes".into()))?;

        // Ids first, so that shapes can refer to each other in any order.
        let mut shape_index = FxHashMap::default();
        for (i, name) in shapes_json.keys().enumerate() {
            shape_index.insert(name.clone(), ShapeId(i as u32));
        }
        let resolve = |target: Option<&Value>, from: &str| -> Result<ShapeId, ModelError> {
            target
                .and_then(|t| t.get("shape"))
                .and_then(Value::as_str)
                .and_then(|name| shape_index.get(name).copied())
                .ok_or_else(|| invalid(format!("unresolved shape reference in {from}")))
        };
        let uint = |v: &Value, key: &str| v.get(key).and_then(Value::as_u64);
        let int = |v: &Value, key: &str| v.get(key).and_then(Value::as_i64);

        let mut shapes = Vec::with_capacity(shapes_json.len());
        let mut errors = Vec::new();
        for (name, def) in shapes_json {
            let ty = def
                .get("type")
                .and_then(Value::as_str)
                .ok_or_else(|| invalid(format!("{name}: no type")))?;
            let kind = match ty {
                "structure" => {
                    let members_json = def
                        .get("members")
                        .and_then(Value::as_object)
                        .ok_or_else(|| invalid(format!("{name}: no members")))?;
                    let required: Vec<&str> = def
                        .get("required")
                        .and_then(Value::as_array)
                        .map(|r| r.iter().filter_map(Value::as_str).collect())
                        .unwrap_or_default();
                    let mut names: Vec<&str> = members_json.keys().map(String::as_str).collect();
                    if let Some(declared) = order.get(name).and_then(Value::as_array) {
                        let declared: Vec<&str> =
                            declared.iter().filter_map(Value::as_str).collect();
                        let mut a = declared.clone();
                        let mut b = names.clone();
                        a.sort_unstable();
                        b.sort_unstable();
                        if a != b {
                            return Err(invalid(format!(
                                "member_order.json disagrees with the model on {name}"
                            )));
                        }
                        names = declared;
                    }
                    let mut members = Vec::with_capacity(names.len());
                    for member in names {
                        let target = &members_json[member];
                        let wire_name = target
                            .get("locationName")
                            .and_then(Value::as_str)
                            .unwrap_or(member)
                            .to_owned();
                        members.push(Member {
                            name: member.to_owned(),
                            wire_name,
                            path_name: lower_camel(member),
                            shape: resolve(Some(target), name)?,
                            required: required.contains(&member),
                        });
                    }
                    let error = if def.get("exception").and_then(Value::as_bool) == Some(true) {
                        let e = def.get("error");
                        let code = e
                            .and_then(|e| e.get("code"))
                            .and_then(Value::as_str)
                            .unwrap_or(name)
                            .to_owned();
                        // The Query protocol's default status for a modelled error is 400.
                        let status = e
                            .and_then(|e| e.get("httpStatusCode"))
                            .and_then(Value::as_u64)
                            .map(|s| s as u16)
                            .unwrap_or(400);
                        let sender_fault = e
                            .and_then(|e| e.get("senderFault"))
                            .and_then(Value::as_bool)
                            .unwrap_or(status < 500);
                        let shape = ErrorShape {
                            shape: name.clone(),
                            code,
                            status,
                            sender_fault,
                        };
                        errors.push(shape.clone());
                        Some(shape)
                    } else {
                        None
                    };
                    ShapeKind::Structure(Structure {
                        members,
                        error,
                        union: def.get("union").and_then(Value::as_bool) == Some(true),
                    })
                }
                "list" => {
                    let member = def.get("member");
                    ShapeKind::List(ListShape {
                        member: resolve(member, name)?,
                        member_name: member
                            .and_then(|m| m.get("locationName"))
                            .and_then(Value::as_str)
                            .unwrap_or("member")
                            .to_owned(),
                        flattened: def.get("flattened").and_then(Value::as_bool) == Some(true),
                        min: uint(def, "min"),
                        max: uint(def, "max"),
                    })
                }
                "map" => {
                    let key = def.get("key");
                    let value = def.get("value");
                    let loc = |v: Option<&Value>, default: &str| {
                        v.and_then(|v| v.get("locationName"))
                            .and_then(Value::as_str)
                            .unwrap_or(default)
                            .to_owned()
                    };
                    ShapeKind::Map(MapShape {
                        key: resolve(key, name)?,
                        value: resolve(value, name)?,
                        key_name: loc(key, "key"),
                        value_name: loc(value, "value"),
                        flattened: def.get("flattened").and_then(Value::as_bool) == Some(true),
                        min: uint(def, "min"),
                        max: uint(def, "max"),
                    })
                }
                "string" => ShapeKind::String(StringShape {
                    min: uint(def, "min"),
                    max: uint(def, "max"),
                    pattern: def
                        .get("pattern")
                        .and_then(Value::as_str)
                        .map(Pattern::new)
                        .transpose()?,
                    enum_values: def.get("enum").and_then(Value::as_array).map(|values| {
                        values
                            .iter()
                            .filter_map(Value::as_str)
                            .map(str::to_owned)
                            .collect()
                    }),
                    url_encoded: URL_ENCODED_OUTPUT_SHAPES.contains(&name.as_str()),
                }),
                "integer" | "long" => ShapeKind::Integer(IntegerShape {
                    min: int(def, "min"),
                    max: int(def, "max"),
                    long: ty == "long",
                }),
                "float" | "double" => ShapeKind::Float,
                "boolean" => ShapeKind::Boolean,
                "timestamp" => ShapeKind::Timestamp,
                "blob" => ShapeKind::Blob(BlobShape {
                    min: uint(def, "min"),
                    max: uint(def, "max"),
                }),
                other => return Err(invalid(format!("{name}: unknown type {other}"))),
            };
            shapes.push(Shape {
                name: name.clone(),
                kind,
                sensitive: def.get("sensitive").and_then(Value::as_bool) == Some(true),
            });
        }

        let ops_json = root
            .get("operations")
            .and_then(Value::as_object)
            .ok_or_else(|| invalid("no operations".into()))?;
        let mut sorted: BTreeMap<&str, &Value> = BTreeMap::new();
        for (name, def) in ops_json {
            sorted.insert(name, def);
        }
        let mut operations = Vec::with_capacity(sorted.len());
        let mut operation_index = FxHashMap::default();
        for (name, def) in sorted {
            let input = def
                .get("input")
                .map(|i| resolve(Some(i), name))
                .transpose()?;
            let output = def
                .get("output")
                .map(|o| resolve(Some(o), name))
                .transpose()?;
            let result_wrapper = def
                .get("output")
                .and_then(|o| o.get("resultWrapper"))
                .and_then(Value::as_str)
                .map(str::to_owned);
            let op_errors = def
                .get("errors")
                .and_then(Value::as_array)
                .map(|e| {
                    e.iter()
                        .filter_map(|e| e.get("shape").and_then(Value::as_str))
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default();
            let unsigned = def.get("authtype").and_then(Value::as_str) == Some("none")
                || def
                    .get("auth")
                    .and_then(Value::as_array)
                    .is_some_and(|a| a.iter().any(|v| v.as_str() == Some("smithy.api#noAuth")));
            let paginator = pages
                .and_then(|p| p.get(name))
                .map(Paginator::from_json)
                .transpose()
                .map_err(|e| invalid(format!("paginator {name}: {e}")))?;
            operation_index.insert(name.to_owned(), operations.len());
            operations.push(Operation {
                name: name.to_owned(),
                input,
                output,
                result_wrapper,
                response_element: format!("{name}Response"),
                errors: op_errors,
                unsigned,
                paginator,
            });
        }

        let mut error_by_code = FxHashMap::default();
        let mut error_by_shape = FxHashMap::default();
        for (i, e) in errors.iter().enumerate() {
            error_by_code.entry(e.code.clone()).or_insert(i);
            error_by_shape.insert(e.shape.clone(), i);
        }

        Ok(Model {
            service,
            api_version: meta("apiVersion")?,
            xml_namespace: meta("xmlNamespace")?,
            service_id: meta("serviceId")?,
            operations,
            operation_index,
            shapes,
            shape_index,
            errors,
            error_by_code,
            error_by_shape,
        })
    }
}

/// `RoleName` → `roleName`, `SAMLMetadataDocument` → `sAMLMetadataDocument` (AWS lowers only the
/// first letter in validation paths, e.g. OpenSearch's `sAMLOptions`).
fn lower_camel(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata() {
        let iam = Model::iam();
        assert_eq!(iam.service(), Service::Iam);
        assert_eq!(iam.api_version(), "2010-05-08");
        assert_eq!(
            iam.xml_namespace(),
            "https://iam.amazonaws.com/doc/2010-05-08/"
        );
        let sts = Model::sts();
        assert_eq!(sts.api_version(), "2011-06-15");
        assert_eq!(
            sts.xml_namespace(),
            "https://sts.amazonaws.com/doc/2011-06-15/"
        );
        assert!(std::ptr::eq(Model::for_version("2011-06-15").unwrap(), sts));
        assert!(Model::for_version("2012-10-17").is_none());
    }

    #[test]
    fn operation_counts() {
        assert_eq!(Model::iam().operations().len(), 210);
        assert_eq!(Model::sts().operations().len(), 15);
    }

    #[test]
    fn create_role_shape() {
        let iam = Model::iam();
        let op = iam.operation("CreateRole").unwrap();
        assert_eq!(op.response_element, "CreateRoleResponse");
        assert_eq!(op.result_wrapper.as_deref(), Some("CreateRoleResult"));
        assert!(!op.unsigned);
        let input = iam.structure(op.input.unwrap()).unwrap();
        let names: Vec<&str> = input.members.iter().map(|m| m.name.as_str()).collect();
        // botocore's declared order, not the sorted order of the embedded file.
        assert_eq!(
            names,
            [
                "Path",
                "RoleName",
                "AssumeRolePolicyDocument",
                "Description",
                "MaxSessionDuration",
                "MaxSigninSessionDuration",
                "PermissionsBoundary",
                "Tags"
            ]
        );
        let role_name = &input.members[1];
        assert!(role_name.required);
        assert_eq!(role_name.path_name, "roleName");
        let ShapeKind::String(s) = &iam.shape(role_name.shape).kind else {
            panic!("roleNameType is a string");
        };
        assert_eq!((s.min, s.max), (Some(1), Some(64)));
        assert_eq!(s.pattern.as_ref().unwrap().source(), r"[\w+=,.@-]+");
        assert!(iam.operation("DeleteRole").unwrap().output.is_none());
        assert!(iam.operation("createRole").is_none());
    }

    #[test]
    fn unsigned_operations() {
        let sts = Model::sts();
        let unsigned: Vec<&str> = sts
            .operations()
            .filter(|o| o.unsigned)
            .map(|o| o.name.as_str())
            .collect();
        assert_eq!(
            unsigned,
            ["AssumeRoleWithSAML", "AssumeRoleWithWebIdentity"]
        );
        assert!(Model::iam().operations().all(|o| !o.unsigned));
    }

    #[test]
    fn error_codes_and_statuses_from_the_model() {
        let iam = Model::iam();
        for (code, status) in [
            ("NoSuchEntity", 404),
            ("EntityAlreadyExists", 409),
            ("MalformedPolicyDocument", 400),
            ("LimitExceeded", 409),
            ("DeleteConflict", 409),
            ("InvalidInput", 400),
            ("UnmodifiableEntity", 400),
            ("ServiceFailure", 500),
            ("ConcurrentModification", 409),
            ("ReportInProgress", 404),
            ("ReportExpired", 410),
        ] {
            let e = iam.error(code).unwrap_or_else(|| panic!("{code}"));
            assert_eq!(e.status, status, "{code}");
            assert_eq!(e.sender_fault, status < 500, "{code}");
        }
        assert_eq!(
            iam.error_by_shape("NoSuchEntityException").unwrap().code,
            "NoSuchEntity"
        );
        // Without an `error` object the code is the shape name and the status 400.
        let e = iam.error_by_shape("OrganizationNotFoundException").unwrap();
        assert_eq!(
            (e.code.as_str(), e.status),
            ("OrganizationNotFoundException", 400)
        );
        let sts = Model::sts();
        assert_eq!(sts.error("IDPRejectedClaim").unwrap().status, 403);
        assert_eq!(sts.error("ExpiredTokenException").unwrap().status, 400);
        assert_eq!(sts.error("RegionDisabledException").unwrap().status, 403);
    }

    #[test]
    fn policy_documents_are_url_encoded_in_output() {
        let iam = Model::iam();
        let (_, shape) = iam.shape_by_name("policyDocumentType").unwrap();
        let ShapeKind::String(s) = &shape.kind else {
            panic!()
        };
        assert!(s.url_encoded);
        let (_, saml) = iam.shape_by_name("SAMLMetadataDocumentType").unwrap();
        let ShapeKind::String(s) = &saml.kind else {
            panic!()
        };
        assert!(!s.url_encoded);
    }

    #[test]
    fn sensitive_shapes() {
        let iam = Model::iam();
        let (id, shape) = iam.shape_by_name("passwordType").unwrap();
        assert!(shape.sensitive);
        assert!(iam.contains_sensitive(id));
        let (access_key, _) = iam.shape_by_name("AccessKey").unwrap();
        assert!(iam.contains_sensitive(access_key));
        let (tag, _) = iam.shape_by_name("Tag").unwrap();
        assert!(!iam.contains_sensitive(tag));
    }

    #[test]
    fn every_pattern_compiles() {
        // Loading the models compiles every pattern; a failure would panic here.
        for service in Service::ALL {
            let model = service.model();
            let n = model
                .shapes
                .iter()
                .filter(|s| matches!(&s.kind, ShapeKind::String(s) if s.pattern.is_some()))
                .count();
            assert!(n > 10);
        }
    }

    #[test]
    fn lower_camel_case() {
        assert_eq!(lower_camel("RoleName"), "roleName");
        assert_eq!(lower_camel("SAMLMetadataDocument"), "sAMLMetadataDocument");
        assert_eq!(lower_camel(""), "");
    }

    /// The order table holds exactly the structures of the embedded model whose declared
    /// order differs from the sorted one; with the original botocore files at hand (the
    /// project's `shared/data/botocore`), it must equal their declared order. Set
    /// `PORTCULLIS_REGENERATE_MEMBER_ORDER=1` to rewrite the table from those files (a shape
    /// whose members differ from the vendored model's keeps its entry).
    #[test]
    fn member_order_table_is_up_to_date() {
        let table: Value = serde_json::from_str(MEMBER_ORDER).unwrap();
        for (service, json) in [("iam", IAM_MODEL), ("sts", STS_MODEL)] {
            let model: Value = serde_json::from_str(json).unwrap();
            let shapes = model["shapes"].as_object().unwrap();
            for (name, order) in table[service].as_object().unwrap() {
                let members = shapes[name]["members"].as_object().unwrap();
                let mut listed: Vec<&str> = order
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter_map(Value::as_str)
                    .collect();
                listed.sort_unstable();
                let mut actual: Vec<&str> = members.keys().map(String::as_str).collect();
                actual.sort_unstable();
                assert_eq!(listed, actual, "{service} {name}");
            }
        }

        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/botocore");
        let mut generated = String::from("{\n");
        for (i, service) in ["iam", "sts"].into_iter().enumerate() {
            let Ok(text) = std::fs::read_to_string(dir.join(format!("{service}-service-2.json")))
            else {
                return; // The original files are not beside this checkout.
            };
            let original: Value = serde_json::from_str(&text).unwrap();
            let vendored: Value = serde_json::from_str(if service == "iam" {
                IAM_MODEL
            } else {
                STS_MODEL
            })
            .unwrap();
            let members_of = |model: &Value, name: &str| -> Option<Vec<String>> {
                let mut names: Vec<String> = model["shapes"][name]["members"]
                    .as_object()?
                    .keys()
                    .cloned()
                    .collect();
                names.sort();
                Some(names)
            };
            let mut lines = Vec::new();
            // The original files beside the checkout may be a newer botocore than the
            // vendored model: a shape whose members differ keeps the table's entry.
            let mut names: Vec<&String> = original["shapes"].as_object().unwrap().keys().collect();
            for name in table[service].as_object().unwrap().keys() {
                if members_of(&original, name) != members_of(&vendored, name) {
                    names.push(name);
                }
            }
            names.sort();
            names.dedup();
            for name in names {
                let shape = &original["shapes"][name.as_str()];
                if members_of(&original, name) != members_of(&vendored, name) {
                    if let Some(kept) = table[service].get(name.as_str()) {
                        lines.push(format!(
                            "  {}: {}",
                            serde_json::to_string(name).unwrap(),
                            serde_json::to_string(kept).unwrap()
                        ));
                    }
                    continue;
                }
                if shape["type"] != "structure" {
                    continue;
                }
                let names: Vec<&String> = shape["members"].as_object().unwrap().keys().collect();
                let mut sorted = names.clone();
                sorted.sort();
                if names != sorted {
                    lines.push(format!(
                        "  {}: {}",
                        serde_json::to_string(name).unwrap(),
                        serde_json::to_string(&names).unwrap()
                    ));
                }
            }
            generated.push_str(&format!(" \"{service}\": {{\n"));
            generated.push_str(&lines.join(",\n"));
            generated.push_str(if i == 0 { "\n },\n" } else { "\n }\n" });
        }
        generated.push_str("}\n");
        if std::env::var_os("PORTCULLIS_REGENERATE_MEMBER_ORDER").is_some() {
            let path =
                std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/member_order.json");
            std::fs::write(path, &generated).unwrap();
        } else {
            assert_eq!(
                generated, MEMBER_ORDER,
                "member_order.json is stale: rerun with PORTCULLIS_REGENERATE_MEMBER_ORDER=1"
            );
        }
    }
}
