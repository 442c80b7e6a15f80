//! IAM's typed API: [`IamApi`] implemented for the call context, one method per
//! operation, each the handler of its family module.

use super::{
    access_keys, account, account_settings, attachments, credential_report, groups,
    instance_profiles, last_accessed, mfa, oidc, organizations, passwords, policies,
    role_templates, roles, saml_providers, server_certificates, service_access,
    service_credentials, signing_certificates, simulate, ssh_keys, tags, users, workload_identity,
};
use crate::call::Ctx;
use crate::error::Error;
use portcullis_protocol::iam::*;

impl IamApi for Ctx<'_> {
    type Error = Error;

    async fn accept_delegation_request(
        &self,
        input: AcceptDelegationRequestInput,
    ) -> Result<(), Error> {
        organizations::accept_delegation_request(self, input)
    }

    async fn acquire_role(&self, input: AcquireRoleInput) -> Result<AcquireRoleOutput, Error> {
        role_templates::acquire_role(self, input)
    }

    async fn add_client_id_to_open_id_connect_provider(
        &self,
        input: AddClientIDToOpenIDConnectProviderInput,
    ) -> Result<(), Error> {
        oidc::add_client_id_to_open_id_connect_provider(self, input).await
    }

    async fn add_role_to_instance_profile(
        &self,
        input: AddRoleToInstanceProfileInput,
    ) -> Result<(), Error> {
        instance_profiles::add_role_to_instance_profile(self, input).await
    }

    async fn add_user_to_group(&self, input: AddUserToGroupInput) -> Result<(), Error> {
        groups::add_user_to_group(self, input).await
    }

    async fn associate_delegation_request(
        &self,
        input: AssociateDelegationRequestInput,
    ) -> Result<(), Error> {
        organizations::associate_delegation_request(self, input)
    }

    async fn attach_group_policy(&self, input: AttachGroupPolicyInput) -> Result<(), Error> {
        attachments::attach_group_policy(self, input).await
    }

    async fn attach_role_policy(&self, input: AttachRolePolicyInput) -> Result<(), Error> {
        attachments::attach_role_policy(self, input).await
    }

    async fn attach_user_policy(&self, input: AttachUserPolicyInput) -> Result<(), Error> {
        attachments::attach_user_policy(self, input).await
    }

    async fn change_password(&self, input: ChangePasswordInput) -> Result<(), Error> {
        passwords::change_password(self, input).await
    }

    async fn create_access_key(
        &self,
        input: CreateAccessKeyInput,
    ) -> Result<CreateAccessKeyOutput, Error> {
        access_keys::create_access_key(self, input).await
    }

    async fn create_account_alias(&self, input: CreateAccountAliasInput) -> Result<(), Error> {
        account_settings::create_account_alias(self, input).await
    }

    async fn create_delegation_request(
        &self,
        input: CreateDelegationRequestInput,
    ) -> Result<CreateDelegationRequestOutput, Error> {
        organizations::create_delegation_request(self, input)
    }

    async fn create_group(&self, input: CreateGroupInput) -> Result<CreateGroupOutput, Error> {
        groups::create_group(self, input).await
    }

    async fn create_instance_profile(
        &self,
        input: CreateInstanceProfileInput,
    ) -> Result<CreateInstanceProfileOutput, Error> {
        instance_profiles::create_instance_profile(self, input).await
    }

    async fn create_login_profile(
        &self,
        input: CreateLoginProfileInput,
    ) -> Result<CreateLoginProfileOutput, Error> {
        passwords::create_login_profile(self, input).await
    }

    async fn create_open_id_connect_provider(
        &self,
        input: CreateOpenIDConnectProviderInput,
    ) -> Result<CreateOpenIDConnectProviderOutput, Error> {
        oidc::create_open_id_connect_provider(self, input).await
    }

    async fn create_policy(&self, input: CreatePolicyInput) -> Result<CreatePolicyOutput, Error> {
        policies::create_policy(self, input).await
    }

    async fn create_policy_version(
        &self,
        input: CreatePolicyVersionInput,
    ) -> Result<CreatePolicyVersionOutput, Error> {
        policies::create_policy_version(self, input).await
    }

    async fn create_role(&self, input: CreateRoleInput) -> Result<CreateRoleOutput, Error> {
        roles::create_role(self, input).await
    }

    async fn create_saml_provider(
        &self,
        input: CreateSAMLProviderInput,
    ) -> Result<CreateSAMLProviderOutput, Error> {
        saml_providers::create_saml_provider(self, input).await
    }

    async fn create_service_linked_role(
        &self,
        input: CreateServiceLinkedRoleInput,
    ) -> Result<CreateServiceLinkedRoleOutput, Error> {
        roles::create_service_linked_role(self, input).await
    }

    async fn create_service_specific_credential(
        &self,
        input: CreateServiceSpecificCredentialInput,
    ) -> Result<CreateServiceSpecificCredentialOutput, Error> {
        service_credentials::create_service_specific_credential(self, input).await
    }

    async fn create_user(&self, input: CreateUserInput) -> Result<CreateUserOutput, Error> {
        users::create_user(self, input).await
    }

    async fn create_virtual_mfa_device(
        &self,
        input: CreateVirtualMFADeviceInput,
    ) -> Result<CreateVirtualMFADeviceOutput, Error> {
        mfa::create_virtual_mfa_device(self, input).await
    }

    async fn create_workload_identity_provider(
        &self,
        input: CreateWorkloadIdentityProviderInput,
    ) -> Result<CreateWorkloadIdentityProviderOutput, Error> {
        workload_identity::providers::create_workload_identity_provider(self, input).await
    }

    async fn create_workload_identity_provider_outbound_signer(
        &self,
        input: CreateWorkloadIdentityProviderOutboundSignerInput,
    ) -> Result<CreateWorkloadIdentityProviderOutboundSignerOutput, Error> {
        workload_identity::signers::create_workload_identity_provider_outbound_signer(self, input)
            .await
    }

    async fn create_workload_identity_template(
        &self,
        input: CreateWorkloadIdentityTemplateInput,
    ) -> Result<CreateWorkloadIdentityTemplateOutput, Error> {
        workload_identity::templates::create_workload_identity_template(self, input).await
    }

    async fn deactivate_mfa_device(&self, input: DeactivateMFADeviceInput) -> Result<(), Error> {
        mfa::deactivate_mfa_device(self, input).await
    }

    async fn delete_access_key(&self, input: DeleteAccessKeyInput) -> Result<(), Error> {
        access_keys::delete_access_key(self, input).await
    }

    async fn delete_account_alias(&self, input: DeleteAccountAliasInput) -> Result<(), Error> {
        account_settings::delete_account_alias(self, input).await
    }

    async fn delete_account_password_policy(
        &self,
        input: DeleteAccountPasswordPolicyInput,
    ) -> Result<(), Error> {
        passwords::delete_account_password_policy(self, input).await
    }

    async fn delete_group(&self, input: DeleteGroupInput) -> Result<(), Error> {
        groups::delete_group(self, input).await
    }

    async fn delete_group_policy(&self, input: DeleteGroupPolicyInput) -> Result<(), Error> {
        attachments::delete_group_policy(self, input).await
    }

    async fn delete_instance_profile(
        &self,
        input: DeleteInstanceProfileInput,
    ) -> Result<(), Error> {
        instance_profiles::delete_instance_profile(self, input).await
    }

    async fn delete_login_profile(&self, input: DeleteLoginProfileInput) -> Result<(), Error> {
        passwords::delete_login_profile(self, input).await
    }

    async fn delete_open_id_connect_provider(
        &self,
        input: DeleteOpenIDConnectProviderInput,
    ) -> Result<(), Error> {
        oidc::delete_open_id_connect_provider(self, input).await
    }

    async fn delete_policy(&self, input: DeletePolicyInput) -> Result<(), Error> {
        policies::delete_policy(self, input).await
    }

    async fn delete_policy_version(&self, input: DeletePolicyVersionInput) -> Result<(), Error> {
        policies::delete_policy_version(self, input).await
    }

    async fn delete_role(&self, input: DeleteRoleInput) -> Result<(), Error> {
        roles::delete_role(self, input).await
    }

    async fn delete_role_permissions_boundary(
        &self,
        input: DeleteRolePermissionsBoundaryInput,
    ) -> Result<(), Error> {
        roles::delete_role_permissions_boundary(self, input).await
    }

    async fn delete_role_policy(&self, input: DeleteRolePolicyInput) -> Result<(), Error> {
        attachments::delete_role_policy(self, input).await
    }

    async fn delete_saml_provider(&self, input: DeleteSAMLProviderInput) -> Result<(), Error> {
        saml_providers::delete_saml_provider(self, input).await
    }

    async fn delete_ssh_public_key(&self, input: DeleteSSHPublicKeyInput) -> Result<(), Error> {
        ssh_keys::delete_ssh_public_key(self, input).await
    }

    async fn delete_server_certificate(
        &self,
        input: DeleteServerCertificateInput,
    ) -> Result<(), Error> {
        server_certificates::delete_server_certificate(self, input).await
    }

    async fn delete_service_linked_role(
        &self,
        input: DeleteServiceLinkedRoleInput,
    ) -> Result<DeleteServiceLinkedRoleOutput, Error> {
        roles::delete_service_linked_role(self, input).await
    }

    async fn delete_service_specific_credential(
        &self,
        input: DeleteServiceSpecificCredentialInput,
    ) -> Result<(), Error> {
        service_credentials::delete_service_specific_credential(self, input).await
    }

    async fn delete_signing_certificate(
        &self,
        input: DeleteSigningCertificateInput,
    ) -> Result<(), Error> {
        signing_certificates::delete_signing_certificate(self, input).await
    }

    async fn delete_user(&self, input: DeleteUserInput) -> Result<(), Error> {
        users::delete_user(self, input).await
    }

    async fn delete_user_permissions_boundary(
        &self,
        input: DeleteUserPermissionsBoundaryInput,
    ) -> Result<(), Error> {
        users::delete_user_permissions_boundary(self, input).await
    }

    async fn delete_user_policy(&self, input: DeleteUserPolicyInput) -> Result<(), Error> {
        attachments::delete_user_policy(self, input).await
    }

    async fn delete_virtual_mfa_device(
        &self,
        input: DeleteVirtualMFADeviceInput,
    ) -> Result<(), Error> {
        mfa::delete_virtual_mfa_device(self, input).await
    }

    async fn delete_workload_identity_provider(
        &self,
        input: DeleteWorkloadIdentityProviderInput,
    ) -> Result<DeleteWorkloadIdentityProviderOutput, Error> {
        workload_identity::providers::delete_workload_identity_provider(self, input).await
    }

    async fn delete_workload_identity_provider_outbound_signer(
        &self,
        input: DeleteWorkloadIdentityProviderOutboundSignerInput,
    ) -> Result<DeleteWorkloadIdentityProviderOutboundSignerOutput, Error> {
        workload_identity::signers::delete_workload_identity_provider_outbound_signer(self, input)
            .await
    }

    async fn delete_workload_identity_provider_resource_policy(
        &self,
        input: DeleteWorkloadIdentityProviderResourcePolicyInput,
    ) -> Result<DeleteWorkloadIdentityProviderResourcePolicyOutput, Error> {
        workload_identity::providers::delete_workload_identity_provider_resource_policy(self, input)
            .await
    }

    async fn delete_workload_identity_template(
        &self,
        input: DeleteWorkloadIdentityTemplateInput,
    ) -> Result<DeleteWorkloadIdentityTemplateOutput, Error> {
        workload_identity::templates::delete_workload_identity_template(self, input).await
    }

    async fn delete_workload_identity_template_attestation_policy(
        &self,
        input: DeleteWorkloadIdentityTemplateAttestationPolicyInput,
    ) -> Result<DeleteWorkloadIdentityTemplateAttestationPolicyOutput, Error> {
        workload_identity::templates::delete_workload_identity_template_attestation_policy(
            self, input,
        )
        .await
    }

    async fn detach_group_policy(&self, input: DetachGroupPolicyInput) -> Result<(), Error> {
        attachments::detach_group_policy(self, input).await
    }

    async fn detach_role_policy(&self, input: DetachRolePolicyInput) -> Result<(), Error> {
        attachments::detach_role_policy(self, input).await
    }

    async fn detach_user_policy(&self, input: DetachUserPolicyInput) -> Result<(), Error> {
        attachments::detach_user_policy(self, input).await
    }

    async fn disable_organization_level_resources(
        &self,
        input: DisableOrganizationLevelResourcesInput,
    ) -> Result<DisableOrganizationLevelResourcesOutput, Error> {
        organizations::disable_organization_level_resources(self, input)
    }

    async fn disable_organizations_root_credentials_management(
        &self,
        input: DisableOrganizationsRootCredentialsManagementInput,
    ) -> Result<DisableOrganizationsRootCredentialsManagementOutput, Error> {
        organizations::disable_organizations_root_credentials_management(self, input)
    }

    async fn disable_organizations_root_sessions(
        &self,
        input: DisableOrganizationsRootSessionsInput,
    ) -> Result<DisableOrganizationsRootSessionsOutput, Error> {
        organizations::disable_organizations_root_sessions(self, input)
    }

    async fn disable_outbound_web_identity_federation(
        &self,
        input: DisableOutboundWebIdentityFederationInput,
    ) -> Result<(), Error> {
        account_settings::disable_outbound_web_identity_federation(self, input).await
    }

    async fn disable_workload_identity_provider_outbound_signer(
        &self,
        input: DisableWorkloadIdentityProviderOutboundSignerInput,
    ) -> Result<DisableWorkloadIdentityProviderOutboundSignerOutput, Error> {
        workload_identity::signers::disable_workload_identity_provider_outbound_signer(self, input)
            .await
    }

    async fn enable_mfa_device(&self, input: EnableMFADeviceInput) -> Result<(), Error> {
        mfa::enable_mfa_device(self, input).await
    }

    async fn enable_organization_level_resources(
        &self,
        input: EnableOrganizationLevelResourcesInput,
    ) -> Result<EnableOrganizationLevelResourcesOutput, Error> {
        organizations::enable_organization_level_resources(self, input)
    }

    async fn enable_organizations_root_credentials_management(
        &self,
        input: EnableOrganizationsRootCredentialsManagementInput,
    ) -> Result<EnableOrganizationsRootCredentialsManagementOutput, Error> {
        organizations::enable_organizations_root_credentials_management(self, input)
    }

    async fn enable_organizations_root_sessions(
        &self,
        input: EnableOrganizationsRootSessionsInput,
    ) -> Result<EnableOrganizationsRootSessionsOutput, Error> {
        organizations::enable_organizations_root_sessions(self, input)
    }

    async fn enable_outbound_web_identity_federation(
        &self,
        input: EnableOutboundWebIdentityFederationInput,
    ) -> Result<EnableOutboundWebIdentityFederationOutput, Error> {
        account_settings::enable_outbound_web_identity_federation(self, input).await
    }

    async fn enable_workload_identity_provider_outbound_signer(
        &self,
        input: EnableWorkloadIdentityProviderOutboundSignerInput,
    ) -> Result<EnableWorkloadIdentityProviderOutboundSignerOutput, Error> {
        workload_identity::signers::enable_workload_identity_provider_outbound_signer(self, input)
            .await
    }

    async fn generate_credential_report(
        &self,
        input: GenerateCredentialReportInput,
    ) -> Result<GenerateCredentialReportOutput, Error> {
        credential_report::generate_credential_report(self, input).await
    }

    async fn generate_organizations_access_report(
        &self,
        input: GenerateOrganizationsAccessReportInput,
    ) -> Result<GenerateOrganizationsAccessReportOutput, Error> {
        organizations::generate_organizations_access_report(self, input)
    }

    async fn generate_service_last_accessed_details(
        &self,
        input: GenerateServiceLastAccessedDetailsInput,
    ) -> Result<GenerateServiceLastAccessedDetailsOutput, Error> {
        last_accessed::generate_service_last_accessed_details(self, input).await
    }

    async fn get_access_key_last_used(
        &self,
        input: GetAccessKeyLastUsedInput,
    ) -> Result<GetAccessKeyLastUsedOutput, Error> {
        access_keys::get_access_key_last_used(self, input)
    }

    async fn get_account_authorization_details(
        &self,
        input: GetAccountAuthorizationDetailsInput,
    ) -> Result<GetAccountAuthorizationDetailsOutput, Error> {
        account::get_account_authorization_details(self, input)
    }

    async fn get_account_password_policy(
        &self,
        input: GetAccountPasswordPolicyInput,
    ) -> Result<GetAccountPasswordPolicyOutput, Error> {
        passwords::get_account_password_policy(self, input)
    }

    async fn get_account_properties(
        &self,
        input: GetAccountPropertiesInput,
    ) -> Result<GetAccountPropertiesOutput, Error> {
        account_settings::get_account_properties(self, input)
    }

    async fn get_account_summary(
        &self,
        input: GetAccountSummaryInput,
    ) -> Result<GetAccountSummaryOutput, Error> {
        account::get_account_summary(self, input)
    }

    async fn get_context_keys_for_custom_policy(
        &self,
        input: GetContextKeysForCustomPolicyInput,
    ) -> Result<GetContextKeysForCustomPolicyOutput, Error> {
        simulate::get_context_keys_for_custom_policy(self, input)
    }

    async fn get_context_keys_for_principal_policy(
        &self,
        input: GetContextKeysForPrincipalPolicyInput,
    ) -> Result<GetContextKeysForPrincipalPolicyOutput, Error> {
        simulate::get_context_keys_for_principal_policy(self, input)
    }

    async fn get_credential_report(
        &self,
        input: GetCredentialReportInput,
    ) -> Result<GetCredentialReportOutput, Error> {
        credential_report::get_credential_report(self, input)
    }

    async fn get_delegation_request(
        &self,
        input: GetDelegationRequestInput,
    ) -> Result<GetDelegationRequestOutput, Error> {
        organizations::get_delegation_request(self, input)
    }

    async fn get_group(&self, input: GetGroupInput) -> Result<GetGroupOutput, Error> {
        groups::get_group(self, input)
    }

    async fn get_group_policy(
        &self,
        input: GetGroupPolicyInput,
    ) -> Result<GetGroupPolicyOutput, Error> {
        attachments::get_group_policy(self, input)
    }

    async fn get_human_readable_summary(
        &self,
        input: GetHumanReadableSummaryInput,
    ) -> Result<GetHumanReadableSummaryOutput, Error> {
        organizations::get_human_readable_summary(self, input)
    }

    async fn get_instance_profile(
        &self,
        input: GetInstanceProfileInput,
    ) -> Result<GetInstanceProfileOutput, Error> {
        instance_profiles::get_instance_profile(self, input)
    }

    async fn get_login_profile(
        &self,
        input: GetLoginProfileInput,
    ) -> Result<GetLoginProfileOutput, Error> {
        passwords::get_login_profile(self, input)
    }

    async fn get_mfa_device(&self, input: GetMFADeviceInput) -> Result<GetMFADeviceOutput, Error> {
        mfa::get_mfa_device(self, input)
    }

    async fn get_open_id_connect_provider(
        &self,
        input: GetOpenIDConnectProviderInput,
    ) -> Result<GetOpenIDConnectProviderOutput, Error> {
        oidc::get_open_id_connect_provider(self, input)
    }

    async fn get_organizations_access_report(
        &self,
        input: GetOrganizationsAccessReportInput,
    ) -> Result<GetOrganizationsAccessReportOutput, Error> {
        organizations::get_organizations_access_report(self, input)
    }

    async fn get_outbound_web_identity_federation_info(
        &self,
        input: GetOutboundWebIdentityFederationInfoInput,
    ) -> Result<GetOutboundWebIdentityFederationInfoOutput, Error> {
        account_settings::get_outbound_web_identity_federation_info(self, input)
    }

    async fn get_policy(&self, input: GetPolicyInput) -> Result<GetPolicyOutput, Error> {
        policies::get_policy(self, input)
    }

    async fn get_policy_version(
        &self,
        input: GetPolicyVersionInput,
    ) -> Result<GetPolicyVersionOutput, Error> {
        policies::get_policy_version(self, input)
    }

    async fn get_role(&self, input: GetRoleInput) -> Result<GetRoleOutput, Error> {
        roles::get_role(self, input)
    }

    async fn get_role_policy(
        &self,
        input: GetRolePolicyInput,
    ) -> Result<GetRolePolicyOutput, Error> {
        attachments::get_role_policy(self, input)
    }

    async fn get_role_template_version(
        &self,
        input: GetRoleTemplateVersionInput,
    ) -> Result<GetRoleTemplateVersionOutput, Error> {
        role_templates::get_role_template_version(self, input)
    }

    async fn get_saml_provider(
        &self,
        input: GetSAMLProviderInput,
    ) -> Result<GetSAMLProviderOutput, Error> {
        saml_providers::get_saml_provider(self, input)
    }

    async fn get_ssh_public_key(
        &self,
        input: GetSSHPublicKeyInput,
    ) -> Result<GetSSHPublicKeyOutput, Error> {
        ssh_keys::get_ssh_public_key(self, input)
    }

    async fn get_server_certificate(
        &self,
        input: GetServerCertificateInput,
    ) -> Result<GetServerCertificateOutput, Error> {
        server_certificates::get_server_certificate(self, input)
    }

    async fn get_service_last_accessed_details(
        &self,
        input: GetServiceLastAccessedDetailsInput,
    ) -> Result<GetServiceLastAccessedDetailsOutput, Error> {
        last_accessed::get_service_last_accessed_details(self, input)
    }

    async fn get_service_last_accessed_details_with_entities(
        &self,
        input: GetServiceLastAccessedDetailsWithEntitiesInput,
    ) -> Result<GetServiceLastAccessedDetailsWithEntitiesOutput, Error> {
        last_accessed::get_service_last_accessed_details_with_entities(self, input)
    }

    async fn get_service_linked_role_deletion_status(
        &self,
        input: GetServiceLinkedRoleDeletionStatusInput,
    ) -> Result<GetServiceLinkedRoleDeletionStatusOutput, Error> {
        roles::get_service_linked_role_deletion_status(self, input)
    }

    async fn get_user(&self, input: GetUserInput) -> Result<GetUserOutput, Error> {
        users::get_user(self, input)
    }

    async fn get_user_policy(
        &self,
        input: GetUserPolicyInput,
    ) -> Result<GetUserPolicyOutput, Error> {
        attachments::get_user_policy(self, input)
    }

    async fn get_workload_identity_provider(
        &self,
        input: GetWorkloadIdentityProviderInput,
    ) -> Result<GetWorkloadIdentityProviderOutput, Error> {
        workload_identity::providers::get_workload_identity_provider(self, input)
    }

    async fn get_workload_identity_provider_deletion_status(
        &self,
        input: GetWorkloadIdentityProviderDeletionStatusInput,
    ) -> Result<GetWorkloadIdentityProviderDeletionStatusOutput, Error> {
        workload_identity::providers::get_workload_identity_provider_deletion_status(self, input)
    }

    async fn get_workload_identity_provider_resource_policy(
        &self,
        input: GetWorkloadIdentityProviderResourcePolicyInput,
    ) -> Result<GetWorkloadIdentityProviderResourcePolicyOutput, Error> {
        workload_identity::providers::get_workload_identity_provider_resource_policy(self, input)
    }

    async fn get_workload_identity_template(
        &self,
        input: GetWorkloadIdentityTemplateInput,
    ) -> Result<GetWorkloadIdentityTemplateOutput, Error> {
        workload_identity::templates::get_workload_identity_template(self, input)
    }

    async fn get_workload_identity_template_attestation_policy(
        &self,
        input: GetWorkloadIdentityTemplateAttestationPolicyInput,
    ) -> Result<GetWorkloadIdentityTemplateAttestationPolicyOutput, Error> {
        workload_identity::templates::get_workload_identity_template_attestation_policy(self, input)
    }

    async fn list_access_keys(
        &self,
        input: ListAccessKeysInput,
    ) -> Result<ListAccessKeysOutput, Error> {
        access_keys::list_access_keys(self, input)
    }

    async fn list_account_aliases(
        &self,
        input: ListAccountAliasesInput,
    ) -> Result<ListAccountAliasesOutput, Error> {
        account_settings::list_account_aliases(self, input)
    }

    async fn list_attached_group_policies(
        &self,
        input: ListAttachedGroupPoliciesInput,
    ) -> Result<ListAttachedGroupPoliciesOutput, Error> {
        attachments::list_attached_group_policies(self, input)
    }

    async fn list_attached_role_policies(
        &self,
        input: ListAttachedRolePoliciesInput,
    ) -> Result<ListAttachedRolePoliciesOutput, Error> {
        attachments::list_attached_role_policies(self, input)
    }

    async fn list_attached_user_policies(
        &self,
        input: ListAttachedUserPoliciesInput,
    ) -> Result<ListAttachedUserPoliciesOutput, Error> {
        attachments::list_attached_user_policies(self, input)
    }

    async fn list_delegation_requests(
        &self,
        input: ListDelegationRequestsInput,
    ) -> Result<ListDelegationRequestsOutput, Error> {
        organizations::list_delegation_requests(self, input)
    }

    async fn list_entities_for_policy(
        &self,
        input: ListEntitiesForPolicyInput,
    ) -> Result<ListEntitiesForPolicyOutput, Error> {
        policies::list_entities_for_policy(self, input)
    }

    async fn list_group_policies(
        &self,
        input: ListGroupPoliciesInput,
    ) -> Result<ListGroupPoliciesOutput, Error> {
        attachments::list_group_policies(self, input)
    }

    async fn list_groups(&self, input: ListGroupsInput) -> Result<ListGroupsOutput, Error> {
        groups::list_groups(self, input)
    }

    async fn list_groups_for_user(
        &self,
        input: ListGroupsForUserInput,
    ) -> Result<ListGroupsForUserOutput, Error> {
        groups::list_groups_for_user(self, input)
    }

    async fn list_instance_profile_tags(
        &self,
        input: ListInstanceProfileTagsInput,
    ) -> Result<ListInstanceProfileTagsOutput, Error> {
        tags::list_instance_profile_tags(self, input)
    }

    async fn list_instance_profiles(
        &self,
        input: ListInstanceProfilesInput,
    ) -> Result<ListInstanceProfilesOutput, Error> {
        instance_profiles::list_instance_profiles(self, input)
    }

    async fn list_instance_profiles_for_role(
        &self,
        input: ListInstanceProfilesForRoleInput,
    ) -> Result<ListInstanceProfilesForRoleOutput, Error> {
        instance_profiles::list_instance_profiles_for_role(self, input)
    }

    async fn list_mfa_device_tags(
        &self,
        input: ListMFADeviceTagsInput,
    ) -> Result<ListMFADeviceTagsOutput, Error> {
        mfa::list_mfa_device_tags(self, input)
    }

    async fn list_mfa_devices(
        &self,
        input: ListMFADevicesInput,
    ) -> Result<ListMFADevicesOutput, Error> {
        mfa::list_mfa_devices(self, input)
    }

    async fn list_open_id_connect_provider_tags(
        &self,
        input: ListOpenIDConnectProviderTagsInput,
    ) -> Result<ListOpenIDConnectProviderTagsOutput, Error> {
        oidc::list_open_id_connect_provider_tags(self, input)
    }

    async fn list_open_id_connect_providers(
        &self,
        input: ListOpenIDConnectProvidersInput,
    ) -> Result<ListOpenIDConnectProvidersOutput, Error> {
        oidc::list_open_id_connect_providers(self, input)
    }

    async fn list_organizations_features(
        &self,
        input: ListOrganizationsFeaturesInput,
    ) -> Result<ListOrganizationsFeaturesOutput, Error> {
        organizations::list_organizations_features(self, input)
    }

    async fn list_policies(&self, input: ListPoliciesInput) -> Result<ListPoliciesOutput, Error> {
        policies::list_policies(self, input)
    }

    async fn list_policies_granting_service_access(
        &self,
        input: ListPoliciesGrantingServiceAccessInput,
    ) -> Result<ListPoliciesGrantingServiceAccessOutput, Error> {
        service_access::list_policies_granting_service_access(self, input)
    }

    async fn list_policy_tags(
        &self,
        input: ListPolicyTagsInput,
    ) -> Result<ListPolicyTagsOutput, Error> {
        tags::list_policy_tags(self, input)
    }

    async fn list_policy_versions(
        &self,
        input: ListPolicyVersionsInput,
    ) -> Result<ListPolicyVersionsOutput, Error> {
        policies::list_policy_versions(self, input)
    }

    async fn list_role_policies(
        &self,
        input: ListRolePoliciesInput,
    ) -> Result<ListRolePoliciesOutput, Error> {
        attachments::list_role_policies(self, input)
    }

    async fn list_role_tags(&self, input: ListRoleTagsInput) -> Result<ListRoleTagsOutput, Error> {
        tags::list_role_tags(self, input)
    }

    async fn list_roles(&self, input: ListRolesInput) -> Result<ListRolesOutput, Error> {
        roles::list_roles(self, input)
    }

    async fn list_saml_provider_tags(
        &self,
        input: ListSAMLProviderTagsInput,
    ) -> Result<ListSAMLProviderTagsOutput, Error> {
        saml_providers::list_saml_provider_tags(self, input)
    }

    async fn list_saml_providers(
        &self,
        input: ListSAMLProvidersInput,
    ) -> Result<ListSAMLProvidersOutput, Error> {
        saml_providers::list_saml_providers(self, input)
    }

    async fn list_ssh_public_keys(
        &self,
        input: ListSSHPublicKeysInput,
    ) -> Result<ListSSHPublicKeysOutput, Error> {
        ssh_keys::list_ssh_public_keys(self, input)
    }

    async fn list_server_certificate_tags(
        &self,
        input: ListServerCertificateTagsInput,
    ) -> Result<ListServerCertificateTagsOutput, Error> {
        server_certificates::list_server_certificate_tags(self, input)
    }

    async fn list_server_certificates(
        &self,
        input: ListServerCertificatesInput,
    ) -> Result<ListServerCertificatesOutput, Error> {
        server_certificates::list_server_certificates(self, input)
    }

    async fn list_service_specific_credentials(
        &self,
        input: ListServiceSpecificCredentialsInput,
    ) -> Result<ListServiceSpecificCredentialsOutput, Error> {
        service_credentials::list_service_specific_credentials(self, input)
    }

    async fn list_signing_certificates(
        &self,
        input: ListSigningCertificatesInput,
    ) -> Result<ListSigningCertificatesOutput, Error> {
        signing_certificates::list_signing_certificates(self, input)
    }

    async fn list_user_policies(
        &self,
        input: ListUserPoliciesInput,
    ) -> Result<ListUserPoliciesOutput, Error> {
        attachments::list_user_policies(self, input)
    }

    async fn list_user_tags(&self, input: ListUserTagsInput) -> Result<ListUserTagsOutput, Error> {
        tags::list_user_tags(self, input)
    }

    async fn list_users(&self, input: ListUsersInput) -> Result<ListUsersOutput, Error> {
        users::list_users(self, input)
    }

    async fn list_virtual_mfa_devices(
        &self,
        input: ListVirtualMFADevicesInput,
    ) -> Result<ListVirtualMFADevicesOutput, Error> {
        mfa::list_virtual_mfa_devices(self, input)
    }

    async fn list_workload_identity_provider_outbound_signers(
        &self,
        input: ListWorkloadIdentityProviderOutboundSignersInput,
    ) -> Result<ListWorkloadIdentityProviderOutboundSignersOutput, Error> {
        workload_identity::signers::list_workload_identity_provider_outbound_signers(self, input)
    }

    async fn list_workload_identity_provider_tags(
        &self,
        input: ListWorkloadIdentityProviderTagsInput,
    ) -> Result<ListWorkloadIdentityProviderTagsOutput, Error> {
        workload_identity::providers::list_workload_identity_provider_tags(self, input)
    }

    async fn list_workload_identity_providers(
        &self,
        input: ListWorkloadIdentityProvidersInput,
    ) -> Result<ListWorkloadIdentityProvidersOutput, Error> {
        workload_identity::providers::list_workload_identity_providers(self, input)
    }

    async fn list_workload_identity_template_tags(
        &self,
        input: ListWorkloadIdentityTemplateTagsInput,
    ) -> Result<ListWorkloadIdentityTemplateTagsOutput, Error> {
        workload_identity::templates::list_workload_identity_template_tags(self, input)
    }

    async fn list_workload_identity_templates(
        &self,
        input: ListWorkloadIdentityTemplatesInput,
    ) -> Result<ListWorkloadIdentityTemplatesOutput, Error> {
        workload_identity::templates::list_workload_identity_templates(self, input)
    }

    async fn put_account_properties(
        &self,
        input: PutAccountPropertiesInput,
    ) -> Result<PutAccountPropertiesOutput, Error> {
        account_settings::put_account_properties(self, input).await
    }

    async fn put_group_policy(&self, input: PutGroupPolicyInput) -> Result<(), Error> {
        attachments::put_group_policy(self, input).await
    }

    async fn put_role_permissions_boundary(
        &self,
        input: PutRolePermissionsBoundaryInput,
    ) -> Result<(), Error> {
        roles::put_role_permissions_boundary(self, input).await
    }

    async fn put_role_policy(&self, input: PutRolePolicyInput) -> Result<(), Error> {
        attachments::put_role_policy(self, input).await
    }

    async fn put_user_permissions_boundary(
        &self,
        input: PutUserPermissionsBoundaryInput,
    ) -> Result<(), Error> {
        users::put_user_permissions_boundary(self, input).await
    }

    async fn put_user_policy(&self, input: PutUserPolicyInput) -> Result<(), Error> {
        attachments::put_user_policy(self, input).await
    }

    async fn put_workload_identity_provider_resource_policy(
        &self,
        input: PutWorkloadIdentityProviderResourcePolicyInput,
    ) -> Result<PutWorkloadIdentityProviderResourcePolicyOutput, Error> {
        workload_identity::providers::put_workload_identity_provider_resource_policy(self, input)
            .await
    }

    async fn put_workload_identity_template_attestation_policy(
        &self,
        input: PutWorkloadIdentityTemplateAttestationPolicyInput,
    ) -> Result<PutWorkloadIdentityTemplateAttestationPolicyOutput, Error> {
        workload_identity::templates::put_workload_identity_template_attestation_policy(self, input)
            .await
    }

    async fn reject_delegation_request(
        &self,
        input: RejectDelegationRequestInput,
    ) -> Result<(), Error> {
        organizations::reject_delegation_request(self, input)
    }

    async fn remove_client_id_from_open_id_connect_provider(
        &self,
        input: RemoveClientIDFromOpenIDConnectProviderInput,
    ) -> Result<(), Error> {
        oidc::remove_client_id_from_open_id_connect_provider(self, input).await
    }

    async fn remove_role_from_instance_profile(
        &self,
        input: RemoveRoleFromInstanceProfileInput,
    ) -> Result<(), Error> {
        instance_profiles::remove_role_from_instance_profile(self, input).await
    }

    async fn remove_user_from_group(&self, input: RemoveUserFromGroupInput) -> Result<(), Error> {
        groups::remove_user_from_group(self, input).await
    }

    async fn reset_service_specific_credential(
        &self,
        input: ResetServiceSpecificCredentialInput,
    ) -> Result<ResetServiceSpecificCredentialOutput, Error> {
        service_credentials::reset_service_specific_credential(self, input).await
    }

    async fn resync_mfa_device(&self, input: ResyncMFADeviceInput) -> Result<(), Error> {
        mfa::resync_mfa_device(self, input).await
    }

    async fn send_delegation_token(&self, input: SendDelegationTokenInput) -> Result<(), Error> {
        organizations::send_delegation_token(self, input)
    }

    async fn set_default_policy_version(
        &self,
        input: SetDefaultPolicyVersionInput,
    ) -> Result<(), Error> {
        policies::set_default_policy_version(self, input).await
    }

    async fn set_security_token_service_preferences(
        &self,
        input: SetSecurityTokenServicePreferencesInput,
    ) -> Result<(), Error> {
        account_settings::set_security_token_service_preferences(self, input).await
    }

    async fn simulate_custom_policy(
        &self,
        input: SimulateCustomPolicyInput,
    ) -> Result<SimulateCustomPolicyOutput, Error> {
        simulate::simulate_custom_policy(self, input)
    }

    async fn simulate_principal_policy(
        &self,
        input: SimulatePrincipalPolicyInput,
    ) -> Result<SimulatePrincipalPolicyOutput, Error> {
        simulate::simulate_principal_policy(self, input)
    }

    async fn tag_instance_profile(&self, input: TagInstanceProfileInput) -> Result<(), Error> {
        tags::tag_instance_profile(self, input).await
    }

    async fn tag_mfa_device(&self, input: TagMFADeviceInput) -> Result<(), Error> {
        mfa::tag_mfa_device(self, input).await
    }

    async fn tag_open_id_connect_provider(
        &self,
        input: TagOpenIDConnectProviderInput,
    ) -> Result<(), Error> {
        oidc::tag_open_id_connect_provider(self, input).await
    }

    async fn tag_policy(&self, input: TagPolicyInput) -> Result<(), Error> {
        tags::tag_policy(self, input).await
    }

    async fn tag_role(&self, input: TagRoleInput) -> Result<(), Error> {
        tags::tag_role(self, input).await
    }

    async fn tag_saml_provider(&self, input: TagSAMLProviderInput) -> Result<(), Error> {
        saml_providers::tag_saml_provider(self, input).await
    }

    async fn tag_server_certificate(&self, input: TagServerCertificateInput) -> Result<(), Error> {
        server_certificates::tag_server_certificate(self, input).await
    }

    async fn tag_user(&self, input: TagUserInput) -> Result<(), Error> {
        tags::tag_user(self, input).await
    }

    async fn tag_workload_identity_provider(
        &self,
        input: TagWorkloadIdentityProviderInput,
    ) -> Result<(), Error> {
        workload_identity::providers::tag_workload_identity_provider(self, input).await
    }

    async fn tag_workload_identity_template(
        &self,
        input: TagWorkloadIdentityTemplateInput,
    ) -> Result<(), Error> {
        workload_identity::templates::tag_workload_identity_template(self, input).await
    }

    async fn untag_instance_profile(&self, input: UntagInstanceProfileInput) -> Result<(), Error> {
        tags::untag_instance_profile(self, input).await
    }

    async fn untag_mfa_device(&self, input: UntagMFADeviceInput) -> Result<(), Error> {
        mfa::untag_mfa_device(self, input).await
    }

    async fn untag_open_id_connect_provider(
        &self,
        input: UntagOpenIDConnectProviderInput,
    ) -> Result<(), Error> {
        oidc::untag_open_id_connect_provider(self, input).await
    }

    async fn untag_policy(&self, input: UntagPolicyInput) -> Result<(), Error> {
        tags::untag_policy(self, input).await
    }

    async fn untag_role(&self, input: UntagRoleInput) -> Result<(), Error> {
        tags::untag_role(self, input).await
    }

    async fn untag_saml_provider(&self, input: UntagSAMLProviderInput) -> Result<(), Error> {
        saml_providers::untag_saml_provider(self, input).await
    }

    async fn untag_server_certificate(
        &self,
        input: UntagServerCertificateInput,
    ) -> Result<(), Error> {
        server_certificates::untag_server_certificate(self, input).await
    }

    async fn untag_user(&self, input: UntagUserInput) -> Result<(), Error> {
        tags::untag_user(self, input).await
    }

    async fn untag_workload_identity_provider(
        &self,
        input: UntagWorkloadIdentityProviderInput,
    ) -> Result<(), Error> {
        workload_identity::providers::untag_workload_identity_provider(self, input).await
    }

    async fn untag_workload_identity_template(
        &self,
        input: UntagWorkloadIdentityTemplateInput,
    ) -> Result<(), Error> {
        workload_identity::templates::untag_workload_identity_template(self, input).await
    }

    async fn update_access_key(&self, input: UpdateAccessKeyInput) -> Result<(), Error> {
        access_keys::update_access_key(self, input).await
    }

    async fn update_account_password_policy(
        &self,
        input: UpdateAccountPasswordPolicyInput,
    ) -> Result<(), Error> {
        passwords::update_account_password_policy(self, input).await
    }

    async fn update_assume_role_policy(
        &self,
        input: UpdateAssumeRolePolicyInput,
    ) -> Result<(), Error> {
        roles::update_assume_role_policy(self, input).await
    }

    async fn update_delegation_request(
        &self,
        input: UpdateDelegationRequestInput,
    ) -> Result<(), Error> {
        organizations::update_delegation_request(self, input)
    }

    async fn update_group(&self, input: UpdateGroupInput) -> Result<(), Error> {
        groups::update_group(self, input).await
    }

    async fn update_login_profile(&self, input: UpdateLoginProfileInput) -> Result<(), Error> {
        passwords::update_login_profile(self, input).await
    }

    async fn update_open_id_connect_provider(
        &self,
        input: UpdateOpenIDConnectProviderInput,
    ) -> Result<(), Error> {
        oidc::update_open_id_connect_provider(self, input).await
    }

    async fn update_open_id_connect_provider_thumbprint(
        &self,
        input: UpdateOpenIDConnectProviderThumbprintInput,
    ) -> Result<(), Error> {
        oidc::update_open_id_connect_provider_thumbprint(self, input).await
    }

    async fn update_role(&self, input: UpdateRoleInput) -> Result<UpdateRoleOutput, Error> {
        roles::update_role(self, input).await
    }

    async fn update_role_description(
        &self,
        input: UpdateRoleDescriptionInput,
    ) -> Result<UpdateRoleDescriptionOutput, Error> {
        roles::update_role_description(self, input).await
    }

    async fn update_saml_provider(
        &self,
        input: UpdateSAMLProviderInput,
    ) -> Result<UpdateSAMLProviderOutput, Error> {
        saml_providers::update_saml_provider(self, input).await
    }

    async fn update_ssh_public_key(&self, input: UpdateSSHPublicKeyInput) -> Result<(), Error> {
        ssh_keys::update_ssh_public_key(self, input).await
    }

    async fn update_server_certificate(
        &self,
        input: UpdateServerCertificateInput,
    ) -> Result<(), Error> {
        server_certificates::update_server_certificate(self, input).await
    }

    async fn update_service_specific_credential(
        &self,
        input: UpdateServiceSpecificCredentialInput,
    ) -> Result<(), Error> {
        service_credentials::update_service_specific_credential(self, input).await
    }

    async fn update_signing_certificate(
        &self,
        input: UpdateSigningCertificateInput,
    ) -> Result<(), Error> {
        signing_certificates::update_signing_certificate(self, input).await
    }

    async fn update_user(&self, input: UpdateUserInput) -> Result<(), Error> {
        users::update_user(self, input).await
    }

    async fn update_workload_identity_provider_outbound_signer(
        &self,
        input: UpdateWorkloadIdentityProviderOutboundSignerInput,
    ) -> Result<UpdateWorkloadIdentityProviderOutboundSignerOutput, Error> {
        workload_identity::signers::update_workload_identity_provider_outbound_signer(self, input)
            .await
    }

    async fn upload_ssh_public_key(
        &self,
        input: UploadSSHPublicKeyInput,
    ) -> Result<UploadSSHPublicKeyOutput, Error> {
        ssh_keys::upload_ssh_public_key(self, input).await
    }

    async fn upload_server_certificate(
        &self,
        input: UploadServerCertificateInput,
    ) -> Result<UploadServerCertificateOutput, Error> {
        server_certificates::upload_server_certificate(self, input).await
    }

    async fn upload_signing_certificate(
        &self,
        input: UploadSigningCertificateInput,
    ) -> Result<UploadSigningCertificateOutput, Error> {
        signing_certificates::upload_signing_certificate(self, input).await
    }
}
