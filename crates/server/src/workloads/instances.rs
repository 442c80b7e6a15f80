//! Instances through the EC2 Query API (version 2016-11-15): `RunInstances` registers
//! instances with an instance profile and starts their metadata listeners,
//! `DescribeInstances` lists them, `TerminateInstances` stops them. Launching with an
//! instance profile needs `ec2:RunInstances` and `iam:PassRole` on its role, as on AWS.
//!
//! Each instance's metadata listener binds to the address in its tag
//! `portcullis:imds-listen` (default `127.0.0.1:0`, a free port), which must be in the
//! operator's allow-list (`portcullis serve --imds-allow`, loopback by default); the server
//! adds the tag `portcullis:imds-endpoint` with the URL it listens on. An account runs at
//! most `--max-instances` instances at once (`InstanceLimitExceeded` beyond).

use super::imds::instance_arn;
use crate::app::App;
use crate::caller::Caller;
use crate::error::Error;
use crate::secrets::random_bytes;
use crate::time::{iso8601, now_millis};
use portcullis_protocol::{Params, escape_into, find_param};
use portcullis_store::{Change, HttpTokens, Instance, InstanceProfile, Tag};
use std::fmt::Write as _;
use std::sync::Arc;

/// The EC2 API version the aws CLI and the SDKs send.
pub(crate) const API_VERSION: &str = "2016-11-15";
/// The tag that chooses where an instance's metadata listener binds.
pub(crate) const LISTEN_TAG: &str = "portcullis:imds-listen";
/// The tag the server sets to the URL of an instance's metadata listener.
pub(crate) const ENDPOINT_TAG: &str = "portcullis:imds-endpoint";
/// The most instances one RunInstances call launches.
const MAX_COUNT: i64 = 20;

/// An EC2 error: code, message, HTTP status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Ec2Error {
    /// The code (`InvalidParameterValue`, `UnauthorizedOperation`, …).
    pub code: String,
    /// The message.
    pub message: String,
    /// The HTTP status.
    pub status: u16,
    /// True when authorization refused the call.
    pub denied: bool,
}

fn invalid(code: &str, message: impl Into<String>) -> Ec2Error {
    Ec2Error {
        code: code.to_string(),
        message: message.into(),
        status: 400,
        denied: false,
    }
}

impl From<Error> for Ec2Error {
    fn from(e: Error) -> Ec2Error {
        match e {
            Error::Denied { encoded, .. } => Ec2Error {
                code: "UnauthorizedOperation".into(),
                message: format!(
                    "You are not authorized to perform this operation. Encoded authorization failure message: {encoded}"
                ),
                status: 403,
                denied: true,
            },
            other => {
                let aws = other.into_aws();
                Ec2Error {
                    code: aws.code().to_string(),
                    message: aws.message().to_string(),
                    status: aws.status(),
                    denied: false,
                }
            }
        }
    }
}

/// Runs an EC2 call: the inside of its answer's XML.
pub(crate) async fn call(
    app: &Arc<App>,
    caller: &Caller,
    action: &str,
    params: &Params<'_>,
) -> Result<String, Ec2Error> {
    match action {
        "RunInstances" => run(app, caller, params).await,
        "DescribeInstances" => describe(app, caller, params),
        "TerminateInstances" => terminate(app, caller, params).await,
        other => Err(invalid(
            "InvalidAction",
            format!("The action {other} is not valid for this web service."),
        )),
    }
}

/// An EC2 answer around the inside of `action`'s answer.
pub(crate) fn answer_body(action: &str, inner: &str, request_id: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{action}Response xmlns=\"http://ec2.amazonaws.com/doc/{API_VERSION}/\"><requestId>{request_id}</requestId>{inner}</{action}Response>"
    )
}

/// An EC2 error response.
pub(crate) fn error_body(code: &str, message: &str, request_id: &str) -> String {
    let mut out =
        String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>");
    escape_into(&mut out, code);
    out.push_str("</Code><Message>");
    escape_into(&mut out, message);
    let _ = write!(
        out,
        "</Message></Error></Errors><RequestID>{request_id}</RequestID></Response>"
    );
    out
}

fn hex_id(prefix: &str) -> String {
    let bytes = random_bytes::<9>();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{prefix}{}", &hex[..17])
}

/// The values of `Name.1`, `Name.2`, … in order.
fn numbered<'p>(params: &'p Params<'_>, name: &str) -> Vec<&'p str> {
    let mut out = Vec::new();
    for n in 1.. {
        match find_param(params, &format!("{name}.{n}")) {
            Some(v) => out.push(v),
            None => break,
        }
    }
    out
}

