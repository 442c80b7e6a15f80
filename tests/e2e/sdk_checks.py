"""boto3 against the server: error responses as botocore sees them, and paginators."""

from __future__ import annotations

import json

from botocore.exceptions import ClientError

from harness import ACCOUNT, Runner, eq, ok
from pulumi_programs import client, error_of

TRUST = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
})


def raises(fn, code: str, status: int, message: str | None = None, message_start: str | None = None):
    """A check that `fn` fails with this AWS error code, HTTP status and message."""

    def check():
        try:
            fn()
        except ClientError as e:
            eq(error_of(e), (code, status), "(Error.Code, HTTPStatusCode)")
            got = e.response["Error"].get("Message")
            if message is not None:
                eq(got, message, "Error.Message")
            if message_start is not None:
                ok(got and got.startswith(message_start), f"Error.Message {got!r} starts with {message_start!r}")
            ok(e.response["ResponseMetadata"].get("RequestId"), "a RequestId in the error answer")
            return
        raise AssertionError(f"the call succeeded; expected {code}")

    return check


def errors(r: Runner) -> None:
    r.section("boto3: error responses")
    iam = client(r)
    r.check("get_role of a missing role: NoSuchEntity, 404",
            raises(lambda: iam.get_role(RoleName="e2e-no-such-role"), "NoSuchEntity", 404,
                   "The role with name e2e-no-such-role cannot be found."))

    r.check("create_role e2e-errors", lambda: iam.create_role(RoleName="e2e-errors", AssumeRolePolicyDocument=TRUST))
    r.check("create_role of an existing role: EntityAlreadyExists, 409",
            raises(lambda: iam.create_role(RoleName="e2e-errors", AssumeRolePolicyDocument=TRUST),
                   "EntityAlreadyExists", 409, "Role with name e2e-errors already exists."))

    with_resource = json.dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Resource": "*",
        }],
    })
    r.check("create_role with a trust policy that has Resource: MalformedPolicyDocument, 400",
            raises(lambda: iam.create_role(RoleName="e2e-malformed", AssumeRolePolicyDocument=with_resource),
                   "MalformedPolicyDocument", 400, "Has prohibited field Resource"))
    r.check("the malformed role was not created",
            raises(lambda: iam.get_role(RoleName="e2e-malformed"), "NoSuchEntity", 404))

    r.check("attach ReadOnlyAccess to e2e-errors",
            lambda: iam.attach_role_policy(RoleName="e2e-errors", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess"))
    r.check("delete_role with an attached policy: DeleteConflict, 409",
            raises(lambda: iam.delete_role(RoleName="e2e-errors"), "DeleteConflict", 409,
                   "Cannot delete entity, must detach all policies first."))
    r.check("attach a policy that does not exist: NoSuchEntity, 404",
            raises(lambda: iam.attach_role_policy(RoleName="e2e-errors",
                                                  PolicyArn=f"arn:aws:iam::{ACCOUNT}:policy/e2e-nothing"),
                   "NoSuchEntity", 404,
                   f"Policy arn:aws:iam::{ACCOUNT}:policy/e2e-nothing does not exist or is not attachable."))

    def detach_and_delete():
        iam.detach_role_policy(RoleName="e2e-errors", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
        iam.delete_role(RoleName="e2e-errors")

    r.check("detach, then delete_role succeeds", detach_and_delete)

    # The other DeleteConflicts: inline policy, instance profile, attached policy.
    def inline_and_profile():
        iam.create_role(RoleName="e2e-inline", AssumeRolePolicyDocument=TRUST)
        iam.put_role_policy(RoleName="e2e-inline", PolicyName="p", PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]}))
        iam.create_role(RoleName="e2e-profiled", AssumeRolePolicyDocument=TRUST)
        iam.create_instance_profile(InstanceProfileName="e2e-profile")
        iam.add_role_to_instance_profile(InstanceProfileName="e2e-profile", RoleName="e2e-profiled")
        iam.create_policy(PolicyName="e2e-attached", PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]}))
        iam.attach_role_policy(RoleName="e2e-profiled", PolicyArn=f"arn:aws:iam::{ACCOUNT}:policy/e2e-attached")
        iam.detach_role_policy(RoleName="e2e-profiled", PolicyArn=f"arn:aws:iam::{ACCOUNT}:policy/e2e-attached")
        iam.attach_role_policy(RoleName="e2e-inline", PolicyArn=f"arn:aws:iam::{ACCOUNT}:policy/e2e-attached")

    r.check("roles with an inline policy, in an instance profile, with a customer policy", inline_and_profile)
    r.check("delete_policy of an attached policy: DeleteConflict, 409",
            raises(lambda: iam.delete_policy(PolicyArn=f"arn:aws:iam::{ACCOUNT}:policy/e2e-attached"),
                   "DeleteConflict", 409, "Cannot delete a policy attached to entities."))
    r.check("detach it", lambda: iam.detach_role_policy(
        RoleName="e2e-inline", PolicyArn=f"arn:aws:iam::{ACCOUNT}:policy/e2e-attached"))
    r.check("delete_role with an inline policy: DeleteConflict, 409",
            raises(lambda: iam.delete_role(RoleName="e2e-inline"), "DeleteConflict", 409,
                   "Cannot delete entity, must delete policies first."))
    r.check("delete_role of a role in an instance profile: DeleteConflict, 409",
            raises(lambda: iam.delete_role(RoleName="e2e-profiled"), "DeleteConflict", 409,
                   "Cannot delete entity, must remove roles from instance profile first."))

    def clean():
        iam.delete_policy(PolicyArn=f"arn:aws:iam::{ACCOUNT}:policy/e2e-attached")
        iam.delete_role_policy(RoleName="e2e-inline", PolicyName="p")
        iam.delete_role(RoleName="e2e-inline")
        iam.remove_role_from_instance_profile(InstanceProfileName="e2e-profile", RoleName="e2e-profiled")
        iam.delete_instance_profile(InstanceProfileName="e2e-profile")
        iam.delete_role(RoleName="e2e-profiled")

    r.check("after removing what holds them, the deletes succeed", clean)

    key, secret = r.root
    wrong = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    bad = client(r, creds=(key, wrong))
    r.check("a wrong secret key: SignatureDoesNotMatch, 403",
            raises(lambda: bad.list_roles(), "SignatureDoesNotMatch", 403,
                   message_start="The request signature we calculated does not match the signature you provided."))
    r.check("the same with STS GetCallerIdentity: SignatureDoesNotMatch, 403",
            raises(lambda: client(r, "sts", creds=(key, wrong)).get_caller_identity(),
                   "SignatureDoesNotMatch", 403))
    unknown = client(r, creds=("AKIAE2EUNKNOWN000001", secret))
    r.check("an unknown access key: InvalidClientTokenId, 403",
            raises(lambda: unknown.list_roles(), "InvalidClientTokenId", 403,
                   # STS answers without the final period, older IAM answers had one.
                   message_start="The security token included in the request is invalid"))

    # A user with no policy is denied: every call is authorized in the default mode.
    def make_user():
        iam.create_user(UserName="e2e-nopolicy")
        k = iam.create_access_key(UserName="e2e-nopolicy")["AccessKey"]
        return k["AccessKeyId"], k["SecretAccessKey"]

    creds = r.check("create user e2e-nopolicy with an access key", make_user)
    if creds:
        sts = client(r, "sts", creds=creds)
        r.check("e2e-nopolicy: sts get_caller_identity needs no permission",
                lambda: eq(sts.get_caller_identity()["Arn"], f"arn:aws:iam::{ACCOUNT}:user/e2e-nopolicy", "Arn"))
        r.check("e2e-nopolicy: iam get_user is AccessDenied, 403",
                raises(lambda: client(r, creds=creds).get_user(UserName="e2e-nopolicy"), "AccessDenied", 403,
                       message_start=f"User: arn:aws:iam::{ACCOUNT}:user/e2e-nopolicy is not authorized "
                                     "to perform: iam:GetUser on resource: "))

    r.check("root: sts get_caller_identity",
            lambda: eq(client(r, "sts").get_caller_identity()["Arn"], f"arn:aws:iam::{ACCOUNT}:root", "Arn"))


