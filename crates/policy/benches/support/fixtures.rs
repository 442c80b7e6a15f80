//! The policies and requests the benchmarks decide: an IAM user of a data/ML team with ten
//! AWS managed policies, a permissions boundary, and the bucket policy of the team's bucket.

use portcullis_policy::{
    CompiledPolicy, Context, Outcome, PolicyKind, Principal, Request, ValidationOptions, validate,
};
use std::sync::Arc;

/// The account of the caller and of every resource (the requests are never cross-account).
pub(crate) const ACCOUNT: &str = "111122223333";

/// The user the bucket policy names.
pub(crate) const ALICE: &str = "arn:aws:iam::111122223333:user/alice";
/// A team member the bucket policy does not name (same identity policies and boundary).
pub(crate) const CAROL: &str = "arn:aws:iam::111122223333:user/carol";

/// The AWS managed policies attached to the user, ReadOnlyAccess first.
pub(crate) const MANAGED: [&str; 10] = [
    "ReadOnlyAccess",
    "AmazonS3ReadOnlyAccess",
    "AWSLambdaBasicExecutionRole",
    "CloudWatchLogsReadOnlyAccess",
    "AmazonDynamoDBReadOnlyAccess",
    "AWSGlueConsoleFullAccess",
    "AmazonSageMakerReadOnly",
    "IAMReadOnlyAccess",
    "AmazonEC2ReadOnlyAccess",
    "AWSCloudTrail_ReadOnlyAccess",
];

/// The user's permissions boundary (a customer managed policy).
pub(crate) const BOUNDARY: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "DataServices", "Effect": "Allow",
     "Action": ["s3:*", "logs:*", "dynamodb:*", "sagemaker:*"], "Resource": "*"},
    {"Sid": "IamRead", "Effect": "Allow", "Action": ["iam:Get*", "iam:List*"], "Resource": "*"},
    {"Sid": "Ec2Describe", "Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"},
    {"Sid": "GlueInEurope", "Effect": "Allow", "Action": ["glue:Get*", "glue:StartJobRun"],
     "Resource": "*",
     "Condition": {"StringEquals": {"aws:RequestedRegion": ["eu-west-1", "eu-central-1"]}}},
    {"Sid": "NoBucketDeletion", "Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"}
  ]
}"#;

/// The team bucket's name.
pub(crate) const BUCKET: &str = "ml-data";

/// The bucket policy of `ml-data`.
pub(crate) const BUCKET_POLICY: &str = r#"{
  "Version": "2012-10-17",
  "Id": "MlDataBucketPolicy",
  "Statement": [
    {"Sid": "TeamReadWrite", "Effect": "Allow",
     "Principal": {"AWS": ["arn:aws:iam::111122223333:user/alice",
                           "arn:aws:iam::111122223333:user/bob"]},
     "Action": ["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
     "Resource": ["arn:aws:s3:::ml-data", "arn:aws:s3:::ml-data/*"]},
    {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
     "Resource": ["arn:aws:s3:::ml-data", "arn:aws:s3:::ml-data/*"],
     "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
  ]
}"#;

/// The policy texts, as the Cedar translation reads them.
pub(crate) struct PolicyTexts {
    /// The managed policies' documents, in [`MANAGED`] order.
    pub identity: Vec<&'static str>,
    /// The permissions boundary.
    pub boundary: &'static str,
    /// The bucket policy.
    pub bucket: &'static str,
}

impl PolicyTexts {
    /// The texts of the benchmark's policies.
    pub(crate) fn load() -> PolicyTexts {
        PolicyTexts {
            identity: MANAGED
                .iter()
                .map(|name| {
                    portcullis_catalog::managed_policy(name)
                        .unwrap_or_else(|| panic!("no AWS managed policy named {name}"))
                        .document
                        .as_str()
                })
                .collect(),
            boundary: BOUNDARY,
            bucket: BUCKET_POLICY,
        }
    }
}

/// The compiled policies.
pub(crate) struct IamPolicies {
    pub identity: Vec<Arc<CompiledPolicy>>,
    pub boundary: CompiledPolicy,
    pub bucket: CompiledPolicy,
}

/// Validates (as the given kind, without the size quota) and compiles a policy.
pub(crate) fn compile(text: &str, kind: PolicyKind) -> CompiledPolicy {
    let options = ValidationOptions {
        check_size: false,
        warnings: false,
        ..ValidationOptions::new(kind)
    };
    let doc = validate(text, &options)
        .into_result()
        .unwrap_or_else(|e| panic!("invalid {kind:?} policy: {e}"));
    CompiledPolicy::compile(&doc)
}

impl IamPolicies {
    /// Compiles the texts.
    pub(crate) fn compile(texts: &PolicyTexts) -> IamPolicies {
        IamPolicies {
            identity: texts
                .identity
                .iter()
                .map(|t| Arc::new(compile(t, PolicyKind::Identity)))
                .collect(),
            boundary: compile(texts.boundary, PolicyKind::Boundary),
            bucket: compile(texts.bucket, PolicyKind::Resource),
        }
    }

    /// The policies that apply to a request: the bucket policy only for requests on the
    /// bucket or its objects.
    pub(crate) fn for_case(&self, case: &Case) -> portcullis_policy::Policies<'_> {
        portcullis_policy::Policies {
            identity: &self.identity,
            resource: case.on_bucket().then_some(&self.bucket),
            boundary: Some(&self.boundary),
            ..Default::default()
        }
    }
}

