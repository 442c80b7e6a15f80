"""`portcullis serve --dev`: no signature checks, no authorization, but the caller's identity.

run.sh starts a second server with `--dev` (a fresh data directory, another port) and runs
`main.py --dev` against it: the seeds' scenarios (seeds.py, whose only expected error is a
NoSuchEntity that --dev answers too; nothing there expects a denial), seed 004's instance
metadata commands (workload_checks.ec2_seed: the seed's run-instances and IMDS curl commands
verbatim, and GetCallerIdentity with the credentials curl printed), then these checks of what
--dev keeps (README, "`portcullis serve`": the credentials Portcullis issued still identify
their principal; only an access key it does not know acts as the account's root):

- a user's access key: `aws sts get-caller-identity` is the user, with its secret or any other
  (signatures are not checked);
- a key Portcullis does not know: the root;
- seed 000's `aws sts assume-role` verbatim, by a user that no policy allows to (--dev
  authorizes nothing), then `aws sts get-caller-identity` with the returned credentials: the
  assumed-role ARN, and the session's call is in the audit trail under its own identity;
- an instance started with `portcullis instance run`: the seed's IMDSv2 curl commands
  verbatim against its listener, the aws CLI with no keys through IMDS, and the credentials
  curl printed, are each the instance's role session;
- a task started with `portcullis task run`: the aws CLI with no keys through the container
  credentials endpoint is the task's role session.
"""

from __future__ import annotations

import json
import re
import subprocess
import traceback

from harness import ACCOUNT, CheckFailed, Runner, eq, match, ok
from pulumi_programs import client
from workload_checks import (
    IMDS_HOST,
    INSTANCE_ID,
    PET_PROFILE,
    PET_ROLE,
    TASK_ID,
    assumed_arn,
    portcullis,
    role_arn,
    run_seed_curl,
    task_run_env,
    workload_env,
)

USER = "dev-bob"
ROOT_ARN = f"arn:aws:iam::{ACCOUNT}:root"
USER_ARN = f"arn:aws:iam::{ACCOUNT}:user/{USER}"
SCIENTIST = "AICore-DataScientist-Role"


def identity(expected_arn: str, user_id: str):
    """A check of get-caller-identity's output."""

    def check(out):
        eq(out["Arn"], expected_arn, "Arn")
        eq(out["Account"], ACCOUNT, "Account")
        match(user_id, out["UserId"], "UserId")

    return check


def callers(r: Runner) -> None:
    r.section("--dev: the credentials Portcullis issued identify their principal")
    key: dict = {}

    def made(out):
        k = out["AccessKey"]
        match(r"AKIA[A-Z0-9]{16}", k["AccessKeyId"], "AccessKeyId")
        key["creds"] = (k["AccessKeyId"], k["SecretAccessKey"])

    r.cli(f"aws iam create-user --user-name {USER}", check=lambda out: eq(out["User"]["Arn"], USER_ARN, "User.Arn"))
    r.cli(f"aws iam create-access-key --user-name {USER}", check=made)
    if "creds" not in key:
        return
    creds = key["creds"]
    r.cli("aws sts get-caller-identity", label=f"sts get-caller-identity with {USER}'s key: the user", creds=creds,
          check=identity(USER_ARN, r"AIDA[A-Z0-9]{17}"))
    r.cli("aws sts get-caller-identity",
          label=f"sts get-caller-identity with {USER}'s key ID and another secret: still the user (no signature check)",
          creds=(creds[0], "x" * 40), check=identity(USER_ARN, r"AIDA[A-Z0-9]{17}"))
    r.cli("aws sts get-caller-identity", label="sts get-caller-identity with a key Portcullis does not know: the root",
          creds=("AKIAUNKNOWNDEV000001", "y" * 40), check=identity(ROOT_ARN, ACCOUNT))
    r.cli("aws sts get-caller-identity", label="sts get-caller-identity with the root's key: the root",
          check=identity(ROOT_ARN, ACCOUNT))

    # Seed 000's assume-role verbatim, by a user with no policy at all: --dev allows it.
    seed = next(s for s in r.seeds if s.short == "000")
    session: dict = {}

    def assumed(out):
        eq(out["AssumedRoleUser"]["Arn"], assumed_arn(SCIENTIST, "bob-dev"), "AssumedRoleUser.Arn")
        c = out["Credentials"]
        match(r"ASIA[A-Z0-9]{16}", c["AccessKeyId"], "Credentials.AccessKeyId")
        session.update(key=c["AccessKeyId"], secret=c["SecretAccessKey"], token=c["SessionToken"])

    r.cli(seed.command("aws sts assume-role"), subs={"<role-arn>": role_arn(SCIENTIST), "<your-session-name>": "bob-dev"},
          creds=creds, check=assumed)
    if not session:
        return
    env = r.env((session["key"], session["secret"]))
    env["AWS_SESSION_TOKEN"] = session["token"]
    r.cli("aws sts get-caller-identity", label="sts get-caller-identity with the returned credentials: the assumed role",
          env=env, check=identity(assumed_arn(SCIENTIST, "bob-dev"), r"AROA[A-Z0-9]{17}:bob-dev"))
    r.cli("aws iam list-users --query 'Users[].UserName'",
          label="aws iam list-users with the session (no policy allows it; --dev authorizes nothing)", env=env,
          check=lambda out: ok(USER in out, f"{USER} in {out}"))

    def trail():
        events = client(r, "cloudtrail").lookup_events(LookupAttributes=[
            {"AttributeKey": "AccessKeyId", "AttributeValue": session["key"]}])["Events"]
        names = sorted({e["EventName"] for e in events})
        eq(names, ["GetCallerIdentity", "ListUsers"], "the session's events")
        for e in events:
            who = json.loads(e["CloudTrailEvent"])["userIdentity"]
            eq((who["type"], who["arn"]), ("AssumedRole", assumed_arn(SCIENTIST, "bob-dev")),
               f"{e['EventName']}: userIdentity (type, arn)")
            eq(who["sessionContext"]["sessionIssuer"]["arn"], role_arn(SCIENTIST), "sessionIssuer.arn")

    r.check("LookupEvents by the session's access key: its calls recorded as the assumed role", trail)


