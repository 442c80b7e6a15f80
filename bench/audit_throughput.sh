#!/usr/bin/env bash
# What the audit trail costs: signed-POST GetRole throughput of Portcullis (release build,
# signatures verified) with auditing off (--no-audit) and on, in memory and with a data
# directory (events in the journal before the answer, synced within a second), with
# --audit-log as well, and with --audit-sync always (a disk sync before the answers of each
# batch). The configurations take turns, ROUNDS times, so that the noise of a shared machine
# falls on all of them alike; the script prints every run and the median.
#
#   bash bench/audit_throughput.sh            # 10 s per run, 3 rounds, 2 threads, 16 connections
#   DURATION=5s ROUNDS=5 CONNECTIONS=32 bash bench/audit_throughput.sh
#
# Needs: wrk (apt-get install wrk), python3 with boto3.
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${DURATION:-10s}"
connections="${CONNECTIONS:-16}"
threads="${THREADS:-2}"
rounds="${ROUNDS:-3}"
port="${PORTCULLIS_PORT:-4642}"
py="${PYTHON:-python3}"

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
cargo build --release -p portcullis >/dev/null
export AWS_ACCESS_KEY_ID=AKIABENCHMARK0000001
export AWS_SECRET_ACCESS_KEY=benchmarkbenchmarkbenchmarkbenchmark0001
export AWS_DEFAULT_REGION=us-east-1 AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
export PORTCULLIS_ROOT_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID PORTCULLIS_ROOT_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY

work=$(mktemp -d)
server_pid=""
stop() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
    # Write out what the run left in the page cache now, not during the next run.
    sync
  fi
}
trap 'stop; rm -rf "$work"' EXIT

configs=("in-memory, audit off" "in-memory, audit on" "data dir, audit off" "data dir, audit on" "data dir, audit on + --audit-log" "data dir, --audit-sync always")
args_of() {
  case "$1" in
    "in-memory, audit off") echo "--in-memory --no-audit" ;;
    "in-memory, audit on") echo "--in-memory" ;;
    "data dir, audit off") echo "--data-dir $work/data-off --no-audit" ;;
    "data dir, audit on") echo "--data-dir $work/data-on" ;;
    "data dir, audit on + --audit-log") echo "--data-dir $work/data-log --audit-log $work/audit.jsonl" ;;
    "data dir, --audit-sync always") echo "--data-dir $work/data-sync --audit-sync always" ;;
  esac
}

lua="$work/request.lua"
declare -A results
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); wrk -t$threads -c$connections -d$duration; $rounds rounds"
for round in $(seq "$rounds"); do
  for config in "${configs[@]}"; do
    # shellcheck disable=SC2046
    ./target/release/portcullis serve --listen "127.0.0.1:$port" $(args_of "$config") 2>/dev/null &
    server_pid=$!
    for _ in $(seq 50); do
      curl -s -o /dev/null "http://127.0.0.1:$port/_portcullis/health" && break
      sleep 0.2
    done
    "$py" - "$port" <<'PY'
import sys, boto3
from botocore.exceptions import ClientError
iam = boto3.client("iam", endpoint_url=f"http://127.0.0.1:{sys.argv[1]}", region_name="us-east-1")
trust = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
try:
    iam.create_role(RoleName="bench-role", AssumeRolePolicyDocument=trust)
except ClientError as e:
    if e.response["Error"]["Code"] != "EntityAlreadyExists":
        raise
PY
    "$py" bench/signed_request.py "http://127.0.0.1:$port" iam get_role RoleName=bench-role > "$lua"
    out=$(wrk -t"$threads" -c"$connections" -d"$duration" --latency -s "$lua" "http://127.0.0.1:$port/")
    rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
    non2xx=$(echo "$out" | awk '/Non-2xx/ {print $NF}')
    printf 'round %s  %-34s %10s req/s  p50 %8s  p99 %8s  non-2xx %s\n' "$round" "$config" "$rps" \
      "$(echo "$out" | awk '/ 50%/ {print $2}')" "$(echo "$out" | awk '/ 99%/ {print $2}')" "${non2xx:-0}"
    results[$config]="${results[$config]:-} $rps"
    stop
  done
done
echo
echo "median GetRole req/s over $rounds rounds:"
for config in "${configs[@]}"; do
  median=$(printf '%s\n' ${results[$config]} | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  printf '  %-34s %10s   (runs:%s)\n' "$config" "$median" "${results[$config]}"
done
# Each round's audited runs against the same round's run without auditing (taken within a
# minute of each other, so that the machine's drift between rounds cancels out).
baseline_of() {
  case "$1" in
    "in-memory, audit on") echo "in-memory, audit off" ;;
    data\ dir,\ audit\ on*|"data dir, --audit-sync always") echo "data dir, audit off" ;;
  esac
}
echo
echo "audited against not audited, round by round (median of the rounds):"
for config in "${configs[@]}"; do
  base=$(baseline_of "$config")
  [ -n "$base" ] || continue
  ratios=$(paste <(printf '%s\n' ${results[$config]}) <(printf '%s\n' ${results[$base]}) |
    awk '{printf "%+.1f\n", ($1/$2-1)*100}')
  median=$(echo "$ratios" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  printf '  %-34s %6s %%   (rounds: %s)\n' "$config" "$median" "$(echo $ratios)"
done
