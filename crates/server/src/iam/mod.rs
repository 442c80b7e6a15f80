//! The IAM operations, one module per resource family. Each operation reads its decoded
//! input, checks AWS's rules against the account's entities, commits its changes and
//! returns its output as a JSON object keyed by the botocore output members.

mod access_keys;
mod account;
mod attachments;
mod groups;
pub mod input;
mod instance_profiles;
mod policies;
mod roles;
pub(crate) mod rules;
mod tags;
mod users;
pub mod views;

use crate::app::App;
use crate::caller::Caller;
use crate::error::Error;
use input::Input;
use serde_json::Value;

/// What an operation handler gets.
pub struct Ctx<'a> {
    /// The server state.
    pub app: &'a App,
    /// Who is calling.
    pub caller: &'a Caller,
    /// The decoded input.
    pub input: Input<'a>,
}

impl Ctx<'_> {
    /// The account ID.
    pub fn account(&self) -> &str {
        self.app.account_id()
    }
}

/// The IAM operations this server answers.
pub const OPERATIONS: &[&str] = &[
    "AddRoleToInstanceProfile",
    "AddUserToGroup",
    "AttachGroupPolicy",
    "AttachRolePolicy",
    "AttachUserPolicy",
    "CreateAccessKey",
    "CreateGroup",
    "CreateInstanceProfile",
    "CreatePolicy",
    "CreatePolicyVersion",
    "CreateRole",
    "CreateServiceLinkedRole",
    "CreateUser",
    "DeleteAccessKey",
    "DeleteGroup",
    "DeleteGroupPolicy",
    "DeleteInstanceProfile",
    "DeletePolicy",
    "DeletePolicyVersion",
    "DeleteRole",
    "DeleteRolePermissionsBoundary",
    "DeleteRolePolicy",
    "DeleteServiceLinkedRole",
    "DeleteUser",
    "DeleteUserPermissionsBoundary",
    "DeleteUserPolicy",
    "DetachGroupPolicy",
    "DetachRolePolicy",
    "DetachUserPolicy",
    "GetAccessKeyLastUsed",
    "GetAccountAuthorizationDetails",
    "GetAccountSummary",
    "GetGroup",
    "GetGroupPolicy",
    "GetInstanceProfile",
    "GetPolicy",
    "GetPolicyVersion",
    "GetRole",
    "GetRolePolicy",
    "GetServiceLinkedRoleDeletionStatus",
    "GetUser",
    "GetUserPolicy",
    "ListAccessKeys",
    "ListAttachedGroupPolicies",
    "ListAttachedRolePolicies",
    "ListAttachedUserPolicies",
    "ListEntitiesForPolicy",
    "ListGroupPolicies",
    "ListGroups",
    "ListGroupsForUser",
    "ListInstanceProfileTags",
    "ListInstanceProfiles",
    "ListInstanceProfilesForRole",
    "ListPolicies",
    "ListPolicyTags",
    "ListPolicyVersions",
    "ListRolePolicies",
    "ListRoleTags",
    "ListRoles",
    "ListUserPolicies",
    "ListUserTags",
    "ListUsers",
    "PutGroupPolicy",
    "PutRolePermissionsBoundary",
    "PutRolePolicy",
    "PutUserPermissionsBoundary",
    "PutUserPolicy",
    "RemoveRoleFromInstanceProfile",
    "RemoveUserFromGroup",
    "SetDefaultPolicyVersion",
    "TagInstanceProfile",
    "TagPolicy",
    "TagRole",
    "TagUser",
    "UntagInstanceProfile",
    "UntagPolicy",
    "UntagRole",
    "UntagUser",
    "UpdateAccessKey",
    "UpdateAssumeRolePolicy",
    "UpdateGroup",
    "UpdateRole",
    "UpdateRoleDescription",
    "UpdateUser",
];

