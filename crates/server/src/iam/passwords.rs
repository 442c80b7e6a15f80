//! Console passwords: login profiles (CreateLoginProfile, GetLoginProfile,
//! UpdateLoginProfile, DeleteLoginProfile), ChangePassword, and the account password policy
//! (UpdateAccountPasswordPolicy, GetAccountPasswordPolicy, DeleteAccountPasswordPolicy).
//!
//! Passwords are checked against the account's policy — or, when none is set, against
//! AWS's default policy (at least 8 characters, and at least three of upper-case letters,
//! lower-case letters, digits and symbols) — and kept only as Argon2id hashes. The policy's
//! PasswordReusePrevention is enforced when a password is changed or reset; MaxPasswordAge
//! with HardExpiry stops a user from changing an expired password (only an administrator
//! can then set a new one with UpdateLoginProfile); AllowUsersToChangePassword lets every
//! user call ChangePassword and GetAccountPasswordPolicy without a policy granting it (see
//! `authz`).
//!
//! A login profile may carry a maximum AWS Sign-In session duration
//! (`MaxSigninSessionDuration`, botocore 1.44.18), set by CreateLoginProfile and set or
//! cleared by UpdateLoginProfile (see [`super::roles::signin_change`]); an update
//! that gives only it leaves the password and `PasswordResetRequired` as they are. The
//! setting is not supported for the root user: CreateLoginProfile refuses it when the
//! request names no user and the caller is the root user. That message is Portcullis's
//! wording (AWS's is not published).

use super::roles::signin_change;
use super::users;
use crate::call::Ctx;
use crate::call::input::required;
use crate::error::Error;
use crate::time::now_millis;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Argon2, PasswordHash};
use portcullis_protocol::Timestamp;
use portcullis_protocol::iam::{
    self, ChangePasswordInput, CreateLoginProfileInput, CreateLoginProfileOutput,
    DeleteAccountPasswordPolicyInput, DeleteLoginProfileInput, GetAccountPasswordPolicyInput,
    GetAccountPasswordPolicyOutput, GetLoginProfileInput, GetLoginProfileOutput, IamErrorCode,
    UpdateAccountPasswordPolicyInput, UpdateLoginProfileInput,
};
use portcullis_store::{AccountSettings, Change, Entities, LoginProfile, PasswordPolicy, User};

/// The symbols a password policy's RequireSymbols counts (IAM User Guide, "Set an account
/// password policy for IAM users").
pub(crate) const SYMBOLS: &str = "!@#$%^&*()_+-=[]{}|'";

/// Earlier passwords kept for PasswordReusePrevention (its maximum).
const HISTORY: usize = 24;

/// Milliseconds in a day.
const DAY_MS: i64 = portcullis_time::MILLIS_PER_DAY;

/// Hashes a password with Argon2id and a random salt (PHC string format).
pub(crate) fn hash_password(password: &str) -> String {
    Argon2::default()
        .hash_password(password.as_bytes())
        .expect("Argon2 hashes any password of up to 128 characters")
        .to_string()
}

/// Whether `password` is the one `hash` was made from.
pub(crate) fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

fn violation(message: &str) -> Error {
    Error::aws(IamErrorCode::PasswordPolicyViolation, message)
}

/// Checks a new password against the account's policy (or AWS's default policy when
/// `policy` is `None`), with IAM's PasswordPolicyViolation.
pub(crate) fn check_password(password: &str, policy: Option<&PasswordPolicy>) -> Result<(), Error> {
    let length = password.chars().count();
    let upper = password.chars().any(|c| c.is_ascii_uppercase());
    let lower = password.chars().any(|c| c.is_ascii_lowercase());
    let digit = password.chars().any(|c| c.is_ascii_digit());
    let symbol = password.chars().any(|c| SYMBOLS.contains(c));
    let Some(p) = policy else {
        if length < 8 {
            return Err(violation("Password should have a minimum length of 8"));
        }
        let kinds = [upper, lower, digit, symbol].iter().filter(|k| **k).count();
        if kinds < 3 {
            return Err(violation(
                "Password should contain at least three of the following: uppercase letters, lowercase letters, numbers and symbols",
            ));
        }
        return Ok(());
    };
    if (length as i64) < p.minimum_password_length {
        return Err(violation(&format!(
            "Password should have a minimum length of {}",
            p.minimum_password_length
        )));
    }
    if p.require_uppercase_characters && !upper {
        return Err(violation(
            "Password should have at least one uppercase letter",
        ));
    }
    if p.require_lowercase_characters && !lower {
        return Err(violation(
            "Password should have at least one lowercase letter",
        ));
    }
    if p.require_numbers && !digit {
        return Err(violation("Password should have at least one number"));
    }
    if p.require_symbols && !symbol {
        return Err(violation("Password should have at least one symbol"));
    }
    Ok(())
}

