"""The README's first hour, pasted: its quick start run verbatim by bash.

README.md's "Two commands" and "Quick start" sections, and the user guide's pages the quick
start leads to (docs/src/operations.md's "Run it as a service", docs/src/workloads.md's
workload examples), are read here, not copied: the shell blocks are found in the pages and
run as written, in the pages' order, as a user pasting them would. The guide's copies of the
quick start's blocks (docs/src/operations.md's install block, docs/src/clients.md's server,
credentials file and client recipes) must be the README's, character for character.

- **The server** is started by the quick start's own `portcullis serve` block, in a directory
  that stands for the repository's root (`examples/` links to the real one). It is a fresh
  server, not run.sh's: the quick start reads the `./portcullis-data/root-credentials` that a
  first start writes (run.sh's server gets its root key from the environment and writes no
  such file), and it creates roles the seed scenarios create too.
- **The client blocks** (the variables recipe, then the profile recipe with its `[services]`
  section) run one after the other in one bash shell started from nothing of the runner's
  AWS setup: no `AWS_*` variable, a fresh `HOME` (the profile recipe appends to
  `~/.aws/config` and `~/.aws/credentials`), `PATH` with the `portcullis` binary, the venv's
  `aws` and `python3` (boto3) and the system's tools. The same shell then runs the workload
  examples (ECS task, instance metadata, web identity), whose subshells must keep the quick
  start's root key from winning over the workload's credentials; a control without the
  `unset` shows that it would win.
- **Substituted, and nothing else**: the port of `127.0.0.1:4600` (a free one: the run must not
  need 4600), the `portcullis` commands' default endpoint `http://127.0.0.1:4600` (a wrapper on
  `PATH` gives them `AWS_ENDPOINT_URL` with that port), the instance listener's
  `127.0.0.1:16925` (a free port), the web identity example's `/tmp/token` (a file of this
  run) and its comment "a role trusting …" (the role is made there, as the comment says).
  The roles the workload examples name (the seeds' PetTracker-ECS-Task,
  PetTracker-EC2-WebServer with its profile) are made beforehand with boto3.
- **The files**: examples/trust.json is valid JSON and a valid trust policy (`portcullis policy
  validate --kind trust`), every `file://` of the blocks exists from the repository's root;
  the install block's `cargo install --path crates/cli` is the package of the `portcullis`
  binary; examples/portcullis.service has the directives the guide promises, passes
  `systemd-analyze verify` (its binary path pointed at the built binary, as
  `/usr/local/bin/portcullis` is not installed here) and its ExecStart, run with another data
  directory and port, starts a healthy server that creates a 0700 data directory.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request
from pathlib import Path

from harness import ACCOUNT, HERE, CheckFailed, Runner, Skipped, eq, match, ok

REPO = HERE.parent.parent
README = REPO / "README.md"
GUIDE = REPO / "docs" / "src"
OPERATIONS = GUIDE / "operations.md"
CLIENTS = GUIDE / "clients.md"
WORKLOADS = GUIDE / "workloads.md"
EXAMPLES = REPO / "examples"
UNIT = EXAMPLES / "portcullis.service"

README_PORT = "127.0.0.1:4600"
README_IMDS = "127.0.0.1:16925"
ROOT_ARN = f"arn:aws:iam::{ACCOUNT}:root"
MARK = "@@@ readme-step "


# --------------------------------------------------------------------------- the page


class Block:
    """A fenced code block of the README or of a page of the user guide."""

    def __init__(self, lang: str, body: str, line: int, section: str, page: str = "README"):
        self.lang, self.body, self.line, self.section, self.page = lang, body, line, section, page

    def __repr__(self) -> str:
        return f"{self.page} L{self.line} ({self.section})"


def sections(text: str) -> dict[str, tuple[int, int]]:
    """Every heading's title: (start, end) of its text, up to the next heading of its level
    or above."""
    heads = [(m.start(), len(m.group(1)), m.group(2).strip()) for m in re.finditer(r"^(#{1,6}) (.+)$", text, re.M)]
    # Headings inside code blocks (shell comments) are not headings.
    fences = [m.span() for m in re.finditer(r"^```.*?^```", text, re.S | re.M)]
    heads = [h for h in heads if not any(a < h[0] < b for a, b in fences)]
    out = {}
    for i, (start, level, title) in enumerate(heads):
        end = next((s for s, lv, _ in heads[i + 1:] if lv <= level), len(text))
        out[title] = (start, end)
    return out


def blocks(text: str, title: str, page: str = "README") -> list[Block]:
    spans = sections(text)
    ok(title in spans, f"{page} has a section {title!r}")
    start, end = spans[title]
    found = []
    for m in re.finditer(r"^```(\w*)\n(.*?)^```[ \t]*$", text[start:end], re.S | re.M):
        line = text.count("\n", 0, start + m.start()) + 1
        found.append(Block(m.group(1), m.group(2), line, title, page))
    return found


def page(path: Path) -> tuple[str, str]:
    """A page of the user guide: its text and its name relative to the repository."""
    ok(path.is_file(), f"{path.relative_to(REPO)} exists")
    return path.read_text(encoding="utf-8"), str(path.relative_to(REPO))


def one(found: list[Block], what: str, *needles: str) -> Block:
    hits = [b for b in found if all(n in b.body for n in needles)]
    if len(hits) != 1:
        raise CheckFailed(f"{len(hits)} README blocks are {what} (containing {needles}): {hits}")
    return hits[0]


# --------------------------------------------------------------------------- helpers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthy(endpoint: str, process: subprocess.Popen, log: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(f"{endpoint}/_portcullis/health", timeout=1) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise CheckFailed(f"no healthy server on {endpoint}: {log.read_text()[-1500:]}")
        time.sleep(0.05)


def stop(process: subprocess.Popen) -> None:
    """Stops a process started in its own session, and its children."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


