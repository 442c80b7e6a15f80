#!/usr/bin/env bash
# What the audit trail costs: signed-POST GetRole throughput of Portcullis (release build,
# signatures verified) with auditing off (--no-audit) and on, in memory and with a data
# directory (events in the journal before the answer, synced within a second), with
# --audit-log as well, and with --audit-sync always (a disk sync before the answers of each
# batch).
#
# A shared machine's speed drifts by tens of percent from one minute to the next, more than
# the cost measured here. So every configuration's server is started at once and stays up,
# and wrk loads them in turn, a short run each, round after round (each round in a rotated
# order): the runs of one round are seconds apart, and each configuration meets every
# phase of the drift alike. The script prints every run, the median of each configuration,
# and each audited configuration against the same round's run without auditing.
#
#   bash bench/audit_throughput.sh            # 5 s per run, 15 rounds, 2 threads, 16 connections
#   DURATION=3s ROUNDS=30 CONNECTIONS=32 bash bench/audit_throughput.sh
#   CONFIGS="data-off data-on" bash bench/audit_throughput.sh   # only these configurations
#
# Needs: wrk (apt-get install wrk), python3 with boto3.
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${DURATION:-5s}"
connections="${CONNECTIONS:-16}"
threads="${THREADS:-2}"
rounds="${ROUNDS:-15}"
base_port="${PORTCULLIS_PORT:-4642}"
py="${PYTHON:-python3}"
read -r -a configs <<<"${CONFIGS:-memory-off memory-on data-off data-on data-log data-sync}"

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
cargo build --release -p portcullis >/dev/null
export AWS_ACCESS_KEY_ID=AKIABENCHMARK0000001
export AWS_SECRET_ACCESS_KEY=benchmarkbenchmarkbenchmarkbenchmark0001
export AWS_DEFAULT_REGION=us-east-1 AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
export PORTCULLIS_ROOT_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID PORTCULLIS_ROOT_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY

work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT

describe() {
  case "$1" in
    memory-off) echo "in-memory, audit off" ;;
    memory-on) echo "in-memory, audit on" ;;
    data-off) echo "data dir, audit off" ;;
    data-on) echo "data dir, audit on" ;;
    data-log) echo "data dir, audit on + --audit-log" ;;
    data-sync) echo "data dir, --audit-sync always" ;;
    *) echo "unknown configuration $1" >&2; exit 1 ;;
  esac
}
args_of() {
  case "$1" in
    memory-off) echo "--in-memory --no-audit" ;;
    memory-on) echo "--in-memory" ;;
    data-off) echo "--data-dir $work/data-off --no-audit" ;;
    data-on) echo "--data-dir $work/data-on" ;;
    data-log) echo "--data-dir $work/data-log --audit-log $work/audit.jsonl" ;;
    data-sync) echo "--data-dir $work/data-sync --audit-sync always" ;;
  esac
}
# The configuration each audited one is compared with.
baseline_of() {
  case "$1" in
    memory-on) echo "memory-off" ;;
    data-on | data-log | data-sync) echo "data-off" ;;
  esac
}

declare -A port_of results
for i in "${!configs[@]}"; do
  config=${configs[$i]}
  port=$((base_port + i))
  port_of[$config]=$port
  # shellcheck disable=SC2046
  ./target/release/portcullis serve --listen "127.0.0.1:$port" $(args_of "$config") 2>/dev/null &
  pids+=($!)
  for _ in $(seq 50); do
    curl -s -o /dev/null "http://127.0.0.1:$port/_portcullis/health" && break
    sleep 0.2
  done
  "$py" - "$port" <<'PY'
import sys, boto3
iam = boto3.client("iam", endpoint_url=f"http://127.0.0.1:{sys.argv[1]}", region_name="us-east-1")
trust = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
iam.create_role(RoleName="bench-role", AssumeRolePolicyDocument=trust)
PY
  # Warm up before the first measured run.
  "$py" bench/signed_request.py "http://127.0.0.1:$port" iam get_role RoleName=bench-role > "$work/warm.lua"
  wrk -t"$threads" -c"$connections" -d2s -s "$work/warm.lua" "http://127.0.0.1:$port/" >/dev/null
done

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); wrk -t$threads -c$connections -d$duration; $rounds rounds"
count=${#configs[@]}
for round in $(seq "$rounds"); do
  for k in $(seq 0 $((count - 1))); do
    config=${configs[$(((k + round) % count))]}
    port=${port_of[$config]}
    lua="$work/request-$port.lua"
    # Signed afresh each run: a signature is good for 15 minutes.
    "$py" bench/signed_request.py "http://127.0.0.1:$port" iam get_role RoleName=bench-role > "$lua"
    out=$(wrk -t"$threads" -c"$connections" -d"$duration" --latency -s "$lua" "http://127.0.0.1:$port/")
    rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
    non2xx=$(echo "$out" | awk '/Non-2xx/ {print $NF}')
    printf 'round %2s  %-34s %10s req/s  p50 %8s  p99 %8s  non-2xx %s\n' "$round" "$(describe "$config")" \
      "$rps" "$(echo "$out" | awk '/ 50%/ {print $2}')" "$(echo "$out" | awk '/ 99%/ {print $2}')" "${non2xx:-0}"
    results[$config]="${results[$config]:-} $rps"
  done
done

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo
echo "median GetRole req/s over $rounds rounds:"
for config in "${configs[@]}"; do
  printf '  %-34s %10s\n' "$(describe "$config")" "$(printf '%s\n' ${results[$config]} | median)"
done
echo
echo "audited against not audited: by the medians above, and round by round (the median of the rounds):"
for config in "${configs[@]}"; do
  base=$(baseline_of "$config")
  [ -n "$base" ] && [ -n "${results[$base]:-}" ] || continue
  by_medians=$(awk -v a="$(printf '%s\n' ${results[$config]} | median)" \
    -v b="$(printf '%s\n' ${results[$base]} | median)" 'BEGIN {printf "%+.1f", (a/b-1)*100}')
  ratios=$(paste <(printf '%s\n' ${results[$config]}) <(printf '%s\n' ${results[$base]}) |
    awk '{printf "%+.1f\n", ($1/$2-1)*100}')
  printf '  %-34s %6s %% by medians, %6s %% by rounds   (rounds: %s)\n' "$(describe "$config")" \
    "$by_medians" "$(echo "$ratios" | median)" "$(echo $ratios)"
done