fn instance_tags(params: &Params<'_>) -> Vec<Tag> {
    let mut tags = Vec::new();
    for spec in 1.. {
        let prefix = format!("TagSpecification.{spec}");
        let Some(kind) = find_param(params, &format!("{prefix}.ResourceType")) else {
            break;
        };
        if kind != "instance" {
            continue;
        }
        for n in 1.. {
            let Some(key) = find_param(params, &format!("{prefix}.Tag.{n}.Key")) else {
                break;
            };
            let value = find_param(params, &format!("{prefix}.Tag.{n}.Value")).unwrap_or("");
            tags.push(Tag {
                key: key.to_string(),
                value: value.to_string(),
            });
        }
    }
    tags
}

fn count(params: &Params<'_>, name: &str) -> Result<i64, Ec2Error> {
    let raw = find_param(params, name).ok_or_else(|| {
        invalid(
            "MissingParameter",
            format!("The request must contain the parameter {name}"),
        )
    })?;
    raw.parse::<i64>().ok().filter(|n| *n >= 1).ok_or_else(|| {
        invalid(
            "InvalidParameterValue",
            format!("Value ({raw}) for parameter {name} is invalid. Expected a positive integer."),
        )
    })
}

fn find_profile(app: &App, params: &Params<'_>) -> Result<InstanceProfile, Ec2Error> {
    let by_name = find_param(params, "IamInstanceProfile.Name");
    let by_arn = find_param(params, "IamInstanceProfile.Arn");
    app.read(|e| match (by_name, by_arn) {
        (Some(name), _) => e.instance_profile(name).cloned().ok_or_else(|| {
            invalid(
                "InvalidParameterValue",
                format!("Value ({name}) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name"),
            )
        }),
        (None, Some(arn)) => e
            .instance_profiles
            .values()
            .find(|p| p.arn == arn)
            .cloned()
            .ok_or_else(|| {
                invalid(
                    "InvalidParameterValue",
                    format!("Value ({arn}) for parameter iamInstanceProfile.arn is invalid. Invalid IAM Instance Profile ARN"),
                )
            }),
        (None, None) => Err(invalid(
            "MissingParameter",
            "Portcullis launches only instances with an instance profile: the request must contain the parameter IamInstanceProfile",
        )),
    })
}

