//! The HTTP API in `infra/template.yaml` against `cpindex::routes`: every route is an `HttpApi`
//! event of its function behind the JWT authorizer (only the web app's pages are public), no
//! other route exists, and the clinicians' lookups have a throttle of their own.

mod infra_yaml;

use std::collections::BTreeSet;

use cpindex::routes::{self, ROUTES};
use infra_yaml::*;

/// Every ROUTES entry is an HttpApi event of its function on the JWT-authorised API, and no other
/// route event exists.
fn route_problems(t: &Value) -> Vec<String> {
    let mut p = Vec::new();
    let mut got = BTreeSet::new();
    let mut got_public = BTreeSet::new();
    for (id, name, event) in function_events(t) {
        let kind = str_at(event, &["Type"]).unwrap_or("?");
        if kind == "Api" {
            p.push(format!(
                "{id}.{name}: a REST Api event; routes belong on the HttpApi"
            ));
        }
        if kind != "HttpApi" {
            continue;
        }
        let method = str_at(event, &["Properties", "Method"]).unwrap_or("?");
        let path = str_at(event, &["Properties", "Path"]).unwrap_or("?");
        let api = at(event, &["Properties", "ApiId"]).and_then(ref_target);
        expect(&mut p, api == Some("HttpApi"), || {
            format!("{id}.{name} ({method} {path}): ApiId is not !Ref HttpApi")
        });
        let authorizer = str_at(event, &["Properties", "Auth", "Authorizer"]);
        // The web app's pages: public GETs on the web function, and nothing else is public.
        if id == routes::WEB.logical_id && routes::WEB_ROUTES.contains(&path) {
            expect(
                &mut p,
                method == "GET" && authorizer == Some("NONE"),
                || {
                    format!(
                    "{id}.{name} ({method} {path}): a web page is a GET with Auth.Authorizer NONE"
                )
                },
            );
            got_public.insert(path.to_owned());
            continue;
        }
        got.insert((id.to_owned(), method.to_ascii_uppercase(), path.to_owned()));
        // Each route trusts the issuer of its roles' provider, and that one only.
        let route = ROUTES
            .iter()
            .find(|r| r.method.eq_ignore_ascii_case(method) && r.path == path);
        let want = route.map(|r| routes::authorizer(r.provider()).name);
        let effective = authorizer.unwrap_or(routes::DEFAULT_AUTHORIZER.name);
        expect(&mut p, route.is_none() || want == Some(effective), || {
            format!(
                "{id}.{name} ({method} {path}): behind {effective}; its roles' provider's \
                 authorizer is {}",
                want.unwrap_or("?")
            )
        });
    }
    let want: BTreeSet<(String, String, String)> = ROUTES
        .iter()
        .map(|r| {
            (
                r.function.logical_id.to_owned(),
                r.method.to_owned(),
                r.path.to_owned(),
            )
        })
        .collect();
    for (id, method, path) in want.difference(&got) {
        p.push(format!(
            "route {method} {path} has no HttpApi event on {id}"
        ));
    }
    for (id, method, path) in got.difference(&want) {
        p.push(format!(
            "HttpApi event {method} {path} on {id} is not in cpindex::routes::ROUTES"
        ));
    }
    for path in routes::WEB_ROUTES {
        expect(&mut p, got_public.contains(*path), || {
            format!("web page GET {path} has no public HttpApi event on WebFunction")
        });
    }

    let api = at(t, &["Resources", "HttpApi"]);
    expect(
        &mut p,
        api.and_then(|a| str_at(a, &["Type"])) == Some("AWS::Serverless::HttpApi"),
        || "resource HttpApi is missing or not an AWS::Serverless::HttpApi".to_owned(),
    );
    let auth = api.and_then(|a| at(a, &["Properties", "Auth"]));
    let default = auth.and_then(|a| str_at(a, &["DefaultAuthorizer"]));
    expect(
        &mut p,
        default == Some(routes::DEFAULT_AUTHORIZER.name),
        || {
            format!(
                "HttpApi's DefaultAuthorizer is {}, expected {}",
                default.unwrap_or("<absent>"),
                routes::DEFAULT_AUTHORIZER.name
            )
        },
    );
    for def in cpindex::claims::Provider::ALL.map(routes::authorizer) {
        let name = def.name;
        {
            let authorizer = auth.and_then(|a| at(a, &["Authorizers", name]));
            let jwt = authorizer.and_then(|a| at(a, &["JwtConfiguration"]));
            expect(&mut p, jwt.is_some(), || {
                format!("HttpApi's authorizer {name} is missing or not a JWT authorizer")
            });
            for (field, parameter) in [
                ("issuer", def.issuer_parameter),
                ("audience", def.audience_parameter),
            ] {
                let got = jwt.and_then(|j| at(j, &[field])).and_then(ref_target);
                expect(&mut p, got == Some(parameter), || {
                    format!(
                        "authorizer {name}'s {field} is {}, expected !Ref {parameter}",
                        got.unwrap_or("not a !Ref")
                    )
                });
            }
            let source = authorizer.and_then(|a| str_at(a, &["IdentitySource"]));
            expect(
                &mut p,
                source == Some("$request.header.Authorization"),
                || {
                    format!(
                        "authorizer {name} reads its token from {}, expected the Authorization \
                         header",
                        source.unwrap_or("<absent>")
                    )
                },
            );
        }
    }
    p
}

