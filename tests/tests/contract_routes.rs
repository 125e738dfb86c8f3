//! The OpenAPI contract (`infra/openapi.yaml`) against `cpindex::routes::ROUTES`: exactly the
//! code's routes, each with the roles the route table declares (`x-roles`), the body it takes,
//! its path parameters declared, 401 and 403 documented, and bearer security everywhere.

mod infra_yaml;

use std::collections::BTreeSet;

use cpindex::routes::ROUTES;
use infra_yaml::*;

const HTTP_METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "patch", "head", "options", "trace",
];

/// Every operation of the contract: (METHOD, path, operation).
fn operations(o: &Value) -> Vec<(String, String, &Value)> {
    let mut ops = Vec::new();
    for (path, item) in at(o, &["paths"])
        .and_then(Value::as_mapping)
        .into_iter()
        .flatten()
    {
        for (method, op) in item.as_mapping().into_iter().flatten() {
            let method = method.as_str().unwrap_or("?");
            if HTTP_METHODS.contains(&method) {
                ops.push((
                    method.to_ascii_uppercase(),
                    path.as_str().unwrap_or("?").to_owned(),
                    op,
                ));
            }
        }
    }
    ops
}

/// The contract has exactly the code's routes, and each documents 401 and 403.
fn openapi_route_problems(o: &Value) -> Vec<String> {
    let mut p = Vec::new();
    expect(&mut p, str_at(o, &["openapi"]) == Some("3.0.3"), || {
        format!(
            "openapi version is {}, expected 3.0.3",
            show(at(o, &["openapi"]))
        )
    });
    let ops = operations(o);
    let got: BTreeSet<(String, String)> = ops
        .iter()
        .map(|(m, path, _)| (m.clone(), path.clone()))
        .collect();
    let want: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|r| (r.method.to_owned(), r.path.to_owned()))
        .collect();
    for (method, path) in want.difference(&got) {
        p.push(format!("route {method} {path} is not in openapi.yaml"));
    }
    for (method, path) in got.difference(&want) {
        p.push(format!(
            "openapi.yaml documents {method} {path}, which is not in cpindex::routes::ROUTES"
        ));
    }
    for (method, path, op) in &ops {
        // The roles the contract documents are the roles the route table declares (and the
        // route guard enforces).
        if let Some(route) = ROUTES.iter().find(|r| r.method == method && r.path == path) {
            let documented: BTreeSet<&str> = at(op, &["x-roles"])
                .and_then(Value::as_sequence)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            let declared: BTreeSet<&str> = route.roles.iter().map(|r| r.as_str()).collect();
            expect(&mut p, documented == declared, || {
                format!("{method} {path}: x-roles {documented:?} but the route table declares {declared:?}")
            });
            let required_body =
                at(op, &["requestBody", "required"]).and_then(Value::as_bool) == Some(true);
            let csv = at(op, &["requestBody", "content", "text/csv"]).is_some();
            expect(&mut p, csv == route.takes_csv(), || {
                format!(
                    "{method} {path}: the contract {} a CSV body but the route table says takes_csv: {}",
                    if csv { "takes" } else { "does not take" },
                    route.takes_csv()
                )
            });
            expect(
                &mut p,
                required_body == (route.takes_json() || route.takes_csv()),
                || {
                    format!(
                    "{method} {path}: the contract {} a JSON body but the route table says takes_json: {}",
                    if required_body { "requires" } else { "does not require" },
                    route.takes_json()
                )
                },
            );
        }
        for status in ["401", "403"] {
            expect(&mut p, at(op, &["responses", status]).is_some(), || {
                format!("{method} {path} does not document {status}")
            });
        }
        // Every {param} of the path is declared as a path parameter.
        let declared: BTreeSet<&str> = at(op, &["parameters"])
            .and_then(Value::as_sequence)
            .into_iter()
            .flatten()
            .chain(
                at(o, &["paths", path.as_str(), "parameters"])
                    .and_then(Value::as_sequence)
                    .into_iter()
                    .flatten(),
            )
            .map(|param| resolve(o, param))
            .filter(|param| str_at(param, &["in"]) == Some("path"))
            .filter_map(|param| str_at(param, &["name"]))
            .collect();
        for name in path_params(path) {
            expect(&mut p, declared.contains(name), || {
                format!("{method} {path}: path parameter {name} is not declared")
            });
        }
    }
    let has_bearer = at(o, &["components", "securitySchemes"])
        .and_then(Value::as_mapping)
        .into_iter()
        .flatten()
        .any(|(_, s)| {
            str_at(s, &["type"]) == Some("http") && str_at(s, &["scheme"]) == Some("bearer")
        });
    expect(&mut p, has_bearer, || {
        "openapi.yaml has no http bearer security scheme".to_owned()
    });
    expect(
        &mut p,
        at(o, &["security"])
            .and_then(Value::as_sequence)
            .is_some_and(|s| !s.is_empty()),
        || "openapi.yaml does not require security globally".to_owned(),
    );
    p
}

/// Follows a local `$ref` (`#/components/...`) once.
fn resolve<'a>(o: &'a Value, v: &'a Value) -> &'a Value {
    match str_at(v, &["$ref"]).and_then(|r| r.strip_prefix("#/")) {
        Some(pointer) => {
            let path: Vec<&str> = pointer.split('/').collect();
            at(o, &path).unwrap_or(v)
        }
        None => v,
    }
}

fn path_params(path: &str) -> Vec<&str> {
    path.split('/')
        .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
        .collect()
}

#[test]
fn the_openapi_contract_has_exactly_the_routes() {
    assert_none(
        "infra/openapi.yaml (routes)",
        openapi_route_problems(&openapi()),
    );
}

#[test]
fn an_openapi_contract_that_drifts_is_named() {
    let mut o = openapi();
    o["paths"]["/v1/plans/{planRef}"]
        .as_mapping_mut()
        .unwrap()
        .remove("delete");
    assert_reports(
        openapi_route_problems(&o),
        &["DELETE /v1/plans/{planRef}", "not in openapi"],
    );

    let mut o = openapi();
    o["paths"]["/v1/secret"] =
        serde_norway::from_str("get: {responses: {'200': {description: x}}}").unwrap();
    let problems = openapi_route_problems(&o);
    assert_reports(
        problems.clone(),
        &["GET /v1/secret", "not in cpindex::routes::ROUTES"],
    );
    assert_reports(problems, &["GET /v1/secret", "401"]);

    let mut o = openapi();
    o["paths"]["/v1/dead-letters"]["get"]["x-roles"] =
        serde_norway::from_str("[operator, local_authority]").unwrap();
    assert_reports(
        openapi_route_problems(&o),
        &["GET /v1/dead-letters", "x-roles", "route table declares"],
    );
}
