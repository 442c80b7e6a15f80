#!/usr/bin/env bash
# End-to-end test: the seed documents' aws CLI commands and the boto3 equivalents of their
# Pulumi programs, and workload credentials (instance metadata, ECS task credentials, web
# identity), against a real `portcullis serve` with a fresh data directory.
#
# Builds nothing: build the server first (cargo build -p portcullis).
#   PORTCULLIS_BIN  the server binary (default <repo>/target/debug/portcullis)
#   E2E_VENV        the Python virtualenv to create or reuse (default <repo>/.venv)
#   E2E_PYTHON      the Python that creates it (default python3; 3.9 or newer)
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

# The server: a fresh data directory (whose OpenID Connect issuer key `portcullis token issue`
# signs with), on a free port, with known root credentials.
export PORTCULLIS_ROOT_ACCESS_KEY_ID="AKIAE2EROOT000000001"
export PORTCULLIS_ROOT_SECRET_ACCESS_KEY="e2e/Root+Secret0123456789abcdefghijklmno"
workdir="$(mktemp -d "${TMPDIR:-/tmp}/portcullis-e2e.XXXXXX")"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$workdir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port="$("$venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
endpoint="http://127.0.0.1:$port"
data_dir="$workdir/data"
say "starting $bin serve --data-dir $data_dir --listen 127.0.0.1:$port"
# Nothing of the caller's environment configures the server but what is set here.
env -u PORTCULLIS_DATA_DIR -u PORTCULLIS_IN_MEMORY -u PORTCULLIS_DEV -u PORTCULLIS_ENFORCE \
  -u PORTCULLIS_ACCOUNT_ID -u PORTCULLIS_LISTEN -u PORTCULLIS_ISSUER_URL -u PORTCULLIS_OIDC_KEYS \
  -u PORTCULLIS_WORKLOAD_SESSION_SECONDS -u PORTCULLIS_IMDS_ALLOW -u PORTCULLIS_MAX_INSTANCES -u PORTCULLIS_MAX_TASKS \
  -u PORTCULLIS_MAX_CONNECTIONS -u PORTCULLIS_HEADER_READ_TIMEOUT -u PORTCULLIS_IDLE_TIMEOUT \
  -u PORTCULLIS_REQUEST_TIMEOUT -u PORTCULLIS_REGIONS \
  "$bin" serve --data-dir "$data_dir" --listen "127.0.0.1:$port" --audit-log "$workdir/audit.jsonl" \
  >"$workdir/server.log" 2>&1 &
server_pid=$!

for _ in $(seq 1 100); do
  if "$venv/bin/python" - "$endpoint" <<'EOF' 2>/dev/null; then break; fi
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1] + "/_portcullis/health", timeout=1) as r:
    sys.exit(0 if r.status == 200 else 1)
EOF
  if ! kill -0 "$server_pid" 2>/dev/null; then
    say "the server exited before it was healthy:" >&2
    cat "$workdir/server.log" >&2
    exit 1
  fi
  sleep 0.1
done
if ! "$venv/bin/python" -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1] + '/_portcullis/health', timeout=2)" "$endpoint" 2>/dev/null; then
  say "the server did not answer on $endpoint/_portcullis/health in 10 s:" >&2
  cat "$workdir/server.log" >&2
  exit 1
fi
say "server healthy on $endpoint"

# The clients: nothing from the caller's AWS configuration.
for v in $(compgen -e | grep '^AWS_' || true); do unset "$v"; done
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
export AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
export E2E_ENDPOINT="$endpoint" E2E_AWS="$venv/bin/aws" PYTHONDONTWRITEBYTECODE=1
export E2E_BIN="$bin" E2E_DATA_DIR="$data_dir"
export E2E_AUDIT_LOG="$workdir/audit.jsonl"

status=0
"$venv/bin/python" "$here/main.py" || status=$?
if [ "$status" -ne 0 ]; then
  say "the server's log:"
  tail -n 50 "$workdir/server.log" || true
fi
exit "$status"