/// The clinicians' lookup routes (JSON and FHIR): each with a throttle of its own.
fn lookup_routes() -> impl Iterator<Item = &'static routes::RouteDef> {
    routes::ROUTES
        .iter()
        .filter(|r| r.throttle == routes::Throttle::Lookup)
}

/// Every lookup route has its own throttle, above the default and above every other route's,
/// so no other route's traffic can push a clinician's lookup into 429.
fn throttle_problems(t: &Value) -> Vec<String> {
    let mut p = Vec::new();
    let api = &t["Resources"]["HttpApi"]["Properties"];
    let rate = |v: &Value| v["ThrottlingRateLimit"].as_u64();
    let default = rate(&api["DefaultRouteSettings"]).unwrap_or(0);
    let keys: Vec<String> = lookup_routes()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    for key in &keys {
        let lookup = api["RouteSettings"].get(key.as_str()).and_then(rate);
        match lookup {
            None => p.push(format!("{key} has no throttle of its own (RouteSettings)")),
            Some(l) => {
                expect(&mut p, l > default, || {
                    format!("{key}'s rate limit {l} is not above the default {default}")
                });
                for (route, settings) in api["RouteSettings"].as_mapping().into_iter().flatten() {
                    let other = rate(settings).unwrap_or(0);
                    let name = route.as_str().unwrap_or("?");
                    expect(&mut p, keys.iter().any(|k| k == name) || other < l, || {
                        format!("{name}'s rate limit {other} is not below the lookup's {l}")
                    });
                }
            }
        }
    }
    p
}

#[test]
fn the_lookup_has_a_throttle_of_its_own() {
    assert_none(
        "infra/template.yaml (throttles)",
        throttle_problems(&template()),
    );
    let mut t = template();
    t["Resources"]["HttpApi"]["Properties"]
        .as_mapping_mut()
        .unwrap()
        .remove("RouteSettings");
    assert_reports(
        throttle_problems(&t),
        &["GET /v1/children/{nhsNumber}", "no throttle"],
    );
}

#[test]
fn every_route_is_a_jwt_authorised_http_api_event_on_its_function_and_no_other() {
    assert_none("infra/template.yaml (routes)", route_problems(&template()));
}

#[test]
fn a_missing_moved_extra_or_unauthorised_route_is_named() {
    let mut t = template();
    t["Resources"]["LookupFunction"]["Properties"]["Events"]["GetChild"]["Properties"]["Path"] =
        Value::from("/v1/child/{nhsNumber}");
    let problems = route_problems(&t);
    assert_reports(
        problems.clone(),
        &["/v1/children/{nhsNumber}", "no HttpApi event"],
    );
    assert_reports(problems, &["/v1/child/{nhsNumber}", "not in"]);

    let mut t = template();
    t["Resources"]["PlanUpsertFunction"]["Properties"]["Events"]["PutPlan"]["Properties"]["Auth"]
        ["Authorizer"] = Value::from("NONE");
    assert_reports(route_problems(&t), &["PutPlan", "NONE"]);

    let mut t = template();
    t["Resources"]["HttpApi"]["Properties"]["Auth"]
        .as_mapping_mut()
        .unwrap()
        .remove("DefaultAuthorizer");
    assert_reports(route_problems(&t), &["DefaultAuthorizer"]);

    // A clinician's route behind LA staff's issuer, an LA's behind NHS staff's, and an
    // authorizer trusting the other provider's issuer: each named.
    let mut t = template();
    t["Resources"]["LookupFunction"]["Properties"]["Events"]["GetChild"]["Properties"]
        .as_mapping_mut()
        .unwrap()
        .remove("Auth");
    assert_reports(route_problems(&t), &["GetChild", "NhsJwtAuthorizer"]);
    let mut t = template();
    t["Resources"]["PlanUpsertFunction"]["Properties"]["Events"]["PutPlan"]["Properties"]["Auth"] =
        serde_norway::from_str("Authorizer: NhsJwtAuthorizer").unwrap();
    assert_reports(route_problems(&t), &["PutPlan", "behind NhsJwtAuthorizer"]);
    let mut t = template();
    t["Resources"]["HttpApi"]["Properties"]["Auth"]["Authorizers"]["NhsJwtAuthorizer"]
        ["JwtConfiguration"]["issuer"] = serde_norway::from_str("!Ref JwtIssuer").unwrap();
    assert_reports(
        route_problems(&t),
        &["NhsJwtAuthorizer's issuer", "NhsJwtIssuer"],
    );
}

#[test]
fn a_web_page_behind_the_authorizer_or_an_api_route_made_public_is_named() {
    let web = routes::WEB.logical_id;
    let mut t = template();
    t["Resources"][web]["Properties"]["Events"]["AppPage"]["Properties"]
        .as_mapping_mut()
        .unwrap()
        .remove("Auth");
    assert_reports(route_problems(&t), &["WebFunction.AppPage", "NONE"]);

    let mut t = template();
    t["Resources"][routes::LOOKUP.logical_id]["Properties"]["Events"]["GetChild"]["Properties"]
        ["Auth"] = serde_norway::from_str("Authorizer: NONE").unwrap();
    assert_reports(
        route_problems(&t),
        &["GET /v1/children/{nhsNumber}", "NONE"],
    );
}
