//! Writes the typed API of a service from its botocore model, s3s-style: the operations as
//! an enum with one name list, a struct per input, output and nested structure, the
//! model's error codes as an enum with their HTTP status, a trait with one method per
//! operation, and the dispatch that decodes an input, calls the method and encodes its
//! output.
//!
//! The generated files are committed (`crates/protocol/src/generated/`), so that they can
//! be read and so that building needs no generator; a test checks that they are what this
//! generator writes from the vendored models.

use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

/// A service whose typed API is generated.
#[derive(Clone, Copy, Debug)]
pub struct Spec {
    /// The file name of its model under `crates/protocol/data`.
    pub model_file: &'static str,
    /// The name in type names (`Iam` → `IamOperation`, `IamErrorCode`, `IamApi`).
    pub prefix: &'static str,
    /// The service's name in documentation.
    pub title: &'static str,
    /// The generated file's name under `crates/protocol/src/generated`.
    pub output_file: &'static str,
}

/// The services whose typed APIs are generated.
pub const SPECS: [Spec; 2] = [
    Spec {
        model_file: "iam-service-2.json",
        prefix: "Iam",
        title: "IAM",
        output_file: "iam.rs",
    },
    Spec {
        model_file: "sts-service-2.json",
        prefix: "Sts",
        title: "STS",
        output_file: "sts.rs",
    },
];

/// Names that generated types must not take (they would hide the prelude's or the
/// generated file's own).
const RESERVED_TYPE_NAMES: &[&str] = &[
    "Box",
    "Err",
    "Error",
    "Future",
    "None",
    "Ok",
    "Option",
    "Result",
    "Serialize",
    "Some",
    "String",
    "Value",
    "Vec",
    "IndexMap",
    "Deserialize",
    "Timestamp",
];

/// Rust keywords a member name can turn into.
const KEYWORDS: &[&str] = &[
    "as", "break", "const", "continue", "crate", "else", "enum", "extern", "false", "fn", "for",
    "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return",
    "static", "struct", "super", "trait", "true", "type", "unsafe", "use", "where", "while",
    "async", "await", "dyn", "abstract", "become", "box", "do", "final", "macro", "override",
    "priv", "typeof", "unsized", "virtual", "yield", "try", "gen",
];

/// `OpenIDConnectProviderArn` → `open_id_connect_provider_arn`, `MFADevices` →
/// `mfa_devices`: a word starts at an upper-case letter after a lower-case one or a digit,
/// and at the last upper-case letter of a run that a lower-case letter follows.
pub fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            let previous = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            if previous.is_ascii_lowercase()
                || previous.is_ascii_digit()
                || (previous.is_ascii_uppercase() && next_lower)
            {
                out.push('_');
            }
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

fn field_name(member: &str) -> String {
    let snake = snake_case(member);
    if KEYWORDS.contains(&snake.as_str()) {
        format!("r#{snake}")
    } else {
        snake
    }
}

fn type_name(shape: &str) -> String {
    let mut chars = shape.chars();
    let name: String = match chars.next() {
        Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    };
    assert!(
        !RESERVED_TYPE_NAMES.contains(&name.as_str()),
        "the shape {shape} would hide a type the generated code uses"
    );
    name
}

/// What a structure is used for: decoded from requests, encoded into answers, or both.
#[derive(Default, Clone, Copy)]
struct Uses {
    input: bool,
    output: bool,
}

struct Model<'m> {
    shapes: &'m Map<String, Value>,
    operations: &'m Map<String, Value>,
}