/// Checks that a new password is none of the last `PasswordReusePrevention` ones.
fn check_reuse(
    password: &str,
    profile: &LoginProfile,
    policy: Option<&PasswordPolicy>,
) -> Result<(), Error> {
    let Some(n) = policy.and_then(|p| p.password_reuse_prevention) else {
        return Ok(());
    };
    let recent = std::iter::once(&profile.password_hash)
        .chain(&profile.previous_hashes)
        .take(n as usize);
    for hash in recent {
        if verify_password(password, hash) {
            return Err(violation(
                "Policy constraint violation with password reuse prevention during password change.",
            ));
        }
    }
    Ok(())
}

/// Whether a profile's password is past the policy's MaxPasswordAge at `now`.
pub(crate) fn is_expired(
    profile: &LoginProfile,
    policy: Option<&PasswordPolicy>,
    now: i64,
) -> bool {
    policy
        .and_then(|p| p.max_password_age)
        .is_some_and(|days| now >= profile.password_set_date + days * DAY_MS)
}

/// Sets a new password on a profile, keeping the old hash for reuse prevention.
fn set_password(profile: &mut LoginProfile, password: &str, now: i64) {
    let old = std::mem::replace(&mut profile.password_hash, hash_password(password));
    profile.previous_hashes.insert(0, old);
    profile.previous_hashes.truncate(HISTORY);
    profile.password_set_date = now;
}

fn profile_not_found(name: &str) -> Error {
    Error::no_such_entity(format!("Login Profile for User {name} cannot be found."))
}

/// A `LoginProfile`; its maximum sign-in session duration only once set.
fn view(user: &User, p: &LoginProfile) -> iam::LoginProfile {
    iam::LoginProfile {
        user_name: user.name.clone(),
        create_date: Timestamp::from_millis(p.create_date),
        password_reset_required: Some(p.password_reset_required),
        max_signin_session_duration: p.max_signin_session_duration,
    }
}

/// The user a login-profile operation names (the caller when `user_name`, its `UserName`,
/// is absent).
fn target_user<'e>(
    ctx: &Ctx<'_>,
    e: &'e Entities,
    user_name: Option<&str>,
) -> Result<&'e User, Error> {
    users::find(e, users::target_user(ctx, user_name)?)
}

/// CreateLoginProfile, with an optional maximum sign-in session duration.
pub(crate) async fn create_login_profile(
    ctx: &Ctx<'_>,
    input: CreateLoginProfileInput,
) -> Result<CreateLoginProfileOutput, Error> {
    let signin = input.max_signin_session_duration;
    if signin.is_some() && input.user_name.is_none() && ctx.caller.is_root() {
        return Err(Error::validation(
            "MaxSigninSessionDuration is not supported for the root user.",
        ));
    }
    let password = required(input.password.as_deref(), "Password")?;
    let reset = input.password_reset_required.unwrap_or(false);
    let account = ctx.account();
    let policy = ctx.app.read(|e| e.settings.password_policy.clone());
    check_password(password, policy.as_ref())?;
    let hash = hash_password(password);
    ctx.app
        .write(|e| {
            let user = target_user(ctx, e, input.user_name.as_deref())?;
            if e.login_profile(&user.id).is_some() {
                return Err(Error::already_exists(format!(
                    "Login Profile for user {} already exists.",
                    user.name
                )));
            }
            let now = now_millis();
            let profile = LoginProfile {
                user_id: user.id.clone(),
                password_hash: hash,
                previous_hashes: Vec::new(),
                password_reset_required: reset,
                create_date: now,
                password_set_date: now,
                max_signin_session_duration: signin,
            };
            let out = CreateLoginProfileOutput {
                login_profile: view(user, &profile),
            };
            Ok((vec![Change::put(account, &profile)], out))
        })
        .await
}

