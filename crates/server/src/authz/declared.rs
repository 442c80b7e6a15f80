//! How each IAM and STS operation is authorized, declared per operation: the resource its
//! request names (of the resource type the service authorization reference gives its action,
//! `crates/catalog`) and the context keys it sets (`aws:RequestTag/…`, `aws:TagKeys`,
//! `iam:PolicyARN`, `iam:PermissionsBoundary`). A new operation gets its line here.

use super::{Authorization, Named};
use portcullis_protocol::iam::IamRequest;
use portcullis_protocol::sts::StsRequest;

/// What an IAM request's authorization asks.
pub(crate) fn iam(request: &IamRequest) -> Authorization<'_> {
    use IamRequest as R;
    match request {
        R::AcceptDelegationRequest(i) => Authorization::on(Named::DelegationRequest {
            id: Some(i.delegation_request_id.as_str()),
            arn: None,
        }),
        R::AcquireRole(_) => Authorization::on(Named::Any),
        R::AddClientIDToOpenIDConnectProvider(i) => Authorization::on(Named::OidcProvider {
            arn: Some(i.open_id_connect_provider_arn.as_str()),
            url: None,
        }),
        R::AddRoleToInstanceProfile(i) => Authorization::on(Named::InstanceProfile(Some(
            i.instance_profile_name.as_str(),
        ))),
        R::AddUserToGroup(i) => Authorization::on(Named::Group(Some(i.group_name.as_str()))),
        R::AssociateDelegationRequest(i) => Authorization::on(Named::DelegationRequest {
            id: Some(i.delegation_request_id.as_str()),
            arn: None,
        }),
        R::AttachGroupPolicy(i) => Authorization::on(Named::Group(Some(i.group_name.as_str())))
            .policy_arn(Some(i.policy_arn.as_str())),
        R::AttachRolePolicy(i) => Authorization::on(Named::Role {
            name: Some(i.role_name.as_str()),
            arn: None,
        })
        .policy_arn(Some(i.policy_arn.as_str())),
        R::AttachUserPolicy(i) => Authorization::on(Named::User(Some(i.user_name.as_str())))
            .policy_arn(Some(i.policy_arn.as_str())),
        R::ChangePassword(_) => Authorization::on(Named::User(None)),
        R::CreateAccessKey(i) => Authorization::on(Named::User(i.user_name.as_deref())),
        R::CreateAccountAlias(_) => Authorization::on(Named::Any),
        R::CreateDelegationRequest(_) => Authorization::on(Named::DelegationRequest {
            id: None,
            arn: None,
        }),
        R::CreateGroup(i) => {
            Authorization::on(Named::Group(Some(i.group_name.as_str()))).path(i.path.as_deref())
        }
        R::CreateInstanceProfile(i) => Authorization::on(Named::InstanceProfile(Some(
            i.instance_profile_name.as_str(),
        )))
        .path(i.path.as_deref())
        .tags(i.tags.as_deref()),
        R::CreateLoginProfile(i) => Authorization::on(Named::User(i.user_name.as_deref())),
        R::CreateOpenIDConnectProvider(i) => Authorization::on(Named::OidcProvider {
            arn: None,
            url: Some(i.url.as_str()),
        })
        .tags(i.tags.as_deref()),
        R::CreatePolicy(i) => Authorization::on(Named::Policy {
            arn: None,
            name: Some(i.policy_name.as_str()),
        })
        .path(i.path.as_deref())
        .tags(i.tags.as_deref()),
        R::CreatePolicyVersion(i) => Authorization::on(Named::Policy {
            arn: Some(i.policy_arn.as_str()),
            name: None,
        })
        .policy_arn(Some(i.policy_arn.as_str())),
        R::CreateRole(i) => Authorization::on(Named::Role {
            name: Some(i.role_name.as_str()),
            arn: None,
        })
        .path(i.path.as_deref())
        .tags(i.tags.as_deref())
        .boundary(i.permissions_boundary.as_deref()),
        R::CreateSAMLProvider(i) => Authorization::on(Named::SamlProvider {
            arn: None,
            name: Some(i.name.as_str()),
        })
        .tags(i.tags.as_deref()),
        R::CreateServiceLinkedRole(_) => Authorization::on(Named::Role {
            name: None,
            arn: None,
        }),
        R::CreateServiceSpecificCredential(i) => {
            Authorization::on(Named::User(Some(i.user_name.as_str())))
        }
        R::CreateUser(i) => Authorization::on(Named::User(Some(i.user_name.as_str())))
            .path(i.path.as_deref())
            .tags(i.tags.as_deref())
            .boundary(i.permissions_boundary.as_deref()),
        R::CreateVirtualMFADevice(i) => Authorization::on(Named::Mfa {
            serial: None,
            name: Some(i.virtual_mfa_device_name.as_str()),
        })
        .path(i.path.as_deref())
        .tags(i.tags.as_deref()),
        R::CreateWorkloadIdentityProvider(i) => {
            Authorization::on(Named::WorkloadIdentityProvider {
                arn: None,
                name: Some(i.provider_name.as_str()),
            })
            .tags(i.tags.as_deref())
        }
        R::CreateWorkloadIdentityProviderOutboundSigner(i) => {
            Authorization::on(Named::WorkloadIdentityProvider {
                arn: Some(i.workload_identity_provider_arn.as_str()),
                name: None,
            })
        }
        R::CreateWorkloadIdentityTemplate(i) => {
            Authorization::on(Named::WorkloadIdentityTemplate {
                arn: None,
                name: i.name.as_deref(),
            })
            .tags(i.tags.as_deref())
        }
        R::DeactivateMFADevice(i) => Authorization::on(Named::User(i.user_name.as_deref())),
        R::DeleteAccessKey(i) => Authorization::on(Named::User(i.user_name.as_deref())),
        R::DeleteAccountAlias(_) => Authorization::on(Named::Any),
        R::DeleteAccountPasswordPolicy(_) => Authorization::on(Named::Any),
        R::DeleteGroup(i) => Authorization::on(Named::Group(Some(i.group_name.as_str()))),
        R::DeleteGroupPolicy(i) => Authorization::on(Named::Group(Some(i.group_name.as_str()))),
        R::DeleteInstanceProfile(i) => Authorization::on(Named::InstanceProfile(Some(
            i.instance_profile_name.as_str(),
        ))),
        R::DeleteLoginProfile(i) => Authorization::on(Named::User(i.user_name.as_deref())),
        R::DeleteOpenIDConnectProvider(i) => Authorization::on(Named::OidcProvider {
            arn: Some(i.open_id_connect_provider_arn.as_str()),
            url: None,
        }),
        R::DeletePolicy(i) => Authorization::on(Named::Policy {
            arn: Some(i.policy_arn.as_str()),
            name: None,
        })
        .policy_arn(Some(i.policy_arn.as_str())),
        R::DeletePolicyVersion(i) => Authorization::on(Named::Policy {
            arn: Some(i.policy_arn.as_str()),
            name: None,
        })
        .policy_arn(Some(i.policy_arn.as_str())),
        R::DeleteRole(i) => Authorization::on(Named::Role {
            name: Some(i.role_name.as_str()),
            arn: None,
        }),
        R::DeleteRolePermissionsBoundary(i) => Authorization::on(Named::Role {
            name: Some(i.role_name.as_str()),
            arn: None,
        }),
        R::DeleteRolePolicy(i) => Authorization::on(Named::Role {
            name: Some(i.role_name.as_str()),
            arn: None,
        }),
        R::DeleteSAMLProvider(i) => Authorization::on(Named::SamlProvider {
            arn: Some(i.saml_provider_arn.as_str()),
            name: None,
        }),
        R::DeleteSSHPublicKey(i) => Authorization::on(Named::User(Some(i.user_name.as_str()))),
        R::DeleteServerCertificate(i) => Authorization::on(Named::ServerCertificate(Some(
            i.server_certificate_name.as_str(),
        ))),
        R::DeleteServiceLinkedRole(i) => Authorization::on(Named::Role {
            name: Some(i.role_name.as_str()),
            arn: None,
        }),
        R::DeleteServiceSpecificCredential(i) => {
            Authorization::on(Named::User(i.user_name.as_deref()))
        }
        R::DeleteSigningCertificate(i) => Authorization::on(Named::User(i.user_name.as_deref())),
        R::DeleteUser(i) => Authorization::on(Named::User(Some(i.user_name.as_str()))),
        R::DeleteUserPermissionsBoundary(i) => {
            Authorization::on(Named::User(Some(i.user_name.as_str())))
        }
        R::DeleteUserPolicy(i) => Authorization::on(Named::User(Some(i.user_name.as_str()))),
        R::DeleteVirtualMFADevice(i) => Authorization::on(Named::Mfa {
            serial: Some(i.serial_number.as_str()),
            name: None,
        }),
        R::DeleteWorkloadIdentityProvider(i) => {
            Authorization::on(Named::WorkloadIdentityProvider {
                arn: Some(i.workload_identity_provider_arn.as_str()),
                name: None,
            })
        }
        R::DeleteWorkloadIdentityProviderOutboundSigner(i) => {
            Authorization::on(Named::WorkloadIdentityProvider {
                arn: Some(i.workload_identity_provider_arn.as_str()),
                name: None,
            })
        }
        R::DeleteWorkloadIdentityProviderResourcePolicy(i) => {
            Authorization::on(Named::WorkloadIdentityProvider {
                arn: Some(i.workload_identity_provider_arn.as_str()),
                name: None,
            })
        }
        R::DeleteWorkloadIdentityTemplate(i) => {
            Authorization::on(Named::WorkloadIdentityTemplate {
                arn: Some(i.workload_identity_template_arn.as_str()),
                name: None,
            })
        }
        R::DeleteWorkloadIdentityTemplateAttestationPolicy(i) => {
            Authorization::on(Named::WorkloadIdentityTemplate {
                arn: Some(i.workload_identity_template_arn.as_str()),
                name: None,
            })
        }
        R::DetachGroupPolicy(i) => Authorization::on(Named::Group(Some(i.group_name.as_str())))
            .policy_arn(Some(i.policy_arn.as_str())),
        R::DetachRolePolicy(i) => Authorization::on(Named::Role {
            name: Some(i.role_name.as_str()),
            arn: None,
        })
        .policy_arn(Some(i.policy_arn.as_str())),
        R::DetachUserPolicy(i) => Authorization::on(Named::User(Some(i.user_name.as_str())))
            .policy_arn(Some(i.policy_arn.as_str())),
        R::DisableOrganizationLevelResources(_) => Authorization::on(Named::Any),
        R::DisableOrganizationsRootCredentialsManagement(_) => Authorization::on(Named::Any),
        R::DisableOrganizationsRootSessions(_) => Authorization::on(Named::Any),
        R::DisableOutboundWebIdentityFederation(_) => Authorization::on(Named::Any),
        R::DisableWorkloadIdentityProviderOutboundSigner(i) => {
            Authorization::on(Named::WorkloadIdentityProvider {
                arn: Some(i.workload_identity_provider_arn.as_str()),
                name: None,
            })
        }
        R::EnableMFADevice(i) => Authorization::on(Named::User(Some(i.user_name.as_str()))),
        R::EnableOrganizationLevelResources(_) => Authorization::on(Named::Any),
        R::EnableOrganizationsRootCredentialsManagement(_) => Authorization::on(Named::Any),
        R::EnableOrganizationsRootSessions(_) => Authorization::on(Named::Any),
        R::EnableOutboundWebIdentityFederation(_) => Authorization::on(Named::Any),
        R::EnableWorkloadIdentityProviderOutboundSigner(i) => {
            Authorization::on(Named::WorkloadIdentityProvider {
                arn: Some(i.workload_identity_provider_arn.as_str()),
                name: None,
            })
        }
        R::GenerateCredentialReport(_) => Authorization::on(Named::Any),
        R::GenerateOrganizationsAccessReport(_) => Authorization::on(Named::Any),
        R::GenerateServiceLastAccessedDetails(_) => Authorization::on(Named::Group(None)),
        R::GetAccessKeyLastUsed(_) => Authorization::on(Named::User(None)),
        R::GetAccountAuthorizationDetails(_) => Authorization::on(Named::Any),
        R::GetAccountPasswordPolicy(_) => Authorization::on(Named::Any),
        R::GetAccountProperties(_) => Authorization::on(Named::Any),
        R::GetAccountSummary(_) => Authorization::on(Named::Any),
        R::GetContextKeysForCustomPolicy(_) => Authorization::on(Named::Any),
        R::GetContextKeysForPrincipalPolicy(_) => Authorization::on(Named::Group(None)),
        R::GetCredentialReport(_) => Authorization::on(Named::Any),
        R::GetDelegationRequest(i) => Authorization::on(Named::DelegationRequest {
            id: Some(i.delegation_request_id.as_str()),
            arn: None,
        }),
        R::GetGroup(i) => Authorization::on(Named::Group(Some(i.group_name.as_str()))),
        R::GetGroupPolicy(i) => Authorization::on(Named::Group(Some(i.group_name.as_str()))),
        R::GetHumanReadableSummary(i) => Authorization::on(Named::DelegationRequest {
            id: None,
            arn: Some(i.entity_arn.as_str()),
        }),
        R::GetInstanceProfile(i) => Authorization::on(Named::InstanceProfile(Some(
            i.instance_profile_name.as_str(),
        ))),
        R::GetLoginProfile(i) => Authorization::on(Named::User(i.user_name.as_deref())),
        R::GetMFADevice(i) => Authorization::on(Named::User(i.user_name.as_deref())),
        R::GetOpenIDConnectProvider(i) => Authorization::on(Named::OidcProvider {
            arn: Some(i.open_id_connect_provider_arn.as_str()),
            url: None,
        }),
        R::GetOrganizationsAccessReport(_) => Authorization::on(Named::Any),
        R::GetOutboundWebIdentityFederationInfo(_) => Authorization::on(Named::Any),
        R::GetPolicy(i) => Authorization::on(Named::Policy {
            arn: Some(i.policy_arn.as_str()),
            name: None,
        })
        .policy_arn(Some(i.policy_arn.as_str())),
        R::GetPolicyVersion(i) => Authorization::on(Named::Policy {
            arn: Some(i.policy_arn.as_str()),
            name: None,
        })
        .policy_arn(Some(i.policy_arn.as_str())),
        R::GetRole(i) => Authorization::on(Named::Role {
            name: Some(i.role_name.as_str()),
            arn: None,
        }),
        R::GetRolePolicy(i) => Authorization::on(Named::Role {
            name: Some(i.role_name.as_str()),
            arn: None,
        }),
        R::GetRoleTemplateVersion(i) => {
            Authorization::on(Named::RoleTemplate(Some(i.template_arn.as_str())))
        }
        R::GetSAMLProvider(i) => Authorization::on(Named::SamlProvider {
            arn: Some(i.saml_provider_arn.as_str()),
            name: None,
        }),
        R::GetSSHPublicKey(i) => Authorization::on(Named::User(Some(i.user_name.as_str()))),
        R::GetServerCertificate(i) => Authorization::on(Named::ServerCertificate(Some(
            i.server_certificate_name.as_str(),
        ))),
        R::GetServiceLastAccessedDetails(_) => Authorization::on(Named::Any),
        R::GetServiceLastAccessedDetailsWithEntities(_) => Authorization::on(Named::Any),
        R::GetServiceLinkedRoleDeletionStatus(_) => Authorization::on(Named::Role {
            name: None,
            arn: None,
        }),
        R::GetUser(i) => Authorization::on(Named::User(i.user_name.as_deref())),
        R::GetUserPolicy(i) => Authorization::on(Named::User(Some(i.user_name.as_str()))),
        R::GetWorkloadIdentityProvider(i) => Authorization::on(Named::WorkloadIdentityProvider {
            arn: Some(i.workload_identity_provider_arn.as_str()),
            name: None,
        }),
        R::GetWorkloadIdentityProviderDeletionStatus(_) => Authorization::on(Named::Any),
        R::GetWorkloadIdentityProviderResourcePolicy(i) => {
            Authorization::on(Named::WorkloadIdentityProvider {
                arn: Some(i.workload_identity_provider_arn.as_str()),
                name: None,
            })
        }
        R::GetWorkloadIdentityTemplate(i) => Authorization::on(Named::WorkloadIdentityTemplate {
            arn: Some(i.workload_identity_template_arn.as_str()),
            name: None,
        }),
        R::GetWorkloadIdentityTemplateAttestationPolicy(i) => {
            Authorization::on(Named::WorkloadIdentityTemplate {
                arn: Some(i.workload_identity_template_arn.as_str()),
                name: None,
            })
        }
        R::ListAccessKeys(i) => Authorization::on(Named::User(i.user_name.as_deref())),
        R::ListAccountAliases(_) => Authorization::on(Named::Any),
        R::ListAttachedGroupPolicies(i) => {
            Authorization::on(Named::Group(Some(i.group_name.as_str())))
        }
        R::ListAttachedRolePolicies(i) => Authorization::on(Named::Role {
            name: Some(i.role_name.as_str()),
            arn: None,
        }),
        R::ListAttachedUserPolicies(i) => {
            Authorization::on(Named::User(Some(i.user_name.as_str())))
        }
        R::ListDelegationRequests(_) => Authorization::on(Named::Any),
        R::ListEntitiesForPolicy(i) => Authorization::on(Named::Policy {
            arn: Some(i.policy_arn.as_str()),
            name: None,
        })
        .policy_arn(Some(i.policy_arn.as_str())),
        R::ListGroupPolicies(i) => Authorization::on(Named::Group(Some(i.group_name.as_str()))),
        R::ListGroups(i) => Authorization::on(Named::Listed {
            kind: "group",
            prefix: i.path_prefix.as_deref(),
        }),
        R::ListGroupsForUser(i) => Authorization::on(Named::User(Some(i.user_name.as_str()))),
        R::ListInstanceProfileTags(i) => Authorization::on(Named::InstanceProfile(Some(
            i.instance_profile_name.as_str(),
        ))),
        R::ListInstanceProfiles(i) => Authorization::on(Named::Listed {
            kind: "instance-profile",
            prefix: i.path_prefix.as_deref(),
        }),
        R::ListInstanceProfilesForRole(i) => Authorization::on(Named::Role {
            name: Some(i.role_name.as_str()),
            arn: None,
        }),
        R::ListMFADeviceTags(i) => Authorization::on(Named::Mfa {
            serial: Some(i.serial_number.as_str()),
            name: None,
        }),
        R::ListMFADevices(i) => Authorization::on(Named::User(i.user_name.as_deref())),
        R::ListOpenIDConnectProviderTags(i) => Authorization::on(Named::OidcProvider {
            arn: Some(i.open_id_connect_provider_arn.as_str()),
            url: None,
        }),
        R::ListOpenIDConnectProviders(_) => Authorization::on(Named::Any),
        R::ListOrganizationsFeatures(_) => Authorization::on(Named::Any),
        R::ListPolicies(i) => Authorization::on(Named::Listed {
            kind: "policy",
            prefix: i.path_prefix.as_deref(),
        }),
        R::ListPoliciesGrantingServiceAccess(_) => Authorization::on(Named::Group(None)),
        R::ListPolicyTags(i) => Authorization::on(Named::Policy {
            arn: Some(i.policy_arn.as_str()),
            name: None,
        })
        .policy_arn(Some(i.policy_arn.as_str())),
        R::ListPolicyVersions(i) => Authorization::on(Named::Policy {
            arn: Some(i.policy_arn.as_str()),
            name: None,
        })
        .policy_arn(Some(i.policy_arn.as_str())),
        R::ListRolePolicies(i) => Authorization::on(Named::Role {
            name: Some(i.role_name.as_str()),
            arn: None,
        }),
        R::ListRoleTags(i) => Authorization::on(Named::Role {
            name: Some(i.role_name.as_str()),
            arn: None,
        }),
        R::ListRoles(i) => Authorization::on(Named::Listed {
            kind: "role",
            prefix: i.path_prefix.as_deref(),
        }),
        R::ListSAMLProviderTags(i) => Authorization::on(Named::SamlProvider {
            arn: Some(i.saml_provider_arn.as_str()),
            name: None,
        }),
        R::ListSAMLProviders(_) => Authorization::on(Named::Any),
        R::ListSSHPublicKeys(i) => Authorization::on(Named::User(i.user_name.as_deref())),
        R::ListServerCertificateTags(i) => Authorization::on(Named::ServerCertificate(Some(
            i.server_certificate_name.as_str(),
        ))),
        R::ListServerCertificates(_) => Authorization::on(Named::Any),
        R::ListServiceSpecificCredentials(i) => {
            Authorization::on(Named::User(i.user_name.as_deref()))
        }
        R::ListSigningCertificates(i) => Authorization::on(Named::User(i.user_name.as_deref())),
        R::ListUserPolicies(i) => Authorization::on(Named::User(Some(i.user_name.as_str()))),
        R::ListUserTags(i) => Authorization::on(Named::User(Some(i.user_name.as_str()))),
        R::ListUsers(i) => Authorization::on(Named::Listed {
            kind: "user",
            prefix: i.path_prefix.as_deref(),
        }),
        R::ListVirtualMFADevices(_) => Authorization::on(Named::Any),
        R::ListWorkloadIdentityProviderOutboundSigners(i) => {
            Authorization::on(Named::WorkloadIdentityProvider {
                arn: Some(i.workload_identity_provider_arn.as_str()),
                name: None,
            })
        }
        R::ListWorkloadIdentityProviderTags(i) => {
            Authorization::on(Named::WorkloadIdentityProvider {
                arn: Some(i.workload_identity_provider_arn.as_str()),
                name: None,
            })
        }
        R::ListWorkloadIdentityProviders(_) => Authorization::on(Named::Any),
        R::ListWorkloadIdentityTemplateTags(i) => {
            Authorization::on(Named::WorkloadIdentityTemplate {
                arn: Some(i.workload_identity_template_arn.as_str()),
                name: None,
            })
        }
        R::ListWorkloadIdentityTemplates(i) => Authorization::on(Named::WorkloadIdentityProvider {
            arn: Some(i.workload_identity_provider_arn.as_str()),
            name: None,
        }),
        R::PutAccountProperties(_) => Authorization::on(Named::Any),
        R::PutGroupPolicy(i) => Authorization::on(Named::Group(Some(i.group_name.as_str()))),
        R::PutRolePermissionsBoundary(i) => Authorization::on(Named::Role {
            name: Some(i.role_name.as_str()),
            arn: None,
        })
        .boundary(Some(i.permissions_boundary.as_str())),
        R::PutRolePolicy(i) => Authorization::on(Named::Role {
            name: Some(i.role_name.as_str()),
            arn: None,
        }),
        R::PutUserPermissionsBoundary(i) => {
            Authorization::on(Named::User(Some(i.user_name.as_str())))
                .boundary(Some(i.permissions_boundary.as_str()))
        }
        R::PutUserPolicy(i) => Authorization::on(Named::User(Some(i.user_name.as_str()))),
        R::PutWorkloadIdentityProviderResourcePolicy(i) => {
            Authorization::on(Named::WorkloadIdentityProvider {
                arn: Some(i.workload_identity_provider_arn.as_str()),
                name: None,
            })
        }
        R::PutWorkloadIdentityTemplateAttestationPolicy(i) => {
            Authorization::on(Named::WorkloadIdentityTemplate {
                arn: Some(i.workload_identity_template_arn.as_str()),
                name: None,
            })
        }
        R::RejectDelegationRequest(i) => Authorization::on(Named::DelegationRequest {
            id: Some(i.delegation_request_id.as_str()),
            arn: None,
        }),
        R::RemoveClientIDFromOpenIDConnectProvider(i) => Authorization::on(Named::OidcProvider {
            arn: Some(i.open_id_connect_provider_arn.as_str()),
            url: None,
        }),
        R::RemoveRoleFromInstanceProfile(i) => Authorization::on(Named::InstanceProfile(Some(
            i.instance_profile_name.as_str(),
        ))),
        R::RemoveUserFromGroup(i) => Authorization::on(Named::Group(Some(i.group_name.as_str()))),
        R::ResetServiceSpecificCredential(i) => {
            Authorization::on(Named::User(i.user_name.as_deref()))
        }
        R::ResyncMFADevice(i) => Authorization::on(Named::User(Some(i.user_name.as_str()))),
        R::SendDelegationToken(i) => Authorization::on(Named::DelegationRequest {
            id: Some(i.delegation_request_id.as_str()),
            arn: None,
        }),
        R::SetDefaultPolicyVersion(i) => Authorization::on(Named::Policy {
            arn: Some(i.policy_arn.as_str()),
            name: None,
        })
        .policy_arn(Some(i.policy_arn.as_str())),
        R::SetSecurityTokenServicePreferences(_) => Authorization::on(Named::Any),
        R::SimulateCustomPolicy(_) => Authorization::on(Named::Any),
        R::SimulatePrincipalPolicy(_) => Authorization::on(Named::Group(None)),
        R::TagInstanceProfile(i) => Authorization::on(Named::InstanceProfile(Some(
            i.instance_profile_name.as_str(),
        )))
        .tags(Some(&i.tags)),
        R::TagMFADevice(i) => Authorization::on(Named::Mfa {
            serial: Some(i.serial_number.as_str()),
            name: None,
        })
        .tags(Some(&i.tags)),
        R::TagOpenIDConnectProvider(i) => Authorization::on(Named::OidcProvider {
            arn: Some(i.open_id_connect_provider_arn.as_str()),
            url: None,
        })
        .tags(Some(&i.tags)),
        R::TagPolicy(i) => Authorization::on(Named::Policy {
            arn: Some(i.policy_arn.as_str()),
            name: None,
        })
        .tags(Some(&i.tags))
        .policy_arn(Some(i.policy_arn.as_str())),
        R::TagRole(i) => Authorization::on(Named::Role {
            name: Some(i.role_name.as_str()),
            arn: None,
        })
        .tags(Some(&i.tags)),
        R::TagSAMLProvider(i) => Authorization::on(Named::SamlProvider {
            arn: Some(i.saml_provider_arn.as_str()),
            name: None,
        })
        .tags(Some(&i.tags)),
        R::TagServerCertificate(i) => Authorization::on(Named::ServerCertificate(Some(
            i.server_certificate_name.as_str(),
        )))
        .tags(Some(&i.tags)),
        R::TagUser(i) => {
            Authorization::on(Named::User(Some(i.user_name.as_str()))).tags(Some(&i.tags))
        }
        R::TagWorkloadIdentityProvider(i) => Authorization::on(Named::WorkloadIdentityProvider {
            arn: Some(i.workload_identity_provider_arn.as_str()),
            name: None,
        })
        .tags(Some(&i.tags)),
        R::TagWorkloadIdentityTemplate(i) => Authorization::on(Named::WorkloadIdentityTemplate {
            arn: Some(i.workload_identity_template_arn.as_str()),
            name: None,
        })
        .tags(Some(&i.tags)),
        R::UntagInstanceProfile(i) => Authorization::on(Named::InstanceProfile(Some(
            i.instance_profile_name.as_str(),
        )))
        .tag_keys(Some(&i.tag_keys)),
        R::UntagMFADevice(i) => Authorization::on(Named::Mfa {
            serial: Some(i.serial_number.as_str()),
            name: None,
        })
        .tag_keys(Some(&i.tag_keys)),
        R::UntagOpenIDConnectProvider(i) => Authorization::on(Named::OidcProvider {
            arn: Some(i.open_id_connect_provider_arn.as_str()),
            url: None,
        })
        .tag_keys(Some(&i.tag_keys)),
        R::UntagPolicy(i) => Authorization::on(Named::Policy {
            arn: Some(i.policy_arn.as_str()),
            name: None,
        })
        .tag_keys(Some(&i.tag_keys))
        .policy_arn(Some(i.policy_arn.as_str())),
        R::UntagRole(i) => Authorization::on(Named::Role {
            name: Some(i.role_name.as_str()),
            arn: None,
        })
        .tag_keys(Some(&i.tag_keys)),
        R::UntagSAMLProvider(i) => Authorization::on(Named::SamlProvider {
            arn: Some(i.saml_provider_arn.as_str()),
            name: None,
        })
        .tag_keys(Some(&i.tag_keys)),
        R::UntagServerCertificate(i) => Authorization::on(Named::ServerCertificate(Some(
            i.server_certificate_name.as_str(),
        )))
        .tag_keys(Some(&i.tag_keys)),
        R::UntagUser(i) => {
            Authorization::on(Named::User(Some(i.user_name.as_str()))).tag_keys(Some(&i.tag_keys))
        }
        R::UntagWorkloadIdentityProvider(i) => Authorization::on(Named::WorkloadIdentityProvider {
            arn: Some(i.workload_identity_provider_arn.as_str()),
            name: None,
        })
        .tag_keys(Some(&i.tag_keys)),
        R::UntagWorkloadIdentityTemplate(i) => Authorization::on(Named::WorkloadIdentityTemplate {
            arn: Some(i.workload_identity_template_arn.as_str()),
            name: None,
        })
        .tag_keys(Some(&i.tag_keys)),
        R::UpdateAccessKey(i) => Authorization::on(Named::User(i.user_name.as_deref())),
        R::UpdateAccountPasswordPolicy(_) => Authorization::on(Named::Any),
        R::UpdateAssumeRolePolicy(i) => Authorization::on(Named::Role {
            name: Some(i.role_name.as_str()),
            arn: None,
        }),
        R::UpdateDelegationRequest(_) => Authorization::on(Named::Any),
        R::UpdateGroup(i) => Authorization::on(Named::Group(Some(i.group_name.as_str()))),
        R::UpdateLoginProfile(i) => Authorization::on(Named::User(Some(i.user_name.as_str()))),
        R::UpdateOpenIDConnectProvider(i) => Authorization::on(Named::OidcProvider {
            arn: Some(i.open_id_connect_provider_arn.as_str()),
            url: None,
        }),
        R::UpdateOpenIDConnectProviderThumbprint(i) => Authorization::on(Named::OidcProvider {
            arn: Some(i.open_id_connect_provider_arn.as_str()),
            url: None,
        }),
        R::UpdateRole(i) => Authorization::on(Named::Role {
            name: Some(i.role_name.as_str()),
            arn: None,
        }),
        R::UpdateRoleDescription(i) => Authorization::on(Named::Role {
            name: Some(i.role_name.as_str()),
            arn: None,
        }),
        R::UpdateSAMLProvider(i) => Authorization::on(Named::SamlProvider {
            arn: Some(i.saml_provider_arn.as_str()),
            name: None,
        }),
        R::UpdateSSHPublicKey(i) => Authorization::on(Named::User(Some(i.user_name.as_str()))),
        R::UpdateServerCertificate(i) => Authorization::on(Named::ServerCertificate(Some(
            i.server_certificate_name.as_str(),
        ))),
        R::UpdateServiceSpecificCredential(i) => {
            Authorization::on(Named::User(i.user_name.as_deref()))
        }
        R::UpdateSigningCertificate(i) => Authorization::on(Named::User(i.user_name.as_deref())),
        R::UpdateUser(i) => Authorization::on(Named::User(Some(i.user_name.as_str()))),
        R::UpdateWorkloadIdentityProviderOutboundSigner(i) => {
            Authorization::on(Named::WorkloadIdentityProvider {
                arn: Some(i.workload_identity_provider_arn.as_str()),
                name: None,
            })
        }
        R::UploadSSHPublicKey(i) => Authorization::on(Named::User(Some(i.user_name.as_str()))),
        R::UploadServerCertificate(i) => Authorization::on(Named::ServerCertificate(Some(
            i.server_certificate_name.as_str(),
        )))
        .path(i.path.as_deref())
        .tags(i.tags.as_deref()),
        R::UploadSigningCertificate(i) => Authorization::on(Named::User(i.user_name.as_deref())),
    }
}

