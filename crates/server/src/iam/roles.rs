//! Roles: create, read, list, update, delete, trust policies, boundaries, service-linked
//! roles.
//!
//! A role's maximum AWS Sign-In session duration (`MaxSigninSessionDuration`, botocore
//! 1.44.18) is set by CreateRole and UpdateRole and cleared by UpdateRole's
//! `ResetMaxSigninSessionDuration`; [`signin_change`] reads the pair for roles and
//! login profiles alike. The message refusing both in one request is Portcullis's wording:
//! AWS's text is not published.

use super::rules::{self, check_boundary, check_policy, check_tags, over_quota, quota};
use super::service_linked_roles;
use super::views::{self, Detail};
use crate::call::Ctx;
use crate::call::input::Page;
use crate::error::Error;
use crate::secrets::unique_id;
use crate::time::now_millis;
use portcullis_policy::PolicyKind;
use portcullis_protocol::iam::{
    self, CreateRoleInput, CreateRoleOutput, CreateServiceLinkedRoleInput,
    CreateServiceLinkedRoleOutput, DeleteRoleInput, DeleteRolePermissionsBoundaryInput,
    DeleteServiceLinkedRoleInput, DeleteServiceLinkedRoleOutput, GetRoleInput, GetRoleOutput,
    GetServiceLinkedRoleDeletionStatusInput, GetServiceLinkedRoleDeletionStatusOutput,
    ListRolesInput, ListRolesOutput, PutRolePermissionsBoundaryInput, UpdateAssumeRolePolicyInput,
    UpdateRoleDescriptionInput, UpdateRoleDescriptionOutput, UpdateRoleInput, UpdateRoleOutput,
};
use portcullis_store::{Change, Entities, Role};
use std::collections::BTreeMap;

/// IAM's NoSuchEntity for a role.
pub(super) fn not_found(name: &str) -> Error {
    Error::no_such_entity(format!("The role with name {name} cannot be found."))
}

/// The role with this name, or IAM's NoSuchEntity.
pub(super) fn find<'e>(e: &'e Entities, name: &str) -> Result<&'e Role, Error> {
    e.role(name).ok_or_else(|| not_found(name))
}

fn is_service_linked(role: &Role) -> bool {
    role.path.starts_with("/aws-service-role/")
}

/// What an update does to a maximum sign-in session duration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SigninDurationChange {
    /// Neither member given (or only `ResetMaxSigninSessionDuration=false`): unchanged.
    Keep,
    /// `MaxSigninSessionDuration` given: the new value.
    Set(i64),
    /// `ResetMaxSigninSessionDuration=true`: back to unset.
    Reset,
}

impl SigninDurationChange {
    /// Applies the change to a stored setting.
    pub(super) fn apply(self, setting: &mut Option<i64>) {
        match self {
            SigninDurationChange::Keep => {}
            SigninDurationChange::Set(s) => *setting = Some(s),
            SigninDurationChange::Reset => *setting = None,
        }
    }
}

/// Reads `MaxSigninSessionDuration` and `ResetMaxSigninSessionDuration` of UpdateRole or
/// UpdateLoginProfile (the protocol layer has already checked the range, 3,600 to
/// 7,776,000): IAM's InvalidInput when a value is given together with a reset.
pub(super) fn signin_change(
    max_signin_session_duration: Option<i64>,
    reset_max_signin_session_duration: Option<bool>,
) -> Result<SigninDurationChange, Error> {
    match (
        max_signin_session_duration,
        reset_max_signin_session_duration.unwrap_or(false),
    ) {
        (Some(_), true) => Err(Error::invalid_input(
            "Cannot specify both MaxSigninSessionDuration and ResetMaxSigninSessionDuration.",
        )),
        (Some(s), false) => Ok(SigninDurationChange::Set(s)),
        (None, true) => Ok(SigninDurationChange::Reset),
        (None, false) => Ok(SigninDurationChange::Keep),
    }
}

