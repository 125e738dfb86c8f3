//! NHS CIS2's tokens on the local stack, over HTTP, as API Gateway's JWT authorizers and the
//! functions read them (issue 32.3 and 32.4): each provider's issuer publishes its keys behind
//! a discovery document; a clinician's token carries RBAC roles with activity codes, never our
//! `role` claim. B0170 alone reads silently, B0107 looks up and alerts the LA, neither is
//! refused 403 and audited; a token from the other provider's issuer is refused 401 on every
//! route of the first provider's, and so is a token from another clone's keys.
//!
//! One test: the local stack's resource names are fixed and its alert consumers run.

use std::time::Duration;

use cpindex::claims::Provider;
use cpindex::{cis2, OrgCode, Role};
use integration_tests::fixtures::random_nhs_number;
use integration_tests::local::{serve, Served};
use serde_json::{json, Value};

async fn send(
    s: &Served,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = reqwest::Client::new()
        .request(method, format!("{}{path}", s.url))
        .bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.expect("the stack answers");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// The LA's alerts about `child`: how many, and the later views they carry.
async fn alerts_and_views(s: &Served, la: &str, child: &str) -> (usize, usize) {
    let (st, page) = send(s, la, reqwest::Method::GET, "/v1/notifications", None).await;
    assert_eq!(st, 200, "{page}");
    let alerts: Vec<&Value> = page["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|n| {
            n["kind"] == "child_seen"
                && n["nhsNumber"].as_str().map(|d| d.replace(' ', ""))
                    == Some(child.replace(' ', ""))
        })
        .collect();
    let later = alerts
        .iter()
        .map(|n| n["laterViews"].as_array().map_or(0, Vec::len))
        .sum();
    (alerts.len(), later)
}

async fn alerts_on(s: &Served, la: &str, child: &str) -> usize {
    alerts_and_views(s, la, child).await.0
}