def instance(r: Runner) -> None:
    r.section("--dev: instance metadata credentials identify the instance's role session")
    seed = next(s for s in r.seeds if s.short == "004")
    got: dict = {}

    def launched():
        out = portcullis(r, "instance", "run", "--instance-profile", PET_PROFILE, "--endpoint-url", r.endpoint)
        m = re.fullmatch(rf"({INSTANCE_ID})\t(http://127\.0\.0\.1:\d+)\n", out)
        ok(m, f"output {out!r} is INSTANCE_ID<TAB>IMDS_URL")
        got.update(id=m.group(1), url=m.group(2))

    r.check(f"portcullis instance run --instance-profile {PET_PROFILE} (IMDSv2 only)", launched)
    if not got:
        return
    arn = assumed_arn(PET_ROLE, got["id"])

    def v2_listed(out, statuses):
        eq(statuses, [200, 200], "HTTP statuses (PUT token, GET)")
        eq(out, PET_ROLE, "output")

    run_seed_curl(r, "IMDSv2 (--dev)", [seed.command("TOKEN=$(curl"), seed.command("X-aws-ec2-metadata-token: $TOKEN")],
                  got["url"], v2_listed)
    env = workload_env(r, AWS_EC2_METADATA_SERVICE_ENDPOINT=got["url"] + "/")
    r.cli("aws sts get-caller-identity", label="aws sts get-caller-identity with no keys, through IMDSv2: the instance",
          env=env, check=identity(arn, rf"AROA[A-Z0-9]{{17}}:{got['id']}"))
    # The seed's IMDSv2 token, then its credentials path (IMDSv1 form) with the token added.
    token_cmd = seed.command("TOKEN=$(curl")
    fetch = f'{token_cmd.text}\ncurl -H "X-aws-ec2-metadata-token: $TOKEN" {IMDS_HOST}/latest/meta-data/iam/security-credentials/{PET_ROLE}'

    def from_curl():
        text = fetch.replace(IMDS_HOST, got["url"])
        proc = subprocess.run(["bash", "-c", text], capture_output=True, text=True, timeout=60)
        eq(proc.returncode, 0, f"curl exit code ({proc.stderr.strip()[-300:]})")
        c = json.loads(proc.stdout)
        eq(c["Code"], "Success", "Code")
        environ = r.env((c["AccessKeyId"], c["SecretAccessKey"]))
        environ["AWS_SESSION_TOKEN"] = c["Token"]
        proc = subprocess.run([r.aws_bin, "--endpoint-url", r.endpoint, "--output", "json", "sts",
                               "get-caller-identity"], env=environ, capture_output=True, text=True, timeout=120)
        eq(proc.returncode, 0, f"aws exit code ({proc.stderr.strip()[-300:]})")
        identity(arn, rf"AROA[A-Z0-9]{{17}}:{got['id']}")(json.loads(proc.stdout))

    r.check("the credentials curl gets with an IMDSv2 token, as static keys with their session token: the instance",
            from_curl)
    r.check("portcullis instance terminate",
            lambda: portcullis(r, "instance", "terminate", got["id"], "--endpoint-url", r.endpoint))


def task(r: Runner) -> None:
    r.section("--dev: container credentials identify the task's role session")
    got: dict = {}
    r.check("portcullis task run --task-role-arn PetTracker-ECS-Task",
            lambda: got.update(task_run_env(r, "--task-role-arn", role_arn("PetTracker-ECS-Task"))))
    if not got:
        return
    env = workload_env(r, **got["exports"])
    r.cli("aws sts get-caller-identity",
          label="aws sts get-caller-identity with no keys, through the container credentials endpoint: the task",
          env=env, check=identity(assumed_arn("PetTracker-ECS-Task", got["id"]),
                                  rf"AROA[A-Z0-9]{{17}}:{got['id']}"))
    match(TASK_ID, got["id"], "the task ID")


def run_all(r: Runner) -> None:
    for part in (callers, instance, task):
        try:
            part(r)
        except Exception as e:  # noqa: BLE001 - a broken part is a failure, not a crash
            r._record(f"{part.__name__} stopped: {e!r}", "boto3", "FAIL", detail=traceback.format_exc(limit=4))


__all__ = ["run_all", "CheckFailed"]
