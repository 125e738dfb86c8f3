//! Misuse shows, over HTTP on the local stack (served on a random port, over the emulator): a
//! user past the hourly cap is refused with 429 and `Retry-After` (JSON and FHIR) and heads its
//! organisation's privacy officer's view (and no other organisation's); an operator's audit read
//! needs a purpose, is kept with it and counted; a profile change reaches the LA's inbox and
//! history with the operator's id.
//!
//! The local stack uses fixed resource names, so each test's data is its own by organisation
//! codes and NHS numbers drawn at random.

use cpindex::usage::UsageCap;
use cpindex::{NhsNumber, OrgCode, Retention, Role};
use integration_tests::emulator_url;
use local_stack::auth::LocalAuth;
use local_stack::{bootstrap_resources, router, LocalSettings};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// The cap the tests' stack enforces (the deployed default is 1,000).
const CAP: u32 = 5;

struct Stack {
    url: String,
    auth: LocalAuth,
    http: reqwest::Client,
    emu: integration_tests::Emulator,
    table: adapters::store::Table,
}

async fn stack() -> Stack {
    let state = integration_tests::local_state_dir("oversight");
    let settings = LocalSettings {
        port: 0,
        emulator_url: emulator_url(),
        state_dir: state.clone(),
    };
    let mut stack = bootstrap_resources(&settings)
        .await
        .unwrap_or_else(|e| panic!("is the emulator running at {}? {e}", emulator_url()));
    stack.usage_cap = UsageCap::new(CAP).unwrap();
    let emu = integration_tests::Emulator::connect();
    let table = adapters::store::Table::new(emu.dynamo.clone(), &stack.table);
    let auth = LocalAuth::load_or_create(&state).expect("local secret");
    let app = router(
        stack,
        auth.clone(),
        Retention::default(),
        "http://127.0.0.1:3000",
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Stack {
        url,
        auth,
        http: reqwest::Client::new(),
        emu,
        table,
    }
}

/// A random organisation code (`Q` and 6 digits: no real ODS code looks like it).
fn random_org() -> OrgCode {
    let n = uuid::Uuid::new_v4().as_u128() % 1_000_000;
    OrgCode::parse(&format!("Q{n:06}")).unwrap()
}

use integration_tests::fixtures::random_nhs_number as nhs;

impl Stack {
    fn token(&self, role: Role, org: &OrgCode, user: &str) -> String {
        self.auth.mint(role, org, user, None, 1)
    }

    async fn get(&self, token: &str, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
        let mut req = self
            .http
            .get(format!("{}{path}", self.url))
            .bearer_auth(token);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.send().await.expect("the stack answers")
    }

    async fn json(&self, token: &str, path: &str) -> (StatusCode, Value) {
        let resp = self.get(token, path, &[]).await;
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    async fn look_up(&self, token: &str) -> reqwest::Response {
        self.get(token, &format!("/v1/children/{}", nhs().digits()), &[])
            .await
    }

    async fn usage(&self, token: &str, query: &str) -> (StatusCode, Value) {
        self.json(token, &format!("/v1/usage{query}")).await
    }

    /// Every access item written under the child key of `nhs`.
    async fn trail_items(&self, nhs: &NhsNumber) -> usize {
        let pk = cpindex::keys::key::child_pk(&integration_tests::child_key(nhs));
        self.emu
            .scan_all(&self.table)
            .await
            .iter()
            .filter(|i| i.get("pk").and_then(|v| v.as_s().ok()) == Some(&pk))
            .count()
    }
}

#[tokio::test]
async fn a_user_past_the_cap_is_refused_and_heads_its_own_organisation_s_view_only() {
    let s = stack().await;
    let (captured, _guard) = integration_tests::logs::capture();
    let (trust, other) = (random_org(), random_org());
    let scraper = s.token(Role::UnscheduledCare, &trust, "scraper");
    let nurse = s.token(Role::UnscheduledCare, &trust, "nurse");
    let elsewhere = s.token(Role::UnscheduledCare, &other, "registrar");
    for _ in 0..CAP {
        assert_eq!(s.look_up(&scraper).await.status(), StatusCode::OK);
    }
    // Past the cap: 429 with Retry-After (to the end of the hour), JSON and FHIR alike.
    let refused = s.look_up(&scraper).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u32 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=3600).contains(&retry), "{retry}");
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["code"], "too_many_lookups");
    let fhir = s
        .get(
            &scraper,
            &format!(
                "/FHIR/R4/CareTeam?patient:identifier=https://fhir.nhs.uk/Id/nhs-number|{}",
                nhs().digits()
            ),
            &[
                ("nhsd-end-user-organisation-ods", trust.as_str()),
                ("X-Request-ID", &uuid::Uuid::new_v4().to_string()),
                ("TraceID", &uuid::Uuid::new_v4().to_string()),
                ("IsUnscheduledAccessEvent", "true"),
            ],
        )
        .await;
    assert_eq!(fhir.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(fhir.headers().contains_key("retry-after"));
    let outcome: Value = fhir.json().await.unwrap();
    assert_eq!(outcome["resourceType"], "OperationOutcome");
    assert_eq!(outcome["issue"][0]["code"], "throttled");
    // Passing the cap is logged once for the alarm (naming the organisation, never the user),
    // however many lookups it refuses.
    let passed = captured.events(cpindex::log::LOOKUP_CAP_PASSED);
    assert_eq!(passed.len(), 1, "{passed:?}");
    assert_eq!(passed[0]["fields"]["org"], trust.as_str());
    assert!(!passed[0].to_string().contains("scraper"));
    // Another user of the same organisation is not affected.
    assert_eq!(s.look_up(&nurse).await.status(), StatusCode::OK);
    for _ in 0..3 {
        assert_eq!(s.look_up(&elsewhere).await.status(), StatusCode::OK);
    }

    // The trust's privacy officer: the scraper first, with why; the nurse quiet.
    let officer = s.token(Role::PrivacyOfficer, &trust, "caldicott");
    let (status, view) = s.usage(&officer, "").await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["org"], trust.as_str());
    assert_eq!(view["capPerHour"], CAP);
    let users = view["users"].as_array().unwrap();
    assert_eq!(users[0]["user"], "scraper", "{view}");
    assert_eq!(users[0]["standsOut"], true);
    assert!(users[0]["reasons"]
        .as_array()
        .unwrap()
        .contains(&json!("passed_cap")));
    // 7 counted (5 answered, 2 refused): refused counts below 5 are never shown as such.
    assert_eq!(users[0]["lookups"], json!({"shown": "exact", "value": 7}));
    assert_eq!(users[0]["overCap"], json!({"shown": "fewer_than_5"}));
    let nurse_row = users.iter().find(|u| u["user"] == "nurse").unwrap();
    assert_eq!(nurse_row["standsOut"], false);
    assert_eq!(nurse_row["lookups"], json!({"shown": "fewer_than_5"}));
    assert!(users.iter().all(|u| u["user"] != "registrar"));
    // As CSV: the same order.
    let csv = s
        .get(&officer, "/v1/usage", &[("accept", "text/csv")])
        .await
        .text()
        .await
        .unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some(cpindex::usage::CSV_HEADER));
    assert!(lines
        .next()
        .unwrap()
        .starts_with("scraper,unscheduled_care,7,"));

    // The other organisation's officer sees its own users and never the scraper, and may not
    // ask for the trust's view.
    let their_officer = s.token(Role::PrivacyOfficer, &other, "ig-lead");
    let (_, theirs) = s.usage(&their_officer, "").await;
    let names: Vec<&str> = theirs["users"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|u| u["user"].as_str())
        .collect();
    assert_eq!(names, vec!["registrar"]);
    let (status, refused) = s
        .usage(&their_officer, &format!("?org={}", trust.as_str()))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(refused["field"], "org");
    // An operator reads any organisation's.
    let operator = s.token(Role::Operator, &random_org(), "ops-1");
    let (_, by_operator) = s
        .usage(&operator, &format!("?org={}", trust.as_str()))
        .await;
    assert_eq!(by_operator["users"][0]["user"], "scraper");
    // A clinician may not read the view at all: the route trusts LA and service staff's issuer
    // only, and the clinician's token comes from NHS staff's.
    assert_eq!(s.usage(&nurse, "").await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_audit_read_needs_a_purpose_and_is_kept_with_it_and_counted() {
    let s = stack().await;
    let ops_org = random_org();
    let operator = s.token(Role::Operator, &ops_org, "ops-7");
    let child = nhs();
    let path = format!("/v1/children/{}/accesses", child.digits());
    // Without a purpose, or with one that says nothing: refused, and nothing recorded.
    for query in ["", "?purpose=", "?purpose=%20%20", "?purpose=because"] {
        let (status, body) = s.json(&operator, &format!("{path}{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert_eq!(body["code"], "purpose_required");
        assert_eq!(body["field"], "/purpose");
    }
    assert_eq!(s.trail_items(&child).await, 0);
    let (_, view) = s
        .usage(&operator, &format!("?org={}", ops_org.as_str()))
        .await;
    assert_eq!(view["users"], json!([]));

    // With one: served, the read first in the trail with its purpose, counted.
    let purpose = "SAR-2026-114: the mother's subject access request";
    let (status, trail) = s
        .json(&operator, &format!("{path}?purpose={}", urlencode(purpose)))
        .await;
    assert_eq!(status, StatusCode::OK, "{trail}");
    assert_eq!(trail[0]["outcome"], "history_read");
    assert_eq!(trail[0]["purpose"], purpose);
    assert_eq!(trail[0]["userId"], "ops-7");
    assert_eq!(s.trail_items(&child).await, 1);
    let (_, view) = s
        .usage(&operator, &format!("?org={}", ops_org.as_str()))
        .await;
    assert_eq!(view["users"][0]["user"], "ops-7");
    assert_eq!(
        view["users"][0]["auditReads"],
        json!({"shown": "fewer_than_5"})
    );
}

#[tokio::test]
async fn a_profile_change_reaches_the_la_s_inbox_and_history_with_the_operator_s_id() {
    let s = stack().await;
    let la = random_org();
    let operator = s.token(Role::Operator, &random_org(), "ops-3");
    let put = |body: Value| {
        let (s, operator, la) = (&s, &operator, &la);
        async move {
            s.http
                .put(format!("{}/v1/la-profiles/{}", s.url, la.as_str()))
                .bearer_auth(operator)
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    let first =
        json!({"name": "Test LA", "team": "Front Door", "emergencyDutyPhone": "0113 535 0600"});
    assert_eq!(put(first.clone()).await, StatusCode::OK);
    let mut second = first.clone();
    second["emergencyDutyPhone"] = json!("0113 535 0601");
    assert_eq!(put(second.clone()).await, StatusCode::OK);
    // The same values again: not a change (nothing more recorded, nobody told again).
    assert_eq!(put(second).await, StatusCode::OK);

    let la_token = s.token(Role::LocalAuthority, &la, "sw-1");
    let path = format!("/v1/la-profiles/{}/history", la.as_str());
    let (status, history) = s.json(&la_token, &path).await;
    assert_eq!(status, StatusCode::OK, "{history}");
    let items = history["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{history}");
    assert_eq!(items[0]["by"], "ops-3");
    assert_eq!(items[0]["byRole"], "operator");
    assert_eq!(items[0]["changed"], json!(["emergencyDutyPhone"]));
    assert_eq!(items[0]["before"]["emergencyDutyPhone"], "0113 535 0600");
    assert_eq!(items[0]["after"]["emergencyDutyPhone"], "0113 535 0601");
    assert!(items[1].get("before").is_none());

    // The LA's inbox: one note per change, with who, never sent anywhere.
    let (_, inbox) = s.json(&la_token, "/v1/notifications").await;
    let notes: Vec<&Value> = inbox["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "profile_changed")
        .collect();
    assert_eq!(notes.len(), 2, "{inbox}");
    assert_eq!(notes[0]["seenBy"], "ops-3");
    assert_eq!(notes[0]["status"], "inbox");
    assert_eq!(notes[0]["profileChange"]["changeId"], items[0]["changeId"]);

    // Another LA reads neither the history nor the notes.
    let other = s.token(Role::LocalAuthority, &random_org(), "sw-2");
    assert_eq!(s.json(&other, &path).await.0, StatusCode::NOT_FOUND);
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
