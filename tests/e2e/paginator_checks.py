"""Every paginator of the IAM model, with boto3's paginators and small pages.

The paginators are those of crates/protocol/data/iam-paginators-1.json, the copy of botocore's
file the server embeds (see crates/protocol/data/SOURCES.json), driven by a boto3 client built
from the vendored models (vendored.py: the venv's botocore is older); a paginator there without a
case below fails the run, so a newer model cannot add one silently. Each case creates
enough entities for several pages (under the path /e2e-pg/ where the operation filters by
path), then for page sizes 1 and 2 pages through them with `PaginationConfig={"PageSize": n}`
and checks that:

- there are as many pages as the items need (at least two, but for ListAccountAliases:
  an account has at most one alias, so one page);
- every page but the last has `IsTruncated` true, and the last has it false;
- no page holds more than the page size (over all its result keys);
- the pages together hold, in order, exactly the items of one call with MaxItems=1000
  (which must not be truncated), none twice.

The entities stay (but the account alias, which is removed if the sweep made it): the
import/export round trip that runs next carries them over too.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import struct
import traceback
from pathlib import Path

from botocore import xform_name

from harness import ACCOUNT, CheckFailed, Runner, eq, ok
from sts_checks import now_step, totp
from vendored import vendored_client, vendored_models

REPO = Path(__file__).resolve().parent.parent.parent
PAGINATORS = REPO / "crates" / "protocol" / "data" / "iam-paginators-1.json"
TESTDATA = REPO / "crates" / "server" / "src" / "iam" / "testdata"

P = "e2e-pg"
PATH = f"/{P}/"
TRUST = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
})
AWS_POLICIES = [f"arn:aws:iam::aws:policy/{n}" for n in ("ReadOnlyAccess", "AmazonS3ReadOnlyAccess", "IAMReadOnlyAccess")]
TAGS = [{"Key": f"k{i}", "Value": f"v{i}"} for i in range(3)]
PAGE_SIZES = (1, 2)


def doc(*actions: str) -> str:
    return json.dumps({"Version": "2012-10-17",
                       "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": "*"}]})


def ssh_rsa_key() -> str:
    """A fresh OpenSSH RSA public key (e=65537, a random 2,048-bit modulus): the server
    checks its form and size, as IAM does, not that the modulus is a product of primes."""

    def string(b: bytes) -> bytes:
        return struct.pack(">I", len(b)) + b

    def mpint(i: int) -> bytes:
        return string(i.to_bytes((i.bit_length() + 8) // 8, "big"))

    n = int.from_bytes(os.urandom(256), "big") | (1 << 2047) | 1
    return "ssh-rsa " + base64.b64encode(string(b"ssh-rsa") + mpint(65537) + mpint(n)).decode()


def saml_metadata() -> str:
    cert = "".join(l for l in (TESTDATA / "server.crt").read_text().splitlines() if not l.startswith("-----"))
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://{P}.example.com/saml">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing">
      <ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
        <ds:X509Data><ds:X509Certificate>{cert}</ds:X509Certificate></ds:X509Data>
      </ds:KeyInfo>
    </md:KeyDescriptor>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://{P}.example.com/sso"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>"""