fn unmodifiable(role: &Role) -> Error {
    Error::unmodifiable(format!(
        "Cannot perform the operation on the protected role '{}' - this role is only modifiable by AWS",
        role.name
    ))
}

/// CreateRole.
pub(crate) async fn create_role(
    ctx: &Ctx<'_>,
    input: CreateRoleInput,
) -> Result<CreateRoleOutput, Error> {
    let name = input.role_name.as_str();
    let path = input.path.as_deref().unwrap_or("/");
    let trust = input.assume_role_policy_document.as_str();
    check_policy(trust, PolicyKind::Trust, None)?;
    let tags = views::stored_tags(input.tags);
    check_tags(&tags, true)?;
    let boundary = input.permissions_boundary.as_deref();
    let account = ctx.account();
    let role = Role {
        id: unique_id("AROA", 17),
        name: name.to_string(),
        path: path.to_string(),
        arn: rules::arn(account, "role", path, name),
        create_date: now_millis(),
        assume_role_policy_document: trust.to_string(),
        description: input.description,
        max_session_duration: input.max_session_duration.unwrap_or(3600),
        max_signin_session_duration: input.max_signin_session_duration,
        permissions_boundary: boundary.map(str::to_string),
        tags,
        attached_policies: Vec::new(),
        inline_policies: BTreeMap::new(),
        last_used: None,
    };
    ctx.app
        .write(|e| {
            if e.role(name).is_some() {
                return Err(Error::already_exists(format!(
                    "Role with name {name} already exists."
                )));
            }
            if e.roles.len() >= quota::ROLES {
                return Err(over_quota("RolesPerAccount", quota::ROLES));
            }
            if let Some(b) = boundary {
                check_boundary(e, b)?;
            }
            // AWS's answer leaves out the description, the maximum session duration and
            // the last use (GetRole has them). A maximum sign-in session duration, shown
            // only once set, is kept: the answer shows what the request set.
            let shown = iam::Role {
                description: None,
                max_session_duration: None,
                role_last_used: None,
                ..views::role(&role, Detail::Full)
            };
            Ok((
                vec![Change::put(account, &role)],
                CreateRoleOutput { role: shown },
            ))
        })
        .await
}

/// GetRole.
pub(crate) fn get_role(ctx: &Ctx<'_>, input: GetRoleInput) -> Result<GetRoleOutput, Error> {
    ctx.app.read(|e| {
        let role = find(e, &input.role_name)?;
        Ok(GetRoleOutput {
            role: views::role(role, Detail::Full),
        })
    })
}

/// ListRoles.
pub(crate) fn list_roles(ctx: &Ctx<'_>, input: ListRolesInput) -> Result<ListRolesOutput, Error> {
    let prefix = input.path_prefix.as_deref().unwrap_or("/");
    let page = Page::new(input.marker.as_deref(), input.max_items)?;
    ctx.app.read(|e| {
        let (roles, next) = page.take(
            e.roles
                .iter()
                .filter(|(_, r)| r.path.starts_with(prefix))
                .map(|(k, r)| (k.as_str(), views::role(r, Detail::Listed))),
        );
        Ok(ListRolesOutput {
            is_truncated: Some(next.is_some()),
            marker: next,
            roles,
        })
    })
}

async fn modify<T>(
    ctx: &Ctx<'_>,
    name: &str,
    f: impl FnOnce(&Entities, &mut Role) -> Result<(), Error>,
    answer: impl FnOnce(&Role) -> T,
) -> Result<T, Error> {
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let mut role = find(e, name)?.clone();
            f(e, &mut role)?;
            let out = answer(&role);
            Ok((vec![Change::put(account, &role)], out))
        })
        .await
}