/// GetLoginProfile.
pub(crate) fn get_login_profile(
    ctx: &Ctx<'_>,
    input: GetLoginProfileInput,
) -> Result<GetLoginProfileOutput, Error> {
    ctx.app.read(|e| {
        let user = target_user(ctx, e, input.user_name.as_deref())?;
        let profile = e
            .login_profile(&user.id)
            .ok_or_else(|| profile_not_found(&user.name))?;
        Ok(GetLoginProfileOutput {
            login_profile: view(user, profile),
        })
    })
}

/// UpdateLoginProfile: an administrator sets a new password, the reset flag and/or the
/// maximum sign-in session duration; what the request leaves out is unchanged (a request
/// with none of them changes nothing and succeeds).
pub(crate) async fn update_login_profile(
    ctx: &Ctx<'_>,
    input: UpdateLoginProfileInput,
) -> Result<(), Error> {
    let name = input.user_name.as_str();
    let password = input.password.as_deref();
    let reset = input.password_reset_required;
    let signin = signin_change(
        input.max_signin_session_duration,
        input.reset_max_signin_session_duration,
    )?;
    let account = ctx.account();
    let policy = ctx.app.read(|e| e.settings.password_policy.clone());
    if let Some(p) = password {
        check_password(p, policy.as_ref())?;
    }
    ctx.app
        .write(|e| {
            let user = users::find(e, name)?;
            let mut profile = e
                .login_profile(&user.id)
                .ok_or_else(|| profile_not_found(&user.name))?
                .clone();
            if let Some(p) = password {
                check_reuse(p, &profile, policy.as_ref())?;
                set_password(&mut profile, p, now_millis());
            }
            if let Some(r) = reset {
                profile.password_reset_required = r;
            }
            signin.apply(&mut profile.max_signin_session_duration);
            Ok((vec![Change::put(account, &profile)], ()))
        })
        .await
}

/// DeleteLoginProfile.
pub(crate) async fn delete_login_profile(
    ctx: &Ctx<'_>,
    input: DeleteLoginProfileInput,
) -> Result<(), Error> {
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let user = target_user(ctx, e, input.user_name.as_deref())?;
            let profile = e
                .login_profile(&user.id)
                .ok_or_else(|| profile_not_found(&user.name))?;
            Ok((vec![Change::delete(account, profile)], ()))
        })
        .await
}

/// ChangePassword: an IAM user changes its own password, giving the old one.
pub(crate) async fn change_password(
    ctx: &Ctx<'_>,
    input: ChangePasswordInput,
) -> Result<(), Error> {
    let old = input.old_password.as_str();
    let new = input.new_password.as_str();
    let Some(user_id) = ctx
        .caller
        .user_id
        .as_deref()
        .filter(|_| !ctx.caller.is_root())
    else {
        return Err(Error::aws(
            IamErrorCode::InvalidUserType,
            "Only IAM users can change their own password.",
        ));
    };
    let account = ctx.account();
    let (policy, profile) = ctx.app.read(|e| {
        let user = e.user_by_id(user_id).ok_or_else(|| {
            Error::no_such_entity(format!("The user with ID {user_id} cannot be found."))
        })?;
        let profile = e
            .login_profile(user_id)
            .cloned()
            .ok_or_else(|| profile_not_found(&user.name))?;
        Ok::<_, Error>((e.settings.password_policy.clone(), profile))
    })?;
    let now = now_millis();
    if policy.as_ref().is_some_and(|p| p.hard_expiry) && is_expired(&profile, policy.as_ref(), now)
    {
        return Err(Error::aws(
            IamErrorCode::EntityTemporarilyUnmodifiable,
            "The password has expired and can only be reset by an administrator.",
        ));
    }
    if !verify_password(old, &profile.password_hash) {
        return Err(Error::denied("The old password is incorrect."));
    }
    check_password(new, policy.as_ref())?;
    check_reuse(new, &profile, policy.as_ref())?;
    let mut updated = profile;
    set_password(&mut updated, new, now);
    updated.password_reset_required = false;
    ctx.app
        .write(|e| {
            if e.login_profile(user_id).map(|p| &p.password_hash) != updated.previous_hashes.first()
            {
                return Err(Error::aws(
                    IamErrorCode::EntityTemporarilyUnmodifiable,
                    "The password was changed by another request; try again.",
                ));
            }
            Ok((vec![Change::put(account, &updated)], ()))
        })
        .await
}

