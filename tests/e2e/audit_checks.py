"""The audit trail through CloudTrail's LookupEvents, with the real aws CLI and boto3.

Runs after sts_checks.py, whose seed-000 flow has the user ai-core-scientist assume
AICore-DataScientist-Role as session alice-analysis: first without MFA (denied by the trust
policy), then with a wrong code, then with a valid one. The trail must hold those AssumeRole
events with the caller's userIdentity and the request's parameters (the MFA code hidden),
the denials with errorCode AccessDenied, and the session's own calls with the role as their
sessionIssuer. LookupEvents pages with NextToken, refuses two lookup attributes, and is
itself authorized as cloudtrail:LookupEvents. No secret the checks make (secret keys,
session tokens, a password) is in any event, nor in the --audit-log file.
"""

from __future__ import annotations

import json
import os
import traceback
from datetime import timedelta
from pathlib import Path

from harness import ACCOUNT, CheckFailed, Runner, eq, ok
from pulumi_programs import client
from sts_checks import SCIENTIST, allow, fails, role_arn, session_client, trust_account, user_arn

HIDDEN = "HIDDEN_DUE_TO_SECURITY_REASONS"


def records(out: dict) -> list[dict]:
    return [json.loads(e["CloudTrailEvent"]) for e in out["Events"]]


def every_event(trail) -> list[dict]:
    """Every event LookupEvents has, following NextToken."""
    events, token = [], None
    while True:
        page = trail.lookup_events(MaxResults=50, **({"NextToken": token} if token else {}))
        events.extend(page["Events"])
        token = page.get("NextToken")
        if not token:
            return events


def seed_000_trail(r: Runner) -> None:
    r.section("Audit: seed 000's role assumptions in CloudTrail's LookupEvents (aws CLI)")
    scientist = "ai-core-scientist"

    def assumptions(out):
        found = [e for e in records(out) if e["requestParameters"].get("roleSessionName") == "alice-analysis"
                 and e["userIdentity"].get("userName") == scientist]
        ok(len(found) >= 3, f"{len(found)} AssumeRole events of alice-analysis, expected the denied, the wrong code, the allowed and the replays")
        for e in found:
            eq(e["eventSource"], "sts.amazonaws.com", "eventSource")
            eq(e["eventType"], "AwsApiCall", "eventType")
            eq(e["recipientAccountId"], ACCOUNT, "recipientAccountId")
            who = e["userIdentity"]
            eq((who["type"], who["userName"], who["arn"]), ("IAMUser", scientist, user_arn(scientist)), "userIdentity")
            ok(who["principalId"].startswith("AIDA"), f"principalId {who['principalId']}")
            ok(who["accessKeyId"].startswith("AKIA"), f"accessKeyId {who['accessKeyId']}")
            eq(e["requestParameters"]["roleArn"], role_arn(SCIENTIST), "requestParameters.roleArn")
            eq(e["requestParameters"]["durationSeconds"], 3600, "requestParameters.durationSeconds")
        denied = [e for e in found if e.get("errorCode") == "AccessDenied"]
        allowed = [e for e in found if "errorCode" not in e]
        ok(denied, "the AssumeRole without MFA is recorded with errorCode AccessDenied")
        eq(len(allowed), 1, "allowed AssumeRole events of alice-analysis")
        a = allowed[0]
        eq(a["requestParameters"]["tokenCode"], HIDDEN, "the MFA code is hidden")
        ok(a["requestParameters"]["serialNumber"].endswith(f":mfa/{scientist}"), "serialNumber")
        creds = a["responseElements"]["credentials"]
        ok(creds["accessKeyId"].startswith("ASIA"), "responseElements.credentials.accessKeyId")
        ok("sessionToken" not in creds and "secretAccessKey" not in creds, f"no secret in {creds}")
        eq(a["responseElements"]["assumedRoleUser"]["arn"],
           f"arn:aws:sts::{ACCOUNT}:assumed-role/{SCIENTIST}/alice-analysis", "assumedRoleUser.arn")

    r.cli("aws cloudtrail lookup-events --lookup-attributes AttributeKey=EventName,AttributeValue=AssumeRole",
          label="aws cloudtrail lookup-events --lookup-attributes AttributeKey=EventName,AttributeValue=AssumeRole",
          check=assumptions)

    def session_calls(out):
        events = out["Events"]
        ok(events, "events of the alice-analysis session")
        for e in events:
            eq(e["Username"], "alice-analysis", "Username")
            who = json.loads(e["CloudTrailEvent"])["userIdentity"]
            eq(who["type"], "AssumedRole", "userIdentity.type")
            issuer = who["sessionContext"]["sessionIssuer"]
            eq((issuer["type"], issuer["arn"], issuer["userName"]), ("Role", role_arn(SCIENTIST), SCIENTIST),
               "sessionIssuer")
            eq(who["sessionContext"]["attributes"]["mfaAuthenticated"], "true", "mfaAuthenticated")
        ok({"GetCallerIdentity", "GetRole"} <= {e["EventName"] for e in events}, "the session's calls")

    r.cli("aws cloudtrail lookup-events --lookup-attributes AttributeKey=Username,AttributeValue=alice-analysis",
          label="lookup-events by Username: the role session's calls name the role as sessionIssuer",
          check=session_calls)
    r.cli(f"aws cloudtrail lookup-events --lookup-attributes AttributeKey=ResourceName,AttributeValue={role_arn(SCIENTIST)} "
          "--max-items 200",
          label="lookup-events by ResourceName (the role's ARN)",
          check=lambda out: ok({"AssumeRole"} <= {e["EventName"] for e in out["Events"]}, "AssumeRole by ResourceName"))
    r.cli("aws cloudtrail lookup-events --lookup-attributes AttributeKey=ReadOnly,AttributeValue=false --max-items 5",
          label="lookup-events by ReadOnly=false: writes only",
          check=lambda out: ok(out["Events"] and all(e["ReadOnly"] == "false" for e in out["Events"]), "ReadOnly"))
    r.cli("aws cloudtrail lookup-events --lookup-attributes AttributeKey=EventName,AttributeValue=AssumeRole "
          "AttributeKey=Username,AttributeValue=x",
          label="lookup-events with two lookup attributes is refused",
          expect_error="InvalidLookupAttributesException")


