//! Tests of the Query protocol as a whole: decoding rules, AWS's validation messages, the XML
//! written for outputs and errors, real client bodies, and every operation of both models.

use std::borrow::Cow;

use serde_json::{Map, Value, json};

use super::*;

fn params(body: &str) -> Params<'_> {
    parse_form(body.as_bytes())
}

fn iam_input(body: &str) -> Result<Value, AwsError> {
    decode(&params(body), Some(Service::Iam)).map(|c| c.input)
}

fn sts_input(body: &str) -> Result<Value, AwsError> {
    decode(&params(body), Some(Service::Sts)).map(|c| c.input)
}

fn validation_message(result: Result<Value, AwsError>) -> String {
    let e = result.expect_err("a validation error");
    assert_eq!((e.code(), e.status()), ("ValidationError", 400), "{e}");
    e.message().to_owned()
}

// ---------------------------------------------------------------------------------------------
// Action and Version

#[test]
fn missing_action() {
    for body in ["Version=2010-05-08", "Action=&Version=2010-05-08", ""] {
        let e = decode(&params(body), Some(Service::Iam)).unwrap_err();
        assert_eq!((e.code(), e.status()), ("MissingAction", 400));
    }
}

#[test]
fn unknown_action_or_wrong_version() {
    let cases = [
        (
            "Action=Frobnicate&Version=2010-05-08",
            Some(Service::Iam),
            "Could not find operation Frobnicate for version 2010-05-08",
        ),
        (
            "Action=CreateRole&Version=2011-06-15",
            Some(Service::Iam),
            "Could not find operation CreateRole for version 2011-06-15",
        ),
        (
            "Action=CreateRole",
            Some(Service::Iam),
            "Could not find operation CreateRole for version NO_VERSION_SPECIFIED",
        ),
        (
            "Action=GetCallerIdentity&Version=2010-05-08",
            Some(Service::Sts),
            "Could not find operation GetCallerIdentity for version 2010-05-08",
        ),
        (
            "Action=GetCallerIdentity&Version=2099-01-01",
            None,
            "Could not find operation GetCallerIdentity for version 2099-01-01",
        ),
        (
            "Action=createRole&Version=2010-05-08",
            None,
            "Could not find operation createRole for version 2010-05-08",
        ),
    ];
    for (body, service, message) in cases {
        let e = decode(&params(body), service).unwrap_err();
        assert_eq!(
            (e.code(), e.status(), e.message()),
            ("InvalidAction", 400, message)
        );
    }
}

#[test]
fn version_picks_the_service_of_unsigned_calls() {
    let body = "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fr&RoleSessionName=s1&WebIdentityToken=eyJ.probe.token";
    let call = decode(&params(body), None).unwrap();
    assert_eq!(call.model.service(), Service::Sts);
    assert!(call.operation.unsigned);
    assert_eq!(
        call.input,
        json!({
            "RoleArn": "arn:aws:iam::123456789012:role/r",
            "RoleSessionName": "s1",
            "WebIdentityToken": "eyJ.probe.token",
        })
    );
}

#[test]
fn parameters_from_query_string_and_body() {
    let p = parse_request(
        Some("Action=GetRole&Version=2010-05-08"),
        b"RoleName=from-body",
    );
    let call = decode(&p, Some(Service::Iam)).unwrap();
    assert_eq!(call.input, json!({"RoleName": "from-body"}));
}

// ---------------------------------------------------------------------------------------------
// Real client bodies (reference/rust-stack.md §5): CreateRole with tags and a policy document.

const POLICY_COMPACT: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

fn form_encode(pairs: &[(&str, &str)], space_as_plus: bool) -> String {
    // Encodes like the clients do: botocore with `+` for spaces, JS and Rust with `%20`.
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        for (j, part) in [k, v].into_iter().enumerate() {
            if j == 1 {
                out.push('=');
            }
            for b in part.bytes() {
                match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                        out.push(b as char)
                    }
                    b' ' if space_as_plus => out.push('+'),
                    _ => out.push_str(&format!("%{b:02X}")),
                }
            }
        }
    }
    out
}

/// The four clients' CreateRole bodies for a given tag value, in each client's parameter order
/// and space encoding.
fn client_bodies(tag_value: &str) -> [(&'static str, String, &'static str); 4] {
    let pairs = |order_cli: bool, doc: &'static str| {
        let mut p = vec![("Action", "CreateRole"), ("Version", "2010-05-08")];
        if order_cli {
            p.extend([
                ("Path", "/probe/"),
                ("RoleName", "probe-role"),
                ("AssumeRolePolicyDocument", doc),
            ]);
        } else {
            p.extend([
                ("RoleName", "probe-role"),
                ("AssumeRolePolicyDocument", doc),
                ("Path", "/probe/"),
            ]);
        }
        p.extend([("Description", "probe role"), ("Tags.member.1.Key", "team")]);
        p
    };
    let with_tag = |p: Vec<(&'static str, &'static str)>, plus: bool| {
        let mut body = form_encode(&p, plus);
        body.push('&');
        body.push_str(&form_encode(&[("Tags.member.1.Value", tag_value)], plus));
        body
    };
    [
        // aws-cli v1: Path before RoleName, `+` for spaces.
        (
            "aws-cli",
            with_tag(pairs(true, POLICY_COMPACT), true),
            POLICY_COMPACT,
        ),
        // boto3: RoleName first, json.dumps spacing in the document.
        (
            "boto3",
            with_tag(pairs(false, POLICY_BOTO), true),
            POLICY_BOTO,
        ),
        // JS v3: `%20` for spaces.
        (
            "js",
            with_tag(pairs(false, POLICY_COMPACT), false),
            POLICY_COMPACT,
        ),
        // Rust SDK: aws-cli's order, `%20` for spaces.
        (
            "rust",
            with_tag(pairs(true, POLICY_COMPACT), false),
            POLICY_COMPACT,
        ),
    ]
}