class Fixture:
    """The entities the cases page through."""

    def __init__(self, iam):
        self.iam = iam
        self.users = [f"{P}-user-{i}" for i in range(3)]
        self.groups = [f"{P}-group-{i}" for i in range(3)]
        self.roles = [f"{P}-role-{i}" for i in range(3)]
        self.profiles = [f"{P}-profile-{i}" for i in range(3)]
        self.policies = [f"arn:aws:iam::{ACCOUNT}:policy{PATH}{P}-policy-{i}" for i in range(3)]
        self.certificates = [f"{P}-cert-{i}" for i in range(3)]
        self.mfa: list[str] = []
        self.oidc = ""
        self.saml = ""
        self.alias_made = ""
        self.providers: list[str] = []
        self.templates: list[str] = []

    def create(self) -> None:
        iam = self.iam
        for u in self.users:
            iam.create_user(UserName=u, Path=PATH, Tags=TAGS if u == self.users[0] else [])
        for g in self.groups:
            iam.create_group(GroupName=g, Path=PATH)
        for r in self.roles:
            iam.create_role(RoleName=r, Path=PATH, AssumeRolePolicyDocument=TRUST,
                            Tags=TAGS if r == self.roles[0] else [])
        for i, arn in enumerate(self.policies):
            iam.create_policy(PolicyName=arn.rsplit("/", 1)[1], Path=PATH, PolicyDocument=doc("s3:GetObject"),
                              Tags=TAGS if i == 0 else [])
        for p in self.profiles:
            iam.create_instance_profile(InstanceProfileName=p, Path=PATH,
                                        Tags=TAGS if p == self.profiles[0] else [])
            # A role can be in several instance profiles (each holds one role).
            iam.add_role_to_instance_profile(InstanceProfileName=p, RoleName=self.roles[0])
        user, group, role, policy = self.users[0], self.groups[0], self.roles[0], self.policies[0]
        for g in self.groups:
            iam.add_user_to_group(GroupName=g, UserName=user)
        for u in self.users[1:]:
            iam.add_user_to_group(GroupName=group, UserName=u)
        for arn in AWS_POLICIES:
            iam.attach_group_policy(GroupName=group, PolicyArn=arn)
            iam.attach_role_policy(RoleName=role, PolicyArn=arn)
            iam.attach_user_policy(UserName=user, PolicyArn=arn)
        for i in range(3):
            iam.put_group_policy(GroupName=group, PolicyName=f"inline-{i}", PolicyDocument=doc(f"s3:Get{i}*"))
            iam.put_role_policy(RoleName=role, PolicyName=f"inline-{i}", PolicyDocument=doc(f"s3:Get{i}*"))
            iam.put_user_policy(UserName=user, PolicyName=f"inline-{i}", PolicyDocument=doc(f"s3:Get{i}*"))
        iam.attach_group_policy(GroupName=group, PolicyArn=policy)
        iam.attach_user_policy(UserName=self.users[1], PolicyArn=policy)
        iam.attach_user_policy(UserName=self.users[2], PolicyArn=policy)
        iam.attach_role_policy(RoleName=role, PolicyArn=policy)
        # Versions v2 and v3 of the first policy, v3 the default.
        iam.create_policy_version(PolicyArn=policy, PolicyDocument=doc("s3:GetObject", "s3:ListBucket"))
        iam.create_policy_version(PolicyArn=policy, PolicyDocument=doc("s3:*"), SetAsDefault=True)
        for _ in range(2):
            iam.create_access_key(UserName=user)
        # Three virtual MFA devices, enabled for the second user with codes of their seeds.
        holder = self.users[1]
        for i in range(3):
            device = iam.create_virtual_mfa_device(VirtualMFADeviceName=f"{P}-mfa-{i}", Path=PATH,
                                                   Tags=TAGS if i == 0 else [])["VirtualMFADevice"]
            seed = device["Base32StringSeed"].decode("ascii")
            t = now_step()
            iam.enable_mfa_device(UserName=holder, SerialNumber=device["SerialNumber"],
                                  AuthenticationCode1=totp(seed, t - 1), AuthenticationCode2=totp(seed, t))
            self.mfa.append(device["SerialNumber"])
        keys_user = self.users[2]
        for _ in range(3):
            iam.upload_ssh_public_key(UserName=keys_user, SSHPublicKeyBody=ssh_rsa_key())
        for pem in ("server.crt", "ec.crt"):  # two signing certificates, the most a user may have
            iam.upload_signing_certificate(UserName=keys_user, CertificateBody=(TESTDATA / pem).read_text())
        for i, name in enumerate(self.certificates):
            iam.upload_server_certificate(ServerCertificateName=name, Path=PATH,
                                          CertificateBody=(TESTDATA / "server.crt").read_text(),
                                          PrivateKey=(TESTDATA / "server.key").read_text(),
                                          Tags=TAGS if i == 0 else [])
        self.oidc = iam.create_open_id_connect_provider(
            Url=f"https://{P}.example.com", ClientIDList=["sts.amazonaws.com"], Tags=TAGS)["OpenIDConnectProviderArn"]
        self.saml = iam.create_saml_provider(Name=f"{P}-saml", SAMLMetadataDocument=saml_metadata(),
                                             Tags=TAGS)["SAMLProviderArn"]
        if not iam.list_account_aliases()["AccountAliases"]:
            iam.create_account_alias(AccountAlias=f"{P}-alias")
            self.alias_made = f"{P}-alias"
        # Workload identity: three providers, the first with tags and an X.509 signer beside
        # its two JWT signers, and three templates under it, the first with tags.
        for i in range(3):
            self.providers.append(iam.create_workload_identity_provider(
                ProviderName=f"{P}-wip-{i}", Scheme="SPIFFE", WorkloadIdentityDomain=f"{P}-{i}.example.org",
                Tags=TAGS if i == 0 else [])["Arn"])
        iam.create_workload_identity_provider_outbound_signer(
            WorkloadIdentityProviderArn=self.providers[0],
            OutboundSigner={"X509": {"CertificateAuthorityId": f"{P}-ca", "AccountId": ACCOUNT}})
        for i in range(3):
            self.templates.append(iam.create_workload_identity_template(
                Name=f"{P}-wit-{i}", WorkloadIdentityProviderArn=self.providers[0],
                PathPattern=f"t{i}/{{aws:WorkloadAttestation/aws/eks/namespace}}",
                Tags=TAGS if i == 0 else [])["Arn"])

    def cases(self) -> dict[str, tuple[dict, int]]:
        """Per paginator: the operation's parameters and how many items there are at least."""
        user, group, role, policy = self.users[0], self.groups[0], self.roles[0], self.policies[0]
        actions = ["s3:GetObject", "s3:PutObject", "s3:ListBucket"]
        return {
            "GetAccountAuthorizationDetails": ({}, 15),
            "GetGroup": ({"GroupName": group}, 3),
            "ListAccessKeys": ({"UserName": user}, 2),
            "ListAccountAliases": ({}, 1),
            "ListAttachedGroupPolicies": ({"GroupName": group}, 4),
            "ListAttachedRolePolicies": ({"RoleName": role}, 4),
            "ListAttachedUserPolicies": ({"UserName": user}, 3),
            "ListEntitiesForPolicy": ({"PolicyArn": policy}, 4),
            "ListGroupPolicies": ({"GroupName": group}, 3),
            "ListGroups": ({"PathPrefix": PATH}, 3),
            "ListGroupsForUser": ({"UserName": user}, 3),
            "ListInstanceProfiles": ({"PathPrefix": PATH}, 3),
            "ListInstanceProfilesForRole": ({"RoleName": role}, 3),
            "ListMFADevices": ({"UserName": self.users[1]}, 3),
            "ListPolicies": ({"Scope": "Local", "PathPrefix": PATH}, 3),
            "ListPolicyVersions": ({"PolicyArn": policy}, 3),
            "ListRolePolicies": ({"RoleName": role}, 3),
            "ListRoles": ({"PathPrefix": PATH}, 3),
            "ListServerCertificates": ({"PathPrefix": PATH}, 3),
            "ListSigningCertificates": ({"UserName": self.users[2]}, 2),
            "ListSSHPublicKeys": ({"UserName": self.users[2]}, 3),
            "ListUserPolicies": ({"UserName": user}, 3),
            "ListUsers": ({"PathPrefix": PATH}, 3),
            "ListVirtualMFADevices": ({}, 3),
            "SimulateCustomPolicy": ({"PolicyInputList": [doc("s3:*")], "ActionNames": actions}, 3),
            "SimulatePrincipalPolicy": ({"PolicySourceArn": f"arn:aws:iam::{ACCOUNT}:user{PATH}{user}",
                                         "ActionNames": actions}, 3),
            "ListUserTags": ({"UserName": user}, 3),
            "ListWorkloadIdentityProviders": ({}, 3),
            "ListWorkloadIdentityProviderOutboundSigners": ({"WorkloadIdentityProviderArn": self.providers[0]}, 3),
            "ListWorkloadIdentityProviderTags": ({"WorkloadIdentityProviderArn": self.providers[0]}, 3),
            "ListWorkloadIdentityTemplates": ({"WorkloadIdentityProviderArn": self.providers[0]}, 3),
            "ListWorkloadIdentityTemplateTags": ({"WorkloadIdentityTemplateArn": self.templates[0]}, 3),
            "ListInstanceProfileTags": ({"InstanceProfileName": self.profiles[0]}, 3),
            "ListMFADeviceTags": ({"SerialNumber": self.mfa[0]}, 3),
            "ListOpenIDConnectProviderTags": ({"OpenIDConnectProviderArn": self.oidc}, 3),
            "ListPolicyTags": ({"PolicyArn": policy}, 3),
            "ListRoleTags": ({"RoleName": role}, 3),
            "ListSAMLProviderTags": ({"SAMLProviderArn": self.saml}, 3),
            "ListServerCertificateTags": ({"ServerCertificateName": self.certificates[0]}, 3),
        }