/// UpdateRole: the description, the maximum session duration and the maximum sign-in
/// session duration (set, reset or kept); a member left out keeps its setting. A
/// service-linked role is refused whatever the change.
pub(crate) async fn update_role(
    ctx: &Ctx<'_>,
    input: UpdateRoleInput,
) -> Result<UpdateRoleOutput, Error> {
    let name = input.role_name.as_str();
    let description = input.description;
    let max = input.max_session_duration;
    let signin = signin_change(
        input.max_signin_session_duration,
        input.reset_max_signin_session_duration,
    )?;
    modify(
        ctx,
        name,
        |_, r| {
            if is_service_linked(r) {
                return Err(unmodifiable(r));
            }
            if let Some(d) = description {
                r.description = Some(d);
            }
            if let Some(m) = max {
                r.max_session_duration = m;
            }
            signin.apply(&mut r.max_signin_session_duration);
            Ok(())
        },
        |_| UpdateRoleOutput {},
    )
    .await
}

/// UpdateRoleDescription.
pub(crate) async fn update_role_description(
    ctx: &Ctx<'_>,
    input: UpdateRoleDescriptionInput,
) -> Result<UpdateRoleDescriptionOutput, Error> {
    let description = input.description;
    modify(
        ctx,
        &input.role_name,
        |_, r| {
            if is_service_linked(r) {
                return Err(unmodifiable(r));
            }
            r.description = Some(description);
            Ok(())
        },
        |r| {
            // AWS answers with the role but without its maximum session duration, last
            // use or permissions boundary (a maximum sign-in session duration, once set,
            // is shown as in every Role).
            UpdateRoleDescriptionOutput {
                role: Some(iam::Role {
                    max_session_duration: None,
                    role_last_used: None,
                    permissions_boundary: None,
                    ..views::role(r, Detail::Full)
                }),
            }
        },
    )
    .await
}

/// UpdateAssumeRolePolicy.
pub(crate) async fn update_assume_role_policy(
    ctx: &Ctx<'_>,
    input: UpdateAssumeRolePolicyInput,
) -> Result<(), Error> {
    let document = input.policy_document;
    check_policy(&document, PolicyKind::Trust, None)?;
    modify(
        ctx,
        &input.role_name,
        |_, r| {
            if is_service_linked(r) {
                return Err(unmodifiable(r));
            }
            r.assume_role_policy_document = document;
            Ok(())
        },
        |_| (),
    )
    .await
}

/// PutRolePermissionsBoundary.
pub(crate) async fn put_role_permissions_boundary(
    ctx: &Ctx<'_>,
    input: PutRolePermissionsBoundaryInput,
) -> Result<(), Error> {
    let arn = input.permissions_boundary;
    modify(
        ctx,
        &input.role_name,
        |e, r| {
            if is_service_linked(r) {
                return Err(unmodifiable(r));
            }
            check_boundary(e, &arn)?;
            r.permissions_boundary = Some(arn);
            Ok(())
        },
        |_| (),
    )
    .await
}

/// DeleteRolePermissionsBoundary.
pub(crate) async fn delete_role_permissions_boundary(
    ctx: &Ctx<'_>,
    input: DeleteRolePermissionsBoundaryInput,
) -> Result<(), Error> {
    let name = input.role_name.as_str();
    modify(
        ctx,
        name,
        |_, r| {
            if is_service_linked(r) {
                return Err(unmodifiable(r));
            }
            if r.permissions_boundary.take().is_none() {
                return Err(Error::no_such_entity(format!(
                    "Role {name} does not have a permissions boundary."
                )));
            }
            Ok(())
        },
        |_| (),
    )
    .await
}

/// Why a role cannot be deleted yet, if it cannot.
fn delete_conflict(e: &Entities, role: &Role) -> Option<Error> {
    if !role.attached_policies.is_empty() {
        return Some(Error::delete_conflict(
            "Cannot delete entity, must detach all policies first.",
        ));
    }
    if !role.inline_policies.is_empty() {
        return Some(Error::delete_conflict(
            "Cannot delete entity, must delete policies first.",
        ));
    }
    if e.instance_profiles
        .values()
        .any(|p| p.roles.iter().any(|r| r.eq_ignore_ascii_case(&role.name)))
    {
        return Some(Error::delete_conflict(
            "Cannot delete entity, must remove roles from instance profile first.",
        ));
    }
    None
}