def api(r: Runner) -> None:
    r.section("Audit: LookupEvents with boto3 (paging, time range, authorization, secrets)")
    iam = client(r)
    trail = client(r, "cloudtrail")

    def pages(size: int) -> list[dict]:
        events, token = [], None
        while True:
            kw = {"NextToken": token} if token else {}
            page = trail.lookup_events(MaxResults=size, LookupAttributes=[
                {"AttributeKey": "EventName", "AttributeValue": "AssumeRole"}], **kw)
            ok(len(page["Events"]) <= size, f"MaxResults={size}")
            events.extend(page["Events"])
            token = page.get("NextToken")
            if not token:
                return events

    def paging():
        whole = pages(50)
        ok(len(whole) >= 3, "AssumeRole events")
        eq([e["EventId"] for e in pages(1)], [e["EventId"] for e in whole], "pages of one are the same events")
        times = [e["EventTime"] for e in whole]
        eq(times, sorted(times, reverse=True), "newest first")
        start = times[-1].replace(microsecond=0)
        end = start + timedelta(seconds=1)
        bounded = trail.lookup_events(StartTime=start, EndTime=end)["Events"]
        ok(bounded, "events in the oldest AssumeRole's second")
        ok(all(start <= e["EventTime"] <= end for e in bounded), "StartTime/EndTime bound the events")
        fails(lambda: trail.lookup_events(MaxResults=51), "InvalidMaxResultsException", 400)
        fails(lambda: trail.lookup_events(StartTime=times[0], EndTime=times[-1].replace(year=2000)),
              "InvalidTimeRangeException", 400)

    r.check("boto3 lookup_events: NextToken pages, newest first, time range, limits", paging)

    def authorization():
        name = "audit-no-cloudtrail"
        iam.create_user(UserName=name)
        iam.put_user_policy(UserName=name, PolicyName="iam-only", PolicyDocument=allow(["iam:GetUser"]))
        k = iam.create_access_key(UserName=name)["AccessKey"]
        creds = (k["AccessKeyId"], k["SecretAccessKey"])
        fails(lambda: client(r, "cloudtrail", creds=creds).lookup_events(), "AccessDeniedException", 400,
              message_start=f"User: {user_arn(name)} is not authorized to perform: cloudtrail:LookupEvents")
        iam.put_user_policy(UserName=name, PolicyName="trail", PolicyDocument=allow(["cloudtrail:LookupEvents"]))
        out = client(r, "cloudtrail", creds=creds).lookup_events(
            LookupAttributes=[{"AttributeKey": "Username", "AttributeValue": name}])
        denied = [json.loads(e["CloudTrailEvent"]) for e in out["Events"] if e["EventName"] == "LookupEvents"]
        ok(any(d.get("errorCode") == "AccessDenied" for d in denied), "the denied LookupEvents is itself recorded")

    r.check("LookupEvents is authorized as cloudtrail:LookupEvents; the denial is recorded", authorization)

    def workload_calls():
        def by_source(source: str) -> list[dict]:
            events = trail.lookup_events(MaxResults=50, LookupAttributes=[
                {"AttributeKey": "EventSource", "AttributeValue": source}])["Events"]
            return [json.loads(e["CloudTrailEvent"]) for e in events]
        ec2 = by_source("ec2.amazonaws.com")
        runs = [e for e in ec2 if e["eventName"] == "RunInstances"]
        ok(runs, "workload_checks' RunInstances calls are recorded")
        ok(all(e["readOnly"] is False for e in runs), "RunInstances is a write")
        ok(any(e.get("errorCode") is None and e["userIdentity"]["type"] == "Root" for e in runs),
           "a successful RunInstances by the root")
        ok(any(e["requestParameters"] and "iamInstanceProfile.Name" in e["requestParameters"] for e in runs),
           "RunInstances' parameters are recorded")
        ecs = by_source("ecs.amazonaws.com")
        ok(any(e["eventName"] == "RunTask" and e["readOnly"] is False for e in ecs),
           "workload_checks' RunTask calls are recorded")

    r.check("EC2 and ECS calls of the workload APIs are events too (eventSource ec2/ecs.amazonaws.com)",
            workload_calls)

    def secrets():
        made = [r.root[1]]
        name = "audit-secrets"
        iam.create_user(UserName=name)
        iam.put_user_policy(UserName=name, PolicyName="assume", PolicyDocument=allow(["sts:AssumeRole"]))
        k = iam.create_access_key(UserName=name)["AccessKey"]
        made.append(k["SecretAccessKey"])
        iam.create_role(RoleName="AuditSecretsRole", AssumeRolePolicyDocument=trust_account())
        sts = client(r, "sts", creds=(k["AccessKeyId"], k["SecretAccessKey"]))
        c = sts.assume_role(RoleArn=role_arn("AuditSecretsRole"), RoleSessionName="audit-secrets")["Credentials"]
        made += [c["SecretAccessKey"], c["SessionToken"]]
        session_client(r, "sts", c).get_caller_identity()
        t = sts.get_session_token()["Credentials"]
        made += [t["SecretAccessKey"], t["SessionToken"]]
        password = "Audit-Passw0rd-e2e!"
        made.append(password)
        try:
            iam.create_login_profile(UserName=name, Password=password)
        except Exception:  # noqa: BLE001 - the answer does not matter, the record does
            pass
        events = every_event(trail)
        text = json.dumps(events, default=str)
        for s in made:
            ok(s not in text, f"a secret ({s[:6]}…) is in LookupEvents' answer")
        log = os.environ.get("E2E_AUDIT_LOG")
        if log:
            log_text = Path(log).read_text()
            ok(log_text.count("\n") >= len(events) - 5, "the log file has the events")
            for s in made:
                ok(s not in log_text, f"a secret ({s[:6]}…) is in the audit log file")
        login = [json.loads(e["CloudTrailEvent"]) for e in events if e["EventName"] == "CreateLoginProfile"]
        ok(login and login[0]["requestParameters"]["password"] == HIDDEN, "the password is hidden")

    r.check("no secret key, session token or password in any event nor in the --audit-log file", secrets)


def run_all(r: Runner) -> None:
    for part in (seed_000_trail, api):
        try:
            part(r)
        except CheckFailed:
            raise
        except Exception as e:  # noqa: BLE001 - a broken part is a failure, not a crash
            r._record(f"{part.__name__} stopped: {e!r}", "boto3", "FAIL", detail=traceback.format_exc(limit=4))
