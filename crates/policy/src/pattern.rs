//! Wildcard patterns with `*` (any run of characters, including none) and `?` (exactly
//! one character), and policy variables (`${aws:username}`, `${aws:PrincipalTag/team, 'x'}`,
//! `${*}`, `${?}`, `${$}`) that are resolved against the request at match time.
//!
//! Matching works on characters, not bytes, and never allocates unless a pattern has more
//! than eight pieces after its variables are resolved.

use crate::context::Context;
use smallvec::SmallVec;

/// One piece of a compiled pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Piece {
    /// Text that must appear as is.
    Literal(Box<str>),
    /// `?`: one character.
    AnyChar,
    /// `*`: any run of characters.
    Star,
    /// A policy variable: the value of a single-valued context key (lower-cased name),
    /// or the default when the key is absent.
    Variable {
        key: Box<str>,
        default: Option<Box<str>>,
    },
}

/// How a pattern is matched, decided once when it is compiled.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Shape {
    /// Matches everything (`*`).
    Everything,
    /// Equal to this text.
    Exact(Box<str>),
    /// Starts with this text (`abc*`).
    Prefix(Box<str>),
    /// Anything else: run the general matcher over the pieces.
    General,
}

/// A compiled wildcard pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pattern {
    pieces: Box<[Piece]>,
    shape: Shape,
}

/// What the pattern syntax includes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Syntax {
    /// `*` and `?` are wildcards (otherwise literal characters).
    pub wildcards: bool,
    /// `${…}` is a policy variable (otherwise literal text).
    pub variables: bool,
}

impl Pattern {
    /// Compiles `text` with the given syntax.
    pub(crate) fn new(text: &str, syntax: Syntax) -> Pattern {
        let mut pieces: Vec<Piece> = Vec::new();
        let mut literal = String::new();
        let flush = |literal: &mut String, pieces: &mut Vec<Piece>| {
            if !literal.is_empty() {
                pieces.push(Piece::Literal(std::mem::take(literal).into_boxed_str()));
            }
        };
        let mut rest = text;
        while let Some(c) = rest.chars().next() {
            if syntax.variables
                && rest.starts_with("${")
                && let Some((piece, used)) = parse_variable(rest)
            {
                match piece {
                    VariablePiece::Literal(ch) => literal.push(ch),
                    VariablePiece::Variable { key, default } => {
                        flush(&mut literal, &mut pieces);
                        pieces.push(Piece::Variable { key, default });
                    }
                }
                rest = &rest[used..];
                continue;
            }
            match c {
                '*' if syntax.wildcards => {
                    flush(&mut literal, &mut pieces);
                    if pieces.last() != Some(&Piece::Star) {
                        pieces.push(Piece::Star);
                    }
                }
                '?' if syntax.wildcards => {
                    flush(&mut literal, &mut pieces);
                    pieces.push(Piece::AnyChar);
                }
                _ => literal.push(c),
            }
            rest = &rest[c.len_utf8()..];
        }
        flush(&mut literal, &mut pieces);
        let shape = match pieces.as_slice() {
            [Piece::Star] => Shape::Everything,
            [] => Shape::Exact("".into()),
            [Piece::Literal(l)] => Shape::Exact(l.clone()),
            [Piece::Literal(l), Piece::Star] => Shape::Prefix(l.clone()),
            _ => Shape::General,
        };
        Pattern {
            pieces: pieces.into_boxed_slice(),
            shape,
        }
    }

    /// A wildcard pattern without variables (actions, principals of a trust policy, …).
    pub(crate) fn wildcard(text: &str) -> Pattern {
        Pattern::new(
            text,
            Syntax {
                wildcards: true,
                variables: false,
            },
        )
    }

    /// The text of a pattern that is plain text (no wildcard, no variable).
    pub(crate) fn as_literal(&self) -> Option<&str> {
        match &self.shape {
            Shape::Exact(l) => Some(l),
            _ => None,
        }
    }

