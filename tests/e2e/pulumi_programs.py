"""The seeds' Pulumi programs (001 and 002), done with boto3 as the AWS provider does them.

`pulumi up` of each program becomes the same IAM calls the provider makes: CreateRole (with
the auto-name `<logical>-<7 hex>`, the trust policy text exactly as the program renders it),
the reads after each create, AttachRolePolicy, CreatePolicy; then everything is read back
(GetRole, ListAttachedRolePolicies, GetPolicy, GetPolicyVersion, documents compared as
dicts and as the exact text sent) and `pulumi destroy` is played (detach, delete policy,
delete role) and checked.
"""

from __future__ import annotations

import json
import secrets
import urllib.parse
from xml.sax.saxutils import unescape

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from harness import ACCOUNT, ISO_DATE, REGION, Runner, Seed, eq, match, ok


def client(r: Runner, service: str = "iam", creds: tuple[str, str] | None = None):
    key, secret = creds or r.root
    session = boto3.session.Session(
        aws_access_key_id=key, aws_secret_access_key=secret, region_name=REGION
    )
    return session.client(service, endpoint_url=r.endpoint, config=Config(retries={"total_max_attempts": 1}))  # the first answer, no retry


class RawBodies:
    """Keeps the raw body of the last response of each IAM operation of a client."""

    def __init__(self, iam):
        self.last: dict[str, bytes] = {}
        iam.meta.events.register("before-parse.iam", self._keep)

    def _keep(self, operation_model, response_dict, **_):
        self.last[operation_model.name] = response_dict.get("body") or b""

    def document(self, operation: str, element: str) -> str:
        """The policy document text of `element` in the last `operation` answer, decoded."""
        body = self.last[operation].decode("utf-8")
        start = body.index(f"<{element}>") + len(element) + 2
        end = body.index(f"</{element}>", start)
        return urllib.parse.unquote(unescape(body[start:end], {"&quot;": '"', "&apos;": "'"}))


def pulumi_name(logical: str) -> str:
    """The physical name Pulumi gives a resource: its logical name and 7 random hex digits."""
    return f"{logical}-{secrets.token_hex(4)[:7]}"


def error_of(e: ClientError) -> tuple[str, int]:
    return e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]


def expect_no_such_entity(fn, what: str):
    def check():
        try:
            fn()
        except ClientError as e:
            eq(error_of(e), ("NoSuchEntity", 404), f"error of {what}")
            return
        raise AssertionError(f"{what} succeeded; expected NoSuchEntity")

    return check


