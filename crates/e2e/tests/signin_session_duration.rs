//! The maximum AWS Sign-In session duration of roles and login profiles
//! (`MaxSigninSessionDuration`, botocore 1.44.18) against a real server, with signed Query
//! requests (the SDK this suite uses predates the member): CreateRole, UpdateRole and the
//! answers that carry a Role; CreateLoginProfile, UpdateLoginProfile and GetLoginProfile;
//! the refusals (both a value and a reset, out of range, service-linked roles, the root
//! user) and that the setting survives a restart.

#[macro_use]
mod common;

use common::*;

const BOTH: &str =
    "Cannot specify both MaxSigninSessionDuration and ResetMaxSigninSessionDuration.";

/// Sends an IAM Query request signed with the root keys and returns the raw answer.
fn raw(server: &Server, params: &[(&str, &str)]) -> HttpResponse {
    let mut all = vec![("Version", "2010-05-08")];
    all.extend_from_slice(params);
    let body = form(&all);
    let headers = signed_query_headers(server, &body);
    http_request(server.addr, "POST", "/", &headers, body.as_bytes()).expect("HTTP request")
}

/// `raw`, which must succeed.
fn ok(server: &Server, params: &[(&str, &str)]) -> HttpResponse {
    let r = raw(server, params);
    assert_eq!(r.status, 200, "{params:?}: {}", r.text());
    r
}

/// `raw`, which must fail with this status and code; the error's message.
fn refused(server: &Server, params: &[(&str, &str)], status: u16, code: &str) -> String {
    let r = raw(server, params);
    assert_eq!(r.status, status, "{params:?}: {}", r.text());
    assert_eq!(r.xml("Code").as_deref(), Some(code), "{}", r.text());
    r.xml("Message").unwrap_or_default()
}

/// The role's MaxSigninSessionDuration as GetRole shows it.
fn role_setting(server: &Server, name: &str) -> Option<String> {
    ok(server, &[("Action", "GetRole"), ("RoleName", name)]).xml("MaxSigninSessionDuration")
}

/// The user's login profile as GetLoginProfile shows it.
fn profile(server: &Server, user: &str) -> HttpResponse {
    ok(server, &[("Action", "GetLoginProfile"), ("UserName", user)])
}

/// The parameters `head` followed by `extra`.
fn with<'a>(head: &[(&'a str, &'a str)], extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut params = head.to_vec();
    params.extend_from_slice(extra);
    params
}

fn create_role(server: &Server, name: &str, extra: &[(&str, &str)]) -> HttpResponse {
    let mut params = vec![
        ("Action", "CreateRole"),
        ("RoleName", name),
        ("AssumeRolePolicyDocument", TRUST_EC2),
    ];
    params.extend_from_slice(extra);
    ok(server, &params)
}

