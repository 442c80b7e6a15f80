#!/usr/bin/env bash
# Signed-request throughput of GetRole and GetCallerIdentity: Portcullis (release build,
# signatures verified) and moto_server side by side, with wrk on loopback replaying (a) a
# POST signed with an Authorization header, as the aws CLI, boto3 and the SDKs send it, and
# (b) a presigned GET. The load generator shares the machine.
#
#   bash bench/iam_throughput.sh            # 10 s per run, 2 threads, 16 connections
#   DURATION=30s CONNECTIONS=32 bash bench/iam_throughput.sh
#   PORTCULLIS_ARGS=--no-audit bash bench/iam_throughput.sh   # the IAM server without its audit trail
#
# Needs: wrk (apt-get install wrk), python3 with boto3 and moto[server] (the script makes
# a venv in target/bench-venv when they are missing).
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${DURATION:-10s}"
connections="${CONNECTIONS:-16}"
threads="${THREADS:-2}"
portcullis_port="${PORTCULLIS_PORT:-4640}"
moto_port="${MOTO_PORT:-4641}"

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
venv=target/bench-venv
if [ ! -x "$venv/bin/moto_server" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet 'boto3' 'moto[server]'
fi
py="$venv/bin/python"

cargo build --release -p portcullis >/dev/null
export AWS_ACCESS_KEY_ID=AKIABENCHMARK0000001
export AWS_SECRET_ACCESS_KEY=benchmarkbenchmarkbenchmarkbenchmark0001
export AWS_DEFAULT_REGION=us-east-1 AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
export PORTCULLIS_ROOT_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID PORTCULLIS_ROOT_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY

# shellcheck disable=SC2086
./target/release/portcullis serve --in-memory --listen "127.0.0.1:$portcullis_port" ${PORTCULLIS_ARGS:-} 2>/dev/null &
portcullis_pid=$!
"$venv/bin/moto_server" -H 127.0.0.1 -p "$moto_port" >/dev/null 2>&1 &
moto_pid=$!
trap 'kill $portcullis_pid $moto_pid 2>/dev/null || true' EXIT
for port in "$portcullis_port" "$moto_port"; do
  for _ in $(seq 50); do
    curl -s -o /dev/null "http://127.0.0.1:$port/" && break
    sleep 0.2
  done
done

trust='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
for port in "$portcullis_port" "$moto_port"; do
  "$py" - "$port" "$trust" <<'PY'
import sys, boto3
port, trust = sys.argv[1], sys.argv[2]
iam = boto3.client("iam", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1")
iam.create_role(RoleName="bench-role", AssumeRolePolicyDocument=trust)
PY
done

run() { # name wrk-arguments…
  local name=$1 out
  shift
  out=$(wrk -t"$threads" -c"$connections" -d"$duration" --latency "$@")
  local rps non2xx
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  non2xx=$(echo "$out" | awk '/Non-2xx/ {print $NF}')
  printf '%-48s %12s req/s  p50 %8s  p99 %8s  non-2xx %s\n' "$name" "$rps" \
    "$(echo "$out" | awk '/ 50%/ {print $2}')" "$(echo "$out" | awk '/ 99%/ {print $2}')" "${non2xx:-0}"
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); wrk -t$threads -c$connections -d$duration"
lua=$(mktemp --suffix=.lua)
for op in "iam get_role RoleName=bench-role" "sts get_caller_identity"; do
  set -- $op
  for target in "portcullis:$portcullis_port" "moto_server:$moto_port"; do
    name=${target%%:*}; port=${target##*:}
    "$py" bench/signed_request.py "http://127.0.0.1:$port" "$@" > "$lua"
    run "$name $2 (signed POST)" -s "$lua" "http://127.0.0.1:$port/"
    url=$("$py" bench/presign.py "http://127.0.0.1:$port" "$@")
    status=$(curl -s -o /dev/null -w '%{http_code}' "$url")
    [ "$status" = 200 ] || { echo "$name $2 answered $status" >&2; exit 1; }
    run "$name $2 (presigned GET)" "$url"
  done
done
rm -f "$lua"
