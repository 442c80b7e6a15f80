"""The seed documents' aws CLI commands, run verbatim through the real aws CLI.

Seeds 000 and 004 have aws CLI commands: each one is found in the copied seed text and run
exactly as written (the `aws` shell function adds only `--endpoint-url` and `--output json`;
region and credentials come from the environment), or listed as skipped with the reason.
Seed 003 describes console steps only: they are done with the equivalent aws CLI commands
(marked "derived"). Derived commands also create what a seed takes as given (the roles
seed 000 documents, a file a command reads) and read back what each step should have done.
Seeds 001 and 002 are Pulumi programs: see pulumi_programs.py.
"""

from __future__ import annotations

import json
import re
import shlex
import traceback

from harness import ACCOUNT, FILES_DIR, ISO_DATE, CheckFailed, Runner, eq, match, ok

q = shlex.quote


def service_trust(service: str) -> dict:
    """The trust policy the seeds write for an AWS service."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
        ],
    }


def role_arn(name: str, path: str = "/") -> str:
    return f"arn:aws:iam::{ACCOUNT}:role{path}{name}"


def created_role(name: str, trust: dict, path: str = "/", tags: list | None = None):
    """A check of CreateRole's output."""

    def check(out):
        role = out["Role"]
        eq(role["RoleName"], name, "Role.RoleName")
        eq(role["Path"], path, "Role.Path")
        eq(role["Arn"], role_arn(name, path), "Role.Arn")
        match(r"AROA[A-Z0-9]{17}", role["RoleId"], "Role.RoleId")
        match(ISO_DATE, role["CreateDate"], "Role.CreateDate")
        eq(role["AssumeRolePolicyDocument"], trust, "Role.AssumeRolePolicyDocument")
        # AWS leaves the description and the maximum session duration out of CreateRole's
        # answer (GetRole has them).
        ok("MaxSessionDuration" not in role, "CreateRole's answer has no MaxSessionDuration, as in AWS")
        ok("Description" not in role, "CreateRole's answer has no Description, as in AWS")
        if tags is not None:
            eq(sorted(role.get("Tags", []), key=lambda t: t["Key"]), tags, "Role.Tags")

    return check


def attached(expected: list[tuple[str, str]]):
    """A check of ListAttached*Policies' output: exactly these (name, ARN) pairs."""

    def check(out):
        got = sorted((p["PolicyName"], p["PolicyArn"]) for p in out["AttachedPolicies"])
        eq(got, sorted(expected), "AttachedPolicies")

    return check


def aws_policy(path_and_name: str) -> tuple[str, str]:
    name = path_and_name.rsplit("/", 1)[-1]
    return name, f"arn:aws:iam::aws:policy/{path_and_name}"


def no_output(out):
    eq(out, None, "output (the command prints nothing on success)")


def default_version_document(r: Runner, arn: str, label: str):
    """Reads a managed policy's default version with the CLI: its document, or None."""
    got = {}

    def policy(out):
        p = out["Policy"]
        eq(p["Arn"], arn, "Policy.Arn")
        match(r"v\d+", p["DefaultVersionId"], "Policy.DefaultVersionId")
        eq(p["IsAttachable"], True, "Policy.IsAttachable")
        got["version"] = p["DefaultVersionId"]

    r.cli(f"aws iam get-policy --policy-arn {q(arn)}", label=f"{label}: get-policy", check=policy)
    if "version" not in got:
        return None

    def version(out):
        v = out["PolicyVersion"]
        eq(v["VersionId"], got["version"], "PolicyVersion.VersionId")
        eq(v["IsDefaultVersion"], True, "PolicyVersion.IsDefaultVersion")
        ok(isinstance(v["Document"], dict), "PolicyVersion.Document is a JSON object")
        got["document"] = v["Document"]

    r.cli(
        f"aws iam get-policy-version --policy-arn {q(arn)} --version-id {got['version']}",
        label=f"{label}: get-policy-version {got['version']}",
        check=version,
    )
    return got.get("document")


def as_list(v):
    return v if isinstance(v, list) else [v]


# ------------------------------------------------------------------------------- 000