def play_program(
    r: Runner,
    seed: Seed,
    *,
    role_logical: str,
    trust_text: str,
    policy_logical: str,
    policy_text: str,
    policy_description: str | None,
    managed_attachments: list[str],
) -> None:
    """`pulumi up`, read-back and `pulumi destroy` of a role + custom policy program."""
    iam = client(r)
    raw = RawBodies(iam)
    role_name = pulumi_name(role_logical)
    policy_name = pulumi_name(policy_logical)
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/{role_name}"
    policy_arn = f"arn:aws:iam::{ACCOUNT}:policy/{policy_name}"
    trust = json.loads(trust_text)
    policy_doc = json.loads(policy_text)

    # ---- pulumi up
    def create_role():
        out = iam.create_role(RoleName=role_name, Path="/", AssumeRolePolicyDocument=trust_text)
        role = out["Role"]
        eq(role["RoleName"], role_name, "Role.RoleName")
        eq(role["Arn"], role_arn, "Role.Arn")
        eq(role["Path"], "/", "Role.Path")
        match(r"AROA[A-Z0-9]{17}", role["RoleId"], "Role.RoleId")
        eq(role["AssumeRolePolicyDocument"], trust, "Role.AssumeRolePolicyDocument")
        eq(raw.document("CreateRole", "AssumeRolePolicyDocument"), trust_text,
           "trust policy text in CreateRole's answer, as sent")
        # The provider reads the role back and its policies (inline_policy, managed_policy_arns).
        iam.get_role(RoleName=role_name)
        eq(iam.list_role_policies(RoleName=role_name)["PolicyNames"], [], "inline policies of a new role")
        eq(iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"], [],
           "attached policies of a new role")

    r.check(f"aws.iam.Role {role_logical}: CreateRole {role_name} and the provider's reads", create_role)

    def create_policy():
        args = dict(PolicyName=policy_name, Path="/", PolicyDocument=policy_text)
        if policy_description is not None:
            args["Description"] = policy_description
        out = iam.create_policy(**args)
        p = out["Policy"]
        eq(p["PolicyName"], policy_name, "Policy.PolicyName")
        eq(p["Arn"], policy_arn, "Policy.Arn")
        eq(p["DefaultVersionId"], "v1", "Policy.DefaultVersionId")
        eq(p["AttachmentCount"], 0, "Policy.AttachmentCount")
        match(r"ANPA[A-Z0-9]{17}", p["PolicyId"], "Policy.PolicyId")
        # The provider's read after create.
        iam.get_policy(PolicyArn=policy_arn)
        iam.get_policy_version(PolicyArn=policy_arn, VersionId="v1")
        eq(iam.list_policy_tags(PolicyArn=policy_arn)["Tags"], [], "tags of the new policy")

    r.check(f"aws.iam.Policy {policy_logical}: CreatePolicy {policy_name}", create_policy)

    for arn in managed_attachments + [policy_arn]:
        def attach(arn=arn):
            iam.attach_role_policy(RoleName=role_name, PolicyArn=arn)
            got = [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]]
            ok(arn in got, f"{arn} in the role's attached policies after AttachRolePolicy")

        r.check(f"aws.iam.RolePolicyAttachment: AttachRolePolicy {arn}", attach)

    r.check("exports role_name and role_arn",
            lambda: (eq(iam.get_role(RoleName=role_name)["Role"]["Arn"], role_arn, "role_arn"),))

    # ---- read everything back
    def get_role():
        role = iam.get_role(RoleName=role_name)["Role"]
        eq(role["RoleName"], role_name, "Role.RoleName")
        eq(role["Arn"], role_arn, "Role.Arn")
        eq(role["Path"], "/", "Role.Path")
        eq(role["MaxSessionDuration"], 3600, "Role.MaxSessionDuration")
        match(ISO_DATE, role["CreateDate"].isoformat(), "Role.CreateDate")
        eq(role["AssumeRolePolicyDocument"], trust, "Role.AssumeRolePolicyDocument (as a dict)")
        eq(raw.document("GetRole", "AssumeRolePolicyDocument"), trust_text,
           "trust policy text in GetRole's answer, as sent")

    r.check("get_role: name, ARN, path, trust policy", get_role)

    def attachments():
        got = sorted(
            (p["PolicyName"], p["PolicyArn"])
            for p in iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]
        )
        want = sorted([(a.rsplit("/", 1)[-1], a) for a in managed_attachments] + [(policy_name, policy_arn)])
        eq(got, want, "AttachedPolicies")

    r.check("list_attached_role_policies: exactly the program's attachments", attachments)

    def get_policy():
        p = iam.get_policy(PolicyArn=policy_arn)["Policy"]
        eq(p["PolicyName"], policy_name, "Policy.PolicyName")
        eq(p["Arn"], policy_arn, "Policy.Arn")
        eq(p["Path"], "/", "Policy.Path")
        eq(p["DefaultVersionId"], "v1", "Policy.DefaultVersionId")
        eq(p["AttachmentCount"], 1, "Policy.AttachmentCount")
        eq(p["IsAttachable"], True, "Policy.IsAttachable")
        eq(p.get("Description"), policy_description, "Policy.Description")
        for arn in managed_attachments:
            aws = iam.get_policy(PolicyArn=arn)["Policy"]
            eq(aws["AttachmentCount"], 1, f"AttachmentCount of {arn} in this account")

    r.check("get_policy: name, ARN, description, attachment count", get_policy)

    def get_policy_version():
        v = iam.get_policy_version(PolicyArn=policy_arn, VersionId="v1")["PolicyVersion"]
        eq(v["VersionId"], "v1", "VersionId")
        eq(v["IsDefaultVersion"], True, "IsDefaultVersion")
        eq(v["Document"], policy_doc, "Document (as a dict)")
        eq(raw.document("GetPolicyVersion", "Document"), policy_text, "document text, as sent")

    r.check("get_policy_version: the document round-trips", get_policy_version)

    def entities():
        out = iam.list_entities_for_policy(PolicyArn=policy_arn)
        eq([x["RoleName"] for x in out["PolicyRoles"]], [role_name], "PolicyRoles")
        eq(out["PolicyGroups"] + out["PolicyUsers"], [], "PolicyGroups and PolicyUsers")

    r.check("list_entities_for_policy: the role", entities)

    # ---- pulumi destroy
    def destroy():
        for arn in managed_attachments + [policy_arn]:
            iam.detach_role_policy(RoleName=role_name, PolicyArn=arn)
        versions = iam.list_policy_versions(PolicyArn=policy_arn)["Versions"]
        eq([v["VersionId"] for v in versions], ["v1"], "policy versions")
        iam.delete_policy(PolicyArn=policy_arn)
        eq(iam.list_instance_profiles_for_role(RoleName=role_name)["InstanceProfiles"], [],
           "instance profiles of the role")
        iam.delete_role(RoleName=role_name)

    r.check("pulumi destroy: detach, delete policy, delete role", destroy)
    r.check("after destroy: get_role is NoSuchEntity",
            expect_no_such_entity(lambda: iam.get_role(RoleName=role_name), "get_role"))
    r.check("after destroy: get_policy is NoSuchEntity",
            expect_no_such_entity(lambda: iam.get_policy(PolicyArn=policy_arn), "get_policy"))
    for arn in managed_attachments:
        r.check(f"after destroy: {arn.rsplit('/', 1)[-1]} attached nowhere",
                lambda arn=arn: eq(iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"], 0,
                                   "AttachmentCount"))