/// UpdateAccountPasswordPolicy: every member not given takes its default (as IAM does).
pub(crate) async fn update_account_password_policy(
    ctx: &Ctx<'_>,
    input: UpdateAccountPasswordPolicyInput,
) -> Result<(), Error> {
    let flag = |value: Option<bool>| value.unwrap_or(false);
    let policy = PasswordPolicy {
        minimum_password_length: input.minimum_password_length.unwrap_or(6),
        require_symbols: flag(input.require_symbols),
        require_numbers: flag(input.require_numbers),
        require_uppercase_characters: flag(input.require_uppercase_characters),
        require_lowercase_characters: flag(input.require_lowercase_characters),
        allow_users_to_change_password: flag(input.allow_users_to_change_password),
        max_password_age: input.max_password_age,
        password_reuse_prevention: input.password_reuse_prevention,
        hard_expiry: flag(input.hard_expiry),
    };
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let settings = AccountSettings {
                password_policy: Some(policy),
                ..e.settings.clone()
            };
            Ok((vec![Change::put(account, &settings)], ()))
        })
        .await
}

/// IAM's NoSuchEntity of GetAccountPasswordPolicy while no policy is set.
fn no_policy(account: &str) -> Error {
    Error::no_such_entity(format!(
        "The Password Policy with domain name {account} cannot be found."
    ))
}

/// The `PasswordPolicy` output shape.
pub(crate) fn policy_view(p: &PasswordPolicy) -> iam::PasswordPolicy {
    iam::PasswordPolicy {
        minimum_password_length: Some(p.minimum_password_length),
        require_symbols: Some(p.require_symbols),
        require_numbers: Some(p.require_numbers),
        require_uppercase_characters: Some(p.require_uppercase_characters),
        require_lowercase_characters: Some(p.require_lowercase_characters),
        allow_users_to_change_password: Some(p.allow_users_to_change_password),
        expire_passwords: Some(p.max_password_age.is_some()),
        max_password_age: p.max_password_age,
        password_reuse_prevention: p.password_reuse_prevention,
        // AWS shows HardExpiry only when it was set: a policy updated without it has none.
        // (The store keeps a flag, so one set to false explicitly is shown without it too.)
        hard_expiry: p.hard_expiry.then_some(true),
    }
}

/// GetAccountPasswordPolicy: NoSuchEntity while none is set, as in IAM.
pub(crate) fn get_account_password_policy(
    ctx: &Ctx<'_>,
    _input: GetAccountPasswordPolicyInput,
) -> Result<GetAccountPasswordPolicyOutput, Error> {
    ctx.app.read(|e| match &e.settings.password_policy {
        Some(p) => Ok(GetAccountPasswordPolicyOutput {
            password_policy: policy_view(p),
        }),
        None => Err(no_policy(ctx.account())),
    })
}

