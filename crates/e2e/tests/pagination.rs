//! Pagination: ListRoles, ListUsers, ListPolicies (Scope=Local) and ListRoleTags with a
//! small MaxItems over many items. Every item comes exactly once; every page but the last
//! is full, says IsTruncated=true and carries a Marker; the last page says
//! IsTruncated=false and has no Marker.

#[macro_use]
mod common;

use aws_sdk_iam::types::PolicyScopeType;
use common::*;
use std::collections::BTreeSet;
use std::future::Future;

/// One page: the item names, IsTruncated and Marker.
type Page = (Vec<String>, bool, Option<String>);

/// Walks every page of a list call with `max_items` per page, checks the Marker and
/// IsTruncated semantics, and returns the pages.
async fn walk<F, Fut>(max_items: usize, mut call: F) -> Vec<Vec<String>>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Page>,
{
    let mut pages = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let (items, truncated, next) = call(marker.clone()).await;
        assert!(items.len() <= max_items, "a page holds at most MaxItems");
        if truncated {
            assert_eq!(items.len(), max_items, "a page before the last one is full");
            let next = next.expect("IsTruncated=true comes with a Marker");
            assert!(!next.is_empty());
            assert_ne!(Some(&next), marker.as_ref(), "the marker moves on");
            // Asking again with the same marker gives the same page.
            let (again, _, next_again) = call(marker.clone()).await;
            assert_eq!(again, items, "a page is repeatable");
            assert_eq!(next_again.as_ref(), Some(&next));
            pages.push(items);
            marker = Some(next);
        } else {
            assert_eq!(next, None, "the last page has no Marker");
            pages.push(items);
            return pages;
        }
        assert!(pages.len() < 1000, "pagination does not end");
    }
}

/// Checks that the pages hold exactly `expected`, each once.
#[track_caller]
fn assert_exactly_once(pages: &[Vec<String>], expected: &BTreeSet<String>) {
    let flat: Vec<&String> = pages.iter().flatten().collect();
    let unique: BTreeSet<String> = flat.iter().map(|s| s.to_string()).collect();
    assert_eq!(flat.len(), unique.len(), "an item came twice: {pages:?}");
    assert_eq!(&unique, expected);
}

#[tokio::test]
async fn list_roles_pages() {
    let server = Server::start();
    let iam = iam(&server);
    let mut all = BTreeSet::new();
    let mut under_p = BTreeSet::new();
    for i in 0..23 {
        // Mixed case and paths, so that sorting and filtering are exercised.
        let name = if i % 3 == 0 {
            format!("Role-{i:02}")
        } else {
            format!("role-{i:02}")
        };
        let path = if i % 2 == 0 { "/p/" } else { "/" };
        iam.create_role()
            .role_name(&name)
            .path(path)
            .assume_role_policy_document(TRUST_EC2)
            .send()
            .await
            .unwrap();
        if path == "/p/" {
            under_p.insert(name.clone());
        }
        all.insert(name);
    }

    let pages = walk(4, |marker| {
        let iam = iam.clone();
        async move {
            let r = iam
                .list_roles()
                .max_items(4)
                .set_marker(marker)
                .send()
                .await
                .unwrap();
            (
                r.roles()
                    .iter()
                    .map(|r| r.role_name().to_string())
                    .collect(),
                r.is_truncated(),
                r.marker().map(str::to_string),
            )
        }
    })
    .await;
    assert_eq!(pages.len(), 6, "23 roles in pages of 4");
    assert_eq!(pages[5].len(), 3);
    assert_exactly_once(&pages, &all);

    let pages = walk(3, |marker| {
        let iam = iam.clone();
        async move {
            let r = iam
                .list_roles()
                .path_prefix("/p/")
                .max_items(3)
                .set_marker(marker)
                .send()
                .await
                .unwrap();
            (
                r.roles()
                    .iter()
                    .map(|r| r.role_name().to_string())
                    .collect(),
                r.is_truncated(),
                r.marker().map(str::to_string),
            )
        }
    })
    .await;
    assert_eq!(under_p.len(), 12);
    assert_eq!(pages.len(), 4);
    assert_exactly_once(&pages, &under_p);

    // MaxItems equal to the count: one page, not truncated.
    let r = iam.list_roles().max_items(23).send().await.unwrap();
    assert_eq!(r.roles().len(), 23);
    assert!(!r.is_truncated());
    assert_eq!(r.marker(), None);
    // One fewer: truncated after 22.
    let r = iam.list_roles().max_items(22).send().await.unwrap();
    assert_eq!(r.roles().len(), 22);
    assert!(r.is_truncated());
    let last = iam
        .list_roles()
        .max_items(22)
        .marker(r.marker().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(last.roles().len(), 1);
    assert!(!last.is_truncated());

    // The SDK's own paginator agrees.
    let items: Vec<_> = iam
        .list_roles()
        .max_items(5)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("paginator");
    let names: BTreeSet<_> = items.iter().map(|r| r.role_name().to_string()).collect();
    assert_eq!(items.len(), 23);
    assert_eq!(names, all);

    // MaxItems out of range.
    let f = rejects!(iam, iam.list_roles().max_items(0).send(), "ValidationError");
    assert!(f.message.contains("maxItems"), "{f:?}");
    let f = rejects!(
        iam,
        iam.list_roles().max_items(1001).send(),
        "ValidationError"
    );
    assert!(f.message.contains("maxItems"), "{f:?}");
}

#[tokio::test]
async fn list_users_pages() {
    let server = Server::start();
    let iam = iam(&server);
    let mut all = BTreeSet::new();
    for i in 0..17 {
        let name = format!("user.{i:02}@example");
        iam.create_user().user_name(&name).send().await.unwrap();
        all.insert(name);
    }
    let pages = walk(5, |marker| {
        let iam = iam.clone();
        async move {
            let r = iam
                .list_users()
                .max_items(5)
                .set_marker(marker)
                .send()
                .await
                .unwrap();
            (
                r.users()
                    .iter()
                    .map(|u| u.user_name().to_string())
                    .collect(),
                r.is_truncated(),
                r.marker().map(str::to_string),
            )
        }
    })
    .await;
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [5, 5, 5, 2]);
    assert_exactly_once(&pages, &all);

    // MaxItems=1: one page per user.
    let pages = walk(1, |marker| {
        let iam = iam.clone();
        async move {
            let r = iam
                .list_users()
                .max_items(1)
                .set_marker(marker)
                .send()
                .await
                .unwrap();
            (
                r.users()
                    .iter()
                    .map(|u| u.user_name().to_string())
                    .collect(),
                r.is_truncated(),
                r.marker().map(str::to_string),
            )
        }
    })
    .await;
    assert_eq!(pages.len(), 17);
    assert_exactly_once(&pages, &all);

    // A user deleted between two pages is simply not listed; the others still come once.
    let first = iam.list_users().max_items(5).send().await.unwrap();
    let first_names: Vec<_> = first
        .users()
        .iter()
        .map(|u| u.user_name().to_string())
        .collect();
    iam.delete_user()
        .user_name("user.05@example")
        .send()
        .await
        .unwrap();
    let mut rest = Vec::new();
    let mut marker = first.marker().map(str::to_string);
    while let Some(m) = marker {
        let r = iam
            .list_users()
            .max_items(5)
            .marker(m)
            .send()
            .await
            .unwrap();
        rest.extend(r.users().iter().map(|u| u.user_name().to_string()));
        marker = r.marker().map(str::to_string);
    }
    let mut seen: Vec<_> = first_names.into_iter().chain(rest).collect();
    seen.sort();
    let mut expected: Vec<_> = all
        .iter()
        .filter(|n| *n != "user.05@example")
        .cloned()
        .collect();
    expected.sort();
    assert_eq!(seen, expected);
}

