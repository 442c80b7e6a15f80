//! Query parameters → the operation's input as a JSON object, validated as AWS validates it.
//!
//! The input is keyed by member names (`RoleName`), with strings as JSON strings, integers and
//! longs as numbers, booleans as booleans, timestamps as the strings the client sent and blobs
//! as their base64 text. Lists come from `Name.member.N` (N from 1, in index order), maps from
//! `Name.entry.N.key` / `Name.entry.N.value`, nested structures from `Name.Field`; `Name=` with an
//! empty value is an empty list (that is how botocore sends one). Parameters the input shape does
//! not know are ignored, as AWS ignores them; when a parameter is repeated the first one counts.
//!
//! Errors:
//! - a value that does not parse as its type (`MaxItems=abc`): `MalformedInput` (400), the first
//!   one found;
//! - constraint violations: one `ValidationError` (400) listing every violation, in AWS's
//!   order (see [`aws_order`]), in AWS's words:
//!   `Value at 'roleName' failed to satisfy constraint: Member must satisfy regular
//!   expression pattern: [\w+=,.@-]+` (IAM does not quote the value; STS quotes scalars
//!   that are not sensitive: `Value 'bad name' at 'roleSessionName' …`). Paths are
//!   lowerCamelCase with list positions (`tags.1.member.key`), except that a list of strings is
//!   reported once, at the list, with every constraint of its elements; a missing required
//!   member is `Value null at '…'`. For one string, the pattern is reported before the
//!   length, as STS does.

use std::borrow::Cow;
use std::fmt::Write as _;

use base64::Engine as _;
use serde_json::{Map, Number, Value};

use super::error::AwsError;
use super::model::{Model, Operation, Service, ShapeId, ShapeKind, StringShape};

/// Decoded `(name, value)` pairs, borrowing from the request where no decoding was needed.
pub type Params<'a> = Vec<(Cow<'a, str>, Cow<'a, str>)>;

/// Parses an `application/x-www-form-urlencoded` body (or a query string) into its pairs.
/// Both `+` and `%20` decode to a space.
pub fn parse_form(bytes: &[u8]) -> Params<'_> {
    form_urlencoded::parse(bytes).collect()
}

/// The parameters of a request: those of the query string, then those of the form body.
pub fn parse_request<'a>(query: Option<&'a str>, body: &'a [u8]) -> Params<'a> {
    let mut params = query.map(|q| parse_form(q.as_bytes())).unwrap_or_default();
    params.extend(form_urlencoded::parse(body));
    params
}

/// The first value of parameter `name`.
pub fn find_param<'p, K: AsRef<str>, V: AsRef<str>>(
    params: &'p [(K, V)],
    name: &str,
) -> Option<&'p str> {
    params
        .iter()
        .find(|(k, _)| k.as_ref() == name)
        .map(|(_, v)| v.as_ref())
}

/// Finds the operation a request names with `Action` and `Version`.
///
/// With `service` given (from the SigV4 scope), the request must be for that service; without
/// it, the `Version` picks the service (unsigned STS calls carry only `Action` and `Version`).
/// - no `Action` (or an empty one): `MissingAction` (400);
/// - an unknown `Action`, or a `Version` that is missing or not the service's:
///   `InvalidAction` (400), `Could not find operation X for version V`.
pub fn resolve_operation<K: AsRef<str>, V: AsRef<str>>(
    params: &[(K, V)],
    service: Option<Service>,
) -> Result<(&'static Model, &'static Operation), AwsError> {
    let action = match find_param(params, "Action") {
        Some(a) if !a.is_empty() => a,
        _ => return Err(AwsError::missing_action()),
    };
    let version = find_param(params, "Version").filter(|v| !v.is_empty());
    let model = match service {
        Some(s) => Some(s.model()),
        None => version.and_then(Model::for_version),
    };
    model
        .filter(|m| version == Some(m.api_version()))
        .and_then(|m| m.operation(action).map(|op| (m, op)))
        .ok_or_else(|| AwsError::invalid_action(action, version))
}

/// A decoded request: the operation and its validated input.
#[derive(Debug)]
pub struct Call {
    /// The model of the service called.
    pub model: &'static Model,
    /// The operation called.
    pub operation: &'static Operation,
    /// The input, an object keyed by member names.
    pub input: Value,
}

