#!/usr/bin/env python3
"""Writes a wrk Lua script that replays one SigV4-signed POST of an IAM or STS call, signed
with botocore the way the aws CLI and boto3 sign (Authorization header, X-Amz-Date valid for
15 minutes), for replaying with wrk.

Usage: signed_request.py ENDPOINT SERVICE OPERATION [KEY=VALUE ...] > request.lua
Credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY."""
import json
import sys

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest

endpoint, service, operation = sys.argv[1:4]
params = dict(arg.split("=", 1) for arg in sys.argv[4:])
session = boto3.session.Session(region_name="us-east-1")
client = session.client(service, endpoint_url=endpoint)
model = client.meta.service_model.operation_model(
    client.meta.method_to_api_mapping[operation]
)
body = client._serializer.serialize_to_request(params, model)["body"]
request = AWSRequest(
    method="POST",
    url=endpoint + "/",
    data=body,
    headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
)
SigV4Auth(session.get_credentials(), service, "us-east-1").add_auth(request)
lua_body = json.dumps(request.body.decode() if isinstance(request.body, bytes) else request.body)
print('wrk.method = "POST"')
print(f"wrk.body = {lua_body}")
for name, value in request.headers.items():
    if name.lower() == "host":
        continue
    print(f'wrk.headers["{name}"] = {json.dumps(value)}')