async fn run(app: &Arc<App>, caller: &Caller, params: &Params<'_>) -> Result<String, Ec2Error> {
    let image_id = find_param(params, "ImageId").ok_or_else(|| {
        invalid(
            "MissingParameter",
            "The request must contain the parameter ImageId",
        )
    })?;
    let min = count(params, "MinCount")?;
    let max = count(params, "MaxCount")?;
    if min > max {
        return Err(invalid(
            "InvalidParameterValue",
            format!(
                "Value ({min}) for parameter minCount is invalid. minCount must be less than or equal to maxCount"
            ),
        ));
    }
    if max > MAX_COUNT {
        return Err(invalid(
            "InstanceLimitExceeded",
            format!(
                "You have requested more instances ({max}) than your current instance limit of {MAX_COUNT} allows for the specified instance type."
            ),
        ));
    }
    let http_tokens = match find_param(params, "MetadataOptions.HttpTokens") {
        None | Some("optional") => HttpTokens::Optional,
        Some("required") => HttpTokens::Required,
        Some(other) => {
            return Err(invalid(
                "InvalidParameterValue",
                format!(
                    "The value '{other}' is not valid for HttpTokens. Valid values are 'optional' and 'required'."
                ),
            ));
        }
    };
    match find_param(params, "MetadataOptions.HttpEndpoint") {
        None | Some("enabled") => {}
        Some("disabled") => {
            return Err(invalid(
                "InvalidParameterValue",
                "Portcullis instances exist to serve instance metadata: HttpEndpoint must be enabled",
            ));
        }
        Some(other) => {
            return Err(invalid(
                "InvalidParameterValue",
                format!(
                    "The value '{other}' is not valid for HttpEndpoint. Valid values are 'enabled' and 'disabled'."
                ),
            ));
        }
    }
    let profile = find_profile(app, params)?;
    let mut tags = instance_tags(params);
    let listen = tags
        .iter()
        .find(|t| t.key == LISTEN_TAG)
        .map_or_else(|| "127.0.0.1:0".to_string(), |t| t.value.clone());
    let Ok(listen_addr) = listen.parse::<std::net::SocketAddr>() else {
        return Err(invalid(
            "InvalidParameterValue",
            format!("Value ({listen}) for tag {LISTEN_TAG} is invalid. Expected IP:PORT"),
        ));
    };
    if max > 1 && !listen.ends_with(":0") {
        return Err(invalid(
            "InvalidParameterCombination",
            format!(
                "Only one instance can listen on {listen}: launch one instance, or let each pick a free port"
            ),
        ));
    }
    let account = app.account_id().to_string();
    crate::authz::check_action(
        app,
        caller,
        "ec2:RunInstances",
        &format!("arn:aws:ec2:us-east-1:{account}:instance/*"),
        &[],
    )?;
    if let Some(role) = profile.roles.first() {
        let role_arn = app
            .read(|e| e.role(role).map(|r| r.arn.clone()))
            .unwrap_or_default();
        crate::authz::check_action(
            app,
            caller,
            "iam:PassRole",
            &role_arn,
            &[("iam:PassedToService", "ec2.amazonaws.com")],
        )?;
    }
    // Checked once the caller may launch, so that others learn nothing of the operator's
    // settings.
    let limits = &app.config.workload_limits;
    if !limits.imds_allowed(listen_addr.ip()) {
        return Err(invalid(
            "InvalidParameterValue",
            format!(
                "Value ({listen}) for tag {LISTEN_TAG} is invalid. The address {} is not one instance metadata listeners may bind to (allowed: {}; the operator allows more with `portcullis serve --imds-allow CIDR`)",
                listen_addr.ip(),
                limits.imds_allow_list()
            ),
        ));
    }
    let availability_zone = find_param(params, "Placement.AvailabilityZone")
        .unwrap_or("us-east-1a")
        .to_string();
    let instance_type = find_param(params, "InstanceType").unwrap_or("m1.small");
    // One launch at a time: the count, the listeners and the commit cannot interleave with
    // another's.
    let _turn = app.workloads.launch_turn().await;
    let running = app.read(|e| e.instances.len()) as i64;
    let room = (limits.max_instances as i64 - running).max(0);
    if room < min {
        return Err(invalid(
            "InstanceLimitExceeded",
            format!(
                "You have requested more instances ({}) than your current instance limit of {} allows for the specified instance type. {running} are running; the operator sets the limit with `portcullis serve --max-instances N`.",
                running + min,
                limits.max_instances
            ),
        ));
    }
    // As EC2 does, as many as MaxCount when there is room, and at least MinCount.
    let launching = max.min(room);
    let reservation = hex_id("r-");
    let mut instances: Vec<Instance> = Vec::new();
    for _ in 0..launching {
        let mut instance = Instance {
            id: hex_id("i-"),
            instance_profile: profile.name.clone(),
            http_tokens,
            imds_listen: listen.clone(),
            image_id: image_id.to_string(),
            instance_type: instance_type.to_string(),
            availability_zone: availability_zone.clone(),
            launch_time: now_millis(),
            tags: Vec::new(),
        };
        let addr = match super::start_imds(app, &instance).await {
            Ok(addr) => addr,
            Err(e) => {
                for i in &instances {
                    app.workloads.stop(&i.id).await;
                }
                // The caller chose the address: it is their request that cannot be served.
                return Err(invalid(
                    "InvalidParameterValue",
                    format!(
                        "Value ({listen}) for tag {LISTEN_TAG} is invalid. The instance metadata listener cannot bind to it: {e}"
                    ),
                ));
            }
        };
        // A free port, once picked, stays the instance's, across restarts.
        instance.imds_listen = addr.to_string();
        tags.retain(|t| t.key != ENDPOINT_TAG);
        instance.tags = tags.clone();
        instance.tags.push(Tag {
            key: ENDPOINT_TAG.to_string(),
            value: format!("http://{addr}"),
        });
        instances.push(instance);
    }
    let changes: Vec<Change> = instances.iter().map(|i| Change::put(&account, i)).collect();
    if let Err(e) = app.write(|_| Ok((changes, ()))).await {
        for i in &instances {
            app.workloads.stop(&i.id).await;
        }
        return Err(e.into());
    }
    let mut items = String::new();
    for instance in &instances {
        item(&mut items, instance, &profile, "16", "running");
    }
    Ok(format!(
        "<reservationId>{reservation}</reservationId><ownerId>{account}</ownerId><groupSet/><instancesSet>{items}</instancesSet>"
    ))
}

