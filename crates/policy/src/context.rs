//! The request context: condition keys and their values. Key names are case-insensitive
//! in IAM (`aws:SourceIp` is `AWS:sourceip`), so they are stored lower-cased.

use rustc_hash::FxHashMap;

/// The value of a context key: one value, or a set of values for multivalued keys
/// such as `aws:TagKeys`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContextValue {
    /// A single value.
    Single(Box<str>),
    /// A set of values (possibly empty).
    Multi(Box<[Box<str>]>),
}

impl ContextValue {
    /// The values as a slice-like list.
    pub fn values(&self) -> &[Box<str>] {
        match self {
            ContextValue::Single(v) => std::slice::from_ref(v),
            ContextValue::Multi(v) => v,
        }
    }

    /// True for an empty set: IAM treats it like an absent key.
    pub fn is_empty_set(&self) -> bool {
        matches!(self, ContextValue::Multi(v) if v.is_empty())
    }
}

/// Condition keys of a request, by lower-cased name.
#[derive(Debug, Clone, Default)]
pub struct Context {
    values: FxHashMap<Box<str>, ContextValue>,
}

impl Context {
    /// An empty context.
    pub fn new() -> Context {
        Context::default()
    }

    /// Sets a single-valued key.
    pub fn insert(&mut self, key: &str, value: &str) {
        self.values.insert(
            key.to_ascii_lowercase().into(),
            ContextValue::Single(value.into()),
        );
    }

    /// Sets a multivalued key.
    pub fn insert_multi<I, S>(&mut self, key: &str, values: I)
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let values: Box<[Box<str>]> = values.into_iter().map(|v| v.as_ref().into()).collect();
        self.values
            .insert(key.to_ascii_lowercase().into(), ContextValue::Multi(values));
    }

    /// Sets a key unless it is already present.
    pub fn insert_default(&mut self, key: &str, value: &str) {
        self.values
            .entry(key.to_ascii_lowercase().into())
            .or_insert_with(|| ContextValue::Single(value.into()));
    }

    /// Sets `aws:CurrentTime` and `aws:EpochTime`, which are one moment: when the context
    /// gives one of them (`aws:CurrentTime` first), the other is derived from it; when it
    /// gives neither, both come from `now` (seconds since the Unix epoch), if given.
    pub fn complete_time(&mut self, now: Option<i64>) {
        let single = |key: &str| match self.get(key) {
            Some(ContextValue::Single(v)) => Some(v.clone()),
            _ => None,
        };
        let current = single("aws:CurrentTime");
        let epoch = single("aws:EpochTime");
        let seconds = |text: &str| {
            crate::condition::parse_date(text)
                .map(|nanos| nanos.div_euclid(1_000_000_000))
                .and_then(|s| i64::try_from(s).ok())
        };
        let moment = match (&current, &epoch) {
            (Some(c), _) => seconds(c),
            (None, Some(e)) => seconds(e),
            (None, None) => now,
        };
        let Some(moment) = moment else {
            return;
        };
        self.insert_default(
            "aws:CurrentTime",
            &crate::condition::format_timestamp(moment),
        );
        self.insert_default("aws:EpochTime", &moment.to_string());
    }

    /// True when the key is present (in any case).
    pub fn contains(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// The value of a key (in any case).
    pub fn get(&self, key: &str) -> Option<&ContextValue> {
        if key.bytes().any(|b| b.is_ascii_uppercase()) {
            self.values.get(key.to_ascii_lowercase().as_str())
        } else {
            self.values.get(key)
        }
    }

    /// The value of a lower-cased key, as compiled conditions look it up.
    pub(crate) fn get_lower(&self, key: &str) -> Option<&ContextValue> {
        self.values.get(key)
    }

    /// The value a policy variable takes: single-valued keys only (IAM does not substitute
    /// multivalued keys). `key` is lower-cased.
    pub(crate) fn variable(&self, key: &str) -> Option<&str> {
        match self.values.get(key)? {
            ContextValue::Single(v) => Some(v),
            ContextValue::Multi(_) => None,
        }
    }

    /// Every key and value, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &ContextValue)> {
        self.values.iter().map(|(k, v)| (&**k, v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_case_insensitive() {
        let mut c = Context::new();
        c.insert("aws:SourceIp", "10.0.0.1");
        c.insert_multi("aws:TagKeys", ["a", "b"]);
        c.insert_multi("aws:CalledVia", Vec::<String>::new());
        assert!(c.contains("AWS:SOURCEIP"));
        assert_eq!(c.get("aws:sourceip").unwrap().values().len(), 1);
        assert_eq!(c.get("aws:tagkeys").unwrap().values().len(), 2);
        assert!(c.get("aws:calledvia").unwrap().is_empty_set());
        assert_eq!(c.variable("aws:tagkeys"), None);
        c.insert_default("aws:sourceip", "1.1.1.1");
        assert_eq!(c.variable("aws:sourceip"), Some("10.0.0.1"));
    }
}
