//! What handlers share to read a typed input and size an answer: pages (`Marker`,
//! `MaxItems`), the "Member must not be null" error of a member an operation needs though the
//! model makes it optional, and the bytes an item takes in an XML answer. The protocol layer
//! has already checked the input against the botocore model (required members, types,
//! lengths, patterns, enums).

use crate::error::Error;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

/// A member the model makes optional but the operation needs here: IAM's "Member must not
/// be null" ValidationError when it is absent.
pub(crate) fn required<'v>(value: Option<&'v str>, member: &str) -> Result<&'v str, Error> {
    value.ok_or_else(|| {
        Error::validation(format!(
            "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null",
            lower_camel(member)
        ))
    })
}

impl Page {
    /// The page a request asks for with its `Marker` and `MaxItems` (100 items by default,
    /// 1 to 1,000).
    pub(crate) fn new(marker: Option<&str>, max_items: Option<i64>) -> Result<Page, Error> {
        let start = match marker {
            Some(m) => Some(
                URL_SAFE_NO_PAD
                    .decode(m)
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .ok_or_else(|| Error::validation("Invalid Marker."))?,
            ),
            None => None,
        };
        Ok(Page {
            start,
            max_items: max_items.unwrap_or(100).clamp(1, 1000) as usize,
        })
    }
}

/// A page request: where to start and how many items at most.
pub(crate) struct Page {
    /// The key of the first item to return (from the previous page's marker).
    pub start: Option<String>,
    /// At most this many items.
    pub max_items: usize,
}

impl Page {
    /// Pages through items sorted by key: returns the page and the marker of the next
    /// one (`None` when this is the last page). Keys out of order would make pages repeat
    /// or skip items: debug builds panic on them.
    pub(crate) fn take<'i, T: 'i>(
        &self,
        items: impl IntoIterator<Item = (&'i str, T)>,
    ) -> (Vec<T>, Option<String>) {
        let mut out = Vec::new();
        let mut previous: Option<&'i str> = None;
        let mut rest = items
            .into_iter()
            .inspect(|(k, _)| {
                debug_assert!(
                    previous.is_none_or(|p| p < *k),
                    "page keys out of order: {previous:?} before {k:?}"
                );
                previous = Some(*k);
            })
            .skip_while(|(k, _)| self.start.as_deref().is_some_and(|s| *k < s));
        for (_, item) in rest.by_ref().take(self.max_items) {
            out.push(item);
        }
        let next = rest.next().map(|(k, _)| URL_SAFE_NO_PAD.encode(k));
        (out, next)
    }
}

/// A page key for items listed by date (oldest first), then ID: sorts as they are listed.
pub(crate) fn dated_key(date: i64, id: &str) -> String {
    format!("{date:020}{id}")
}

/// The bytes a `<member>` wrapper adds to an item of a list.
pub(crate) const MEMBER_BYTES: usize = 17;

/// An upper bound of the bytes `v` takes in an XML answer, not counting the element that
/// holds it: tags around structure members, `<entry><key>…</key><value>…</value></entry>`
/// around map entries, `<member>` around list items, and strings escaped (`&quot;` is six
/// bytes) or percent-encoded (policy documents: three bytes for any byte but
/// `A-Za-z0-9-_.~`). Pages that must stay small count their items with it.
pub(crate) fn answer_bytes(v: &Value) -> usize {
    match v {
        Value::Null => 0,
        Value::Bool(_) => 5,
        Value::Number(n) => n.to_string().len(),
        Value::String(s) => s
            .bytes()
            .map(|b| match b {
                b'"' => 6,
                b'&' | b'\r' => 5,
                b'<' | b'>' => 4,
                b'-' | b'_' | b'.' | b'~' => 1,
                b if b.is_ascii_alphanumeric() => 1,
                _ => 3,
            })
            .sum(),
        Value::Array(items) => items.iter().map(|i| MEMBER_BYTES + answer_bytes(i)).sum(),
        // `<K>…</K>` for a structure member, `<entry><key>K</key><value>…</value></entry>`
        // for a map entry: at most 2·K + 46 bytes around the value.
        Value::Object(m) => m
            .iter()
            .map(|(k, v)| 2 * k.len() + 46 + answer_bytes(v))
            .sum(),
    }
}

/// `RoleName` → `roleName`, as AWS names members in validation messages.
pub(crate) fn lower_camel(name: &str) -> String {
    LowerCamel(name).to_string()
}

/// A member name written in lower camel case (`RoleName` → `roleName`) as it is
/// serialized, without a copy.
pub(crate) struct LowerCamel<'a>(pub &'a str);

impl std::fmt::Display for LowerCamel<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use std::fmt::Write;
        let mut chars = self.0.chars();
        if let Some(first) = chars.next() {
            for c in first.to_lowercase() {
                f.write_char(c)?;
            }
        }
        f.write_str(chars.as_str())
    }
}

impl serde::Serialize for LowerCamel<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_through_sorted_items() {
        let items = [("a", 1), ("b", 2), ("c", 3), ("d", 4), ("e", 5)];
        let page = Page {
            start: None,
            max_items: 2,
        };
        let (first, next) = page.take(items);
        assert_eq!(first, [1, 2]);
        let next_start = String::from_utf8(URL_SAFE_NO_PAD.decode(next.unwrap()).unwrap()).unwrap();
        let page = Page {
            start: Some(next_start),
            max_items: 10,
        };
        let (rest, next) = page.take(items);
        assert_eq!(rest, [3, 4, 5]);
        assert!(next.is_none());
    }

    #[cfg(debug_assertions)]
    #[test]
    #[should_panic(expected = "page keys out of order")]
    fn keys_out_of_order_are_bugs_in_debug_builds() {
        let page = Page {
            start: None,
            max_items: 10,
        };
        page.take([("u-alice", 1), ("g-admins", 2)]);
    }

    #[test]
    fn reads_pages_and_required_members() {
        assert_eq!(Page::new(None, Some(5)).unwrap().max_items, 5);
        assert_eq!(Page::new(None, None).unwrap().max_items, 100);
        assert!(Page::new(Some("%%%"), None).is_err());
        assert_eq!(required(Some("r"), "RoleName").unwrap(), "r");
        let e = required(None, "RoleName").unwrap_err().into_aws();
        assert!(e.message().contains("at 'roleName'"), "{}", e.message());
        assert_eq!(lower_camel("RoleName"), "roleName");
    }
}
