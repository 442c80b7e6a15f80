//! An operation's output (a JSON object keyed by member names) → the AWS Query XML response.
//!
//! ```text
//! <?xml version="1.0" encoding="UTF-8"?>
//! <CreateRoleResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><CreateRoleResult>…
//! </CreateRoleResult><ResponseMetadata><RequestId>…</RequestId></ResponseMetadata></CreateRoleResponse>
//! ```
//!
//! The output shape drives the writing, in one pass into one `String`:
//! - members in the order the model declares them; members absent (or `null`) are omitted, and a
//!   key the shape does not have is a bug in the handler (a `debug_assert!` in debug builds);
//! - lists as `<Name><member>…</member></Name>`, an empty list as `<Name/>`; maps as
//!   `<Name><entry><key>…</key><value>…</value></entry></Name>`;
//! - booleans `true`/`false`; timestamps as given when they are strings, or, from epoch seconds,
//!   ISO 8601 UTC as AWS writes them (`2026-11-23T12:00:00Z`, with milliseconds when the number
//!   has a fraction);
//! - policy documents (`policyDocumentType`) URL-encoded as IAM returns them: every byte
//!   percent-encoded except the RFC 3986 unreserved set `A-Z a-z 0-9 - _ . ~`
//!   (`{"Action":"s3:*"}` → `%7B%22Action%22%3A%22s3%3A%2A%22%7D`, a space → `%20`);
//! - everything else XML-escaped.
//!
//! Errors are `<ErrorResponse xmlns="…"><Error><Type>Sender</Type><Code>…</Code><Message>…
//! </Message></Error><RequestId>…</RequestId></ErrorResponse>` (`Receiver` for 5xx), without the
//! XML declaration, as IAM sends them.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use portcullis_time::write_timestamp;
use serde_json::{Map, Value};

use super::error::AwsError;
use super::model::{Model, Operation, ShapeId, ShapeKind, Structure};

/// The `Content-Type` of every response.
pub const CONTENT_TYPE: &str = "text/xml";

/// A response ready to send: status and XML body (with [`CONTENT_TYPE`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct XmlResponse {
    /// The HTTP status.
    pub status: u16,
    /// The XML document.
    pub body: String,
}

/// RFC 3986 unreserved characters stay as they are; everything else is `%XX`.
const URL_ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// The response to a handler's result: the output with status 200, or the error with its status.
pub fn respond(
    model: &Model,
    op: &Operation,
    result: &Result<Value, AwsError>,
    request_id: &str,
) -> XmlResponse {
    match result {
        Ok(output) => XmlResponse {
            status: 200,
            body: encode_output(model, op, output, request_id),
        },
        Err(e) => encode_error(model, e, request_id),
    }
}

/// The XML body of a successful response to `op`.
pub fn encode_output(model: &Model, op: &Operation, output: &Value, request_id: &str) -> String {
    let mut out = String::with_capacity(512);
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<");
    out.push_str(&op.response_element);
    out.push_str(" xmlns=\"");
    out.push_str(model.xml_namespace());
    out.push_str("\">");
    match op.output {
        Some(shape) => {
            let wrapper = op.result_wrapper.as_deref().unwrap_or(&op.response_element);
            out.push('<');
            out.push_str(wrapper);
            out.push('>');
            if let Some(s) = model.structure(shape) {
                match output {
                    Value::Object(obj) => write_members(model, &mut out, s, obj, &op.name),
                    Value::Null => {}
                    other => debug_assert!(false, "{}: output is not an object: {other}", op.name),
                }
            }
            out.push_str("</");
            out.push_str(wrapper);
            out.push('>');
        }
        None => debug_assert!(
            output.is_null() || output.as_object().is_some_and(Map::is_empty),
            "{} has no output, but the handler returned {output}",
            op.name
        ),
    }
    out.push_str("<ResponseMetadata><RequestId>");
    escape_into(&mut out, request_id);
    out.push_str("</RequestId></ResponseMetadata></");
    out.push_str(&op.response_element);
    out.push('>');
    out
}

/// The `<ErrorResponse>` for an error, with its HTTP status. Use the model of the service the
/// request was for (`Model::iam()` when even that is unknown).
pub fn encode_error(model: &Model, error: &AwsError, request_id: &str) -> XmlResponse {
    let mut out = String::with_capacity(256 + error.message().len());
    out.push_str("<ErrorResponse xmlns=\"");
    out.push_str(model.xml_namespace());
    out.push_str("\"><Error><Type>");
    out.push_str(error.fault().as_str());
    out.push_str("</Type><Code>");
    escape_into(&mut out, error.code());
    out.push_str("</Code>");
    if !error.message().is_empty() {
        out.push_str("<Message>");
        escape_into(&mut out, error.message());
        out.push_str("</Message>");
    }
    out.push_str("</Error><RequestId>");
    escape_into(&mut out, request_id);
    out.push_str("</RequestId></ErrorResponse>");
    XmlResponse {
        status: error.status(),
        body: out,
    }
}

fn write_members(
    model: &Model,
    out: &mut String,
    s: &Structure,
    obj: &Map<String, Value>,
    at: &str,
) {
    #[cfg(debug_assertions)]
    for key in obj.keys() {
        debug_assert!(
            s.members.iter().any(|m| &m.name == key),
            "{at}: the output shape has no member {key:?} (members: {:?})",
            s.members
                .iter()
                .map(|m| m.name.as_str())
                .collect::<Vec<_>>()
        );
    }
    let _ = at;
    for m in &s.members {
        if let Some(v) = obj.get(&m.name)
            && !v.is_null()
        {
            write_value(model, out, &m.wire_name, m.shape, v, &m.name);
        }
    }
}

