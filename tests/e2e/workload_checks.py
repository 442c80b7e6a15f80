"""Workload credentials end to end: instance metadata, ECS task credentials, web identity.

Nothing in the workload part has a static key: the aws CLI and boto3 run in subprocesses
whose environment has no AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (nor run.sh's
AWS_EC2_METADATA_DISABLED) and a fresh HOME (the CLI caches assumed-role credentials in
~/.aws/cli/cache), so their default credential chain has to reach:

- EC2: an instance launched with `aws ec2 run-instances --iam-instance-profile` (signed with
  the root's keys) gets its own instance metadata listener on a loopback port (the answer's
  tag `portcullis:imds-endpoint`); SDKs find it with AWS_EC2_METADATA_SERVICE_ENDPOINT. Seed
  004's `aws ec2 run-instances` and its IMDSv1/IMDSv2 curl commands are run verbatim against
  instances of PetTracker-EC2-WebServer-Profile (seeds.py made it), only
  `http://169.254.169.254` replaced by the listener's URL; a shell function `curl` adds `-sS`
  and `-D FILE` (the status of each answer, read here).
- ECS: `aws ecs run-task --overrides '{"taskRoleArn": ...}'` answers as ECS does, with no
  credentials (nor does describe-tasks, even to a ReadOnlyAccess user); `portcullis task run`
  (the caller of RunTask, asking for them) prints the container's AWS_CONTAINER_* variables;
  SDKs get the task role's credentials from AWS_CONTAINER_CREDENTIALS_FULL_URI with
  AWS_CONTAINER_AUTHORIZATION_TOKEN, which the relative URI requires too.
- Web identity: the server's built-in OpenID Connect issuer ($EP/oidc) signs tokens with
  `portcullis token issue` (the key is in the server's data directory, E2E_DATA_DIR);
  AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN make the SDKs call AssumeRoleWithWebIdentity.

For each way in, with boto3 and with the aws CLI: GetCallerIdentity (the assumed-role ARN
with the instance ID, the task ID or the session name), iam:GetRole (allowed by the role's
inline policy) and iam:ListUsers (denied, with AWS's message).

Rotation needs a server with short-lived workload credentials: it is tested in the Rust
suite (crates/e2e), not here.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.request
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlparse

from harness import ACCOUNT, ISO_DATE, CheckFailed, Runner, SeedCommand, Skipped, eq, match, ok
from pulumi_programs import client

q = shlex.quote

IMDS_HOST = "http://169.254.169.254"
INSTANCE_ID = r"i-[0-9a-f]{17}"
TASK_ID = r"[0-9a-f]{32}"
WORKLOAD_SECONDS = 21600  # the server's default --workload-session-seconds

PET_ROLE = "PetTracker-EC2-WebServer"
PET_PROFILE = "PetTracker-EC2-WebServer-Profile"

EC2_ROLE = "wl-ec2-reader"
EC2_PROFILE = "wl-ec2-reader-profile"
UNTRUSTED_ROLE = "wl-ec2-untrusted"
UNTRUSTED_PROFILE = "wl-ec2-untrusted-profile"
TASK_ROLE = "wl-task-reader"
WEB_ROLE = "wl-web-identity"
WEB_SUB = "system:serviceaccount:pets:api"

UNAUTHORIZED_ACCESS_MESSAGE = (
    "EC2 cannot assume the role {role}.  Please see documentation at "
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_switch-role-ec2.html."
)
ECS_CANNOT_ASSUME = (
    "ECS was unable to assume the role '{arn}' that was provided for this task. Please verify that the "
    "role being passed has the proper trust relationship and permissions and that your IAM user has "
    "permissions to pass this role."
)


def role_arn(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/{name}"


def profile_arn(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:instance-profile/{name}"


def assumed_arn(role: str, session: str) -> str:
    return f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{session}"


def trust(principal: dict, action: str = "sts:AssumeRole", condition: dict | None = None) -> str:
    statement = {"Effect": "Allow", "Principal": principal, "Action": action}
    if condition:
        statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


READ_ROLES = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "iam:GetRole", "Resource": "*"}]})


def list_users_denied(caller: str) -> str:
    return (f"User: {caller} is not authorized to perform: iam:ListUsers on resource: "
            f"arn:aws:iam::{ACCOUNT}:user/ because no identity-based policy allows the iam:ListUsers action")


def expires_in(text: str, seconds: int, what: str) -> None:
    match(ISO_DATE, text, what)
    when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    delta = (when - datetime.now(timezone.utc)).total_seconds()
    ok(abs(delta - seconds) < 120, f"{what} is {delta:.0f} s from now, expected {seconds}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method: str, url: str, headers: dict[str, str] | None = None) -> tuple[int, dict, str]:
    """One plain HTTP request: (status, headers with lower-case names, body)."""
    req = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read().decode()


def imds_token(url: str, ttl: int = 21600) -> str:
    status, _, body = http("PUT", f"{url}/latest/api/token", {"X-aws-ec2-metadata-token-ttl-seconds": str(ttl)})
    eq(status, 200, "status of PUT /latest/api/token")
    ok(body, "a token")
    return body


# --------------------------------------------------------------------------- clients without keys


def workload_env(r: Runner, **extra: str) -> dict[str, str]:
    """The environment of a workload's client: no static keys, IMDS allowed, a fresh HOME."""
    env = r.env()
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_EC2_METADATA_DISABLED"):
        env.pop(name, None)
    env["HOME"] = tempfile.mkdtemp(prefix="home-", dir=r.workdir)
    env.update(extra)
    return env


# Run by the venv's Python in the workload's environment: boto3's default credential chain,
# then GetCallerIdentity, GetRole (allowed) and ListUsers (denied). Prints one JSON object.
PROBE = r'''
import json, sys
import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
endpoint, role = sys.argv[1], sys.argv[2]
cfg = Config(retries={"total_max_attempts": 1})
out = {}
def error(e):
    return [e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"], e.response["Error"]["Message"]]
try:
    session = boto3.session.Session(region_name="us-east-1")
    creds = session.get_credentials()
    out["method"] = creds.method if creds else None
    if creds is not None:
        frozen = creds.get_frozen_credentials()
        out["access_key"] = frozen.access_key
        out["has_token"] = bool(frozen.token)
        me = session.client("sts", endpoint_url=endpoint, config=cfg).get_caller_identity()
        out["identity"] = {k: me[k] for k in ("UserId", "Account", "Arn")}
        iam = session.client("iam", endpoint_url=endpoint, config=cfg)
        out["get_role"] = iam.get_role(RoleName=role)["Role"]["Arn"]
        try:
            iam.list_users()
            out["list_users"] = "allowed"
        except ClientError as e:
            out["list_users"] = error(e)
except ClientError as e:
    out["error"] = error(e)
except Exception as e:
    out["error"] = f"{type(e).__name__}: {e}"
print(json.dumps(out))
'''


