//! The client side of the Query protocol, for the commands that call a server (`portcullis
//! import`, `portcullis export`): an operation's input → the form body a client sends, and
//! a response → the operation's output or the error it carries, each driven by the same
//! model as the server side, so that [`read_response`] is the inverse of
//! [`encode_output`](super::encode_output) and [`encode_input`] the inverse of
//! [`decode_input`](super::decode_input).
//!
//! ```
//! use portcullis_protocol::{Model, client};
//! use serde_json::json;
//!
//! let iam = Model::iam();
//! let op = iam.operation("CreateGroup").unwrap();
//! let body = client::encode_input(iam, op, &json!({"GroupName": "ml", "Path": "/teams/"}));
//! assert_eq!(body, "Action=CreateGroup&Version=2010-05-08&Path=%2Fteams%2F&GroupName=ml");
//!
//! let xml = r#"<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>EntityAlreadyExists</Code><Message>Group with name ml already exists.</Message></Error><RequestId>r</RequestId></ErrorResponse>"#;
//! let e = client::read_response(iam, op, 409, xml).unwrap_err();
//! assert_eq!((e.code(), e.status()), ("EntityAlreadyExists", 409));
//! ```

use percent_encoding::percent_decode_str;
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use serde_json::{Map, Number, Value};

use super::error::AwsError;
use super::model::{Model, Operation, ShapeId, ShapeKind};

/// The form body of a request for `op` (`Action`, `Version`, then the members of `input`,
/// an object keyed by member names), as botocore serialises it: lists as
/// `Name.member.N` (an empty list as `Name=`), maps as `Name.entry.N.key`/`.value`, nested
/// structures as `Name.Member`, booleans as `true`/`false`. A JSON object or array given
/// for a string member (a policy document) is sent as its JSON text. Members the shape
/// does not have, and `null` values, are left out.
pub fn encode_input(model: &Model, op: &Operation, input: &Value) -> String {
    let mut pairs = vec![
        ("Action".to_owned(), op.name.clone()),
        ("Version".to_owned(), model.api_version().to_owned()),
    ];
    if let Some(id) = op.input {
        params(model, id, "", input, &mut pairs);
    }
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs.iter())
        .finish()
}

fn params(model: &Model, id: ShapeId, prefix: &str, v: &Value, out: &mut Vec<(String, String)>) {
    let name = |segment: &str| {
        if prefix.is_empty() {
            segment.to_owned()
        } else {
            format!("{prefix}.{segment}")
        }
    };
    match (&model.shape(id).kind, v) {
        (_, Value::Null) => {}
        (ShapeKind::Structure(s), Value::Object(obj)) => {
            for m in &s.members {
                if let Some(child) = obj.get(&m.name) {
                    params(model, m.shape, &name(&m.wire_name), child, out);
                }
            }
        }
        (ShapeKind::List(l), Value::Array(items)) => {
            if items.is_empty() {
                out.push((prefix.to_owned(), String::new()));
            }
            for (i, item) in items.iter().enumerate() {
                let at = if l.flattened {
                    name(&(i + 1).to_string())
                } else {
                    name(&format!("{}.{}", l.member_name, i + 1))
                };
                params(model, l.member, &at, item, out);
            }
        }
        (ShapeKind::Map(m), Value::Object(entries)) => {
            for (i, (k, value)) in entries.iter().enumerate() {
                let entry = if m.flattened {
                    name(&(i + 1).to_string())
                } else {
                    name(&format!("entry.{}", i + 1))
                };
                out.push((format!("{entry}.{}", m.key_name), k.clone()));
                params(
                    model,
                    m.value,
                    &format!("{entry}.{}", m.value_name),
                    value,
                    out,
                );
            }
        }
        (_, Value::String(s)) => out.push((prefix.to_owned(), s.clone())),
        (_, other) => out.push((prefix.to_owned(), other.to_string())),
    }
}

