"""STS and the enforcement of temporary credentials with the real aws CLI and boto3.

Seed 000 documents AICore-DataScientist-Role and AICore-DataEngineer-Role as human-assumable
roles, assumed with `aws sts assume-role --role-arn <role-arn> --role-session-name
<your-session-name> --duration-seconds 3600`, and asks for "MFA Enforcement: Require MFA for
assumable roles". Here the two roles (created by seeds.py) get a trust policy requiring
`aws:MultiFactorAuthPresent`; a user with a virtual MFA device (made with the aws CLI, its
seed written by `--outfile`, enabled with two TOTP codes computed here) runs the seed's
command verbatim (denied), then with `--serial-number` and `--token-code` (allowed), then
replays the code and types a wrong one (both refused with AWS's message). The engineers' role
is done the same way with boto3.

Then boto3 and the CLI go through the rest of STS: a ReadOnlyAccess user, a permissions
boundary, session policies, ExternalId, session tags, role chaining, who-am-i for every kind
of principal, GetSessionToken, GetFederationToken, the root, DecodeAuthorizationMessage.

Checks blocked by a server bug are marked `xfail=(description, pattern)` (see harness.py).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import shlex
import struct
import time
import traceback
from datetime import datetime, timezone

from botocore.exceptions import ClientError

from harness import ACCOUNT, CheckFailed, Runner, eq, match, ok
from pulumi_programs import client, error_of

q = shlex.quote

SCIENTIST = "AICore-DataScientist-Role"
ENGINEER = "AICore-DataEngineer-Role"

# AWS's messages (sources in crates/e2e/tests/sts.rs, next to the same assertions).
BAD_CODE = "MultiFactorAuthentication failed with invalid MFA one time pass code."
CHAINING_LIMIT = "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."
ROOT_CANNOT_ASSUME = "Roles may not be assumed by root accounts."


def role_arn(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/{name}"


def user_arn(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:user/{name}"


def assumed_arn(role: str, session: str) -> str:
    return f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{session}"


def doc(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def trust_account(actions=("sts:AssumeRole",), condition: dict | None = None) -> str:
    statement = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": list(actions)}
    if condition:
        statement["Condition"] = condition
    return doc(statement)


def allow(actions, resources=("*",), condition: dict | None = None) -> str:
    statement = {"Effect": "Allow", "Action": list(actions), "Resource": list(resources)}
    if condition:
        statement["Condition"] = condition
    return doc(statement)


MFA_PRESENT = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}


# --------------------------------------------------------------------------- TOTP


def totp(seed_base32: str, step: int) -> str:
    """The RFC 6238 code (HMAC-SHA1, 6 digits, 30-second steps) of a Base32 seed at a step."""
    key = base64.b32decode(seed_base32 + "=" * (-len(seed_base32) % 8))
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    number = (struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000
    return f"{number:06d}"


def now_step() -> int:
    return int(time.time()) // 30


def wrong_code(seed: str, step: int) -> str:
    """A well-formed code that is none of the codes around `step`."""
    near = {totp(seed, s) for s in range(step - 4, step + 5)}
    return next(c for c in (f"{n * 7919 % 1_000_000:06d}" for n in range(1000)) if c not in near)


# --------------------------------------------------------------------------- helpers


def session_client(r: Runner, service: str, creds: dict):
    """A boto3 client signed with the Credentials of an STS answer."""
    import boto3
    from botocore.config import Config

    session = boto3.session.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name="us-east-1",
    )
    return session.client(service, endpoint_url=r.endpoint, config=Config(retries={"total_max_attempts": 1}))


def fails(fn, code: str, status: int, message: str | None = None, message_start: str | None = None,
          message_end: str | None = None) -> ClientError:
    """Runs `fn`, which must fail with this code, status and message; returns the error."""
    try:
        fn()
    except ClientError as e:
        eq(error_of(e), (code, status), "(Error.Code, HTTPStatusCode)")
        got = e.response["Error"].get("Message") or ""
        if message is not None:
            eq(got, message, "Error.Message")
        if message_start is not None:
            ok(got.startswith(message_start), f"Error.Message {got!r} starts with {message_start!r}")
        if message_end is not None:
            ok(got.endswith(message_end), f"Error.Message {got!r} ends with {message_end!r}")
        return e
    raise CheckFailed(f"the call succeeded; expected {code}")


def expires_in(expiration, seconds: int, what: str = "Expiration") -> None:
    """`expiration` (a datetime, or ISO 8601 text) is `seconds` from now, within a minute."""
    if isinstance(expiration, str):
        expiration = datetime.fromisoformat(expiration.replace("Z", "+00:00"))
    delta = (expiration - datetime.now(timezone.utc)).total_seconds()
    ok(abs(delta - seconds) < 60, f"{what} is {delta:.0f} s from now, expected {seconds}")


def user_with_key(iam, name: str, policy: str | None = None) -> tuple[str, str]:
    iam.create_user(UserName=name)
    if policy:
        iam.put_user_policy(UserName=name, PolicyName="inline", PolicyDocument=policy)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def sts_denial(caller: str, action: str, role: str) -> str:
    return f"User: {caller} is not authorized to perform: {action} on resource: {role_arn(role)}"


# --------------------------------------------------------------------------- seed 000 with MFA


def seed_000_mfa(r: Runner) -> None:
    r.section("STS: seed 000's human roles with MFA (aws CLI)")
    seed = next(s for s in r.seeds if s.short == "000")
    assume_cmd = seed.command("aws sts assume-role")
    user = "ai-core-scientist"
    r.write("trust-human-mfa.json", trust_account(condition=MFA_PRESENT))
    for role in (SCIENTIST, ENGINEER):
        r.cli(f"aws iam update-assume-role-policy --role-name {role} --policy-document file://trust-human-mfa.json",
              label=f"require MFA in the trust policy of {role} (the seed's 'MFA Enforcement')")
    r.cli(
        f"aws iam get-role --role-name {SCIENTIST} --query Role.AssumeRolePolicyDocument",
        label=f"{SCIENTIST}'s trust policy now requires aws:MultiFactorAuthPresent",
        check=lambda out: eq(out["Statement"][0].get("Condition"), MFA_PRESENT, "Statement[0].Condition"),
    )
    r.write("read-roles-with-mfa.json", allow(["iam:GetRole", "iam:ListRoles"], condition=MFA_PRESENT))
    r.cli(f"aws iam put-role-policy --role-name {SCIENTIST} --policy-name ReadRolesWithMfa "
          "--policy-document file://read-roles-with-mfa.json")

    # The person: a user with a key, allowed to assume the human roles, with a virtual MFA device.
    got = {}

    def key_made(out):
        got["creds"] = (out["AccessKey"]["AccessKeyId"], out["AccessKey"]["SecretAccessKey"])

    r.cli(f"aws iam create-user --user-name {user}")
    r.cli(f"aws iam create-access-key --user-name {user}", check=key_made)
    r.write("assume-human.json", allow(["sts:AssumeRole"], [role_arn(SCIENTIST), role_arn(ENGINEER)]))
    r.cli(f"aws iam put-user-policy --user-name {user} --policy-name AssumeHumanRoles "
          "--policy-document file://assume-human.json")

    def device_made(out):
        got["serial"] = out["VirtualMFADevice"]["SerialNumber"]
        eq(got["serial"], f"arn:aws:iam::{ACCOUNT}:mfa/{user}", "VirtualMFADevice.SerialNumber")
        seed_text = (r.workdir / "mfa-seed.txt").read_text().strip()
        match(r"[A-Z2-7]+=*", seed_text, "the Base32 seed written by --outfile")
        got["seed"] = seed_text

    r.cli(f"aws iam create-virtual-mfa-device --virtual-mfa-device-name {user} "
          "--outfile mfa-seed.txt --bootstrap-method Base32StringSeed", check=device_made)
    creds = got.get("creds")
    if not creds or "seed" not in got:
        return
    serial, seed_b32 = got["serial"], got["seed"]
    step = now_step()
    r.cli(f"aws iam enable-mfa-device --user-name {user} --serial-number {serial} "
          f"--authentication-code1 {totp(seed_b32, step - 1)} --authentication-code2 {totp(seed_b32, step)}",
          label="enable-mfa-device with two consecutive TOTP codes")
    r.cli(f"aws iam list-mfa-devices --user-name {user}",
          check=lambda out: eq([d["SerialNumber"] for d in out["MFADevices"]], [serial], "MFADevices"))

    subs = {"<role-arn>": role_arn(SCIENTIST), "<your-session-name>": "alice-analysis"}
    # The seed's command, verbatim: no MFA, so the trust policy's condition denies it.
    r.cli(assume_cmd, subs=subs, creds=creds, expect_error="AccessDenied",
          check=lambda message: eq(message, sts_denial(user_arn(user), "sts:AssumeRole", SCIENTIST), "message"))
    verbatim = assume_cmd.text
    for k, v in subs.items():
        verbatim = verbatim.replace(k, v)
    # A wrong code.
    wrong = wrong_code(seed_b32, step)
    r.cli(f"{verbatim} \\\n  --serial-number {serial} --token-code {wrong}",
          label="the seed's assume-role with --serial-number and a wrong --token-code",
          creds=creds, expect_error="AccessDenied", check=lambda message: eq(message, BAD_CODE, "message"))
    # The right code.
    code = totp(seed_b32, step + 1)
    session = {}

    def assumed(out):
        eq(out["AssumedRoleUser"]["Arn"], assumed_arn(SCIENTIST, "alice-analysis"), "AssumedRoleUser.Arn")
        match(r"AROA[A-Z0-9]{17}:alice-analysis", out["AssumedRoleUser"]["AssumedRoleId"], "AssumedRoleId")
        c = out["Credentials"]
        match(r"ASIA[A-Z0-9]{16}", c["AccessKeyId"], "Credentials.AccessKeyId")
        expires_in(c["Expiration"], 3600, "Credentials.Expiration (--duration-seconds 3600)")
        session.update(c)

    r.cli(f"{verbatim} \\\n  --serial-number {serial} --token-code {code}",
          label="the seed's assume-role with --serial-number and --token-code <valid TOTP>",
          creds=creds, check=assumed)
    if session:
        token_env = f"AWS_SESSION_TOKEN={q(session['SessionToken'])}"
        pair = (session["AccessKeyId"], session["SecretAccessKey"])
        r.cli(f"{token_env} aws sts get-caller-identity", label="sts get-caller-identity in the role session",
              creds=pair,
              check=lambda out: (eq(out["Arn"], assumed_arn(SCIENTIST, "alice-analysis"), "Arn"),
                                 match(r"AROA[A-Z0-9]{17}:alice-analysis", out["UserId"], "UserId")))
        r.cli(f"{token_env} aws iam get-role --role-name {SCIENTIST} --query Role.RoleName",
              label="iam get-role in the role session (allowed only with MFA)", creds=pair,
              check=lambda out: eq(out, SCIENTIST, "Role.RoleName"))
    # The same code again, and an older one.
    r.cli(f"{verbatim} \\\n  --serial-number {serial} --token-code {code}",
          label="the same assume-role with the same code again (replayed)",
          creds=creds, expect_error="AccessDenied", check=lambda message: eq(message, BAD_CODE, "message"))
    r.cli(f"{verbatim} \\\n  --serial-number {serial} --token-code {totp(seed_b32, step)}",
          label="assume-role with the code EnableMFADevice already used",
          creds=creds, expect_error="AccessDenied", check=lambda message: eq(message, BAD_CODE, "message"))

    # The engineers' role with boto3, for another engineer with another device.
    iam = client(r)

    def engineer_flow():
        name = "ai-core-engineer"
        keys = user_with_key(iam, name, allow(["sts:AssumeRole"], [role_arn(ENGINEER)]))
        device = iam.create_virtual_mfa_device(VirtualMFADeviceName=name)["VirtualMFADevice"]
        seed_text = device["Base32StringSeed"].decode("ascii")
        t = now_step()
        iam.enable_mfa_device(UserName=name, SerialNumber=device["SerialNumber"],
                              AuthenticationCode1=totp(seed_text, t - 1), AuthenticationCode2=totp(seed_text, t))
        sts = client(r, "sts", creds=keys)
        args = dict(RoleArn=role_arn(ENGINEER), RoleSessionName="etl", DurationSeconds=3600)
        fails(lambda: sts.assume_role(**args), "AccessDenied", 403,
              message_start=sts_denial(user_arn(name), "sts:AssumeRole", ENGINEER))
        fails(lambda: sts.assume_role(**args, SerialNumber=device["SerialNumber"], TokenCode=wrong_code(seed_text, t)),
              "AccessDenied", 403, BAD_CODE)
        good = totp(seed_text, t + 1)
        out = sts.assume_role(**args, SerialNumber=device["SerialNumber"], TokenCode=good)
        eq(out["AssumedRoleUser"]["Arn"], assumed_arn(ENGINEER, "etl"), "AssumedRoleUser.Arn")
        expires_in(out["Credentials"]["Expiration"], 3600)
        fails(lambda: sts.assume_role(**args, SerialNumber=device["SerialNumber"], TokenCode=good),
              "AccessDenied", 403, BAD_CODE)

    r.check(f"boto3: {ENGINEER} needs MFA; a valid code works once, a wrong one never", engineer_flow)


# --------------------------------------------------------------------------- enforcement


def enforcement(r: Runner) -> None:
    r.section("STS: enforcement of temporary credentials (boto3)")
    iam = client(r)
    root_sts = client(r, "sts")

    # A ReadOnlyAccess user.
    reader = {}

    def make_reader():
        reader["keys"] = user_with_key(iam, "sts-reader")
        iam.attach_user_policy(UserName="sts-reader", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")

    r.check("user sts-reader with ReadOnlyAccess", make_reader)
    if reader:
        reader_iam = client(r, creds=reader["keys"])
        r.check("sts-reader lists roles", lambda: ok(reader_iam.list_roles()["Roles"], "some roles"))
        r.check("sts-reader may not CreateRole: AWS's message",
                lambda: fails(lambda: reader_iam.create_role(RoleName="sts-new-role", AssumeRolePolicyDocument=trust_account()),
                              "AccessDenied", 403,
                              f"User: {user_arn('sts-reader')} is not authorized to perform: iam:CreateRole on resource: "
                              f"{role_arn('sts-new-role')} because no identity-based policy allows the iam:CreateRole action"))

    # One user who may assume every role and tag sessions, and the roles.
    keys = {}

    def setup():
        keys["assumer"] = user_with_key(iam, "sts-assumer", allow(["sts:AssumeRole", "sts:TagSession"]))
        iam.create_policy(PolicyName="sts-get-list-only", PolicyDocument=allow(["iam:Get*", "iam:List*"]))
        iam.create_role(RoleName="sts-capped", AssumeRolePolicyDocument=trust_account(),
                        PermissionsBoundary=f"arn:aws:iam::{ACCOUNT}:policy/sts-get-list-only")
        iam.attach_role_policy(RoleName="sts-capped", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
        iam.create_role(RoleName="sts-broad", AssumeRolePolicyDocument=trust_account())
        iam.attach_role_policy(RoleName="sts-broad", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
        iam.create_role(RoleName="sts-vendor", AssumeRolePolicyDocument=trust_account(
            condition={"StringEquals": {"sts:ExternalId": "Unique-ID-7f3a9"}}))
        iam.create_role(RoleName="sts-tagged", AssumeRolePolicyDocument=trust_account(["sts:AssumeRole", "sts:TagSession"]))
        iam.put_role_policy(RoleName="sts-tagged", PolicyName="ml-only", PolicyDocument=allow(
            ["iam:GetRole"], condition={"StringEquals": {"aws:PrincipalTag/team": "ml"}}))
        iam.create_role(RoleName="sts-hop1", AssumeRolePolicyDocument=trust_account())
        iam.put_role_policy(RoleName="sts-hop1", PolicyName="hop", PolicyDocument=allow(["sts:AssumeRole"], [role_arn("sts-hop2")]))
        iam.create_role(RoleName="sts-hop2", MaxSessionDuration=43200, AssumeRolePolicyDocument=doc(
            {"Effect": "Allow", "Principal": {"AWS": role_arn("sts-hop1")}, "Action": "sts:AssumeRole"}))

    r.check("roles sts-capped (AdministratorAccess, boundary Get*/List*), sts-broad, sts-vendor, sts-tagged, "
            "sts-hop1, sts-hop2; user sts-assumer", setup)
    if not keys:
        return
    sts = client(r, "sts", creds=keys["assumer"])

    def assume(role, session, **kw):
        return sts.assume_role(RoleArn=role_arn(role), RoleSessionName=session, **kw)

    def boundary():
        s = session_client(r, "iam", assume("sts-capped", "capped")["Credentials"])
        eq(s.get_role(RoleName="sts-capped")["Role"]["RoleName"], "sts-capped", "GetRole")
        fails(lambda: s.create_user(UserName="sts-intruder"), "AccessDenied", 403,
              f"User: {assumed_arn('sts-capped', 'capped')} is not authorized to perform: iam:CreateUser on resource: "
              f"{user_arn('sts-intruder')} because no permissions boundary allows the iam:CreateUser action")

    r.check("a permissions boundary caps AdministratorAccess: GetRole yes, CreateUser no", boundary)

    def session_policy():
        out = assume("sts-broad", "narrowed", Policy=allow(["iam:GetRole"]))
        ok(1 <= out.get("PackedPolicySize", 0) <= 100, f"PackedPolicySize {out.get('PackedPolicySize')}")
        s = session_client(r, "iam", out["Credentials"])
        s.get_role(RoleName="sts-broad")
        fails(lambda: s.list_roles(), "AccessDenied", 403,
              f"User: {assumed_arn('sts-broad', 'narrowed')} is not authorized to perform: iam:ListRoles on resource: "
              f"arn:aws:iam::{ACCOUNT}:role/ because no session policy allows the iam:ListRoles action")
        out = assume("sts-broad", "managed", PolicyArns=[{"arn": "arn:aws:iam::aws:policy/IAMReadOnlyAccess"}])
        s = session_client(r, "iam", out["Credentials"])
        s.list_roles()
        fails(lambda: s.create_role(RoleName="sts-sneaky", AssumeRolePolicyDocument=trust_account()),
              "AccessDenied", 403, message_end="because no session policy allows the iam:CreateRole action")

    r.check("session policies (Policy, PolicyArns) narrow an AdministratorAccess session", session_policy)

    def external_id():
        base = sts_denial(user_arn("sts-assumer"), "sts:AssumeRole", "sts-vendor")
        fails(lambda: assume("sts-vendor", "v1"), "AccessDenied", 403, message_start=base)
        fails(lambda: assume("sts-vendor", "v1", ExternalId="wrong-id"), "AccessDenied", 403, message_start=base)
        assume("sts-vendor", "v1", ExternalId="Unique-ID-7f3a9")

    r.check("ExternalId: refused without it or with another, accepted with it", external_id)

    def tags():
        ml = session_client(r, "iam", assume("sts-tagged", "ml", Tags=[{"Key": "team", "Value": "ml"}])["Credentials"])
        ml.get_role(RoleName="sts-tagged")
        data = session_client(r, "iam", assume("sts-tagged", "data", Tags=[{"Key": "team", "Value": "data"}])["Credentials"])
        fails(lambda: data.get_role(RoleName="sts-tagged"), "AccessDenied", 403,
              f"User: {assumed_arn('sts-tagged', 'data')} is not authorized to perform: iam:GetRole on resource: "
              "role sts-tagged because no identity-based policy allows the iam:GetRole action")
        fails(lambda: assume("sts-broad", "t1", Tags=[{"Key": "team", "Value": "ml"}]), "AccessDenied", 403,
              message_start=sts_denial(user_arn("sts-assumer"), "sts:TagSession", "sts-broad"))

    r.check("session tags: aws:PrincipalTag/team = ml allows, data denies; no sts:TagSession, no tags", tags)

    def chaining():
        first = session_client(r, "sts", assume("sts-hop1", "hop1")["Credentials"])
        fails(lambda: first.assume_role(RoleArn=role_arn("sts-hop2"), RoleSessionName="hop2", DurationSeconds=7200),
              "ValidationError", 400, CHAINING_LIMIT)
        out = first.assume_role(RoleArn=role_arn("sts-hop2"), RoleSessionName="hop2", DurationSeconds=3600)
        expires_in(out["Credentials"]["Expiration"], 3600)
        me = session_client(r, "sts", out["Credentials"]).get_caller_identity()
        eq(me["Arn"], assumed_arn("sts-hop2", "hop2"), "Arn of the chained session")

    r.check("role chaining: 7200 s is a ValidationError, 3600 s works", chaining)

    def who():
        me = root_sts.get_caller_identity()
        eq((me["UserId"], me["Arn"]), (ACCOUNT, f"arn:aws:iam::{ACCOUNT}:root"), "root")
        me = sts.get_caller_identity()
        match(r"AIDA[A-Z0-9]{17}", me["UserId"], "a user's UserId")
        out = assume("sts-broad", "who")
        me = session_client(r, "sts", out["Credentials"]).get_caller_identity()
        eq(me["Arn"], assumed_arn("sts-broad", "who"), "a role session's Arn")
        match(r"AROA[A-Z0-9]{17}:who", me["UserId"], "a role session's UserId")

    r.check("get_caller_identity: root, user, role session", who)

    def federation():
        fed_keys = user_with_key(iam, "sts-federator", allow(["sts:GetFederationToken"]))
        out = client(r, "sts", creds=fed_keys).get_federation_token(Name="fed-bob", DurationSeconds=900)
        eq(out["FederatedUser"]["Arn"], f"arn:aws:sts::{ACCOUNT}:federated-user/fed-bob", "FederatedUser.Arn")
        expires_in(out["Credentials"]["Expiration"], 900)
        me = session_client(r, "sts", out["Credentials"]).get_caller_identity()
        eq((me["UserId"], me["Arn"]), (f"{ACCOUNT}:fed-bob", f"arn:aws:sts::{ACCOUNT}:federated-user/fed-bob"),
           "federated user")

    r.check("get_federation_token: the federated user's identity", federation)

    def root_session():
        out = root_sts.get_session_token(DurationSeconds=7200)
        expires_in(out["Credentials"]["Expiration"], 3600, "the root's session (at most an hour)")

    r.check("root get_session_token for 7200 s lasts an hour", root_session)

    def gst_without_mfa():
        out = sts.get_session_token()
        expires_in(out["Credentials"]["Expiration"], 43200)
        fails(lambda: session_client(r, "iam", out["Credentials"]).list_roles(),
              "InvalidClientTokenId", 403, "The security token included in the request is invalid")

    r.check("a GetSessionToken session without MFA calling IAM: InvalidClientTokenId", gst_without_mfa)

    r.cli(f"aws sts assume-role --role-arn {role_arn('sts-broad')} --role-session-name root-try",
          label="the root may not assume a role", expect_error="AccessDenied",
          check=lambda message: eq(message, ROOT_CANNOT_ASSUME, "message"))


# --------------------------------------------------------------------------- decode


def decode(r: Runner) -> None:
    r.section("STS: DecodeAuthorizationMessage (boto3 and aws CLI)")
    iam = client(r)
    got = {}

    def denied():
        keys = user_with_key(iam, "sts-denied")
        try:
            client(r, creds=keys).create_role(RoleName="sts-blocked", AssumeRolePolicyDocument=trust_account())
        except ClientError as e:
            eq(error_of(e), ("AccessDenied", 403), "(Error.Code, HTTPStatusCode)")
            headers = e.response["ResponseMetadata"].get("HTTPHeaders", {})
            message = headers.get("x-portcullis-authorization-message")
            ok(message, f"no x-portcullis-authorization-message on AccessDenied (headers: {sorted(headers)})")
            got["message"] = message
            return
        raise CheckFailed("create_role succeeded for a user without policies")

    r.check("an AccessDenied answer carries x-portcullis-authorization-message", denied)

    def decoded(out):
        message = json.loads(out["DecodedMessage"])
        context = message["context"]
        eq(context["principal"]["arn"], user_arn("sts-denied"), "context.principal.arn")
        eq(context["action"], "iam:CreateRole", "context.action")
        eq(context["resource"], role_arn("sts-blocked"), "context.resource")
        eq(message["allowed"], False, "allowed")

    if "message" in got:
        r.cli(f"aws sts decode-authorization-message --encoded-message {q(got['message'])}",
              label="aws sts decode-authorization-message of that header", check=decoded)
    r.cli("aws sts decode-authorization-message --encoded-message not-a-message",
          expect_error="InvalidAuthorizationMessageException")


def run_all(r: Runner) -> None:
    for part in (seed_000_mfa, enforcement, decode):
        try:
            part(r)
        except Exception as e:  # noqa: BLE001 - a broken part is a failure, not a crash
            r._record(f"{part.__name__} stopped: {e!r}", "boto3", "FAIL", detail=traceback.format_exc(limit=4))