#[tokio::test]
async fn roles_carry_the_setting_in_every_role_answer() {
    let server = Server::start();
    let made = create_role(&server, "cli", &[("MaxSigninSessionDuration", "86400")]);
    let body = made.text();
    assert_eq!(
        made.xml("MaxSigninSessionDuration").as_deref(),
        Some("86400")
    );
    // CreateRole's Role still has no MaxSessionDuration (as AWS answers).
    assert!(!body.contains("<MaxSessionDuration>"), "{body}");

    let got = ok(&server, &[("Action", "GetRole"), ("RoleName", "cli")]).text();
    assert!(got.contains("<MaxSigninSessionDuration>86400</MaxSigninSessionDuration>"));
    // In the model's order: after MaxSessionDuration, before RoleLastUsed.
    let at = |tag: &str| got.find(tag).unwrap_or_else(|| panic!("{tag} in {got}"));
    assert!(at("<MaxSessionDuration>") < at("<MaxSigninSessionDuration>"));
    assert!(at("<MaxSigninSessionDuration>") < at("<RoleLastUsed"));

    let listed = ok(&server, &[("Action", "ListRoles")]);
    assert_eq!(
        listed.xml("MaxSigninSessionDuration").as_deref(),
        Some("86400")
    );

    // A role in an instance profile shows it there too.
    ok(
        &server,
        &[
            ("Action", "CreateInstanceProfile"),
            ("InstanceProfileName", "box"),
        ],
    );
    ok(
        &server,
        &[
            ("Action", "AddRoleToInstanceProfile"),
            ("InstanceProfileName", "box"),
            ("RoleName", "cli"),
        ],
    );
    let p = ok(
        &server,
        &[
            ("Action", "GetInstanceProfile"),
            ("InstanceProfileName", "box"),
        ],
    );
    assert_eq!(p.xml("MaxSigninSessionDuration").as_deref(), Some("86400"));

    let described = ok(
        &server,
        &[
            ("Action", "UpdateRoleDescription"),
            ("RoleName", "cli"),
            ("Description", "for aws login"),
        ],
    );
    assert_eq!(
        described.xml("MaxSigninSessionDuration").as_deref(),
        Some("86400")
    );

    // RoleDetail has no such member.
    let details = ok(
        &server,
        &[
            ("Action", "GetAccountAuthorizationDetails"),
            ("Filter.member.1", "Role"),
        ],
    )
    .text();
    assert!(details.contains("<RoleName>cli</RoleName>"), "{details}");
    // Only the Role inside its InstanceProfileList (an InstanceProfile's Roles are Roles).
    let start = details
        .find("<InstanceProfileList>")
        .expect("InstanceProfileList");
    let end = details.find("</InstanceProfileList>").expect("its end");
    assert!(details[start..end].contains("<MaxSigninSessionDuration>86400<"));
    let outside = format!("{}{}", &details[..start], &details[end..]);
    assert!(!outside.contains("MaxSigninSessionDuration"), "{details}");

    // A role created without it shows none, anywhere.
    let plain = create_role(&server, "plain", &[]);
    assert!(!plain.text().contains("MaxSigninSessionDuration"));
    assert_eq!(role_setting(&server, "plain"), None);
}

#[tokio::test]
async fn update_role_sets_keeps_resets_and_refuses_both() {
    let server = Server::start();
    create_role(&server, "cli", &[]);
    let update = |extra| with(&[("Action", "UpdateRole"), ("RoleName", "cli")], extra);

    ok(&server, &update(&[("MaxSigninSessionDuration", "3600")]));
    assert_eq!(role_setting(&server, "cli").as_deref(), Some("3600"));

    // Other members leave it unchanged.
    ok(
        &server,
        &update(&[("Description", "d"), ("MaxSessionDuration", "7200")]),
    );
    let r = ok(&server, &[("Action", "GetRole"), ("RoleName", "cli")]);
    assert_eq!(r.xml("MaxSigninSessionDuration").as_deref(), Some("3600"));
    assert_eq!(r.xml("MaxSessionDuration").as_deref(), Some("7200"));

    // Both in one request: InvalidInput, nothing changed.
    let message = refused(
        &server,
        &update(&[
            ("MaxSigninSessionDuration", "7776000"),
            ("ResetMaxSigninSessionDuration", "true"),
        ]),
        400,
        "InvalidInput",
    );
    assert_eq!(message, BOTH);
    assert_eq!(role_setting(&server, "cli").as_deref(), Some("3600"));

    // A value with the reset set to false is a plain update; false alone changes nothing.
    ok(
        &server,
        &update(&[
            ("MaxSigninSessionDuration", "7776000"),
            ("ResetMaxSigninSessionDuration", "false"),
        ]),
    );
    ok(
        &server,
        &update(&[("ResetMaxSigninSessionDuration", "false")]),
    );
    assert_eq!(role_setting(&server, "cli").as_deref(), Some("7776000"));

    // The range is 3600..=7776000.
    let low = refused(
        &server,
        &update(&[("MaxSigninSessionDuration", "3599")]),
        400,
        "ValidationError",
    );
    assert!(
        low.contains("Member must have value greater than or equal to 3600"),
        "{low}"
    );
    let high = refused(
        &server,
        &update(&[("MaxSigninSessionDuration", "7776001")]),
        400,
        "ValidationError",
    );
    assert!(
        high.contains("Member must have value less than or equal to 7776000"),
        "{high}"
    );
    assert_eq!(role_setting(&server, "cli").as_deref(), Some("7776000"));

    // The reset clears it (twice: clearing an unset one has no effect).
    for _ in 0..2 {
        ok(
            &server,
            &update(&[("ResetMaxSigninSessionDuration", "true")]),
        );
        assert_eq!(role_setting(&server, "cli"), None);
    }
    let r = ok(&server, &[("Action", "GetRole"), ("RoleName", "cli")]);
    assert_eq!(r.xml("MaxSessionDuration").as_deref(), Some("7200"));
    assert_eq!(r.xml("Description").as_deref(), Some("d"));

    let message = refused(
        &server,
        &[
            ("Action", "UpdateRole"),
            ("RoleName", "nobody"),
            ("MaxSigninSessionDuration", "3600"),
        ],
        404,
        "NoSuchEntity",
    );
    assert_eq!(message, "The role with name nobody cannot be found.");
}