fn org(code: &str) -> OrgCode {
    OrgCode::parse(code).expect("org code")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cis2_activity_codes_decide_the_lookup_and_each_route_trusts_its_providers_issuer_only() {
    let state = integration_tests::local_state_dir("cis2");
    let s = serve(&state, true).await;
    let http = reqwest::Client::new();

    // Each issuer's keys, found as API Gateway finds them: discovery, then jwks_uri.
    for provider in Provider::ALL {
        let issuer = s.auth.issuer(provider);
        let discovery: Value = http
            .get(format!("{issuer}/.well-known/openid-configuration"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(discovery["issuer"], issuer.as_str());
        let keys: local_token::JwkSet = http
            .get(discovery["jwks_uri"].as_str().unwrap())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = s.auth.mint(
            Role::ALL
                .into_iter()
                .find(|r| r.provider() == provider)
                .unwrap(),
            &org("RR801"),
            "keys-check",
            None,
            1,
        );
        let claims =
            local_token::verify(&token, &keys, &issuer, local_token::LOCAL_AUDIENCE).unwrap();
        assert_eq!(claims["iss"], issuer.as_str());
    }

    // An LA with a profile and a plan on a child.
    let suffix = uuid::Uuid::new_v4().simple().to_string()[..8].to_uppercase();
    let la_code = format!("T{suffix}");
    let la = s
        .auth
        .mint(Role::LocalAuthority, &org(&la_code), "sw-1", None, 1);
    let operator = s.auth.mint(Role::Operator, &org("X26"), "op-1", None, 1);
    let profile = json!({"name": "Test council", "team": "Front door", "emergencyDutyPhone": "0113 535 0600"});
    let (st, body) = send(
        &s,
        &operator,
        reqwest::Method::PUT,
        &format!("/v1/la-profiles/{la_code}"),
        Some(profile),
    )
    .await;
    assert!(st == 200 || st == 201, "{st} {body}");
    let child = random_nhs_number().to_string();
    let plan = json!({"nhsNumber": child, "planType": "CPP", "startDate": "2026-01-10", "sourceVersion": 1});
    let (st, body) = send(
        &s,
        &la,
        reqwest::Method::PUT,
        &format!("/v1/plans/CIS2-{suffix}"),
        Some(plan),
    )
    .await;
    assert_eq!(st, 201, "{body}");

    let ed = org("RR801");
    let cis2_token = |codes: &[&str], user: &str| {
        s.auth
            .mint_cis2(&ed, user, Some("Leeds General ED"), codes, 1)
    };
    let path = format!("/v1/children/{child}");
    // The tokens carry no role claim: only RBAC roles with activity codes.
    let silent = cis2_token(&[cis2::VIEW_FLAG_SILENT], "gp-1");
    let payload = local_token::unverified_claims(&silent).unwrap();
    assert!(payload.get("role").is_none(), "{payload}");
    assert_eq!(
        payload["nhsid_nrbac_roles"][0]["activity_codes"],
        json!([cis2::VIEW_FLAG_SILENT])
    );

    // B0170 only: the plan, silently: the LA is not alerted (the consumers run; an alert
    // takes well under a second to land).
    let (st, body) = send(&s, &silent, reqwest::Method::GET, &path, None).await;
    assert_eq!((st, &body["hasPlan"]), (200, &json!(true)), "{body}");
    for _ in 0..12 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        assert_eq!(
            alerts_on(&s, &la, &child).await,
            0,
            "a silent read alerted the LA"
        );
    }
    // Neither code (other codes a role may hold): 403, audited.
    for codes in [vec![], vec!["B0278"], vec!["B0401", "B0264"]] {
        let t = cis2_token(&codes, "porter-1");
        let (st, body) = send(&s, &t, reqwest::Method::GET, &path, None).await;
        assert_eq!(st, 403, "{codes:?}: {body}");
        assert_eq!(
            body["code"],
            cpindex::problem::ErrorCode::ForbiddenRole.as_str()
        );
    }
    // B0107 (with or without B0170 beside it): the lookup that alerts.
    for codes in [
        vec![cis2::VIEW_FLAG_NOTIFYING],
        vec![cis2::VIEW_FLAG_SILENT, cis2::VIEW_FLAG_NOTIFYING],
    ] {
        let t = cis2_token(&codes, "dr-1");
        let (st, body) = send(&s, &t, reqwest::Method::GET, &path, None).await;
        assert_eq!(
            (st, &body["hasPlan"]),
            (200, &json!(true)),
            "{codes:?}: {body}"
        );
    }

    // The audit trail says which was which.
    let purpose = "CIS2-TEST-1 checking the activity codes";
    let (st, trail) = send(
        &s,
        &operator,
        reqwest::Method::GET,
        &format!(
            "/v1/children/{child}/accesses?purpose={}",
            purpose.replace(' ', "%20")
        ),
        None,
    )
    .await;
    assert_eq!(st, 200, "{trail}");
    let mut seen: Vec<(String, String)> = trail
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["outcome"] != "history_read")
        .map(|a| {
            (
                a["role"].as_str().unwrap().to_owned(),
                a["outcome"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    seen.sort();
    let mut want: Vec<(String, String)> = [
        ("nhs_staff", "denied_role"),
        ("nhs_staff", "denied_role"),
        ("nhs_staff", "denied_role"),
        ("scheduled_care", "allowed"),
        ("unscheduled_care", "allowed"),
        ("unscheduled_care", "allowed"),
    ]
    .iter()
    .map(|(r, o)| (r.to_string(), o.to_string()))
    .collect();
    want.sort();
    assert_eq!(seen, want);

    // The LA is alerted by the B0107 lookups, never by the silent read.
    // One attendance (one clinician, twice): one alert, the second view on it. Waiting for both
    // also leaves no message of this test on the local queues for the next test's consumers.
    let mut views = (0, 0);
    for _ in 0..80 {
        views = alerts_and_views(&s, &la, &child).await;
        if views == (1, 1) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(
        views,
        (1, 1),
        "one alert reached the LA's inbox, with the later view on it"
    );

    // The other provider's issuer, on each provider's routes: 401 before any function runs.
    let la_on_nhs_route = send(&s, &la, reqwest::Method::GET, &path, None).await;
    assert_eq!(la_on_nhs_route.0, 401, "{}", la_on_nhs_route.1);
    let ed_token = cis2_token(&[cis2::VIEW_FLAG_NOTIFYING], "dr-1");
    for (method, route) in [
        (reqwest::Method::GET, "/v1/plans".to_owned()),
        (reqwest::Method::GET, "/v1/notifications".to_owned()),
        (
            reqwest::Method::GET,
            format!("/v1/children/{child}/accesses?purpose=x"),
        ),
    ] {
        let (st, body) = send(&s, &ed_token, method, &route, None).await;
        assert_eq!(st, 401, "{route}: {body}");
    }
    // Another clone's keys, for the same issuer address: 401.
    let elsewhere = std::env::temp_dir().join(format!("cpindex-cis2-{}", uuid::Uuid::new_v4()));
    let forged = local_token::LocalAuth::load_or_create(&elsewhere)
        .unwrap()
        .at_origin(&s.url)
        .mint_cis2(&ed, "dr-x", None, &[cis2::VIEW_FLAG_NOTIFYING], 1);
    assert_eq!(
        send(&s, &forged, reqwest::Method::GET, &path, None).await.0,
        401
    );
    let _ = std::fs::remove_dir_all(state);
    let _ = std::fs::remove_dir_all(elsewhere);
}