const POLICY_BOTO: &str = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}"#;

#[test]
fn real_clients_create_role_bodies_decode_alike() {
    let captured = client_bodies("a b&c");
    // The bodies as captured from the clients.
    assert!(captured[0].1.starts_with("Action=CreateRole&Version=2010-05-08&Path=%2Fprobe%2F&RoleName=probe-role&AssumeRolePolicyDocument=%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C"));
    assert!(
        captured[0].1.ends_with(
            "&Description=probe+role&Tags.member.1.Key=team&Tags.member.1.Value=a+b%26c"
        )
    );
    assert!(captured[1].1.starts_with("Action=CreateRole&Version=2010-05-08&RoleName=probe-role&AssumeRolePolicyDocument=%7B%22Version%22%3A+%222012-10-17%22%2C+"));
    assert!(
        captured[2]
            .1
            .ends_with("&Tags.member.1.Key=team&Tags.member.1.Value=a%20b%26c")
    );
    assert!(captured[3].1.contains("&Description=probe%20role&"));
    // AWS's tag value pattern has no `&`: every client gets the same ValidationError.
    for (client, body, _) in &captured {
        assert_eq!(
            validation_message(iam_input(body)),
            r"1 validation error detected: Value at 'tags.1.member.value' failed to satisfy constraint: Member must satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]*",
            "{client}"
        );
    }
    // With a valid tag value, all four decode to the same input (spaces from `+` and `%20`).
    for (client, body, doc) in client_bodies("a b=c") {
        let input = iam_input(&body).unwrap_or_else(|e| panic!("{client}: {e}"));
        assert_eq!(
            input,
            json!({
                "Path": "/probe/",
                "RoleName": "probe-role",
                "AssumeRolePolicyDocument": doc,
                "Description": "probe role",
                "Tags": [{"Key": "team", "Value": "a b=c"}],
            }),
            "{client}"
        );
        // Members come out in the model's declared order, whatever the client's order.
        let keys: Vec<&String> = input.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            [
                "Path",
                "RoleName",
                "AssumeRolePolicyDocument",
                "Description",
                "Tags"
            ],
            "{client}"
        );
    }
}

#[test]
fn get_caller_identity_from_every_client() {
    let input = sts_input("Action=GetCallerIdentity&Version=2011-06-15").unwrap();
    assert_eq!(input, json!({}));
}

// ---------------------------------------------------------------------------------------------
// Decoding rules

#[test]
fn scalars_are_typed() {
    let input = iam_input(
        "Action=CreateRole&Version=2010-05-08&RoleName=r&AssumeRolePolicyDocument=%7B%7D&MaxSessionDuration=7200",
    )
    .unwrap();
    assert_eq!(input["MaxSessionDuration"], json!(7200));
    let input = iam_input(
        "Action=ListPolicies&Version=2010-05-08&OnlyAttached=true&MaxItems=5&Scope=Local",
    )
    .unwrap();
    assert_eq!(
        input,
        json!({"Scope": "Local", "OnlyAttached": true, "MaxItems": 5})
    );
    let input = iam_input("Action=ListPolicies&Version=2010-05-08&OnlyAttached=False").unwrap();
    assert_eq!(input, json!({"OnlyAttached": false}));
}

#[test]
fn lists_in_index_order_with_gaps() {
    let input = iam_input(
        "Action=TagRole&Version=2010-05-08&RoleName=r&Tags.member.3.Value=c&Tags.member.1.Key=a&Tags.member.3.Key=C&Tags.member.1.Value=x",
    )
    .unwrap();
    assert_eq!(
        input["Tags"],
        json!([{"Key": "a", "Value": "x"}, {"Key": "C", "Value": "c"}])
    );
    let input = iam_input(
        "Action=UntagRole&Version=2010-05-08&RoleName=r&TagKeys.member.2=b&TagKeys.member.1=a",
    )
    .unwrap();
    assert_eq!(input["TagKeys"], json!(["a", "b"]));
}

#[test]
fn empty_list_is_sent_as_name_equals_nothing() {
    let input = iam_input("Action=UntagRole&Version=2010-05-08&RoleName=r&TagKeys=").unwrap();
    assert_eq!(input["TagKeys"], json!([]));
}