class Pasted:
    """What a user has: a directory standing for the repository's root, a fresh HOME, PATH
    with `portcullis`, the venv's `aws`/`python3` and the system's tools, no AWS_* setting."""

    def __init__(self, r: Runner, port: int):
        self.root = Path(tempfile.mkdtemp(prefix="readme-", dir=r.workdir))
        (self.root / "examples").symlink_to(EXAMPLES)
        self.home = self.root / "home"
        self.home.mkdir()
        bin_dir = self.root / "bin"
        bin_dir.mkdir()
        binary = os.environ.get("E2E_BIN") or shutil.which("portcullis")
        ok(binary, "E2E_BIN is set (run.sh sets it)")
        # The portcullis commands that reach a server default to http://127.0.0.1:4600 (or
        # AWS_ENDPOINT_URL): the README's port, which is this run's free port here.
        wrapper = bin_dir / "portcullis"
        wrapper.write_text(
            "#!/bin/sh\n"
            f'AWS_ENDPOINT_URL="${{AWS_ENDPOINT_URL:-http://127.0.0.1:{port}}}" exec {shlex.quote(binary)} "$@"\n'
        )
        wrapper.chmod(0o755)
        venv_bin = str(Path(r.aws_bin).parent)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PORTCULLIS_", "E2E_"))}
        env.update(HOME=str(self.home), PATH=os.pathsep.join([str(bin_dir), venv_bin, os.environ.get("PATH", "")]))
        env.pop("VIRTUAL_ENV", None)
        self.env = env


# --------------------------------------------------------------------------- checks


def two_commands(r: Runner, text: str) -> None:
    found = [b for b in blocks(text, "Two commands") if b.lang == "sh"]
    eq(len(found), 1, "shell blocks in Two commands")
    body = found[0].body
    cargo = (REPO / "crates/cli/Cargo.toml").read_text()
    ok("cargo run --release -p portcullis -- serve" in body, "the block starts the server with cargo run -p portcullis")
    ok(re.search(r'^name = "portcullis"$', cargo, re.M), "crates/cli is the package `portcullis`")
    ok("bash scripts/test.sh" in body and (REPO / "scripts/test.sh").is_file(), "scripts/test.sh exists")


