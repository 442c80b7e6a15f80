//! What enforcement and auditing add to a call. Enforcement: `authorize_call` (the pipeline's authorization stage) for an IAM user with ten AWS managed
//! policies attached (ReadOnlyAccess among them), against the same call by the root (which
//! skips the policy engine). Policies are compiled on the first call and cached, as in
//! the server; the timed part is what every later call pays: loading the caller's cached
//! policy set, building the request context and the engine request, and the decision.

use criterion::{Criterion, criterion_group, criterion_main};
use portcullis_policy::Principal;
use portcullis_protocol::iam::{CreateRoleInput, GetRoleInput, IamRequest};
use portcullis_server::{
    App, AuditConfig, Caller, Config, DEFAULT_WORKLOAD_SESSION_SECONDS, Facts, HttpLimits,
    WorkloadLimits, authorize_call, iam_authorization, write_event,
};
use portcullis_store::{Change, Role, User};
use serde_json::json;
use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Duration;

const ACCOUNT: &str = "123456789012";
const POLICIES: [&str; 10] = [
    "ReadOnlyAccess",
    "AmazonS3ReadOnlyAccess",
    "service-role/AWSLambdaBasicExecutionRole",
    "CloudWatchLogsReadOnlyAccess",
    "AmazonDynamoDBReadOnlyAccess",
    "AWSGlueConsoleFullAccess",
    "AmazonSageMakerReadOnly",
    "IAMReadOnlyAccess",
    "AmazonEC2ReadOnlyAccess",
    "AWSCloudTrail_ReadOnlyAccess",
];

fn setup() -> (App, Caller, Caller) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let config = Config {
            regions: Vec::new(),
            listen: "127.0.0.1:0".parse().expect("address"),
            data_dir: None,
            database_url: None,
            account_id: ACCOUNT.to_string(),
            dev: false,
            enforce: false,
            root_access_key_id: None,
            root_secret_access_key: None,
            server_key: None,
            session_keys: None,
            oidc_keys: None,
            workload_session_seconds: DEFAULT_WORKLOAD_SESSION_SECONDS,
            issuer_url: None,
            audit: AuditConfig::default(),
            http: HttpLimits::default(),
            workload_limits: WorkloadLimits::default(),
        };
        let (app, _) = App::open(config).await.expect("app");
        let user = User {
            id: "AIDABENCHMARKUSER0001".into(),
            name: "analyst".into(),
            path: "/".into(),
            arn: format!("arn:aws:iam::{ACCOUNT}:user/analyst"),
            create_date: 0,
            permissions_boundary: None,
            tags: Vec::new(),
            groups: Vec::new(),
            attached_policies: POLICIES
                .iter()
                .map(|p| format!("arn:aws:iam::aws:policy/{p}"))
                .collect(),
            inline_policies: BTreeMap::new(),
            password_last_used: None,
        };
        let role = Role {
            id: "AROABENCHMARKROLE0001".into(),
            name: "target".into(),
            path: "/".into(),
            arn: format!("arn:aws:iam::{ACCOUNT}:role/target"),
            create_date: 0,
            assume_role_policy_document: r#"{"Version":"2012-10-17","Statement":[]}"#.into(),
            description: None,
            max_session_duration: 3600,
            max_signin_session_duration: None,
            permissions_boundary: None,
            tags: Vec::new(),
            attached_policies: Vec::new(),
            inline_policies: BTreeMap::new(),
            last_used: None,
        };
        app.write(|_| {
            Ok((
                vec![Change::put(ACCOUNT, &user), Change::put(ACCOUNT, &role)],
                (),
            ))
        })
        .await
        .expect("write");
        let caller = |arn: &str, user: Option<&User>| Caller {
            principal: Principal::parse(arn).expect("principal"),
            account: ACCOUNT.to_string(),
            user_id: user.map(|u| u.id.clone()),
            user_name: user.map(|u| u.name.clone()),
            access_key_id: Some("AKIABENCHMARK0000001".into()),
            session: None,
            source_ip: "10.0.0.1".into(),
            region: "us-east-1".into(),
        };
        let analyst = caller(&user.arn, Some(&user));
        let root = caller(&format!("arn:aws:iam::{ACCOUNT}:root"), None);
        (app, analyst, root)
    })
}

fn enforcement(c: &mut Criterion) {
    let (app, analyst, root) = setup();
    let get_role = IamRequest::GetRole(GetRoleInput {
        role_name: "target".into(),
    });
    let create_role = IamRequest::CreateRole(CreateRoleInput {
        role_name: "new-role".into(),
        assume_role_policy_document: "{}".into(),
        ..CreateRoleInput::default()
    });
    let authorize =
        |caller, op, request| authorize_call(&app, caller, "iam", op, &iam_authorization(request));
    assert!(authorize(&analyst, "GetRole", &get_role).is_ok());
    assert!(authorize(&analyst, "CreateRole", &create_role).is_err());
    let mut group = c.benchmark_group("enforcement");
    group
        .measurement_time(Duration::from_secs(4))
        .sample_size(50);
    group.bench_function("root_get_role_skips_the_engine", |b| {
        b.iter(|| authorize(black_box(&root), "GetRole", black_box(&get_role)))
    });
    group.bench_function("user_10_managed_policies_get_role_allowed", |b| {
        b.iter(|| authorize(black_box(&analyst), "GetRole", black_box(&get_role)))
    });
    group.bench_function("user_10_managed_policies_create_role_denied", |b| {
        b.iter(|| authorize(black_box(&analyst), "CreateRole", black_box(&create_role)))
    });
    group.finish();
}

/// What auditing adds to the same GetRole by the root: the resource ARN the event names,
/// and the event's line (lookup columns and CloudTrail record) written into a buffer.
fn audit(c: &mut Criterion) {
    let (app, _, root) = setup();
    let get_role = json!({"RoleName": "target"});
    let request = IamRequest::GetRole(GetRoleInput {
        role_name: "target".into(),
    });
    let output = json!({"Role": {"RoleName": "target"}});
    let resource_arn = portcullis_server::resource_arn(&app, &root, &iam_authorization(&request));
    assert_eq!(
        resource_arn.as_deref(),
        Some("arn:aws:iam::123456789012:role/target")
    );
    let facts = Facts {
        request_id: "8f0d2e4c-1b7a-4a4e-9d3c-5e6f7a8b9c0d",
        time: 1_796_384_616_505,
        service: "iam",
        source_ip: "127.0.0.1",
        user_agent: "aws-cli/2.31.0 md/awscrt#0.27.6 ua/2.1 os/linux#6.1.0 md/arch#x86_64",
        region: Some("us-east-1"),
        caller: Some(&root),
        claimed_access_key_id: None,
        operation: "GetRole",
        input: Some(&get_role),
        authorized: true,
        resource_arn,
    };
    let mut line = Vec::with_capacity(2048);
    let mut group = c.benchmark_group("audit");
    group
        .measurement_time(Duration::from_secs(4))
        .sample_size(50);
    group.bench_function("resource_arn_root_get_role", |b| {
        b.iter(|| {
            portcullis_server::resource_arn(&app, black_box(&root), &iam_authorization(&request))
        })
    });
    group.bench_function("write_event_root_get_role", |b| {
        b.iter(|| {
            line.clear();
            write_event(&mut line, ACCOUNT, black_box(&facts), Ok(&output));
            line.len()
        })
    });
    group.finish();
}

criterion_group!(benches, enforcement, audit);
criterion_main!(benches);