def paginators(r: Runner) -> None:
    r.section("boto3: paginators")
    iam = client(r)
    names = [f"e2e-page-{i}" for i in range(7)]

    def create():
        for n in names:
            iam.create_role(RoleName=n, Path="/e2e/paginate/", AssumeRolePolicyDocument=TRUST)

    r.check("create 7 roles under /e2e/paginate/", create)

    def by_prefix():
        pages = list(iam.get_paginator("list_roles").paginate(
            PathPrefix="/e2e/paginate/", PaginationConfig={"PageSize": 2}))
        eq([len(p["Roles"]) for p in pages], [2, 2, 2, 1], "roles per page")
        eq([p["IsTruncated"] for p in pages], [True, True, True, False], "IsTruncated per page")
        got = [x["RoleName"] for p in pages for x in p["Roles"]]
        eq(sorted(got), names, "roles over all pages")

    r.check("list_roles paginator, PageSize=2, PathPrefix: 7 roles in 4 pages", by_prefix)

    def build_full():
        got = iam.get_paginator("list_roles").paginate(
            PathPrefix="/e2e/paginate/", PaginationConfig={"PageSize": 2}).build_full_result()
        eq(sorted(x["RoleName"] for x in got["Roles"]), names, "build_full_result Roles")

    r.check("list_roles paginator build_full_result gives all 7", build_full)

    def max_items():
        it = iam.get_paginator("list_roles").paginate(
            PathPrefix="/e2e/paginate/", PaginationConfig={"PageSize": 2, "MaxItems": 3})
        first = it.build_full_result()
        eq(len(first["Roles"]), 3, "MaxItems=3")
        ok(first.get("NextToken"), "a NextToken to resume")
        rest = iam.get_paginator("list_roles").paginate(
            PathPrefix="/e2e/paginate/",
            PaginationConfig={"PageSize": 2, "StartingToken": first["NextToken"]}).build_full_result()
        eq(sorted(x["RoleName"] for x in first["Roles"] + rest["Roles"]), names, "resumed with StartingToken")

    r.check("list_roles paginator MaxItems=3 then StartingToken: 3 + 4", max_items)

    def everything():
        paged = [x["RoleName"] for p in iam.get_paginator("list_roles").paginate(
            PaginationConfig={"PageSize": 2}) for x in p["Roles"]]
        once = iam.list_roles(MaxItems=1000)
        eq(once["IsTruncated"], False, "one page of 1000 holds every role")
        eq(len(paged), len(set(paged)), "no role twice over the pages")
        eq(sorted(paged), sorted(x["RoleName"] for x in once["Roles"]), "every role, paged by 2")

    r.check("list_roles paginator, PageSize=2, whole account: the same roles as one big page", everything)

    def aws_managed():
        arns = [p["Arn"] for page in iam.get_paginator("list_policies").paginate(Scope="AWS") for p in page["Policies"]]
        eq(len(arns), len(set(arns)), "no policy twice over the pages")
        ok(all(a.startswith("arn:aws:iam::aws:policy/") for a in arns), "every ARN is an AWS managed policy's")
        eq(len(arns), 1582, "AWS managed policies")

    r.check("list_policies Scope=AWS paginator: all 1,582 AWS managed policies", aws_managed)

    def attached_paged():
        iam.create_role(RoleName="e2e-page-attached", AssumeRolePolicyDocument=TRUST)
        arns = [f"arn:aws:iam::aws:policy/{n}" for n in ("ReadOnlyAccess", "AmazonS3ReadOnlyAccess", "IAMReadOnlyAccess")]
        for a in arns:
            iam.attach_role_policy(RoleName="e2e-page-attached", PolicyArn=a)
        pages = list(iam.get_paginator("list_attached_role_policies").paginate(
            RoleName="e2e-page-attached", PaginationConfig={"PageSize": 1}))
        eq([len(p["AttachedPolicies"]) for p in pages], [1, 1, 1], "policies per page")
        eq(sorted(x["PolicyArn"] for p in pages for x in p["AttachedPolicies"]), sorted(arns), "attached policies")

    r.check("list_attached_role_policies paginator, PageSize=1: 3 pages", attached_paged)

    def cleanup():
        for n in names:
            iam.delete_role(RoleName=n)
        for p in iam.list_attached_role_policies(RoleName="e2e-page-attached")["AttachedPolicies"]:
            iam.detach_role_policy(RoleName="e2e-page-attached", PolicyArn=p["PolicyArn"])
        iam.delete_role(RoleName="e2e-page-attached")
        eq(iam.list_roles(PathPrefix="/e2e/")["Roles"], [], "roles under /e2e/ after cleanup")

    r.check("delete the paginator roles", cleanup)


def run_all(r: Runner) -> None:
    for part in (errors, paginators):
        try:
            part(r)
        except Exception as e:  # noqa: BLE001 - a broken part is a failure, not a crash
            import traceback

            r._record(f"{part.__name__} stopped: {e!r}", "boto3", "FAIL", detail=traceback.format_exc(limit=4))
