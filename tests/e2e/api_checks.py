"""The whole current API, with boto3: the operations new in botocore 1.44.18.

The aws CLI v1 pins its botocore (1.44.5 for awscli 1.46.3, the newest awscli v1 on PyPI), so
the venv cannot hold botocore 1.44.18 itself. These checks therefore give boto3 the models
Portcullis vendors (crates/protocol/data, botocore 1.44.18 without documentation) through
botocore's data-path loader: the client that calls Portcullis is boto3's own, serializing and
parsing with the 1.44.18 model.

They also check for drift: every IAM and STS operation of the installed botocore must be in the
vendored model, so an upgrade of the clients that brings operations Portcullis does not know
fails here.
"""

from __future__ import annotations

import json
import os
import shutil
from urllib.parse import urlparse
import tempfile
from pathlib import Path

import boto3
import botocore
import botocore.session
from botocore.config import Config
from botocore.exceptions import ClientError

from harness import ACCOUNT, REGION, Runner, eq, ok
from paginator_checks import saml_metadata
from pulumi_programs import error_of
from vendored import DATA, VERSIONS, vendored_client, vendored_models
from workload_checks import WEB_ROLE, WEB_SUB, portcullis, role_arn


NO_ORGANIZATION = "The request was rejected because no organization is associated with your account."


def expect_error(fn, code: str, status: int, message: str | None = None):
    try:
        fn()
    except ClientError as e:
        eq(error_of(e), (code, status), "error code and status")
        if message is not None:
            eq(e.response["Error"]["Message"], message, "error message")
        return e
    raise AssertionError(f"succeeded; expected {code}")


def check_no_drift() -> None:
    """Every IAM and STS operation of the installed botocore is in the vendored model."""
    installed = botocore.session.get_session()
    for service in VERSIONS:
        theirs = set(installed.get_service_model(service).operation_names)
        ours = set(json.loads((DATA / f"{service}-service-2.json").read_text())["operations"])
        missing = sorted(theirs - ours)
        ok(not missing, f"botocore {botocore.__version__} {service} operations missing from the vendored model: {missing}")


def run_all(r: Runner) -> None:
    r.section("the current API (botocore 1.44.18 models, boto3)")
    r.check(f"installed botocore {botocore.__version__} has no IAM/STS operation the vendored model lacks", check_no_drift)
    models = vendored_models()
    try:
        iam = vendored_client(r, models, "iam")
        r.check("the client knows the 1.44.18 operations", lambda: ok(
            "CreateWorkloadIdentityProvider" in iam.meta.service_model.operation_names, "new operations in the client"))
        run_oidc_configuration(r, iam)
        run_saml_configuration(r, iam)
        run_trusted_identity_propagation(r, iam, vendored_client(r, models, "sts"))
        run_organization_level(r, iam)
    finally:
        shutil.rmtree(models, ignore_errors=True)


def run_oidc_configuration(r: Runner, iam) -> None:
    url = "https://tip.example.com/realm"
    arn = f"arn:aws:iam::{ACCOUNT}:oidc-provider/tip.example.com/realm"
    context = {
        "SubjectSourceKey": "sub",
        "SubjectTypeValue": "user",
        "KeyDefinitionList": [{"SourceKey": "email", "TargetKey": "Email"}],
    }

    def create_with_context():
        out = iam.create_open_id_connect_provider(Url=url, ClientIDList=["app"], ContextProvider=context)
        eq(out["OpenIDConnectProviderArn"], arn, "provider ARN")
        got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
        eq(got["ContextProvider"], context, "ContextProvider read back")
        entry = [p for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"] if p["Arn"] == arn]
        eq(entry[0].get("IsTrustedIdentityPropagationEnabled"), False, "no Identity Center association")

    def update_and_remove():
        new = {"SubjectSourceKey": "preferred_username", "SubjectTypeSourceKey": "kind"}
        iam.update_open_id_connect_provider(OpenIDConnectProviderArn=arn, ContextProvider=new)
        got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
        eq(got["ContextProvider"]["SubjectSourceKey"], "preferred_username", "replaced context provider")
        eq(got["ContextProvider"].get("KeyDefinitionList", []), [], "no key definitions")
        iam.update_open_id_connect_provider(OpenIDConnectProviderArn=arn, RemoveContextProvider=True)
        ok("ContextProvider" not in iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn), "context provider removed")

    def refusals():
        expect_error(lambda: iam.update_open_id_connect_provider(
            OpenIDConnectProviderArn=arn, ContextProvider=context, RemoveContextProvider=True), "InvalidInput", 400)
        expect_error(lambda: iam.update_open_id_connect_provider(
            OpenIDConnectProviderArn=arn,
            IdentityCenterInstanceArn="arn:aws:sso:::instance/ssoins-1234567890abcdef"), "InvalidInput", 400)
        expect_error(lambda: iam.update_open_id_connect_provider(
            OpenIDConnectProviderArn=arn, ContextProvider={"SubjectSourceKey": " leading space"}), "InvalidInput", 400)
        expect_error(lambda: iam.update_open_id_connect_provider(
            OpenIDConnectProviderArn=f"arn:aws:iam::{ACCOUNT}:oidc-provider/missing.example.com",
            RemoveContextProvider=True), "NoSuchEntity", 404)
        iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)

    r.check("CreateOpenIDConnectProvider with a ContextProvider, read back by Get and List", create_with_context)
    r.check("UpdateOpenIDConnectProvider replaces and removes the context provider", update_and_remove)
    r.check("UpdateOpenIDConnectProvider refuses contradictions, Identity Center and bad keys", refusals)