/// DeleteRole.
pub(crate) async fn delete_role(ctx: &Ctx<'_>, input: DeleteRoleInput) -> Result<(), Error> {
    let name = input.role_name.as_str();
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let role = find(e, name)?;
            if is_service_linked(role) {
                return Err(unmodifiable(role));
            }
            if let Some(conflict) = delete_conflict(e, role) {
                return Err(conflict);
            }
            // Its recorded service accesses go with it.
            let mut changes = vec![Change::delete(account, role)];
            changes.extend(e.accesses_of(&role.id).map(|a| Change::delete(account, a)));
            Ok((changes, ()))
        })
        .await
}

/// CreateServiceLinkedRole: the role AWS creates for the service (see
/// [`super::service_linked_roles`]): its name (with `_SUFFIX` when a custom suffix is given
/// and the service accepts one), path, trust policy, attached AWS managed policies and
/// default description.
pub(crate) async fn create_service_linked_role(
    ctx: &Ctx<'_>,
    input: CreateServiceLinkedRoleInput,
) -> Result<CreateServiceLinkedRoleOutput, Error> {
    let service = input.aws_service_name.as_str();
    if !service.ends_with(".amazonaws.com") {
        return Err(Error::invalid_input(format!(
            "Invalid ServiceName {service}"
        )));
    }
    let made = service_linked_roles::for_service(service);
    let name = match input.custom_suffix.as_deref() {
        Some(_) if !made.custom_suffix_allowed => {
            return Err(Error::invalid_input(
                made.custom_suffix_error
                    .clone()
                    .unwrap_or_else(|| format!("Custom suffix is not allowed for {service}")),
            ));
        }
        Some(s) => format!("{}_{s}", made.role_name),
        None => made.role_name.clone(),
    };
    let account = ctx.account();
    let role = Role {
        id: unique_id("AROA", 17),
        arn: rules::arn(account, "role", &made.path, &name),
        name: name.clone(),
        path: made.path.clone(),
        create_date: now_millis(),
        assume_role_policy_document: made.assume_role_policy_document.to_string(),
        description: input.description.or(made.description.clone()),
        max_session_duration: 3600,
        max_signin_session_duration: None,
        permissions_boundary: None,
        tags: Vec::new(),
        // Every recorded policy but one is in the catalog; AmazonLexBotPolicy (of
        // lex.amazonaws.com) is not, and a policy this server cannot read is not attached.
        attached_policies: made
            .attached_policies
            .iter()
            .filter(|p| portcullis_catalog::managed_policy(p).is_some())
            .cloned()
            .collect(),
        inline_policies: BTreeMap::new(),
        last_used: None,
    };
    ctx.app
        .write(|e| {
            if e.role(&name).is_some() {
                return Err(Error::invalid_input(format!(
                    "Service role name {name} has been taken in this account, please try a different suffix."
                )));
            }
            let out = CreateServiceLinkedRoleOutput {
                role: Some(views::role(&role, Detail::Full)),
            };
            Ok((vec![Change::put(account, &role)], out))
        })
        .await
}

/// DeleteServiceLinkedRole: deletes at once and answers with a task ID that
/// GetServiceLinkedRoleDeletionStatus reports as SUCCEEDED.
pub(crate) async fn delete_service_linked_role(
    ctx: &Ctx<'_>,
    input: DeleteServiceLinkedRoleInput,
) -> Result<DeleteServiceLinkedRoleOutput, Error> {
    let name = input.role_name.as_str();
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let role = find(e, name)?;
            if !is_service_linked(role) {
                return Err(Error::invalid_input(format!(
                    "Role {name} is not a service-linked role."
                )));
            }
            let task = format!("task{}{}/{}", role.path, role.name, uuid::Uuid::new_v4());
            Ok((
                vec![Change::delete(account, role)],
                DeleteServiceLinkedRoleOutput {
                    deletion_task_id: task,
                },
            ))
        })
        .await
}

