//! The README's API table lists every operation of the contract (`infra/openapi.yaml`), and
//! nothing the contract does not hold: a newcomer reading it never needs the contract to find a
//! route.

mod infra_yaml;

use std::collections::BTreeSet;

use infra_yaml::*;

/// `METHOD path` of every operation in the contract.
fn contract_operations(contract: &Value) -> BTreeSet<String> {
    let mut ops = BTreeSet::new();
    for (path, item) in contract["paths"].as_mapping().expect("paths") {
        let path = path.as_str().expect("a path");
        for (method, _) in item.as_mapping().expect("operations") {
            let method = method.as_str().unwrap_or_default().to_ascii_uppercase();
            if ["GET", "PUT", "POST", "DELETE", "PATCH"].contains(&method.as_str()) {
                ops.insert(format!("{method} {path}"));
            }
        }
    }
    ops
}

/// `METHOD path` of every operation the README's API table names (`PUT/GET path` names two; a
/// query string is not part of the path).
fn readme_operations(readme: &str) -> BTreeSet<String> {
    let table = readme
        .lines()
        .skip_while(|l| !l.starts_with("| method and path |"))
        .skip(2)
        .take_while(|l| l.starts_with('|'));
    let mut ops = BTreeSet::new();
    for row in table {
        let first = row
            .trim_start_matches('|')
            .split('|')
            .next()
            .unwrap_or_default();
        for cell in first.split('`').skip(1).step_by(2) {
            let Some((methods, path)) = cell.split_once(' ') else {
                continue;
            };
            let path = path.split('?').next().unwrap_or(path);
            for m in methods.split('/') {
                ops.insert(format!("{m} {path}"));
            }
        }
    }
    ops
}

fn differences(contract: &BTreeSet<String>, readme: &BTreeSet<String>) -> Vec<String> {
    let mut p: Vec<String> = contract
        .difference(readme)
        .map(|op| format!("the README's API table lacks {op}"))
        .collect();
    p.extend(
        readme.difference(contract).map(|op| {
            format!("the README's API table names {op}, which the contract does not hold")
        }),
    );
    p
}

fn readme() -> String {
    std::fs::read_to_string(repo_path("README.md")).expect("README.md")
}

#[test]
fn the_readme_lists_every_operation_of_the_contract() {
    let contract = contract_operations(&openapi());
    assert!(contract.len() > 15, "{contract:?}");
    assert_none(
        "README.md (API table)",
        differences(&contract, &readme_operations(&readme())),
    );
}

#[test]
fn a_route_left_out_or_made_up_is_named() {
    let contract = contract_operations(&openapi());
    let text = readme().replace(
        "| `GET /v1/la-profiles` | operator | every LA's profile |\n",
        "",
    );
    assert_reports(
        differences(&contract, &readme_operations(&text)),
        &["lacks GET /v1/la-profiles"],
    );
    let text = readme().replace(
        "`POST /v1/reconciliation-runs`",
        "`POST /v1/reconciliation-run`",
    );
    assert_reports(
        differences(&contract, &readme_operations(&text)),
        &["names POST /v1/reconciliation-run,"],
    );
}