def as_list(v) -> list:
    return v if isinstance(v, list) else [v]


def canon(item) -> str:
    return json.dumps(item, sort_keys=True, default=str)


def sweep_one(iam, name: str, config: dict, params: dict, items: int, page_size: int) -> None:
    method = xform_name(name)
    ok(iam.can_paginate(method), f"boto3 has a paginator for {method}")
    keys = as_list(config["result_key"])
    more = config["more_results"]
    full = getattr(iam, method)(**params, **{config["limit_key"]: 1000})
    eq(full.get(more, False), False, f"{more} of one call with {config['limit_key']}=1000")
    total = sum(len(full.get(k, [])) for k in keys)
    ok(total >= items, f"{total} items over {keys}, expected at least {items}")
    pages = list(iam.get_paginator(method).paginate(**params, PaginationConfig={"PageSize": page_size}))
    eq(len(pages), -(-total // page_size), f"pages of {page_size} for {total} items")
    for i, page in enumerate(pages):
        last = i == len(pages) - 1
        eq(page.get(more, False), not last, f"{more} of page {i + 1} of {len(pages)}")
        ok(last or page.get(config["output_token"]), f"a {config['output_token']} on page {i + 1}")
        held = sum(len(page.get(k, [])) for k in keys)
        ok(held <= page_size, f"page {i + 1} holds {held} items, more than {page_size}")
    for k in keys:
        paged = [canon(x) for p in pages for x in p.get(k, [])]
        eq(len(set(paged)), len(paged), f"{k}: no item twice over the pages")
        whole = [canon(x) for x in full.get(k, [])]
        eq(paged, whole, f"{k}: the pages in order hold exactly the items of one call")


def sweep(r: Runner) -> None:
    r.section("boto3: every IAM paginator, with pages of 1 and 2")
    models = vendored_models()
    try:
        sweep_with(r, vendored_client(r, models, "iam"))
    finally:
        shutil.rmtree(models, ignore_errors=True)


def sweep_with(r: Runner, iam) -> None:
    fixture = Fixture(iam)
    if r.check("create users, groups, roles, policies, instance profiles, keys, MFA devices, "
               "certificates and providers to page through", lambda: fixture.create() or True) is None:
        return
    model = json.loads(PAGINATORS.read_text())["pagination"]
    cases = fixture.cases()
    r.check(f"a case for each of the {len(model)} paginators of {PAGINATORS.name}",
            lambda: eq(sorted(set(model) - set(cases)), [], "paginators without a case"))
    for name in sorted(model):
        if name not in cases:
            continue
        params, items = cases[name]
        for size in PAGE_SIZES:
            r.check(f"{xform_name(name)} paginator, PageSize={size}",
                    lambda name=name, params=params, items=items, size=size:
                    sweep_one(iam, name, model[name], params, items, size))
    if fixture.alias_made:
        r.check(f"delete the account alias {fixture.alias_made}",
                lambda: iam.delete_account_alias(AccountAlias=fixture.alias_made))


def run_all(r: Runner) -> None:
    try:
        sweep(r)
    except CheckFailed:
        raise
    except Exception as e:  # noqa: BLE001 - a broken part is a failure, not a crash
        r._record(f"sweep stopped: {e!r}", "boto3", "FAIL", detail=traceback.format_exc(limit=4))