fn open(out: &mut String, name: &str) {
    out.push('<');
    out.push_str(name);
    out.push('>');
}

fn close(out: &mut String, name: &str) {
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

fn write_value(model: &Model, out: &mut String, name: &str, id: ShapeId, v: &Value, at: &str) {
    let shape = model.shape(id);
    match &shape.kind {
        ShapeKind::Structure(s) => {
            let Value::Object(obj) = v else {
                debug_assert!(
                    false,
                    "{at}: expected an object for {}, got {v}",
                    shape.name
                );
                return;
            };
            open(out, name);
            write_members(model, out, s, obj, at);
            close(out, name);
        }
        ShapeKind::List(l) => {
            let Value::Array(items) = v else {
                debug_assert!(false, "{at}: expected an array for {}, got {v}", shape.name);
                return;
            };
            if l.flattened {
                for item in items.iter().filter(|i| !i.is_null()) {
                    write_value(model, out, name, l.member, item, at);
                }
            } else if items.is_empty() {
                out.push('<');
                out.push_str(name);
                out.push_str("/>");
            } else {
                open(out, name);
                for item in items.iter().filter(|i| !i.is_null()) {
                    write_value(model, out, &l.member_name, l.member, item, at);
                }
                close(out, name);
            }
        }
        ShapeKind::Map(m) => {
            let Value::Object(entries) = v else {
                debug_assert!(
                    false,
                    "{at}: expected an object for {}, got {v}",
                    shape.name
                );
                return;
            };
            if !m.flattened {
                open(out, name);
            }
            for (k, value) in entries {
                open(out, if m.flattened { name } else { "entry" });
                open(out, &m.key_name);
                escape_into(out, k);
                close(out, &m.key_name);
                if !value.is_null() {
                    write_value(model, out, &m.value_name, m.value, value, at);
                }
                close(out, if m.flattened { name } else { "entry" });
            }
            if !m.flattened {
                close(out, name);
            }
        }
        ShapeKind::String(s) => {
            open(out, name);
            match v {
                Value::String(text) if s.url_encoded => {
                    out.extend(utf8_percent_encode(text, URL_ENCODE));
                }
                Value::String(text) => escape_into(out, text),
                Value::Number(n) => out.push_str(&n.to_string()),
                Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
                other => debug_assert!(false, "{at}: expected a string, got {other}"),
            }
            close(out, name);
        }
        ShapeKind::Integer(_) | ShapeKind::Float => {
            open(out, name);
            match v {
                Value::Number(n) => out.push_str(&n.to_string()),
                Value::String(text) => {
                    debug_assert!(text.parse::<f64>().is_ok(), "{at}: not a number: {text}");
                    escape_into(out, text);
                }
                other => debug_assert!(false, "{at}: expected a number, got {other}"),
            }
            close(out, name);
        }
        ShapeKind::Boolean => {
            open(out, name);
            match v {
                Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
                Value::String(text) if text == "true" || text == "false" => out.push_str(text),
                other => debug_assert!(false, "{at}: expected a boolean, got {other}"),
            }
            close(out, name);
        }
        ShapeKind::Timestamp => {
            open(out, name);
            match v {
                Value::String(text) => escape_into(out, text),
                Value::Number(n) => match n.as_i64() {
                    Some(secs) => write_timestamp(out, secs, None),
                    None => {
                        let f = n.as_f64().unwrap_or(0.0);
                        let secs = f.floor();
                        let millis = (((f - secs) * 1000.0).round() as u32).min(999);
                        write_timestamp(out, secs as i64, Some(millis));
                    }
                },
                other => debug_assert!(false, "{at}: expected a timestamp, got {other}"),
            }
            close(out, name);
        }
        ShapeKind::Blob(_) => {
            open(out, name);
            match v {
                Value::String(base64) => escape_into(out, base64),
                other => debug_assert!(false, "{at}: expected base64 text, got {other}"),
            }
            close(out, name);
        }
    }
}

/// Writes `text` as XML character data. `\r` and the other C0 controls that XML keeps are
/// written as character references so that parsers do not normalise them away.
pub fn escape_into(out: &mut String, text: &str) {
    let bytes = text.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let replacement = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\r' => "&#xD;",
            _ => continue,
        };
        out.push_str(&text[start..i]);
        out.push_str(replacement);
        start = i + 1;
    }
    out.push_str(&text[start..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        let mut s = String::new();
        escape_into(&mut s, "a <&> \"role\"\r\n");
        assert_eq!(s, "a &lt;&amp;&gt; &quot;role&quot;&#xD;\n");
    }

    #[test]
    fn url_encoding_of_policy_documents() {
        let doc = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b/*"}]}"#;
        let encoded: String = utf8_percent_encode(doc, URL_ENCODE).collect();
        assert_eq!(
            encoded,
            "%7B%22Version%22%3A%20%222012-10-17%22%2C%20%22Statement%22%3A%20%5B%7B%22Effect%22%3A%20%22Allow%22%2C%20%22Action%22%3A%20%22s3%3A%2A%22%2C%20%22Resource%22%3A%20%22arn%3Aaws%3As3%3A%3A%3Ab%2F%2A%22%7D%5D%7D"
        );
        let unreserved: String = utf8_percent_encode("Az09-_.~é", URL_ENCODE).collect();
        assert_eq!(unreserved, "Az09-_.~%C3%A9");
    }
}
