//! Exclusive XML Canonicalization 1.0 (W3C Recommendation, 18 July 2002) of one element
//! of a [`super::xml`] tree, optionally without one of its descendants: the node set of a
//! same-document reference (`URI="#ID"`) after the enveloped-signature transform, or a
//! `SignedInfo` element.
//!
//! What the recommendation requires, for the node kinds a parsed document has:
//! - an element is written `<name` + namespace declarations + attributes + `>`, its
//!   children, then `</name>`; empty elements are written with both tags;
//! - a namespace declaration is written on an element that *visibly utilizes* it (its own
//!   prefix, or the default namespace for an unprefixed element; the prefix of one of its
//!   attributes), or whose prefix is in the `InclusiveNamespaces` `PrefixList` (`#default`
//!   for the default namespace) and in scope, unless the nearest output ancestor that
//!   declared that prefix declared the same value. `xmlns=""` is written only to undo a
//!   default namespace an output ancestor declared. The `xml` prefix is never declared;
//! - namespace declarations come first, sorted by prefix (the default one first), then the
//!   attributes sorted by namespace URI (none first) and local name;
//! - attribute values escape `&`, `<`, `"`, tab, line feed and carriage return; text
//!   escapes `&`, `<`, `>` and carriage return; CDATA sections are text;
//! - comments are written only by the `#WithComments` variant; processing instructions are
//!   written as `<?target data?>`.

use super::xml::{Element, Node};
use std::collections::BTreeMap;

/// How to canonicalize.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Options<'a> {
    /// Prefixes of the `InclusiveNamespaces` `PrefixList` (`""` stands for `#default`).
    pub inclusive: &'a [String],
    /// Whether comments are kept (`…/xml-exc-c14n#WithComments`).
    pub comments: bool,
    /// A descendant to leave out with everything in it (the enveloped signature).
    pub exclude: Option<&'a Element>,
}

/// The canonical form of `apex` and its descendants.
pub(crate) fn canonicalize(apex: &Element, options: Options<'_>) -> Vec<u8> {
    let mut out = String::new();
    element(apex, &BTreeMap::new(), &options, &mut out);
    out.into_bytes()
}

/// Reads an `InclusiveNamespaces` `PrefixList`: whitespace-separated prefixes, `#default`
/// for the default namespace.
pub(crate) fn prefix_list(list: &str) -> Vec<String> {
    list.split_ascii_whitespace()
        .map(|p| {
            if p == "#default" {
                String::new()
            } else {
                p.to_string()
            }
        })
        .collect()
}

/// Writes `e`; `rendered` holds the declarations in effect from its output ancestors.
fn element(e: &Element, rendered: &BTreeMap<String, String>, o: &Options<'_>, out: &mut String) {
    let name = e.qualified_name();
    out.push('<');
    out.push_str(&name);
    let mut candidates: Vec<&str> = vec![e.prefix.as_deref().unwrap_or("")];
    candidates.extend(e.attributes.iter().filter_map(|a| a.prefix.as_deref()));
    candidates.extend(o.inclusive.iter().map(String::as_str));
    let mut declare: BTreeMap<String, String> = BTreeMap::new();
    for prefix in candidates {
        if prefix == "xml" {
            continue;
        }
        let value = match e.scope.get(prefix) {
            Some(v) => v.as_str(),
            // An unbound default namespace is the empty one; the parser made sure that
            // every prefix in use is bound, so an unbound prefix comes from the inclusive
            // list and is not in scope here.
            None if prefix.is_empty() => "",
            None => continue,
        };
        let in_effect = rendered.get(prefix).map(String::as_str).unwrap_or("");
        if in_effect != value {
            declare.insert(prefix.to_string(), value.to_string());
        }
    }
    for (prefix, value) in &declare {
        if prefix.is_empty() {
            out.push_str(" xmlns=\"");
        } else {
            out.push_str(" xmlns:");
            out.push_str(prefix);
            out.push_str("=\"");
        }
        escape_attribute(value, out);
        out.push('"');
    }
    let mut attributes: Vec<_> = e.attributes.iter().collect();
    attributes.sort_by(|a, b| {
        (a.namespace.as_deref().unwrap_or(""), a.local.as_str())
            .cmp(&(b.namespace.as_deref().unwrap_or(""), b.local.as_str()))
    });
    for a in attributes {
        out.push(' ');
        if let Some(p) = &a.prefix {
            out.push_str(p);
            out.push(':');
        }
        out.push_str(&a.local);
        out.push_str("=\"");
        escape_attribute(&a.value, out);
        out.push('"');
    }
    out.push('>');
    let inner;
    let rendered = if declare.is_empty() {
        rendered
    } else {
        let mut r = rendered.clone();
        r.extend(declare);
        inner = r;
        &inner
    };
    for child in &e.children {
        match child {
            Node::Element(c) if o.exclude.is_some_and(|x| std::ptr::eq(x, c)) => {}
            Node::Element(c) => element(c, rendered, o, out),
            Node::Text(t) => escape_text(t, out),
            Node::Comment(c) if o.comments => {
                out.push_str("<!--");
                out.push_str(c);
                out.push_str("-->");
            }
            Node::Comment(_) => {}
            Node::Instruction(target, data) => {
                out.push_str("<?");
                out.push_str(target);
                if !data.is_empty() {
                    out.push(' ');
                    out.push_str(data);
                }
                out.push_str("?>");
            }
        }
    }
    out.push_str("</");
    out.push_str(&name);
    out.push('>');
}

