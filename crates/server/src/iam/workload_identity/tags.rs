//! Tags of workload identity providers and templates: added with case-sensitive keys (the
//! same key replaces its value; a key differing from another only in case is refused with
//! IAM's "Duplicate tag keys found" message, as are repeats in a request), at most 50 on a
//! resource, and listed in pages.

use crate::call::input::Page;
use crate::error::Error;
use crate::iam::rules::{check_tags, over_quota, quota};
use crate::iam::views;
use portcullis_protocol::iam;
use portcullis_store::Tag;

/// `existing` with `new` added; `quota_name` names the quota in LimitExceeded
/// (`TagsPerWorkloadIdentityProvider`).
pub(super) fn add(existing: &[Tag], new: &[Tag], quota_name: &str) -> Result<Vec<Tag>, Error> {
    check_tags(new, true)?;
    let mut out = existing.to_vec();
    for t in new {
        if let Some(same) = out.iter_mut().find(|o| o.key == t.key) {
            same.value = t.value.clone();
        } else if out.iter().any(|o| o.key.eq_ignore_ascii_case(&t.key)) {
            return Err(Error::invalid_input(
                "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
            ));
        } else {
            out.push(t.clone());
        }
    }
    if out.len() > quota::TAGS {
        return Err(over_quota(quota_name, quota::TAGS));
    }
    Ok(out)
}

/// One page of `tags`, in the order attached, as the List…Tags operations answer it: the
/// page's tags and the marker of the next page (`None` on the last one).
pub(super) fn list(page: &Page, tags: &[Tag]) -> (Vec<iam::Tag>, Option<String>) {
    let keys: Vec<String> = (0..tags.len()).map(|i| format!("{i:08}")).collect();
    let (items, next) = page.take(keys.iter().map(String::as_str).zip(tags.iter()));
    let items: Vec<Tag> = items.into_iter().cloned().collect();
    (views::tags(&items), next)
}

#[cfg(test)]
mod tests {
    use super::*;

    const Q: &str = "TagsPerWorkloadIdentityProvider";

    #[test]
    fn tag_keys_are_case_sensitive_but_unique_without_case() {
        let t = |k: &str, v: &str| Tag {
            key: k.into(),
            value: v.into(),
        };
        let merged = add(&[t("env", "a")], &[t("env", "b"), t("team", "c")], Q).unwrap();
        assert_eq!(merged, [t("env", "b"), t("team", "c")]);
        let e = add(&[t("env", "a")], &[t("Env", "b")], Q)
            .unwrap_err()
            .into_aws();
        assert_eq!(e.code(), "InvalidInput");
        let e = add(&[], &[t("a", "1"), t("A", "2")], Q)
            .unwrap_err()
            .into_aws();
        assert_eq!(e.code(), "InvalidInput");
        let many: Vec<Tag> = (0..50).map(|i| t(&format!("k{i}"), "v")).collect();
        let e = add(&many, &[t("one-more", "v")], Q).unwrap_err().into_aws();
        assert_eq!(e.code(), "LimitExceeded");
    }
}