/// Runs an IAM operation. `None` when this server does not implement it.
pub async fn call(op: &str, ctx: &Ctx<'_>) -> Option<Result<Value, Error>> {
    Some(match op {
        "CreateRole" => roles::create(ctx).await,
        "GetRole" => roles::get(ctx),
        "ListRoles" => roles::list(ctx),
        "UpdateRole" => roles::update(ctx).await,
        "UpdateRoleDescription" => roles::update_description(ctx).await,
        "DeleteRole" => roles::delete(ctx).await,
        "UpdateAssumeRolePolicy" => roles::update_trust(ctx).await,
        "PutRolePermissionsBoundary" => roles::put_boundary(ctx).await,
        "DeleteRolePermissionsBoundary" => roles::delete_boundary(ctx).await,
        "CreateServiceLinkedRole" => roles::create_service_linked(ctx).await,
        "DeleteServiceLinkedRole" => roles::delete_service_linked(ctx).await,
        "GetServiceLinkedRoleDeletionStatus" => roles::deletion_status(ctx),
        "TagRole" => tags::tag(ctx, tags::Target::Role).await,
        "UntagRole" => tags::untag(ctx, tags::Target::Role).await,
        "ListRoleTags" => tags::list(ctx, tags::Target::Role),
        "TagUser" => tags::tag(ctx, tags::Target::User).await,
        "UntagUser" => tags::untag(ctx, tags::Target::User).await,
        "ListUserTags" => tags::list(ctx, tags::Target::User),
        "TagPolicy" => tags::tag(ctx, tags::Target::Policy).await,
        "UntagPolicy" => tags::untag(ctx, tags::Target::Policy).await,
        "ListPolicyTags" => tags::list(ctx, tags::Target::Policy),
        "TagInstanceProfile" => tags::tag(ctx, tags::Target::InstanceProfile).await,
        "UntagInstanceProfile" => tags::untag(ctx, tags::Target::InstanceProfile).await,
        "ListInstanceProfileTags" => tags::list(ctx, tags::Target::InstanceProfile),
        "CreateUser" => users::create(ctx).await,
        "GetUser" => users::get(ctx),
        "ListUsers" => users::list(ctx),
        "UpdateUser" => users::update(ctx).await,
        "DeleteUser" => users::delete(ctx).await,
        "PutUserPermissionsBoundary" => users::put_boundary(ctx).await,
        "DeleteUserPermissionsBoundary" => users::delete_boundary(ctx).await,
        "CreateGroup" => groups::create(ctx).await,
        "GetGroup" => groups::get(ctx),
        "ListGroups" => groups::list(ctx),
        "UpdateGroup" => groups::update(ctx).await,
        "DeleteGroup" => groups::delete(ctx).await,
        "AddUserToGroup" => groups::add_user(ctx).await,
        "RemoveUserFromGroup" => groups::remove_user(ctx).await,
        "ListGroupsForUser" => groups::list_for_user(ctx),
        "CreatePolicy" => policies::create(ctx).await,
        "GetPolicy" => policies::get(ctx),
        "DeletePolicy" => policies::delete(ctx).await,
        "ListPolicies" => policies::list(ctx),
        "CreatePolicyVersion" => policies::create_version(ctx).await,
        "GetPolicyVersion" => policies::get_version(ctx),
        "ListPolicyVersions" => policies::list_versions(ctx),
        "DeletePolicyVersion" => policies::delete_version(ctx).await,
        "SetDefaultPolicyVersion" => policies::set_default_version(ctx).await,
        "ListEntitiesForPolicy" => policies::list_entities(ctx),
        "AttachRolePolicy" => attachments::attach(ctx, attachments::Owner::Role).await,
        "AttachUserPolicy" => attachments::attach(ctx, attachments::Owner::User).await,
        "AttachGroupPolicy" => attachments::attach(ctx, attachments::Owner::Group).await,
        "DetachRolePolicy" => attachments::detach(ctx, attachments::Owner::Role).await,
        "DetachUserPolicy" => attachments::detach(ctx, attachments::Owner::User).await,
        "DetachGroupPolicy" => attachments::detach(ctx, attachments::Owner::Group).await,
        "ListAttachedRolePolicies" => attachments::list_attached(ctx, attachments::Owner::Role),
        "ListAttachedUserPolicies" => attachments::list_attached(ctx, attachments::Owner::User),
        "ListAttachedGroupPolicies" => attachments::list_attached(ctx, attachments::Owner::Group),
        "PutRolePolicy" => attachments::put_inline(ctx, attachments::Owner::Role).await,
        "PutUserPolicy" => attachments::put_inline(ctx, attachments::Owner::User).await,
        "PutGroupPolicy" => attachments::put_inline(ctx, attachments::Owner::Group).await,
        "GetRolePolicy" => attachments::get_inline(ctx, attachments::Owner::Role),
        "GetUserPolicy" => attachments::get_inline(ctx, attachments::Owner::User),
        "GetGroupPolicy" => attachments::get_inline(ctx, attachments::Owner::Group),
        "DeleteRolePolicy" => attachments::delete_inline(ctx, attachments::Owner::Role).await,
        "DeleteUserPolicy" => attachments::delete_inline(ctx, attachments::Owner::User).await,
        "DeleteGroupPolicy" => attachments::delete_inline(ctx, attachments::Owner::Group).await,
        "ListRolePolicies" => attachments::list_inline(ctx, attachments::Owner::Role),
        "ListUserPolicies" => attachments::list_inline(ctx, attachments::Owner::User),
        "ListGroupPolicies" => attachments::list_inline(ctx, attachments::Owner::Group),
        "CreateAccessKey" => access_keys::create(ctx).await,
        "ListAccessKeys" => access_keys::list(ctx),
        "UpdateAccessKey" => access_keys::update(ctx).await,
        "DeleteAccessKey" => access_keys::delete(ctx).await,
        "GetAccessKeyLastUsed" => access_keys::last_used(ctx),
        "CreateInstanceProfile" => instance_profiles::create(ctx).await,
        "GetInstanceProfile" => instance_profiles::get(ctx),
        "DeleteInstanceProfile" => instance_profiles::delete(ctx).await,
        "ListInstanceProfiles" => instance_profiles::list(ctx),
        "AddRoleToInstanceProfile" => instance_profiles::add_role(ctx).await,
        "RemoveRoleFromInstanceProfile" => instance_profiles::remove_role(ctx).await,
        "ListInstanceProfilesForRole" => instance_profiles::list_for_role(ctx),
        "GetAccountSummary" => account::summary(ctx),
        "GetAccountAuthorizationDetails" => account::authorization_details(ctx),
        _ => return None,
    })
}