def examples_files(r: Runner, quick: list[Block]) -> None:
    trust = EXAMPLES / "trust.json"
    ok(trust.is_file(), "examples/trust.json exists")
    doc = json.loads(trust.read_text())
    eq(doc.get("Version"), "2012-10-17", "Version of examples/trust.json")
    uses = [b for b in quick if "file://examples/trust.json" in b.body]
    ok(uses, "a quick start block uses file://examples/trust.json")
    for b in quick:
        for ref in re.findall(r"file://(\S+)", b.body):
            ok((REPO / ref).is_file(), f"{b}: file://{ref} exists from the repository's root")
    binary = os.environ.get("E2E_BIN")
    if binary:
        proc = subprocess.run([binary, "policy", "validate", "--kind", "trust", str(trust)], capture_output=True,
                              text=True, timeout=60)
        eq(proc.returncode, 0, f"portcullis policy validate --kind trust examples/trust.json ({proc.stdout.strip()})")
        eq(json.loads(proc.stdout)["valid"], True, "valid")


def install_block(r: Runner, block: Block, text: str) -> None:
    ok(re.search(r"^cargo install --path crates/cli\b", block.body, re.M), "cargo install --path crates/cli")
    start, end = sections(text)["Install"]
    ok("~/.cargo/bin/portcullis" in text[start:end], "the section says where the binary goes (~/.cargo/bin/portcullis)")
    cargo = (REPO / "crates/cli/Cargo.toml").read_text()
    ok(re.search(r'\[\[bin\]\]\s*name = "portcullis"', cargo), "crates/cli builds the binary `portcullis`")
    binary = os.environ.get("E2E_BIN")
    if binary and "portcullis --version" in block.body:
        proc = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=30)
        eq(proc.returncode, 0, "portcullis --version")
        match(r"portcullis \d+\.\d+\.\d+\S*\n", proc.stdout, "portcullis --version")


def unit_directives() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in UNIT.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith(("#", ";", "[")) and "=" in line:
            k, v = line.split("=", 1)
            out.setdefault(k.strip(), []).append(v.strip())
    return out


def systemd_unit(r: Runner, block: Block, install: Block) -> None:
    d = unit_directives()
    exec_start = d["ExecStart"][-1]
    want = {
        "User": "portcullis", "Group": "portcullis", "StateDirectory": "portcullis", "StateDirectoryMode": "0700",
        "NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes", "PrivateTmp": "yes",
        "PrivateDevices": "yes", "CapabilityBoundingSet": "",
    }
    for k, v in want.items():
        eq(d.get(k, [None])[-1], v, f"{UNIT.name}: {k}=")
    eq(exec_start, "/usr/local/bin/portcullis serve --data-dir /var/lib/portcullis --listen 127.0.0.1:4600",
       f"{UNIT.name}: ExecStart=")
    binary_path = exec_start.split()[0]
    ok(f"sudo install -m 0755 ~/.cargo/bin/portcullis {binary_path}" in block.body,
       f"the guide installs the binary where ExecStart runs it ({binary_path})")
    ok("~/.cargo/bin/portcullis" in install.body, "the install block names ~/.cargo/bin/portcullis")
    ok(f"examples/{UNIT.name} /etc/systemd/system/{UNIT.name}" in block.body,
       "the guide installs examples/portcullis.service")
    ok(re.search(r"useradd --system .*portcullis", block.body.replace("\\\n", " ")), "the guide makes the user")


def systemd_verify(r: Runner) -> None:
    tool = shutil.which("systemd-analyze")
    binary = os.environ.get("E2E_BIN")
    if not tool or not binary:
        raise Skipped("systemd-analyze is not installed" if not tool else "E2E_BIN is not set")
    d = Path(tempfile.mkdtemp(prefix="unit-", dir=r.workdir))
    unit = d / UNIT.name
    unit.write_text(UNIT.read_text().replace("/usr/local/bin/portcullis", binary))
    proc = subprocess.run([tool, "verify", str(unit)], capture_output=True, text=True, timeout=60)
    eq(proc.returncode, 0, f"systemd-analyze verify: {proc.stderr.strip()[:600]!r}")
    eq(proc.stderr.strip(), "", "systemd-analyze verify's warnings")


def unit_exec_start(r: Runner) -> None:
    binary = os.environ.get("E2E_BIN")
    ok(binary, "E2E_BIN is set")
    args = shlex.split(unit_directives()["ExecStart"][-1])[1:]
    port = free_port()
    state = Path(tempfile.mkdtemp(prefix="state-", dir=r.workdir)) / "portcullis"
    args = [a.replace("/var/lib/portcullis", str(state)).replace(README_PORT, f"127.0.0.1:{port}") for a in args]
    log = state.parent / "server.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PORTCULLIS_"))}
    with log.open("w") as out:
        process = subprocess.Popen([binary, *args], env=env, stdout=out, stderr=subprocess.STDOUT,
                                   cwd=str(state.parent), start_new_session=True)
    try:
        healthy(f"http://127.0.0.1:{port}", process, log)
        eq(mode(state), 0o700, "mode of the data directory")
        eq(mode(state / "root-credentials"), 0o600, "mode of root-credentials")
    finally:
        stop(process)


