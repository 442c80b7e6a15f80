//! Console passwords through the AWS SDK for Rust: login profiles (Create, Get, Update,
//! Delete), ChangePassword by the user itself, and the account password policy (Update,
//! Get, Delete), with passwords checked against the policy, PasswordReusePrevention,
//! AllowUsersToChangePassword, DeleteUser's conflict and AWS's errors.

#[macro_use]
mod common;

use common::*;

#[tokio::test]
async fn login_profile_lifecycle() {
    let server = Server::start();
    let iam = iam(&server);
    iam.create_user().user_name("alice").send().await.unwrap();

    // No profile yet.
    let f = fail(iam.get_login_profile().user_name("alice").send().await);
    assert_eq!(f.code, "NoSuchEntity");
    assert_eq!(f.status, 404);
    assert_eq!(f.message, "Login Profile for User alice cannot be found.");

    // Without a policy, AWS's default applies: 8 characters, three kinds of character.
    let f = rejects!(
        iam,
        iam.create_login_profile()
            .user_name("alice")
            .password("short1A")
            .send(),
        "PasswordPolicyViolation"
    );
    assert_eq!(f.status, 400);
    let f = fail(
        iam.create_login_profile()
            .user_name("alice")
            .password("alllowercase")
            .send()
            .await,
    );
    assert_eq!(f.code, "PasswordPolicyViolation");
    let f = fail(
        iam.create_login_profile()
            .user_name("nobody")
            .password("Good-Password-1")
            .send()
            .await,
    );
    assert_eq!(f.code, "NoSuchEntity");

    let created = iam
        .create_login_profile()
        .user_name("alice")
        .password("Good-Password-1")
        .password_reset_required(true)
        .send()
        .await
        .expect("CreateLoginProfile");
    let p = created.login_profile().unwrap();
    assert_eq!(p.user_name(), "alice");
    assert!(p.password_reset_required());
    assert_recent(p.create_date());

    let f = fail(
        iam.create_login_profile()
            .user_name("alice")
            .password("Good-Password-2")
            .send()
            .await,
    );
    assert_eq!(f.code, "EntityAlreadyExists");
    assert_eq!(f.status, 409);

    let got = iam
        .get_login_profile()
        .user_name("alice")
        .send()
        .await
        .expect("GetLoginProfile");
    assert!(got.login_profile().unwrap().password_reset_required());

    // DeleteUser refuses while the profile exists.
    let f = fail(iam.delete_user().user_name("alice").send().await);
    assert_eq!(f.code, "DeleteConflict");
    assert_eq!(
        f.message,
        "Cannot delete entity, must delete login profile first."
    );

    iam.update_login_profile()
        .user_name("alice")
        .password_reset_required(false)
        .send()
        .await
        .expect("UpdateLoginProfile");
    let got = iam
        .get_login_profile()
        .user_name("alice")
        .send()
        .await
        .unwrap();
    assert!(!got.login_profile().unwrap().password_reset_required());
    let f = fail(
        iam.update_login_profile()
            .user_name("alice")
            .password("weak")
            .send()
            .await,
    );
    assert_eq!(f.code, "PasswordPolicyViolation");
    let f = fail(
        iam.update_login_profile()
            .user_name("nobody")
            .password_reset_required(true)
            .send()
            .await,
    );
    assert_eq!(f.code, "NoSuchEntity");

    iam.delete_login_profile()
        .user_name("alice")
        .send()
        .await
        .expect("DeleteLoginProfile");
    let f = fail(iam.delete_login_profile().user_name("alice").send().await);
    assert_eq!(f.code, "NoSuchEntity");
    iam.delete_user().user_name("alice").send().await.unwrap();
}

