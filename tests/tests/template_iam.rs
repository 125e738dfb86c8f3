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

/// The lookup's narrow reads: `GetItem` only of the key state, and `Query` of the index only in
/// the profiles' partition (the keys are the code's own constants).
fn lookup_narrow_read_problems(t: &Value) -> Vec<String> {
    let mut p = Vec::new();
    let role =
        &t["Resources"]["LookupRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"];
    let statements = role.as_sequence().cloned().unwrap_or_default();
    let leading = |st: &Value| {
        at(
            st,
            &[
                "Condition",
                "ForAllValues:StringEquals",
                "dynamodb:LeadingKeys",
            ],
        )
        .and_then(Value::as_sequence)
        .map(|v| {
            v.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
    };
    let index = yaml(&format!(
        "!Sub \"${{Table.Arn}}/index/{}\"",
        cpindex::keys::GSI1.name
    ));
    for st in &statements {
        let actions = statement_actions(st);
        if actions == ["dynamodb:GetItem"] {
            expect(
                &mut p,
                leading(st) == Some(vec![cpindex::keys::key::KEY_FINGERPRINT_PK.to_owned()]),
                || {
                    format!(
                        "LookupRole: GetItem not limited to the key state: {}",
                        show(Some(st))
                    )
                },
            );
        }
        if st["Resource"] == index {
            expect(
                &mut p,
                actions == ["dynamodb:Query"]
                    && leading(st) == Some(vec![cpindex::keys::key::PROFILES_GSI.to_owned()]),
                || {
                    format!(
                        "LookupRole: the index is read beyond the profiles: {}",
                        show(Some(st))
                    )
                },
            );
        }
    }
    expect(
        &mut p,
        statements.iter().any(|st| st["Resource"] == index),
        || {
            "LookupRole: no Query of the profiles on the index (lookups could not show whom to call)".into()
        },
    );
    p
}

#[test]
fn the_lookup_reads_only_the_key_state_and_the_profiles_beyond_the_child_partition() {
    assert_none(
        "infra/template.yaml (LookupRole)",
        lookup_narrow_read_problems(&template()),
    );
    let mut t = template();
    let statements = t["Resources"]["LookupRole"]["Properties"]["Policies"][0]["PolicyDocument"]
        ["Statement"]
        .as_sequence_mut()
        .unwrap();
    let profiles = statements
        .iter_mut()
        .find(|st| st["Sid"].as_str() == Some("ReadProfiles"))
        .unwrap();
    profiles["Condition"]["ForAllValues:StringEquals"]["dynamodb:LeadingKeys"] =
        yaml("[PROFILES, \"ORG#E08000035#NOTES\"]");
    assert_reports(
        lookup_narrow_read_problems(&t),
        &["LookupRole", "beyond the profiles"],
    );
    statements_without(&mut t, "ReadProfiles");
    assert_reports(
        lookup_narrow_read_problems(&t),
        &["no Query of the profiles"],
    );
}

fn statements_without(t: &mut Value, sid: &str) {
    let statements = t["Resources"]["LookupRole"]["Properties"]["Policies"][0]["PolicyDocument"]
        ["Statement"]
        .as_sequence_mut()
        .unwrap();
    statements.retain(|st| st["Sid"].as_str() != Some(sid));
}
