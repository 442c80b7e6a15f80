"""The small test harness of the end-to-end suite.

It reads the seed documents copied in seeds/, finds every shell command in them, runs the
ones a scenario asks for through the real `aws` CLI (a shell function adds only
`--endpoint-url` and `--output json`; region and credentials come from the environment),
records boto3 checks, and prints a summary whose last line is `e2e: N passed, N failed,
N skipped`.

Statuses: PASS, FAIL, SKIP (with the reason), XFAIL (a reported server bug, marked where the
check is made) and XPASS (a marked check that passes: the bug is fixed, remove the mark; it
counts as a failure so the mark does not outlive the bug).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Tuple, Union

HERE = Path(__file__).resolve().parent
SEEDS_DIR = HERE / "seeds"
FILES_DIR = HERE / "files"

ACCOUNT = "123456789012"
REGION = "us-east-1"


# --------------------------------------------------------------------------- checks


class CheckFailed(AssertionError):
    """A check whose expectation did not hold."""


def eq(actual: Any, expected: Any, what: str) -> None:
    """`actual == expected`, or a failure naming `what`."""
    if actual != expected:
        raise CheckFailed(
            f"{what}: expected {json.dumps(expected, default=str)}, "
            f"got {json.dumps(actual, default=str)}"
        )


def ok(cond: Any, what: str) -> None:
    """A truthy `cond`, or a failure saying `what` should hold."""
    if not cond:
        raise CheckFailed(what)


def match(pattern: str, value: Any, what: str) -> None:
    """`value` is a string matching the regular expression `pattern` entirely."""
    if not isinstance(value, str) or not re.fullmatch(pattern, value):
        raise CheckFailed(f"{what}: {value!r} does not match /{pattern}/")


ISO_DATE = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})"


# --------------------------------------------------------------------------- seeds


@dataclass
class SeedCommand:
    """One shell command found in a seed document, exactly as written there."""

    seed: "Seed"
    line: int
    text: str
    claimed: str | None = None  # "run" or "skip" once a scenario has used it

    @property
    def where(self) -> str:
        return f"{self.seed.short} L{self.line}"

    @property
    def one_line(self) -> str:
        """The command on one line, for reports."""
        return re.sub(r"\s+", " ", self.text.replace("\\\n", " ")).strip()

    def argv(self) -> list[str]:
        """The command's words as the shell would split them."""
        return shlex.split(self.text.replace("\\\n", " "))

    def arg(self, option: str) -> str:
        """The value given to `option` in the command."""
        words = self.argv()
        return words[words.index(option) + 1]


def _open_quotes(text: str) -> bool:
    """Whether `text` leaves a shell quote open."""
    quote = None
    escaped = False
    for ch in text:
        if escaped:
            escaped = False
        elif ch == "\\" and quote != "'":
            escaped = True
        elif quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
    return quote is not None


COMMAND_START = re.compile(r"^\s*(aws |curl |[A-Z_]+=\$\(curl )")


class Seed:
    """A seed document copied into seeds/ and the shell commands written in it."""

    def __init__(self, filename: str, title: str):
        self.path = SEEDS_DIR / filename
        self.short = filename[:3]
        self.title = title
        self.text = self.path.read_text(encoding="utf-8")
        self.commands = self._extract()
        self.snippets: list[tuple[str, str]] = []  # (snippet, reason) for non-shell code
        self.note = ""  # how a seed without shell commands is covered

    def _extract(self) -> list[SeedCommand]:
        lines = self.text.splitlines()
        found = []
        i = 0
        while i < len(lines):
            if COMMAND_START.match(lines[i]):
                start = i
                block = [lines[i]]
                while i + 1 < len(lines) and (
                    block[-1].rstrip().endswith("\\") or _open_quotes("\n".join(block))
                ):
                    i += 1
                    block.append(lines[i])
                found.append(SeedCommand(self, start + 1, "\n".join(block)))
            i += 1
        return found

    def command(self, *needles: str, exact: str | None = None) -> SeedCommand:
        """The one command of this seed containing every needle (or written as `exact`)."""
        hits = [
            c
            for c in self.commands
            if all(n in c.text for n in needles) and (exact is None or c.text.strip() == exact)
        ]
        if len(hits) != 1:
            raise LookupError(f"seed {self.short}: {len(hits)} commands match {needles}")
        return hits[0]

    def json_block(self, *needles: str) -> tuple[int, str, Any]:
        """The one JSON code block of this seed containing every needle: (line, text, value)."""
        hits = []
        for m in re.finditer(r"```json\n(.*?)```", self.text, re.S):
            body = m.group(1)
            if all(n in body for n in needles):
                line = self.text.count("\n", 0, m.start(1)) + 1
                try:
                    value = json.loads(body)
                except ValueError:  # an excerpt such as a task definition with [...]
                    value = None
                hits.append((line, body, value))
        if len(hits) != 1:
            raise LookupError(f"seed {self.short}: {len(hits)} JSON blocks match {needles}")
        return hits[0]


