"""Runs the whole end-to-end suite against a running Portcullis server.

    main.py          the suite, against a server in the default mode (signatures verified)
    main.py --dev    the seeds' scenarios, seed 004's instance metadata commands and
                     dev_checks.py, against a server started with --dev

Environment (run.sh sets it all):
  E2E_ENDPOINT                        the server, e.g. http://127.0.0.1:45123
  PORTCULLIS_ROOT_ACCESS_KEY_ID       the account's root access key the server was started with
  PORTCULLIS_ROOT_SECRET_ACCESS_KEY   its secret
  E2E_AWS                             the aws CLI (default: the one beside this Python)
  E2E_BIN                             the portcullis binary (`instance run`, `task run`, `token issue`,
                                      `export`, `import`, and the second server of the round trip)
  E2E_DATA_DIR                        the server's data directory (its OpenID Connect issuer's key)
  E2E_VERBOSE=1                       print the details of every step
  E2E_JS=0                            leave out the JavaScript SDK checks (js_checks.py)
Exits 0 when every check passed (skips and marked server bugs aside), 1 otherwise.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import api_checks  # noqa: E402
import audit_checks  # noqa: E402
import dev_checks  # noqa: E402
import import_export_checks  # noqa: E402
import js_checks  # noqa: E402
import paginator_checks  # noqa: E402
import pulumi_programs  # noqa: E402
import readme_checks  # noqa: E402
import saml_checks  # noqa: E402
import sdk_checks  # noqa: E402
import sts_checks  # noqa: E402
import workload_checks  # noqa: E402
import seeds  # noqa: E402
from harness import Runner, die  # noqa: E402


def main() -> int:
    dev = sys.argv[1:] == ["--dev"]
    if sys.argv[1:] and not dev:
        die(f"usage: main.py [--dev], not {' '.join(sys.argv[1:])}")
    endpoint = os.environ.get("E2E_ENDPOINT") or die("E2E_ENDPOINT is not set")
    key = os.environ.get("PORTCULLIS_ROOT_ACCESS_KEY_ID") or die("PORTCULLIS_ROOT_ACCESS_KEY_ID is not set")
    secret = os.environ.get("PORTCULLIS_ROOT_SECRET_ACCESS_KEY") or die("PORTCULLIS_ROOT_SECRET_ACCESS_KEY is not set")
    aws = os.environ.get("E2E_AWS") or str(Path(sys.executable).parent / "aws")
    if not Path(aws).exists():
        aws = shutil.which("aws") or die(f"no aws CLI at {aws}")
    r = Runner(endpoint, key, secret, aws)
    started = time.monotonic()
    try:
        if dev:
            seeds.run_all(r)
            workload_checks.run_seed_part(r)
            dev_checks.run_all(r)
            seeds.account_consistency(r)
        else:
            readme_checks.run_all(r)
            seeds.run_all(r)
            pulumi_programs.run_all(r)
            sdk_checks.run_all(r)
            sts_checks.run_all(r)
            saml_checks.run_all(r)
            workload_checks.run_all(r)
            if os.environ.get("E2E_JS", "1") != "0":
                js_checks.run_all(r)
            audit_checks.run_all(r)
            paginator_checks.run_all(r)
            api_checks.run_all(r)
            import_export_checks.run_all(r)
            seeds.account_consistency(r)
    finally:
        shutil.rmtree(r.workdir, ignore_errors=True)
    return r.summary(time.monotonic() - started, "e2e --dev" if dev else "e2e")


if __name__ == "__main__":
    sys.exit(main())
