//! Performance benchmarks of the policy engine (see BENCHMARKS.md at the workspace root).
//!
//! - `decision/*`: one `authorize` call for an IAM user with ten AWS managed policies, a
//!   permissions boundary and (for requests on the bucket) a bucket policy;
//! - `cedar/*`, `cedar_groups/*`: the same requests decided by cedar-policy over a
//!   statement-for-statement translation of the same policies, IAM's layers combined in
//!   the harness (see `support/cedar_set.rs`);
//! - `compile/*`: validating and compiling ReadOnlyAccess;
//! - `simulate/lines`: `Simulator::simulate_line` over a stream of input lines.
//!
//! Before anything is timed, both engines decide a list of requests and must agree.
//!
//! The helper modules live in `benches/support/` so that Cargo does not take them for
//! benchmark targets of their own.

#[path = "support/cedar_set.rs"]
mod cedar_set;
#[path = "support/fixtures.rs"]
mod fixtures;
#[path = "support/lines.rs"]
mod lines;

use cedar_set::{ActionExpander, ActionMode, CedarEngine, CedarLayer, CedarRequest, policy_id};
use criterion::{BatchSize, Criterion, SamplingMode, Throughput};
use fixtures::{Case, IamPolicies, PolicyTexts};
use portcullis_policy::simulate::Simulator;
use portcullis_policy::{
    CompiledPolicy, Outcome, PolicyKind, Request, ValidationOptions, authorize, validate,
};
use std::collections::BTreeSet;
use std::hint::black_box;
use std::time::Duration;

struct Fixture {
    iam: IamPolicies,
    cedar: CedarEngine,
    cedar_groups: CedarEngine,
}

impl Fixture {
    fn new() -> Fixture {
        let texts = PolicyTexts::load();
        let iam = IamPolicies::compile(&texts);
        let expander = ActionExpander::new();
        let engine = |mode| {
            CedarEngine::new(
                &expander,
                mode,
                &texts.identity,
                texts.boundary,
                texts.bucket,
            )
        };
        let fixture = Fixture {
            iam,
            cedar: engine(ActionMode::List),
            cedar_groups: engine(ActionMode::Groups),
        };
        let statements: usize = fixture
            .iam
            .identity
            .iter()
            .map(|p| p.statement_count())
            .sum::<usize>()
            + fixture.iam.boundary.statement_count()
            + fixture.iam.bucket.statement_count();
        assert_eq!(statements, fixture.cedar.policy_count());
        assert_eq!(statements, fixture.cedar_groups.policy_count());
        eprintln!(
            "policies: {} IAM statements = {} Cedar policies; {} actions in the Cedar scopes after expansion",
            statements,
            fixture.cedar.policy_count(),
            fixture.cedar.action_entries
        );
        fixture
    }

    fn cedar_request(engine: &CedarEngine, case: &Case) -> CedarRequest {
        engine.request(
            case.principal,
            case.action,
            case.resource,
            &case.context_pairs(),
            case.on_bucket(),
        )
    }

    /// Both engines must give every request of the check list the expected outcome, and
    /// agree layer by layer on which statements apply.
    fn check(&self) {
        let cases = fixtures::check_cases();
        assert!(cases.len() >= 50);
        let mut counts = [0usize; 3];
        for case in &cases {
            let what = format!("{} {} {}", case.principal, case.action, case.resource);
            let info = portcullis_catalog::catalog()
                .action(case.action)
                .unwrap_or_else(|| panic!("{what}: not in the service authorization reference"));
            assert!(
                !info.is_wildcard_only() || case.resource == "*",
                "{what}: a wildcard-only action must be requested on *"
            );
            if let Some(account) = case.resource.split(':').nth(4)
                && !account.is_empty()
            {
                assert_eq!(account, fixtures::ACCOUNT, "{what}: cross-account");
            }
            let request = case.request();
            let policies = self.iam.for_case(case);
            let outcome = authorize(&request, &policies).outcome;
            assert_eq!(outcome, case.expected, "{what}: Portcullis");
            counts[match outcome {
                Outcome::Allowed => 0,
                Outcome::ExplicitDeny => 1,
                Outcome::ImplicitDeny => 2,
            }] += 1;
            for (name, engine) in [("cedar", &self.cedar), ("cedar_groups", &self.cedar_groups)] {
                let r = Self::cedar_request(engine, case);
                assert_eq!(engine.decide(&r), outcome, "{what}: {name}");
                let mut layers: Vec<(&str, &CedarLayer, Vec<&CompiledPolicy>)> = vec![
                    (
                        "identity",
                        &engine.identity,
                        self.iam.identity.iter().map(|p| &**p).collect(),
                    ),
                    ("boundary", &engine.boundary, vec![&self.iam.boundary]),
                ];
                if case.on_bucket() {
                    layers.push(("resource", &engine.resource, vec![&self.iam.bucket]));
                }
                for (layer, cedar_layer, compiled) in layers {
                    let answer = engine.layer_answer(cedar_layer, &r);
                    let (mut denies, mut allows) = (BTreeSet::new(), BTreeSet::new());
                    let (mut deny_policies, mut allow_policies) =
                        (BTreeSet::new(), BTreeSet::new());
                    for (i, policy) in compiled.iter().enumerate() {
                        let m = policy.evaluate(&request, true);
                        if let Some(d) = m.deny {
                            denies.insert(policy_id(layer, i, d as usize));
                            deny_policies.insert(i);
                        }
                        if let Some(a) = m.allow {
                            allows.insert(policy_id(layer, i, a as usize));
                            allow_policies.insert(i);
                        }
                    }
                    let policy_of =
                        |id: &String| -> usize { id.split(':').nth(1).unwrap().parse().unwrap() };
                    let cedar_deny_policies: BTreeSet<usize> =
                        answer.forbids.iter().map(policy_of).collect();
                    let here = format!(
                        "{what}: {name} {layer}: Portcullis denies {denies:?} allows {allows:?}, Cedar {answer:?}"
                    );
                    assert_eq!(deny_policies, cedar_deny_policies, "{here}");
                    assert!(denies.is_subset(&answer.forbids), "{here}");
                    if denies.is_empty() {
                        let cedar_allow_policies: BTreeSet<usize> =
                            answer.permits.iter().map(policy_of).collect();
                        assert_eq!(allow_policies, cedar_allow_policies, "{here}");
                        assert!(allows.is_subset(&answer.permits), "{here}");
                    }
                }
            }
        }
        eprintln!(
            "check: {} requests, both engines agree ({} allowed, {} explicit deny, {} implicit deny)",
            cases.len(),
            counts[0],
            counts[1],
            counts[2],
        );
    }
}