impl<'m> Model<'m> {
    fn shape(&self, name: &str) -> &'m Value {
        self.shapes
            .get(name)
            .unwrap_or_else(|| panic!("the model has no shape {name}"))
    }

    fn kind(&self, name: &str) -> &'m str {
        self.shape(name)["type"].as_str().unwrap_or("")
    }

    fn op_shape(&self, op: &str, part: &str) -> Option<&'m str> {
        self.operations[op].get(part)?.get("shape")?.as_str()
    }

    /// Marks the structures reachable from `shape` as used for `input` or output.
    fn mark(&self, shape: &str, input: bool, uses: &mut BTreeMap<String, Uses>) {
        let def = self.shape(shape);
        match self.kind(shape) {
            "structure" => {
                let entry = uses.entry(shape.to_string()).or_default();
                let seen = if input { entry.input } else { entry.output };
                if seen {
                    return;
                }
                if input {
                    entry.input = true;
                } else {
                    entry.output = true;
                }
                for member in members(def).values() {
                    self.mark(member_shape(member), input, uses);
                }
            }
            "list" => self.mark(def["member"]["shape"].as_str().unwrap_or(""), input, uses),
            "map" => self.mark(def["value"]["shape"].as_str().unwrap_or(""), input, uses),
            _ => {}
        }
    }

    /// The Rust type of a value of `shape`.
    fn rust_type(&self, shape: &str, names: &BTreeMap<String, String>) -> String {
        let def = self.shape(shape);
        match self.kind(shape) {
            "string" | "blob" => "String".to_string(),
            "integer" | "long" => "i64".to_string(),
            "boolean" => "bool".to_string(),
            "timestamp" => "Timestamp".to_string(),
            "double" | "float" => "f64".to_string(),
            "list" => format!(
                "Vec<{}>",
                self.rust_type(def["member"]["shape"].as_str().unwrap_or(""), names)
            ),
            "map" => format!(
                "IndexMap<String, {}>",
                self.rust_type(def["value"]["shape"].as_str().unwrap_or(""), names)
            ),
            "structure" => names[shape].clone(),
            other => {
                panic!("shape {shape} has the type {other}, which the generator does not know")
            }
        }
    }
}