def program_001(r: Runner) -> None:
    r.section("seed 001: Pulumi program, AI data processing role (boto3)")
    seed = r.seed("001_77d95be8fc61ae5e.txt", "IAM Policy Attachments for AI Data Processing Roles",
                  note="its Pulumi program done with boto3")
    ok("aws.iam.Role(\"aiDataProcessingRole\"" in seed.text, "seed 001 has the Pulumi program")
    # json.dumps of the program's dicts, as the program renders them.
    trust_text = json.dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }],
    })
    policy_text = json.dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Action": ["s3:ListBucket", "s3:GetObject", "s3:PutObject"],
            "Resource": ["arn:aws:s3:::example-bucket/*"],
        }],
    })
    play_program(
        r, seed,
        role_logical="aiDataProcessingRole",
        trust_text=trust_text,
        policy_logical="aiCustomPolicy",
        policy_text=policy_text,
        policy_description="A custom policy for AI data processing that allows specific actions on S3 buckets.",
        managed_attachments=["arn:aws:iam::aws:policy/ReadOnlyAccess"],
    )


def program_002(r: Runner) -> None:
    r.section("seed 002: Pulumi program, AI service role (boto3)")
    seed = r.seed("002_7149cbe82a8faa52.txt", "Delegating Permissions for AI Service Accounts",
                  note="its Pulumi program done with boto3")
    ok('ai_service_principal = "ai-service.amazonaws.com"' in seed.text, "seed 002 has the Pulumi program")
    # aws.iam.get_policy_document renders JSON indented by two spaces, Effect defaulted to
    # Allow, no empty Sid, a single value as a string and the action set sorted.
    trust_text = (
        "{\n"
        '  "Version": "2012-10-17",\n'
        '  "Statement": [\n'
        "    {\n"
        '      "Effect": "Allow",\n'
        '      "Action": "sts:AssumeRole",\n'
        '      "Principal": {\n'
        '        "Service": "ai-service.amazonaws.com"\n'
        "      }\n"
        "    }\n"
        "  ]\n"
        "}"
    )
    policy_text = (
        "{\n"
        '  "Version": "2012-10-17",\n'
        '  "Statement": [\n'
        "    {\n"
        '      "Effect": "Allow",\n'
        '      "Action": [\n'
        '        "s3:GetObject",\n'
        '        "s3:PutObject"\n'
        "      ],\n"
        '      "Resource": "arn:aws:s3:::example-bucket/*"\n'
        "    }\n"
        "  ]\n"
        "}"
    )
    play_program(
        r, seed,
        role_logical="aiServiceRole",
        trust_text=trust_text,
        policy_logical="aiServicePolicy",
        policy_text=policy_text,
        policy_description=None,
        managed_attachments=[],
    )


def run_all(r: Runner) -> None:
    for program in (program_001, program_002):
        try:
            program(r)
        except Exception as e:  # noqa: BLE001 - a broken program is a failure, not a crash
            import traceback

            r._record(f"{program.__name__} stopped: {e!r}", "boto3", "FAIL",
                      detail=traceback.format_exc(limit=4))
