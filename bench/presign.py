#!/usr/bin/env python3
"""Prints a SigV4 presigned GET URL for one IAM or STS call, made with botocore (the signer
real clients use), for replaying with wrk.

Usage: presign.py ENDPOINT SERVICE OPERATION [KEY=VALUE ...]
  e.g. presign.py http://127.0.0.1:4600 iam get_role RoleName=bench-role
Credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY."""
import sys

import boto3

endpoint, service, operation = sys.argv[1:4]
params = dict(arg.split("=", 1) for arg in sys.argv[4:])
client = boto3.client(service, endpoint_url=endpoint, region_name="us-east-1")
print(client.generate_presigned_url(operation, Params=params, ExpiresIn=3600, HttpMethod="GET"))