def seed_000(r: Runner) -> None:
    r.section("seed 000: AI Core IAM roles documentation")
    seed = r.seed("000_5e755f392d23c16d.txt", "AI Core IAM Roles Documentation")

    # The document lists seven roles that exist; create them as it describes them:
    # name, purpose (as the description), the tags of its Compliance section, and the
    # trust of each service (the two human roles trust the account).
    roles = re.findall(
        r"### (\w+)\n- \*\*Name\*\*: `([^`]+)`\n- \*\*ARN\*\*: `([^`]+)`\n- \*\*Purpose\*\*: (.+)",
        seed.text,
    )
    eq(len(roles), 7, "roles documented in seed 000")
    principals = {
        "LambdaExecutionRole": {"Service": "lambda.amazonaws.com"},
        "GlueJobRole": {"Service": "glue.amazonaws.com"},
        "ECSTaskRole": {"Service": "ecs-tasks.amazonaws.com"},
        "SageMakerExecutionRole": {"Service": "sagemaker.amazonaws.com"},
        "ECSTaskExecutionRole": {"Service": "ecs-tasks.amazonaws.com"},
        "DataEngineerRole": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
        "DataScientistRole": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
    }
    tags = [
        {"Key": "Environment", "Value": "production"},
        {"Key": "ManagedBy", "Value": "aicore-iam-setup"},
        {"Key": "Project", "Value": "AICore"},
    ]
    tag_args = " ".join(f"Key={t['Key']},Value={t['Value']}" for t in tags)
    arns = {}
    for logical, name, documented_arn, purpose in roles:
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": principals[logical], "Action": "sts:AssumeRole"}
            ],
        }
        r.write(f"trust-{name}.json", json.dumps(trust, indent=2))
        # The seed's ARNs are in account 695353648052; ours is 123456789012.
        arns[name] = documented_arn.replace("695353648052", ACCOUNT)
        eq(arns[name], role_arn(name), f"documented ARN of {name} in our account")
        r.cli(
            f"aws iam create-role --role-name {name} --description {q(purpose)} "
            f"--assume-role-policy-document file://trust-{name}.json --tags {tag_args}",
            check=created_role(name, trust, tags=tags),
        )

    def all_roles(out):
        eq(sorted(out), sorted(arns.values()), "ARNs of the AICore roles")
        for arn in out:
            match(r"arn:aws:iam::123456789012:role/AICore-[A-Za-z]+-[A-Za-z]+", arn,
                  "naming convention AICore-<Service>-<Type>")

    r.cli(
        "aws iam list-roles --query \"Roles[?starts_with(RoleName, 'AICore-')].Arn\"",
        label="list-roles: the seven documented roles, with the documented ARNs",
        check=all_roles,
    )
    for logical, name, _, purpose in roles[:1] + roles[-1:]:
        def got_role(out, name=name, purpose=purpose):
            eq(out["Role"]["Arn"], arns[name], "Role.Arn")
            eq(out["Role"].get("Description"), purpose, "Role.Description (the documented purpose)")
            eq(sorted(out["Role"].get("Tags", []), key=lambda t: t["Key"]), tags, "Role.Tags")

        r.cli(f"aws iam get-role --role-name {name}", check=got_role)
    r.cli(
        "aws iam list-role-tags --role-name AICore-ECS-TaskRole",
        label="list-role-tags: Project, Environment, ManagedBy (the Compliance section)",
        check=lambda out: eq(sorted(out["Tags"], key=lambda t: t["Key"]), tags, "Tags"),
    )

    # The ECS task definition names the two ECS roles by ARN.
    m = re.search(r'"taskRoleArn": "([^"]+)",\s*"executionRoleArn": "([^"]+)"', seed.text)
    ok(m, "seed 000's task definition names taskRoleArn and executionRoleArn")
    for arn in m.groups():
        name = arn.rsplit("/", 1)[-1]
        r.cli(
            f"aws iam get-role --role-name {name} --query Role.Arn",
            label=f"task definition's {name} ARN resolves",
            check=lambda out, arn=arn: eq(out, arn.replace("695353648052", ACCOUNT), "Role.Arn"),
        )

    r.skip(
        seed.command("aws lambda create-function"),
        "needs Lambda (and as written it lacks the required --code: the aws CLI itself "
        "rejects it with 'Missing required parameter in input: \"Code\"')",
    )
    r.skip_snippet(seed, "Python: sagemaker Estimator(role=AICore-SageMaker-ExecutionRole ARN)",
                   "needs SageMaker")

    # Role assumption, as a person would do it: an IAM user with a key and a policy that
    # lets it assume the human roles.
    user_key = {}

    def key_made(out):
        k = out["AccessKey"]
        eq(k["UserName"], "ai-core-alice", "AccessKey.UserName")
        match(r"AKIA[A-Z0-9]{16}", k["AccessKeyId"], "AccessKey.AccessKeyId")
        eq(len(k["SecretAccessKey"]), 40, "length of AccessKey.SecretAccessKey")
        eq(k["Status"], "Active", "AccessKey.Status")
        user_key["creds"] = (k["AccessKeyId"], k["SecretAccessKey"])

    r.cli("aws iam create-user --user-name ai-core-alice",
          check=lambda out: eq(out["User"]["Arn"], f"arn:aws:iam::{ACCOUNT}:user/ai-core-alice", "User.Arn"))
    r.cli("aws iam create-access-key --user-name ai-core-alice", check=key_made)
    assume = {
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Action": "sts:AssumeRole",
            "Resource": [arns["AICore-DataScientist-Role"], arns["AICore-DataEngineer-Role"]],
        }],
    }
    r.write("assume-human-roles.json", json.dumps(assume))
    r.cli(
        "aws iam put-user-policy --user-name ai-core-alice --policy-name AssumeAICoreHumanRoles "
        "--policy-document file://assume-human-roles.json",
        check=no_output,
    )
    creds = user_key.get("creds")
    if creds:
        r.cli(
            "aws sts get-caller-identity",
            label="sts get-caller-identity with ai-core-alice's new access key",
            creds=creds,
            check=lambda out: (
                eq(out["Arn"], f"arn:aws:iam::{ACCOUNT}:user/ai-core-alice", "Arn"),
                eq(out["Account"], ACCOUNT, "Account"),
                match(r"AIDA[A-Z0-9]{17}", out["UserId"], "UserId"),
            ),
        )

    def assumed(out):
        user = out["AssumedRoleUser"]
        eq(user["Arn"], f"arn:aws:sts::{ACCOUNT}:assumed-role/AICore-DataScientist-Role/alice-analysis",
           "AssumedRoleUser.Arn")
        match(r"AROA[A-Z0-9]{17}:alice-analysis", user["AssumedRoleId"], "AssumedRoleUser.AssumedRoleId")
        c = out["Credentials"]
        match(r"ASIA[A-Z0-9]{16}", c["AccessKeyId"], "Credentials.AccessKeyId")
        ok(c["SecretAccessKey"] and c["SessionToken"], "Credentials has a secret and a session token")
        match(ISO_DATE, c["Expiration"], "Credentials.Expiration")

    r.cli(
        seed.command("aws sts assume-role"),
        subs={"<role-arn>": arns["AICore-DataScientist-Role"], "<your-session-name>": "alice-analysis"},
        creds=creds,
        not_implemented="STS AssumeRole is not implemented yet",
        check=assumed,
    )