#[test]
fn nested_structures_and_lists_of_structures() {
    let input = sts_input(
        "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fr&RoleSessionName=s1&PolicyArns.member.1.arn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FReadOnlyAccess&DurationSeconds=900&Tags.member.1.Key=k&Tags.member.1.Value=v&TransitiveTagKeys.member.1=k",
    )
    .unwrap();
    assert_eq!(
        input,
        json!({
            "RoleArn": "arn:aws:iam::123456789012:role/r",
            "RoleSessionName": "s1",
            "PolicyArns": [{"arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}],
            "DurationSeconds": 900,
            "Tags": [{"Key": "k", "Value": "v"}],
            "TransitiveTagKeys": ["k"],
        })
    );
    let input = iam_input(
        "Action=SimulateCustomPolicy&Version=2010-05-08&PolicyInputList.member.1=%7B%7D&ActionNames.member.1=s3%3AGetObject&ContextEntries.member.1.ContextKeyName=aws%3AMultiFactorAuthPresent&ContextEntries.member.1.ContextKeyType=boolean&ContextEntries.member.1.ContextKeyValues.member.1=true",
    )
    .unwrap();
    assert_eq!(
        input["ContextEntries"],
        json!([{
            "ContextKeyName": "aws:MultiFactorAuthPresent",
            "ContextKeyValues": ["true"],
            "ContextKeyType": "boolean",
        }])
    );
}

#[test]
fn maps_from_entries() {
    let input = iam_input(
        "Action=PutAccountProperties&Version=2010-05-08&Properties.entry.2.key=b&Properties.entry.2.value=2&Properties.entry.1.key=a&Properties.entry.1.value=1",
    );
    // Whatever else the operation requires, the map itself decodes in entry order.
    let value = match input {
        Ok(v) => v["Properties"].clone(),
        Err(e) => panic!("{e}"),
    };
    assert_eq!(value, json!({"a": "1", "b": "2"}));
    let keys: Vec<&String> = value.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["a", "b"]);
    let message = validation_message(iam_input(
        "Action=PutAccountProperties&Version=2010-05-08&Properties.entry.1.key=9bad&Properties.entry.1.value=1",
    ));
    assert_eq!(
        message,
        "1 validation error detected: Value at 'properties' failed to satisfy constraint: Map key must satisfy constraint: [Member must have length less than or equal to 50, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: ^[A-Za-z][A-Za-z0-9/_-]*$]"
    );
}

#[test]
fn unknown_parameters_are_ignored_and_the_first_repeat_wins() {
    let input = iam_input(
        "Action=GetRole&Version=2010-05-08&RoleName=first&RoleName=second&Bogus=1&Tags.member.1.Key=x&RoleName.member.1=y&X-Amz-Date=20261123T124639Z",
    )
    .unwrap();
    assert_eq!(input, json!({"RoleName": "first"}));
    // A list element with an unknown field or a bad index leaves nothing behind.
    let input = iam_input(
        "Action=TagRole&Version=2010-05-08&RoleName=r&Tags.member.1.Key=k&Tags.member.1.Value=v&Tags.member.2.Colour=red&Tags.member.0.Key=z&Tags.member.x.Key=z&Tags.member.1.Key.deeper=q",
    )
    .unwrap();
    assert_eq!(input["Tags"], json!([{"Key": "k", "Value": "v"}]));
}

#[test]
fn operations_without_input() {
    let input = iam_input("Action=GetAccountSummary&Version=2010-05-08&Anything=1").unwrap();
    assert_eq!(input, json!({}));
}

// ---------------------------------------------------------------------------------------------
// Validation, in AWS's words

#[test]
fn pattern_violation() {
    let message = validation_message(iam_input(
        "Action=GetRole&Version=2010-05-08&RoleName=bad%20name",
    ));
    assert_eq!(
        message,
        r"1 validation error detected: Value at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+"
    );
}

#[test]
fn required_member_missing() {
    let message = validation_message(iam_input("Action=GetRole&Version=2010-05-08"));
    assert_eq!(
        message,
        "1 validation error detected: Value null at 'roleName' failed to satisfy constraint: Member must not be null"
    );
}

#[test]
fn length_violations() {
    let long = "r".repeat(65);
    let message = validation_message(iam_input(&format!(
        "Action=GetRole&Version=2010-05-08&RoleName={long}"
    )));
    assert_eq!(
        message,
        format!(
            "1 validation error detected: Value at 'roleName' failed to satisfy constraint: Member must have length less than or equal to 64"
        )
    );
    // An empty value breaks the pattern and the minimum length; the pattern comes first, as
    // STS reports it, quoting the value (`Value '' at 'roleArn' … pattern …; …`).
    let message = validation_message(sts_input(
        "Action=AssumeRole&Version=2011-06-15&RoleArn=&RoleSessionName=s1",
    ));
    assert_eq!(
        message,
        r"2 validation errors detected: Value '' at 'roleArn' failed to satisfy constraint: Member must satisfy regular expression pattern: [\u0009\u000A\u000D\u0020-\u007E\u0085\u00A0-\uD7FF\uE000-\uFFFD\u10000-\u10FFFF]+; Value '' at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20"
    );
}

#[test]
fn several_violations_in_aws_order() {
    // The order of a Java HashMap keyed by member name (path 1, assumeRolePolicyDocument 4,
    // maxSessionDuration 5, roleName 8), not the declared order.
    let message = validation_message(iam_input(
        "Action=CreateRole&Version=2010-05-08&RoleName=bad%20name&Path=nope&MaxSessionDuration=60",
    ));
    assert_eq!(
        message,
        r"4 validation errors detected: Value at 'path' failed to satisfy constraint: Member must satisfy regular expression pattern: (\u002F)|(\u002F[\u0021-\u007E]+\u002F); Value null at 'assumeRolePolicyDocument' failed to satisfy constraint: Member must not be null; Value at 'maxSessionDuration' failed to satisfy constraint: Member must have value greater than or equal to 3600; Value at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+"
    );
    // AWS's answers: passwordReusePrevention before maxPasswordAge (declared after it).
    let message = validation_message(iam_input(
        "Action=UpdateAccountPasswordPolicy&Version=2010-05-08&MaxPasswordAge=0&PasswordReusePrevention=25",
    ));
    assert_eq!(
        message,
        "2 validation errors detected: Value at 'passwordReusePrevention' failed to satisfy constraint: Member must have value less than or equal to 24; Value at 'maxPasswordAge' failed to satisfy constraint: Member must have value greater than or equal to 1"
    );
}

#[test]
fn string_list_violations_name_the_list() {
    // AWS's answer to CreateOpenIDConnectProvider with a bad URL, client ID and thumbprint:
    // each list reported once, at the list, and in AWS's order (declared Url, ClientIDList,
    // ThumbprintList).
    let long = "c".repeat(256);
    let message = validation_message(iam_input(&format!(
        "Action=CreateOpenIDConnectProvider&Version=2010-05-08&Url=&ClientIDList.member.1=ok&ClientIDList.member.2={long}&ThumbprintList.member.1=short"
    )));
    assert_eq!(
        message,
        "3 validation errors detected: Value at 'clientIDList' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 255, Member must have length greater than or equal to 1]; Value at 'thumbprintList' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 40, Member must have length greater than or equal to 40]; Value at 'url' failed to satisfy constraint: Member must have length greater than or equal to 1"
    );
}

#[test]
fn integer_ranges() {
    let message = validation_message(iam_input(
        "Action=CreateRole&Version=2010-05-08&RoleName=r&AssumeRolePolicyDocument=%7B%7D&MaxSessionDuration=43201",
    ));
    assert_eq!(
        message,
        "1 validation error detected: Value at 'maxSessionDuration' failed to satisfy constraint: Member must have value less than or equal to 43200"
    );
    let message = validation_message(sts_input(
        "Action=GetSessionToken&Version=2011-06-15&DurationSeconds=600",
    ));
    assert_eq!(
        message,
        "1 validation error detected: Value '600' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900"
    );
    let message = validation_message(iam_input("Action=ListRoles&Version=2010-05-08&MaxItems=0"));
    assert_eq!(
        message,
        "1 validation error detected: Value at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1"
    );
}

#[test]
fn enum_violation() {
    let message = validation_message(iam_input(
        "Action=UpdateAccessKey&Version=2010-05-08&AccessKeyId=AKIAEXAMPLEEXAMPLE01&Status=Bogus",
    ));
    assert_eq!(
        message,
        "1 validation error detected: Value at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive, Expired]"
    );
}

#[test]
fn nested_paths_use_list_positions() {
    let value = "x".repeat(257);
    let message = validation_message(iam_input(&format!(
        "Action=TagRole&Version=2010-05-08&RoleName=r&Tags.member.1.Key=ok&Tags.member.1.Value=fine&Tags.member.2.Key=bad%7Bkey&Tags.member.2.Value={value}&Tags.member.3.Value=v"
    )));
    assert_eq!(
        message,
        format!(
            r"3 validation errors detected: Value at 'tags.2.member.key' failed to satisfy constraint: Member must satisfy regular expression pattern: [\p{{L}}\p{{Z}}\p{{N}}_.:/=+\-@]+; Value at 'tags.2.member.value' failed to satisfy constraint: Member must have length less than or equal to 256; Value null at 'tags.3.member.key' failed to satisfy constraint: Member must not be null"
        )
    );
}

#[test]
fn list_length() {
    let mut body = String::from("Action=TagRole&Version=2010-05-08&RoleName=r");
    for i in 1..=51 {
        body.push_str(&format!(
            "&Tags.member.{i}.Key=k{i}&Tags.member.{i}.Value=v"
        ));
    }
    let message = validation_message(iam_input(&body));
    assert_eq!(
        message,
        "1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50"
    );
    let message = validation_message(sts_input(
        "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fr&RoleSessionName=s1&ProvidedContexts=",
    ));
    assert_eq!(
        message,
        "1 validation error detected: Value at 'providedContexts' failed to satisfy constraint: Member must have length greater than or equal to 1"
    );
}

#[test]
fn sensitive_values_are_never_echoed() {
    let message = validation_message(iam_input(
        "Action=ChangePassword&Version=2010-05-08&OldPassword=&NewPassword=%01secret",
    ));
    assert_eq!(
        message,
        r"3 validation errors detected: Value at 'oldPassword' failed to satisfy constraint: Member must satisfy regular expression pattern: [\u0009\u000A\u000D\u0020-\u00FF]+; Value at 'oldPassword' failed to satisfy constraint: Member must have length greater than or equal to 1; Value at 'newPassword' failed to satisfy constraint: Member must satisfy regular expression pattern: [\u0009\u000A\u000D\u0020-\u00FF]+"
    );
    assert!(!message.contains("secret"));
    let message = validation_message(iam_input("Action=ChangePassword&Version=2010-05-08"));
    assert_eq!(
        message,
        "2 validation errors detected: Value at 'oldPassword' failed to satisfy constraint: Member must not be null; Value at 'newPassword' failed to satisfy constraint: Member must not be null"
    );
}

#[test]
fn values_that_do_not_parse_are_malformed_input() {
    for (body, fragment) in [
        (
            "Action=ListRoles&Version=2010-05-08&MaxItems=abc",
            "'abc' for parameter MaxItems",
        ),
        (
            "Action=ListRoles&Version=2010-05-08&MaxItems=99999999999",
            "'99999999999'",
        ),
        ("Action=ListRoles&Version=2010-05-08&MaxItems=1.5", "'1.5'"),
        (
            "Action=ListPolicies&Version=2010-05-08&OnlyAttached=yes",
            "'yes' for parameter OnlyAttached",
        ),
        (
            "Action=AssumeRole&Version=2011-06-15&DurationSeconds=NaN",
            "'NaN'",
        ),
    ] {
        let e = decode(&params(body), None).unwrap_err();
        assert_eq!((e.code(), e.status()), ("MalformedInput", 400), "{body}");
        assert!(e.message().contains(fragment), "{}", e.message());
    }
}

// ---------------------------------------------------------------------------------------------
// Encoding

fn iam_op(name: &str) -> &'static Operation {
    Model::iam().operation(name).unwrap()
}

