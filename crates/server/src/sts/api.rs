//! STS's typed API: [`StsApi`] implemented for the call context, one method per
//! operation, each the handler of its family module.

use super::{
    assume_role, delegated, federation, identity, root, saml, scoped, web_identity,
    web_identity_token, workload,
};
use crate::call::Ctx;
use crate::error::Error;
use portcullis_protocol::sts::*;

impl StsApi for Ctx<'_> {
    type Error = Error;

    async fn assume_role(&self, input: AssumeRoleInput) -> Result<AssumeRoleOutput, Error> {
        assume_role::assume_role(self, input).await
    }

    async fn assume_role_with_saml(
        &self,
        input: AssumeRoleWithSAMLInput,
    ) -> Result<AssumeRoleWithSAMLOutput, Error> {
        saml::assume_role_with_saml(self, input).await
    }

    async fn assume_role_with_web_identity(
        &self,
        input: AssumeRoleWithWebIdentityInput,
    ) -> Result<AssumeRoleWithWebIdentityOutput, Error> {
        web_identity::assume_role_with_web_identity(self, input).await
    }

    async fn assume_root(&self, input: AssumeRootInput) -> Result<AssumeRootOutput, Error> {
        root::assume_root(self, input).await
    }

    async fn decode_authorization_message(
        &self,
        input: DecodeAuthorizationMessageInput,
    ) -> Result<DecodeAuthorizationMessageOutput, Error> {
        identity::decode_authorization_message(self, input)
    }

    async fn get_access_key_info(
        &self,
        input: GetAccessKeyInfoInput,
    ) -> Result<GetAccessKeyInfoOutput, Error> {
        identity::get_access_key_info(self, input)
    }

    async fn get_caller_identity(
        &self,
        input: GetCallerIdentityInput,
    ) -> Result<GetCallerIdentityOutput, Error> {
        identity::get_caller_identity(self, input)
    }

    async fn get_certificate(
        &self,
        input: GetCertificateInput,
    ) -> Result<GetCertificateOutput, Error> {
        workload::get_certificate(self, input).await
    }

    async fn get_delegated_access_token(
        &self,
        input: GetDelegatedAccessTokenInput,
    ) -> Result<GetDelegatedAccessTokenOutput, Error> {
        delegated::get_delegated_access_token(self, input).await
    }

    async fn get_federation_token(
        &self,
        input: GetFederationTokenInput,
    ) -> Result<GetFederationTokenOutput, Error> {
        federation::get_federation_token(self, input)
    }

    async fn get_scoped_credentials(
        &self,
        input: GetScopedCredentialsInput,
    ) -> Result<GetScopedCredentialsOutput, Error> {
        scoped::get_scoped_credentials(self, input).await
    }

    async fn get_session_token(
        &self,
        input: GetSessionTokenInput,
    ) -> Result<GetSessionTokenOutput, Error> {
        federation::get_session_token(self, input).await
    }

    async fn get_trust_bundles(
        &self,
        input: GetTrustBundlesInput,
    ) -> Result<GetTrustBundlesOutput, Error> {
        workload::get_trust_bundles(self, input).await
    }

    async fn get_web_identity_token(
        &self,
        input: GetWebIdentityTokenInput,
    ) -> Result<GetWebIdentityTokenOutput, Error> {
        web_identity_token::get_web_identity_token(self, input).await
    }

    async fn issue_workload_identity_context(
        &self,
        input: IssueWorkloadIdentityContextInput,
    ) -> Result<IssueWorkloadIdentityContextOutput, Error> {
        workload::issue_workload_identity_context(self, input).await
    }
}
