//! The OpenAPI contract's closed lists against the code: the error codes are exactly
//! `ErrorCode::ALL` (and problems use them), the indicator keys exactly those published.

mod infra_yaml;

use std::collections::BTreeSet;

use cpindex::problem::ErrorCode;
use infra_yaml::*;

/// The contract's error-code enum is exactly `ErrorCode::ALL`, and problems use it.
fn openapi_code_problems(o: &Value) -> Vec<String> {
    let mut p = Vec::new();
    let listed: Vec<&str> = at(o, &["components", "schemas", "ErrorCode", "enum"])
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
        .map(|v| v.as_str().unwrap_or("?"))
        .collect();
    let got: BTreeSet<&str> = listed.iter().copied().collect();
    expect(&mut p, got.len() == listed.len(), || {
        "components.schemas.ErrorCode.enum lists a code twice".to_owned()
    });
    let want: BTreeSet<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    for missing in want.difference(&got) {
        p.push(format!(
            "error code {missing} is missing from components.schemas.ErrorCode.enum"
        ));
    }
    for extra in got.difference(&want) {
        p.push(format!(
            "components.schemas.ErrorCode.enum lists {extra}, which is not in ErrorCode::ALL"
        ));
    }
    let code_ref = str_at(
        o,
        &[
            "components",
            "schemas",
            "Problem",
            "properties",
            "code",
            "$ref",
        ],
    );
    expect(
        &mut p,
        code_ref == Some("#/components/schemas/ErrorCode"),
        || "components.schemas.Problem.code does not $ref the ErrorCode enum".to_owned(),
    );
    p
}

#[test]
fn the_openapi_error_codes_are_exactly_error_code_all() {
    assert_none(
        "infra/openapi.yaml (error codes)",
        openapi_code_problems(&openapi()),
    );
}

/// The contract's indicator keys (the query's and each series') are exactly those the API
/// publishes, in order.
#[test]
fn the_openapi_indicator_keys_are_exactly_the_published_indicators() {
    let o = openapi();
    let published: Vec<&str> = cpindex::indicators::INDICATORS
        .iter()
        .map(|d| d.key)
        .collect();
    let param = at(&o, &["paths", "/v1/indicators", "get", "parameters"])
        .and_then(|p| p.as_sequence())
        .and_then(|ps| {
            ps.iter()
                .find(|p| str_at(p, &["name"]) == Some("indicator"))
        })
        .and_then(|p| at(p, &["schema", "enum"]))
        .expect("the indicator parameter has an enum");
    let series = at(
        &o,
        &[
            "components",
            "schemas",
            "IndicatorSeries",
            "properties",
            "key",
            "enum",
        ],
    )
    .expect("IndicatorSeries.key has an enum");
    for listed in [param, series] {
        let listed: Vec<&str> = listed
            .as_sequence()
            .unwrap()
            .iter()
            .filter_map(|v| v.as_str())
            .collect();
        assert_eq!(listed, published);
    }
}

#[test]
fn an_error_code_enum_that_drifts_is_named() {
    let mut o = openapi();
    let codes = o["components"]["schemas"]["ErrorCode"]["enum"]
        .as_sequence_mut()
        .unwrap();
    codes.retain(|c| c.as_str() != Some(ErrorCode::StaleVersion.as_str()));
    codes.push(Value::from("teapot"));
    let problems = openapi_code_problems(&o);
    assert_reports(problems.clone(), &["stale_version", "missing"]);
    assert_reports(problems, &["teapot", "not in ErrorCode::ALL"]);
}

/// The strings of `path`'s enum in the contract (nulls left out).
fn enum_at(o: &Value, path: &[&str]) -> Vec<String> {
    at(o, path)
        .and_then(Value::as_sequence)
        .unwrap_or_else(|| panic!("{path:?} has an enum"))
        .iter()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect()
}

/// End reasons and notification kinds are the code's, exactly, wherever the contract lists
/// them (what a client sends, and what it is shown).
#[test]
fn the_openapi_end_reasons_and_notification_kinds_are_the_codes() {
    let o = openapi();
    let reasons: Vec<String> = cpindex::plan::EndReason::ALL
        .iter()
        .map(|r| r.as_str().to_owned())
        .collect();
    for schema in ["EndReasonInput", "EndReason"] {
        assert_eq!(
            enum_at(&o, &["components", "schemas", schema, "enum"]),
            reasons,
            "{schema}"
        );
    }
    let kinds: Vec<String> = cpindex::notification::NotificationKind::ALL
        .iter()
        .map(|k| {
            serde_json::to_value(k)
                .unwrap()
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        enum_at(
            &o,
            &[
                "components",
                "schemas",
                "Notification",
                "properties",
                "kind",
                "enum"
            ]
        ),
        kinds
    );
}
