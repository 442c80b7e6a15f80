//! AssumeRoot: short-term root credentials for a *member* account of an AWS Organization,
//! requested by the organization's management account or the delegated administrator for
//! IAM, once centralized root access (root sessions) is enabled for the organization.
//!
//! A Portcullis account is standalone: it is in no organization (IAM's
//! ListOrganizationsFeatures and EnableOrganizationsRootSessions answer
//! OrganizationNotFoundException here, see `iam::organizations`), so it is never a
//! management or delegated-administrator account and no account is its member. Portcullis
//! therefore checks the request as STS documents it and then refuses it:
//!
//! 1. `TaskPolicyArn` must be one of the five AWS managed root-task policies
//!    (`arn:aws:iam::aws:policy/root-task/…`, STS API reference); `DurationSeconds` is at
//!    most 900 (the model's range, checked by the protocol layer); `TargetPrincipal` is a
//!    member account ID or its root ARN (`arn:aws:iam::ACCOUNT:root`). Anything else is a
//!    `ValidationError`.
//! 2. Root user credentials cannot call AssumeRoot ("You cannot use root user credentials
//!    to make this call"): `AccessDenied`.
//! 3. Every other caller gets STS's `AccessDenied` sentence for the action and the target
//!    root (`User: ARN is not authorized to perform: sts:AssumeRoot on resource:
//!    arn:aws:iam::TARGET:root`), followed by the reason, in the form IAM uses for features
//!    an account cannot use (compare CreateDelegationRequest in `iam::organizations`).
//!
//! Source of the choice: the STS API reference for AssumeRoot (caller requirements, the
//! task policies, the 900-second limit) and the IAM User Guide, "Centrally manage root
//! access for member accounts". AWS does not publish the text it answers to an account
//! outside an organization; the reason's wording (after "because") and the validation
//! messages are Portcullis's.

use crate::call::Ctx;
use crate::error::Error;
use portcullis_protocol::sts::{AssumeRootInput, AssumeRootOutput};

/// The AWS managed policies that scope a root session (STS API reference, AssumeRoot).
pub(super) const TASK_POLICIES: [&str; 5] = [
    "IAMAuditRootUserCredentials",
    "IAMCreateRootUserPassword",
    "IAMDeleteRootUserCredentials",
    "S3UnlockBucketPolicy",
    "SQSUnlockQueuePolicy",
];

/// The ARN prefix of the root-task policies.
const TASK_POLICY_PREFIX: &str = "arn:aws:iam::aws:policy/root-task/";

/// AssumeRoot.
pub(crate) async fn assume_root(
    ctx: &Ctx<'_>,
    input: AssumeRootInput,
) -> Result<AssumeRootOutput, Error> {
    let target = target_account(&input.target_principal)?;
    let task_policy = input.task_policy_arn.arn.as_deref().unwrap_or_default();
    check_task_policy(task_policy)?;
    if ctx.caller.is_root() {
        return Err(Error::denied(
            "Root user credentials cannot be used to call AssumeRoot.",
        ));
    }
    Err(Error::denied(format!(
        "User: {} is not authorized to perform: sts:AssumeRoot on resource: arn:aws:iam::{target}:root because account {} is not the management account or a delegated administrator of an organization with centralized root access enabled",
        ctx.caller.principal.arn, ctx.caller.account
    )))
}

/// The account a TargetPrincipal names: a 12-digit account ID, or the root ARN of one.
fn target_account(target: &str) -> Result<&str, Error> {
    let account = target
        .strip_prefix("arn:aws:iam::")
        .and_then(|rest| rest.strip_suffix(":root"))
        .unwrap_or(target);
    if account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()) {
        Ok(account)
    } else {
        Err(Error::validation(format!(
            "Invalid TargetPrincipal {target}: it must be a member account ID or the ARN of its root user (arn:aws:iam::ACCOUNT_ID:root)."
        )))
    }
}

/// Checks that a TaskPolicyArn is one of the root-task policies.
fn check_task_policy(arn: &str) -> Result<(), Error> {
    let known = arn
        .strip_prefix(TASK_POLICY_PREFIX)
        .is_some_and(|name| TASK_POLICIES.contains(&name));
    if known {
        return Ok(());
    }
    Err(Error::validation(format!(
        "Invalid TaskPolicyArn {arn}: it must be one of the AWS managed root task policies {}.",
        TASK_POLICIES
            .iter()
            .map(|n| format!("{TASK_POLICY_PREFIX}{n}"))
            .collect::<Vec<_>>()
            .join(", ")
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::App;
    use crate::caller::Caller;
    use crate::config::Config;
    use serde_json::{Value, json};

    async fn call(caller: &Caller, input: Value) -> (String, String) {
        let (app, _) = App::open(Config::in_memory(false)).await.unwrap();
        let e = crate::sts::call("AssumeRoot", &Ctx { app: &app, caller }, &input)
            .await
            .expect("an STS operation")
            .unwrap_err()
            .into_aws();
        (e.code().to_string(), e.message().to_string())
    }

    fn user() -> Caller {
        let mut c = Caller::test_root();
        c.principal =
            portcullis_policy::Principal::parse("arn:aws:iam::123456789012:user/admin").unwrap();
        c.user_name = Some("admin".into());
        c.user_id = Some("AIDAEXAMPLE".into());
        c
    }

    fn task(name: &str) -> Value {
        json!({ "arn": format!("{TASK_POLICY_PREFIX}{name}") })
    }

    #[tokio::test]
    async fn validates_the_target_and_the_task_policy() {
        let (c, m) = call(
            &user(),
            json!({"TargetPrincipal": "not-an-account", "TaskPolicyArn": task("S3UnlockBucketPolicy")}),
        )
        .await;
        assert_eq!(c, "ValidationError");
        assert!(m.contains("not-an-account"), "{m}");
        let (c, m) = call(
            &user(),
            json!({"TargetPrincipal": "111122223333", "TaskPolicyArn": {"arn": "arn:aws:iam::aws:policy/AdministratorAccess"}}),
        )
        .await;
        assert_eq!(c, "ValidationError");
        assert!(m.contains("root-task/IAMAuditRootUserCredentials"), "{m}");
        let (c, _) = call(
            &user(),
            json!({"TargetPrincipal": "111122223333", "TaskPolicyArn": task("NoSuchTask")}),
        )
        .await;
        assert_eq!(c, "ValidationError");
    }

    #[tokio::test]
    async fn a_standalone_account_cannot_assume_root() {
        for target in ["111122223333", "arn:aws:iam::111122223333:root"] {
            let (c, m) = call(
                &user(),
                json!({"TargetPrincipal": target, "TaskPolicyArn": task("IAMAuditRootUserCredentials"), "DurationSeconds": 900}),
            )
            .await;
            assert_eq!(c, "AccessDenied");
            assert!(
                m.starts_with("User: arn:aws:iam::123456789012:user/admin is not authorized to perform: sts:AssumeRoot on resource: arn:aws:iam::111122223333:root because"),
                "{m}"
            );
        }
        let (c, m) = call(
            &Caller::test_root(),
            json!({"TargetPrincipal": "111122223333", "TaskPolicyArn": task("SQSUnlockQueuePolicy")}),
        )
        .await;
        assert_eq!(c, "AccessDenied");
        assert!(m.contains("Root user credentials"), "{m}");
    }
}