/// What an STS request's authorization asks.
pub(crate) fn sts(request: &StsRequest) -> Authorization<'_> {
    use StsRequest as R;
    match request {
        R::AssumeRole(i) => Authorization::on(Named::Role {
            name: None,
            arn: Some(i.role_arn.as_str()),
        })
        .tags(i.tags.as_deref()),
        R::AssumeRoleWithSAML(i) => Authorization::on(Named::Role {
            name: None,
            arn: Some(i.role_arn.as_str()),
        }),
        R::AssumeRoleWithWebIdentity(i) => Authorization::on(Named::Role {
            name: None,
            arn: Some(i.role_arn.as_str()),
        }),
        R::AssumeRoot(_) => Authorization::on(Named::Any),
        R::DecodeAuthorizationMessage(_) => Authorization::on(Named::Any),
        R::GetAccessKeyInfo(_) => Authorization::on(Named::Any),
        R::GetCallerIdentity(_) => Authorization::on(Named::Any),
        R::GetCertificate(_) => Authorization::on(Named::Any),
        R::GetDelegatedAccessToken(_) => Authorization::on(Named::Any),
        R::GetFederationToken(i) => Authorization::on(Named::Any).tags(i.tags.as_deref()),
        R::GetScopedCredentials(_) => Authorization::on(Named::Any),
        R::GetSessionToken(_) => Authorization::on(Named::Any),
        R::GetTrustBundles(_) => Authorization::on(Named::Any),
        R::GetWebIdentityToken(i) => Authorization::on(Named::Any).tags(i.tags.as_deref()),
        R::IssueWorkloadIdentityContext(_) => Authorization::on(Named::Any),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use portcullis_catalog::catalog;
    use portcullis_protocol::iam::IamOperation;
    use portcullis_protocol::sts::StsOperation;
    use portcullis_protocol::{Model, ShapeId, ShapeKind};
    use serde_json::{Value, json};

    /// A value of `shape` with every member set.
    fn full_value(model: &Model, shape: ShapeId) -> Value {
        match &model.shape(shape).kind {
            ShapeKind::Structure(s) => Value::Object(
                s.members
                    .iter()
                    .map(|m| (m.name.clone(), full_value(model, m.shape)))
                    .collect(),
            ),
            ShapeKind::List(l) => json!([full_value(model, l.member)]),
            ShapeKind::Map(m) => json!({ "key": full_value(model, m.value) }),
            ShapeKind::String(s) => json!(s.enum_values.as_ref().map_or("text", |v| &v[0])),
            ShapeKind::Integer(_) => json!(7),
            ShapeKind::Float => json!(1.5),
            ShapeKind::Boolean => json!(true),
            ShapeKind::Timestamp => json!("2026-11-23T12:00:00Z"),
            ShapeKind::Blob(_) => json!("dGV4dA=="),
        }
    }

    /// The resource type a declaration names, as the service authorization reference
    /// calls it (`None` for none, or for the List operations' path).
    fn kind(named: &Named<'_>) -> Option<&'static str> {
        Some(match named {
            Named::Role { .. } => "role",
            Named::User(_) => "user",
            Named::Group(_) => "group",
            Named::Policy { .. } => "policy",
            Named::InstanceProfile(_) => "instance-profile",
            Named::Mfa { .. } => "mfa",
            Named::OidcProvider { .. } => "oidc-provider",
            Named::ServerCertificate(_) => "server-certificate",
            Named::SamlProvider { .. } => "saml-provider",
            Named::DelegationRequest { .. } => "delegation-request",
            Named::WorkloadIdentityProvider { .. } => "workload-identity-provider",
            Named::WorkloadIdentityTemplate { .. } => "workload-identity-template",
            Named::RoleTemplate(_) => "role-template",
            Named::Listed { .. } | Named::Any => return None,
        })
    }

    /// The resource type of an action that Portcullis resolves to an entity.
    fn expected(action: &str) -> Option<&'static str> {
        let first = catalog().action(action)?.resource_types.first()?.clone();
        [
            "role",
            "user",
            "group",
            "policy",
            "instance-profile",
            "mfa",
            "oidc-provider",
            "server-certificate",
            "saml-provider",
            "delegation-request",
            "workload-identity-provider",
            "workload-identity-template",
            "role-template",
        ]
        .into_iter()
        .find(|k| *k == first)
    }

    /// Every operation declares the resource type the service authorization reference gives
    /// its action, and names it by a member of its request when the request has one.
    #[test]
    fn declarations_follow_the_service_authorization_reference() {
        let model = Model::iam();
        for op in IamOperation::ALL {
            let shape = model.operation(op.name()).and_then(|o| o.input);
            let input = shape.map_or(json!({}), |s| full_value(model, s));
            let request = IamRequest::decode(op, &input).unwrap();
            let declared = iam(&request);
            if let Named::Listed { .. } = declared.resource {
                continue;
            }
            let action = format!("iam:{}", op.name());
            assert_eq!(kind(&declared.resource), expected(&action), "{action}");
        }
        let model = Model::sts();
        for op in StsOperation::ALL {
            let shape = model.operation(op.name()).and_then(|o| o.input);
            let input = shape.map_or(json!({}), |s| full_value(model, s));
            let request = StsRequest::decode(op, &input).unwrap();
            let action = format!("sts:{}", op.name());
            assert_eq!(kind(&sts(&request).resource), expected(&action), "{action}");
        }
    }

    /// The context keys come from the request's members.
    #[test]
    fn request_keys_are_declared() {
        let request: IamRequest = IamRequest::decode(
            IamOperation::CreateRole,
            &json!({
                "RoleName": "r", "AssumeRolePolicyDocument": "{}", "Path": "/p/",
                "PermissionsBoundary": "arn:aws:iam::aws:policy/B",
                "Tags": [{"Key": "team", "Value": "ml"}],
            }),
        )
        .unwrap();
        let declared = iam(&request);
        assert_eq!(declared.path, Some("/p/"));
        assert_eq!(declared.tags, Some(vec![("team", "ml")]));
        assert_eq!(declared.boundary, Some("arn:aws:iam::aws:policy/B"));
        let request = IamRequest::decode(
            IamOperation::AttachRolePolicy,
            &json!({"RoleName": "r", "PolicyArn": "arn:aws:iam::aws:policy/P"}),
        )
        .unwrap();
        assert_eq!(iam(&request).policy_arn, Some("arn:aws:iam::aws:policy/P"));
    }
}
