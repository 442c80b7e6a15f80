//! A small namespace-aware XML tree: what SAML responses and SAML metadata need, read with
//! `quick-xml` and kept whole so that the canonical form of any element can be computed
//! (see [`super::c14n`]).
//!
//! The reader refuses what an identity provider has no reason to send and what XML
//! signature attacks use: document type declarations (and so any entity but the five
//! predefined ones), an encoding other than UTF-8, unbound prefixes, attributes that are
//! the same once their namespace is resolved. Its limits ([`MAX_DEPTH`], [`MAX_ELEMENTS`],
//! [`MAX_ATTRIBUTES`], [`MAX_DECLARATIONS`]) are far above what identity providers write and
//! keep the tree of a hostile document small (the operation is unauthenticated).
//! Text and attribute values are stored as the XML specification says a parser reports
//! them: line ends normalized to `\n`, references resolved, attribute values normalized.

use quick_xml::Reader;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesStart, Event};
use std::collections::BTreeMap;
use std::rc::Rc;

/// The namespace bound to the `xml` prefix.
pub(crate) const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";

/// The deepest nesting accepted; SAML documents nest about ten levels.
pub(crate) const MAX_DEPTH: usize = 64;
/// The most elements a document may have (metadata of one identity provider has hundreds).
pub(crate) const MAX_ELEMENTS: usize = 100_000;
/// The most attributes (namespace declarations included) an element may have.
pub(crate) const MAX_ATTRIBUTES: usize = 256;
/// The most namespace declarations a document may have.
pub(crate) const MAX_DECLARATIONS: usize = 256;

/// Namespace bindings by prefix (`""` for the default namespace), shared by the elements
/// that declare nothing new.
pub(crate) type Scope = Rc<BTreeMap<String, String>>;

/// An element, with everything needed to read it and to canonicalize it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Element {
    /// The prefix as written (`None` for an unprefixed name).
    pub prefix: Option<String>,
    /// The local name.
    pub local: String,
    /// The namespace the name is in (`None`: no namespace).
    pub namespace: Option<String>,
    /// Every namespace binding in scope here, by prefix (`""` for the default namespace,
    /// absent when there is none), the `xml` prefix excepted.
    pub scope: Scope,
    /// The attributes, namespace declarations excepted.
    pub attributes: Vec<Attribute>,
    /// The children, in document order.
    pub children: Vec<Node>,
}

/// An attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Attribute {
    /// The prefix as written.
    pub prefix: Option<String>,
    /// The local name.
    pub local: String,
    /// The namespace (`None` for an unprefixed attribute).
    pub namespace: Option<String>,
    /// The normalized value.
    pub value: String,
}

/// A child of an element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Node {
    /// An element.
    Element(Element),
    /// Character data (adjacent text, references and CDATA sections joined).
    Text(String),
    /// A comment.
    Comment(String),
    /// A processing instruction: target and data.
    Instruction(String, String),
}

impl Element {
    /// The name as written: `prefix:local` or `local`.
    pub(crate) fn qualified_name(&self) -> String {
        match &self.prefix {
            Some(p) => format!("{p}:{}", self.local),
            None => self.local.clone(),
        }
    }

    /// Whether the element is `local` in namespace `ns`.
    pub(crate) fn is(&self, ns: &str, local: &str) -> bool {
        self.local == local && self.namespace.as_deref() == Some(ns)
    }

    /// The value of the unqualified attribute `name`.
    pub(crate) fn attr(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|a| a.namespace.is_none() && a.local == name)
            .map(|a| a.value.as_str())
    }

    /// The child elements.
    pub(crate) fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            _ => None,
        })
    }

    /// The child elements named `local` in namespace `ns`.
    pub(crate) fn children_named<'a>(
        &'a self,
        ns: &'a str,
        local: &'a str,
    ) -> impl Iterator<Item = &'a Element> + 'a {
        self.elements().filter(move |e| e.is(ns, local))
    }

    /// The first child element named `local` in namespace `ns`.
    pub(crate) fn child(&self, ns: &str, local: &str) -> Option<&Element> {
        self.elements().find(|e| e.is(ns, local))
    }

    /// The text of the element and its descendants, joined.
    pub(crate) fn text(&self) -> String {
        let mut out = String::new();
        self.collect_text(&mut out);
        out
    }

    fn collect_text(&self, out: &mut String) {
        for n in &self.children {
            match n {
                Node::Text(t) => out.push_str(t),
                Node::Element(e) => e.collect_text(out),
                Node::Comment(_) | Node::Instruction(..) => {}
            }
        }
    }

    /// This element and all its descendant elements, in document order.
    pub(crate) fn descendants(&self) -> Vec<&Element> {
        let mut out = Vec::new();
        let mut stack = vec![self];
        while let Some(e) = stack.pop() {
            out.push(e);
            let kids: Vec<&Element> = e.elements().collect();
            stack.extend(kids.into_iter().rev());
        }
        out
    }
}