#[test]
fn output_without_result_element() {
    let body = encode_output(Model::iam(), iam_op("DeleteRole"), &Value::Null, "req-1");
    assert_eq!(
        body,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<DeleteRoleResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></DeleteRoleResponse>"
    );
    let body = encode_output(Model::iam(), iam_op("DeleteRole"), &json!({}), "req-1");
    assert!(body.ends_with(
        "<ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></DeleteRoleResponse>"
    ));
}

#[test]
fn get_role_in_declared_order_with_the_policy_url_encoded() {
    let output = json!({"Role": {
        "Tags": [{"Value": "a b&c", "Key": "team"}],
        "MaxSessionDuration": 3600,
        "AssumeRolePolicyDocument": r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
        "CreateDate": "2026-11-23T12:00:00Z",
        "Arn": "arn:aws:iam::123456789012:role/probe/probe-role",
        "RoleId": "AROAEXAMPLEEXAMPLE01",
        "RoleName": "probe-role",
        "Path": "/probe/",
        "RoleLastUsed": {},
    }});
    let body = encode_output(
        Model::iam(),
        iam_op("GetRole"),
        &output,
        "7a62c49f-347e-4fc4-9331-6e8eEXAMPLE",
    );
    assert_eq!(
        body,
        concat!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
            "<GetRoleResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><GetRoleResult><Role>",
            "<Path>/probe/</Path><RoleName>probe-role</RoleName><RoleId>AROAEXAMPLEEXAMPLE01</RoleId>",
            "<Arn>arn:aws:iam::123456789012:role/probe/probe-role</Arn><CreateDate>2026-11-23T12:00:00Z</CreateDate>",
            "<AssumeRolePolicyDocument>%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22Service%22%3A%22ec2.amazonaws.com%22%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%5D%7D</AssumeRolePolicyDocument>",
            "<MaxSessionDuration>3600</MaxSessionDuration>",
            "<Tags><member><Key>team</Key><Value>a b&amp;c</Value></member></Tags>",
            "<RoleLastUsed></RoleLastUsed>",
            "</Role></GetRoleResult><ResponseMetadata><RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId></ResponseMetadata></GetRoleResponse>"
        )
    );
}

