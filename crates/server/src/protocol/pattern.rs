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
//! - Look-around is not supported by `regex`. The one model pattern that uses it
//!   (`-(?!-)`, "a hyphen not followed by another hyphen") is rewritten into an equivalent regular
//!   expression plus a forbidden substring.
//!
//! The message of a failed match quotes the pattern as the model writes it, as AWS does.

use regex::Regex;

/// A compiled model pattern.
#[derive(Debug)]
pub struct Pattern {
    source: Box<str>,
    regex: Regex,
    forbidden: Option<&'static str>,
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
        let (rewritten, forbidden) = rewrite_lookaround(java);
        let translated = translate(&rewritten);
        let anchored = format!("^(?:{translated})$");
        let regex = Regex::new(&anchored).map_err(|source| PatternError {
            pattern: java.to_owned(),
            source,
        })?;
        Ok(Self {
            source: java.into(),
            regex,
            forbidden,
        })
    }

    /// The pattern as the model writes it (this is what AWS quotes in its messages).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// True when the whole of `value` matches.
    pub fn is_match(&self, value: &str) -> bool {
        self.regex.is_match(value) && self.forbidden.is_none_or(|f| !value.contains(f))
    }
}

/// Rewrites the look-ahead forms found in the models. `X|-(?!-)` inside a repeated group means
/// "X or a hyphen that is not followed by a hyphen"; as the group is followed by a non-hyphen
/// class in the model, that is the same as allowing hyphens and forbidding `--`.
fn rewrite_lookaround(java: &str) -> (String, Option<&'static str>) {
    const FORM: &str = "|-(?!-))";
    if let Some(at) = java.find(FORM) {
        // `([a-z0-9]|-(?!-))` becomes `([a-z0-9]|-)`.
        let mut out = String::with_capacity(java.len());
        out.push_str(&java[..at]);
        out.push_str("|-)");
        out.push_str(&java[at + FORM.len()..]);
        return (out, Some("--"));
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
    fn escaped_punctuation() {
        let p = Pattern::new(r"[\w+=,.@\:-]*").unwrap();
        assert!(p.is_match("a:b"));
        assert!(p.is_match(""));
        let q = Pattern::new(r"^o-[0-9a-z]{10,32}\/r-[0-9a-z]{4,32}[0-9a-z-\/]*").unwrap();
        assert!(q.is_match("o-abcdefghij/r-abcd/ou-x"));
    }
}