/// Reads the response to a request for `op`: with status 200, the output as a JSON object
/// keyed by member names (members in the model's order; strings, numbers and booleans
/// typed by their shapes; timestamps as the server wrote them; policy documents
/// URL-decoded, still as text: see [`decode_policy_documents`]); an operation without
/// output gives `{}`. With any other status, the error of its `<ErrorResponse>`, with that
/// status. An answer that is not such XML is an `InvalidResponse` error with its status.
pub fn read_response(
    model: &Model,
    op: &Operation,
    status: u16,
    body: &str,
) -> Result<Value, AwsError> {
    let unreadable = |why: &str| {
        let shown: String = body.chars().take(300).collect();
        AwsError::with_status(
            "InvalidResponse",
            format!("the answer to {} is not readable ({why}): {shown}", op.name),
            status,
        )
    };
    let root = parse(body).map_err(|e| unreadable(&e))?;
    if status != 200 {
        let error = root
            .child("Error")
            .ok_or_else(|| unreadable("an error answer without <Error>"))?;
        let text = |name: &str| {
            error
                .child(name)
                .map(|c| c.text.clone())
                .unwrap_or_default()
        };
        let code = text("Code");
        if code.is_empty() {
            return Err(unreadable("an error answer without <Code>"));
        }
        return Err(AwsError::with_status(code, text("Message"), status));
    }
    if root.name != op.response_element {
        return Err(unreadable(&format!("expected <{}>", op.response_element)));
    }
    let Some(shape) = op.output else {
        return Ok(Value::Object(Map::new()));
    };
    let wrapper = op.result_wrapper.as_deref().unwrap_or(&op.response_element);
    match root.child(wrapper) {
        Some(result) => Ok(value(model, shape, result)),
        None => Err(unreadable(&format!("no <{wrapper}>"))),
    }
}

/// Policy documents as botocore gives them to its users: for IAM, every member of shape
/// `policyDocumentType` found through structures and lists (not maps) becomes the JSON
/// value its text holds; a text that is not JSON stays as it is.
pub fn decode_policy_documents(model: &Model, id: ShapeId, v: &mut Value) {
    match (&model.shape(id).kind, v) {
        (ShapeKind::Structure(s), Value::Object(obj)) => {
            for m in &s.members {
                let Some(child) = obj.get_mut(&m.name) else {
                    continue;
                };
                match &model.shape(m.shape).kind {
                    ShapeKind::String(st) if st.url_encoded => {
                        if let Value::String(text) = child
                            && let Ok(doc) = serde_json::from_str::<Value>(text)
                        {
                            *child = doc;
                        }
                    }
                    _ => decode_policy_documents(model, m.shape, child),
                }
            }
        }
        (ShapeKind::List(l), Value::Array(items)) => {
            for item in items {
                decode_policy_documents(model, l.member, item);
            }
        }
        _ => {}
    }
}

/// The pages of a paginated operation as one result, as botocore's `build_full_result`
/// (and so the aws CLI) gives it: each result key with the items of every page (keys in
/// the order they first appear, page by page, in the order the paginator lists them), then
/// the non-aggregate keys of the first page; the
/// pagination members themselves are left out. `None` when `op` has no paginator.
pub fn full_result(op: &Operation, pages: &[Value]) -> Option<Value> {
    let paginator = op.paginator.as_ref()?;
    let mut out = Map::new();
    for page in pages {
        for key in &paginator.result_keys {
            let Some(Value::Array(items)) = page.get(key) else {
                continue;
            };
            match out.get_mut(key) {
                Some(Value::Array(all)) => all.extend(items.iter().cloned()),
                _ => {
                    out.insert(key.clone(), Value::Array(items.clone()));
                }
            }
        }
    }
    for key in &paginator.non_aggregate_keys {
        if let Some(v) = pages.first().and_then(|p| p.get(key)) {
            out.insert(key.clone(), v.clone());
        }
    }
    Some(Value::Object(out))
}

/// An XML element: its local name, child elements and text.
#[derive(Debug, Default)]
struct Element {
    name: String,
    children: Vec<Element>,
    text: String,
}

impl Element {
    fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> {
        self.children.iter().filter(move |c| c.name == name)
    }
}