def guide_copies(quick: list[Block], picked: dict[str, Block]) -> None:
    """The guide repeats the quick start's blocks (install in operations.md; the server, the
    credentials file and both client recipes in clients.md): they must be the README's."""
    ops_text, ops_name = page(OPERATIONS)
    clients_text, clients_name = page(CLIENTS)
    ops = blocks(ops_text, "Install", ops_name)
    clients = blocks(clients_text, "Point AWS clients at it", clients_name)
    for name, found in (("install", ops), ("serve", clients), ("ini", clients), ("variables", clients),
                        ("profile", clients)):
        mine = picked[name]
        same = [b for b in found if b.lang == mine.lang and b.body == mine.body]
        ok(same, f"{mine}: the guide's {found[0].page if found else '?'} has the same block")
    eq(len([b for b in clients if b.lang == "sh"]), len([b for b in quick if b.lang == "sh"]) - 1,
       f"shell blocks of {clients_name}'s client setup (the README's quick start's, but the install block)")


def quick_start(r: Runner) -> None:
    r.section("README: the quick start, pasted (Two commands, Quick start, the guide's service and workload examples)")
    text = README.read_text(encoding="utf-8")
    quick = blocks(text, "Quick start")
    shells = [b for b in quick if b.lang == "sh"]
    picked = {}

    def pick():
        picked["install"] = one(shells, "the install block", "cargo install")
        picked["serve"] = one(shells, "the server block", "portcullis serve")
        picked["variables"] = one(shells, "the variables recipe", "AWS_SHARED_CREDENTIALS_FILE=")
        picked["profile"] = one(shells, "the profile recipe", "[services portcullis]")
        picked["ini"] = one([b for b in quick if b.lang == "ini"], "the root-credentials example", "[default]")
        extra = [b for b in shells if b not in picked.values()]
        ok(not extra, f"every shell block of the quick start is checked here; not {extra}")
        ops_text, ops_name = page(OPERATIONS)
        service = [b for b in blocks(ops_text, "Run it as a service", ops_name) if b.lang == "sh"]
        picked["systemd"] = one(service, "the systemd block", "systemctl")
        work_text, work_name = page(WORKLOADS)
        workloads = blocks(work_text, "Workload credentials: instances, tasks and web identity", work_name)
        picked["imds"] = one(workloads, "the instance example", "portcullis instance run")
        picked["ecs"] = one(workloads, "the task example", "portcullis task run")
        picked["web"] = one(workloads, "the web identity example", "portcullis token issue")

    r.check("README.md: the quick start's blocks (install, server, variables, profile), the guide's systemd "
            "block (docs/src/operations.md) and workload examples (docs/src/workloads.md) are found", pick)
    if len(picked) < 9:
        return
    r.check("docs/src/operations.md and docs/src/clients.md: the guide's copies of the quick start's blocks are "
            "the README's", lambda: guide_copies(quick, picked))
    r.check("Two commands: cargo run -p portcullis is the server's package, scripts/test.sh exists",
            lambda: two_commands(r, text))
    r.check("examples/trust.json: valid JSON, a valid trust policy (portcullis policy validate --kind trust), "
            "and every file:// of the quick start exists from the repository's root",
            lambda: examples_files(r, quick))
    r.check(f"{picked['install']}: cargo install --path crates/cli installs ~/.cargo/bin/portcullis",
            lambda: install_block(r, picked["install"], text))
    r.check(f"{picked['install']} (docs/src/operations.md's copy): cargo install --path crates/cli installs "
            "~/.cargo/bin/portcullis", lambda: install_block(r, picked["install"], page(OPERATIONS)[0]))
    r.check(f"{picked['systemd']}: examples/portcullis.service (dedicated user, StateDirectory, ExecStart, "
            "hardening) and the install commands agree", lambda: systemd_unit(r, picked["systemd"], picked["install"]))
    r.check("systemd-analyze verify examples/portcullis.service", lambda: systemd_verify(r))
    r.check("examples/portcullis.service's ExecStart starts a healthy server (another data directory and port)",
            lambda: unit_exec_start(r))
    for name in ("imds", "ecs", "web"):
        b = picked[name]
        r.check(f"{b}: the {name} example unsets the static keys before the workload's call",
                lambda b=b: ok(re.search(r"^\(?\s*unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN "
                                         r"AWS_SHARED_CREDENTIALS_FILE AWS_PROFILE\n(.*\n)*.*\)", b.body, re.M),
                               "an unset line of the static keys, in a subshell"))
    pasted(r, picked)