#[test]
fn lists_booleans_and_empty_lists() {
    let body = encode_output(
        Model::iam(),
        iam_op("ListRoles"),
        &json!({"Roles": [], "IsTruncated": false}),
        "r",
    );
    assert!(
        body.contains(
            "<ListRolesResult><Roles/><IsTruncated>false</IsTruncated></ListRolesResult>"
        ),
        "{body}"
    );
    let body = encode_output(
        Model::iam(),
        iam_op("ListAccountAliases"),
        &json!({"AccountAliases": ["a", "b"], "IsTruncated": true, "Marker": "m<1>"}),
        "r",
    );
    assert!(body.contains("<AccountAliases><member>a</member><member>b</member></AccountAliases><IsTruncated>true</IsTruncated><Marker>m&lt;1&gt;</Marker>"), "{body}");
}

#[test]
fn maps_as_entries() {
    let body = encode_output(
        Model::iam(),
        iam_op("GetAccountSummary"),
        &json!({"SummaryMap": {"Users": 3, "RolesQuota": 1000}}),
        "r",
    );
    assert!(body.contains("<GetAccountSummaryResult><SummaryMap><entry><key>Users</key><value>3</value></entry><entry><key>RolesQuota</key><value>1000</value></entry></SummaryMap></GetAccountSummaryResult>"), "{body}");
}