    /// Matches a pattern that has no variables.
    pub(crate) fn matches(&self, text: &str) -> bool {
        match &self.shape {
            Shape::Everything => true,
            Shape::Exact(l) => text == &**l,
            Shape::Prefix(l) => text.starts_with(&**l),
            Shape::General => {
                let resolved: SmallVec<[Resolved<'_>; 8]> =
                    self.pieces.iter().map(Resolved::fixed).collect();
                glob(&resolved, text)
            }
        }
    }

    /// Matches, resolving variables from `context`. `None` when a variable has no value
    /// and no default: IAM then treats the pattern as matching nothing.
    pub(crate) fn matches_with(&self, text: &str, context: &Context) -> Option<bool> {
        if !matches!(self.shape, Shape::General) {
            return Some(self.matches(text));
        }
        let mut resolved: SmallVec<[Resolved<'_>; 8]> = SmallVec::new();
        for piece in self.pieces.iter() {
            resolved.push(match piece {
                Piece::Variable { key, default } => {
                    Resolved::Text(context.variable(key).or(default.as_deref())?)
                }
                other => Resolved::fixed(other),
            });
        }
        Some(glob(&resolved, text))
    }

    /// The text this pattern stands for with its variables resolved, for a pattern without
    /// wildcards (used by case-insensitive comparisons). `None` when a variable has no value.
    pub(crate) fn resolve(&self, context: &Context) -> Option<String> {
        let mut out = String::new();
        for piece in self.pieces.iter() {
            match piece {
                Piece::Literal(l) => out.push_str(l),
                Piece::AnyChar => out.push('?'),
                Piece::Star => out.push('*'),
                Piece::Variable { key, default } => {
                    out.push_str(context.variable(key).or(default.as_deref())?)
                }
            }
        }
        Some(out)
    }
}

/// Matches `text` against an IAM wildcard pattern: `*` is any run of characters (including
/// none), `?` exactly one character, everything else literal and case-sensitive.
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    Pattern::wildcard(pattern).matches(text)
}

/// A piece with its variable replaced by text (which is matched literally).
#[derive(Debug, Clone, Copy)]
enum Resolved<'a> {
    Text(&'a str),
    AnyChar,
    Star,
}

impl<'a> Resolved<'a> {
    fn fixed(piece: &'a Piece) -> Resolved<'a> {
        match piece {
            Piece::Literal(l) => Resolved::Text(l),
            Piece::AnyChar => Resolved::AnyChar,
            Piece::Star => Resolved::Star,
            Piece::Variable { .. } => Resolved::Text(""),
        }
    }
}

fn next_char_len(text: &str, at: usize) -> usize {
    text[at..].chars().next().map_or(0, char::len_utf8)
}

/// Where the text search of a resume point starts: the first occurrence, at or after `from`,
/// of the literal that follows a `*` (or `from` itself when something else follows).
fn resume_at(pieces: &[Resolved<'_>], p: usize, text: &str, from: usize) -> Option<usize> {
    match pieces.get(p) {
        Some(Resolved::Text(l)) => text[from..].find(l).map(|off| from + off),
        _ => Some(from),
    }
}

/// The classic wildcard matcher with one backtrack point (the last `*`), on characters.
/// After a `*`, it jumps to the next occurrence of the literal that follows instead of
/// trying every position.
fn glob(pieces: &[Resolved<'_>], text: &str) -> bool {
    let (mut p, mut t) = (0usize, 0usize);
    let mut backtrack: Option<(usize, usize)> = None;
    loop {
        if p < pieces.len() {
            match pieces[p] {
                Resolved::Star => {
                    p += 1;
                    if p == pieces.len() {
                        return true;
                    }
                    let Some(at) = resume_at(pieces, p, text, t) else {
                        return false;
                    };
                    backtrack = Some((p, at));
                    t = at;
                    continue;
                }
                Resolved::AnyChar if t < text.len() => {
                    t += next_char_len(text, t);
                    p += 1;
                    continue;
                }
                Resolved::Text(l) if text[t..].starts_with(l) => {
                    t += l.len();
                    p += 1;
                    continue;
                }
                _ => {}
            }
        } else if t == text.len() {
            return true;
        }
        match backtrack {
            Some((bp, bt)) if bt < text.len() => {
                let Some(at) = resume_at(pieces, bp, text, bt + next_char_len(text, bt)) else {
                    return false;
                };
                backtrack = Some((bp, at));
                p = bp;
                t = at;
            }
            _ => return false,
        }
    }
}

enum VariablePiece {
    Literal(char),
    Variable {
        key: Box<str>,
        default: Option<Box<str>>,
    },
}

/// Reads `${…}` at the start of `text`; `None` when it is not a well-formed variable
/// (it is then literal text). Returns the piece and the number of bytes used.
fn parse_variable(text: &str) -> Option<(VariablePiece, usize)> {
    let body_end = text.find('}')?;
    let body = &text[2..body_end];
    let used = body_end + 1;
    let piece = match body {
        "*" => VariablePiece::Literal('*'),
        "?" => VariablePiece::Literal('?'),
        "$" => VariablePiece::Literal('$'),
        _ => {
            let (key, default) = match body.split_once(',') {
                Some((key, rest)) => {
                    let rest = rest.trim();
                    let default = rest.strip_prefix('\'')?.strip_suffix('\'')?;
                    (key.trim(), Some(default.into()))
                }
                None => (body, None),
            };
            if key.is_empty() || key.contains(char::is_whitespace) || key.contains('$') {
                return None;
            }
            VariablePiece::Variable {
                key: key.to_ascii_lowercase().into(),
                default,
            }
        }
    };
    Some((piece, used))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wild(p: &str, t: &str) -> bool {
        Pattern::wildcard(p).matches(t)
    }

    #[test]
    fn wildcards() {
        assert!(wild("*", ""));
        assert!(wild("*", "anything/at:all"));
        assert!(wild("s3:get*", "s3:getobject"));
        assert!(!wild("s3:get*", "s3:putobject"));
        assert!(wild("iam:*accesskey*", "iam:listaccesskeys"));
        assert!(wild("a?c", "abc"));
        assert!(!wild("a?c", "ac"));
        assert!(wild("a?c", "aéc"));
        assert!(wild("*b*b*", "abxbyb"));
        assert!(!wild("*b*b*c", "abxbyb"));
        assert!(wild("a*b?d", "axxbcd"));
        assert!(wild("**", "x"));
        assert!(wild("x*", "x*"));
        assert!(!wild("", "x"));
        assert!(wild("", ""));
        assert!(wild("*.txt", "a.b.txt"));
        assert!(wild("🦀?🦀", "🦀x🦀"));
    }

    #[test]
    fn literal_patterns_ignore_wildcards() {
        let p = Pattern::new(
            "a*",
            Syntax {
                wildcards: false,
                variables: false,
            },
        );
        assert!(p.matches("a*"));
        assert!(!p.matches("ab"));
    }

    #[test]
    fn variables_resolve_from_context() {
        let syntax = Syntax {
            wildcards: true,
            variables: true,
        };
        let mut ctx = Context::default();
        ctx.insert("aws:username", "alice");
        let p = Pattern::new("home/${aws:username}/*", syntax);
        assert_eq!(p.matches_with("home/alice/x", &ctx), Some(true));
        assert_eq!(p.matches_with("home/bob/x", &ctx), Some(false));
        let missing = Pattern::new("home/${aws:PrincipalTag/team}/*", syntax);
        assert_eq!(missing.matches_with("home/x/y", &ctx), None);
        let default = Pattern::new("home/${aws:PrincipalTag/team, 'all'}/*", syntax);
        assert_eq!(default.matches_with("home/all/y", &ctx), Some(true));
        let star = Pattern::new("a${*}b", syntax);
        assert!(star.matches("a*b"));
        assert!(!star.matches("axb"));
        let dollar = Pattern::new("${$}{x}", syntax);
        assert!(dollar.matches("${x}"));
        let unclosed = Pattern::new("${aws:username", syntax);
        assert!(unclosed.matches("${aws:username"));
    }

    #[test]
    fn variable_values_are_literal() {
        let syntax = Syntax {
            wildcards: true,
            variables: true,
        };
        let mut ctx = Context::default();
        ctx.insert("aws:username", "a*");
        let p = Pattern::new("${aws:username}", syntax);
        assert_eq!(p.matches_with("a*", &ctx), Some(true));
        assert_eq!(p.matches_with("ab", &ctx), Some(false));
    }
}