# ------------------------------------------------------------------------------- 004


def seed_004(r: Runner) -> None:
    r.section("seed 004: Roles for AWS Services (PetTracker)")
    seed = r.seed("004_d3ef9ef71a0b5978.txt", "Roles for AWS Services (PetTracker)")
    lambda_trust = service_trust("lambda.amazonaws.com")

    # Basic Lambda role.
    cmd = seed.command("create-role", "PetTracker-Lambda-Basic")
    trust = json.loads(cmd.arg("--assume-role-policy-document"))
    eq(trust, lambda_trust, "the trust policy written in the seed")
    r.cli(cmd, check=created_role("PetTracker-Lambda-Basic", trust))
    r.cli("aws iam get-role --role-name PetTracker-Lambda-Basic --query Role.AssumeRolePolicyDocument",
          label="get-role: the trust policy written in the seed, read back",
          check=lambda out: eq(out, trust, "AssumeRolePolicyDocument"))
    r.cli(seed.command("attach-role-policy", "PetTracker-Lambda-Basic"), check=no_output)
    basic = aws_policy("service-role/AWSLambdaBasicExecutionRole")
    r.cli("aws iam list-attached-role-policies --role-name PetTracker-Lambda-Basic",
          check=attached([basic]))

    # "What AWSLambdaBasicExecutionRole provides": the AWS managed policy's document.
    line, _, documented = seed.json_block("logs:CreateLogGroup", '"Resource": "*"')
    doc = default_version_document(r, basic[1], "AWSLambdaBasicExecutionRole")
    if doc is not None:
        r.check(f"AWSLambdaBasicExecutionRole's document is the one seed 004 shows (L{line})",
                lambda: eq(doc, documented, "document"))

    # Lambda with VPC access: the seed attaches to PetTracker-Lambda-VPC, a role it never
    # creates. Run as written, AWS answers NoSuchEntity; create the role, run it again.
    vpc_cmd = seed.command("attach-role-policy", "PetTracker-Lambda-VPC")
    r.cli(
        vpc_cmd,
        label=vpc_cmd.one_line + "   (the seed never creates the role)",
        expect_error="NoSuchEntity",
        check=lambda msg: eq(msg, "The role with name PetTracker-Lambda-VPC cannot be found.", "message"),
    )
    r.cli(
        "aws iam create-role --role-name PetTracker-Lambda-VPC "
        f"--assume-role-policy-document {q(json.dumps(lambda_trust))}",
        check=created_role("PetTracker-Lambda-VPC", lambda_trust),
    )
    r.cli(vpc_cmd, label=vpc_cmd.one_line + "   (again, the role now exists)", check=no_output)
    vpc = aws_policy("service-role/AWSLambdaVPCAccessExecutionRole")
    r.cli("aws iam list-attached-role-policies --role-name PetTracker-Lambda-VPC",
          check=attached([vpc]))
    line, _, statement = seed.json_block("ec2:CreateNetworkInterface")
    doc = default_version_document(r, vpc[1], "AWSLambdaVPCAccessExecutionRole")
    if doc is not None:
        def vpc_grants():
            granted = set()
            for s in as_list(doc["Statement"]):
                if s["Effect"] == "Allow" and s.get("Resource") == "*":
                    granted.update(as_list(s["Action"]))
            missing = set(statement["Action"]) - granted
            ok(not missing, f"AWSLambdaVPCAccessExecutionRole lacks {sorted(missing)} on *")

        r.check(f"AWSLambdaVPCAccessExecutionRole grants what seed 004 says it adds (L{line})", vpc_grants)

    # Alex's photo processor role: the seed's policy as a customer managed policy.
    line, text, photo = seed.json_block('"Sid": "CloudWatchLogs"')
    r.write("photo-processor-policy.json", text)
    photo_arn = f"arn:aws:iam::{ACCOUNT}:policy/PetTracker-PhotoProcessor"

    def photo_created(out):
        p = out["Policy"]
        eq(p["PolicyName"], "PetTracker-PhotoProcessor", "Policy.PolicyName")
        eq(p["Arn"], photo_arn, "Policy.Arn")
        eq(p["Path"], "/", "Policy.Path")
        eq(p["DefaultVersionId"], "v1", "Policy.DefaultVersionId")
        eq(p["AttachmentCount"], 0, "Policy.AttachmentCount")
        match(r"ANPA[A-Z0-9]{17}", p["PolicyId"], "Policy.PolicyId")

    r.cli(
        "aws iam create-policy --policy-name PetTracker-PhotoProcessor "
        "--policy-document file://photo-processor-policy.json",
        label=f"create-policy with Alex's photo processor policy (seed L{line})",
        check=photo_created,
    )
    r.cli(
        "aws iam create-role --role-name PetTracker-Lambda-PhotoProcessor "
        f"--assume-role-policy-document {q(json.dumps(lambda_trust))}",
        check=created_role("PetTracker-Lambda-PhotoProcessor", lambda_trust),
    )
    r.cli(f"aws iam attach-role-policy --role-name PetTracker-Lambda-PhotoProcessor --policy-arn {photo_arn}",
          check=no_output)
    r.cli(
        f"aws iam get-policy-version --policy-arn {photo_arn} --version-id v1 --query PolicyVersion.Document",
        label="the photo processor policy's document round-trips",
        check=lambda out: eq(out, photo, "Document"),
    )
    r.cli(
        f"aws iam get-policy --policy-arn {photo_arn} --query Policy.AttachmentCount",
        check=lambda out: eq(out, 1, "AttachmentCount"),
    )

    # EC2 instance role, its inline policy (from a file the seed does not show: ours is in
    # files/ec2-policy.json) and its instance profile.
    ec2_trust = service_trust("ec2.amazonaws.com")
    cmd = seed.command("create-role", "PetTracker-EC2-WebServer")
    eq(json.loads(cmd.arg("--assume-role-policy-document")), ec2_trust, "the trust policy written in the seed")
    r.cli(cmd, check=created_role("PetTracker-EC2-WebServer", ec2_trust))
    ec2_policy_text = (FILES_DIR / "ec2-policy.json").read_text(encoding="utf-8")
    r.write("ec2-policy.json", ec2_policy_text)
    r.cli(seed.command("put-role-policy", "file://ec2-policy.json"), check=no_output)

    def inline(out):
        eq(out["RoleName"], "PetTracker-EC2-WebServer", "RoleName")
        eq(out["PolicyName"], "WebServerAccess", "PolicyName")
        eq(out["PolicyDocument"], json.loads(ec2_policy_text), "PolicyDocument")

    r.cli("aws iam get-role-policy --role-name PetTracker-EC2-WebServer --policy-name WebServerAccess",
          check=inline)
    r.cli("aws iam list-role-policies --role-name PetTracker-EC2-WebServer",
          check=lambda out: eq(out["PolicyNames"], ["WebServerAccess"], "PolicyNames"))
    profile_arn = f"arn:aws:iam::{ACCOUNT}:instance-profile/PetTracker-EC2-WebServer-Profile"

    def profile_created(out):
        p = out["InstanceProfile"]
        eq(p["InstanceProfileName"], "PetTracker-EC2-WebServer-Profile", "InstanceProfileName")
        eq(p["Path"], "/", "Path")
        eq(p["Arn"], profile_arn, "Arn")
        match(r"AIPA[A-Z0-9]{17}", p["InstanceProfileId"], "InstanceProfileId")
        eq(p["Roles"], [], "Roles")

    r.cli(seed.command("create-instance-profile"), check=profile_created)
    r.cli("aws iam list-instance-profiles --query 'InstanceProfiles[].[InstanceProfileName,Arn]'",
          check=lambda out: eq(out, [["PetTracker-EC2-WebServer-Profile", profile_arn]], "InstanceProfiles"))
    r.cli(seed.command("add-role-to-instance-profile"), check=no_output)

    def profile_has_role(out):
        p = out["InstanceProfile"]
        eq([x["RoleName"] for x in p["Roles"]], ["PetTracker-EC2-WebServer"], "Roles[].RoleName")
        eq(p["Roles"][0]["Arn"], role_arn("PetTracker-EC2-WebServer"), "Roles[0].Arn")
        eq(p["Roles"][0]["AssumeRolePolicyDocument"], ec2_trust, "Roles[0].AssumeRolePolicyDocument")

    r.cli("aws iam get-instance-profile --instance-profile-name PetTracker-EC2-WebServer-Profile",
          check=profile_has_role)
    r.cli(
        "aws iam list-instance-profiles-for-role --role-name PetTracker-EC2-WebServer "
        "--query 'InstanceProfiles[].Arn'",
        check=lambda out: eq(out, [profile_arn], "InstanceProfiles[].Arn"),
    )
    r.skip_snippet(seed, "Python: boto3 s3.get_object on an EC2 instance", "needs S3 and an EC2 instance")
    # The seed's `aws ec2 run-instances` and its instance metadata curl commands are run in
    # workload_checks.py, against instances of PetTracker-EC2-WebServer-Profile.

    # ECS: the task execution policy the seed shows is AmazonECSTaskExecutionRolePolicy.
    ecs_trust = service_trust("ecs-tasks.amazonaws.com")
    cmd = seed.command("create-role", "PetTracker-ECS-Execution")
    eq(json.loads(cmd.arg("--assume-role-policy-document")), ecs_trust, "the trust policy written in the seed")
    r.cli(cmd, check=created_role("PetTracker-ECS-Execution", ecs_trust))
    r.cli(seed.command("attach-role-policy", "PetTracker-ECS-Execution"), check=no_output)
    exec_policy = aws_policy("service-role/AmazonECSTaskExecutionRolePolicy")
    r.cli("aws iam list-attached-role-policies --role-name PetTracker-ECS-Execution",
          check=attached([exec_policy]))
    line, _, documented = seed.json_block("ecr:GetAuthorizationToken")
    doc = default_version_document(r, exec_policy[1], "AmazonECSTaskExecutionRolePolicy")
    if doc is not None:
        r.check(f"AmazonECSTaskExecutionRolePolicy's document is the one seed 004 shows (L{line})",
                lambda: eq(doc, documented, "document"))
    cmd = seed.command("create-role", "PetTracker-ECS-Task")
    eq(json.loads(cmd.arg("--assume-role-policy-document")), ecs_trust, "the trust policy written in the seed")
    r.cli(cmd, check=created_role("PetTracker-ECS-Task", ecs_trust))
    # "What your containerized application can do": the task role's inline policy.
    line, text, task_doc = seed.json_block("dynamodb:*")
    r.write("ecs-task-policy.json", text)
    r.cli(
        "aws iam put-role-policy --role-name PetTracker-ECS-Task --policy-name PetTrackerApp "
        "--policy-document file://ecs-task-policy.json",
        label=f"put-role-policy PetTracker-ECS-Task with the task role policy (seed L{line})",
        check=no_output,
    )
    r.cli(
        "aws iam get-role-policy --role-name PetTracker-ECS-Task --policy-name PetTrackerApp "
        "--query PolicyDocument",
        check=lambda out: eq(out, task_doc, "PolicyDocument"),
    )
    # The task definition names both roles by ARN.
    line, text, _ = seed.json_block('"family": "pettracker-api"')
    for key in ("executionRoleArn", "taskRoleArn"):
        arn = re.search(rf'"{key}": "([^"]+)"', text).group(1)
        name = arn.rsplit("/", 1)[-1]
        r.cli(f"aws iam get-role --role-name {name} --query Role.Arn",
              label=f"task definition's {key} (seed L{line}) is the role's ARN",
              check=lambda out, arn=arn: eq(out, arn, "Role.Arn"))

    # API Gateway.
    r.skip_snippet(seed, "JSON: resource-based policy letting API Gateway invoke Lambda",
                   "needs Lambda (a resource-based policy on a function, not an IAM policy)")
    apigw_trust = service_trust("apigateway.amazonaws.com")
    cmd = seed.command("create-role", "APIGateway-CloudWatch-Role")
    eq(json.loads(cmd.arg("--assume-role-policy-document")), apigw_trust, "the trust policy written in the seed")
    r.cli(cmd, check=created_role("APIGateway-CloudWatch-Role", apigw_trust))
    r.cli(seed.command("attach-role-policy", "APIGateway-CloudWatch-Role"), check=no_output)
    r.cli("aws iam list-attached-role-policies --role-name APIGateway-CloudWatch-Role",
          check=attached([aws_policy("service-role/AmazonAPIGatewayPushToCloudWatchLogs")]))
    update = seed.command("aws apigateway update-account")
    r.skip(update, "needs API Gateway")
    arn = re.search(r"value=(arn:\S+)", update.text).group(1)
    r.cli("aws iam get-role --role-name APIGateway-CloudWatch-Role --query Role.Arn",
          label="the cloudwatchRoleArn apigateway update-account passes is the role's ARN",
          check=lambda out: eq(out, arn, "Role.Arn"))

    # Step Functions: the seed's policy on a Step Functions role.
    line, text, sfn_doc = seed.json_block("logs:CreateLogDelivery")
    sfn_trust = service_trust("states.amazonaws.com")
    r.write("step-functions-policy.json", text)
    r.cli(
        "aws iam create-role --role-name PetTracker-StepFunctions "
        f"--assume-role-policy-document {q(json.dumps(sfn_trust))}",
        check=created_role("PetTracker-StepFunctions", sfn_trust),
    )
    r.cli(
        "aws iam put-role-policy --role-name PetTracker-StepFunctions --policy-name PetTrackerWorkflow "
        "--policy-document file://step-functions-policy.json",
        label=f"put-role-policy PetTracker-StepFunctions with the Step Functions policy (seed L{line})",
        check=no_output,
    )
    r.cli(
        "aws iam get-role-policy --role-name PetTracker-StepFunctions --policy-name PetTrackerWorkflow "
        "--query PolicyDocument",
        check=lambda out: eq(out, sfn_doc, "PolicyDocument"),
    )

    # Service-linked roles: none yet; AWS creates them when a service is first used.
    slr = seed.command("aws iam list-roles --query")
    r.cli(slr, label=slr.one_line + "   (none yet)", check=lambda out: eq(out, [], "output"))
    expected = []
    for service, name in (
        ("elasticloadbalancing.amazonaws.com", "AWSServiceRoleForElasticLoadBalancing"),
        ("autoscaling.amazonaws.com", "AWSServiceRoleForAutoScaling"),
        ("rds.amazonaws.com", "AWSServiceRoleForRDS"),
    ):
        path = f"/aws-service-role/{service}/"
        expected.append([name, path])

        def slr_created(out, name=name, path=path, service=service):
            role = out["Role"]
            eq(role["RoleName"], name, "Role.RoleName")
            eq(role["Path"], path, "Role.Path")
            eq(role["Arn"], role_arn(name, path), "Role.Arn")
            principals = [s["Principal"] for s in as_list(role["AssumeRolePolicyDocument"]["Statement"])]
            eq(principals, [{"Service": service}], "trust principals")

        r.cli(f"aws iam create-service-linked-role --aws-service-name {service}",
              label=f"create-service-linked-role {service} (as the service would)", check=slr_created)
    r.cli(slr, label=slr.one_line + "   (the three examples)",
          check=lambda out: eq(sorted(out), sorted(expected), "output"))

    # Alex's architecture, all in place.
    def architecture(out):
        want = {
            "PetTracker-Lambda-Basic", "PetTracker-Lambda-VPC", "PetTracker-Lambda-PhotoProcessor",
            "PetTracker-EC2-WebServer", "PetTracker-ECS-Execution", "PetTracker-ECS-Task",
            "APIGateway-CloudWatch-Role", "PetTracker-StepFunctions",
        }
        eq(want - set(out), set(), "roles missing from list-roles")

    r.cli("aws iam list-roles --path-prefix / --query 'Roles[].RoleName'",
          label="list-roles: every PetTracker role is there", check=architecture)