def run_organization_level(r: Runner, iam) -> None:
    for op in ("enable_organization_level_resources", "disable_organization_level_resources"):
        r.check(f"{op}: a standalone account has no organization", lambda op=op: expect_error(
            getattr(iam, op), "OrganizationNotFoundException", 400, NO_ORGANIZATION))


def run_trusted_identity_propagation(r: Runner, iam, sts) -> None:
    """AssumeRoleWithWebIdentity through a provider with a context provider: the session's
    origin identity and transaction context come back in TrustedIdentityPropagationContext.
    Uses the built-in issuer's provider and role that workload_checks.py made."""
    issuer_id = urlparse(r.endpoint).netloc + "/oidc"
    provider = f"arn:aws:iam::{ACCOUNT}:oidc-provider/{issuer_id}"
    data_dir = os.environ.get("E2E_DATA_DIR")

    def propagated():
        ok(data_dir, "E2E_DATA_DIR is set (run.sh sets it)")
        iam.update_open_id_connect_provider(OpenIDConnectProviderArn=provider, ContextProvider={
            "SubjectSourceKey": "sub",
            "SubjectTypeValue": "workload",
            "KeyDefinitionList": [{"SourceKey": "aud", "TargetKey": "Audience"}],
        })
        path = r.workdir / "tip.jwt"
        portcullis(r, "token", "issue", "--data-dir", data_dir, "--sub", WEB_SUB, "--aud", "sts.amazonaws.com",
                   "--out", str(path))
        try:
            out = sts.assume_role_with_web_identity(
                RoleArn=role_arn(WEB_ROLE), RoleSessionName="tip", WebIdentityToken=path.read_text().strip())
        finally:
            iam.update_open_id_connect_provider(OpenIDConnectProviderArn=provider, RemoveContextProvider=True)
        context = out["TrustedIdentityPropagationContext"]
        eq(context["OriginIdentity"], {
            "Subject": WEB_SUB,
            "SubjectType": "workload",
            "Issuer": issuer_id,
            "FederatedProviderArn": provider,
        }, "OriginIdentity")
        eq(context["TransactionContext"]["IdentityProvider"], {"Audience": "sts.amazonaws.com"}, "TransactionContext")
        again = sts.assume_role_with_web_identity(
            RoleArn=role_arn(WEB_ROLE), RoleSessionName="tip2", WebIdentityToken=path.read_text().strip())
        ok("TrustedIdentityPropagationContext" not in again, "no context once the context provider is removed")

    r.check("AssumeRoleWithWebIdentity returns the trusted identity propagation context", propagated)


def run_saml_configuration(r: Runner, iam) -> None:
    context = {"SubjectSourceKey": "NameID", "KeyDefinitionList": [{"SourceKey": "email"}]}

    def saml_context():
        arn = iam.create_saml_provider(Name="api-tip-saml", SAMLMetadataDocument=saml_metadata(),
                                       ContextProvider=context)["SAMLProviderArn"]
        got = iam.get_saml_provider(SAMLProviderArn=arn)
        eq(got["ContextProvider"], context, "ContextProvider read back")
        hashes = got["SAMLKeyHashes"]
        eq(len(hashes), 1, "one issuer")
        ok(hashes[0]["IssuerURL"].endswith("/saml"), "IssuerURL is the metadata's entityID")
        eq([len(h) for h in hashes[0]["KeyHashes"]], [64], "one SHA-256 key hash")
        entry = [p for p in iam.list_saml_providers()["SAMLProviderList"] if p["Arn"] == arn]
        eq(entry[0].get("IsTrustedIdentityPropagationEnabled"), False, "no Identity Center association")
        iam.update_saml_provider(SAMLProviderArn=arn, RemoveContextProvider=True)
        ok("ContextProvider" not in iam.get_saml_provider(SAMLProviderArn=arn), "context provider removed")
        expect_error(lambda: iam.update_saml_provider(
            SAMLProviderArn=arn, ContextProvider=context, RemoveContextProvider=True), "InvalidInput", 400)
        iam.delete_saml_provider(SAMLProviderArn=arn)

    r.check("CreateSAMLProvider with a ContextProvider; GetSAMLProvider's SAMLKeyHashes", saml_context)
