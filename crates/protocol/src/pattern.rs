//! String patterns of the AWS models, matched the way AWS matches them.
//!
//! The models carry Java regular expressions, and AWS checks a value against the whole pattern
//! (Java's `Matcher::matches`): `[\w+=,.@-]+` rejects `bad name`, although `bad` alone would
//! match. The `regex` crate differs from Java in a few points that matter here, so a pattern is
//! translated before it is compiled:
//!
//! - `\w`, `\d` and `\s` are ASCII-only in Java but Unicode-aware in `regex`; they become explicit
//!   ASCII classes.
//! - `\uXXXX` becomes `\x{XXXX}`. The STS model writes the supplementary planes as
//!   `\u10000-\u10FFFF` (five and six hex digits); Java would read `\u1000` followed by `0`, but
//!   the intent is U+10000..U+10FFFF, so a run of five or six hex digits whose value lies in that
//!   range is read as one code point.
//! - Look-around is not supported by `regex`. The model patterns that use it are rewritten into
//!   an equivalent regular expression plus a check in code: `-(?!-)` ("a hyphen not followed by
//!   another hyphen") forbids `--`; the workload identity paths' `(?!\.{1,2}(?:/|$))` ("a
//!   segment is not `.` or `..`") and `(?=.*\{)` ("holds a `{`") become [`Extra`] checks.
//!
//! The message of a failed match quotes the pattern as the model writes it, as AWS does.

use regex::Regex;

/// What a rewritten look-around pattern checks besides its regular expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Extra {
    /// The value does not contain this text.
    Forbidden(&'static str),
    /// No `/`-separated segment outside `{…}` is `.` or `..`; with `placeholder`, the value
    /// holds a `{`.
    Segments { placeholder: bool },
}

impl Extra {
    fn allows(self, value: &str) -> bool {
        match self {
            Extra::Forbidden(f) => !value.contains(f),
            Extra::Segments { placeholder } => {
                (!placeholder || value.contains('{'))
                    && plain_segments(value).all(|s| s != "." && s != "..")
            }
        }
    }
}

/// The segments of a workload identity path that are not `{…}` placeholders (which may hold
/// a `/` themselves).
fn plain_segments(value: &str) -> impl Iterator<Item = &str> {
    let mut rest = value;
    std::iter::from_fn(move || {
        loop {
            if rest.is_empty() {
                return None;
            }
            if rest.starts_with('{') {
                let end = rest.find('}').map_or(rest.len(), |i| i + 1);
                rest = rest[end..].strip_prefix('/').unwrap_or(&rest[end..]);
                continue;
            }
            let end = rest.find('/').unwrap_or(rest.len());
            let segment = &rest[..end];
            rest = rest.get(end + 1..).unwrap_or("");
            return Some(segment);
        }
    })
}

/// A compiled model pattern.
#[derive(Debug)]
pub struct Pattern {
    source: Box<str>,
    regex: Regex,
    extra: Option<Extra>,
}

/// A model pattern that could not be compiled.
#[derive(Debug, thiserror::Error)]
#[error("pattern {pattern:?} does not compile: {source}")]
pub struct PatternError {
    pattern: String,
    #[source]
    source: regex::Error,
}

impl Pattern {
    /// Compiles a model (Java) pattern so that it must match the whole value.
    pub fn new(java: &str) -> Result<Self, PatternError> {
        let (rewritten, extra) = rewrite_lookaround(java);
        let translated = translate(&rewritten);
        let anchored = format!("^(?:{translated})$");
        let regex = Regex::new(&anchored).map_err(|source| PatternError {
            pattern: java.to_owned(),
            source,
        })?;
        Ok(Self {
            source: java.into(),
            regex,
            extra,
        })
    }

    /// The pattern as the model writes it (this is what AWS quotes in its messages).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// True when the whole of `value` matches.
    pub fn is_match(&self, value: &str) -> bool {
        self.regex.is_match(value) && self.extra.is_none_or(|x| x.allows(value))
    }
}

/// Rewrites the look-ahead forms found in the models. `X|-(?!-)` inside a repeated group means
/// "X or a hyphen that is not followed by a hyphen"; as the group is followed by a non-hyphen
/// class in the model, that is the same as allowing hyphens and forbidding `--`.
/// `(?!\.{1,2}(?:/|$))` before a path segment means the segment is not `.` or `..`, and a
/// leading `(?=.*\{)` that the value holds a `{`: both are dropped from the expression and
/// checked by [`Extra::Segments`].
fn rewrite_lookaround(java: &str) -> (String, Option<Extra>) {
    const DOT_SEGMENT: &str = r"(?!\.{1,2}(?:/|$))";
    const HAS_BRACE: &str = r"^(?=.*\{)";
    if java.contains(DOT_SEGMENT) {
        let mut out = java.replace(DOT_SEGMENT, "");
        let placeholder = out.starts_with(HAS_BRACE);
        if placeholder {
            out = format!("^{}", &out[HAS_BRACE.len()..]);
        }
        return (out, Some(Extra::Segments { placeholder }));
    }
    const FORM: &str = "|-(?!-))";
    if let Some(at) = java.find(FORM) {
        // `([a-z0-9]|-(?!-))` becomes `([a-z0-9]|-)`.
        let mut out = String::with_capacity(java.len());
        out.push_str(&java[..at]);
        out.push_str("|-)");
        out.push_str(&java[at + FORM.len()..]);
        return (out, Some(Extra::Forbidden("--")));
    }
    (java.to_owned(), None)
}

