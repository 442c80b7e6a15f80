#!/usr/bin/env bash
# Two portcullis binaries side by side: GetRole with a signed POST (as boto3 signs it), both
# servers up at once (--in-memory, default mode), wrk driving each in turn for ROUNDS rounds
# of DURATION, the order swapped every round; prints each round and the medians.
#
#   bash bench/side_by_side.sh OLD_BINARY NEW_BINARY
#   ROUNDS=10 DURATION=5s CONNECTIONS=16 SERVER_ARGS=--no-audit bash bench/side_by_side.sh A B
#
# Needs: wrk (apt-get install wrk), python3 with boto3 (a venv in target/bench-venv is made
# when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
old_bin=${1:?the first binary}
new_bin=${2:?the second binary}
rounds="${ROUNDS:-10}"
duration="${DURATION:-5s}"
connections="${CONNECTIONS:-16}"
threads="${THREADS:-2}"

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
venv=target/bench-venv
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import boto3' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet boto3
fi
py="$venv/bin/python"

export AWS_ACCESS_KEY_ID=AKIABENCHMARK0000001
export AWS_SECRET_ACCESS_KEY=benchmarkbenchmarkbenchmarkbenchmark0001
export AWS_DEFAULT_REGION=us-east-1 AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
export PORTCULLIS_ROOT_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID PORTCULLIS_ROOT_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$work"' EXIT

ports=(4661 4662)
bins=("$old_bin" "$new_bin")
trust='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
for i in 0 1; do
  # shellcheck disable=SC2086
  "${bins[$i]}" serve --in-memory --listen "127.0.0.1:${ports[$i]}" ${SERVER_ARGS:-} 2>/dev/null &
  pids+=($!)
done
for i in 0 1; do
  for _ in $(seq 50); do
    curl -s -o /dev/null "http://127.0.0.1:${ports[$i]}/_portcullis/health" && break
    sleep 0.2
  done
  "$py" - "${ports[$i]}" "$trust" <<'PY'
import sys, boto3
port, trust = sys.argv[1], sys.argv[2]
iam = boto3.client("iam", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1")
iam.create_role(RoleName="bench-role", AssumeRolePolicyDocument=trust)
PY
done

rate() { # port → requests per second of one run, signed afresh
  "$py" bench/signed_request.py "http://127.0.0.1:$1" iam get_role RoleName=bench-role > "$work/req-$1.lua"
  wrk -t"$threads" -c"$connections" -d"$duration" -s "$work/req-$1.lua" "http://127.0.0.1:$1/" \
    | awk '/Requests\/sec/ {print $2} /Non-2xx/ {print "non-2xx: " $0 > "/dev/stderr"}'
}
# Warm both up.
rate "${ports[0]}" >/dev/null
rate "${ports[1]}" >/dev/null

declare -a first second
for r in $(seq "$rounds"); do
  if (( r % 2 )); then a=$(rate "${ports[0]}"); b=$(rate "${ports[1]}")
  else b=$(rate "${ports[1]}"); a=$(rate "${ports[0]}"); fi
  first+=("$a"); second+=("$b")
  printf 'round %2d  first %10s  second %10s  ratio %s\n' "$r" "$a" "$b" \
    "$(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.3f", b / a}')"
done
median() { printf '%s\n' "$@" | sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
m1=$(median "${first[@]}"); m2=$(median "${second[@]}")
echo "median    first $m1  second $m2  second/first $(awk -v a="$m1" -v b="$m2" 'BEGIN {printf "%.3f", b / a}')"
