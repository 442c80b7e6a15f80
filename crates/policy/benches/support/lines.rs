//! Input lines for `portcullis policy simulate`: each carries two identity policies of three
//! statements, a permissions boundary and the resource policy of its target. The same few
//! dozen policies recur across the lines, as they do in a real stream.

use serde_json::{Value, json};
use std::collections::HashSet;

const TEAMS: [&str; 4] = ["ml", "data", "analytics", "platform"];
const REGIONS: [&str; 3] = ["eu-west-1", "eu-central-1", "us-east-1"];

fn user(team: &str, n: usize) -> String {
    format!("arn:aws:iam::111122223333:user/{team}-user{n}")
}

fn storage_policy(team: &str) -> Value {
    json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "ReadTeamData", "Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
         "Resource": [format!("arn:aws:s3:::{team}-data"), format!("arn:aws:s3:::{team}-data/*")]},
        {"Sid": "WriteScratch", "Effect": "Allow", "Action": "s3:PutObject",
         "Resource": format!("arn:aws:s3:::{team}-data/scratch/*"),
         "Condition": {"StringEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}},
        {"Sid": "NoDeletes", "Effect": "Deny",
         "Action": ["s3:DeleteObject", "s3:DeleteBucket", "dynamodb:DeleteTable"], "Resource": "*"}
    ]})
}

fn compute_policy(team: &str) -> Value {
    json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "Logs", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": format!("arn:aws:logs:*:111122223333:log-group:/{team}/*")},
        {"Sid": "Tables", "Effect": "Allow",
         "Action": ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem"],
         "Resource": format!("arn:aws:dynamodb:*:111122223333:table/{team}-*")},
        {"Sid": "ReadMl", "Effect": "Allow", "Action": ["sagemaker:Describe*", "sagemaker:List*"],
         "Resource": "*",
         "Condition": {"StringEquals": {"aws:RequestedRegion": ["eu-west-1", "eu-central-1"]}}}
    ]})
}

fn boundary(strict: bool) -> Value {
    if strict {
        json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["s3:Get*", "s3:List*", "dynamodb:GetItem", "dynamodb:Query"],
             "Resource": "*"},
            {"Effect": "Deny", "Action": "s3:PutObject", "Resource": "*",
             "Condition": {"StringNotEquals": {"aws:RequestedRegion": "eu-west-1"}}}
        ]})
    } else {
        json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["s3:*", "dynamodb:*", "logs:*", "sagemaker:*"], "Resource": "*"},
            {"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"}
        ]})
    }
}

fn bucket_policy(team: &str, reader: &str) -> Value {
    json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "Reader", "Effect": "Allow", "Principal": {"AWS": reader},
         "Action": ["s3:GetObject", "s3:PutObject"], "Resource": format!("arn:aws:s3:::{team}-data/*")},
        {"Sid": "TlsOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Resource": [format!("arn:aws:s3:::{team}-data"), format!("arn:aws:s3:::{team}-data/*")],
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
    ]})
}

fn table_policy(team: &str, reader: &str) -> Value {
    let table = format!("arn:aws:dynamodb:eu-west-1:111122223333:table/{team}-features");
    json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "Reader", "Effect": "Allow", "Principal": {"AWS": reader},
         "Action": ["dynamodb:GetItem", "dynamodb:Query"], "Resource": table},
        {"Sid": "Keep", "Effect": "Deny", "Principal": "*", "Action": "dynamodb:DeleteTable",
         "Resource": table}
    ]})
}

/// `count` distinct input lines.
pub(crate) fn lines(count: usize) -> Vec<String> {
    let mut out = Vec::with_capacity(count);
    let mut seen = HashSet::new();
    let mut i = 0usize;
    while out.len() < count {
        let team = TEAMS[i % 4];
        let principal = user(team, (i / 4) % 2);
        // The bucket and table policies name the team's first user.
        let reader = user(team, 0);
        let region = REGIONS[(i / 3) % 3];
        let bucket = format!("arn:aws:s3:::{team}-data");
        let table = format!("arn:aws:dynamodb:eu-west-1:111122223333:table/{team}-features");
        let (action, resource, on_table) = match (i * 7) % 10 {
            0 => ("s3:GetObject", format!("{bucket}/raw/{i}.parquet"), false),
            1 => ("s3:PutObject", format!("{bucket}/scratch/{i}.tmp"), false),
            2 => ("s3:ListBucket", bucket.clone(), false),
            3 => (
                "s3:DeleteObject",
                format!("{bucket}/raw/{i}.parquet"),
                false,
            ),
            4 => ("s3:PutObject", format!("{bucket}/models/{i}.bin"), false),
            5 => ("s3:DeleteBucket", bucket.clone(), false),
            6 => ("dynamodb:GetItem", table.clone(), true),
            7 => ("dynamodb:Query", table.clone(), true),
            8 => ("dynamodb:PutItem", table.clone(), true),
            _ => ("dynamodb:DeleteTable", table.clone(), true),
        };
        let mut context = json!({
            "aws:SecureTransport": !i.is_multiple_of(9),
            "aws:RequestedRegion": region,
        });
        if i.is_multiple_of(2) {
            context["s3:x-amz-server-side-encryption"] = json!("aws:kms");
        }
        let line = json!({
            "principal": principal,
            "action": action,
            "resource": resource,
            "context": context,
            "identity_policies": [storage_policy(team), compute_policy(team)],
            "permissions_boundary": boundary(i.is_multiple_of(3)),
            "resource_policy": if on_table { table_policy(team, &reader) } else { bucket_policy(team, &reader) },
        })
        .to_string();
        if seen.insert(line.clone()) {
            out.push(line);
        }
        i += 1;
    }
    out
}
