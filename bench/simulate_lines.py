#!/usr/bin/env python3
"""Writes N simulation requests as JSON lines, each carrying a few small policies
(two identity policies, a permissions boundary, a resource policy), for measuring
`portcullis policy simulate` throughput. Usage: simulate_lines.py N > lines.jsonl"""
import json
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
actions = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "dynamodb:GetItem",
           "logs:PutLogEvents", "iam:CreateRole", "ec2:DescribeInstances", "sqs:SendMessage"]
teams = ["ml", "data", "platform", "security"]
for i in range(n):
    team = teams[i % len(teams)]
    user = f"user{i % 50}"
    identity = [
        {"Version": "2012-10-17", "Statement": [
            {"Sid": "Read", "Effect": "Allow", "Action": ["s3:Get*", "s3:List*"],
             "Resource": [f"arn:aws:s3:::{team}-data", f"arn:aws:s3:::{team}-data/*"]},
            {"Sid": "Write", "Effect": "Allow", "Action": "s3:PutObject",
             "Resource": f"arn:aws:s3:::{team}-data/${{aws:username}}/*"},
            {"Sid": "Logs", "Effect": "Allow", "Action": "logs:*", "Resource": "*"}]},
        {"Version": "2012-10-17", "Statement": [
            {"Sid": "Tables", "Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:Query"],
             "Resource": f"arn:aws:dynamodb:us-east-1:111122223333:table/{team}-*",
             "Condition": {"StringEquals": {"aws:PrincipalTag/team": team}}},
            {"Sid": "NoDeletes", "Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"}]},
    ]
    boundary = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:*", "logs:*", "dynamodb:*", "ec2:Describe*"], "Resource": "*"}]}
    bucket = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": f"arn:aws:s3:::{team}-data/*",
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}
    action = actions[i % len(actions)]
    line = {
        "principal": f"arn:aws:iam::111122223333:user/{user}",
        "principal_tags": {"team": team},
        "action": action,
        "resource": f"arn:aws:s3:::{team}-data/{user}/file{i % 7}.csv" if action.startswith("s3") else "*",
        "context": {"aws:SourceIp": f"10.0.{i % 256}.{i % 200}", "aws:SecureTransport": i % 10 != 0},
        "identity_policies": identity,
        "permissions_boundary": boundary,
        "resource_policy": bucket if action.startswith("s3") else None,
    }
    print(json.dumps(line, separators=(",", ":")))
