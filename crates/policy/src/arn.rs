//! ARNs and ARN patterns. An ARN has six colon-separated components
//! (`arn:partition:service:region:account:resource`); the resource component may itself
//! contain colons. IAM matches the first five components one by one, so a `*` there never
//! spans a colon, while in the resource component it does.

use crate::context::Context;
use crate::pattern::{Pattern, Syntax};

/// Splits an ARN into its six components, or `None` when it has fewer than six.
pub fn split_arn(text: &str) -> Option<[&str; 6]> {
    let mut it = text.splitn(6, ':');
    let parts = [
        it.next()?,
        it.next()?,
        it.next()?,
        it.next()?,
        it.next()?,
        it.next()?,
    ];
    Some(parts)
}

/// A compiled ARN pattern from a `Resource` element or an ARN condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ArnPattern {
    /// Exactly `"*"`: the only pattern that matches actions without resource-level
    /// permissions.
    Star,
    /// Six components, each a wildcard pattern; variables only in the resource component.
    Parts {
        head: Box<[Pattern; 5]>,
        resource: Pattern,
    },
    /// Text that is not shaped like an ARN, matched as a whole.
    Whole(Pattern),
}

/// How to read components that a pattern leaves out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MissingParts {
    /// As `*`, the way IAM reads `Resource` entries such as `arn:aws:s3` (it reports them
    /// padded, e.g. `arn:aws:s3:*:*:*`).
    Wildcard,
    /// As a plain string pattern (conditions).
    Whole,
}

impl ArnPattern {
    pub(crate) fn new(text: &str, variables: bool, missing: MissingParts) -> ArnPattern {
        if text == "*" {
            return ArnPattern::Star;
        }
        let resource_syntax = Syntax {
            wildcards: true,
            variables,
        };
        let parts: Vec<&str> = text.splitn(6, ':').collect();
        let padded = parts.len() >= 2 && missing == MissingParts::Wildcard;
        if parts.len() == 6 || padded {
            let head_at = |i: usize| Pattern::wildcard(parts.get(i).copied().unwrap_or("*"));
            let head = Box::new([head_at(0), head_at(1), head_at(2), head_at(3), head_at(4)]);
            let resource = Pattern::new(parts.get(5).copied().unwrap_or("*"), resource_syntax);
            ArnPattern::Parts { head, resource }
        } else {
            ArnPattern::Whole(Pattern::new(text, resource_syntax))
        }
    }

    /// True for the literal `"*"`.
    pub(crate) fn is_star(&self) -> bool {
        matches!(self, ArnPattern::Star)
    }

    /// Matches an ARN given as text and, when it has six components, its split form.
    /// `None` when a variable has no value (the entry then matches nothing).
    pub(crate) fn matches(
        &self,
        text: &str,
        split: Option<&[&str; 6]>,
        context: &Context,
    ) -> Option<bool> {
        match self {
            ArnPattern::Star => Some(true),
            ArnPattern::Whole(p) => p.matches_with(text, context),
            ArnPattern::Parts { head, resource } => {
                let Some(parts) = split else {
                    return Some(false);
                };
                for (pattern, part) in head.iter().zip(parts.iter()) {
                    if !pattern.matches(part) {
                        return Some(false);
                    }
                }
                resource.matches_with(parts[5], context)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, arn: &str) -> bool {
        let ctx = Context::new();
        ArnPattern::new(pattern, true, MissingParts::Wildcard)
            .matches(arn, split_arn(arn).as_ref(), &ctx)
            .unwrap_or(false)
    }

    #[test]
    fn components_are_matched_separately() {
        assert!(m("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b"));
        assert!(!m("arn:aws:s3:::bucket/*", "arn:aws:s3:::Bucket/a"));
        assert!(m(
            "arn:aws:logs:*:*:log-group:*",
            "arn:aws:logs:us-east-1:111122223333:log-group:g:log-stream:s"
        ));
        assert!(!m(
            "arn:aws:someservice:*:111122223333:finance/*",
            "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/x"
        ));
        assert!(m("arn:aws:s3", "arn:aws:s3:::anything"));
        assert!(!m("arn:aws:s3", "arn:aws:ec2:::anything"));
        assert!(m("*", "not-an-arn"));
        assert!(!m("arn:aws:s3:::*", "not-an-arn"));
    }

    #[test]
    fn split() {
        assert_eq!(split_arn("arn:aws:iam::1:user/a:b").unwrap()[5], "user/a:b");
        assert!(split_arn("arn:aws:iam::1").is_none());
    }
}
