//! Reading `infra/template.yaml` and `infra/openapi.yaml` for the checks only the code can make
//! (the `template_*` and `contract_*` tests), and reporting what disagrees. Each check collects
//! every disagreement it finds, naming what disagrees, instead of stopping at the first.
//!
//! CloudFormation's short-form tags (`!Ref X`, `!GetAtt X.Y`) are matched, never resolved: what
//! the template resolves to is what `make deploy-rehearsal` reads from a created stack.

// Each test file uses a part of this module.
#![allow(dead_code)]

use std::path::PathBuf;

pub use serde_norway::Value;

pub fn repo_path(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(relative)
}

fn load(relative: &str) -> Value {
    let path = repo_path(relative);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{relative} is not valid YAML: {e}"))
}

pub fn template() -> Value {
    load("infra/template.yaml")
}

pub fn openapi() -> Value {
    load("infra/openapi.yaml")
}

/// A YAML value written in a test (`!Ref X` and friends included).
pub fn yaml(text: &str) -> Value {
    serde_norway::from_str(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

/// The value under a path of mapping keys, if every step exists.
pub fn at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, key| v.as_mapping()?.get(*key))
}

pub fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    at(v, path)?.as_str()
}

/// A whole number written as a YAML number or a numeric string.
pub fn as_u64(v: &Value) -> Option<u64> {
    v.as_u64().or_else(|| v.as_str()?.parse().ok())
}

/// The argument of an intrinsic function in short form (`!Ref x`) or long form (`{Ref: x}`).
fn intrinsic<'a>(v: &'a Value, name: &str) -> Option<&'a Value> {
    match v {
        Value::Tagged(tagged) if tagged.tag == name => Some(&tagged.value),
        Value::Mapping(m) if m.len() == 1 => {
            let long = if name == "Ref" {
                "Ref".to_owned()
            } else {
                format!("Fn::{name}")
            };
            m.get(long.as_str())
        }
        _ => None,
    }
}

/// `X` of `!Ref X`.
pub fn ref_target(v: &Value) -> Option<&str> {
    intrinsic(v, "Ref")?.as_str()
}

/// `(Resource, Attribute)` of `!GetAtt Resource.Attribute` or `!GetAtt [Resource, Attribute]`.
pub fn getatt_target(v: &Value) -> Option<(String, String)> {
    match intrinsic(v, "GetAtt")? {
        Value::String(s) => {
            let (resource, attribute) = s.split_once('.')?;
            Some((resource.to_owned(), attribute.to_owned()))
        }
        Value::Sequence(parts) if parts.len() == 2 => {
            Some((parts[0].as_str()?.to_owned(), parts[1].as_str()?.to_owned()))
        }
        _ => None,
    }
}

/// Shows a value in problem messages.
pub fn show(v: Option<&Value>) -> String {
    match v {
        None => "<absent>".to_owned(),
        Some(v) => serde_norway::to_string(v)
            .map(|s| s.trim().replace('\n', " "))
            .unwrap_or_else(|_| format!("{v:?}")),
    }
}

/// Fails with every problem listed, one a line.
#[track_caller]
pub fn assert_none(what: &str, problems: Vec<String>) {
    assert!(
        problems.is_empty(),
        "{what} disagrees with the code:\n  - {}",
        problems.join("\n  - ")
    );
}

/// Checks one expectation, recording a problem that names what disagrees.
pub fn expect(problems: &mut Vec<String>, ok: bool, message: impl FnOnce() -> String) {
    if !ok {
        problems.push(message());
    }
}

/// A check can fail: some problem names every needle.
#[track_caller]
pub fn assert_reports(problems: Vec<String>, needles: &[&str]) {
    assert!(
        problems
            .iter()
            .any(|p| needles.iter().all(|needle| p.contains(needle))),
        "expected a problem naming {needles:?}, got {problems:#?}"
    );
}

/// Logical ids of the resources of one type, in template order.
pub fn resources_of_type<'a>(t: &'a Value, kind: &str) -> Vec<(&'a str, &'a Value)> {
    at(t, &["Resources"])
        .and_then(Value::as_mapping)
        .map(|m| {
            m.iter()
                .filter(|(_, r)| str_at(r, &["Type"]) == Some(kind))
                .filter_map(|(id, r)| Some((id.as_str()?, r)))
                .collect()
        })
        .unwrap_or_default()
}

/// A function property, falling back to `Globals.Function` as SAM does.
pub fn function_prop<'a>(t: &'a Value, function: &'a Value, key: &str) -> Option<&'a Value> {
    at(function, &["Properties", key]).or_else(|| at(t, &["Globals", "Function", key]))
}

/// Every event of every serverless function: (function id, event name, event).
pub fn function_events(t: &Value) -> Vec<(&str, &str, &Value)> {
    let mut events = Vec::new();
    for (id, f) in resources_of_type(t, "AWS::Serverless::Function") {
        if let Some(m) = at(f, &["Properties", "Events"]).and_then(Value::as_mapping) {
            for (name, event) in m {
                events.push((id, name.as_str().unwrap_or("?"), event));
            }
        }
    }
    events
}

/// The statements of the policies of a function's role (`Role: !GetAtt <Role>.Arn`).
pub fn role_statements<'a>(t: &'a Value, function: &'a Value) -> Vec<&'a Value> {
    let role = function_prop(t, function, "Role")
        .and_then(getatt_target)
        .map(|(role, _)| role);
    let policies =
        role.and_then(|role| at(t, &["Resources", role.as_str(), "Properties", "Policies"]));
    policies
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
        .filter_map(|policy| at(policy, &["PolicyDocument", "Statement"])?.as_sequence())
        .flatten()
        .collect()
}

/// The actions of one statement (`Action: a` or `Action: [a, b]`).
pub fn statement_actions(st: &Value) -> Vec<&str> {
    match at(st, &["Action"]) {
        Some(Value::String(a)) => vec![a.as_str()],
        Some(Value::Sequence(list)) => list.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// Resources of the statements granting `action` in a function's role.
pub fn grants_of<'a>(t: &'a Value, function: &'a Value, action: &str) -> Vec<&'a Value> {
    role_statements(t, function)
        .into_iter()
        .filter(|st| statement_actions(st).contains(&action))
        .filter_map(|st| at(st, &["Resource"]))
        .collect()
}
