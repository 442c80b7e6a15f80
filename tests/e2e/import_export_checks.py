"""`portcullis export` and `portcullis import`: the round trip through a fresh server.

Runs after the seed scenarios and every other check, so the account holds what they made:
the seeds' roles, policies, groups and users, service-linked roles, instance profiles,
boundaries, tags, policies with several versions (the paginator sweep's too).

- `aws iam get-account-authorization-details > source.json` writes the file as the aws CLI
  does; `portcullis export` must write the same bytes (with pages of 100 and of 2).
- A second, fresh server (in memory) gets `portcullis import source.json`; then
  GetAccountAuthorizationDetails of both servers must be equal but for what AWS would
  regenerate too: the IDs (UserId, RoleId, GroupId, PolicyId, InstanceProfileId), the
  dates (CreateDate, UpdateDate) and RoleLastUsed.
- Importing again is refused before any change (exit 1, the existing entities named);
  `--skip-existing` then imports nothing; a file that is not JSON is an error (exit 2).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import traceback
import urllib.request
from pathlib import Path

from harness import CheckFailed, Runner, eq, ok

REGENERATED = {"UserId", "RoleId", "GroupId", "PolicyId", "InstanceProfileId", "CreateDate", "UpdateDate",
               "RoleLastUsed"}


def without_regenerated(v):
    """`v` without the members AWS regenerates on an import."""
    if isinstance(v, dict):
        return {k: without_regenerated(x) for k, x in v.items() if k not in REGENERATED}
    if isinstance(v, list):
        return [without_regenerated(x) for x in v]
    return v


def first_difference(a, b, at: str = "") -> str:
    """Where two JSON values first differ, for the failure message."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in list(a) + [k for k in b if k not in a]:
            if a.get(k) != b.get(k):
                return first_difference(a.get(k), b.get(k), f"{at}.{k}")
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"{at}: {len(a)} items in the source, {len(b)} in the copy"
        for i, (x, y) in enumerate(zip(a, b)):
            if x != y:
                name = next((x.get(k) for k in ("UserName", "GroupName", "RoleName", "PolicyName",
                                                 "InstanceProfileName") if isinstance(x, dict) and k in x), i)
                return first_difference(x, y, f"{at}[{name}]")
    return f"{at}: source {json.dumps(a)[:400]}, copy {json.dumps(b)[:400]}"


