#!/usr/bin/env bash
# End-to-end test: the README's quick start pasted, the seed documents' aws CLI commands and
# the boto3 equivalents of their Pulumi programs, workload credentials (instance metadata, ECS
# task credentials, web identity), the JavaScript SDK v3, against a real `portcullis serve`
# with a fresh data directory; and, at the same time, the seeds' scenarios and the --dev
# checks against a second server started with --dev (another fresh data directory and port).
#
# Builds nothing: build the server first (cargo build -p portcullis).
#   PORTCULLIS_BIN  the server binary (default <repo>/target/debug/portcullis)
#   E2E_VENV        the Python virtualenv to create or reuse (default <repo>/.venv)
#   E2E_PYTHON      the Python that creates it (default python3; 3.9 or newer)
#   E2E_JS=0        leave out the JavaScript SDK checks (they need Node.js 20+ and npm)
#   E2E_DEV=0       leave out the --dev run
#   E2E_VERBOSE=1   print the details of every step
# Exits non-zero when any check fails.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
bin="${PORTCULLIS_BIN:-$repo/target/debug/portcullis}"
venv="${E2E_VENV:-$repo/.venv}"
python="${E2E_PYTHON:-python3}"

say() { printf '[e2e] %s\n' "$*"; }

if [ ! -x "$bin" ]; then
  say "no server binary at $bin: build it first (cargo build -p portcullis) or set PORTCULLIS_BIN" >&2
  exit 2
fi

# The virtualenv, with requirements.txt installed (again only when the file changes).
requirements="$here/requirements.txt"
stamp="$venv/.e2e-requirements"
want="$(sha256sum "$requirements" | cut -d' ' -f1)"
if [ ! -x "$venv/bin/python" ]; then
  say "creating the virtualenv $venv"
  "$python" -m venv "$venv"
  printf '*\n' > "$venv/.gitignore"
fi
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ] || [ ! -x "$venv/bin/aws" ]; then
  say "installing $requirements"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
  "$venv/bin/python" -m pip check
  printf '%s\n' "$want" > "$stamp"
fi

# The JavaScript SDK v3: js/package-lock.json installed with `npm ci` into js/node_modules
# (again only when package.json or the lock file changes).
js_enabled="${E2E_JS:-1}"
if [ "$js_enabled" != "0" ]; then
  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    say "the JavaScript SDK checks need Node.js 20+ and npm (E2E_JS=0 leaves them out)" >&2
    exit 2
  fi
  node_major="$(node -p 'process.versions.node.split(".")[0]')"
  if [ "$node_major" -lt 20 ]; then
    say "the JavaScript SDK checks need Node.js 20+, not $(node --version) (E2E_JS=0 leaves them out)" >&2
    exit 2
  fi
  js_dir="$here/js"
  js_stamp="$js_dir/node_modules/.e2e-package-lock"
  js_want="$(cat "$js_dir/package.json" "$js_dir/package-lock.json" | sha256sum | cut -d' ' -f1)"
  if [ "$(cat "$js_stamp" 2>/dev/null || true)" != "$js_want" ]; then
    say "installing $js_dir/package-lock.json (npm ci)"
    (cd "$js_dir" && npm ci --no-audit --no-fund --loglevel=error)
    printf '%s\n' "$js_want" > "$js_stamp"
  fi
fi

# The servers: each with a fresh data directory (whose OpenID Connect issuer key `portcullis
# token issue` signs with), on a free port, with known root credentials; the second one --dev.
export PORTCULLIS_ROOT_ACCESS_KEY_ID="AKIAE2EROOT000000001"
export PORTCULLIS_ROOT_SECRET_ACCESS_KEY="e2e/Root+Secret0123456789abcdefghijklmno"
workdir="$(mktemp -d "${TMPDIR:-/tmp}/portcullis-e2e.XXXXXX")"
pids=()
cleanup() {
  for pid in ${pids[@]+"${pids[@]}"}; do
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$workdir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  "$venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_server NAME PORT DATA_DIR [FLAG...]: `portcullis serve` in the background, its log in
# $workdir/NAME-server.log, its process ID appended to pids; returns once it is healthy.
start_server() {
  local name="$1" port="$2" data="$3"
  shift 3
  local endpoint="http://127.0.0.1:$port" log="$workdir/$name-server.log"
  say "starting $bin serve --data-dir $data --listen 127.0.0.1:$port $*"
  # Nothing of the caller's environment configures the server but what is set here.
  env -u PORTCULLIS_DATA_DIR -u PORTCULLIS_IN_MEMORY -u PORTCULLIS_DEV -u PORTCULLIS_ENFORCE \
    -u PORTCULLIS_ACCOUNT_ID -u PORTCULLIS_LISTEN -u PORTCULLIS_ISSUER_URL -u PORTCULLIS_OIDC_KEYS \
    -u PORTCULLIS_WORKLOAD_SESSION_SECONDS -u PORTCULLIS_IMDS_ALLOW -u PORTCULLIS_MAX_INSTANCES -u PORTCULLIS_MAX_TASKS \
    -u PORTCULLIS_MAX_CONNECTIONS -u PORTCULLIS_HEADER_READ_TIMEOUT -u PORTCULLIS_IDLE_TIMEOUT \
    -u PORTCULLIS_REQUEST_TIMEOUT -u PORTCULLIS_REGIONS -u PORTCULLIS_AUDIT_LOG -u PORTCULLIS_NO_AUDIT \
    "$bin" serve --data-dir "$data" --listen "127.0.0.1:$port" "$@" >"$log" 2>&1 &
  local pid=$!
  pids+=("$pid")
  for _ in $(seq 1 100); do
    if "$venv/bin/python" - "$endpoint" <<'EOF' 2>/dev/null; then break; fi
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1] + "/_portcullis/health", timeout=1) as r:
    sys.exit(0 if r.status == 200 else 1)