/// One request with the answer it must get.
#[derive(Debug, Clone)]
pub(crate) struct Case {
    pub principal: &'static str,
    pub action: &'static str,
    pub resource: &'static str,
    /// Condition keys besides the defaults (`aws:SecureTransport` = `true`,
    /// `aws:RequestedRegion` = `eu-west-1`), which these override.
    pub extra: Vec<(&'static str, &'static str)>,
    pub expected: Outcome,
}

impl Case {
    /// True when the request is on the team bucket (the bucket policy applies).
    pub(crate) fn on_bucket(&self) -> bool {
        self.resource
            .strip_prefix("arn:aws:s3:::")
            .is_some_and(|r| r == BUCKET || r.starts_with(&format!("{BUCKET}/")))
    }

    /// The request's condition keys: the defaults, overridden or extended by `extra`.
    pub(crate) fn context_pairs(&self) -> Vec<(&'static str, &'static str)> {
        let mut pairs = vec![
            ("aws:SecureTransport", "true"),
            ("aws:RequestedRegion", "eu-west-1"),
        ];
        for (k, v) in &self.extra {
            match pairs.iter_mut().find(|(pk, _)| pk.eq_ignore_ascii_case(k)) {
                Some(p) => p.1 = v,
                None => pairs.push((k, v)),
            }
        }
        pairs
    }

    /// The request's context.
    pub(crate) fn context(&self) -> Context {
        let mut context = Context::new();
        for (k, v) in self.context_pairs() {
            context.insert(k, v);
        }
        context
    }

    /// The caller.
    pub(crate) fn principal(&self) -> Principal {
        Principal::parse(self.principal).expect("principal")
    }

    /// The Portcullis request.
    pub(crate) fn request(&self) -> Request {
        Request::builder(self.principal(), self.action, self.resource)
            .context(self.context())
            .build()
            .expect("request")
    }
}

fn case(
    principal: &'static str,
    action: &'static str,
    resource: &'static str,
    extra: &[(&'static str, &'static str)],
    expected: Outcome,
) -> Case {
    Case {
        principal,
        action,
        resource,
        extra: extra.to_vec(),
        expected,
    }
}

/// The request shapes that are timed, with their bench ids.
pub(crate) fn shapes() -> Vec<(&'static str, Case)> {
    use Outcome::*;
    vec![
        (
            "s3_get_object_allowed",
            case(
                ALICE,
                "s3:GetObject",
                "arn:aws:s3:::ml-data/train/part-0001.parquet",
                &[],
                Allowed,
            ),
        ),
        (
            "iam_create_role_implicit_deny",
            case(
                ALICE,
                "iam:CreateRole",
                "arn:aws:iam::111122223333:role/ml-pipeline",
                &[],
                ImplicitDeny,
            ),
        ),
        (
            "s3_delete_bucket_explicit_deny",
            case(
                ALICE,
                "s3:DeleteBucket",
                "arn:aws:s3:::ml-data",
                &[],
                ExplicitDeny,
            ),
        ),
        (
            "ec2_describe_instances_allowed",
            case(ALICE, "ec2:DescribeInstances", "*", &[], Allowed),
        ),
        (
            "unlisted_service_implicit_deny",
            case(ALICE, "textract:AnalyzeDocument", "*", &[], ImplicitDeny),
        ),
    ]
}

