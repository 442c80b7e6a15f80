//! The conformance corpus: documented AWS behaviours as data, one file per rule family
//! under `tests/corpus/`. Each case gives a request in the `portcullis policy simulate`
//! format and the decision AWS makes, or a document and the error IAM returns for it, and
//! cites the AWS documentation page (or the edge-case number of the evaluation notes).

use portcullis_policy::simulate::Simulator;
use portcullis_policy::{InlineOwner, PolicyKind, ValidationOptions, validate};
use serde::Deserialize;
use std::collections::BTreeSet;
use std::path::Path;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CorpusFile {
    family: String,
    description: String,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    cite: String,
    #[serde(default)]
    edge_case: Option<u32>,
    #[serde(default)]
    request: Option<serde_json::Value>,
    #[serde(default)]
    expect: Option<String>,
    #[serde(default)]
    explanation_contains: Option<String>,
    #[serde(default)]
    validate: Option<ValidateCase>,
    #[serde(default, deserialize_with = "present")]
    expect_error: Option<Option<String>>,
    #[serde(default)]
    expect_code: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ValidateCase {
    kind: String,
    #[serde(default)]
    inline: Option<String>,
    #[serde(default)]
    owner_name: Option<String>,
    document: serde_json::Value,
}

/// Reads a field that may be `null` as `Some(None)`, so that an absent field (`None`) and
/// an explicit `null` ("no error expected") differ.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// Fixed time for `aws:CurrentTime` when a case does not give one: 2024-06-01T12:00:00Z.
const NOW: i64 = 1_717_243_200;

fn run_case(sim: &mut Simulator, case: &Case) -> Result<(), String> {
    match (&case.request, &case.validate) {
        (Some(request), None) => {
            let expect = case
                .expect
                .as_deref()
                .ok_or("a request case needs \"expect\"")?;
            let line = serde_json::to_string(request).map_err(|e| e.to_string())?;
            let out: serde_json::Value =
                serde_json::from_str(&sim.simulate_line(&line)).map_err(|e| e.to_string())?;
            let got = out
                .get("decision")
                .and_then(|d| d.as_str())
                .ok_or_else(|| format!("no decision: {out}"))?;
            if got != expect {
                return Err(format!("expected {expect}, got {got}: {out}"));
            }
            if let Some(want) = &case.explanation_contains {
                let explanation = out["explanation"].as_str().unwrap_or_default();
                if !explanation.contains(want.as_str()) {
                    return Err(format!("explanation lacks {want:?}: {explanation}"));
                }
            }
            Ok(())
        }
        (None, Some(v)) => {
            let kind = PolicyKind::parse(&v.kind).ok_or(format!("unknown kind {}", v.kind))?;
            let inline = match v.inline.as_deref() {
                None => None,
                Some("user") => Some(InlineOwner::User),
                Some("group") => Some(InlineOwner::Group),
                Some("role") => Some(InlineOwner::Role),
                Some(other) => return Err(format!("unknown inline owner {other}")),
            };
            let text = match &v.document {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let options = ValidationOptions {
                inline,
                owner_name: v.owner_name.clone(),
                ..ValidationOptions::new(kind)
            };
            let result = validate(&text, &options);
            let want = case
                .expect_error
                .as_ref()
                .ok_or("a validation case needs \"expect_error\" (a message or null)")?;
            let got = result.error();
            match (want, got) {
                (None, None) => Ok(()),
                (Some(w), Some(g)) if *w == g.message => match &case.expect_code {
                    Some(code) if code != g.code => Err(format!(
                        "expected code {code}, got {} ({})",
                        g.code, g.detail
                    )),
                    _ => Ok(()),
                },
                (w, g) => Err(format!(
                    "expected error {w:?}, got {:?}",
                    g.map(|g| format!("{}: {} ({})", g.code, g.message, g.detail))
                )),
            }
        }
        _ => Err("a case has either \"request\" or \"validate\"".to_string()),
    }
}

#[test]
fn corpus() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/corpus")
        .map(|e| e.expect("corpus entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let mut sim = Simulator::new().with_time(NOW);
    let mut total = 0;
    let mut failures = Vec::new();
    let mut edge_cases = BTreeSet::new();
    let mut names = BTreeSet::new();
    for path in &files {
        let text = std::fs::read_to_string(path).expect("corpus file");
        let file: CorpusFile =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            !file.description.is_empty(),
            "{}: no description",
            path.display()
        );
        for case in &file.cases {
            total += 1;
            assert!(
                case.cite.starts_with("https://") || case.cite.starts_with("policy-evaluation.md"),
                "{}: case {:?} must cite an AWS page or the evaluation notes",
                file.family,
                case.name
            );
            assert!(
                names.insert(format!("{}/{}", file.family, case.name)),
                "duplicate case name {}/{}",
                file.family,
                case.name
            );
            edge_cases.extend(case.edge_case);
            if let Err(e) = run_case(&mut sim, case) {
                failures.push(format!("{}/{}: {e}", file.family, case.name));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {total} corpus cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        total >= 400,
        "the corpus has {total} cases; it must have at least 400"
    );
    let missing: Vec<u32> = (1..=20).filter(|n| !edge_cases.contains(n)).collect();
    assert!(
        missing.is_empty(),
        "edge cases of policy-evaluation.md §1.13 without a corpus case: {missing:?}"
    );
}
