"""The AWS SDK for JavaScript v3 against the server: js/checks.mjs, run by node.

run.sh installs the SDK (`npm ci` from js/package-lock.json, pinned versions) into
js/node_modules. The script prints one JSON line per check; each is recorded here as a step
of the suite (kind "js"), so it counts in the summary as any other check. What it checks:
see js/checks.mjs (create → assume → use with @aws-sdk/client-iam and client-sts, and the
fromInstanceMetadata, fromContainerMetadata, fromTokenFile, fromWebToken and
fromTemporaryCredentials providers of @aws-sdk/credential-providers, and the default chain).

node runs with no AWS_* variable and a fresh HOME; the root's keys, the binary and the data
directory come as E2E_* and PORTCULLIS_ROOT_* variables.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time

from harness import HERE, Runner

JS_DIR = HERE / "js"


def run_all(r: Runner) -> None:
    r.section("JavaScript SDK v3: create, assume, use; the IMDS, ECS and web-identity providers")
    node = shutil.which("node")
    if not node:
        r._record("node is not installed (Node.js 20+ is needed; E2E_JS=0 in run.sh skips these checks)", "js",
                  "FAIL")
        return
    if not (JS_DIR / "node_modules" / "@aws-sdk" / "client-iam").is_dir():
        r._record(f"no {JS_DIR / 'node_modules'}: run.sh installs it (npm ci)", "js", "FAIL")
        return
    workdir = tempfile.mkdtemp(prefix="js-", dir=r.workdir)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        HOME=workdir,
        E2E_ENDPOINT=r.endpoint,
        PORTCULLIS_ROOT_ACCESS_KEY_ID=r.root[0],
        PORTCULLIS_ROOT_SECRET_ACCESS_KEY=r.root[1],
        E2E_BIN=os.environ.get("E2E_BIN", ""),
        E2E_DATA_DIR=os.environ.get("E2E_DATA_DIR", ""),
        E2E_JS_WORKDIR=workdir,
    )
    started = time.monotonic()
    proc = subprocess.run([node, "checks.mjs"], cwd=str(JS_DIR), env=env, capture_output=True, text=True,
                          timeout=300)
    seconds = time.monotonic() - started
    done = None
    recorded = 0
    for line in proc.stdout.splitlines():
        try:
            item = json.loads(line)
        except ValueError:
            print(f"          node: {line}")
            continue
        if "versions" in item:
            print("  node " + ", ".join(f"{k} {v}" for k, v in item["versions"].items()), flush=True)
        elif "done" in item:
            done = item["done"]
        else:
            recorded += 1
            r._record(item["label"], "js", item["status"], item.get("seconds", 0.0), item.get("detail", ""))
    if proc.returncode != 0 or done != recorded:
        r._record(f"node checks.mjs exited {proc.returncode} after {recorded} checks (of {done}) in {seconds:.1f}s",
                  "js", "FAIL", detail=proc.stderr[-2000:])