# ------------------------------------------------------------------------------- 003


def seed_003(r: Runner) -> None:
    r.section("seed 003: IAM roles, policies and groups for ML (console steps as CLI)")
    seed = r.seed("003_28d073775decfc10.txt", "IAM Roles, Policies, and Groups for AWS Access",
                  note="its console steps done as derived aws CLI commands")
    ok(not seed.commands, "seed 003 has no shell command")
    s3_ro = aws_policy("AmazonS3ReadOnlyAccess")
    sm_full = aws_policy("AmazonSageMakerFullAccess")
    for name, arn in (s3_ro, sm_full):
        r.cli(
            f"aws iam get-policy --policy-arn {arn}",
            label=f"AWS managed policy {name} exists",
            check=lambda out, name=name, arn=arn: (
                eq(out["Policy"]["PolicyName"], name, "PolicyName"),
                eq(out["Policy"]["Arn"], arn, "Arn"),
                eq(out["Policy"]["Path"], "/", "Path"),
                eq(out["Policy"]["AttachmentCount"], 0, "AttachmentCount before any attachment"),
            ),
        )

    # The single SageMaker notebook role with S3 access.
    sm_trust = service_trust("sagemaker.amazonaws.com")
    r.cli(
        "aws iam create-role --role-name SageMaker-Notebook-S3Access "
        f"--assume-role-policy-document {q(json.dumps(sm_trust))}",
        check=created_role("SageMaker-Notebook-S3Access", sm_trust),
    )
    r.cli(f"aws iam attach-role-policy --role-name SageMaker-Notebook-S3Access --policy-arn {s3_ro[1]}",
          check=no_output)

    # Steps to create an IAM group: name it SageMaker-Users, attach the two policies, add users.
    def group_created(name):
        def check(out):
            g = out["Group"]
            eq(g["GroupName"], name, "Group.GroupName")
            eq(g["Path"], "/", "Group.Path")
            eq(g["Arn"], f"arn:aws:iam::{ACCOUNT}:group/{name}", "Group.Arn")
            match(r"AGPA[A-Z0-9]{17}", g["GroupId"], "Group.GroupId")
        return check

    r.cli("aws iam create-group --group-name SageMaker-Users", check=group_created("SageMaker-Users"))
    for _, arn in (sm_full, s3_ro):
        r.cli(f"aws iam attach-group-policy --group-name SageMaker-Users --policy-arn {arn}", check=no_output)
    r.cli("aws iam list-attached-group-policies --group-name SageMaker-Users", check=attached([sm_full, s3_ro]))
    users = ["ml-dana", "ml-omar"]
    for u in users:
        r.cli(f"aws iam create-user --user-name {u}",
              check=lambda out, u=u: eq(out["User"]["Arn"], f"arn:aws:iam::{ACCOUNT}:user/{u}", "User.Arn"))
        r.cli(f"aws iam add-user-to-group --group-name SageMaker-Users --user-name {u}", check=no_output)

    def members(out):
        eq(out["Group"]["GroupName"], "SageMaker-Users", "Group.GroupName")
        eq(sorted(x["UserName"] for x in out["Users"]), users, "Users[].UserName")

    r.cli("aws iam get-group --group-name SageMaker-Users", check=members)

    # The RBAC example: three groups by role.
    rbac = {
        "ML_Engineers": [sm_full, s3_ro],
        "ML_Admins": [aws_policy("AdministratorAccess")],
        "Analysts": [aws_policy("CloudWatchReadOnlyAccess"), aws_policy("AmazonAthenaFullAccess"), s3_ro],
    }
    for group, policies in rbac.items():
        r.cli(f"aws iam create-group --group-name {group}", check=group_created(group))
        for _, arn in policies:
            r.cli(f"aws iam attach-group-policy --group-name {group} --policy-arn {arn}", check=no_output)
        r.cli(f"aws iam list-attached-group-policies --group-name {group}", check=attached(policies))
    r.cli("aws iam add-user-to-group --group-name ML_Engineers --user-name ml-dana", check=no_output)
    r.cli(
        "aws iam list-groups-for-user --user-name ml-dana --query 'Groups[].GroupName'",
        check=lambda out: eq(sorted(out), ["ML_Engineers", "SageMaker-Users"], "Groups[].GroupName"),
    )
    # An inline policy: unique permissions embedded in one group.
    inline = {
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "ReadMetricsAndLogs",
            "Effect": "Allow",
            "Action": ["cloudwatch:GetMetricData", "logs:FilterLogEvents"],
            "Resource": "*",
        }],
    }
    r.write("analysts-inline.json", json.dumps(inline))
    r.cli("aws iam put-group-policy --group-name Analysts --policy-name AnalystsLogs "
          "--policy-document file://analysts-inline.json", check=no_output)
    r.cli("aws iam get-group-policy --group-name Analysts --policy-name AnalystsLogs",
          check=lambda out: eq(out["PolicyDocument"], inline, "PolicyDocument"))

    # Who has AmazonS3ReadOnlyAccess now: three groups and the notebook role.
    def entities(out):
        eq(sorted(g["GroupName"] for g in out["PolicyGroups"]), ["Analysts", "ML_Engineers", "SageMaker-Users"],
           "PolicyGroups")
        eq([x["RoleName"] for x in out["PolicyRoles"]], ["SageMaker-Notebook-S3Access"], "PolicyRoles")
        eq(out["PolicyUsers"], [], "PolicyUsers")

    r.cli(f"aws iam list-entities-for-policy --policy-arn {s3_ro[1]}", check=entities)
    r.cli(f"aws iam get-policy --policy-arn {s3_ro[1]} --query Policy.AttachmentCount",
          check=lambda out: eq(out, 4, "AttachmentCount of AmazonS3ReadOnlyAccess"))

    def details(out):
        groups = {g["GroupName"]: g for g in out["GroupDetailList"]}
        eq(sorted(groups), sorted(["SageMaker-Users", *rbac]), "GroupDetailList[].GroupName")
        eq(sorted(p["PolicyArn"] for p in groups["SageMaker-Users"]["AttachedManagedPolicies"]),
           sorted([sm_full[1], s3_ro[1]]), "SageMaker-Users' AttachedManagedPolicies")
        eq([p["PolicyName"] for p in groups["Analysts"]["GroupPolicyList"]], ["AnalystsLogs"],
           "Analysts' GroupPolicyList")
        eq(groups["Analysts"]["GroupPolicyList"][0]["PolicyDocument"], inline, "Analysts' inline document")

    r.cli("aws iam get-account-authorization-details --filter Group", check=details)