#[tokio::test]
async fn service_linked_roles_cannot_have_it() {
    let server = Server::start();
    let made = ok(
        &server,
        &[
            ("Action", "CreateServiceLinkedRole"),
            ("AWSServiceName", "autoscaling.amazonaws.com"),
        ],
    );
    let name = made.xml("RoleName").expect("RoleName");
    for change in [
        ("MaxSigninSessionDuration", "3600"),
        ("ResetMaxSigninSessionDuration", "true"),
    ] {
        let message = refused(
            &server,
            &[("Action", "UpdateRole"), ("RoleName", &name), change],
            400,
            "UnmodifiableEntity",
        );
        assert_eq!(
            message,
            format!(
                "Cannot perform the operation on the protected role '{name}' - this role is only modifiable by AWS"
            )
        );
    }
    assert_eq!(role_setting(&server, &name), None);
}

#[tokio::test]
async fn login_profiles_keep_the_password_when_only_the_setting_changes() {
    let server = Server::start();
    let root = iam(&server);
    let (key, secret) = user_with_key(&root, "alice").await;
    root.put_user_policy()
        .user_name("alice")
        .policy_name("own-password")
        .policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ChangePassword","Resource":"*"}]}"#,
        )
        .send()
        .await
        .expect("PutUserPolicy");

    let made = ok(
        &server,
        &[
            ("Action", "CreateLoginProfile"),
            ("UserName", "alice"),
            ("Password", "Correct-Horse-9"),
            ("PasswordResetRequired", "true"),
            ("MaxSigninSessionDuration", "43200"),
        ],
    );
    assert_eq!(
        made.xml("MaxSigninSessionDuration").as_deref(),
        Some("43200")
    );
    let body = made.text();
    let at = |tag: &str| body.find(tag).unwrap_or_else(|| panic!("{tag} in {body}"));
    assert!(at("<PasswordResetRequired>") < at("<MaxSigninSessionDuration>"));

    let update = |extra| {
        with(
            &[("Action", "UpdateLoginProfile"), ("UserName", "alice")],
            extra,
        )
    };

    // Only the setting: the password and the reset flag stay.
    ok(&server, &update(&[("MaxSigninSessionDuration", "7776000")]));
    let p = profile(&server, "alice");
    assert_eq!(
        p.xml("MaxSigninSessionDuration").as_deref(),
        Some("7776000")
    );
    assert_eq!(p.xml("PasswordResetRequired").as_deref(), Some("true"));

    // Both at once: InvalidInput, nothing changed.
    let message = refused(
        &server,
        &update(&[
            ("MaxSigninSessionDuration", "3600"),
            ("ResetMaxSigninSessionDuration", "true"),
        ]),
        400,
        "InvalidInput",
    );
    assert_eq!(message, BOTH);
    let message = refused(
        &server,
        &update(&[("MaxSigninSessionDuration", "60")]),
        400,
        "ValidationError",
    );
    assert!(
        message.contains("greater than or equal to 3600"),
        "{message}"
    );
    assert_eq!(
        profile(&server, "alice")
            .xml("MaxSigninSessionDuration")
            .as_deref(),
        Some("7776000")
    );

    // No member at all: nothing changes, and AWS answers with success.
    ok(&server, &update(&[]));
    let p = profile(&server, "alice");
    assert_eq!(
        p.xml("MaxSigninSessionDuration").as_deref(),
        Some("7776000")
    );
    assert_eq!(p.xml("PasswordResetRequired").as_deref(), Some("true"));

    // The user's password is still the first one: ChangePassword with it succeeds.
    let alice = iam_with(&server, &key, &secret);
    alice
        .change_password()
        .old_password("Correct-Horse-9")
        .new_password("Battery-Staple-7")
        .send()
        .await
        .expect("ChangePassword with the unchanged password");
    let p = profile(&server, "alice");
    assert_eq!(p.xml("PasswordResetRequired").as_deref(), Some("false"));
    assert_eq!(
        p.xml("MaxSigninSessionDuration").as_deref(),
        Some("7776000")
    );

    // The reset clears it; the password stays.
    ok(
        &server,
        &update(&[("ResetMaxSigninSessionDuration", "true")]),
    );
    assert_eq!(
        profile(&server, "alice").xml("MaxSigninSessionDuration"),
        None
    );
    alice
        .change_password()
        .old_password("Battery-Staple-7")
        .new_password("Correct-Horse-8")
        .send()
        .await
        .expect("ChangePassword after the reset");

    let message = refused(
        &server,
        &[
            ("Action", "UpdateLoginProfile"),
            ("UserName", "bob"),
            ("MaxSigninSessionDuration", "3600"),
        ],
        404,
        "NoSuchEntity",
    );
    assert_eq!(message, "The user with name bob cannot be found.");
}