/// [`resolve_operation`] then [`decode_input`].
pub fn decode<K: AsRef<str>, V: AsRef<str>>(
    params: &[(K, V)],
    service: Option<Service>,
) -> Result<Call, AwsError> {
    let (model, operation) = resolve_operation(params, service)?;
    let input = decode_input(model, operation, params)?;
    Ok(Call {
        model,
        operation,
        input,
    })
}

/// Decodes and validates the input of `op` from the request's parameters (`Action`, `Version`
/// and anything else the input shape does not name are ignored).
pub fn decode_input<K: AsRef<str>, V: AsRef<str>>(
    model: &Model,
    op: &Operation,
    params: &[(K, V)],
) -> Result<Value, AwsError> {
    let Some(input) = op.input else {
        return Ok(Value::Object(Map::new()));
    };
    let mut root = Some(Node::Struct(Vec::new()));
    for (k, v) in params {
        let (key, value) = (k.as_ref(), v.as_ref());
        insert(model, input, &mut root, key, key.split('.'), value);
    }
    let mut ctx = Ctx {
        model,
        violations: Vec::new(),
        malformed: None,
        path: String::with_capacity(64),
        quoted: None,
    };
    let value = ctx.build(input, root.as_ref().expect("root"));
    if let Some(e) = ctx.malformed {
        return Err(e);
    }
    if !ctx.violations.is_empty() {
        return Err(AwsError::validation(&aws_order(ctx.violations)));
    }
    Ok(value)
}

/// Violations in the order AWS lists them. AWS does not follow the order of the members:
/// its answers read `clientIDList`, `thumbprintList`, `url` for CreateOpenIDConnectProvider
/// (declared `Url`, `ClientIDList`, `ThumbprintList`) and `passwordReusePrevention` before
/// `maxPasswordAge` for UpdateAccountPasswordPolicy (declared the other way round), and
/// Cognito's (the same framework) `password` before `username`. Every such answer is the
/// iteration order of a Java `HashMap` keyed by the top-level member's name: by bucket,
/// `(h ^ h >>> 16) & (capacity - 1)` of `String.hashCode`, then in insertion (member)
/// order within a bucket; the table starts at 16 buckets and doubles past 3/4 full. The
/// violations of one member keep their order.
fn aws_order(violations: Vec<String>) -> Vec<String> {
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    for v in violations {
        let member = violation_member(&v).to_owned();
        match groups.iter_mut().find(|(m, _)| *m == member) {
            Some((_, list)) => list.push(v),
            None => groups.push((member, vec![v])),
        }
    }
    let mut capacity: u32 = 16;
    while groups.len() as u32 * 4 > capacity * 3 {
        capacity *= 2;
    }
    // A stable sort keeps insertion order within a bucket.
    groups.sort_by_key(|(m, _)| java_hash_bucket(m, capacity));
    groups.into_iter().flat_map(|(_, list)| list).collect()
}

/// The top-level member a violation is about: the first segment of its quoted path.
fn violation_member(violation: &str) -> &str {
    let path = violation
        .split_once(" at '")
        .and_then(|(_, rest)| rest.split_once('\''))
        .map_or("", |(path, _)| path);
    path.split('.').next().unwrap_or(path)
}

/// The bucket of a `java.util.HashMap` with `capacity` buckets (a power of two) that holds
/// the key `name` (a `String`, hashed as Java hashes it: UTF-16 units, `31 * h + c`).
fn java_hash_bucket(name: &str, capacity: u32) -> u32 {
    let h = name
        .encode_utf16()
        .fold(0u32, |h, c| h.wrapping_mul(31).wrapping_add(u32::from(c)));
    (h ^ (h >> 16)) & (capacity - 1)
}