#[tokio::test]
async fn list_local_policies_pages() {
    let server = Server::start();
    let iam = iam(&server);
    let mut all = BTreeSet::new();
    for i in 0..12 {
        let name = format!("policy-{i:02}");
        let r = iam
            .create_policy()
            .policy_name(&name)
            .policy_document(S3_READ)
            .send()
            .await
            .unwrap();
        all.insert(r.policy().unwrap().arn().unwrap().to_string());
    }
    let pages = walk(5, |marker| {
        let iam = iam.clone();
        async move {
            let r = iam
                .list_policies()
                .scope(PolicyScopeType::Local)
                .max_items(5)
                .set_marker(marker)
                .send()
                .await
                .unwrap();
            (
                r.policies()
                    .iter()
                    .map(|p| p.arn().unwrap().to_string())
                    .collect(),
                r.is_truncated(),
                r.marker().map(str::to_string),
            )
        }
    })
    .await;
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [5, 5, 2]);
    assert_exactly_once(&pages, &all);
}

#[tokio::test]
async fn list_role_tags_pages() {
    let server = Server::start();
    let iam = iam(&server);
    iam.create_role()
        .role_name("tagged")
        .assume_role_policy_document(TRUST_EC2)
        .send()
        .await
        .unwrap();
    let tags: Vec<_> = (0..30)
        .map(|i| tag(&format!("key-{i:02}"), &format!("value-{i}")))
        .collect();
    iam.tag_role()
        .role_name("tagged")
        .set_tags(Some(tags.clone()))
        .send()
        .await
        .unwrap();
    let all: BTreeSet<String> = tags
        .iter()
        .map(|t| format!("{}={}", t.key(), t.value()))
        .collect();
    let pages = walk(7, |marker| {
        let iam = iam.clone();
        async move {
            let r = iam
                .list_role_tags()
                .role_name("tagged")
                .max_items(7)
                .set_marker(marker)
                .send()
                .await
                .unwrap();
            (
                r.tags()
                    .iter()
                    .map(|t| format!("{}={}", t.key(), t.value()))
                    .collect(),
                r.is_truncated(),
                r.marker().map(str::to_string),
            )
        }
    })
    .await;
    assert_eq!(
        pages.iter().map(Vec::len).collect::<Vec<_>>(),
        [7, 7, 7, 7, 2]
    );
    assert_exactly_once(&pages, &all);
}
