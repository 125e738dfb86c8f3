//! Each route's API Gateway limit and each function's reserved concurrency, as the code's route
//! and function table gives them (`cpindex::routes`), are what `infra/template.yaml` sets and
//! what docs/OPERATIONS.md tells operators: the lookup keeps its own, highest limit, bulk writes
//! (JSON or CSV) the lowest, and no function can take another's concurrency.

mod infra_yaml;

use std::collections::BTreeMap;

use cpindex::routes::{Throttle, FUNCTIONS, ROUTES};
use infra_yaml::*;

fn api(t: &Value) -> &Value {
    let (_, api) = resources_of_type(t, "AWS::Serverless::HttpApi")
        .into_iter()
        .next()
        .expect("the HTTP API");
    &api["Properties"]
}

fn limits(settings: &Value) -> Option<(u64, u64)> {
    Some((
        as_u64(&settings["ThrottlingRateLimit"])?,
        as_u64(&settings["ThrottlingBurstLimit"])?,
    ))
}

fn want(t: Throttle) -> (u64, u64) {
    (u64::from(t.rate()), u64::from(t.burst()))
}

fn throttle_problems(t: &Value) -> Vec<String> {
    let mut p = Vec::new();
    let api = api(t);
    expect(
        &mut p,
        limits(&api["DefaultRouteSettings"]) == Some(want(Throttle::Standard)),
        || "the default route limit is not the standard one".into(),
    );
    let settings: BTreeMap<String, &Value> = api["RouteSettings"]
        .as_mapping()
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.as_str()?.to_owned(), v)))
                .collect()
        })
        .unwrap_or_default();
    for r in ROUTES {
        let key = format!("{} {}", r.method, r.path);
        let got = settings.get(&key).and_then(|s| limits(s));
        let ok = match got {
            Some(l) => l == want(r.throttle),
            None => r.throttle == Throttle::Standard,
        };
        expect(&mut p, ok, || {
            format!(
                "{key}: the template sets {got:?}, the code {:?}",
                r.throttle
            )
        });
    }
    for key in settings.keys() {
        expect(
            &mut p,
            ROUTES
                .iter()
                .any(|r| &format!("{} {}", r.method, r.path) == key),
            || format!("{key}: a limit for a route the code does not serve"),
        );
    }
    for f in FUNCTIONS {
        let got = at(
            t,
            &[
                "Resources",
                f.logical_id,
                "Properties",
                "ReservedConcurrentExecutions",
            ],
        )
        .and_then(as_u64);
        expect(
            &mut p,
            got == Some(u64::from(f.reserved_concurrency)),
            || {
                format!(
                    "{}: reserved concurrency {got:?}, the code {}",
                    f.logical_id, f.reserved_concurrency
                )
            },
        );
    }
    p
}

/// The rows of the markdown table whose header starts with `first_header`.
fn table_rows(doc: &str, first_header: &str) -> Vec<Vec<String>> {
    let mut lines = doc
        .lines()
        .skip_while(|l| !l.starts_with(&format!("| {first_header} |")));
    lines.next();
    lines.next();
    lines
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            l.trim_matches('|')
                .split('|')
                .map(|c| c.trim().trim_matches('`').to_owned())
                .collect()
        })
        .collect()
}

fn docs_problems(doc: &str) -> Vec<String> {
    let mut p = Vec::new();
    let routes = table_rows(doc, "route");
    let listed: BTreeMap<&str, (&str, &str)> = routes
        .iter()
        .map(|r| (r[0].as_str(), (r[1].as_str(), r[2].as_str())))
        .collect();
    for r in ROUTES.iter().filter(|r| r.throttle != Throttle::Standard) {
        let key = format!("{} {}", r.method, r.path);
        let (rate, burst) = want(r.throttle);
        expect(
            &mut p,
            listed.get(key.as_str())
                == Some(&(rate.to_string().as_str(), burst.to_string().as_str())),
            || format!("docs/OPERATIONS.md: {key} is not listed as {rate} a second, burst {burst}"),
        );
    }
    let (rate, burst) = want(Throttle::Standard);
    expect(
        &mut p,
        listed.get("every other route")
            == Some(&(rate.to_string().as_str(), burst.to_string().as_str())),
        || "docs/OPERATIONS.md: the standard limit is not listed".into(),
    );
    expect(
        &mut p,
        listed.len()
            == ROUTES
                .iter()
                .filter(|r| r.throttle != Throttle::Standard)
                .count()
                + 1,
        || "docs/OPERATIONS.md lists limits the code does not set".into(),
    );
    let functions = table_rows(doc, "function");
    expect(&mut p, functions.len() == FUNCTIONS.len(), || {
        format!(
            "docs/OPERATIONS.md lists {} functions, the code has {}",
            functions.len(),
            FUNCTIONS.len()
        )
    });
    for f in FUNCTIONS {
        let row = functions.iter().find(|r| r[0] == f.logical_id);
        expect(
            &mut p,
            row.is_some_and(|r| r[1] == f.reserved_concurrency.to_string()),
            || {
                format!(
                    "docs/OPERATIONS.md: {} is not listed with {}",
                    f.logical_id, f.reserved_concurrency
                )
            },
        );
    }
    let total: u32 = FUNCTIONS.iter().map(|f| f.reserved_concurrency).sum();
    expect(&mut p, doc.contains(&format!("({total} in all:")), || {
        format!("docs/OPERATIONS.md does not give the total reserved concurrency, {total}")
    });
    p
}

fn operations_doc() -> String {
    std::fs::read_to_string(repo_path("docs/OPERATIONS.md")).expect("docs/OPERATIONS.md")
}

#[test]
fn every_route_limit_and_reserved_concurrency_is_the_codes_in_the_template_and_the_docs() {
    assert_none(
        "infra/template.yaml (limits)",
        throttle_problems(&template()),
    );
    assert_none(
        "docs/OPERATIONS.md (limits)",
        docs_problems(&operations_doc()),
    );
    // The lookup's limit is its own and the highest; bulk writes have the lowest.
    let highest = ROUTES.iter().map(|r| r.throttle.rate()).max().unwrap();
    assert!(ROUTES
        .iter()
        .filter(|r| r.throttle.rate() == highest)
        .all(|r| r.function == cpindex::routes::LOOKUP));
    assert_eq!(
        cpindex::routes::POST_PLAN_EXTRACT.throttle,
        cpindex::routes::POST_PLAN_BATCH.throttle
    );
}

#[test]
fn a_limit_or_a_concurrency_that_differs_is_named() {
    let mut t = template();
    let api = t["Resources"]
        .as_mapping_mut()
        .unwrap()
        .values_mut()
        .find(|r| r["Type"].as_str() == Some("AWS::Serverless::HttpApi"))
        .unwrap();
    let settings = api["Properties"]["RouteSettings"].as_mapping_mut().unwrap();
    settings.remove("POST /v1/plan-extracts");
    t["Resources"]["InboxFunction"]["Properties"]["ReservedConcurrentExecutions"] = yaml("200");
    let problems = throttle_problems(&t);
    assert_reports(problems.clone(), &["POST /v1/plan-extracts", "Bulk"]);
    assert_reports(problems, &["InboxFunction", "reserved concurrency"]);
    let doc = operations_doc().replace(
        "| `PlanUpsertFunction` | 20 |",
        "| `PlanUpsertFunction` | 50 |",
    );
    assert_reports(docs_problems(&doc), &["PlanUpsertFunction"]);
    let doc = operations_doc().replace("| `POST /v1/plan-extracts` | 10 | 20 |\n", "");
    assert_reports(docs_problems(&doc), &["POST /v1/plan-extracts"]);
}