/// The requests both engines must decide alike: the timed shapes and many more, across
/// the services the policies name (and two they do not).
pub(crate) fn check_cases() -> Vec<Case> {
    use Outcome::*;
    const OBJ: &str = "arn:aws:s3:::ml-data/train/part-0001.parquet";
    const TABLE: &str = "arn:aws:dynamodb:eu-west-1:111122223333:table/features";
    const GROUP: &str = "arn:aws:logs:eu-west-1:111122223333:log-group:/ml/train";
    const GLUE_ROLE: &str = "arn:aws:iam::111122223333:role/AWSGlueServiceRoleDefault";
    const INSTANCE: &str = "arn:aws:ec2:eu-west-1:111122223333:instance/i-0123456789abcdef0";
    const GLUE_STACK: &str =
        "arn:aws:cloudformation:eu-west-1:111122223333:stack/aws-glue-notebook/4a2b";
    const ZONE_BUCKET: &str = "arn:aws:s3express:eu-west-1:111122223333:bucket/hot--euw1-az1--x-s3";
    const INSECURE: &[(&str, &str)] = &[("aws:SecureTransport", "false")];
    let mut cases: Vec<Case> = shapes().into_iter().map(|(_, c)| c).collect();
    cases.extend([
        // S3, on the team bucket (the bucket policy applies).
        case(ALICE, "s3:GetObject", OBJ, INSECURE, ExplicitDeny),
        case(
            ALICE,
            "s3:PutObject",
            "arn:aws:s3:::ml-data/out/model.bin",
            &[],
            Allowed,
        ),
        case(
            CAROL,
            "s3:PutObject",
            "arn:aws:s3:::ml-data/out/model.bin",
            &[],
            ImplicitDeny,
        ),
        case(CAROL, "s3:GetObject", OBJ, &[], Allowed),
        case(ALICE, "s3:ListBucket", "arn:aws:s3:::ml-data", &[], Allowed),
        case(ALICE, "s3:DeleteObject", OBJ, &[], ImplicitDeny),
        case(
            CAROL,
            "s3:DeleteBucket",
            "arn:aws:s3:::ml-data",
            &[],
            ExplicitDeny,
        ),
        case(
            ALICE,
            "s3:GetBucketPolicy",
            "arn:aws:s3:::ml-data",
            &[],
            Allowed,
        ),
        case(
            ALICE,
            "s3:PutBucketPolicy",
            "arn:aws:s3:::ml-data",
            &[],
            ImplicitDeny,
        ),
        case(CAROL, "s3:DeleteObject", OBJ, INSECURE, ExplicitDeny),
        case(
            CAROL,
            "s3:ListBucket",
            "arn:aws:s3:::ml-data",
            INSECURE,
            ExplicitDeny,
        ),
        // S3 elsewhere.
        case(ALICE, "s3:ListAllMyBuckets", "*", &[], Allowed),
        case(
            ALICE,
            "s3:GetObject",
            "arn:aws:s3:::aws-glue-scripts/job.py",
            &[],
            Allowed,
        ),
        case(
            ALICE,
            "s3:PutObject",
            "arn:aws:s3:::aws-glue-scripts/job.py",
            &[],
            Allowed,
        ),
        case(
            ALICE,
            "s3:PutObject",
            "arn:aws:s3:::other-bucket/x.csv",
            &[],
            ImplicitDeny,
        ),
        case(
            ALICE,
            "s3:CreateBucket",
            "arn:aws:s3:::aws-glue-temp",
            &[],
            Allowed,
        ),
        case(
            ALICE,
            "s3:CreateBucket",
            "arn:aws:s3:::scratch",
            &[],
            ImplicitDeny,
        ),
        case(
            ALICE,
            "s3:PutObject",
            "arn:aws:s3:::team/aws-glue-x/y.py",
            &[],
            Allowed,
        ),
        case(
            ALICE,
            "s3:DeleteBucket",
            "arn:aws:s3:::aws-glue-temp",
            &[],
            ExplicitDeny,
        ),
        // CloudWatch Logs.
        case(ALICE, "logs:CreateLogGroup", GROUP, &[], Allowed),
        case(
            ALICE,
            "logs:PutLogEvents",
            "arn:aws:logs:eu-west-1:111122223333:log-group:/ml/train:log-stream:s1",
            &[],
            Allowed,
        ),
        case(ALICE, "logs:DeleteLogGroup", GROUP, &[], ImplicitDeny),
        case(
            ALICE,
            "logs:GetLogEvents",
            "arn:aws:logs:eu-west-1:111122223333:log-group:/aws-glue/jobs:log-stream:run-1",
            &[],
            Allowed,
        ),
        case(ALICE, "logs:FilterLogEvents", GROUP, &[], Allowed),
        case(CAROL, "logs:CreateLogStream", GROUP, &[], Allowed),
        // DynamoDB.
        case(ALICE, "dynamodb:GetItem", TABLE, &[], Allowed),
        case(ALICE, "dynamodb:Query", TABLE, &[], Allowed),
        case(CAROL, "dynamodb:Scan", TABLE, &[], Allowed),
        case(ALICE, "dynamodb:PutItem", TABLE, &[], ImplicitDeny),
        case(ALICE, "dynamodb:DeleteTable", TABLE, &[], ImplicitDeny),
        case(ALICE, "dynamodb:ListTables", "*", &[], Allowed),
        // SageMaker.
        case(
            ALICE,
            "sagemaker:DescribeTrainingJob",
            "arn:aws:sagemaker:eu-west-1:111122223333:training-job/train-42",
            &[],
            Allowed,
        ),
        case(
            ALICE,
            "sagemaker:CreateTrainingJob",
            "arn:aws:sagemaker:eu-west-1:111122223333:training-job/train-43",
            &[],
            ImplicitDeny,
        ),
        case(ALICE, "sagemaker:ListModels", "*", &[], Allowed),
        case(ALICE, "sagemaker:Search", "*", &[], Allowed),
        case(
            ALICE,
            "sagemaker:DeleteEndpoint",
            "arn:aws:sagemaker:eu-west-1:111122223333:endpoint/prod",
            &[],
            ImplicitDeny,
        ),
        // IAM.
        case(ALICE, "iam:GetRole", GLUE_ROLE, &[], Allowed),
        case(ALICE, "iam:ListRoles", "*", &[], Allowed),
        case(
            ALICE,
            "iam:PassRole",
            GLUE_ROLE,
            &[("iam:PassedToService", "glue.amazonaws.com")],
            ImplicitDeny,
        ),
        case(
            ALICE,
            "iam:PassRole",
            "arn:aws:iam::111122223333:role/admin",
            &[("iam:PassedToService", "glue.amazonaws.com")],
            ImplicitDeny,
        ),
        case(
            ALICE,
            "iam:DeleteUser",
            "arn:aws:iam::111122223333:user/bob",
            &[],
            ImplicitDeny,
        ),
        case(
            ALICE,
            "iam:GenerateCredentialReport",
            "*",
            &[],
            ImplicitDeny,
        ),
        // EC2.
        case(ALICE, "ec2:DescribeVpcs", "*", &[], Allowed),
        case(CAROL, "ec2:DescribeImages", "*", &[], Allowed),
        case(ALICE, "ec2:RunInstances", INSTANCE, &[], ImplicitDeny),
        case(
            ALICE,
            "ec2:TerminateInstances",
            INSTANCE,
            &[
                (
                    "ec2:ResourceTag/aws:cloudformation:logical-id",
                    "ZeppelinInstance",
                ),
                ("ec2:ResourceTag/aws:cloudformation:stack-id", GLUE_STACK),
            ],
            ImplicitDeny,
        ),
        case(ALICE, "ec2:TerminateInstances", INSTANCE, &[], ImplicitDeny),
        // Glue (the boundary allows some of it, in two regions only).
        case(
            ALICE,
            "glue:GetTable",
            "arn:aws:glue:eu-west-1:111122223333:table/features/daily",
            &[],
            Allowed,
        ),
        case(
            ALICE,
            "glue:GetTable",
            "arn:aws:glue:us-east-1:111122223333:table/features/daily",
            &[("aws:RequestedRegion", "us-east-1")],
            ImplicitDeny,
        ),
        case(
            ALICE,
            "glue:StartJobRun",
            "arn:aws:glue:eu-central-1:111122223333:job/train",
            &[("aws:RequestedRegion", "eu-central-1")],
            Allowed,
        ),
        case(
            ALICE,
            "glue:DeleteJob",
            "arn:aws:glue:eu-west-1:111122223333:job/train",
            &[],
            ImplicitDeny,
        ),
        // Services the boundary does not allow.
        case(
            ALICE,
            "cloudformation:TagResource",
            GLUE_STACK,
            &[("cloudformation:CreateAction", "CreateStack")],
            ImplicitDeny,
        ),
        case(
            ALICE,
            "cloudformation:DescribeStacks",
            GLUE_STACK,
            &[],
            ImplicitDeny,
        ),
        case(ALICE, "cloudtrail:LookupEvents", "*", &[], ImplicitDeny),
        case(
            ALICE,
            "s3express:CreateSession",
            ZONE_BUCKET,
            &[("s3express:SessionMode", "ReadOnly")],
            ImplicitDeny,
        ),
        case(
            ALICE,
            "s3express:CreateSession",
            ZONE_BUCKET,
            &[("s3express:SessionMode", "ReadWrite")],
            ImplicitDeny,
        ),
        case(
            ALICE,
            "lambda:GetFunctionConfiguration",
            "arn:aws:lambda:eu-west-1:111122223333:function:featurize",
            &[],
            ImplicitDeny,
        ),
        case(
            ALICE,
            "rds-data:ExecuteStatement",
            "arn:aws:rds:eu-west-1:111122223333:cluster:features",
            &[],
            ImplicitDeny,
        ),
    ]);
    cases
}