EOF
    if ! kill -0 "$pid" 2>/dev/null; then
      say "the $name server exited before it was healthy:" >&2
      cat "$log" >&2
      exit 1
    fi
    sleep 0.1
  done
  if ! "$venv/bin/python" -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1] + '/_portcullis/health', timeout=2)" "$endpoint" 2>/dev/null; then
    say "the $name server did not answer on $endpoint/_portcullis/health in 10 s:" >&2
    cat "$log" >&2
    exit 1
  fi
  say "$name server healthy on $endpoint"
}

port="$(free_port)"
endpoint="http://127.0.0.1:$port"
data_dir="$workdir/data"
start_server main "$port" "$data_dir" --audit-log "$workdir/audit.jsonl"
dev_enabled="${E2E_DEV:-1}"
if [ "$dev_enabled" != "0" ]; then
  dev_port="$(free_port)"
  dev_endpoint="http://127.0.0.1:$dev_port"
  dev_data_dir="$workdir/dev-data"
  start_server dev "$dev_port" "$dev_data_dir" --dev
fi

# The clients: nothing from the caller's AWS configuration.
for v in $(compgen -e | grep '^AWS_' || true); do unset "$v"; done
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
export AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
export E2E_AWS="$venv/bin/aws" PYTHONDONTWRITEBYTECODE=1 E2E_BIN="$bin" E2E_JS="$js_enabled"

# The --dev run goes on at the same time as the main one (each is one client at a time, so
# the two share a 2-core machine's cores), its output kept for after the main run's.
started=$SECONDS
dev_pid=""
if [ "$dev_enabled" != "0" ]; then
  say "the --dev run starts in the background (its report follows the main one)"
  E2E_ENDPOINT="$dev_endpoint" E2E_DATA_DIR="$dev_data_dir" \
    "$venv/bin/python" "$here/main.py" --dev >"$workdir/dev-run.log" 2>&1 &
  dev_pid=$!
  pids+=("$dev_pid")
fi

set +e
E2E_ENDPOINT="$endpoint" E2E_DATA_DIR="$data_dir" E2E_AUDIT_LOG="$workdir/audit.jsonl" PYTHONUNBUFFERED=1 \
  "$venv/bin/python" "$here/main.py" 2>&1 | tee "$workdir/main-run.log"
status=${PIPESTATUS[0]}
set -e
if [ "$status" -ne 0 ]; then
  say "the server's log:"
  tail -n 50 "$workdir/main-server.log" || true
fi

dev_status=0
if [ -n "$dev_pid" ]; then
  wait "$dev_pid" || dev_status=$?
  printf '\n'
  say "the --dev run (a second server with --dev, the seeds' scenarios and dev_checks.py):"
  cat "$workdir/dev-run.log"
  if [ "$dev_status" -ne 0 ]; then
    say "the --dev server's log:"
    tail -n 50 "$workdir/dev-server.log" || true
  fi
  printf '\n'
  say "main run: $(grep -E '^e2e: ' "$workdir/main-run.log" || echo 'no summary') (exit $status);" \
    "--dev run: $(grep -E '^e2e --dev: ' "$workdir/dev-run.log" || echo 'no summary') (exit $dev_status);" \
    "both together took $((SECONDS - started)) s"
fi
if [ "$status" -ne 0 ]; then exit "$status"; fi
exit "$dev_status"