#[tokio::test]
async fn password_policy_lifecycle() {
    let server = Server::start();
    let iam = iam(&server);

    let f = fail(iam.get_account_password_policy().send().await);
    assert_eq!(f.code, "NoSuchEntity");
    assert_eq!(
        f.message,
        format!("The Password Policy with domain name {ACCOUNT_ID} cannot be found.")
    );
    let f = fail(iam.delete_account_password_policy().send().await);
    assert_eq!(f.code, "NoSuchEntity");

    // Out-of-range values are refused by the model's constraints.
    let f = fail(
        iam.update_account_password_policy()
            .minimum_password_length(5)
            .send()
            .await,
    );
    assert_eq!(f.code, "ValidationError");
    let f = fail(
        iam.update_account_password_policy()
            .password_reuse_prevention(25)
            .send()
            .await,
    );
    assert_eq!(f.code, "ValidationError");

    iam.update_account_password_policy()
        .minimum_password_length(12)
        .require_symbols(true)
        .require_numbers(true)
        .require_uppercase_characters(true)
        .require_lowercase_characters(true)
        .allow_users_to_change_password(true)
        .max_password_age(90)
        .password_reuse_prevention(3)
        .send()
        .await
        .expect("UpdateAccountPasswordPolicy");
    let got = iam.get_account_password_policy().send().await.unwrap();
    let p = got.password_policy().unwrap();
    assert_eq!(p.minimum_password_length(), Some(12));
    assert!(p.require_symbols() && p.require_numbers());
    assert!(p.require_uppercase_characters() && p.require_lowercase_characters());
    assert!(p.allow_users_to_change_password());
    assert!(p.expire_passwords());
    assert_eq!(p.max_password_age(), Some(90));
    assert_eq!(p.password_reuse_prevention(), Some(3));
    // Not given, so not shown (as AWS answers).
    assert_eq!(p.hard_expiry(), None);

    iam.create_user().user_name("bob").send().await.unwrap();
    for (password, why) in [
        ("Sh0rt-Pass", "minimum length of 12"),
        ("no-upper-case-1", "uppercase"),
        ("NO-LOWER-CASE-1", "lowercase"),
        ("No-Numbers-Here", "number"),
        ("NoSymbolsHere12", "symbol"),
    ] {
        let f = fail(
            iam.create_login_profile()
                .user_name("bob")
                .password(password)
                .send()
                .await,
        );
        assert_eq!(f.code, "PasswordPolicyViolation", "{password}");
        assert!(f.message.contains(why), "{password}: {}", f.message);
    }
    iam.create_login_profile()
        .user_name("bob")
        .password("Bobs-Password-1")
        .send()
        .await
        .expect("a password that meets the policy");

    // An update may not reuse one of the last three passwords.
    let f = fail(
        iam.update_login_profile()
            .user_name("bob")
            .password("Bobs-Password-1")
            .send()
            .await,
    );
    assert_eq!(f.code, "PasswordPolicyViolation");
    iam.update_login_profile()
        .user_name("bob")
        .password("Bobs-Password-2")
        .send()
        .await
        .unwrap();

    // Deleting the policy brings back AWS's default (a 7-character password fails).
    iam.delete_account_password_policy()
        .send()
        .await
        .expect("DeleteAccountPasswordPolicy");
    assert_eq!(
        fail(iam.get_account_password_policy().send().await).code,
        "NoSuchEntity"
    );
    let f = fail(
        iam.update_login_profile()
            .user_name("bob")
            .password("Ab1-xyz")
            .send()
            .await,
    );
    assert_eq!(f.code, "PasswordPolicyViolation");
}

#[tokio::test]
async fn users_change_their_own_password() {
    let server = Server::start();
    let root = iam(&server);
    let (key, secret) = user_with_key(&root, "carol").await;
    let carol = iam_with(&server, &key, &secret);
    root.create_login_profile()
        .user_name("carol")
        .password("Carols-Password-1")
        .password_reset_required(true)
        .send()
        .await
        .unwrap();

    // Without AllowUsersToChangePassword and without a policy granting it: AccessDenied.
    let f = fail(
        carol
            .change_password()
            .old_password("Carols-Password-1")
            .new_password("Carols-Password-2")
            .send()
            .await,
    );
    assert_eq!(f.code, "AccessDenied");

    root.update_account_password_policy()
        .allow_users_to_change_password(true)
        .password_reuse_prevention(1)
        .send()
        .await
        .unwrap();
    // The policy also lets users read it.
    carol
        .get_account_password_policy()
        .send()
        .await
        .expect("GetAccountPasswordPolicy by a user");

    let f = fail(
        carol
            .change_password()
            .old_password("Not-Her-Password-1")
            .new_password("Carols-Password-2")
            .send()
            .await,
    );
    assert_eq!(f.code, "AccessDenied");
    let f = fail(
        carol
            .change_password()
            .old_password("Carols-Password-1")
            .new_password("Carols-Password-1")
            .send()
            .await,
    );
    assert_eq!(f.code, "PasswordPolicyViolation");
    let f = fail(
        carol
            .change_password()
            .old_password("Carols-Password-1")
            .new_password("x")
            .send()
            .await,
    );
    assert_eq!(f.code, "PasswordPolicyViolation");

    carol
        .change_password()
        .old_password("Carols-Password-1")
        .new_password("Carols-Password-2")
        .send()
        .await
        .expect("ChangePassword");
    // Changing the password clears PasswordResetRequired.
    let got = root
        .get_login_profile()
        .user_name("carol")
        .send()
        .await
        .unwrap();
    assert!(!got.login_profile().unwrap().password_reset_required());
    // The old password no longer works; the new one does.
    let f = fail(
        carol
            .change_password()
            .old_password("Carols-Password-1")
            .new_password("Carols-Password-3")
            .send()
            .await,
    );
    assert_eq!(f.code, "AccessDenied");
    carol
        .change_password()
        .old_password("Carols-Password-2")
        .new_password("Carols-Password-3")
        .send()
        .await
        .expect("ChangePassword with the new password");

    // The root has no login profile to change: InvalidUserType.
    let f = fail(
        root.change_password()
            .old_password("Whatever-Pass-1")
            .new_password("Whatever-Pass-2")
            .send()
            .await,
    );
    assert_eq!(f.code, "InvalidUserType");

    // Reading its own login profile still needs a policy that grants it.
    let mine = fail(carol.get_login_profile().send().await);
    assert_eq!(mine.code, "AccessDenied");
}