# --------------------------------------------------------------------------- results


@dataclass
class Result:
    section: str
    label: str
    kind: str  # "seed" (a seed command run verbatim), "derived" (CLI), "boto3", "snippet",
    # "readme" (a README block run verbatim), "js" (a JavaScript SDK check)
    status: str  # PASS FAIL SKIP XFAIL XPASS
    seconds: float = 0.0
    detail: str = ""
    where: str = ""


@dataclass
class CliRun:
    rc: int
    stdout: str
    stderr: str
    out: Any  # stdout parsed as JSON, or None when empty

    @property
    def error_code(self) -> str | None:
        m = re.search(r"An error occurred \(([^)]+)\)", self.stderr)
        return m.group(1) if m else None

    @property
    def error_message(self) -> str | None:
        m = re.search(r"An error occurred \([^)]+\) when calling the \w+ operation: (.*)", self.stderr)
        return m.group(1).strip() if m else None


Xfail = Union[str, Tuple[str, str]]


class Skipped(Exception):
    """Raised by a check to say the step is skipped, with the reason."""


class Runner:
    """Runs steps against one server and keeps their results."""

    def __init__(self, endpoint: str, access_key: str, secret_key: str, aws_bin: str):
        self.endpoint = endpoint
        self.root = (access_key, secret_key)
        self.aws_bin = aws_bin
        self.results: list[Result] = []
        self.section_name = ""
        self.seeds: list[Seed] = []
        self.workdir = Path(tempfile.mkdtemp(prefix="portcullis-e2e-"))
        self.verbose = os.environ.get("E2E_VERBOSE") == "1"

    # ------------------------------------------------------------------ plumbing

    def section(self, name: str) -> None:
        self.section_name = name
        print(f"\n== {name}", flush=True)

    def seed(self, filename: str, title: str, note: str = "") -> Seed:
        s = Seed(filename, title)
        s.note = note
        self.seeds.append(s)
        return s

    def _record(self, label, kind, status, seconds=0.0, detail="", where="") -> Result:
        r = Result(self.section_name, label, kind, status, seconds, detail, where)
        self.results.append(r)
        tag = f"[{where}] " if where else ""
        print(f"  {status:<5} {tag}{label}" + (f"  ({seconds:.1f}s)" if seconds else ""), flush=True)
        if detail and (status in ("FAIL", "XPASS", "XFAIL", "SKIP") or self.verbose):
            for line in detail.splitlines():
                print(f"          {line}", flush=True)
        return r

    def env(self, creds: tuple[str, str] | None = None) -> dict[str, str]:
        """The environment of a CLI run: no AWS setting from outside, only ours."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        key, secret = creds or self.root
        env.update(
            AWS_CONFIG_FILE="/dev/null",
            AWS_SHARED_CREDENTIALS_FILE="/dev/null",
            AWS_DEFAULT_REGION=REGION,
            AWS_EC2_METADATA_DISABLED="true",
            AWS_ACCESS_KEY_ID=key,
            AWS_SECRET_ACCESS_KEY=secret,
            E2E_AWS=self.aws_bin,
            E2E_ENDPOINT=self.endpoint,
        )
        return env

    def _outcome(self, fn: Callable[[], Any], xfail: Xfail | None) -> tuple[str, str, Any]:
        """Runs `fn`: (status, detail, value). `xfail` is a reported server bug, as its
        description or (description, a regular expression the failure must match: any other
        failure stays a FAIL)."""
        pattern = None
        if isinstance(xfail, tuple):
            xfail, pattern = xfail
        try:
            value = fn()
        except Skipped as s:
            if xfail:
                return "XPASS", f"marked as expected failure ({xfail}) but the bug no longer shows " \
                    f"(now skipped: {s}): remove the mark", None
            return "SKIP", str(s), None
        except Exception as e:  # noqa: BLE001 - every failure is reported, not raised
            detail = str(e) if isinstance(e, CheckFailed) else traceback.format_exc(limit=3)
            if xfail and (pattern is None or re.search(pattern, detail)):
                return "XFAIL", f"expected failure ({xfail}): {detail}", None
            if xfail:
                detail = f"marked as expected failure ({xfail}), but failed otherwise: {detail}"
            return "FAIL", detail, None
        if xfail:
            return "XPASS", f"marked as expected failure ({xfail}) but passed: remove the mark", value
        return "PASS", "", value

    # ------------------------------------------------------------------ steps

    def cli(
        self,
        command: SeedCommand | str,
        *,
        label: str | None = None,
        subs: dict[str, str] | None = None,
        expect_error: str | None = None,
        check: Callable[[Any], None] | None = None,
        cwd: Path | None = None,
        creds: tuple[str, str] | None = None,
        env: dict[str, str] | None = None,
        xfail: Xfail | None = None,
        not_implemented: str | None = None,
    ) -> CliRun | None:
        """Runs a command through the aws CLI and checks it.

        `command` is a seed command (run verbatim, after replacing the placeholders in `subs`)
        or a derived command line. `expect_error` is the AWS error code the command must fail
        with; otherwise it must exit 0. `check` gets the parsed JSON output. With
        `not_implemented`, a NotImplemented answer makes the step a SKIP with that reason
        (and any other answer is checked as usual). `env` replaces the whole environment of
        the run (a workload's, without static keys); otherwise it is `self.env(creds)`.
        """
        if isinstance(command, SeedCommand):
            kind, text, where = "seed", command.text, command.where
            command.claimed = "run"
            label = label or command.one_line
        else:
            kind, text, where = "derived", command, ""
            label = label or re.sub(r"\s+", " ", command.replace("\\\n", " ")).strip()
        for placeholder, value in (subs or {}).items():
            ok(placeholder in text, f"placeholder {placeholder} not in the command")
            text = text.replace(placeholder, value)
        if subs:
            label += "   with " + ", ".join(f"{k}={v}" for k, v in subs.items())
        if len(label) > 160:
            label = label[:157] + "..."

        script = 'aws() { "$E2E_AWS" --endpoint-url "$E2E_ENDPOINT" --output json "$@"; }\n' + text
        started = time.monotonic()
        proc = subprocess.run(
            ["bash", "-c", script],
            env=env if env is not None else self.env(creds),
            cwd=str(cwd or self.workdir),
            capture_output=True,
            text=True,
            timeout=180,
        )
        seconds = time.monotonic() - started
        out = None
        parse_error = None
        if proc.stdout.strip():
            try:
                out = json.loads(proc.stdout)
            except ValueError as e:
                parse_error = f"stdout is not JSON ({e}): {proc.stdout[:500]}"
        run = CliRun(proc.returncode, proc.stdout, proc.stderr, out)

        def verify():
            if not_implemented and run.error_code == "NotImplemented":
                raise Skipped(f"{not_implemented} (server answers NotImplemented: {run.error_message})")
            if expect_error:
                ok(
                    run.rc != 0 and run.error_code == expect_error,
                    f"expected error {expect_error}; exit {run.rc}, "
                    f"stderr: {run.stderr.strip()[:800]!r}, stdout: {run.stdout.strip()[:300]!r}",
                )
                eq(run.rc, 255, "exit code of aws CLI v1 on a service error")
            else:
                ok(
                    run.rc == 0,
                    f"exit {run.rc}; stderr: {run.stderr.strip()[:800]!r}",
                )
                ok(parse_error is None, parse_error or "")
            if check:
                check(run.error_message if expect_error else out)

        status, detail, _ = self._outcome(verify, xfail)
        if status in ("FAIL", "XFAIL") and self.verbose:
            detail += f"\n--- command\n{text}\n--- stdout\n{proc.stdout[:2000]}"
        self._record(label, kind, status, seconds, detail, where)
        return run

    def check(self, label: str, fn: Callable[[], Any], *, xfail: Xfail | None = None) -> Any:
        """Runs a boto3 (or other Python) check: passes unless `fn` raises."""
        started = time.monotonic()
        status, detail, value = self._outcome(fn, xfail)
        self._record(label, "boto3", status, time.monotonic() - started, detail)
        return value

    def skip(self, command: SeedCommand, reason: str) -> None:
        """Lists a seed command that this server cannot run, with the reason."""
        command.claimed = "skip"
        self._record(command.one_line[:160], "seed", "SKIP", 0.0, reason, command.where)

    def skip_snippet(self, seed: Seed, what: str, reason: str) -> None:
        """Lists a non-shell code snippet of a seed (Python, JSON for another service)."""
        seed.snippets.append((what, reason))
        self._record(what, "snippet", "SKIP", 0.0, reason, seed.short)

    def write(self, name: str, content: str) -> Path:
        """Writes a file into the working directory the commands run in."""
        path = self.workdir / name
        path.write_text(content, encoding="utf-8")
        return path

    # ------------------------------------------------------------------ report

    def coverage_failures(self) -> list[str]:
        """Seed commands that no scenario ran or listed as skipped."""
        missing = []
        for s in self.seeds:
            for c in s.commands:
                if not c.claimed:
                    missing.append(f"[{c.where}] {c.one_line}")
        return missing

    def summary(self, elapsed: float, name: str = "e2e") -> int:
        for missing in self.coverage_failures():
            self.section_name = "coverage"
            self._record(f"seed command neither run nor listed as skipped: {missing}", "coverage", "FAIL")

        res = self.results
        count = lambda st, kind=None: sum(  # noqa: E731
            1 for r in res if r.status == st and (kind is None or r.kind == kind)
        )
        print("\n================ summary ================")
        for s in self.seeds:
            run = [c for c in s.commands if c.claimed == "run"]
            skipped = [c for c in s.commands if c.claimed == "skip"]
            print(
                f"seed {s.path.name} ({s.title}): {len(s.commands)} shell commands, "
                f"{len(run)} run verbatim, {len(skipped)} skipped"
                + (f", {len(s.snippets)} other snippets listed as skipped" if s.snippets else "")
                + (f"; {s.note}" if s.note else "")
            )
        commands = [c for s in self.seeds for c in s.commands]
        seed_runs = [r for r in res if r.kind == "seed" and r.status != "SKIP"]
        print(
            f"\nseed shell commands: {len(commands)}; "
            f"{sum(1 for c in commands if c.claimed == 'run')} run verbatim (aws CLI, curl) "
            f"({len(seed_runs)} runs: {count('PASS', 'seed')} passed, {count('FAIL', 'seed')} failed, "
            f"{count('XFAIL', 'seed')} expected failures, {count('SKIP', 'seed') - sum(1 for c in commands if c.claimed == 'skip')} skipped as not implemented), "
            f"{sum(1 for c in commands if c.claimed == 'skip')} skipped"
        )
        print(f"derived aws CLI commands (setup and read-back): {sum(1 for r in res if r.kind == 'derived')}")
        print(f"boto3 checks: {sum(1 for r in res if r.kind == 'boto3')}")
        for kind, what in (("readme", "README blocks run verbatim (and their checks)"),
                           ("js", "JavaScript SDK v3 checks")):
            n = sum(1 for r in res if r.kind == kind)
            if n:
                print(f"{what}: {n} ({count('PASS', kind)} passed, {count('FAIL', kind)} failed)")

        skips = [r for r in res if r.status == "SKIP"]
        if skips:
            print(f"\nskipped ({len(skips)}):")
            for r in skips:
                tag = f"[{r.where}] " if r.where else ""
                print(f"  - {tag}{r.label}\n      why: {r.detail}")
        xfails = [r for r in res if r.status == "XFAIL"]
        if xfails:
            print(f"\nexpected failures, known server bugs ({len(xfails)}):")
            for r in xfails:
                print(f"  - {r.label}\n      {r.detail.splitlines()[0]}")
        bad = [r for r in res if r.status in ("FAIL", "XPASS")]
        if bad:
            print(f"\nFAILURES ({len(bad)}):")
            for r in bad:
                tag = f"[{r.where}] " if r.where else ""
                print(f"  - {r.section}: {tag}{r.label}")
                for line in r.detail.splitlines()[:12]:
                    print(f"      {line}")
        else:
            print("\nall checks passed" + (" (known server bugs excepted)" if xfails else ""))
        print(f"took {elapsed:.1f}s")
        passed = count("PASS")
        failed = len(bad)
        print(f"expected failures: {len(xfails)}")
        print(f"{name}: {passed} passed, {failed} failed, {len(skips)} skipped")
        return 1 if failed else 0


def die(message: str) -> None:
    print(f"e2e: {message}", file=sys.stderr)
    sys.exit(2)