/// DeleteAccountPasswordPolicy.
pub(crate) async fn delete_account_password_policy(
    ctx: &Ctx<'_>,
    _input: DeleteAccountPasswordPolicyInput,
) -> Result<(), Error> {
    let account = ctx.account();
    ctx.app
        .write(|e| {
            if e.settings.password_policy.is_none() {
                // Not GetAccountPasswordPolicy's message: AWS names the policy here.
                return Err(Error::no_such_entity(
                    "The account policy with name PasswordPolicy cannot be found.",
                ));
            }
            let settings = AccountSettings {
                password_policy: None,
                ..e.settings.clone()
            };
            Ok((vec![Change::put(account, &settings)], ()))
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::App;
    use crate::caller::Caller;
    use crate::config::Config;
    use crate::iam::call;
    use serde_json::{Value, json};

    async fn run(app: &App, op: &str, input: Value) -> Result<Value, Error> {
        let caller = Caller::test_root();
        let ctx = Ctx {
            app,
            caller: &caller,
        };
        call(op, &ctx, &input).await.unwrap()
    }

    /// An app with the user `alice`.
    async fn app_with_alice() -> App {
        let (app, _) = App::open(Config::in_memory(false)).await.unwrap();
        run(&app, "CreateUser", json!({"UserName": "alice"}))
            .await
            .unwrap();
        app
    }

    fn stored(app: &App) -> LoginProfile {
        app.read(|e| {
            let user = e.user("alice").unwrap();
            e.login_profile(&user.id).unwrap().clone()
        })
    }

    async fn shown(app: &App) -> Value {
        run(app, "GetLoginProfile", json!({"UserName": "alice"}))
            .await
            .unwrap()["LoginProfile"]
            .clone()
    }

    #[tokio::test]
    async fn login_profiles_store_and_show_the_signin_duration() {
        let app = app_with_alice().await;
        let made = run(
            &app,
            "CreateLoginProfile",
            json!({"UserName": "alice", "Password": "Correct-Horse-9",
                   "MaxSigninSessionDuration": 28800}),
        )
        .await
        .unwrap();
        assert_eq!(made["LoginProfile"]["MaxSigninSessionDuration"], 28800);
        assert_eq!(made["LoginProfile"]["PasswordResetRequired"], false);
        assert_eq!(shown(&app).await["MaxSigninSessionDuration"], 28800);
        assert_eq!(stored(&app).max_signin_session_duration, Some(28800));
    }

    #[tokio::test]
    async fn a_profile_without_the_setting_shows_none() {
        let app = app_with_alice().await;
        let made = run(
            &app,
            "CreateLoginProfile",
            json!({"UserName": "alice", "Password": "Correct-Horse-9"}),
        )
        .await
        .unwrap();
        assert!(
            made["LoginProfile"]
                .get("MaxSigninSessionDuration")
                .is_none()
        );
        assert!(shown(&app).await.get("MaxSigninSessionDuration").is_none());
    }

    #[tokio::test]
    async fn updating_only_the_signin_duration_keeps_the_password() {
        let app = app_with_alice().await;
        run(
            &app,
            "CreateLoginProfile",
            json!({"UserName": "alice", "Password": "Correct-Horse-9",
                   "PasswordResetRequired": true}),
        )
        .await
        .unwrap();
        let before = stored(&app);
        let update = |input: Value| run(&app, "UpdateLoginProfile", input);

        update(json!({"UserName": "alice", "MaxSigninSessionDuration": 7776000}))
            .await
            .unwrap();
        let after = stored(&app);
        assert_eq!(after.max_signin_session_duration, Some(7776000));
        assert_eq!(after.password_hash, before.password_hash);
        assert!(after.previous_hashes.is_empty());
        assert_eq!(after.password_set_date, before.password_set_date);
        assert!(after.password_reset_required);
        let view = shown(&app).await;
        assert_eq!(view["MaxSigninSessionDuration"], 7776000);
        assert_eq!(view["PasswordResetRequired"], true);

        // A new password leaves the setting as it is.
        update(json!({"UserName": "alice", "Password": "Battery-Staple-7",
                      "PasswordResetRequired": false}))
        .await
        .unwrap();
        let after = stored(&app);
        assert_eq!(after.max_signin_session_duration, Some(7776000));
        assert!(verify_password("Battery-Staple-7", &after.password_hash));
        assert!(!after.password_reset_required);

        // Neither member given: nothing changes.
        update(json!({"UserName": "alice"})).await.unwrap();
        assert_eq!(stored(&app), after);

        // Both at once: InvalidInput, nothing changes.
        let e = update(
            json!({"UserName": "alice", "MaxSigninSessionDuration": 3600,
                              "ResetMaxSigninSessionDuration": true}),
        )
        .await
        .unwrap_err()
        .into_aws();
        assert_eq!(e.code(), "InvalidInput");
        assert_eq!(
            e.message(),
            "Cannot specify both MaxSigninSessionDuration and ResetMaxSigninSessionDuration."
        );
        assert_eq!(stored(&app), after);

        // Reset clears it, and clearing an unset one has no effect.
        for _ in 0..2 {
            update(json!({"UserName": "alice", "ResetMaxSigninSessionDuration": true}))
                .await
                .unwrap();
            assert!(shown(&app).await.get("MaxSigninSessionDuration").is_none());
            assert_eq!(stored(&app).password_hash, after.password_hash);
        }

        let e = update(json!({"UserName": "nobody", "MaxSigninSessionDuration": 3600}))
            .await
            .unwrap_err()
            .into_aws();
        assert_eq!(e.code(), "NoSuchEntity");
    }

    #[tokio::test]
    async fn the_root_user_cannot_have_the_signin_duration() {
        let app = app_with_alice().await;
        let e = run(
            &app,
            "CreateLoginProfile",
            json!({"Password": "Correct-Horse-9", "MaxSigninSessionDuration": 3600}),
        )
        .await
        .unwrap_err()
        .into_aws();
        assert_eq!(e.code(), "ValidationError");
        assert_eq!(
            e.message(),
            "MaxSigninSessionDuration is not supported for the root user."
        );
    }

    fn policy() -> PasswordPolicy {
        PasswordPolicy {
            minimum_password_length: 12,
            require_symbols: true,
            require_numbers: true,
            require_uppercase_characters: true,
            require_lowercase_characters: true,
            allow_users_to_change_password: true,
            max_password_age: Some(90),
            password_reuse_prevention: Some(2),
            hard_expiry: false,
        }
    }

    fn message(r: Result<(), Error>) -> String {
        let e = r.unwrap_err().into_aws();
        assert_eq!(e.code(), "PasswordPolicyViolation");
        e.message().to_string()
    }

    #[test]
    fn checks_passwords_against_the_policy() {
        let p = policy();
        assert!(check_password("Correct-Horse-9", Some(&p)).is_ok());
        assert_eq!(
            message(check_password("Sh0rt!", Some(&p))),
            "Password should have a minimum length of 12"
        );
        assert!(message(check_password("no-upper-case-9", Some(&p))).contains("uppercase"));
        assert!(message(check_password("NO-LOWER-CASE-9", Some(&p))).contains("lowercase"));
        assert!(message(check_password("No-Digits-Here", Some(&p))).contains("number"));
        assert!(message(check_password("NoSymbolsHere9", Some(&p))).contains("symbol"));
        // A character that is not one of IAM's symbols does not count as one.
        assert!(message(check_password("NoSymbolsHere9~", Some(&p))).contains("symbol"));
    }

    #[test]
    fn applies_the_default_policy_without_one() {
        assert!(check_password("abcDEF12", None).is_ok());
        assert!(check_password("abcdef1!", None).is_ok());
        assert!(message(check_password("aB1!", None)).contains("minimum length of 8"));
        assert!(message(check_password("abcdefgh12", None)).contains("three"));
    }

    #[test]
    fn hashes_verify_and_are_salted() {
        let h = hash_password("Correct-Horse-9");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("Correct-Horse-9", &h));
        assert!(!verify_password("Correct-Horse-8", &h));
        assert_ne!(h, hash_password("Correct-Horse-9"));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn prevents_reuse_and_expires() {
        let p = policy();
        let mut profile = LoginProfile {
            user_id: "AIDA".into(),
            password_hash: hash_password("First-Password-1"),
            previous_hashes: vec![],
            password_reset_required: false,
            create_date: 0,
            password_set_date: 0,
            max_signin_session_duration: None,
        };
        assert!(check_reuse("First-Password-1", &profile, Some(&p)).is_err());
        set_password(&mut profile, "Second-Password-2", 10);
        set_password(&mut profile, "Third-Password-3", 20);
        // Two remembered: the current and the one before it.
        assert!(check_reuse("Third-Password-3", &profile, Some(&p)).is_err());
        assert!(check_reuse("Second-Password-2", &profile, Some(&p)).is_err());
        assert!(check_reuse("First-Password-1", &profile, Some(&p)).is_ok());
        assert!(check_reuse("Third-Password-3", &profile, None).is_ok());
        assert!(!is_expired(&profile, Some(&p), 20 + 89 * DAY_MS));
        assert!(is_expired(&profile, Some(&p), 20 + 90 * DAY_MS));
        assert!(!is_expired(&profile, None, i64::MAX));
    }

    #[test]
    fn shows_the_policy_as_iam_does() {
        let mut p = policy();
        let v = serde_json::to_value(policy_view(&p)).unwrap();
        assert_eq!(v["ExpirePasswords"], true);
        assert_eq!(v["MaxPasswordAge"], 90);
        p.max_password_age = None;
        p.password_reuse_prevention = None;
        let v = serde_json::to_value(policy_view(&p)).unwrap();
        assert_eq!(v["ExpirePasswords"], false);
        assert!(v.get("MaxPasswordAge").is_none());
        assert!(v.get("PasswordReusePrevention").is_none());
    }
}