fn item(out: &mut String, i: &Instance, profile: &InstanceProfile, code: &str, state: &str) {
    let _ = write!(out, "<item><instanceId>{}</instanceId><imageId>", i.id);
    escape_into(out, &i.image_id);
    let _ = write!(
        out,
        "</imageId><instanceState><code>{code}</code><name>{state}</name></instanceState><privateDnsName/><dnsName/><reason/><amiLaunchIndex>0</amiLaunchIndex><instanceType>"
    );
    escape_into(out, &i.instance_type);
    let _ = write!(
        out,
        "</instanceType><launchTime>{}</launchTime><placement><availabilityZone>",
        iso8601(i.launch_time)
    );
    escape_into(out, &i.availability_zone);
    out.push_str(
        "</availabilityZone><tenancy>default</tenancy></placement><iamInstanceProfile><arn>",
    );
    escape_into(out, &profile.arn);
    let _ = write!(
        out,
        "</arn><id>{}</id></iamInstanceProfile><metadataOptions><state>applied</state><httpTokens>{}</httpTokens><httpPutResponseHopLimit>2</httpPutResponseHopLimit><httpEndpoint>enabled</httpEndpoint><httpProtocolIpv6>disabled</httpProtocolIpv6><instanceMetadataTags>disabled</instanceMetadataTags></metadataOptions><tagSet>",
        profile.id,
        i.http_tokens.as_str()
    );
    for t in &i.tags {
        out.push_str("<item><key>");
        escape_into(out, &t.key);
        out.push_str("</key><value>");
        escape_into(out, &t.value);
        out.push_str("</value></item>");
    }
    out.push_str("</tagSet></item>");
}

fn not_found(ids: &[&str]) -> Ec2Error {
    let quoted: Vec<String> = ids.iter().map(|i| format!("'{i}'")).collect();
    invalid(
        "InvalidInstanceID.NotFound",
        if ids.len() == 1 {
            format!("The instance ID {} does not exist", quoted[0])
        } else {
            format!("The instance IDs {} do not exist", quoted.join(", "))
        },
    )
}

/// The instances asked for by `InstanceId.N` (all when none is named), with their
/// profiles.
fn chosen(app: &App, params: &Params<'_>) -> Result<Vec<(Instance, InstanceProfile)>, Ec2Error> {
    let ids = numbered(params, "InstanceId");
    app.read(|e| {
        let missing: Vec<&str> = ids
            .iter()
            .copied()
            .filter(|id| !e.instances.contains_key(*id))
            .collect();
        if !missing.is_empty() {
            return Err(not_found(&missing));
        }
        Ok(e.instances
            .values()
            .filter(|i| ids.is_empty() || ids.contains(&i.id.as_str()))
            .map(|i| {
                let profile =
                    e.instance_profile(&i.instance_profile)
                        .cloned()
                        .unwrap_or(InstanceProfile {
                            id: String::new(),
                            name: i.instance_profile.clone(),
                            path: "/".into(),
                            arn: String::new(),
                            create_date: 0,
                            roles: Vec::new(),
                            tags: Vec::new(),
                        });
                (i.clone(), profile)
            })
            .collect())
    })
}

fn describe(app: &App, caller: &Caller, params: &Params<'_>) -> Result<String, Ec2Error> {
    crate::authz::check_action(app, caller, "ec2:DescribeInstances", "*", &[])?;
    let account = app.account_id();
    let mut out = String::from("<reservationSet>");
    for (i, profile) in chosen(app, params)? {
        let _ = write!(
            out,
            "<item><reservationId>r-{}</reservationId><ownerId>{account}</ownerId><groupSet/><instancesSet>",
            i.id.trim_start_matches("i-")
        );
        item(&mut out, &i, &profile, "16", "running");
        out.push_str("</instancesSet></item>");
    }
    out.push_str("</reservationSet>");
    Ok(out)
}

async fn terminate(app: &App, caller: &Caller, params: &Params<'_>) -> Result<String, Ec2Error> {
    if numbered(params, "InstanceId").is_empty() {
        return Err(invalid(
            "MissingParameter",
            "The request must contain the parameter InstanceId",
        ));
    }
    let chosen = chosen(app, params)?;
    for (i, _) in &chosen {
        crate::authz::check_action(
            app,
            caller,
            "ec2:TerminateInstances",
            &instance_arn(app, i),
            &[],
        )?;
    }
    let account = app.account_id().to_string();
    let gone: Vec<Instance> = chosen.iter().map(|(i, _)| i.clone()).collect();
    app.write(|_| {
        Ok((
            gone.iter().map(|i| Change::delete(&account, i)).collect(),
            (),
        ))
    })
    .await?;
    let mut out = String::from("<instancesSet>");
    for (i, _) in &chosen {
        app.workloads.stop(&i.id).await;
        let _ = write!(
            out,
            "<item><instanceId>{}</instanceId><currentState><code>32</code><name>shutting-down</name></currentState><previousState><code>16</code><name>running</name></previousState></item>",
            i.id
        );
    }
    out.push_str("</instancesSet>");
    Ok(out)
}
