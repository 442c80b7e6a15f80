#!/usr/bin/env bash
# AssumeRole throughput: an IAM user assumes a role whose trust policy names the account
# (so both the trust policy and the user's identity policy are evaluated), each answer a
# new sealed session; and GetCallerIdentity signed with the temporary credentials (token
# opened and checked on every request). Release build, signatures verified, wrk on loopback
# replaying botocore-signed POSTs. The load generator shares the machine.
#
#   bash bench/sts_throughput.sh            # DURATION, CONNECTIONS, THREADS override wrk's settings
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${DURATION:-10s}"
connections="${CONNECTIONS:-16}"
threads="${THREADS:-2}"
port="${PORTCULLIS_PORT:-4642}"

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
venv=target/bench-venv
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import boto3' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet 'boto3' 'moto[server]'
fi
py="$venv/bin/python"

cargo build --release -p portcullis >/dev/null
export AWS_DEFAULT_REGION=us-east-1 AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
export PORTCULLIS_ROOT_ACCESS_KEY_ID=AKIABENCHMARK0000001
export PORTCULLIS_ROOT_SECRET_ACCESS_KEY=benchmarkbenchmarkbenchmarkbenchmark0001
./target/release/portcullis serve --in-memory --listen "127.0.0.1:$port" 2>/dev/null &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$port/_portcullis/health" && break; sleep 0.2; done

eval "$("$py" - "$port" <<'PY'
import json, sys, boto3
endpoint = f"http://127.0.0.1:{sys.argv[1]}"
root = dict(aws_access_key_id="AKIABENCHMARK0000001",
            aws_secret_access_key="benchmarkbenchmarkbenchmarkbenchmark0001")
iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1", **root)
trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
         "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}]}
iam.create_role(RoleName="bench-role", AssumeRolePolicyDocument=json.dumps(trust))
iam.attach_role_policy(RoleName="bench-role", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
iam.create_user(UserName="bench-user")
iam.put_user_policy(UserName="bench-user", PolicyName="assume", PolicyDocument=json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
     "Resource": "arn:aws:iam::123456789012:role/bench-role"}]}))
key = iam.create_access_key(UserName="bench-user")["AccessKey"]
print(f"export USER_KEY={key['AccessKeyId']} USER_SECRET='{key['SecretAccessKey']}'")
sts = boto3.client("sts", endpoint_url=endpoint, region_name="us-east-1",
                   aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
c = sts.assume_role(RoleArn="arn:aws:iam::123456789012:role/bench-role", RoleSessionName="bench")["Credentials"]
print(f"export SESSION_KEY={c['AccessKeyId']} SESSION_SECRET='{c['SecretAccessKey']}' SESSION_TOKEN='{c['SessionToken']}'")
PY
)"

run() { # name lua
  local out rps
  out=$(wrk -t"$threads" -c"$connections" -d"$duration" --latency -s "$2" "http://127.0.0.1:$port/")
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  printf '%-52s %12s req/s  p50 %8s  p99 %8s  non-2xx %s\n' "$1" "$rps" \
    "$(echo "$out" | awk '/ 50%/ {print $2}')" "$(echo "$out" | awk '/ 99%/ {print $2}')" \
    "$(echo "$out" | awk '/Non-2xx/ {n=$NF} END {print n+0}')"
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); wrk -t$threads -c$connections -d$duration"
lua=$(mktemp --suffix=.lua)
AWS_ACCESS_KEY_ID=$USER_KEY AWS_SECRET_ACCESS_KEY=$USER_SECRET "$py" bench/signed_request.py \
  "http://127.0.0.1:$port" sts assume_role RoleArn=arn:aws:iam::123456789012:role/bench-role RoleSessionName=bench > "$lua"
run "AssumeRole by an IAM user (new session each)" "$lua"
AWS_ACCESS_KEY_ID=$SESSION_KEY AWS_SECRET_ACCESS_KEY=$SESSION_SECRET AWS_SESSION_TOKEN=$SESSION_TOKEN \
  "$py" bench/signed_request.py "http://127.0.0.1:$port" sts get_caller_identity > "$lua"
run "GetCallerIdentity with session credentials" "$lua"
AWS_ACCESS_KEY_ID=$SESSION_KEY AWS_SECRET_ACCESS_KEY=$SESSION_SECRET AWS_SESSION_TOKEN=$SESSION_TOKEN \
  "$py" bench/signed_request.py "http://127.0.0.1:$port" iam get_role RoleName=bench-role > "$lua"
run "GetRole by the role session (authorized)" "$lua"
rm -f "$lua"