/// Parses a document into its root element.
fn parse(xml: &str) -> Result<Element, String> {
    let mut reader = Reader::from_str(xml);
    let mut stack: Vec<Element> = Vec::new();
    let open = |e: &BytesStart<'_>| Element {
        name: e.local_name().as_ref().to_owned(),
        ..Element::default()
    };
    loop {
        let event = reader.read_event().map_err(|e| e.to_string())?;
        let closed = match event {
            Event::Start(e) => {
                stack.push(open(&e));
                None
            }
            Event::Empty(e) => Some(open(&e)),
            Event::End(_) => stack.pop(),
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.xml10_content());
                }
                None
            }
            Event::CData(c) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&c.xml10_content());
                }
                None
            }
            Event::GeneralRef(r) => {
                let c = match r.resolve_char_ref().map_err(|e| e.to_string())? {
                    Some(c) => c,
                    None => match &*r {
                        "amp" => '&',
                        "lt" => '<',
                        "gt" => '>',
                        "quot" => '"',
                        "apos" => '\'',
                        other => return Err(format!("unknown entity &{other};")),
                    },
                };
                if let Some(top) = stack.last_mut() {
                    top.text.push(c);
                }
                None
            }
            Event::Eof => return Err("no root element".into()),
            _ => None,
        };
        if let Some(el) = closed {
            match stack.last_mut() {
                Some(parent) => parent.children.push(el),
                None => return Ok(el),
            }
        }
    }
}