fn translate(java: &str) -> String {
    let chars: Vec<char> = java.chars().collect();
    let mut out = String::with_capacity(java.len() + 16);
    let mut class_depth = 0usize;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' if i + 1 < chars.len() => {
                let next = chars[i + 1];
                i += 2;
                match next {
                    'w' => out.push_str(if class_depth > 0 {
                        "0-9A-Za-z_"
                    } else {
                        "[0-9A-Za-z_]"
                    }),
                    'd' => out.push_str(if class_depth > 0 { "0-9" } else { "[0-9]" }),
                    's' => out.push_str(if class_depth > 0 {
                        " \\t\\n\\x0B\\x0C\\r"
                    } else {
                        "[ \\t\\n\\x0B\\x0C\\r]"
                    }),
                    'u' => {
                        let run = chars[i..]
                            .iter()
                            .take(6)
                            .take_while(|c| c.is_ascii_hexdigit())
                            .count();
                        let digits = |n: usize| chars[i..i + n].iter().collect::<String>();
                        let take = if run >= 5 {
                            let value = u32::from_str_radix(&digits(run), 16).unwrap_or(0);
                            if (0x10000..=0x10FFFF).contains(&value) {
                                run
                            } else {
                                4
                            }
                        } else {
                            run
                        };
                        if take == 0 {
                            out.push_str("\\u");
                        } else {
                            out.push_str("\\x{");
                            out.push_str(&digits(take));
                            out.push('}');
                            i += take;
                        }
                    }
                    other => {
                        out.push('\\');
                        out.push(other);
                    }
                }
                continue;
            }
            '[' => class_depth += 1,
            ']' if class_depth > 0 => class_depth -= 1,
            _ => {}
        }
        out.push(c);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_value_must_match() {
        let p = Pattern::new(r"[\w+=,.@-]+").unwrap();
        assert!(p.is_match("role-name_1.x@y+z=w,"));
        assert!(!p.is_match("bad name"));
        assert!(!p.is_match(""));
        assert_eq!(p.source(), r"[\w+=,.@-]+");
    }

    #[test]
    fn word_class_is_ascii_like_java() {
        let p = Pattern::new(r"[\w]+").unwrap();
        assert!(p.is_match("AROA123abc_"));
        assert!(!p.is_match("é"));
        let d = Pattern::new(r"\d{12}").unwrap();
        assert!(d.is_match("123456789012"));
        assert!(!d.is_match("١٢٣٤٥٦٧٨٩٠١٢"));
    }

    #[test]
    fn java_unicode_escapes() {
        let p = Pattern::new(r"[\u0009\u000A\u000D\u0020-\u00FF]+").unwrap();
        assert!(p.is_match("{\"Version\":\t\"2012-10-17\"}\n"));
        assert!(p.is_match("ÿ"));
        assert!(!p.is_match("Ā"));
        assert!(!p.is_match("\u{1}"));
        let path = Pattern::new(r"(\u002F)|(\u002F[\u0021-\u007E]+\u002F)").unwrap();
        assert!(path.is_match("/"));
        assert!(path.is_match("/a/b/"));
        assert!(!path.is_match("/a"));
        assert!(!path.is_match("a/"));
    }

    #[test]
    fn supplementary_planes_in_the_sts_pattern() {
        let p = Pattern::new(
            r"[\u0009\u000A\u000D\u0020-\u007E\u0085\u00A0-\uD7FF\uE000-\uFFFD\u10000-\u10FFFF]+",
        )
        .unwrap();
        assert!(p.is_match("arn:aws:iam::123456789012:role/r"));
        assert!(p.is_match("😀"));
        assert!(!p.is_match("\u{1}"));
        assert!(!p.is_match(""));
    }

    #[test]
    fn look_ahead_rewritten() {
        let p = Pattern::new(r"^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$").unwrap();
        assert!(p.is_match("my-partner-1"));
        assert!(!p.is_match("my--partner"));
        assert!(!p.is_match("-ab"));
        assert!(!p.is_match("ab-"));
        assert!(!p.is_match("ab"));
    }

    #[test]
    fn workload_identity_paths_refuse_dot_segments() {
        let prefix = Pattern::new(
            r"^(?!\.{1,2}(?:/|$))[A-Za-z0-9._-]+(?:/(?!\.{1,2}(?:/|$))[A-Za-z0-9._-]+)*$",
        )
        .unwrap();
        for good in ["payments", "prod/payments", "a.b/...", ".hidden/x"] {
            assert!(prefix.is_match(good), "{good}");
        }
        for bad in [".", "..", "a/./b", "a/..", "a//b", "/a", "a/"] {
            assert!(!prefix.is_match(bad), "{bad}");
        }
        let pattern = Pattern::new(r"^(?=.*\{)(?:\{[A-Za-z0-9:/._-]+\}|(?!\.{1,2}(?:/|$))[A-Za-z0-9._-]+)(?:/(?:\{[A-Za-z0-9:/._-]+\}|(?!\.{1,2}(?:/|$))[A-Za-z0-9._-]+))*$").unwrap();
        for good in ["ns/{aws:eks/namespace}", "{a}", "x/{a/../b}/y", "{a}/{b}"] {
            assert!(pattern.is_match(good), "{good}");
        }
        for bad in ["no/placeholder", "../{a}", "{a}/.", "{a}//x", "{}"] {
            assert!(!pattern.is_match(bad), "{bad}");
        }
    }

    #[test]
    fn escaped_punctuation() {
        let p = Pattern::new(r"[\w+=,.@\:-]*").unwrap();
        assert!(p.is_match("a:b"));
        assert!(p.is_match(""));
        let q = Pattern::new(r"^o-[0-9a-z]{10,32}\/r-[0-9a-z]{4,32}[0-9a-z-\/]*").unwrap();
        assert!(q.is_match("o-abcdefghij/r-abcd/ou-x"));
    }
}