#[tokio::test]
async fn a_profile_without_the_setting_shows_none_and_root_cannot_set_it() {
    let server = Server::start();
    ok(&server, &[("Action", "CreateUser"), ("UserName", "carol")]);
    let made = ok(
        &server,
        &[
            ("Action", "CreateLoginProfile"),
            ("UserName", "carol"),
            ("Password", "Correct-Horse-9"),
        ],
    );
    assert!(!made.text().contains("MaxSigninSessionDuration"));
    assert_eq!(
        profile(&server, "carol").xml("MaxSigninSessionDuration"),
        None
    );

    // The root user (no UserName, root credentials) is not supported.
    let message = refused(
        &server,
        &[
            ("Action", "CreateLoginProfile"),
            ("Password", "Correct-Horse-9"),
            ("MaxSigninSessionDuration", "3600"),
        ],
        400,
        "ValidationError",
    );
    assert_eq!(
        message,
        "MaxSigninSessionDuration is not supported for the root user."
    );
}

#[tokio::test]
async fn the_settings_survive_a_restart() {
    let dir = TempDir::new("signin-duration");
    let root = Credentials::generate();
    let server = Server::start_on(dir.path(), &root);
    create_role(&server, "cli", &[("MaxSigninSessionDuration", "172800")]);
    ok(&server, &[("Action", "CreateUser"), ("UserName", "dave")]);
    ok(
        &server,
        &[
            ("Action", "CreateLoginProfile"),
            ("UserName", "dave"),
            ("Password", "Correct-Horse-9"),
            ("MaxSigninSessionDuration", "604800"),
        ],
    );
    server.kill();

    let server = Server::start_on(dir.path(), &root);
    assert_eq!(role_setting(&server, "cli").as_deref(), Some("172800"));
    assert_eq!(
        profile(&server, "dave")
            .xml("MaxSigninSessionDuration")
            .as_deref(),
        Some("604800")
    );
}