/// The value of an element of shape `id`.
fn value(model: &Model, id: ShapeId, el: &Element) -> Value {
    match &model.shape(id).kind {
        ShapeKind::Structure(s) => {
            let mut out = Map::new();
            for m in &s.members {
                let member = model.shape(m.shape);
                let v = match &member.kind {
                    ShapeKind::List(l) if l.flattened => {
                        let items: Vec<Value> = el
                            .children_named(&m.wire_name)
                            .map(|c| value(model, l.member, c))
                            .collect();
                        (!items.is_empty()).then_some(Value::Array(items))
                    }
                    _ => el.child(&m.wire_name).map(|c| value(model, m.shape, c)),
                };
                if let Some(v) = v {
                    out.insert(m.name.clone(), v);
                }
            }
            Value::Object(out)
        }
        ShapeKind::List(l) => Value::Array(
            el.children_named(&l.member_name)
                .map(|c| value(model, l.member, c))
                .collect(),
        ),
        ShapeKind::Map(m) => {
            let mut out = Map::new();
            let entries: Box<dyn Iterator<Item = &Element>> = if m.flattened {
                Box::new(std::iter::once(el))
            } else {
                Box::new(el.children_named("entry"))
            };
            for entry in entries {
                if let Some(key) = entry.child(&m.key_name) {
                    let v = entry
                        .child(&m.value_name)
                        .map_or(Value::Null, |c| value(model, m.value, c));
                    out.insert(key.text.clone(), v);
                }
            }
            Value::Object(out)
        }
        ShapeKind::String(s) if s.url_encoded => Value::String(
            percent_decode_str(&el.text)
                .decode_utf8_lossy()
                .into_owned(),
        ),
        ShapeKind::Integer(_) => el
            .text
            .trim()
            .parse::<i64>()
            .map_or_else(|_| Value::String(el.text.clone()), Value::from),
        ShapeKind::Float => el
            .text
            .trim()
            .parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map_or_else(|| Value::String(el.text.clone()), Value::Number),
        ShapeKind::Boolean => match el.text.trim() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            other => Value::String(other.to_owned()),
        },
        ShapeKind::String(_) | ShapeKind::Timestamp | ShapeKind::Blob(_) => {
            Value::String(el.text.clone())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{encode_error, encode_output};
    use serde_json::json;

    fn op(name: &str) -> &'static Operation {
        Model::iam().operation(name).unwrap()
    }

    #[test]
    fn reads_what_the_server_writes() {
        let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;
        let output = json!({
            "UserDetailList": [{
                "Path": "/", "UserName": "a&b", "UserId": "AIDAEXAMPLEEXAMPLE01",
                "Arn": "arn:aws:iam::123456789012:user/a&b", "CreateDate": "2026-11-23T12:00:00Z",
                "UserPolicyList": [{"PolicyName": "p", "PolicyDocument": doc}],
                "GroupList": [], "AttachedManagedPolicies": [],
                "Tags": [{"Key": "k", "Value": "v\r\n"}],
            }],
            "GroupDetailList": [], "RoleDetailList": [], "Policies": [],
            "IsTruncated": true, "Marker": "bQ",
        });
        let o = op("GetAccountAuthorizationDetails");
        let body = encode_output(Model::iam(), o, &output, "r");
        let mut back = read_response(Model::iam(), o, 200, &body).unwrap();
        assert_eq!(back, output);
        decode_policy_documents(Model::iam(), o.output.unwrap(), &mut back);
        assert_eq!(
            back["UserDetailList"][0]["UserPolicyList"][0]["PolicyDocument"],
            serde_json::from_str::<Value>(doc).unwrap()
        );
        assert_eq!(back["UserDetailList"][0]["UserName"], "a&b");
    }

    #[test]
    fn documents_that_are_not_json_stay_text() {
        let o = op("GetRolePolicy");
        let mut v = json!({"RoleName": "r", "PolicyName": "p", "PolicyDocument": "not json"});
        decode_policy_documents(Model::iam(), o.output.unwrap(), &mut v);
        assert_eq!(v["PolicyDocument"], "not json");
    }

    #[test]
    fn operations_without_output_read_as_empty_objects() {
        let o = op("DeleteRole");
        let body = encode_output(Model::iam(), o, &Value::Null, "r");
        assert_eq!(read_response(Model::iam(), o, 200, &body), Ok(json!({})));
    }

    #[test]
    fn errors_and_unreadable_answers() {
        let e = AwsError::no_such_entity("The role with name x cannot be found.");
        let r = encode_error(Model::iam(), &e, "r");
        assert_eq!(
            read_response(Model::iam(), op("GetRole"), r.status, &r.body),
            Err(e)
        );
        let bad = read_response(Model::iam(), op("GetRole"), 502, "Bad Gateway").unwrap_err();
        assert_eq!((bad.code(), bad.status()), ("InvalidResponse", 502));
        let wrong = read_response(Model::iam(), op("GetRole"), 200, "<Other/>").unwrap_err();
        assert_eq!(wrong.code(), "InvalidResponse");
    }

    #[test]
    fn inputs_as_botocore_sends_them() {
        let o = op("CreateRole");
        let body = encode_input(
            Model::iam(),
            o,
            &json!({
                "RoleName": "r",
                "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": []},
                "MaxSessionDuration": 7200,
                "Tags": [{"Key": "a b", "Value": "c&d"}],
                "Description": null,
                "Unknown": "dropped",
            }),
        );
        assert_eq!(
            body,
            "Action=CreateRole&Version=2010-05-08&RoleName=r&AssumeRolePolicyDocument=%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D&MaxSessionDuration=7200&Tags.member.1.Key=a+b&Tags.member.1.Value=c%26d"
        );
        let body = encode_input(
            Model::iam(),
            op("GetAccountAuthorizationDetails"),
            &json!({"Filter": []}),
        );
        assert_eq!(
            body,
            "Action=GetAccountAuthorizationDetails&Version=2010-05-08&Filter="
        );
    }

    #[test]
    fn pages_merge_as_build_full_result() {
        let o = op("GetGroup");
        let pages = [
            json!({"Group": {"GroupName": "g"}, "Users": [{"UserName": "a"}], "IsTruncated": true, "Marker": "m"}),
            json!({"Group": {"GroupName": "g"}, "Users": [{"UserName": "b"}], "IsTruncated": false}),
        ];
        assert_eq!(
            full_result(o, &pages),
            Some(
                json!({"Users": [{"UserName": "a"}, {"UserName": "b"}], "Group": {"GroupName": "g"}})
            )
        );
        assert_eq!(full_result(op("GetRole"), &pages), None);
    }
}