fn bench_decision(c: &mut Criterion, fx: &Fixture) {
    let shapes = fixtures::shapes();
    let mut group = c.benchmark_group("decision");
    for (id, case) in &shapes {
        let request = case.request();
        let policies = fx.iam.for_case(case);
        assert_eq!(authorize(&request, &policies).outcome, case.expected);
        group.bench_function(*id, |b| {
            b.iter(|| authorize(black_box(&request), black_box(&policies)))
        });
    }
    let (_, case) = &shapes[0];
    let principal = case.principal();
    let context = case.context();
    let policies = fx.iam.for_case(case);
    group.bench_function("build_and_authorize_s3_get_object", |b| {
        b.iter_batched(
            || (principal.clone(), context.clone()),
            |(principal, context)| {
                let request = Request::builder(principal, case.action, case.resource)
                    .context(context)
                    .build()
                    .expect("request");
                authorize(&request, black_box(&policies))
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

fn bench_cedar(c: &mut Criterion, name: &str, engine: &CedarEngine, slow: bool) {
    let mut group = c.benchmark_group(name);
    if slow {
        // Milliseconds per decision: fewer, flat samples keep the run short.
        group
            .sample_size(20)
            .sampling_mode(SamplingMode::Flat)
            .measurement_time(Duration::from_secs(5));
    }
    for (id, case) in fixtures::shapes() {
        let request = Fixture::cedar_request(engine, &case);
        assert_eq!(engine.decide(&request), case.expected);
        group.bench_function(id, |b| b.iter(|| engine.decide(black_box(&request))));
    }
    group.finish();
}

fn bench_compile(c: &mut Criterion) {
    let text = &portcullis_catalog::managed_policy("ReadOnlyAccess")
        .expect("ReadOnlyAccess")
        .document;
    let options = ValidationOptions {
        check_size: false,
        warnings: false,
        ..ValidationOptions::new(PolicyKind::Identity)
    };
    let mut group = c.benchmark_group("compile");
    group
        .throughput(Throughput::Bytes(text.len() as u64))
        .sample_size(20)
        .sampling_mode(SamplingMode::Flat)
        .measurement_time(Duration::from_secs(5));
    group.bench_function("read_only_access", |b| {
        b.iter(|| {
            let doc = validate(black_box(text), &options)
                .into_result()
                .expect("valid");
            CompiledPolicy::compile(&doc)
        })
    });
    group.bench_function("read_only_access_no_validate", |b| {
        b.iter(|| CompiledPolicy::parse(black_box(text)).expect("parses"))
    });
    group.finish();
}

fn bench_simulate(c: &mut Criterion) {
    let lines = lines::lines(100);
    let mut simulator = Simulator::new();
    let mut decisions = std::collections::BTreeMap::new();
    for line in &lines {
        let out = simulator.simulate_line(line);
        let v: serde_json::Value = serde_json::from_str(&out).expect("output JSON");
        let decision = v["decision"]
            .as_str()
            .unwrap_or_else(|| panic!("{out}\nfor {line}"));
        *decisions.entry(decision.to_string()).or_insert(0) += 1;
    }
    let bytes: usize = lines.iter().map(String::len).sum();
    eprintln!(
        "simulate: {} distinct lines, {} bytes on average, decisions {decisions:?}",
        lines.len(),
        bytes / lines.len()
    );
    let mut group = c.benchmark_group("simulate");
    group.throughput(Throughput::Elements(1));
    let mut i = 0;
    group.bench_function("lines", |b| {
        b.iter(|| {
            let line = &lines[i % lines.len()];
            i += 1;
            simulator.simulate_line(black_box(line))
        })
    });
    group.finish();
}

fn main() {
    let fixture = Fixture::new();
    fixture.check();
    let mut c = Criterion::default()
        .sample_size(50)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .configure_from_args();
    bench_decision(&mut c, &fixture);
    bench_cedar(&mut c, "cedar", &fixture.cedar, true);
    bench_cedar(&mut c, "cedar_groups", &fixture.cedar_groups, false);
    bench_compile(&mut c);
    bench_simulate(&mut c);
    c.final_summary();
}
