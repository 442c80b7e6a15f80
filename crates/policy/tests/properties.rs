//! Property tests: the wildcard matcher agrees with `wildmatch`; the parser and validator
//! never panic; decisions obey the laws of IAM evaluation (a matching Deny always wins,
//! adding an Allow never takes access away, action case never matters).

use portcullis_policy::{
    CompiledPolicy, Outcome, Policies, PolicyDocument, PolicyKind, Principal, Request,
    ValidationOptions, authorize, validate, wildcard_match,
};
use proptest::prelude::*;
use std::sync::Arc;
use wildmatch::WildMatch;

fn pattern_strategy() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just("*".to_string()),
            Just("?".to_string()),
            "[a-c/:é🦀]{1,3}",
        ],
        0..6,
    )
    .prop_map(|parts| parts.concat())
}

fn text_strategy() -> impl Strategy<Value = String> {
    "[a-c/:*?é🦀]{0,10}"
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn wildcard_agrees_with_wildmatch(pattern in pattern_strategy(), text in text_strategy()) {
        prop_assert_eq!(
            wildcard_match(&pattern, &text),
            WildMatch::new(&pattern).matches(&text),
            "pattern {:?} text {:?}", pattern, text
        );
    }

    #[test]
    fn a_pattern_matches_itself_without_wildcards(text in "[a-z0-9/:._-]{0,20}") {
        prop_assert!(wildcard_match(&text, &text));
        let starred = format!("{text}*");
        prop_assert!(wildcard_match(&starred, &text));
    }

    #[test]
    fn parser_and_validator_never_panic(text in "\\PC{0,200}") {
        let _ = PolicyDocument::parse(&text);
        for kind in [PolicyKind::Identity, PolicyKind::Trust, PolicyKind::Resource, PolicyKind::Scp, PolicyKind::Rcp] {
            let _ = validate(&text, &ValidationOptions::new(kind));
        }
    }
}

/// Random but well-formed policies built from a small vocabulary, so that statements
/// often match the requests.
fn statement_strategy() -> impl Strategy<Value = serde_json::Value> {
    let effect = prop_oneof![Just("Allow"), Just("Deny")];
    let action = prop_oneof![
        Just("s3:GetObject"),
        Just("s3:*"),
        Just("s3:Get*"),
        Just("iam:*"),
        Just("*"),
        Just("ec2:Describe*")
    ];
    let resource = prop_oneof![
        Just("*"),
        Just("arn:aws:s3:::bucket/*"),
        Just("arn:aws:s3:::other/*"),
        Just("arn:aws:iam::111122223333:user/*")
    ];
    let not_action = any::<bool>();
    let condition = prop_oneof![
        Just(serde_json::Value::Null),
        Just(serde_json::json!({"StringEquals": {"aws:username": "alice"}})),
        Just(serde_json::json!({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})),
        Just(serde_json::json!({"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}})),
    ];
    (effect, action, resource, not_action, condition).prop_map(|(e, a, r, na, c)| {
        let mut s = serde_json::json!({"Effect": e, "Resource": r});
        s[if na { "NotAction" } else { "Action" }] = serde_json::json!(a);
        if !c.is_null() {
            s["Condition"] = c;
        }
        s
    })
}

fn policy_strategy() -> impl Strategy<Value = Vec<serde_json::Value>> {
    proptest::collection::vec(statement_strategy(), 1..4)
}

fn request_strategy() -> impl Strategy<Value = (String, String, String)> {
    (
        prop_oneof![
            Just("s3:GetObject"),
            Just("s3:PutObject"),
            Just("iam:CreateUser"),
            Just("ec2:DescribeInstances"),
            Just("sqs:SendMessage")
        ],
        prop_oneof![
            Just("arn:aws:s3:::bucket/key"),
            Just("arn:aws:s3:::other/key"),
            Just("arn:aws:iam::111122223333:user/bob"),
            Just("*")
        ],
        prop_oneof![Just("10.1.2.3"), Just("192.0.2.1")],
    )
        .prop_map(|(a, r, ip)| (a.to_string(), r.to_string(), ip.to_string()))
}

fn compile(statements: &[serde_json::Value]) -> Arc<CompiledPolicy> {
    let doc = serde_json::json!({"Version": "2012-10-17", "Statement": statements});
    Arc::new(CompiledPolicy::parse(&doc.to_string()).expect("generated policies parse"))
}

fn decide(policies: &[Arc<CompiledPolicy>], action: &str, resource: &str, ip: &str) -> Outcome {
    let alice = Principal::parse("arn:aws:iam::111122223333:user/alice").expect("principal");
    let mut context = portcullis_policy::Context::new();
    context.insert("aws:SourceIp", ip);
    let request = Request::builder(alice, action, resource)
        .context(context)
        .build()
        .expect("request");
    let p = Policies {
        identity: policies,
        ..Policies::default()
    };
    authorize(&request, &p).outcome
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn a_matching_deny_always_wins(policy in policy_strategy(), (action, resource, ip) in request_strategy()) {
        let deny_all = compile(&[serde_json::json!({"Effect": "Deny", "Action": "*", "Resource": "*"})]);
        let set = vec![compile(&policy), deny_all];
        prop_assert_eq!(decide(&set, &action, &resource, &ip), Outcome::ExplicitDeny);
    }

    #[test]
    fn adding_an_allow_never_removes_access(
        policy in policy_strategy(),
        extra in statement_strategy(),
        (action, resource, ip) in request_strategy(),
    ) {
        let before = decide(&[compile(&policy)], &action, &resource, &ip);
        let mut allow = extra;
        allow["Effect"] = serde_json::json!("Allow");
        let after = decide(&[compile(&policy), compile(&[allow])], &action, &resource, &ip);
        if before == Outcome::Allowed {
            prop_assert_eq!(after, Outcome::Allowed);
        }
        if before == Outcome::ExplicitDeny {
            prop_assert_eq!(after, Outcome::ExplicitDeny);
        }
    }

    #[test]
    fn action_case_never_matters(policy in policy_strategy(), (action, resource, ip) in request_strategy(), upper in any::<bool>()) {
        let set = [compile(&policy)];
        let changed = if upper { action.to_uppercase() } else { action.to_lowercase() };
        prop_assert_eq!(decide(&set, &action, &resource, &ip), decide(&set, &changed, &resource, &ip));
    }

    #[test]
    fn statement_order_never_matters(policy in policy_strategy(), (action, resource, ip) in request_strategy()) {
        let mut reversed = policy.clone();
        reversed.reverse();
        prop_assert_eq!(
            decide(&[compile(&policy)], &action, &resource, &ip),
            decide(&[compile(&reversed)], &action, &resource, &ip)
        );
    }
}
