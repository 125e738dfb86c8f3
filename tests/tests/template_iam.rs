//! Each function's role in `infra/template.yaml` grants exactly the data-plane actions its
//! `FunctionDef` lists (what its ports issue; `tests/tests/events/` proves the handlers issue
//! nothing else), and the reconciliation scan is granted on the index it reads, not the table.

mod infra_yaml;

use std::collections::BTreeSet;

use cpindex::routes::FUNCTIONS;
use infra_yaml::*;

/// The services whose actions a `FunctionDef` lists; logs, traces and KMS are the platform's.
const DATA_PLANE: [&str; 3] = ["dynamodb:", "sqs:", "secretsmanager:"];

/// The data-plane actions a function's role grants.
fn granted_actions<'a>(t: &'a Value, function: &'a Value) -> BTreeSet<&'a str> {
    role_statements(t, function)
        .into_iter()
        .flat_map(statement_actions)
        .filter(|a| DATA_PLANE.iter().any(|svc| a.starts_with(svc)))
        .collect()
}

/// Each function's role grants exactly the actions its FunctionDef lists.
fn iam_problems(t: &Value) -> Vec<String> {
    let mut p = Vec::new();
    for f in FUNCTIONS {
        let Some(r) = at(t, &["Resources", f.logical_id]) else {
            p.push(format!("function {} is not in the template", f.logical_id));
            continue;
        };
        let got = granted_actions(t, r);
        let want: BTreeSet<&str> = f.iam.iter().copied().collect();
        for missing in want.difference(&got) {
            p.push(format!(
                "{}: the code issues {missing}, which its role does not grant",
                f.logical_id
            ));
        }
        for extra in got.difference(&want) {
            p.push(format!(
                "{}: its role grants {extra}, which no port of the function issues",
                f.logical_id
            ));
        }
    }
    p
}

/// Every Scan a function may issue is granted on GSI1 alone: the paged parallel scan reads the
/// index (plans, notifications, extracts), never the table's visits.
fn scan_problems(t: &Value) -> Vec<String> {
    let mut p = Vec::new();
    let index = yaml(&format!(
        "!Sub \"${{Table.Arn}}/index/{}\"",
        cpindex::keys::GSI1.name
    ));
    for f in FUNCTIONS
        .iter()
        .filter(|f| f.iam.contains(&"dynamodb:Scan"))
    {
        let Some(r) = at(t, &["Resources", f.logical_id]) else {
            continue; // reported by iam_problems
        };
        let grants = grants_of(t, r, "dynamodb:Scan");
        expect(&mut p, !grants.is_empty(), || {
            format!("{}: no Scan grant", f.logical_id)
        });
        for g in grants {
            expect(&mut p, g == &index, || {
                format!(
                    "{}: Scan granted on {}, expected {}",
                    f.logical_id,
                    show(Some(g)),
                    show(Some(&index))
                )
            });
        }
    }
    p
}

#[test]
fn every_role_grants_exactly_the_actions_its_function_issues() {
    assert_none("infra/template.yaml (IAM)", iam_problems(&template()));
}

#[test]
fn a_role_granting_more_or_less_than_its_ports_is_named() {
    let mut t = template();
    t["Resources"]["LookupRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"][0]
        ["Action"] = yaml("[dynamodb:Query, dynamodb:DeleteItem]");
    let problems = iam_problems(&t);
    assert_reports(
        problems.clone(),
        &["LookupFunction", "grants dynamodb:DeleteItem"],
    );
    assert_reports(problems, &["LookupFunction", "issues dynamodb:PutItem"]);
}

#[test]
fn the_reconciliation_scan_is_granted_on_the_index_it_reads_not_the_table() {
    assert!(FUNCTIONS.iter().any(|f| f.iam.contains(&"dynamodb:Scan")));
    assert_none("infra/template.yaml (Scan)", scan_problems(&template()));

    let mut t = template();
    let statements = t["Resources"]["ReconcileRole"]["Properties"]["Policies"][0]["PolicyDocument"]
        ["Statement"]
        .as_sequence_mut()
        .expect("reconcile's table statements");
    let scan = statements
        .iter_mut()
        .find(|st| st["Action"].as_str() == Some("dynamodb:Scan"))
        .expect("reconcile's Scan statement");
    scan["Resource"] = yaml("!GetAtt Table.Arn");
    assert_reports(
        scan_problems(&t),
        &["ReconcileFunction", "Scan granted on", "Table.Arn"],
    );
}