/// Parses a document and returns its root element; `None` when it is not a well-formed
/// namespace-aware XML document this reader accepts (see the module documentation).
pub(crate) fn parse(text: &str) -> Option<Element> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = Reader::from_str(text);
    let mut open: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut counts = Counts::default();
    loop {
        match reader.read_event().ok()? {
            Event::Start(start) => {
                if root.is_some() || open.len() >= MAX_DEPTH {
                    return None;
                }
                let element = element(&start, open.last().map(|p| &p.scope), &mut counts)?;
                open.push(element);
            }
            Event::Empty(start) => {
                if root.is_some() {
                    return None;
                }
                let element = element(&start, open.last().map(|p| &p.scope), &mut counts)?;
                match open.last_mut() {
                    Some(parent) => parent.children.push(Node::Element(element)),
                    None => root = Some(element),
                }
            }
            Event::End(_) => {
                let done = open.pop()?;
                match open.last_mut() {
                    Some(parent) => parent.children.push(Node::Element(done)),
                    None => root = Some(done),
                }
            }
            Event::Text(t) => {
                let text = t.xml10_content();
                match open.last_mut() {
                    Some(parent) => push_text(parent, &text),
                    None if text.chars().all(is_xml_space) => {}
                    None => return None,
                }
            }
            Event::CData(c) => push_text(open.last_mut()?, &c.xml10_content()),
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref().ok()? {
                    Some(c) => c.to_string(),
                    None => resolve_predefined_entity(&r)?.to_string(),
                };
                push_text(open.last_mut()?, &resolved);
            }
            Event::Comment(c) => {
                if let Some(parent) = open.last_mut() {
                    parent
                        .children
                        .push(Node::Comment(c.xml10_content().into_owned()));
                }
            }
            Event::PI(pi) => {
                if let Some(parent) = open.last_mut() {
                    let target = pi.target().to_string();
                    let data = pi.content().trim_start_matches(is_xml_space).to_string();
                    parent.children.push(Node::Instruction(target, data));
                }
            }
            Event::Decl(decl) => {
                if let Some(encoding) = decl.encoding() {
                    let encoding = encoding.ok()?;
                    if !encoding.eq_ignore_ascii_case("utf-8") {
                        return None;
                    }
                }
            }
            Event::DocType(_) => return None,
            Event::Eof => break,
        }
    }
    if open.is_empty() { root } else { None }
}

fn is_xml_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

fn push_text(parent: &mut Element, text: &str) {
    if let Some(Node::Text(last)) = parent.children.last_mut() {
        last.push_str(text);
    } else if !text.is_empty() {
        parent.children.push(Node::Text(text.to_string()));
    }
}

fn split_name(name: &str) -> Option<(Option<String>, String)> {
    match name.split_once(':') {
        Some((p, l)) if !p.is_empty() && !l.is_empty() && !l.contains(':') => {
            Some((Some(p.to_string()), l.to_string()))
        }
        Some(_) => None,
        None if !name.is_empty() => Some((None, name.to_string())),
        None => None,
    }
}

/// What a document used of its limits so far.
#[derive(Default)]
struct Counts {
    elements: usize,
    declarations: usize,
}

/// Resolves `prefix` in `scope` (the `xml` prefix is always bound).
fn resolve(scope: &Scope, prefix: &str) -> Option<String> {
    if prefix == "xml" {
        return Some(XML_NS.to_string());
    }
    scope.get(prefix).cloned()
}