#[test]
fn sts_output_and_timestamps_from_epoch() {
    let model = Model::sts();
    let op = model.operation("GetSessionToken").unwrap();
    let body = encode_output(
        model,
        op,
        &json!({"Credentials": {
            "AccessKeyId": "ASIAEXAMPLE",
            "SecretAccessKey": "s/e+c=",
            "SessionToken": "tok",
            "Expiration": 1_795_435_200.5,
        }}),
        "r",
    );
    assert!(body.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<GetSessionTokenResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetSessionTokenResult><Credentials><AccessKeyId>ASIAEXAMPLE</AccessKeyId><SecretAccessKey>s/e+c=</SecretAccessKey><SessionToken>tok</SessionToken><Expiration>2026-11-23T12:00:00.500Z</Expiration></Credentials>"), "{body}");
}

#[test]
fn error_response() {
    let e = AwsError::no_such_entity("The role with name x cannot be found.");
    let r = encode_error(Model::iam(), &e, "req-9");
    assert_eq!(r.status, 404);
    assert_eq!(
        r.body,
        "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error><Type>Sender</Type><Code>NoSuchEntity</Code><Message>The role with name x cannot be found.</Message></Error><RequestId>req-9</RequestId></ErrorResponse>"
    );
    let r = encode_error(Model::sts(), &AwsError::internal_failure("<oops>"), "r");
    assert_eq!(r.status, 500);
    assert!(r.body.contains(
        "<Type>Receiver</Type><Code>InternalFailure</Code><Message>&lt;oops&gt;</Message>"
    ));
    assert!(
        r.body
            .starts_with("<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">")
    );
    let r = respond(
        Model::iam(),
        iam_op("GetRole"),
        &Err(AwsError::validation(&["x".into()])),
        "r",
    );
    assert_eq!(r.status, 400);
    assert_eq!(CONTENT_TYPE, "text/xml");
}

#[cfg(debug_assertions)]
#[test]
#[should_panic(expected = "no member \"RoleNmae\"")]
fn unknown_output_keys_are_bugs_in_debug_builds() {
    encode_output(
        Model::iam(),
        iam_op("GetRole"),
        &json!({"Role": {"RoleNmae": "typo"}}),
        "r",
    );
}

// ---------------------------------------------------------------------------------------------
// XML parsing for round trips (quick-xml, test only)

#[derive(Debug)]
struct Element {
    name: String,
    attributes: Vec<(String, String)>,
    children: Vec<Element>,
    text: String,
}

fn parse_xml(xml: &str) -> Element {
    use quick_xml::Reader;
    use quick_xml::events::Event;
    let mut reader = Reader::from_str(xml);
    let mut stack: Vec<Element> = Vec::new();
    let mut root = None;
    let element = |e: &quick_xml::events::BytesStart<'_>| Element {
        name: e.name().as_ref().to_owned(),
        attributes: e
            .attributes()
            .map(|a| {
                let a = a.unwrap();
                (
                    a.key.as_ref().to_owned(),
                    a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .unwrap()
                        .into_owned(),
                )
            })
            .collect(),
        children: Vec::new(),
        text: String::new(),
    };
    loop {
        match reader.read_event().unwrap_or_else(|e| panic!("{e}: {xml}")) {
            Event::Start(e) => stack.push(element(&e)),
            Event::Empty(e) => {
                let el = element(&e);
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::End(_) => {
                let el = stack.pop().unwrap();
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                let name: &str = &r;
                let resolved = match name {
                    "amp" => "&".to_owned(),
                    "lt" => "<".to_owned(),
                    "gt" => ">".to_owned(),
                    "quot" => "\"".to_owned(),
                    "apos" => "'".to_owned(),
                    other => {
                        let code = other
                            .strip_prefix("#x")
                            .map(|h| u32::from_str_radix(h, 16).unwrap())
                            .or_else(|| other.strip_prefix('#').map(|d| d.parse().unwrap()))
                            .unwrap_or_else(|| panic!("entity {other}"));
                        char::from_u32(code).unwrap().to_string()
                    }
                };
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&resolved);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert!(stack.is_empty());
    root.expect("a root element")
}

// ---------------------------------------------------------------------------------------------
// Every operation of both models

/// A value that satisfies a string shape's constraints.
fn sample_string(s: &StringShape) -> String {
    if let Some(values) = &s.enum_values {
        return values[0].clone();
    }
    let min = s.min.unwrap_or(1).max(1) as usize;
    let max = s.max.unwrap_or(u64::MAX) as usize;
    let forms: [&dyn Fn(usize) -> String; 14] = [
        &|n| "a".repeat(n),
        &|n| "1".repeat(n.max(1)),
        &|n| format!("/{}/", "a".repeat(n.saturating_sub(2))),
        &|n| format!("/{}", "a".repeat(n.saturating_sub(1))),
        &|n| format!("v{}", "1".repeat(n.saturating_sub(1).max(1))),
        &|n| format!("o-{}", "a".repeat(n.saturating_sub(2).max(10))),
        &|n| format!("o-{}/r-abcd", "a".repeat(n.saturating_sub(9).max(10))),
        &|n| format!("p-{}", "a".repeat(n.saturating_sub(2).max(8))),
        &|n| {
            format!(
                "https://{}.example.com",
                "a".repeat(n.saturating_sub(20).max(1))
            )
        },
        &|n| {
            format!(
                "a{}b",
                "-".repeat(0) + &"c".repeat(n.saturating_sub(2).max(1))
            )
        },
        &|n| "A".repeat(n),
        &|n| format!("{{{}}}", "a".repeat(n.saturating_sub(2).max(1))),
        &|n| {
            format!(
                "arn:aws:iam::123456789012:workload-identity-template/{}",
                "a".repeat(n.saturating_sub(52).max(1))
            )
        },
        &|n| {
            format!(
                "arn:aws:iam::123456789012:workload-identity-provider/{}",
                "a".repeat(n.saturating_sub(52).max(1))
            )
        },
    ];
    let ok = |v: &str| {
        let len = v.chars().count();
        len >= min && len <= max && s.pattern.as_ref().is_none_or(|p| p.is_match(v))
    };
    for n in [min, min.max(12), min.max(20)] {
        for form in &forms {
            let v = form(n);
            if ok(&v) {
                return v;
            }
        }
    }
    panic!(
        "no sample for pattern {:?} with length {min}..{max}",
        s.pattern.as_ref().map(|p| p.source())
    );
}

/// A JSON value of the shape: every member when `all`, else only the required ones.
fn sample_value(model: &Model, id: ShapeId, all: bool, depth: usize) -> Value {
    let shape = model.shape(id);
    match &shape.kind {
        ShapeKind::Structure(s) => {
            let mut out = Map::new();
            for m in &s.members {
                if (m.required || all) && depth < 6 {
                    out.insert(m.name.clone(), sample_value(model, m.shape, all, depth + 1));
                }
                if s.union && all && !out.is_empty() {
                    break;
                }
            }
            // An empty structure cannot be sent as Query parameters: give it one member.
            if out.is_empty()
                && let Some(m) = s.members.first()
                && depth < 6
            {
                out.insert(m.name.clone(), sample_value(model, m.shape, all, depth + 1));
            }
            Value::Object(out)
        }
        ShapeKind::List(l) => {
            let n = l.min.unwrap_or(1).max(1) as usize;
            Value::Array(
                (0..n)
                    .map(|_| sample_value(model, l.member, all, depth + 1))
                    .collect(),
            )
        }
        ShapeKind::Map(m) => {
            let ShapeKind::String(k) = &model.shape(m.key).kind else {
                panic!("map keys are strings")
            };
            let mut out = Map::new();
            out.insert(
                sample_string(k),
                sample_value(model, m.value, all, depth + 1),
            );
            Value::Object(out)
        }
        ShapeKind::String(s) if s.url_encoded && all => {
            json!(
                r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}"#
            )
        }
        ShapeKind::String(s) => Value::String(sample_string(s)),
        ShapeKind::Integer(i) => json!(i.min.unwrap_or(1).max(i.max.map_or(1, |m| m.min(1)))),
        ShapeKind::Float => json!(1.5),
        ShapeKind::Boolean => json!(true),
        ShapeKind::Timestamp => json!("2026-11-23T12:00:00Z"),
        ShapeKind::Blob(_) => json!("cHJvYmU="),
    }
}

#[test]
fn every_operation_decodes_minimal_and_full_inputs() {
    let mut count = 0;
    for service in Service::ALL {
        let model = service.model();
        for op in model.operations() {
            count += 1;
            for all in [false, true] {
                let expected = match op.input {
                    Some(id) => sample_value(model, id, all, 0),
                    None => json!({}),
                };
                // Through the form encoding, as a client sends it.
                let body = client::encode_input(model, op, &expected);
                let parsed = parse_form(body.as_bytes());
                let call = decode(&parsed, Some(service))
                    .unwrap_or_else(|e| panic!("{}: {e}\n{body}", op.name));
                assert_eq!(call.input, expected, "{} (all members: {all})", op.name);
                // The same, with the service taken from the Version.
                assert!(decode(&parsed, None).is_ok(), "{}", op.name);
            }
        }
    }
    assert_eq!(count, 225);
}

#[test]
fn every_operation_encodes_minimal_and_full_outputs_as_parseable_xml() {
    for service in Service::ALL {
        let model = service.model();
        for op in model.operations() {
            for all in [false, true] {
                let output = match op.output {
                    Some(id) => sample_value(model, id, all, 0),
                    None => Value::Null,
                };
                let body = encode_output(model, op, &output, "req-1");
                assert!(body.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"));
                let root = parse_xml(&body);
                assert_eq!(root.name, op.response_element);
                assert_eq!(
                    root.attributes,
                    [("xmlns".to_owned(), model.xml_namespace().to_owned())]
                );
                let metadata = root.children.last().unwrap();
                assert_eq!(metadata.name, "ResponseMetadata");
                assert_eq!(metadata.children[0].text, "req-1");
                let back = client::read_response(model, op, 200, &body)
                    .unwrap_or_else(|e| panic!("{}: {e}\n{body}", op.name));
                match op.output {
                    Some(_) => {
                        assert_eq!(root.children.len(), 2, "{}", op.name);
                        let result = &root.children[0];
                        assert_eq!(Some(&result.name), op.result_wrapper.as_ref());
                        assert_eq!(back, output, "{} (all members: {all})\n{body}", op.name);
                    }
                    None => {
                        assert_eq!(root.children.len(), 1, "{}", op.name);
                        assert_eq!(back, json!({}), "{}", op.name);
                    }
                }
            }
        }
    }
}

#[test]
fn errors_of_every_model_exception_parse() {
    for service in Service::ALL {
        let model = service.model();
        for e in model.errors() {
            let err = AwsError::modelled(model, &e.shape, "a <message> & more");
            let r = encode_error(model, &err, "id");
            assert_eq!(r.status, e.status);
            let root = parse_xml(&r.body);
            assert_eq!(root.name, "ErrorResponse");
            let error = &root.children[0];
            let texts: Vec<(&str, &str)> = error
                .children
                .iter()
                .map(|c| (c.name.as_str(), c.text.as_str()))
                .collect();
            assert_eq!(
                texts,
                [
                    (
                        "Type",
                        if e.status >= 500 {
                            "Receiver"
                        } else {
                            "Sender"
                        }
                    ),
                    ("Code", e.code.as_str()),
                    ("Message", "a <message> & more"),
                ]
            );
            assert_eq!(root.children[1].text, "id");
            let op = model.operations().next().unwrap();
            assert_eq!(
                client::read_response(model, op, r.status, &r.body),
                Err(err)
            );
        }
    }
}

#[test]
fn text_round_trips_through_xml() {
    let tricky = "a <b> & \"c\" 'd'\r\n\té😀 ]]>";
    let output = json!({"User": {
        "Path": "/", "UserName": tricky, "UserId": "AIDAEXAMPLE", "Arn": "arn", "CreateDate": 0,
    }});
    let body = encode_output(Model::iam(), iam_op("GetUser"), &output, "r");
    let root = parse_xml(&body);
    let user = &root.children[0].children[0];
    let name = user.children.iter().find(|c| c.name == "UserName").unwrap();
    assert_eq!(name.text, tricky);
    let date = user
        .children
        .iter()
        .find(|c| c.name == "CreateDate")
        .unwrap();
    assert_eq!(date.text, "1970-01-01T00:00:00Z");
}

#[test]
fn params_may_be_borrowed_or_owned() {
    let owned: Vec<(String, String)> = vec![
        ("Action".into(), "GetUser".into()),
        ("Version".into(), "2010-05-08".into()),
    ];
    assert_eq!(decode(&owned, Some(Service::Iam)).unwrap().input, json!({}));
    let borrowed: Vec<(Cow<'_, str>, Cow<'_, str>)> = params("Action=GetUser&Version=2010-05-08");
    assert_eq!(find_param(&borrowed, "Action"), Some("GetUser"));
    let strs = [("Action", "GetUser"), ("Version", "2010-05-08")];
    assert!(resolve_operation(&strs, Some(Service::Iam)).is_ok());
}

// ---------------------------------------------------------------------------------------------
// The generated typed APIs

/// A value of `shape` with every member set (one item per list and map).
fn full_value(model: &Model, shape: ShapeId, depth: usize) -> Value {
    assert!(depth < 12, "the model's shapes nest too deep");
    match &model.shape(shape).kind {
        ShapeKind::Structure(s) => Value::Object(
            s.members
                .iter()
                .map(|m| (m.name.clone(), full_value(model, m.shape, depth + 1)))
                .collect(),
        ),
        ShapeKind::List(l) => json!([full_value(model, l.member, depth + 1)]),
        ShapeKind::Map(m) => json!({ "key": full_value(model, m.value, depth + 1) }),
        ShapeKind::String(s) => match &s.enum_values {
            Some(values) => json!(values[0]),
            None => json!("text"),
        },
        ShapeKind::Integer(_) => json!(7),
        ShapeKind::Float => json!(1.5),
        ShapeKind::Boolean => json!(true),
        ShapeKind::Timestamp => json!("2026-11-23T12:00:00Z"),
        ShapeKind::Blob(_) => json!("dGV4dA=="),
    }
}

/// Every operation's typed input and output hold every member of the model, under its
/// model name and with its type: a full value decodes into them and encodes back the same.
#[test]
fn the_typed_apis_follow_the_models() {
    let mut checked = 0;
    for service in Service::ALL {
        let model = service.model();
        for op in model.operations() {
            let input = op.input.map_or(json!({}), |s| full_value(model, s, 0));
            let output = op.output.map_or(Value::Null, |s| full_value(model, s, 0));
            let typed = match service {
                Service::Iam => {
                    let operation = iam::IamOperation::from_name(&op.name).expect("in the enum");
                    assert_eq!(operation.name(), op.name);
                    iam::round_trip(operation, &input, &output)
                }
                Service::Sts => {
                    let operation = sts::StsOperation::from_name(&op.name).expect("in the enum");
                    assert_eq!(operation.name(), op.name);
                    sts::round_trip(operation, &input, &output)
                }
            };
            let (input_again, output_again) = typed.unwrap_or_else(|e| panic!("{}: {e}", op.name));
            assert_eq!(input_again, input, "{}: input", op.name);
            assert_eq!(output_again, output, "{}: output", op.name);
            checked += 1;
        }
    }
    assert_eq!(checked, 210 + 15);
    assert_eq!(iam::IamOperation::ALL.len(), 210);
    assert_eq!(sts::StsOperation::ALL.len(), 15);
}

/// The error code enums hold every exception of the models with its status, and the
/// common codes keep theirs.
#[test]
fn error_codes_follow_the_models() {
    for e in Model::iam().errors() {
        let code = iam::IamErrorCode::from_code(&e.code).expect("an IAM code");
        assert_eq!((code.code(), code.status()), (e.code.as_str(), e.status));
    }
    for e in Model::sts().errors() {
        let code = sts::StsErrorCode::from_code(&e.code).expect("an STS code");
        assert_eq!((code.code(), code.status()), (e.code.as_str(), e.status));
    }
    let error = AwsError::of(iam::IamErrorCode::NoSuchEntity, "gone");
    assert_eq!((error.code(), error.status()), ("NoSuchEntity", 404));
    let error = AwsError::of(CommonErrorCode::Throttling, "Rate exceeded");
    assert_eq!((error.code(), error.status()), ("Throttling", 400));
    assert_eq!(
        ErrorCode::from_code("ServiceUnavailable").map(ErrorCode::status),
        Some(503)
    );
    assert_eq!(common_error_status("AccessDenied"), Some(403));
}