def probe(r: Runner, env: dict[str, str], role: str) -> dict:
    proc = subprocess.run([sys.executable, "-c", PROBE, r.endpoint, role], env=env, capture_output=True,
                          text=True, timeout=120)
    ok(proc.returncode == 0 and proc.stdout.strip(), f"probe exit {proc.returncode}: {proc.stderr[-800:]}")
    out = json.loads(proc.stdout)
    if r.verbose:
        print(f"          probe: {json.dumps(out)}")
    return out


def probe_ok(out: dict, method: str, role: str, session_pattern: str) -> str:
    """Checks a probe's answer for a role session; returns the session name."""
    ok("error" not in out, f"boto3 failed: {out.get('error')}")
    eq(out["method"], method, "the credential provider boto3 used (Credentials.method)")
    match(r"ASIA[A-Z0-9]{16}", out["access_key"], "the access key ID")
    eq(out["has_token"], True, "a session token")
    arn = out["identity"]["Arn"]
    m = re.fullmatch(re.escape(f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/") + f"({session_pattern})", arn)
    ok(m, f"GetCallerIdentity Arn {arn!r} is an assumed-role/{role}/<{session_pattern}> session")
    eq(out["identity"]["Account"], ACCOUNT, "Account")
    match(r"AROA[A-Z0-9]{17}:" + re.escape(m.group(1)), out["identity"]["UserId"], "UserId")
    eq(out["get_role"], role_arn(role), "GetRole (allowed by the role's inline policy): Role.Arn")
    eq(out["list_users"], ["AccessDenied", 403, list_users_denied(arn)], "ListUsers (not allowed)")
    return m.group(1)


def cli_trio(r: Runner, how: str, env: dict[str, str], role: str, session: str) -> None:
    """The aws CLI without keys: who am I, an allowed read and a denied one."""
    arn = assumed_arn(role, session)

    def me(out):
        eq(out["Arn"], arn, "Arn")
        eq(out["Account"], ACCOUNT, "Account")
        match(r"AROA[A-Z0-9]{17}:" + re.escape(session), out["UserId"], "UserId")

    r.cli("aws sts get-caller-identity", label=f"{how}: aws sts get-caller-identity (no keys)", env=env, check=me)
    r.cli(f"aws iam get-role --role-name {role} --query Role.Arn",
          label=f"{how}: aws iam get-role --role-name {role} (allowed by the role's policy)", env=env,
          check=lambda out: eq(out, role_arn(role), "Role.Arn"))
    r.cli("aws iam list-users", label=f"{how}: aws iam list-users (not allowed)", env=env,
          expect_error="AccessDenied", check=lambda message: eq(message, list_users_denied(arn), "message"))


# --------------------------------------------------------------------------- seed commands run with curl


def run_seed_curl(r: Runner, what: str, commands: list[SeedCommand], url: str, check) -> None:
    """Runs seed commands verbatim in one bash script, `http://169.254.169.254` replaced by
    `url`; `check(stdout, statuses)` gets what they printed and the HTTP status of each answer."""
    for c in commands:
        c.claimed = "run"
    where = f"{commands[0].seed.short} " + ", ".join(f"L{c.line}" for c in commands)
    label = f"{what}: " + " ; ".join(c.one_line for c in commands) + f"   with {IMDS_HOST}={url}"
    if len(label) > 200:
        label = label[:197] + "..."
    if shutil.which("curl") is None:
        r._record(label, "seed", "SKIP", detail="curl is not installed", where=where)
        return
    text = "\n".join(c.text for c in commands)
    ok(IMDS_HOST in text, f"{IMDS_HOST} not in the commands")
    text = text.replace(IMDS_HOST, url)
    headers = tempfile.mkdtemp(prefix="curl-", dir=r.workdir)
    script = 'curl() { command curl -sS -D "$E2E_CURL_HEADERS/$(date +%s%N)" "$@"; }\n' + text
    started = time.monotonic()
    proc = subprocess.run(["bash", "-c", script], env={**r.env(), "E2E_CURL_HEADERS": headers},
                          cwd=str(r.workdir), capture_output=True, text=True, timeout=60)
    seconds = time.monotonic() - started

    def verify():
        eq(proc.returncode, 0, f"exit code (stderr: {proc.stderr.strip()[:300]!r})")
        statuses = []
        for name in sorted(os.listdir(headers)):
            first = (Path(headers) / name).read_text().splitlines()[0]
            statuses.append(int(first.split()[1]))
        check(proc.stdout, statuses)

    status, detail, _ = r._outcome(verify, None)
    if status == "FAIL":
        detail += f"\n--- stdout\n{proc.stdout[:1500]}"
    r._record(label, "seed", status, seconds, detail, where)


# --------------------------------------------------------------------------- EC2


def launched(into: dict, profile: str, tokens: str, listen: str | None = None):
    """A check of run-instances' answer; keeps the instance ID and the listener's URL."""

    def check(out):
        inst = out["Instances"][0]
        match(INSTANCE_ID, inst["InstanceId"], "InstanceId")
        eq(inst["State"], {"Code": 16, "Name": "running"}, "State")
        eq(inst["ImageId"], "ami-12345678", "ImageId")
        eq(inst["InstanceType"], "t3.micro", "InstanceType")
        eq(inst["IamInstanceProfile"]["Arn"], profile_arn(profile), "IamInstanceProfile.Arn")
        match(r"AIPA[A-Z0-9]{17}", inst["IamInstanceProfile"]["Id"], "IamInstanceProfile.Id")
        eq(inst["MetadataOptions"]["HttpTokens"], tokens, "MetadataOptions.HttpTokens")
        eq(inst["MetadataOptions"]["HttpEndpoint"], "enabled", "MetadataOptions.HttpEndpoint")
        eq(out["OwnerId"], ACCOUNT, "OwnerId")
        tags = {t["Key"]: t["Value"] for t in inst.get("Tags", [])}
        url = tags.get("portcullis:imds-endpoint")
        if listen:
            eq(url, f"http://{listen}", "tag portcullis:imds-endpoint (the address asked for)")
        else:
            match(r"http://127\.0\.0\.1:\d+", url, "tag portcullis:imds-endpoint")
        into.update(id=inst["InstanceId"], url=url, profile_id=inst["IamInstanceProfile"]["Id"])

    return check


def ec2_seed(r: Runner) -> dict:
    """Seed 004's run-instances and IMDS curl commands, on PetTracker-EC2-WebServer-Profile."""
    r.section("workloads: seed 004's instance metadata commands (aws CLI and curl)")
    seed = next(s for s in r.seeds if s.short == "004")
    run_cmd = seed.command("aws ec2 run-instances")
    v1_list = seed.command(exact=f"curl {IMDS_HOST}/latest/meta-data/iam/security-credentials/")
    v1_creds = seed.command(f"security-credentials/{PET_ROLE}")
    v2_token = seed.command("TOKEN=$(curl")
    v2_list = seed.command("X-aws-ec2-metadata-token: $TOKEN")

    # The seed's command as written launches no instance profile: Portcullis refuses it.
    r.cli(run_cmd, label="the seed's aws ec2 run-instances as written (no instance profile)",
          expect_error="MissingParameter",
          check=lambda message: eq(message, "Portcullis launches only instances with an instance profile: the "
                                   "request must contain the parameter IamInstanceProfile", "message"))
    required: dict = {}
    opts = '--metadata-options "HttpTokens=required,HttpEndpoint=enabled"'
    r.cli(run_cmd, subs={opts: f"{opts} \\\n    --iam-instance-profile Name={PET_PROFILE}"},
          label="the seed's aws ec2 run-instances (HttpTokens=required) with --iam-instance-profile added",
          check=launched(required, PET_PROFILE, "required"))
    optional: dict = {}
    port = free_port()
    r.cli(f"aws ec2 run-instances --image-id ami-12345678 --instance-type t3.micro "
          f"--metadata-options \"HttpTokens=optional,HttpEndpoint=enabled\" --iam-instance-profile Name={PET_PROFILE} "
          f"--tag-specifications 'ResourceType=instance,Tags=[{{Key=portcullis:imds-listen,Value=127.0.0.1:{port}}},"
          f"{{Key=Name,Value=pettracker-web}}]'",
          label=f"run-instances HttpTokens=optional, the listener on 127.0.0.1:{port} (tag portcullis:imds-listen)",
          check=launched(optional, PET_PROFILE, "optional", f"127.0.0.1:{port}"))
    if not required or not optional:
        for c in (v1_list, v1_creds, v2_token, v2_list):
            if not c.claimed:
                r.skip(c, "no instance to run it against (run-instances failed)")
        return {}

    def described(out):
        found = {i["InstanceId"]: i for res in out["Reservations"] for i in res["Instances"]}
        eq(sorted(found), sorted([required["id"], optional["id"]]), "the instances described")
        for inst, tokens in ((found[required["id"]], "required"), (found[optional["id"]], "optional")):
            eq(inst["State"]["Name"], "running", "State.Name")
            eq(inst["IamInstanceProfile"]["Arn"], profile_arn(PET_PROFILE), "IamInstanceProfile.Arn")
            eq(inst["MetadataOptions"]["HttpTokens"], tokens, "MetadataOptions.HttpTokens")
        tags = {t["Key"]: t["Value"] for t in found[optional["id"]]["Tags"]}
        eq(tags.get("Name"), "pettracker-web", "tag Name")
        eq(tags.get("portcullis:imds-endpoint"), optional["url"], "tag portcullis:imds-endpoint")

    r.cli(f"aws ec2 describe-instances --instance-ids {required['id']} {optional['id']}", check=described)

    got: dict = {}

    def role_listed(out, statuses):
        eq(statuses, [200], "HTTP statuses")
        eq(out, PET_ROLE, "output (# Returns: PetTracker-EC2-WebServer)")

    def credentials(out, statuses):
        eq(statuses, [200], "HTTP statuses")
        c = json.loads(out)
        eq(sorted(c), ["AccessKeyId", "Code", "Expiration", "LastUpdated", "SecretAccessKey", "Token", "Type"], "keys")
        eq((c["Code"], c["Type"]), ("Success", "AWS-HMAC"), "(Code, Type)")
        match(r"ASIA[A-Z0-9]{16}", c["AccessKeyId"], "AccessKeyId")
        match(ISO_DATE, c["LastUpdated"], "LastUpdated")
        expires_in(c["Expiration"], WORKLOAD_SECONDS, "Expiration")
        got.update(c)

    def unauthorized(out, statuses):
        eq(statuses, [401], "HTTP statuses (IMDSv1 on an instance requiring tokens)")
        ok(PET_ROLE not in out, f"no role name nor credentials in the answer: {out[:200]!r}")

    def v2_listed(out, statuses):
        eq(statuses, [200, 200], "HTTP statuses (PUT token, GET)")
        eq(out, PET_ROLE, "output")

    # IMDSv1, allowed by HttpTokens=optional.
    run_seed_curl(r, "IMDSv1, HttpTokens=optional", [v1_list], optional["url"], role_listed)
    run_seed_curl(r, "IMDSv1, HttpTokens=optional", [v1_creds], optional["url"], credentials)
    if got:
        def use_them():
            import boto3
            from botocore.config import Config

            session = boto3.session.Session(aws_access_key_id=got["AccessKeyId"],
                                            aws_secret_access_key=got["SecretAccessKey"],
                                            aws_session_token=got["Token"], region_name="us-east-1")
            me = session.client("sts", endpoint_url=r.endpoint,
                                config=Config(retries={"total_max_attempts": 1})).get_caller_identity()
            eq(me["Arn"], assumed_arn(PET_ROLE, optional["id"]), "Arn")
            match(r"AROA[A-Z0-9]{17}:" + optional["id"], me["UserId"], "UserId")

        r.check(f"the credentials curl printed are a session of {PET_ROLE} named after the instance", use_them)
    # IMDSv1 refused by HttpTokens=required; the seed's IMDSv2 sequence works there.
    run_seed_curl(r, "IMDSv1, HttpTokens=required (401)", [v1_list], required["url"], unauthorized)
    run_seed_curl(r, "IMDSv1, HttpTokens=required (401)", [v1_creds], required["url"], unauthorized)
    run_seed_curl(r, "IMDSv2, HttpTokens=required", [v2_token, v2_list], required["url"], v2_listed)
    run_seed_curl(r, "IMDSv2, HttpTokens=optional", [v2_token, v2_list], optional["url"], v2_listed)
    return {"required": required, "optional": optional}


def imds_protocol(r: Runner, instances: dict) -> None:
    r.section("workloads: the instance metadata protocol (HTTP)")
    required, optional = instances["required"], instances["optional"]
    url = required["url"]

    def token_rules():
        put = f"{url}/latest/api/token"
        eq(http("PUT", put)[0], 400, "PUT token without a TTL")
        for ttl in ("0", "21601", "abc"):
            eq(http("PUT", put, {"X-aws-ec2-metadata-token-ttl-seconds": ttl})[0], 400, f"PUT token with TTL {ttl}")
        status, headers, body = http("PUT", put, {"X-aws-ec2-metadata-token-ttl-seconds": "1"})
        eq(status, 200, "PUT token with TTL 1")
        eq(headers.get("x-aws-ec2-metadata-token-ttl-seconds"), "1", "the TTL echoed")
        eq(http("PUT", put, {"X-aws-ec2-metadata-token-ttl-seconds": "60", "X-Forwarded-For": "10.1.2.3"})[0],
           403, "PUT token through a proxy (X-Forwarded-For)")
        eq(http("GET", f"{url}/latest/meta-data/instance-id", {"X-aws-ec2-metadata-token": "not-a-token"})[0],
           401, "GET with an invalid token")
        eq(http("GET", f"{url}/latest/meta-data/instance-id")[0], 401, "GET without a token (HttpTokens=required)")
        time.sleep(2.1)
        eq(http("GET", f"{url}/latest/meta-data/instance-id", {"X-aws-ec2-metadata-token": body})[0],
           401, "GET with a token whose 1 s TTL is over")
        token = imds_token(optional["url"])
        eq(http("GET", f"{url}/latest/meta-data/instance-id", {"X-aws-ec2-metadata-token": token})[0],
           401, "GET with another instance's token")

    r.check("IMDSv2 tokens: TTL 1..21600, no proxies, invalid/expired/foreign tokens are 401", token_rules)

    def metadata():
        h = {"X-aws-ec2-metadata-token": imds_token(url)}
        get = lambda path: http("GET", f"{url}{path}", h)  # noqa: E731
        eq(get("/latest/meta-data/instance-id")[:3:2], (200, required["id"]), "instance-id")
        eq(get("/latest/meta-data/placement/region")[:3:2], (200, "us-east-1"), "placement/region")
        status, _, body = get("/latest/meta-data/iam/info")
        eq(status, 200, "status of iam/info")
        info = json.loads(body)
        eq(info["Code"], "Success", "iam/info Code")
        eq(info["InstanceProfileArn"], profile_arn(PET_PROFILE), "iam/info InstanceProfileArn")
        eq(info["InstanceProfileId"], required["profile_id"], "iam/info InstanceProfileId")
        match(ISO_DATE, info["LastUpdated"], "iam/info LastUpdated")
        status, _, body = get("/latest/dynamic/instance-identity/document")
        eq(status, 200, "status of the identity document")
        document = json.loads(body)
        for key, value in (("instanceId", required["id"]), ("accountId", ACCOUNT), ("region", "us-east-1"),
                           ("imageId", "ami-12345678"), ("instanceType", "t3.micro")):
            eq(document.get(key), value, f"identity document {key}")
        eq(get("/latest/meta-data/no-such-thing")[0], 404, "an unknown path")

    r.check("IMDSv2: instance-id, placement/region, iam/info, instance-identity/document", metadata)

    def v1_on_optional():
        status, _, body = http("GET", f"{optional['url']}/latest/meta-data/instance-id")
        eq((status, body), (200, optional["id"]), "IMDSv1 instance-id on HttpTokens=optional")

    r.check("IMDSv1 is served when HttpTokens=optional", v1_on_optional)


def ec2_workload(r: Runner) -> None:
    r.section("workloads: an EC2 instance's role through IMDSv2 (boto3 and aws CLI, no keys)")
    r.write("wl-ec2-trust.json", trust({"Service": "ec2.amazonaws.com"}))
    r.write("wl-read-roles.json", READ_ROLES)
    r.cli(f"aws iam create-role --role-name {EC2_ROLE} --assume-role-policy-document file://wl-ec2-trust.json",
          check=lambda out: eq(out["Role"]["Arn"], role_arn(EC2_ROLE), "Role.Arn"))
    r.cli(f"aws iam put-role-policy --role-name {EC2_ROLE} --policy-name ReadRoles "
          "--policy-document file://wl-read-roles.json")
    r.cli(f"aws iam create-instance-profile --instance-profile-name {EC2_PROFILE}",
          check=lambda out: eq(out["InstanceProfile"]["Arn"], profile_arn(EC2_PROFILE), "InstanceProfile.Arn"))
    r.cli(f"aws iam add-role-to-instance-profile --instance-profile-name {EC2_PROFILE} --role-name {EC2_ROLE}")

    # ec2:RunInstances is not enough: launching with a profile passes its role.
    launcher: dict = {}

    def make_launcher():
        iam = client(r)
        iam.create_user(UserName="wl-launcher")
        iam.put_user_policy(UserName="wl-launcher", PolicyName="launch", PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": ["ec2:RunInstances", "ecs:RunTask"], "Resource": "*"}]}))
        key = iam.create_access_key(UserName="wl-launcher")["AccessKey"]
        launcher["creds"] = (key["AccessKeyId"], key["SecretAccessKey"])

    r.check("user wl-launcher allowed ec2:RunInstances and ecs:RunTask, not iam:PassRole", make_launcher)
    if launcher:
        denied: dict = {}

        def unauthorized(message):
            prefix = "You are not authorized to perform this operation. Encoded authorization failure message: "
            ok(message.startswith(prefix), f"message {message[:120]!r} starts with {prefix!r}")
            denied["encoded"] = message[len(prefix):]

        r.cli(f"aws ec2 run-instances --image-id ami-12345678 --instance-type t3.micro "
              f"--iam-instance-profile Name={EC2_PROFILE}",
              label="wl-launcher: run-instances with a profile, without iam:PassRole",
              creds=launcher["creds"], expect_error="UnauthorizedOperation", check=unauthorized)
        if "encoded" in denied:
            def decoded(out):
                message = json.loads(out["DecodedMessage"])
                eq(message["allowed"], False, "allowed")
                eq(message["context"]["principal"]["arn"], f"arn:aws:iam::{ACCOUNT}:user/wl-launcher",
                   "context.principal.arn")
                eq(message["context"]["action"], "iam:PassRole", "context.action")
                eq(message["context"]["resource"], role_arn(EC2_ROLE), "context.resource")

            r.cli(f"aws sts decode-authorization-message --encoded-message {q(denied['encoded'])}",
                  label="decode-authorization-message: the denied action was iam:PassRole on the role",
                  check=decoded)
        pet_task = role_arn("PetTracker-ECS-Task")
        r.cli(f"aws ecs run-task --task-definition app:1 --overrides {q(json.dumps({'taskRoleArn': pet_task}))}",
              label="wl-launcher: ecs run-task with a task role, without iam:PassRole",
              creds=launcher["creds"], expect_error="AccessDeniedException",
              check=lambda message: eq(message, f"User: arn:aws:iam::{ACCOUNT}:user/wl-launcher is not authorized "
                                       f"to perform: iam:PassRole on resource: {pet_task} because no "
                                       "identity-based policy allows the iam:PassRole action", "message"))

    instance: dict = {}
    r.cli(f"aws ec2 run-instances --image-id ami-12345678 --instance-type t3.micro "
          f"--metadata-options \"HttpTokens=required,HttpEndpoint=enabled\" --iam-instance-profile Name={EC2_PROFILE}",
          check=launched(instance, EC2_PROFILE, "required"))
    if not instance:
        return
    env = workload_env(r, AWS_EC2_METADATA_SERVICE_ENDPOINT=instance["url"] + "/")

    def boto3_imds():
        session = probe_ok(probe(r, env, EC2_ROLE), "iam-role", EC2_ROLE, INSTANCE_ID)
        eq(session, instance["id"], "the session name (the instance ID)")

    r.check("boto3 (default chain, IMDSv2): GetCallerIdentity, GetRole allowed, ListUsers denied", boto3_imds)
    cli_trio(r, "IMDSv2", env, EC2_ROLE, instance["id"])

    # A role that does not trust ec2.amazonaws.com, launched with `portcullis instance run`.
    r.write("wl-lambda-trust.json", trust({"Service": "lambda.amazonaws.com"}))
    r.cli(f"aws iam create-role --role-name {UNTRUSTED_ROLE} --assume-role-policy-document file://wl-lambda-trust.json")
    r.cli(f"aws iam create-instance-profile --instance-profile-name {UNTRUSTED_PROFILE}")
    r.cli(f"aws iam add-role-to-instance-profile --instance-profile-name {UNTRUSTED_PROFILE} "
          f"--role-name {UNTRUSTED_ROLE}")
    untrusted: dict = {}

    def instance_run():
        out = portcullis(r, "instance", "run", "--instance-profile", UNTRUSTED_PROFILE, "--http-tokens", "optional",
                         "--endpoint-url", r.endpoint)
        m = re.fullmatch(rf"({INSTANCE_ID})\t(http://127\.0\.0\.1:\d+)\n", out)
        ok(m, f"output {out!r} is INSTANCE_ID<TAB>IMDS_URL")
        untrusted.update(id=m.group(1), url=m.group(2))

    r.check(f"portcullis instance run --instance-profile {UNTRUSTED_PROFILE} --http-tokens optional", instance_run)
    if untrusted:
        def unassumable():
            base = untrusted["url"] + "/latest/meta-data/iam"
            status, _, body = http("GET", f"{base}/security-credentials/")
            eq((status, body), (200, UNTRUSTED_ROLE), "security-credentials/")
            for path in (f"/security-credentials/{UNTRUSTED_ROLE}", "/info"):
                status, _, body = http("GET", base + path)
                eq(status, 200, f"status of {path}")
                answer = json.loads(body)
                eq(answer["Code"], "AssumeRoleUnauthorizedAccess", f"{path} Code")
                eq(answer["Message"], UNAUTHORIZED_ACCESS_MESSAGE.format(role=UNTRUSTED_ROLE), f"{path} Message")
                ok("AccessKeyId" not in answer, f"no credentials in {path}")

        r.check("IMDS of a role that does not trust ec2.amazonaws.com: AssumeRoleUnauthorizedAccess", unassumable)
        env_untrusted = workload_env(r, AWS_EC2_METADATA_SERVICE_ENDPOINT=untrusted["url"] + "/")

        def no_credentials():
            out = probe(r, env_untrusted, UNTRUSTED_ROLE)
            eq(out, {"method": None}, "boto3's default chain finds no credentials")

        r.check("boto3 on that instance finds no credentials", no_credentials)

        def cli_no_credentials():
            proc = subprocess.run(
                ["bash", "-c", 'aws() { "$E2E_AWS" --endpoint-url "$E2E_ENDPOINT" --output json "$@"; }\n'
                 "aws sts get-caller-identity"], env=env_untrusted, capture_output=True, text=True, timeout=120)
            eq(proc.returncode, 255, f"exit code (stderr {proc.stderr.strip()!r})")
            ok(proc.stderr.strip().startswith("Unable to locate credentials."), f"stderr {proc.stderr.strip()!r}")

        r.check("aws sts get-caller-identity on that instance: Unable to locate credentials", cli_no_credentials)

    # Terminating stops the listener.
    ids = " ".join(i["id"] for i in (instance, untrusted) if i)

    def terminated(out):
        states = {t["InstanceId"]: (t["PreviousState"]["Name"], t["CurrentState"]["Name"])
                  for t in out["TerminatingInstances"]}
        eq(states, {i: ("running", "shutting-down") for i in ids.split()}, "TerminatingInstances")

    r.cli(f"aws ec2 terminate-instances --instance-ids {ids}", check=terminated)

    def listener_gone():
        for i in (instance, untrusted):
            if not i:
                continue
            try:
                urllib.request.urlopen(f"{i['url']}/latest/meta-data/instance-id", timeout=5)
            except urllib.error.URLError as e:
                ok(isinstance(e.reason, ConnectionRefusedError), f"connection refused, got {e.reason!r}")
                continue
            raise CheckFailed(f"{i['url']} still answers after terminate-instances")

    r.check("the terminated instances' metadata listeners are closed", listener_gone)


def portcullis(r: Runner, *args: str, env: dict[str, str] | None = None) -> str:
    """Runs the portcullis binary (E2E_BIN) and returns its standard output."""
    binary = os.environ.get("E2E_BIN")
    if not binary:
        raise Skipped("E2E_BIN is not set (run.sh sets it)")
    proc = subprocess.run([binary, *args], env=env or r.env(), capture_output=True, text=True, timeout=60)
    eq(proc.returncode, 0, f"exit code of portcullis {' '.join(args[:2])} (stderr {proc.stderr.strip()!r})")
    return proc.stdout


# --------------------------------------------------------------------------- ECS


CREDENTIAL_MARKERS = ("AWS_CONTAINER", "/v2/credentials", "/_portcullis/ecs/credentials", "portcullisContainerCredentials")


def no_credentials(text: str, what: str, secrets: tuple[str, ...] = ()) -> None:
    """Nothing in `text` leads to a task's credentials: no endpoint, variable or secret."""
    for marker in CREDENTIAL_MARKERS + tuple(s for s in secrets if s):
        ok(marker not in text, f"{marker!r} is in {what}")


def task_run_env(r: Runner, *args: str) -> dict:
    """`portcullis task run ARGS`: the task's ARN and ID, its exports and its relative URI."""
    out = portcullis(r, "task", "run", *args, "--endpoint-url", r.endpoint)
    lines = out.splitlines()
    m = re.fullmatch(rf"# (arn:aws:ecs:us-east-1:{ACCOUNT}:task/default/({TASK_ID}))", lines[0])
    ok(m, f"first line {lines[0]!r} is the task's ARN as a comment")
    exports = dict(re.fullmatch(r"export (\w+)=(\S+)", line).groups() for line in lines if line.startswith("export "))
    eq(sorted(exports), ["AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_CREDENTIALS_FULL_URI"], "exports")
    rel = re.search(r"^# on 169\.254\.170\.2: export AWS_CONTAINER_CREDENTIALS_RELATIVE_URI=(\S+)$", out, re.M)
    ok(rel, "the relative URI as a comment")
    match(r"/v2/credentials/[0-9a-f-]{36}", rel.group(1), "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
    eq(exports["AWS_CONTAINER_CREDENTIALS_FULL_URI"],
       r.endpoint + "/_portcullis/ecs/credentials/" + rel.group(1).rsplit("/", 1)[1],
       "AWS_CONTAINER_CREDENTIALS_FULL_URI (the same credentials as the relative URI)")
    match(r"[0-9a-f]{64}", exports["AWS_CONTAINER_AUTHORIZATION_TOKEN"], "AWS_CONTAINER_AUTHORIZATION_TOKEN")
    return dict(arn=m.group(1), id=m.group(2), exports=exports, relative=rel.group(1))


def ecs_workload(r: Runner) -> None:
    r.section("workloads: ECS task roles through the container credentials endpoint (boto3 and aws CLI)")
    pet_task, pet_exec = role_arn("PetTracker-ECS-Task"), role_arn("PetTracker-ECS-Execution")
    task: dict = {}

    # As on AWS, RunTask's answer has no credentials: the overrides are the roles.
    def started(out):
        eq(out["failures"], [], "failures")
        t = out["tasks"][0]
        m = re.fullmatch(rf"arn:aws:ecs:us-east-1:{ACCOUNT}:task/default/({TASK_ID})", t["taskArn"])
        ok(m, f"taskArn {t['taskArn']!r}")
        eq(t["taskDefinitionArn"], f"arn:aws:ecs:us-east-1:{ACCOUNT}:task-definition/pettracker-api:1",
           "taskDefinitionArn")
        eq((t["lastStatus"], t["desiredStatus"]), ("RUNNING", "RUNNING"), "(lastStatus, desiredStatus)")
        eq(t["overrides"], {"containerOverrides": [], "taskRoleArn": pet_task, "executionRoleArn": pet_exec},
           "overrides")
        no_credentials(json.dumps(out), "run-task's answer")
        task.update(arn=t["taskArn"], id=m.group(1))

    overrides = {"taskRoleArn": pet_task, "executionRoleArn": pet_exec}
    r.cli(f"aws ecs run-task --task-definition pettracker-api:1 --overrides {q(json.dumps(overrides))}",
          label="ecs run-task pettracker-api:1 with the seed's task and execution roles (no credentials answered)",
          check=started)
    for which, arn in (("taskRoleArn", role_arn(PET_ROLE)), ("executionRoleArn", role_arn(PET_ROLE))):
        bad = dict(overrides, **{which: arn})
        r.cli(f"aws ecs run-task --task-definition pettracker-api:1 --overrides {q(json.dumps(bad))}",
              label=f"ecs run-task whose {which} does not trust ecs-tasks.amazonaws.com ({PET_ROLE})",
              expect_error="ClientException",
              check=lambda message, arn=arn: eq(message, ECS_CANNOT_ASSUME.format(arn=arn), "message"))

    # The container's variables go to whoever runs the task with `portcullis task run`, once.
    pet: dict = {}

    def pet_run():
        pet.update(task_run_env(r, "--task-role-arn", pet_task, "--execution-role-arn", pet_exec,
                                "--task-definition", "pettracker-api:1"))

    r.check(f"portcullis task run --task-role-arn {pet_task} --execution-role-arn {pet_exec}", pet_run)
    if not pet:
        return
    env = pet["exports"]
    full, token = env["AWS_CONTAINER_CREDENTIALS_FULL_URI"], env["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
    relative = r.endpoint + pet["relative"]
    secrets = (pet["relative"].rsplit("/", 1)[1], token)

    # A read-only user describes the task: nothing leads to its credentials.
    reader: dict = {}

    def make_reader():
        iam = client(r)
        iam.create_user(UserName="wl-ecs-reader")
        iam.attach_user_policy(UserName="wl-ecs-reader", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
        key = iam.create_access_key(UserName="wl-ecs-reader")["AccessKey"]
        reader["creds"] = (key["AccessKeyId"], key["SecretAccessKey"])

    r.check("user wl-ecs-reader with ReadOnlyAccess", make_reader)
    for who, creds in (("wl-ecs-reader (ReadOnlyAccess)", reader.get("creds")), ("the root", None)):
        if who.startswith("wl-") and not creds:
            continue

        def described(out, who=who):
            eq([t["taskArn"] for t in out["tasks"]], [pet["arn"]], "taskArn")
            eq(out["tasks"][0]["overrides"]["taskRoleArn"], pet_task, "overrides.taskRoleArn")
            no_credentials(json.dumps(out), f"describe-tasks by {who}", secrets)

        r.cli(f"aws ecs describe-tasks --tasks {pet['arn']}", creds=creds,
              label=f"{who}: ecs describe-tasks shows no credentials endpoint, ID or token", check=described)

    def endpoint_answers():
        for url in (full, relative):
            status, headers, body = http("GET", url, {"Authorization": token})
            eq(status, 200, f"status of {url} with the token")
            c = json.loads(body)
            eq(sorted(c), ["AccessKeyId", "Expiration", "RoleArn", "SecretAccessKey", "Token"], "keys")
            eq(c["RoleArn"], pet_task, "RoleArn (the task role)")
            match(r"ASIA[A-Z0-9]{16}", c["AccessKeyId"], "AccessKeyId")
            expires_in(c["Expiration"], WORKLOAD_SECONDS, "Expiration")
            for headers_sent, what in (({}, "no Authorization"), ({"Authorization": "0" * 64}, "a wrong token")):
                status, _, body = http("GET", url, headers_sent)
                eq(status, 401, f"status of {url} with {what}")
                eq(json.loads(body)["code"], "AccessDenied", f"code with {what}")
                ok("AccessKeyId" not in body, f"no credentials with {what}")

    r.check("the credentials endpoint (full and relative URI on the API listener): the task role's credentials "
            "with the token, 401 without or with another", endpoint_answers)
    if shutil.which("curl"):
        def curled(out):
            c = out
            eq(c["RoleArn"], pet_task, "RoleArn")
            match(r"ASIA[A-Z0-9]{16}", c["AccessKeyId"], "AccessKeyId")

        r.cli(f"curl -sS -H {q('Authorization: ' + token)} \"$E2E_ENDPOINT\"{pet['relative']}",
              label="curl -H 'Authorization: $AWS_CONTAINER_AUTHORIZATION_TOKEN' $EP$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
              check=curled)

        def curled_without(out):
            eq(out["code"], "AccessDenied", "code")
            ok("AccessKeyId" not in json.dumps(out), "no credentials")

        r.cli(f"curl -sS \"$E2E_ENDPOINT\"{pet['relative']}",
              label="curl $EP$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI without the token: AccessDenied",
              check=curled_without)

    # A task role that allows GetRole, started with `portcullis task run`; boto3 and the CLI.
    r.write("wl-ecs-trust.json", trust({"Service": "ecs-tasks.amazonaws.com"}))
    r.write("wl-read-roles.json", READ_ROLES)
    r.cli(f"aws iam create-role --role-name {TASK_ROLE} --assume-role-policy-document file://wl-ecs-trust.json")
    r.cli(f"aws iam put-role-policy --role-name {TASK_ROLE} --policy-name ReadRoles "
          "--policy-document file://wl-read-roles.json")
    reader_task: dict = {}

    def task_run():
        reader_task.update(task_run_env(r, "--task-role-arn", role_arn(TASK_ROLE)))

    r.check(f"portcullis task run --task-role-arn {role_arn(TASK_ROLE)}", task_run)
    if reader_task:
        env = workload_env(r, **reader_task["exports"])

        def boto3_container():
            session = probe_ok(probe(r, env, TASK_ROLE), "container-role", TASK_ROLE, TASK_ID)
            eq(session, reader_task["id"], "the session name (the task ID)")

        r.check("boto3 (default chain, AWS_CONTAINER_CREDENTIALS_FULL_URI): GetCallerIdentity, GetRole, ListUsers",
                boto3_container)
        cli_trio(r, "ECS task", env, TASK_ROLE, reader_task["id"])
        wrong = dict(env, AWS_CONTAINER_AUTHORIZATION_TOKEN="0" * 64)

        def wrong_token():
            proc = subprocess.run(
                ["bash", "-c", 'aws() { "$E2E_AWS" --endpoint-url "$E2E_ENDPOINT" --output json "$@"; }\n'
                 "aws sts get-caller-identity"], env=wrong, capture_output=True, text=True, timeout=120)
            eq(proc.returncode, 255, f"exit code (stderr {proc.stderr.strip()!r})")
            eq(proc.stderr.strip(), "Error when retrieving credentials from container-role: Error retrieving "
               "metadata: Received non 200 response 401 from container metadata: {\"code\":\"AccessDenied\","
               "\"message\":\"The authorization token is missing or does not match the task's\"}", "stderr")

        r.check("aws sts get-caller-identity with a wrong AWS_CONTAINER_AUTHORIZATION_TOKEN: 401", wrong_token)

    # Stopping a task ends its credentials endpoint.
    def stopped(arn):
        def check(out):
            t = out["task"]
            eq(t["taskArn"], arn, "taskArn")
            eq((t["lastStatus"], t["desiredStatus"]), ("STOPPED", "STOPPED"), "(lastStatus, desiredStatus)")
            no_credentials(json.dumps(out), "stop-task's answer", secrets)

        return check

    for t in (task, pet):
        if t:
            r.cli(f"aws ecs stop-task --task {t['arn']}", check=stopped(t["arn"]))

    def gone():
        for url in (full, relative):
            status, _, body = http("GET", url, {"Authorization": token})
            eq(status, 400, f"status of {url} after stop-task")
            eq(json.loads(body), {"code": "InvalidIdInRequest", "message": "CredentialsV2Request: Credentials not found"},
               "answer")

    r.check("after stop-task the credentials endpoint answers 400 InvalidIdInRequest", gone)


# --------------------------------------------------------------------------- web identity


def web_identity(r: Runner) -> None:
    r.section("workloads: web identity with the built-in OpenID Connect issuer (boto3 and aws CLI)")
    issuer = r.endpoint + "/oidc"
    issuer_id = urlparse(r.endpoint).netloc + "/oidc"  # 127.0.0.1:PORT/oidc
    provider_arn = f"arn:aws:iam::{ACCOUNT}:oidc-provider/{issuer_id}"

    def discovery():
        status, _, body = http("GET", issuer + "/.well-known/openid-configuration")
        eq(status, 200, "status of the discovery document")
        doc = json.loads(body)
        eq(doc["issuer"], issuer, "issuer")
        eq(doc["jwks_uri"], issuer + "/jwks.json", "jwks_uri")
        status, _, body = http("GET", doc["jwks_uri"])
        eq(status, 200, "status of jwks.json")
        keys = json.loads(body)["keys"]
        ok(keys and all(k.get("kid") and k.get("kty") for k in keys), f"keys with kid and kty: {keys}")

    r.check(f"the issuer's discovery document and keys at {issuer}", discovery)
    r.cli(f"aws iam create-open-id-connect-provider --url {issuer} --client-id-list sts.amazonaws.com",
          check=lambda out: eq(out["OpenIDConnectProviderArn"], provider_arn, "OpenIDConnectProviderArn"))
    r.write("wl-web-trust.json", trust(
        {"Federated": provider_arn}, "sts:AssumeRoleWithWebIdentity",
        {"StringEquals": {f"{issuer_id}:sub": WEB_SUB, f"{issuer_id}:aud": "sts.amazonaws.com"}}))
    r.write("wl-read-roles.json", READ_ROLES)
    r.cli(f"aws iam create-role --role-name {WEB_ROLE} --assume-role-policy-document file://wl-web-trust.json",
          check=lambda out: eq(out["Role"]["Arn"], role_arn(WEB_ROLE), "Role.Arn"))
    r.cli(f"aws iam put-role-policy --role-name {WEB_ROLE} --policy-name ReadRoles "
          "--policy-document file://wl-read-roles.json")
    data_dir = os.environ.get("E2E_DATA_DIR")
    tokens: dict = {}

    def issue(name: str, sub: str, aud: str = "sts.amazonaws.com"):
        def fn():
            if not data_dir:
                raise Skipped("E2E_DATA_DIR is not set (run.sh sets it)")
            path = r.workdir / f"{name}.jwt"
            out = portcullis(r, "token", "issue", "--data-dir", data_dir, "--sub", sub, "--aud", aud,
                             "--out", str(path))
            eq(out, "", "standard output (the token goes to --out)")
            eq(path.stat().st_mode & 0o777, 0o600, "the token file's mode")
            claims = jwt_claims(path.read_text().strip())
            eq((claims["iss"], claims["sub"], claims["aud"]), (issuer, sub, aud), "(iss, sub, aud)")
            ok(0 < claims["exp"] - time.time() <= 3600, f"exp {claims['exp']} within the hour")
            tokens[name] = str(path)

        r.check(f"portcullis token issue --sub {sub} --aud {aud}", fn)

    issue("api", WEB_SUB)
    issue("intruder", "system:serviceaccount:pets:intruder")
    issue("other-aud", WEB_SUB, "not-sts")
    if "api" not in tokens:
        return
    base = dict(AWS_ROLE_ARN=role_arn(WEB_ROLE), AWS_ENDPOINT_URL=r.endpoint)

    def boto3_web():
        env = workload_env(r, AWS_WEB_IDENTITY_TOKEN_FILE=tokens["api"], **base)
        probe_ok(probe(r, env, WEB_ROLE), "assume-role-with-web-identity", WEB_ROLE, r"botocore-session-\d+")
        env = workload_env(r, AWS_WEB_IDENTITY_TOKEN_FILE=tokens["api"], AWS_ROLE_SESSION_NAME="pets-api-boto3", **base)
        eq(probe_ok(probe(r, env, WEB_ROLE), "assume-role-with-web-identity", WEB_ROLE, r"[\w+=,.@-]+"),
           "pets-api-boto3", "the session name (AWS_ROLE_SESSION_NAME)")

    r.check("boto3 (default chain, AWS_WEB_IDENTITY_TOKEN_FILE): GetCallerIdentity, GetRole, ListUsers", boto3_web)
    env = workload_env(r, AWS_WEB_IDENTITY_TOKEN_FILE=tokens["api"], AWS_ROLE_SESSION_NAME="pets-api-cli", **base)
    cli_trio(r, "web identity", env, WEB_ROLE, "pets-api-cli")

    refused = {
        "intruder": ("AccessDenied", 403, "Not authorized to perform sts:AssumeRoleWithWebIdentity"),
        "other-aud": ("InvalidIdentityToken", 400, "Incorrect token audience"),
    }
    for name, (code, status, message) in refused.items():
        if name not in tokens:
            continue
        env = workload_env(r, AWS_WEB_IDENTITY_TOKEN_FILE=tokens[name], **base)
        what = "another subject" if name == "intruder" else "another audience"
        r.check(f"boto3 with a token for {what}: {code}",
                lambda env=env, code=code, status=status, message=message: eq(
                    probe(r, env, WEB_ROLE), {"method": "assume-role-with-web-identity",
                                              "error": [code, status, message]}, "probe"))
        r.cli("aws sts get-caller-identity", label=f"aws sts get-caller-identity with a token for {what}", env=env,
              expect_error=code, check=lambda m, message=message: eq(m, message, "message"))


def jwt_claims(token: str) -> dict:
    import base64

    parts = token.split(".")
    eq(len(parts), 3, "parts of the JWT")
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    return json.loads(base64.urlsafe_b64decode(payload))


# --------------------------------------------------------------------------- all


def run_seed_part(r: Runner) -> None:
    """Seed 004's run-instances and instance metadata commands only (main.py --dev)."""
    try:
        ec2_seed(r)
    except Exception as e:  # noqa: BLE001 - a broken part is a failure, not a crash
        r._record(f"ec2_seed stopped: {e!r}", "boto3", "FAIL", detail=traceback.format_exc(limit=4))


def run_all(r: Runner) -> None:
    instances: dict = {}

    def seed_part():
        instances.update(ec2_seed(r))

    parts = [("ec2_seed", seed_part), ("imds_protocol", lambda: instances and imds_protocol(r, instances)),
             ("ec2_workload", lambda: ec2_workload(r)), ("ecs_workload", lambda: ecs_workload(r)),
             ("web_identity", lambda: web_identity(r))]
    for name, part in parts:
        try:
            part()
        except Exception as e:  # noqa: BLE001 - a broken part is a failure, not a crash
            r._record(f"{name} stopped: {e!r}", "boto3", "FAIL", detail=traceback.format_exc(limit=4))