def pasted(r: Runner, picked: dict[str, Block]) -> None:
    port = free_port()
    imds_port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    user = Pasted(r, port)

    def sub(body: str) -> str:
        return body.replace(README_PORT, f"127.0.0.1:{port}").replace(README_IMDS, f"127.0.0.1:{imds_port}")

    # The server block, in a shell of its own.
    serve = picked["serve"]
    log = user.root / "server.log"
    started = time.monotonic()
    with log.open("w") as out:
        server = subprocess.Popen(["bash", "-c", sub(serve.body)], cwd=str(user.root), env=user.env, stdout=out,
                                  stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _pasted(r, picked, user, server, log, started, endpoint, sub)
    finally:
        stop(server)


def _pasted(r, picked, user: Pasted, server, log: Path, started: float, endpoint: str, sub) -> None:
    creds_file = user.root / "portcullis-data" / "root-credentials"
    root: dict = {}

    def first_start():
        healthy(endpoint, server, log)
        ok(creds_file.is_file(), "./portcullis-data/root-credentials exists")
        eq(mode(creds_file), 0o600, "its mode")
        content = creds_file.read_text()
        m = re.fullmatch(r"\[default\]\naws_access_key_id = (AKIA[A-Z0-9]{16})\naws_secret_access_key = (\S{40})\n",
                         content)
        ok(m, f"root-credentials is one [default] profile with the key: {content!r}")
        shape = [line.split("=")[0].strip() for line in picked["ini"].body.splitlines()]
        eq(shape, ["[default]", "aws_access_key_id", "aws_secret_access_key"], "the README's example of the file")
        printed = log.read_text()
        ok(f"AWS_ACCESS_KEY_ID={m.group(1)}" in printed, "the first start prints the key once")
        root["creds"] = m.groups()

    status, detail, _ = r._outcome(first_start, None)
    r._record(f"{picked['serve']}: {picked['serve'].body.strip()}   with 127.0.0.1:4600={endpoint[7:]}; "
              "a first start writes ./portcullis-data/root-credentials ([default])", "readme", status,
              time.monotonic() - started, detail, "README")
    if "creds" not in root:
        return

    # What the workload examples take as given: the seeds' roles (seed 004 makes them).
    def setup():
        import boto3

        iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1",
                           aws_access_key_id=root["creds"][0], aws_secret_access_key=root["creds"][1])
        for role, service in (("PetTracker-ECS-Task", "ecs-tasks"), ("PetTracker-EC2-WebServer", "ec2")):
            iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps({
                "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {
                    "Service": f"{service}.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
        iam.create_instance_profile(InstanceProfileName="PetTracker-EC2-WebServer-Profile")
        iam.add_role_to_instance_profile(InstanceProfileName="PetTracker-EC2-WebServer-Profile",
                                         RoleName="PetTracker-EC2-WebServer")

    r.check("boto3: the roles the workload examples name (PetTracker-ECS-Task; PetTracker-EC2-WebServer "
            "and its instance profile)", setup)

    # The web identity example's comment asks for a role trusting the issuer: made there.
    web = sub(picked["web"].body)
    host = endpoint[len("http://"):]
    comment = re.search(r"^# a role trusting .*\n# with .*\n", web, re.M)
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/{host}/oidc"},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {f"{host}/oidc:sub": "system:serviceaccount:ml:trainer"}}}]}
    (user.root / "trainer-trust.json").write_text(json.dumps(trust))
    token = user.root / "token"
    if comment:
        web = web.replace(comment.group(0), comment.group(0) + "aws iam create-role --role-name Trainer "
                          "--assume-role-policy-document file://trainer-trust.json >/dev/null\n")
    web = web.replace("/tmp/token", str(token))

    steps = [
        ("variables", sub(picked["variables"].body)),
        ("profile", sub(picked["profile"].body)),
        ("ecs", sub(picked["ecs"].body)),
        # The control: the same example without its unset line is the root's (the quick
        # start's profile wins over the container credentials).
        ("control", re.sub(r"^ unset AWS_ACCESS_KEY_ID .*\n", "", sub(picked["ecs"].body), flags=re.M)),
        ("imds", sub(picked["imds"].body)),
        ("web", web),
    ]
    script = "set -e\n" + "".join(f'echo "{MARK}{name} $(date +%s.%N)"; echo "{MARK}{name}" >&2\n{body}'
                                   for name, body in steps)
    proc = subprocess.run(["bash", "-c", script], cwd=str(user.root), env=user.env, capture_output=True, text=True,
                          timeout=300)
    ended = time.time()

    def split(stream: str) -> dict[str, str]:
        parts = re.split(rf"^{re.escape(MARK)}(\w+)(?: [\d.]+)?\n", stream, flags=re.M)
        return dict(zip(parts[1::2], parts[2::2]))

    out, err = split(proc.stdout), split(proc.stderr)
    starts = [float(t) for t in re.findall(rf"^{re.escape(MARK)}\w+ ([\d.]+)$", proc.stdout, flags=re.M)]
    seconds = {name: end - start for name, start, end in zip(out, starts, starts[1:] + [ended])}
    last = list(out)[-1] if out else None
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/PetTracker-Lambda-Basic"

    def documents(name: str) -> list:
        """The JSON documents a step printed, one after the other."""
        text, docs, i = out.get(name, ""), [], 0
        decoder = json.JSONDecoder()
        while True:
            while i < len(text) and text[i].isspace():
                i += 1
            if i >= len(text):
                return docs
            doc, i = decoder.raw_decode(text, i)
            docs.append(doc)

    def variables():
        docs = documents("variables")
        eq(len(docs), 6, "documents printed (get-caller-identity, create-role, list-roles, create-role, "
                         "create-user, assume-role)")
        eq(docs[0]["Arn"], ROOT_ARN, "get-caller-identity Arn (the root, from root-credentials' [default])")
        eq(docs[1]["Role"]["Arn"], role_arn, "create-role Role.Arn")
        eq(docs[1]["Role"]["AssumeRolePolicyDocument"], json.loads((EXAMPLES / "trust.json").read_text()),
           "the trust policy of examples/trust.json")
        # (and the roles the workload examples need, made beforehand)
        eq([a for a in docs[2] if "PetTracker-Lambda" in a], [role_arn], "list-roles --query 'Roles[].Arn'")
        reader = f"arn:aws:iam::{ACCOUNT}:role/QuickStart-Reader"
        eq(docs[3]["Role"]["Arn"], reader, "create-role QuickStart-Reader")
        eq(docs[4]["User"]["Arn"], f"arn:aws:iam::{ACCOUNT}:user/alice", "create-user alice")
        eq(docs[5]["AssumedRoleUser"]["Arn"], f"arn:aws:sts::{ACCOUNT}:assumed-role/QuickStart-Reader/alice-reads",
           "assume-role by alice: the role's session")
        match(r"^ASIA[A-Z0-9]{16}$", docs[5]["Credentials"]["AccessKeyId"], "the session's access key")

    def profile():
        docs = documents("profile")
        eq(len(docs), 2, "documents printed (get-caller-identity, get-role)")
        eq(docs[0]["Arn"], ROOT_ARN, "get-caller-identity Arn with AWS_PROFILE=portcullis")
        eq(docs[1], role_arn, "get-role --query Role.Arn")
        creds = (user.home / ".aws" / "credentials").read_text()
        ok(creds.startswith("[portcullis]\n"), f"~/.aws/credentials has the [portcullis] profile: {creds[:40]!r}")

    def ecs():
        docs = documents("ecs")
        eq(len(docs), 1, "documents printed")
        match(rf"arn:aws:sts::{ACCOUNT}:assumed-role/PetTracker-ECS-Task/[0-9a-f]{{32}}", docs[0]["Arn"],
              "get-caller-identity Arn as the task (its role, the task ID)")

    def control():
        ok(re.search(r"^ unset AWS_ACCESS_KEY_ID", picked["ecs"].body, re.M), "the example has the unset line")
        docs = documents("control")
        eq([d.get("Arn") for d in docs], [ROOT_ARN], "without the unset, the quick start's key wins")

    def imds():
        text = out.get("imds", "")
        m = re.match(r"(i-[0-9a-f]{17})\thttp://127\.0\.0\.1:\d+\n", text)
        ok(m, f"portcullis instance run prints ID<TAB>URL: {text[:80]!r}")
        launched = json.loads(text[m.end():text.index("\n}\n") + 3])
        eq(launched["Instances"][0]["IamInstanceProfile"]["Arn"],
           f"arn:aws:iam::{ACCOUNT}:instance-profile/PetTracker-EC2-WebServer-Profile", "run-instances profile")
        rest = text[text.index("\n}\n") + 3:]
        ok(rest.startswith("PetTracker-EC2-WebServer"), f"curl lists the role: {rest[:80]!r}")
        match(rf"PetTracker-EC2-WebServerarn:aws:sts::{ACCOUNT}:assumed-role/PetTracker-EC2-WebServer/i-[0-9a-f]{{17}}\n",
              rest, "the role (curl prints no newline), then python3's GetCallerIdentity Arn as the instance")

    def web_identity():
        docs = documents("web")
        eq(len(docs), 2, "documents printed (create-open-id-connect-provider, get-caller-identity)")
        eq(docs[0]["OpenIDConnectProviderArn"], f"arn:aws:iam::{ACCOUNT}:oidc-provider/{host}/oidc",
           "OpenIDConnectProviderArn")
        match(rf"arn:aws:sts::{ACCOUNT}:assumed-role/Trainer/botocore-session-\d+", docs[1]["Arn"],
              "get-caller-identity Arn as the pod")

    checks = {"variables": variables, "profile": profile, "ecs": ecs, "control": control, "imds": imds,
              "web": web_identity}
    labels = {
        "variables": f"{picked['variables']}: the variables recipe (AWS_SHARED_CREDENTIALS_FILE=root-credentials, "
                     "AWS_ENDPOINT_URL_IAM/STS…): get-caller-identity, create-role file://examples/trust.json, list-roles, "
                     "a role, a user allowed to assume it and its assumed-role session",
        "profile": f"{picked['profile']}: the profile recipe ([portcullis] credentials, [services portcullis] "
                   "config, AWS_PROFILE): get-caller-identity, get-role",
        "ecs": f"{picked['ecs']}: eval \"$(portcullis task run …)\"; (unset …; aws sts get-caller-identity) is the task",
        "control": "control: the task example without its unset line is the root (the quick start's profile wins)",
        "imds": f"{picked['imds']}: portcullis instance run, aws ec2 run-instances, the IMDSv2 curl, "
                "(unset …; python3 boto3) is the instance   with 127.0.0.1:16925=a free port",
        "web": f"{picked['web']}: create-open-id-connect-provider, portcullis token issue, (unset …; "
               "AWS_WEB_IDENTITY_TOKEN_FILE=… aws sts get-caller-identity)   with /tmp/token=a file of the run",
    }
    for name, _ in steps:
        def verify(name=name):
            if name not in out:
                raise CheckFailed(f"not reached: the shell stopped (exit {proc.returncode}) in the step {last!r}")
            if name == last and proc.returncode != 0:
                raise CheckFailed(f"bash exit {proc.returncode} in this step; stderr: {err.get(name, '')[-800:]!r}; "
                                  f"stdout: {out.get(name, '')[-400:]!r}")
            checks[name]()

        status, detail, _ = r._outcome(verify, None)
        if status == "FAIL" and name in out:
            detail += f"\n--- stdout\n{out.get(name, '')[:1500]}\n--- stderr\n{err.get(name, '')[-800:]}"
        r._record(labels[name], "readme", status, seconds.get(name, 0.0), detail, "README")


def run_all(r: Runner) -> None:
    try:
        quick_start(r)
    except Exception as e:  # noqa: BLE001 - a broken part is a failure, not a crash
        r._record(f"readme checks stopped: {e!r}", "readme", "FAIL", detail=traceback.format_exc(limit=4))


if __name__ == "__main__":  # pragma: no cover - run by main.py
    sys.exit("run through main.py")