/// GetServiceLinkedRoleDeletionStatus.
pub(crate) fn get_service_linked_role_deletion_status(
    ctx: &Ctx<'_>,
    input: GetServiceLinkedRoleDeletionStatusInput,
) -> Result<GetServiceLinkedRoleDeletionStatusOutput, Error> {
    let task = input.deletion_task_id.as_str();
    let role_name = task
        .strip_prefix("task/aws-service-role/")
        .and_then(|rest| rest.split('/').nth(1))
        .ok_or_else(|| Error::invalid_input(format!("Invalid deletion task id {task}")))?;
    let exists = ctx.app.read(|e| e.role(role_name).is_some());
    Ok(GetServiceLinkedRoleDeletionStatusOutput {
        status: if exists { "IN_PROGRESS" } else { "SUCCEEDED" }.to_string(),
        reason: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::App;
    use crate::call::Ctx;
    use crate::caller::Caller;
    use crate::config::Config;
    use crate::iam::call;
    use serde_json::{Value, json};

    const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

    async fn run(app: &App, op: &str, input: Value) -> Result<Value, Error> {
        let caller = Caller::test_root();
        let ctx = Ctx {
            app,
            caller: &caller,
        };
        call(op, &ctx, &input).await.unwrap()
    }

    async fn get(app: &App, name: &str) -> Value {
        run(app, "GetRole", json!({"RoleName": name}))
            .await
            .unwrap()["Role"]
            .clone()
    }

    fn code_and_message(r: Result<Value, Error>) -> (String, String) {
        let e = r.unwrap_err().into_aws();
        (e.code().to_string(), e.message().to_string())
    }

    #[tokio::test]
    async fn create_role_stores_and_shows_the_signin_duration() {
        let (app, _) = App::open(Config::in_memory(false)).await.unwrap();
        let made = run(
            &app,
            "CreateRole",
            json!({"RoleName": "cli", "AssumeRolePolicyDocument": TRUST,
                   "MaxSigninSessionDuration": 86400}),
        )
        .await
        .unwrap();
        assert_eq!(made["Role"]["MaxSigninSessionDuration"], 86400);
        assert!(made["Role"].get("MaxSessionDuration").is_none());
        let role = get(&app, "cli").await;
        assert_eq!(role["MaxSigninSessionDuration"], 86400);
        assert_eq!(role["MaxSessionDuration"], 3600);
        let listed = run(&app, "ListRoles", json!({})).await.unwrap();
        assert_eq!(listed["Roles"][0]["MaxSigninSessionDuration"], 86400);

        // A role created without one shows none.
        run(
            &app,
            "CreateRole",
            json!({"RoleName": "plain", "AssumeRolePolicyDocument": TRUST}),
        )
        .await
        .unwrap();
        assert!(
            get(&app, "plain")
                .await
                .get("MaxSigninSessionDuration")
                .is_none()
        );
    }

    #[tokio::test]
    async fn update_role_sets_keeps_and_resets_the_signin_duration() {
        let (app, _) = App::open(Config::in_memory(false)).await.unwrap();
        run(
            &app,
            "CreateRole",
            json!({"RoleName": "cli", "AssumeRolePolicyDocument": TRUST}),
        )
        .await
        .unwrap();
        let update = |input: Value| run(&app, "UpdateRole", input);

        update(json!({"RoleName": "cli", "MaxSigninSessionDuration": 7776000}))
            .await
            .unwrap();
        assert_eq!(get(&app, "cli").await["MaxSigninSessionDuration"], 7776000);

        // Other members leave it as it is, and it leaves them.
        update(json!({"RoleName": "cli", "Description": "d", "MaxSessionDuration": 7200}))
            .await
            .unwrap();
        let role = get(&app, "cli").await;
        assert_eq!(role["MaxSigninSessionDuration"], 7776000);
        assert_eq!(role["MaxSessionDuration"], 7200);
        assert_eq!(role["Description"], "d");

        // Reset=false changes nothing.
        update(json!({"RoleName": "cli", "ResetMaxSigninSessionDuration": false}))
            .await
            .unwrap();
        assert_eq!(get(&app, "cli").await["MaxSigninSessionDuration"], 7776000);

        // Both at once: InvalidInput, nothing changed.
        let both = update(json!({"RoleName": "cli", "MaxSigninSessionDuration": 3600,
                                 "ResetMaxSigninSessionDuration": true}))
        .await;
        assert_eq!(
            code_and_message(both),
            (
                "InvalidInput".to_string(),
                "Cannot specify both MaxSigninSessionDuration and ResetMaxSigninSessionDuration."
                    .to_string()
            )
        );
        assert_eq!(get(&app, "cli").await["MaxSigninSessionDuration"], 7776000);

        // A value with Reset=false is a plain set.
        update(json!({"RoleName": "cli", "MaxSigninSessionDuration": 3600,
                      "ResetMaxSigninSessionDuration": false}))
        .await
        .unwrap();
        assert_eq!(get(&app, "cli").await["MaxSigninSessionDuration"], 3600);

        // Reset clears it; resetting again has no effect.
        for _ in 0..2 {
            update(json!({"RoleName": "cli", "ResetMaxSigninSessionDuration": true}))
                .await
                .unwrap();
            let role = get(&app, "cli").await;
            assert!(role.get("MaxSigninSessionDuration").is_none());
            assert_eq!(role["MaxSessionDuration"], 7200);
        }

        let missing = update(json!({"RoleName": "nobody", "MaxSigninSessionDuration": 3600})).await;
        assert_eq!(code_and_message(missing).0, "NoSuchEntity");
    }

    #[tokio::test]
    async fn service_linked_roles_refuse_the_signin_duration() {
        let (app, _) = App::open(Config::in_memory(false)).await.unwrap();
        let made = run(
            &app,
            "CreateServiceLinkedRole",
            json!({"AWSServiceName": "autoscaling.amazonaws.com"}),
        )
        .await
        .unwrap();
        let name = made["Role"]["RoleName"].as_str().unwrap().to_string();
        assert!(made["Role"].get("MaxSigninSessionDuration").is_none());
        for change in [
            json!({"RoleName": name, "MaxSigninSessionDuration": 3600}),
            json!({"RoleName": name, "ResetMaxSigninSessionDuration": true}),
        ] {
            let (code, message) = code_and_message(run(&app, "UpdateRole", change).await);
            assert_eq!(code, "UnmodifiableEntity");
            assert_eq!(
                message,
                format!(
                    "Cannot perform the operation on the protected role '{name}' - this role is only modifiable by AWS"
                )
            );
        }
        assert!(
            get(&app, &name)
                .await
                .get("MaxSigninSessionDuration")
                .is_none()
        );
    }

    #[tokio::test]
    async fn update_role_description_keeps_and_shows_the_signin_duration() {
        let (app, _) = App::open(Config::in_memory(false)).await.unwrap();
        run(
            &app,
            "CreateRole",
            json!({"RoleName": "cli", "AssumeRolePolicyDocument": TRUST,
                   "MaxSigninSessionDuration": 43200}),
        )
        .await
        .unwrap();
        let out = run(
            &app,
            "UpdateRoleDescription",
            json!({"RoleName": "cli", "Description": "new"}),
        )
        .await
        .unwrap();
        assert_eq!(out["Role"]["MaxSigninSessionDuration"], 43200);
        assert!(out["Role"].get("MaxSessionDuration").is_none());
        assert_eq!(get(&app, "cli").await["MaxSigninSessionDuration"], 43200);
    }

    #[test]
    fn signin_changes_apply_to_a_setting() {
        let mut s = Some(7200);
        SigninDurationChange::Keep.apply(&mut s);
        assert_eq!(s, Some(7200));
        SigninDurationChange::Set(3600).apply(&mut s);
        assert_eq!(s, Some(3600));
        SigninDurationChange::Reset.apply(&mut s);
        assert_eq!(s, None);
    }
}