# ------------------------------------------------------------------------------- account


def account_consistency(r: Runner) -> None:
    r.section("account: the summary agrees with the lists")
    counts = {}

    def remember(key):
        def check(out):
            ok(isinstance(out, list), "a list")
            counts[key] = len(out)
        return check

    r.cli("aws iam list-roles --query 'Roles[].RoleName'", check=remember("Roles"))
    r.cli("aws iam list-users --query 'Users[].UserName'", check=remember("Users"))
    r.cli("aws iam list-groups --query 'Groups[].GroupName'", check=remember("Groups"))
    r.cli("aws iam list-policies --scope Local --query 'Policies[].Arn'", check=remember("Policies"))
    r.cli("aws iam list-instance-profiles --query 'InstanceProfiles[].Arn'", check=remember("InstanceProfiles"))

    def summary(out):
        m = out["SummaryMap"]
        for key, n in counts.items():
            eq(m.get(key), n, f"SummaryMap.{key}")

    r.cli("aws iam get-account-summary", check=summary)


def run_all(r: Runner) -> None:
    for scenario in (seed_000, seed_004, seed_003):
        try:
            scenario(r)
        except Exception as e:  # noqa: BLE001 - a broken scenario is a failure, not a crash
            r._record(f"{scenario.__name__} stopped: {e!r}", "derived", "FAIL",
                      detail=traceback.format_exc(limit=4))


__all__ = ["run_all", "CheckFailed"]