/// The parameters gathered into the shape's tree, before conversion.
#[derive(Debug)]
enum Node<'p> {
    Scalar {
        key: &'p str,
        value: &'p str,
    },
    /// Members by their index in the structure.
    Struct(Vec<(usize, Node<'p>)>),
    /// Elements by their wire index (unsorted until built).
    List(Vec<(u32, Node<'p>)>),
    Map(Vec<MapEntry<'p>>),
}

#[derive(Debug)]
struct MapEntry<'p> {
    index: u32,
    key: Option<Node<'p>>,
    value: Option<Node<'p>>,
}

fn parse_index(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok().filter(|&n| n >= 1)
}

/// Places one parameter into the tree; a parameter that does not fit the shape is dropped
/// without leaving empty nodes behind.
fn insert<'p, 's>(
    model: &Model,
    id: ShapeId,
    slot: &mut Option<Node<'p>>,
    key: &'p str,
    mut segments: impl Iterator<Item = &'s str>,
    value: &'p str,
) {
    let created = slot.is_none();
    let now_empty = match &model.shape(id).kind {
        ShapeKind::Structure(s) => {
            let Some(seg) = segments.next() else { return };
            let Some(i) = s.members.iter().position(|m| m.wire_name == seg) else {
                return;
            };
            let Node::Struct(children) = slot.get_or_insert_with(|| Node::Struct(Vec::new()))
            else {
                return;
            };
            let pos = children.iter().position(|(j, _)| *j == i);
            let mut child =
                pos.map(|p| std::mem::replace(&mut children[p].1, Node::List(Vec::new())));
            insert(model, s.members[i].shape, &mut child, key, segments, value);
            put_back(children, pos, i, child);
            children.is_empty()
        }
        ShapeKind::List(l) => {
            let Some(mut seg) = segments.next() else {
                // `Tags=`: the empty list.
                if value.is_empty() && created {
                    *slot = Some(Node::List(Vec::new()));
                }
                return;
            };
            if !l.flattened {
                if seg != l.member_name {
                    return;
                }
                let Some(s) = segments.next() else { return };
                seg = s;
            }
            let Some(index) = parse_index(seg) else {
                return;
            };
            let Node::List(items) = slot.get_or_insert_with(|| Node::List(Vec::new())) else {
                return;
            };
            let pos = items.iter().position(|(i, _)| *i == index);
            let mut child = pos.map(|p| std::mem::replace(&mut items[p].1, Node::List(Vec::new())));
            insert(model, l.member, &mut child, key, segments, value);
            put_back(items, pos, index, child);
            items.is_empty()
        }
        ShapeKind::Map(m) => {
            let Some(mut seg) = segments.next() else {
                return;
            };
            if !m.flattened {
                if seg != "entry" {
                    return;
                }
                let Some(s) = segments.next() else { return };
                seg = s;
            }
            let Some(index) = parse_index(seg) else {
                return;
            };
            let Some(which) = segments.next() else { return };
            let (is_key, shape) = if which == m.key_name {
                (true, m.key)
            } else if which == m.value_name {
                (false, m.value)
            } else {
                return;
            };
            let Node::Map(entries) = slot.get_or_insert_with(|| Node::Map(Vec::new())) else {
                return;
            };
            let pos = match entries.iter().position(|e| e.index == index) {
                Some(p) => p,
                None => {
                    entries.push(MapEntry {
                        index,
                        key: None,
                        value: None,
                    });
                    entries.len() - 1
                }
            };
            let target = if is_key {
                &mut entries[pos].key
            } else {
                &mut entries[pos].value
            };
            insert(model, shape, target, key, segments, value);
            if entries[pos].key.is_none() && entries[pos].value.is_none() {
                entries.remove(pos);
            }
            entries.is_empty()
        }
        _ => {
            if segments.next().is_none() && created {
                *slot = Some(Node::Scalar { key, value });
            }
            return;
        }
    };
    if created && now_empty {
        *slot = None;
    }
}

/// Puts a child taken out of `children` back (or adds a new one, or drops one that came to
/// nothing).
fn put_back<'p, I: Copy>(
    children: &mut Vec<(I, Node<'p>)>,
    pos: Option<usize>,
    id: I,
    child: Option<Node<'p>>,
) {
    match (pos, child) {
        (Some(p), Some(node)) => children[p].1 = node,
        (None, Some(node)) => children.push((id, node)),
        (Some(p), None) => {
            children.remove(p);
        }
        (None, None) => {}
    }
}

struct Ctx<'m> {
    model: &'m Model,
    violations: Vec<String>,
    malformed: Option<AwsError>,
    path: String,
    /// The scalar being checked, when its violations quote it (STS, not sensitive).
    quoted: Option<String>,
}

impl Ctx<'_> {
    /// Records a violation. IAM no longer quotes the offending value (2026 responses read
    /// `Value at 'versionId' failed to satisfy constraint: …`); STS still quotes scalars
    /// (`Value 'bad name' at 'roleSessionName' …`, 2025 answers), except sensitive ones.
    fn violation(&mut self, constraint: &str) {
        let mut text = String::with_capacity(64 + constraint.len());
        text.push_str("Value ");
        if let Some(q) = &self.quoted {
            let _ = write!(text, "'{q}' ");
        }
        let _ = write!(
            text,
            "at '{}' failed to satisfy constraint: {constraint}",
            self.path
        );
        self.violations.push(text);
    }

    fn malformed(&mut self, key: &str, value: &str, sensitive: bool, what: &str) {
        if self.malformed.is_none() {
            let message = if sensitive {
                format!("Invalid value for parameter {key}: not a valid {what}")
            } else {
                format!("Invalid value '{value}' for parameter {key}: not a valid {what}")
            };
            self.malformed = Some(AwsError::malformed_input(message));
        }
    }

    fn push_path(&mut self, segment: &str) -> usize {
        let len = self.path.len();
        if len > 0 {
            self.path.push('.');
        }
        self.path.push_str(segment);
        len
    }

    fn build(&mut self, id: ShapeId, node: &Node<'_>) -> Value {
        let model = self.model;
        let shape = model.shape(id);
        match (&shape.kind, node) {
            (ShapeKind::Structure(s), Node::Struct(children)) => {
                let mut out = Map::with_capacity(children.len());
                for (i, member) in s.members.iter().enumerate() {
                    let child = children.iter().find(|(j, _)| *j == i).map(|(_, n)| n);
                    let mark = self.push_path(&member.path_name);
                    match child {
                        Some(child) => {
                            let v = self.build(member.shape, child);
                            out.insert(member.name.clone(), v);
                        }
                        None if member.required => {
                            // `Value null at 'x'`, or `Value at 'x'` for a sensitive member.
                            let null = if model.shape(member.shape).sensitive {
                                ""
                            } else {
                                "null "
                            };
                            let text = format!(
                                "Value {null}at '{}' failed to satisfy constraint: Member must not be null",
                                self.path
                            );
                            self.violations.push(text);
                        }
                        None => {}
                    }
                    self.path.truncate(mark);
                }
                Value::Object(out)
            }
            (ShapeKind::List(l), Node::List(items)) => {
                let mut sorted: Vec<&(u32, Node<'_>)> = items.iter().collect();
                sorted.sort_by_key(|(i, _)| *i);
                let len = sorted.len() as u64;
                let too_short = l.min.is_some_and(|min| len < min);
                let too_long = l.max.is_some_and(|max| len > max);
                if too_short || too_long {
                    let constraint = if too_long {
                        format!(
                            "Member must have length less than or equal to {}",
                            l.max.unwrap_or(0)
                        )
                    } else {
                        format!(
                            "Member must have length greater than or equal to {}",
                            l.min.unwrap_or(0)
                        )
                    };
                    self.violation(&constraint);
                }
                let mut out = Vec::with_capacity(sorted.len());
                if matches!(model.shape(l.member).kind, ShapeKind::String(_)) {
                    // A list of strings: AWS reports a bad element once, at the list, with
                    // every constraint of its elements (`Value at 'clientIDList' failed to
                    // satisfy constraint: Member must satisfy constraint: [Member must have
                    // length less than or equal to 255, …]`).
                    let mut bad = false;
                    for (_, item) in sorted {
                        match item {
                            Node::Scalar { key, value } => {
                                bad |= !self.scalar_ok(l.member, value);
                                out.push(self.convert(l.member, key, value));
                            }
                            _ => bad = true,
                        }
                    }
                    if bad {
                        let constraints = self.describe(l.member);
                        self.violation(&format!("Member must satisfy constraint: [{constraints}]"));
                    }
                    return Value::Array(out);
                }
                for (position, (_, item)) in sorted.into_iter().enumerate() {
                    let mark = self.path.len();
                    let _ = write!(self.path, ".{}.member", position + 1);
                    out.push(self.build(l.member, item));
                    self.path.truncate(mark);
                }
                Value::Array(out)
            }
            (ShapeKind::Map(m), Node::Map(entries)) => {
                let mut sorted: Vec<&MapEntry<'_>> = entries.iter().collect();
                sorted.sort_by_key(|e| e.index);
                let len = sorted.len() as u64;
                if m.max.is_some_and(|max| len > max) || m.min.is_some_and(|min| len < min) {
                    let constraint = if m.max.is_some_and(|max| len > max) {
                        format!(
                            "Member must have length less than or equal to {}",
                            m.max.unwrap_or(0)
                        )
                    } else {
                        format!(
                            "Member must have length greater than or equal to {}",
                            m.min.unwrap_or(0)
                        )
                    };
                    self.violation(&constraint);
                }
                let mut out = Map::with_capacity(sorted.len());
                let mut bad_keys = false;
                let mut bad_values = false;
                for entry in sorted {
                    let Some(Node::Scalar { value: key, .. }) = &entry.key else {
                        // An entry without a key cannot be a map entry.
                        bad_keys = true;
                        continue;
                    };
                    if !self.scalar_ok(m.key, key) {
                        bad_keys = true;
                    }
                    let value = match &entry.value {
                        Some(Node::Scalar { key: k, value: v }) => {
                            if !self.scalar_ok(m.value, v) {
                                bad_values = true;
                            }
                            self.convert(m.value, k, v)
                        }
                        Some(other) => {
                            let mark = self.path.len();
                            let _ = write!(self.path, ".entry.{}.value", entry.index);
                            let v = self.build(m.value, other);
                            self.path.truncate(mark);
                            v
                        }
                        None => {
                            bad_values = true;
                            Value::Null
                        }
                    };
                    out.insert((*key).to_owned(), value);
                }
                for (bad, which, shape) in
                    [(bad_keys, "key", m.key), (bad_values, "value", m.value)]
                {
                    if bad {
                        let constraints = self.describe(shape);
                        self.violation(&format!(
                            "Map {which} must satisfy constraint: [{constraints}]"
                        ));
                    }
                }
                Value::Object(out)
            }
            (_, Node::Scalar { key, value }) => {
                let converted = self.convert(id, key, value);
                if model.service() == Service::Sts && !shape.sensitive {
                    self.quoted = Some((*value).to_string());
                }
                if let ShapeKind::String(s) = &shape.kind {
                    self.check_string(s, value);
                }
                match (&shape.kind, &converted) {
                    (ShapeKind::Integer(i), Value::Number(n)) => {
                        if let Some(n) = n.as_i64() {
                            if let Some(min) = i.min.filter(|&min| n < min) {
                                self.violation(&format!(
                                    "Member must have value greater than or equal to {min}"
                                ));
                            }
                            if let Some(max) = i.max.filter(|&max| n > max) {
                                self.violation(&format!(
                                    "Member must have value less than or equal to {max}"
                                ));
                            }
                        }
                    }
                    (ShapeKind::Blob(b), Value::String(text)) => {
                        let len = base64::engine::general_purpose::STANDARD
                            .decode(text)
                            .map(|b| b.len() as u64)
                            .unwrap_or(0);
                        if let Some(min) = b.min.filter(|&min| len < min) {
                            self.violation(&format!(
                                "Member must have length greater than or equal to {min}"
                            ));
                        }
                        if let Some(max) = b.max.filter(|&max| len > max) {
                            self.violation(&format!(
                                "Member must have length less than or equal to {max}"
                            ));
                        }
                    }
                    _ => {}
                }
                self.quoted = None;
                converted
            }
            // The tree is built from the same shapes, so kinds always agree.
            _ => Value::Null,
        }
    }

    fn check_string(&mut self, s: &StringShape, value: &str) {
        if let Some(p) = &s.pattern
            && !p.is_match(value)
        {
            self.violation(&format!(
                "Member must satisfy regular expression pattern: {}",
                p.source()
            ));
        }
        if s.min.is_some() || s.max.is_some() {
            let len = value.chars().count() as u64;
            if let Some(min) = s.min.filter(|&min| len < min) {
                self.violation(&format!(
                    "Member must have length greater than or equal to {min}"
                ));
            }
            if let Some(max) = s.max.filter(|&max| len > max) {
                self.violation(&format!(
                    "Member must have length less than or equal to {max}"
                ));
            }
        }
        if let Some(values) = &s.enum_values
            && !values.iter().any(|v| v == value)
        {
            self.violation(&format!(
                "Member must satisfy enum value set: [{}]",
                values.join(", ")
            ));
        }
    }

    /// Whether a map key or value satisfies its shape's constraints (without reporting).
    fn scalar_ok(&self, id: ShapeId, value: &str) -> bool {
        match &self.model.shape(id).kind {
            ShapeKind::String(s) => {
                let len = value.chars().count() as u64;
                s.pattern.as_ref().is_none_or(|p| p.is_match(value))
                    && s.min.is_none_or(|min| len >= min)
                    && s.max.is_none_or(|max| len <= max)
                    && s.enum_values
                        .as_ref()
                        .is_none_or(|e| e.iter().any(|v| v == value))
            }
            _ => true,
        }
    }

    /// The constraints of a shape, as AWS lists them for map keys and values.
    fn describe(&self, id: ShapeId) -> String {
        let mut parts = Vec::new();
        if let ShapeKind::String(s) = &self.model.shape(id).kind {
            if let Some(max) = s.max {
                parts.push(format!(
                    "Member must have length less than or equal to {max}"
                ));
            }
            if let Some(min) = s.min {
                parts.push(format!(
                    "Member must have length greater than or equal to {min}"
                ));
            }
            if let Some(p) = &s.pattern {
                parts.push(format!(
                    "Member must satisfy regular expression pattern: {}",
                    p.source()
                ));
            }
            if let Some(values) = &s.enum_values {
                parts.push(format!(
                    "Member must satisfy enum value set: [{}]",
                    values.join(", ")
                ));
            }
        }
        parts.join(", ")
    }

    /// A scalar's JSON value; records `MalformedInput` when the text does not parse.
    fn convert(&mut self, id: ShapeId, key: &str, value: &str) -> Value {
        let shape = self.model.shape(id);
        match &shape.kind {
            ShapeKind::Integer(i) => {
                let parsed = value
                    .parse::<i64>()
                    .ok()
                    .filter(|n| i.long || (i64::from(i32::MIN)..=i64::from(i32::MAX)).contains(n));
                match parsed {
                    Some(n) => Value::Number(n.into()),
                    None => {
                        let what = if i.long { "long" } else { "integer" };
                        self.malformed(key, value, shape.sensitive, what);
                        Value::Null
                    }
                }
            }
            ShapeKind::Float => match value.parse::<f64>().ok().and_then(Number::from_f64) {
                Some(n) => Value::Number(n),
                None => {
                    self.malformed(key, value, shape.sensitive, "number");
                    Value::Null
                }
            },
            ShapeKind::Boolean => {
                if value.eq_ignore_ascii_case("true") {
                    Value::Bool(true)
                } else if value.eq_ignore_ascii_case("false") {
                    Value::Bool(false)
                } else {
                    self.malformed(key, value, shape.sensitive, "boolean");
                    Value::Null
                }
            }
            ShapeKind::Timestamp => {
                if !looks_like_timestamp(value) {
                    self.malformed(key, value, shape.sensitive, "timestamp");
                }
                Value::String(value.to_owned())
            }
            ShapeKind::Blob(_) => {
                if base64::engine::general_purpose::STANDARD
                    .decode(value)
                    .is_err()
                {
                    self.malformed(key, value, shape.sensitive, "base64 blob");
                }
                Value::String(value.to_owned())
            }
            _ => Value::String(value.to_owned()),
        }
    }
}

/// ISO 8601 (`2026-11-23T12:00:00Z`, with or without fraction or offset) or epoch seconds.
fn looks_like_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    if !b.is_empty() && b.iter().all(|c| c.is_ascii_digit() || *c == b'.') {
        return b[0].is_ascii_digit();
    }
    b.len() >= 10
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..7].iter().all(u8::is_ascii_digit)
        && b[7] == b'-'
        && b[8..10].iter().all(u8::is_ascii_digit)
}