fn members(def: &Value) -> Map<String, Value> {
    def.get("members")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

fn member_shape(member: &Value) -> &str {
    member["shape"].as_str().unwrap_or("")
}

fn required(def: &Value) -> BTreeSet<String> {
    def.get("required")
        .and_then(Value::as_array)
        .map(|r| {
            r.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn is_exception(def: &Value) -> bool {
    def.get("exception").and_then(Value::as_bool) == Some(true)
}

/// The error codes of a model, sorted, with their HTTP status (the Query protocol's default,
/// 400, when the model gives none; the shape name when it gives no code).
fn error_codes(model: &Model<'_>) -> BTreeMap<String, u16> {
    let mut codes = BTreeMap::new();
    for (name, def) in model.shapes {
        if !is_exception(def) {
            continue;
        }
        let error = def.get("error");
        let code = error
            .and_then(|e| e.get("code"))
            .and_then(Value::as_str)
            .unwrap_or(name);
        let status = error
            .and_then(|e| e.get("httpStatusCode"))
            .and_then(Value::as_u64)
            .unwrap_or(400);
        codes.insert(code.to_string(), status as u16);
    }
    codes
}

/// Writes the typed API of the service `spec` from its model's JSON.
pub fn generate(spec: Spec, model_json: &str) -> String {
    let json: Value = serde_json::from_str(model_json).expect("the model is JSON");
    let model = Model {
        shapes: json["shapes"].as_object().expect("the model has shapes"),
        operations: json["operations"]
            .as_object()
            .expect("the model has operations"),
    };
    let ops: Vec<&String> = model.operations.keys().collect();
    let p = spec.prefix;

    // Which structures are inputs, outputs or nested in them, and their Rust names: an
    // input or output structure of a single operation is named after it (`CreateRoleInput`),
    // any other keeps its shape's name.
    let mut uses = BTreeMap::new();
    let mut owners: BTreeMap<&str, Vec<(String, &str)>> = BTreeMap::new();
    for op in &ops {
        for (part, suffix, input) in [("input", "Input", true), ("output", "Output", false)] {
            if let Some(shape) = model.op_shape(op, part) {
                model.mark(shape, input, &mut uses);
                owners
                    .entry(shape)
                    .or_default()
                    .push((format!("{op}{suffix}"), part));
            }
        }
    }
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    for shape in uses.keys() {
        let name = match owners.get(shape.as_str()) {
            Some(o) if o.len() == 1 && !is_nested(&model, shape, &uses) => o[0].0.clone(),
            _ => type_name(shape),
        };
        names.insert(shape.clone(), name);
    }
    let mut out = String::new();
    let w = &mut out;
    let _ = writeln!(
        w,
        "//! The typed {title} API, generated by `portcullis-codegen` from `data/{file}`\n\
         //! (botocore 1.44.18): its operations ([`{p}Operation`]), their inputs and outputs, the\n\
         //! model's error codes ([`{p}ErrorCode`]), the service trait a server implements\n\
         //! ([`{p}Api`]), the typed request ([`{p}Request`]) and the dispatch from a request to\n\
         //! its method ([`dispatch`]).\n\
         //!\n\
         //! Do not edit: run `cargo run -p portcullis-codegen` after changing the model.\n\
         \n\
         use crate::typed::{{Timestamp, input_from_value, output_to_value}};\n\
         use serde::{{Deserialize, Serialize}};\n\
         use indexmap::IndexMap;\n\
         use serde_json::Value;\n\
         use std::future::Future;\n",
        title = spec.title,
        file = spec.model_file,
    );

    // The operations.
    let _ = writeln!(
        w,
        "/// An operation of {title}.\n\
         #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]\n\
         pub enum {p}Operation {{",
        title = spec.title
    );
    for op in &ops {
        let _ = writeln!(w, "    /// `{op}`.\n    {op},");
    }
    let _ = writeln!(w, "}}\n\nimpl {p}Operation {{");
    let _ = writeln!(
        w,
        "    /// Every operation, sorted by name.\n    pub const ALL: [{p}Operation; {n}] = [",
        n = ops.len()
    );
    for op in &ops {
        let _ = writeln!(w, "        {p}Operation::{op},");
    }
    let _ = writeln!(
        w,
        "    ];\n\n    /// The operation's name (its `Action` parameter).\n    pub fn name(self) -> &'static str {{\n        match self {{"
    );
    for op in &ops {
        let _ = writeln!(w, "            {p}Operation::{op} => \"{op}\",");
    }
    let _ = writeln!(
        w,
        "        }}\n    }}\n\n    /// The operation with this name.\n    pub fn from_name(name: &str) -> Option<{p}Operation> {{\n        Some(match name {{"
    );
    for op in &ops {
        let _ = writeln!(w, "            \"{op}\" => {p}Operation::{op},");
    }
    let _ = writeln!(
        w,
        "            _ => return None,\n        }})\n    }}\n}}\n"
    );

    // The error codes.
    let codes = error_codes(&model);
    let _ = writeln!(
        w,
        "/// An error code of the {title} model (its exceptions' codes on the wire).\n\
         #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]\n\
         pub enum {p}ErrorCode {{",
        title = spec.title
    );
    for (code, status) in &codes {
        let _ = writeln!(w, "    /// `{code}` ({status}).\n    {code},");
    }
    let _ = writeln!(
        w,
        "}}\n\nimpl {p}ErrorCode {{\n    /// Every code, sorted.\n    pub const ALL: [{p}ErrorCode; {n}] = [",
        n = codes.len()
    );
    for code in codes.keys() {
        let _ = writeln!(w, "        {p}ErrorCode::{code},");
    }
    let _ = writeln!(
        w,
        "    ];\n\n    /// The code on the wire.\n    pub fn code(self) -> &'static str {{\n        match self {{"
    );
    for code in codes.keys() {
        let _ = writeln!(w, "            {p}ErrorCode::{code} => \"{code}\",");
    }
    let _ = writeln!(
        w,
        "        }}\n    }}\n\n    /// The HTTP status the model gives the code.\n    pub fn status(self) -> u16 {{\n        match self {{"
    );
    for (code, status) in &codes {
        let _ = writeln!(w, "            {p}ErrorCode::{code} => {status},");
    }
    let _ = writeln!(
        w,
        "        }}\n    }}\n\n    /// The code with this wire name.\n    pub fn from_code(code: &str) -> Option<{p}ErrorCode> {{\n        Some(match code {{"
    );
    for code in codes.keys() {
        let _ = writeln!(w, "            \"{code}\" => {p}ErrorCode::{code},");
    }
    let _ = writeln!(
        w,
        "            _ => return None,\n        }})\n    }}\n}}\n"
    );

    // The service trait.
    let _ = writeln!(
        w,
        "/// The {title} API as a server implements it: one method per operation, taking the\n\
         /// operation's typed input and answering its typed output.\n\
         pub trait {p}Api: Sync {{\n    \
             /// What a method fails with (an AWS error, answered to the client).\n    \
             type Error: From<crate::AwsError> + Send;",
        title = spec.title
    );
    for op in &ops {
        let _ = writeln!(
            w,
            "\n    /// `{op}`.\n    fn {method}(\n        &self,\n        input: {op}Input,\n    ) -> impl Future<Output = Result<{output}, Self::Error>> + Send;",
            method = field_name(op),
            output = output_type(&model, op),
        );
    }
    let _ = writeln!(w, "}}\n");

    // The typed request and the dispatch.
    let _ = writeln!(
        w,
        "/// A request of {title}: an operation with its typed input.\n\
         #[derive(Clone, Debug, PartialEq)]\n\
         #[allow(clippy::large_enum_variant, reason = \"a request lives once per call; boxing each input would cost an allocation\")]\n\
         pub enum {p}Request {{",
        title = spec.title
    );
    for op in &ops {
        let _ = writeln!(w, "    /// `{op}`.\n    {op}({op}Input),");
    }
    let _ = writeln!(
        w,
        "}}\n\nimpl {p}Request {{\n    \
             /// The request of `operation` from its decoded input (a JSON object keyed by member\n    \
             /// names, validated against the model). It fails only if the decoder and the generated\n    \
             /// types disagree, which is a fault of the server (InternalFailure).\n    \
             pub fn decode(operation: {p}Operation, input: &Value) -> Result<{p}Request, crate::AwsError> {{\n        \
                 Ok(match operation {{"
    );
    for op in &ops {
        let decoded = if model.op_shape(op, "input").is_some() {
            "input_from_value(input)?".to_string()
        } else {
            format!("{op}Input {{}}")
        };
        let _ = writeln!(
            w,
            "            {p}Operation::{op} => {p}Request::{op}({decoded}),"
        );
    }
    let _ = writeln!(
        w,
        "        }})\n    }}\n\n    /// The operation.\n    pub fn operation(&self) -> {p}Operation {{\n        match self {{"
    );
    for op in &ops {
        let _ = writeln!(w, "            {p}Request::{op}(_) => {p}Operation::{op},");
    }
    let _ = writeln!(w, "        }}\n    }}\n}}\n");
    let _ = writeln!(
        w,
        "/// Runs `request` on `api`: calls its operation's method and encodes the output as a JSON\n\
         /// object keyed by member names (`null` for an operation without output).\n\
         pub async fn dispatch<A: {p}Api>(api: &A, request: {p}Request) -> Result<Value, A::Error> {{\n    \
             match request {{"
    );
    for op in &ops {
        let method = field_name(op);
        let _ = writeln!(
            w,
            "        {p}Request::{op}(input) => output_to_value(api.{method}(input).await?),"
        );
    }
    let _ = writeln!(w, "    }}\n}}\n");

    // The round trip the tests check every operation's types with.
    let _ = writeln!(
        w,
        "/// Decodes `input` and `output` (JSON keyed by member names) into the typed input and\n\
         /// output of `operation` and encodes them back: the tests check with it that the types\n\
         /// follow the model.\n\
         #[cfg(test)]\n\
         pub(crate) fn round_trip(\n    operation: {p}Operation,\n    input: &Value,\n    output: &Value,\n) -> Result<(Value, Value), serde_json::Error> {{\n    \
             fn again<T: serde::de::DeserializeOwned + Serialize>(v: &Value) -> Result<Value, serde_json::Error> {{\n        \
                 serde_json::to_value(T::deserialize(v)?)\n    \
             }}\n    \
             Ok(match operation {{"
    );
    for op in &ops {
        let _ = writeln!(
            w,
            "        {p}Operation::{op} => (again::<{op}Input>(input)?, again::<{output}>(output)?),",
            output = output_type(&model, op),
        );
    }
    let _ = writeln!(w, "    }})\n}}\n");

    // Aliases and the structures.
    for op in &ops {
        for (part, suffix) in [("input", "Input"), ("output", "Output")] {
            let alias = format!("{op}{suffix}");
            match model.op_shape(op, part) {
                Some(shape) if names[shape] != alias => {
                    let _ = writeln!(
                        w,
                        "/// The {part} of `{op}` (shared: `{shape}`).\npub type {alias} = {};\n",
                        names[shape]
                    );
                }
                Some(_) => {}
                None if part == "input" => {
                    let _ = writeln!(
                        w,
                        "/// The input of `{op}`, which takes no parameters.\n\
                         #[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]\npub struct {alias} {{}}\n"
                    );
                }
                None => {}
            }
        }
    }
    for (shape, used) in &uses {
        let def = model.shape(shape);
        if is_exception(def) {
            continue;
        }
        let name = &names[shape];
        let _ = used;
        let derives = [
            "Clone",
            "Debug",
            "Default",
            "PartialEq",
            "Serialize",
            "Deserialize",
        ];
        let role = match owners.get(shape.as_str()) {
            Some(o) => o
                .iter()
                .map(|(n, part)| {
                    let op = n.trim_end_matches("Input").trim_end_matches("Output");
                    format!("the {part} of `{op}`")
                })
                .collect::<Vec<_>>()
                .join(", "),
            None => format!("`{shape}`"),
        };
        let _ = writeln!(
            w,
            "/// {}{role}.\n#[derive({})]\npub struct {name} {{",
            if owners.contains_key(shape.as_str()) {
                "The structure of "
            } else {
                "The structure "
            },
            derives.join(", ")
        );
        let req = required(def);
        for (member, target) in members(def) {
            let ty = model.rust_type(member_shape(&target), &names);
            let field = field_name(&member);
            let is_required = req.contains(&member);
            let _ = writeln!(
                w,
                "    /// `{member}`{}.",
                if is_required { " (required)" } else { "" }
            );
            if is_required {
                let _ = writeln!(
                    w,
                    "    #[serde(rename = \"{member}\")]\n    pub {field}: {ty},"
                );
            } else {
                let _ = writeln!(
                    w,
                    "    #[serde(rename = \"{member}\", default, skip_serializing_if = \"Option::is_none\")]\n    pub {field}: Option<{ty}>,"
                );
            }
        }
        let _ = writeln!(w, "}}\n");
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

/// Formats generated code with rustfmt (as `cargo fmt` would).
pub fn format(code: &str) -> std::io::Result<String> {
    use std::io::Write as _;
    use std::process::{Command, Stdio};
    let mut child = Command::new("rustfmt")
        .args(["--edition", "2024", "--emit", "stdout"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    child
        .stdin
        .take()
        .ok_or_else(|| std::io::Error::other("no stdin"))?
        .write_all(code.as_bytes())?;
    let output = child.wait_with_output()?;
    if !output.status.success() {
        return Err(std::io::Error::other("rustfmt failed"));
    }
    String::from_utf8(output.stdout).map_err(std::io::Error::other)
}

/// True when a structure also appears inside another (then it keeps its shape name).
fn is_nested(model: &Model<'_>, shape: &str, uses: &BTreeMap<String, Uses>) -> bool {
    uses.keys().any(|other| {
        members(model.shape(other))
            .values()
            .any(|m| contains(model, member_shape(m), shape))
    })
}

fn contains(model: &Model<'_>, shape: &str, wanted: &str) -> bool {
    if shape == wanted {
        return true;
    }
    let def = model.shape(shape);
    match model.kind(shape) {
        "list" => contains(model, def["member"]["shape"].as_str().unwrap_or(""), wanted),
        "map" => contains(model, def["value"]["shape"].as_str().unwrap_or(""), wanted),
        _ => false,
    }
}

fn output_type(model: &Model<'_>, op: &str) -> String {
    if model.op_shape(op, "output").is_some() {
        format!("{op}Output")
    } else {
        "()".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_names_become_snake_case() {
        assert_eq!(
            snake_case("OpenIDConnectProviderArn"),
            "open_id_connect_provider_arn"
        );
        assert_eq!(snake_case("MFADevices"), "mfa_devices");
        assert_eq!(snake_case("SAMLMetadataDocument"), "saml_metadata_document");
        assert_eq!(snake_case("ClientIDList"), "client_id_list");
        assert_eq!(snake_case("RoleName"), "role_name");
        assert_eq!(snake_case("X509Certificate"), "x509_certificate");
        assert_eq!(field_name("Type"), "r#type");
    }

    /// The committed files are what the generator writes from the vendored models.
    #[test]
    fn generated_files_are_current() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../protocol");
        for spec in SPECS {
            let model = std::fs::read_to_string(format!("{root}/data/{}", spec.model_file))
                .expect("the vendored model");
            let committed =
                std::fs::read_to_string(format!("{root}/src/generated/{}", spec.output_file))
                    .expect("the generated file");
            assert!(
                committed == format(&generate(spec, &model)).expect("rustfmt"),
                "crates/protocol/src/generated/{} is stale: run `cargo run -p portcullis-codegen`",
                spec.output_file
            );
        }
    }
}