/// Builds an element from its start tag, with the bindings in scope at its parent.
fn element(start: &BytesStart<'_>, parent: Option<&Scope>, counts: &mut Counts) -> Option<Element> {
    counts.elements += 1;
    if counts.elements > MAX_ELEMENTS {
        return None;
    }
    let inherited = parent.cloned().unwrap_or_default();
    let mut declared: Option<BTreeMap<String, String>> = None;
    let mut plain = Vec::new();
    for (n, attr) in start.attributes().enumerate() {
        if n >= MAX_ATTRIBUTES {
            return None;
        }
        let attr = attr.ok()?;
        let key = attr.key.as_ref().to_string();
        let value = attr
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .ok()?
            .into_owned();
        let declared_prefix = if key == "xmlns" {
            Some(String::new())
        } else if let Some(prefix) = key.strip_prefix("xmlns:") {
            match prefix {
                "xml" if value == XML_NS => continue,
                "xml" | "xmlns" | "" => return None,
                _ if value.is_empty() || value == XML_NS || prefix.contains(':') => return None,
                _ => Some(prefix.to_string()),
            }
        } else {
            None
        };
        if let Some(prefix) = declared_prefix {
            counts.declarations += 1;
            if counts.declarations > MAX_DECLARATIONS {
                return None;
            }
            let scope = declared.get_or_insert_with(|| (*inherited).clone());
            if value.is_empty() {
                scope.remove(&prefix);
            } else {
                scope.insert(prefix, value);
            }
        } else {
            plain.push((key, value));
        }
    }
    let scope: Scope = declared.map(Rc::new).unwrap_or(inherited);
    let name = start.name().as_ref().to_string();
    let (prefix, local) = split_name(&name)?;
    if prefix.as_deref() == Some("xmlns") {
        return None;
    }
    let namespace = match &prefix {
        Some(p) => Some(resolve(&scope, p)?),
        None => scope.get("").cloned(),
    };
    let mut attributes: Vec<Attribute> = Vec::with_capacity(plain.len());
    for (key, value) in plain {
        let (prefix, local) = split_name(&key)?;
        let namespace = match &prefix {
            Some(p) => Some(resolve(&scope, p)?),
            None => None,
        };
        if attributes
            .iter()
            .any(|a| a.local == local && a.namespace == namespace)
        {
            return None;
        }
        attributes.push(Attribute {
            prefix,
            local,
            namespace,
            value,
        });
    }
    Some(Element {
        prefix,
        local,
        namespace,
        scope,
        attributes,
        children: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_names_namespaces_and_values() {
        let doc = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<a:root xmlns:a=\"urn:a\" xmlns=\"urn:d\" x=\"1\r\n2\" a:y=\"&lt;&#xD;\">\
                   <child>t&amp;u<![CDATA[<v>]]>\r\nw</child><a:e/><n xmlns=\"\"/><!--c--><?pi  data?></a:root>";
        let root = parse(doc).unwrap();
        assert_eq!(root.qualified_name(), "a:root");
        assert!(root.is("urn:a", "root"));
        assert_eq!(root.attr("x"), Some("1 2"));
        let y = &root.attributes[1];
        assert_eq!(
            (y.namespace.as_deref(), y.value.as_str()),
            (Some("urn:a"), "<\r")
        );
        let kids: Vec<&Element> = root.elements().collect();
        assert!(kids[0].is("urn:d", "child"));
        assert_eq!(kids[0].text(), "t&u<v>\nw");
        assert!(kids[1].is("urn:a", "e"));
        assert_eq!(kids[2].namespace, None);
        assert!(!kids[2].scope.contains_key(""));
        assert!(root.children.contains(&Node::Comment("c".into())));
        assert!(
            root.children
                .contains(&Node::Instruction("pi".into(), "data".into()))
        );
        assert_eq!(root.descendants().len(), 4);
    }

    #[test]
    fn refuses_what_signed_responses_never_need() {
        for bad in [
            "",
            "text",
            "<a>",
            "<a></b>",
            "<a/><b/>",
            "<a/>trailing",
            "<p:a/>",
            "<a p:x=\"1\"/>",
            "<a xmlns:p=\"urn:p\" xmlns:q=\"urn:p\" p:x=\"1\" q:x=\"2\"/>",
            "<a x=\"1\" x=\"2\"/>",
            "<!DOCTYPE a [<!ENTITY e \"x\">]><a>&e;</a>",
            "<a>&e;</a>",
            "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a/>",
            "<a xmlns:p=\"\"/>",
            "<xmlns:a/>",
        ] {
            assert!(parse(bad).is_none(), "{bad}");
        }
        let deep = format!(
            "{}{}",
            "<a>".repeat(MAX_DEPTH + 1),
            "</a>".repeat(MAX_DEPTH + 1)
        );
        assert!(parse(&deep).is_none());
        let ok = format!("{}{}", "<a>".repeat(MAX_DEPTH), "</a>".repeat(MAX_DEPTH));
        assert!(parse(&ok).is_some());
        let attributes = |n: usize| {
            let list: String = (0..n).map(|i| format!(" a{i}=\"\"")).collect();
            format!("<a{list}/>")
        };
        assert!(parse(&attributes(MAX_ATTRIBUTES)).is_some());
        assert!(parse(&attributes(MAX_ATTRIBUTES + 1)).is_none());
        let declarations = |n: usize| {
            let inner: String = (0..n)
                .map(|i| format!("<e xmlns:p{i}=\"urn:{i}\"/>"))
                .collect();
            format!("<a>{inner}</a>")
        };
        assert!(parse(&declarations(MAX_DECLARATIONS)).is_some());
        assert!(parse(&declarations(MAX_DECLARATIONS + 1)).is_none());
        let elements = |n: usize| format!("<a>{}</a>", "<e/>".repeat(n - 1));
        assert!(parse(&elements(MAX_ELEMENTS)).is_some());
        assert!(parse(&elements(MAX_ELEMENTS + 1)).is_none());
    }

    #[test]
    fn elements_share_the_bindings_they_inherit() {
        let root = parse("<a xmlns='urn:d'><b><c xmlns:p='urn:p'/></b></a>").unwrap();
        let b = root.elements().next().unwrap();
        let c = b.elements().next().unwrap();
        assert!(Rc::ptr_eq(&root.scope, &b.scope));
        assert!(!Rc::ptr_eq(&b.scope, &c.scope));
        assert_eq!(c.scope.get("p").map(String::as_str), Some("urn:p"));
    }
}