class SecondServer:
    """A fresh in-memory `portcullis serve` with the same root credentials, on a free port."""

    def __init__(self, binary: str, workdir: Path):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.endpoint = f"http://127.0.0.1:{port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PORTCULLIS_"))}
        env["PORTCULLIS_ROOT_ACCESS_KEY_ID"] = os.environ["PORTCULLIS_ROOT_ACCESS_KEY_ID"]
        env["PORTCULLIS_ROOT_SECRET_ACCESS_KEY"] = os.environ["PORTCULLIS_ROOT_SECRET_ACCESS_KEY"]
        self.log = (workdir / "second-server.log").open("w")
        self.process = subprocess.Popen([binary, "serve", "--in-memory", "--listen", f"127.0.0.1:{port}"],
                                        env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{self.endpoint}/_portcullis/health", timeout=1) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise CheckFailed(f"the second server did not start: {(workdir / 'second-server.log').read_text()[-2000:]}")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def portcullis(r: Runner, *args: str) -> subprocess.CompletedProcess:
    """Runs the portcullis binary, signed with the root's keys."""
    binary = os.environ.get("E2E_BIN") or "portcullis"
    return subprocess.run([binary, *args], env=r.env(), cwd=str(r.workdir), capture_output=True, text=True,
                          timeout=600)


def round_trip(r: Runner) -> None:
    r.section("portcullis export and import: the round trip through a fresh server")
    work = r.workdir
    source = work / "source.json"
    r.cli("aws iam get-account-authorization-details > source.json",
          label="aws iam get-account-authorization-details > source.json")
    if not source.exists() or not source.stat().st_size:
        return
    details = json.loads(source.read_text())
    r.check("the account has users, groups, roles, customer managed policies and instance profiles to carry over",
            lambda: ok(all(details[k] for k in ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies"))
                       and any(role["InstanceProfileList"] for role in details["RoleDetailList"])
                       and any(not p["Arn"].startswith("arn:aws:iam::aws:") for p in details["Policies"]),
                       "something to carry over of each kind"))

    def exported_like_the_cli(*extra: str):
        def check():
            out = work / "export.json"
            run = portcullis(r, "export", "--endpoint-url", r.endpoint, "--out", str(out), *extra)
            eq(run.returncode, 0, f"exit code (stderr: {run.stderr.strip()[:500]})")
            got = json.loads(out.read_text())
            ok(got == details, "export.json differs from source.json: " + first_difference(details, got))
            ok(out.read_bytes() == source.read_bytes(), "export.json holds the same JSON as source.json, "
               "but not written the same way (indents, escapes or key order)")
            ok(run.stderr.startswith(f"exported {len(details['UserDetailList'])} users, "),
               f"export's report: {run.stderr.strip()!r}")
        return check

    r.check("portcullis export writes exactly what the aws CLI prints", exported_like_the_cli())
    r.check("portcullis export --page-size 2: the pages gathered as the aws CLI gathers them",
            exported_like_the_cli("--page-size", "2"))

    binary = os.environ.get("E2E_BIN", "")
    if r.check("E2E_BIN names the portcullis binary", lambda: ok(binary, "E2E_BIN is not set") or True) is None:
        return
    second = r.check("start a second, fresh server (in memory)", lambda: SecondServer(binary, work))
    if second is None:
        return
    try:
        imported_checks(r, second, details)
    finally:
        second.stop()


def imported_checks(r: Runner, second: SecondServer, details: dict) -> None:
    work = r.workdir
    customer = [p for p in details["Policies"] if not p["Arn"].startswith("arn:aws:iam::aws:")]
    profiles = {p["InstanceProfileName"] for role in details["RoleDetailList"] for p in role["InstanceProfileList"]}

    def imported():
        run = portcullis(r, "import", "source.json", "--endpoint-url", second.endpoint)
        eq(run.returncode, 0, f"exit code (stderr: {run.stderr.strip()[-800:]})")
        lines = run.stdout.strip().splitlines()
        created = [l for l in lines if l.startswith("created ")]
        eq(len(created), len(customer) + len(details["GroupDetailList"]) + len(details["UserDetailList"])
           + len(details["RoleDetailList"]) + len(profiles), "lines of created entities")
        ok(lines[-1].startswith("imported "), f"the report ends with what was imported: {lines[-1]!r}")
        for n, what in ((len(customer), "customer managed polic"), (len(details["UserDetailList"]), "user"),
                        (len(details["RoleDetailList"]), "role"), (len(profiles), "instance profile")):
            ok(f"{n} {what}" in lines[-1], f"{n} {what}… in {lines[-1]!r}")
        return True

    if not r.check("portcullis import source.json into the fresh server", imported):
        return
    copy = r.cli("aws iam get-account-authorization-details", label="aws iam get-account-authorization-details "
                 "(the fresh server)", env={**r.env(), "E2E_ENDPOINT": second.endpoint})
    if copy is None or copy.out is None:
        return

    def same():
        a, b = without_regenerated(details), without_regenerated(copy.out)
        ok(a == b, "the copy differs: " + first_difference(a, b))
        eq(len(copy.out["RoleDetailList"]), len(details["RoleDetailList"]), "roles")

    r.check("GetAccountAuthorizationDetails of both servers: equal but for IDs, dates and RoleLastUsed", same)

    def refused_again():
        run = portcullis(r, "import", "source.json", "--endpoint-url", second.endpoint)
        eq(run.returncode, 1, f"exit code (stdout {run.stdout[-300:]!r}, stderr {run.stderr[-300:]!r})")
        eq(run.stdout, "", "nothing created")
        some_role = details["RoleDetailList"][0]["RoleName"]
        for needle in ("nothing was imported", "EntityAlreadyExists", f"role {some_role}", "--skip-existing"):
            ok(needle in run.stderr, f"{needle!r} in the message {run.stderr.strip()[:300]!r}")
        after = json.loads(subprocess.run(
            ["bash", "-c", '"$E2E_AWS" --endpoint-url "$E2E_ENDPOINT" --output json iam get-account-authorization-details'],
            env={**r.env(), "E2E_ENDPOINT": second.endpoint}, capture_output=True, text=True, check=True).stdout)
        ok(after == copy.out, "the second server is unchanged: " + first_difference(copy.out, after))

    r.check("importing the file again: refused before any change (exit 1), naming what exists", refused_again)

    def skip_existing():
        run = portcullis(r, "import", "source.json", "--skip-existing", "--endpoint-url", second.endpoint)
        eq(run.returncode, 0, f"exit code (stderr {run.stderr[-300:]!r})")
        lines = run.stdout.strip().splitlines()
        eq(lines[0], "imported nothing", "first line")
        ok(lines[1].startswith("left as they were (--skip-existing): "), f"second line {lines[1]!r}")

    r.check("import --skip-existing: every entity exists, nothing imported", skip_existing)

    def not_json():
        (work / "broken.json").write_text("{not json")
        run = portcullis(r, "import", "broken.json", "--endpoint-url", second.endpoint)
        eq(run.returncode, 2, "exit code")
        ok("broken.json is not JSON" in run.stderr, f"message {run.stderr.strip()!r}")

    r.check("import of a file that is not JSON: an error (exit 2)", not_json)


def run_all(r: Runner) -> None:
    try:
        round_trip(r)
    except CheckFailed:
        raise
    except Exception as e:  # noqa: BLE001 - a broken part is a failure, not a crash
        r._record(f"round trip stopped: {e!r}", "boto3", "FAIL", detail=traceback.format_exc(limit=4))