fn escape_attribute(value: &str, out: &mut String) {
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '"' => out.push_str("&quot;"),
            '\t' => out.push_str("&#x9;"),
            '\n' => out.push_str("&#xA;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
}

fn escape_text(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::xml::parse;
    use super::*;

    fn c14n(doc: &str, inclusive: &[&str]) -> String {
        let root = parse(doc).unwrap();
        let inclusive: Vec<String> = inclusive.iter().map(|s| s.to_string()).collect();
        let options = Options {
            inclusive: &inclusive,
            comments: false,
            exclude: None,
        };
        String::from_utf8(canonicalize(&root, options)).unwrap()
    }

    fn first_child_c14n(doc: &str, inclusive: &[&str]) -> String {
        let root = parse(doc).unwrap();
        let child = root.elements().next().unwrap();
        let inclusive: Vec<String> = inclusive.iter().map(|s| s.to_string()).collect();
        let options = Options {
            inclusive: &inclusive,
            comments: false,
            exclude: None,
        };
        String::from_utf8(canonicalize(child, options)).unwrap()
    }

    #[test]
    fn writes_elements_attributes_and_text_canonically() {
        assert_eq!(
            c14n(
                "<?xml version=\"1.0\"?>\n<doc   b='2' a=\"1&#x9;x&#10;&#13;\" ><e/><t>a&amp;b&lt;c&gt;d\r\ne&#xD;</t><!-- gone --><?pi  keep ?></doc>",
                &[]
            ),
            "<doc a=\"1&#x9;x&#xA;&#xD;\" b=\"2\"><e></e><t>a&amp;b&lt;c&gt;d\ne&#xD;</t><?pi keep ?></doc>"
        );
        assert_eq!(
            c14n("<d a='&quot;&apos;&gt;'><![CDATA[<&>]]></d>", &[]),
            "<d a=\"&quot;'>\">&lt;&amp;&gt;</d>"
        );
    }

    #[test]
    fn declares_only_the_namespaces_an_element_uses() {
        // The unused declaration of `u` is dropped; `b` goes where it is used; attributes
        // sort by namespace URI, unqualified ones first.
        assert_eq!(
            c14n(
                "<a:r xmlns:a='urn:a' xmlns:u='urn:unused' xmlns:b='urn:b' b:y='1' x='2' a:z='3'><b:c/><a:d/></a:r>",
                &[]
            ),
            "<a:r xmlns:a=\"urn:a\" xmlns:b=\"urn:b\" x=\"2\" a:z=\"3\" b:y=\"1\"><b:c></b:c><a:d></a:d></a:r>"
        );
        // A subtree declares what it inherits and uses, not what its ancestors declared.
        assert_eq!(
            first_child_c14n(
                "<p:Response xmlns:p='urn:p' xmlns:s='urn:s' xmlns='urn:d'><s:Assertion ID='x'><Default/><s:I>v</s:I></s:Assertion></p:Response>",
                &[]
            ),
            "<s:Assertion xmlns:s=\"urn:s\" ID=\"x\"><Default xmlns=\"urn:d\"></Default><s:I>v</s:I></s:Assertion>"
        );
    }

    #[test]
    fn handles_default_namespaces() {
        assert_eq!(
            c14n(
                "<r xmlns='urn:d'><c xmlns=''><g/></c><d xmlns='urn:d'/><e xmlns='urn:e'/></r>",
                &[]
            ),
            "<r xmlns=\"urn:d\"><c xmlns=\"\"><g></g></c><d></d><e xmlns=\"urn:e\"></e></r>"
        );
        // Nothing to undo at the apex.
        assert_eq!(c14n("<r xmlns=''/>", &[]), "<r></r>");
    }

    #[test]
    fn inclusive_prefixes_are_declared_where_in_scope() {
        let doc = "<p:R xmlns:p='urn:p' xmlns:xs='urn:xs' xmlns='urn:d'><p:A><p:V t='xs:string'>v</p:V></p:A></p:R>";
        assert_eq!(
            first_child_c14n(doc, &[]),
            "<p:A xmlns:p=\"urn:p\"><p:V t=\"xs:string\">v</p:V></p:A>"
        );
        assert_eq!(
            first_child_c14n(
                doc,
                &prefix_list("xs #default missing")
                    .iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>()
            ),
            "<p:A xmlns=\"urn:d\" xmlns:p=\"urn:p\" xmlns:xs=\"urn:xs\"><p:V t=\"xs:string\">v</p:V></p:A>"
        );
    }

    #[test]
    fn leaves_out_the_excluded_element_and_keeps_comments_on_request() {
        let root = parse("<r ID='1'>a<s><x/></s>b<!--c--></r>").unwrap();
        let s = root.elements().next().unwrap();
        let without = canonicalize(
            &root,
            Options {
                inclusive: &[],
                comments: false,
                exclude: Some(s),
            },
        );
        assert_eq!(without, b"<r ID=\"1\">ab</r>");
        let with_comments = canonicalize(
            &root,
            Options {
                inclusive: &[],
                comments: true,
                exclude: None,
            },
        );
        assert_eq!(with_comments, b"<r ID=\"1\">a<s><x></x></s>b<!--c--></r>");
    }
}
