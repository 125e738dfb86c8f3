//! A child whose NHS number is not known, against the emulator: plans recorded with
//! demographics (or without a number at all), a clinician's search by date of birth, sex and
//! family name, the LA alerted on an unscheduled-care match, and no name or date of birth held
//! anywhere in clear (`cpindex::demographics`).

use adapters::queue::SqsQueue;
use adapters::store::demographics::DemographicIndex;
use adapters::store::unmatched::UnmatchedStore;
use adapters::store::Table;
use alert_fanout::Fanout;
use axum::Router;
use chrono::{Duration, TimeZone, Utc};
use cpindex::demographics::{ChildSearch, MatchKind};
use cpindex::keys::{attr, keep, ALERT_DELIVERY_QUEUE, ALERT_FANOUT_QUEUE};
use cpindex::notification::NotificationKind;
use cpindex::unmatched::UnmatchedState;
use cpindex::{FixedClock, OrgCode, Retention};
use integration_tests::fixtures::{CAMDEN, CHILD, LEEDS, PROFILED_LAS};
use integration_tests::http::{call, la, request, Answer, As};
use integration_tests::{logs, Emulator};
use local_stack::poller::poll_once;
use proptest::strategy::{Strategy, ValueTree};
use serde_json::{json, Value};
use std::collections::BTreeMap;

const ED: As<'static> = Some(("unscheduled_care", "RR801", "dr-1"));
const CLINIC: As<'static> = Some(("scheduled_care", "RR802", "hv-1"));

/// The family names, dates of birth and spellings these tests use: none may be stored.
const BIRTH_DATE: &str = "2019-04-02";
const NAME: &str = "Thompson";
const SAME_SOUND: &str = "Thomson";
const UNMATCHED_NAME: &str = "Ó'Súilleabháin";
const UNMATCHED_BIRTH: &str = "2026-11-30";

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 6, 3, 0, 0).unwrap()
}

struct Fixture {
    emu: Emulator,
    table: Table,
    fanout_url: String,
    delivery_url: String,
    delivery_dlq: String,
    upsert: Router,
    lookup: Router,
    fanout: Fanout<SqsQueue, FixedClock>,
}

async fn fixture() -> Fixture {
    integration_tests::capture_logs();
    let emu = Emulator::connect();
    let table = emu.fresh_table().await;
    let (fanout_queue, fanout_urls) = emu.fresh_queue(&ALERT_FANOUT_QUEUE).await;
    let (delivery_queue, delivery_urls) = emu.fresh_queue(&ALERT_DELIVERY_QUEUE).await;
    let retention = Retention::default();
    let upsert = plan_upsert::router(plan_upsert::App::new(
        table.clone(),
        integration_tests::child_keys(),
        retention,
        FixedClock::at(now() - Duration::days(1)),
    ));
    let lookup = lookup::router(lookup::App::new(
        table.clone(),
        fanout_queue,
        integration_tests::child_keys(),
        retention,
        FixedClock::at(now()),
    ));
    let fanout = Fanout::new(
        table.clone(),
        delivery_queue,
        retention,
        FixedClock::at(now()),
    );
    Fixture {
        emu,
        table,
        fanout_url: fanout_urls.queue,
        delivery_url: delivery_urls.queue,
        delivery_dlq: delivery_urls.dlq,
        upsert,
        lookup,
        fanout,
    }
}

fn plan(plan_ref: &str, version: u64, name: &str) -> Value {
    json!({
        "planRef": plan_ref, "nhsNumber": CHILD, "planType": "CPP", "startDate": "2026-01-10",
        "sourceVersion": version, "birthDate": BIRTH_DATE, "sex": "female", "familyName": name,
    })
}

fn search(name: &str, birth: &str, sex: &str, widen: bool) -> Value {
    json!({"birthDate": birth, "sex": sex, "familyName": name, "widen": widen})
}

impl Fixture {
    /// Runs reconciliation to the end; returns what `org`'s report and indicators say of its
    /// unmatched plans (listed references, indicator count).
    async fn reconciled(&self, org: &str) -> (Vec<String>, u64) {
        let r = reconcile::Reconciler::new(
            self.table.clone(),
            SqsQueue::new(self.emu.sqs.clone(), &self.fanout_url),
            SqsQueue::new(self.emu.sqs.clone(), &self.delivery_url),
            SqsQueue::new(self.emu.sqs.clone(), &self.delivery_dlq),
            Retention::default(),
            FixedClock::at(now()),
        );
        let run = r
            .run(reconcile::Budget {
                deadline: std::time::Instant::now() + std::time::Duration::from_secs(60),
                max_pages: None,
            })
            .await
            .unwrap();
        assert!(run.complete);
        let code = OrgCode::parse(org).unwrap();
        let report = adapters::store::reports::ReportStore::new(self.table.clone())
            .latest_la(&code)
            .await
            .unwrap()
            .unwrap();
        let listed = report["findings"]["unmatched"]["items"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        let week = adapters::store::indicators::IndicatorStore::new(self.table.clone())
            .week(cpindex::indicators::IsoWeek::of(now()))
            .await
            .unwrap();
        let counted = week
            .iter()
            .find(|w| w.org == code)
            .map_or(0, |w| w.counts.get("dq_unmatched"));
        (listed, counted)
    }

    /// A request without a body to plan-upsert, as `org`'s LA.
    async fn send(&self, org: &str, method: &str, uri: &str) -> Answer {
        call(&self.upsert, request(method, uri, la(org), None)).await
    }

    /// `PUT /v1/plans/{plan_ref}` (the reference travels in the URL only).
    async fn put(&self, org: &str, plan_ref: &str, body: &Value) -> Answer {
        let mut body = body.clone();
        body.as_object_mut().unwrap().remove("planRef");
        let body = &body;
        call(
            &self.upsert,
            request("PUT", &format!("/v1/plans/{plan_ref}"), la(org), Some(body)),
        )
        .await
    }

    async fn search(&self, caller: As<'_>, body: &Value) -> Answer {
        call(
            &self.lookup,
            request("POST", "/v1/child-searches", caller, Some(body)),
        )
        .await
    }

    /// Hands what the searches queued to fan-out; returns how many messages it took.
    async fn fan_out(&self) -> usize {
        let fanout = &self.fanout;
        let p = poll_once(&self.emu.sqs, &self.fanout_url, 10, 0, |e| async move {
            fanout.handle(&e).await
        })
        .await
        .unwrap();
        assert_eq!(p.failed, 0);
        p.received
    }

    async fn notifications(&self, org: &str) -> Vec<cpindex::notification::Notification> {
        adapters::store::notifications::NotificationStore::new(self.table.clone())
            .list(&OrgCode::parse(org).unwrap(), false, 50, None)
            .await
            .unwrap()
            .items
            .into_iter()
            .filter(|n| n.kind == NotificationKind::DemographicMatch)
            .collect()
    }
}

fn outcome(a: &Answer) -> &str {
    a.body["outcome"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn a_plan_with_demographics_is_found_exactly_and_by_sound_but_not_by_another_birth_date() {
    let f = fixture().await;
    let put = f.put(LEEDS, "CP-D1", &plan("CP-D1", 1, NAME)).await;
    assert_eq!(put.status, 201, "{put:?}");

    // The exact triple, however the name is typed.
    for typed in [NAME, "THOMPSON", " thompson ", "Thomp-son"] {
        let a = f
            .search(ED, &search(typed, BIRTH_DATE, "female", false))
            .await;
        assert_eq!(
            (a.status.as_u16(), outcome(&a)),
            (200, "possible_match"),
            "{typed}: {a:?}"
        );
        let m = &a.body["matches"][0];
        assert_eq!(m["la"]["code"], LEEDS);
        assert_eq!(m["la"]["emergencyDutyPhone"], "0113 535 0600");
        assert_eq!(
            (m["planType"].as_str(), m["match"].as_str()),
            (Some("CPP"), Some("exact"))
        );
        assert_eq!(a.body["matches"].as_array().unwrap().len(), 1);
        // Never who the child is.
        let text = a.body.to_string();
        assert!(!text.contains(CHILD) && !text.contains("CP-D1") && !text.contains("nhsNumber"));
        assert!(!text.to_lowercase().contains("thompson"), "{text}");
    }
    // A misspelling of the same sound: only when the clinician widens the search.
    let narrow = f
        .search(ED, &search(SAME_SOUND, BIRTH_DATE, "female", false))
        .await;
    assert_eq!(outcome(&narrow), "no_match", "{narrow:?}");
    assert!(narrow.body["advice"].as_str().unwrap().contains("widen"));
    let wide = f
        .search(ED, &search(SAME_SOUND, BIRTH_DATE, "female", true))
        .await;
    assert_eq!(outcome(&wide), "possible_match", "{wide:?}");
    assert_eq!(wide.body["matches"][0]["match"], "sounds_alike");
    assert_eq!(wide.body["widened"], true);
    // Another date of birth, or sex, is no match, widened or not; nor is another name.
    for (name, birth, sex) in [
        (NAME, "2019-04-03", "female"),
        (SAME_SOUND, "2018-04-02", "female"),
        (NAME, BIRTH_DATE, "male"),
        ("Jones", BIRTH_DATE, "female"),
    ] {
        let a = f.search(ED, &search(name, birth, sex, true)).await;
        assert_eq!(outcome(&a), "no_match", "{name} {birth} {sex}: {a:?}");
        assert!(a.body["matches"].as_array().unwrap().is_empty());
    }
    // The plan's demographics change: the old ones find nothing any more.
    let moved = f.put(LEEDS, "CP-D1", &plan("CP-D1", 2, "Jones")).await;
    assert_eq!(moved.status, 200, "{moved:?}");
    let old = f
        .search(ED, &search(NAME, BIRTH_DATE, "female", true))
        .await;
    assert_eq!(outcome(&old), "no_match", "{old:?}");
    let new = f
        .search(CLINIC, &search("jones", BIRTH_DATE, "female", false))
        .await;
    assert_eq!(outcome(&new), "possible_match", "{new:?}");
    // Withdrawn: found by nobody.
    let gone = call(
        &f.upsert,
        request("DELETE", "/v1/plans/CP-D1?sourceVersion=3", la(LEEDS), None),
    )
    .await;
    assert_eq!(gone.status, 200, "{gone:?}");
    let after = f
        .search(ED, &search("Jones", BIRTH_DATE, "female", true))
        .await;
    assert_eq!(outcome(&after), "no_match", "{after:?}");
    // Every search is audited under its exact key, refused or not.
    let keys = integration_tests::child_keys();
    let exact = ChildSearch::from_json(
        &search(NAME, BIRTH_DATE, "female", false),
        now().date_naive(),
    )
    .unwrap()
    .demographics
    .key_for(&keys, MatchKind::Exact);
    let audited = DemographicIndex::new(f.table.clone())
        .searches(&exact)
        .await
        .unwrap();
    assert_eq!(audited.len(), 5, "{audited:?}");
    assert!(audited.iter().all(|s| s.searcher.org.as_str() == "RR801"));
}

#[tokio::test]
async fn bad_searches_are_refused_by_field_and_change_nothing() {
    let f = fixture().await;
    // What is stored, apart from the callers' hourly counts (a refused role is counted) and
    // the key fingerprint the first request claims an empty table with.
    let stored = |items: Vec<adapters::store::Item>| {
        items
            .into_iter()
            .filter(|i| {
                let kind = i.get(attr::ENTITY).and_then(|v| v.as_s().ok());
                !matches!(kind.map(String::as_str), Some("usage" | "key_fingerprint"))
            })
            .count()
    };
    let before = stored(f.emu.scan_all(&f.table).await);
    // Generated members of each bad class, each refused with its field.
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let names = "[A-Za-z]{0,5}[0-9@#%&*_+=!?/]{1,3}[A-Za-z]{0,5}";
    let dates = "[0-9]{2}/[0-9]{2}/[0-9]{4}|[0-9]{4}-1[3-9]-[0-9]{2}|2027-0[1-9]-1[0-9]";
    let sexes = "[MFUO]|man|woman|[a-z]{8,12}";
    for _ in 0..8 {
        let name = names.new_tree(&mut runner).unwrap().current();
        let date = dates.new_tree(&mut runner).unwrap().current();
        let sex = sexes.new_tree(&mut runner).unwrap().current();
        for (body, field, code) in [
            (
                search(&name, BIRTH_DATE, "female", false),
                "/familyName",
                "invalid_family_name",
            ),
            (
                search(NAME, &date, "female", false),
                "/birthDate",
                "invalid_date",
            ),
            (search(NAME, BIRTH_DATE, &sex, false), "/sex", "invalid_sex"),
        ] {
            let a = f.search(ED, &body).await;
            assert_eq!(a.status, 400, "{body}: {a:?}");
            assert_eq!(
                (a.body["field"].as_str(), a.body["code"].as_str()),
                (Some(field), Some(code)),
                "{body}"
            );
            // The refusal never repeats what was typed.
            assert!(!a.body.to_string().contains(&name), "{a:?}");
        }
    }
    let missing = f
        .search(ED, &json!({"birthDate": BIRTH_DATE, "sex": "female"}))
        .await;
    assert_eq!(
        (missing.status.as_u16(), missing.body["field"].as_str()),
        (400, Some("/familyName"))
    );
    // Neither role of an LA nor an operator may search.
    for who in [la(LEEDS), Some(("operator", "X26", "op-1"))] {
        assert_eq!(
            f.search(who, &search(NAME, BIRTH_DATE, "female", false))
                .await
                .status,
            403
        );
    }
    assert_eq!(
        stored(f.emu.scan_all(&f.table).await),
        before,
        "a refused search wrote something"
    );
}

#[tokio::test]
async fn more_than_three_possible_matches_are_never_listed() {
    let f = fixture().await;
    for (i, org) in PROFILED_LAS.iter().take(3).enumerate() {
        assert_eq!(
            f.put(
                org,
                &format!("CP-M{i}"),
                &plan(&format!("CP-M{i}"), 1, NAME)
            )
            .await
            .status,
            201
        );
    }
    let three = f
        .search(ED, &search(NAME, BIRTH_DATE, "female", false))
        .await;
    assert_eq!(outcome(&three), "possible_match", "{three:?}");
    let mut listed: Vec<&str> = three.body["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["la"]["code"].as_str().unwrap())
        .collect();
    listed.sort_unstable();
    let mut want: Vec<&str> = PROFILED_LAS[..3].to_vec();
    want.sort_unstable();
    assert_eq!(listed, want);
    assert_eq!(f.fan_out().await, 1, "one alert message for the three LAs");
    for org in &PROFILED_LAS[..3] {
        assert_eq!(f.notifications(org).await.len(), 1, "{org}");
    }
    // A fourth: too many, and none listed, none alerted.
    assert_eq!(
        f.put(PROFILED_LAS[3], "CP-M3", &plan("CP-M3", 1, NAME))
            .await
            .status,
        201
    );
    for widen in [false, true] {
        let four = f
            .search(ED, &search(NAME, BIRTH_DATE, "female", widen))
            .await;
        assert_eq!(outcome(&four), "too_many_matches", "{four:?}");
        assert!(four.body["matches"].as_array().unwrap().is_empty());
        assert!(
            four.body["advice"].as_str().unwrap().contains("narrow")
                || four.body["advice"].as_str().unwrap().contains("Check")
        );
    }
    assert!(
        f.emu.receive(&f.fanout_url).await.is_empty(),
        "too many: nobody alerted"
    );
}

#[tokio::test]
async fn an_unscheduled_care_match_alerts_the_la() {
    let f = fixture().await;
    assert_eq!(
        f.put(LEEDS, "CP-A1", &plan("CP-A1", 1, NAME)).await.status,
        201
    );
    assert_eq!(
        f.put(CAMDEN, "CP-A2", &plan("CP-A2", 1, "Jones"))
            .await
            .status,
        201
    );
    // Scheduled care searches silently.
    let silent = f
        .search(CLINIC, &search(NAME, BIRTH_DATE, "female", false))
        .await;
    assert_eq!(outcome(&silent), "possible_match");
    assert!(
        f.emu.receive(&f.fanout_url).await.is_empty(),
        "scheduled care alerts no one"
    );
    // Unscheduled care: the LA whose plan matched, and only it, is alerted.
    let seen = f
        .search(ED, &search(SAME_SOUND, BIRTH_DATE, "female", true))
        .await;
    assert_eq!(outcome(&seen), "possible_match");
    assert_eq!(f.fan_out().await, 1);
    let told = f.notifications(LEEDS).await;
    assert_eq!(told.len(), 1, "{told:?}");
    let n = &told[0];
    assert_eq!(n.kind, NotificationKind::DemographicMatch);
    assert_eq!(n.nhs_number, None, "a possible match names no child");
    assert_eq!(n.access_id, seen.body["searchId"].as_str().unwrap());
    assert_eq!(n.setting_code.as_str(), "RR801");
    let m = n.demographic_match.as_ref().unwrap();
    assert_eq!(
        (m.plan_ref.as_str(), m.matched, m.widened),
        ("CP-A1", MatchKind::SoundsAlike, true)
    );
    // What the LA's webhook receives: which of its plans matched and how, no NHS number.
    let body = n.webhook_body();
    assert_eq!(body["type"], "child_possibly_seen_in_unscheduled_care");
    assert_eq!(body["searchId"], seen.body["searchId"]);
    assert_eq!(
        body["demographicMatch"],
        json!({"planRef": "CP-A1", "planType": "CPP", "match": "sounds_alike", "widened": true})
    );
    assert!(body.get("nhsNumber").is_none() && !body.to_string().contains(CHILD));
    assert!(f.notifications(CAMDEN).await.is_empty());
    // Queued for delivery, and waiting for its acknowledgement like any alert.
    let queued = f.emu.receive(&f.delivery_url).await;
    assert_eq!(queued.len(), 1);
    assert!(queued[0].body().unwrap().contains(&n.notification_id));
    let due = adapters::store::overdue::OverdueStore::new(f.table.clone())
        .waiting_until(now() + Duration::days(30))
        .await
        .unwrap();
    assert!(due.iter().any(|d| d.notification_id == n.notification_id));
}

#[tokio::test]
async fn an_unmatched_plan_becomes_an_ordinary_one_when_its_nhs_number_arrives() {
    let f = fixture().await;
    let unmatched = json!({
        "nhsNumberAbsentReason": "newborn", "planType": "CPP", "startDate": "2026-12-01",
        "sourceVersion": 1, "birthDate": UNMATCHED_BIRTH, "sex": "male", "familyName": UNMATCHED_NAME,
    });
    // Without demographics, or with a number as well, it is refused (nothing written).
    let mut bare = unmatched.clone();
    for k in ["birthDate", "sex", "familyName"] {
        bare.as_object_mut().unwrap().remove(k);
    }
    let refused = f.put(LEEDS, "CP-U1", &bare).await;
    assert_eq!(
        (refused.status.as_u16(), refused.body["field"].as_str()),
        (400, Some("/birthDate")),
        "{refused:?}"
    );
    let mut both = unmatched.clone();
    both["nhsNumber"] = json!(CHILD);
    assert_eq!(
        f.put(LEEDS, "CP-U1", &both).await.body["code"],
        "invalid_nhs_number_absent_reason"
    );
    let mut bad_reason = unmatched.clone();
    bad_reason["nhsNumberAbsentReason"] = json!("unknown");
    assert_eq!(
        f.put(LEEDS, "CP-U1", &bad_reason).await.body["code"],
        "invalid_nhs_number_absent_reason"
    );

    let put = f.put(LEEDS, "CP-U1", &unmatched).await;
    assert_eq!(put.status, 201, "{put:?}");
    assert_eq!(put.body["matching"], "unmatched");
    assert_eq!(put.body["nhsNumberAbsentReason"], "newborn");
    assert_eq!(
        f.put(LEEDS, "CP-U1", &unmatched).await.body["outcome"],
        "unchanged"
    );
    // Found only by a demographic search (spelt without its accents, too).
    let found = f
        .search(
            ED,
            &search("O'Suilleabhain", UNMATCHED_BIRTH, "male", false),
        )
        .await;
    assert_eq!(outcome(&found), "possible_match", "{found:?}");
    assert_eq!(found.body["matches"][0]["la"]["code"], LEEDS);
    let by_number = call(
        &f.lookup,
        request("GET", &format!("/v1/children/{CHILD}"), ED, None),
    )
    .await;
    assert_eq!(
        by_number.body["plans"].as_array().map(Vec::len),
        Some(0),
        "{by_number:?}"
    );
    let store = UnmatchedStore::new(f.table.clone(), Retention::default());
    let leeds = OrgCode::parse(LEEDS).unwrap();
    let listed = store.list(&leeds).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].state, UnmatchedState::Unmatched);
    // Listed in the LA's reconciliation report, and counted in its indicators.
    assert_eq!(f.reconciled(LEEDS).await, (vec!["CP-U1".to_owned()], 1));

    // The number arrives: the same reference becomes an ordinary plan.
    let mut matched = unmatched.clone();
    matched
        .as_object_mut()
        .unwrap()
        .remove("nhsNumberAbsentReason");
    matched["nhsNumber"] = json!(CHILD);
    matched["sourceVersion"] = json!(2);
    let moved = f.put(LEEDS, "CP-U1", &matched).await;
    assert_eq!(moved.status, 201, "{moved:?}");
    let by_number = call(
        &f.lookup,
        request("GET", &format!("/v1/children/{CHILD}"), ED, None),
    )
    .await;
    assert_eq!(
        by_number.body["plans"][0]["planType"], "CPP",
        "{by_number:?}"
    );
    let record = store
        .get(&leeds, &cpindex::PlanRef::parse("CP-U1", "").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.state, UnmatchedState::Matched);
    assert_eq!(record.matched_at, Some(now() - Duration::days(1)));
    assert_eq!(
        f.reconciled(LEEDS).await,
        (Vec::new(), 0),
        "matched: no longer listed"
    );
    // Still found by its demographics, once, now as the plan it became.
    let again = f
        .search(ED, &search(UNMATCHED_NAME, UNMATCHED_BIRTH, "male", false))
        .await;
    assert_eq!(
        again.body["matches"].as_array().map(Vec::len),
        Some(1),
        "{again:?}"
    );
    // A plan never loses its number.
    let back = f.put(LEEDS, "CP-U1", &json!({
        "nhsNumberAbsentReason": "not_traceable", "planType": "CPP", "startDate": "2026-12-01",
        "sourceVersion": 3, "birthDate": UNMATCHED_BIRTH, "sex": "male", "familyName": UNMATCHED_NAME,
    })).await;
    assert_eq!(
        (back.status.as_u16(), back.body["code"].as_str()),
        (409, Some("nhs_number_known")),
        "{back:?}"
    );
}

/// Every string a test here may have stored a name or date of birth as.
/// Whether `text` holds `word` not inside a longer run of letters and digits: a four-letter sound
/// code may well occur inside a random request id.
fn holds_word(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

fn forbidden() -> Vec<String> {
    let mut out: Vec<String> = [
        NAME,
        SAME_SOUND,
        UNMATCHED_NAME,
        "Jones",
        "Suilleabhain",
        BIRTH_DATE,
        UNMATCHED_BIRTH,
    ]
    .iter()
    .map(|s| s.to_lowercase())
    .collect();
    for raw in [NAME, UNMATCHED_NAME, "Jones"] {
        let n = cpindex::demographics::normalise(raw).unwrap();
        out.push(n.normalised().to_owned());
        out.push(n.phonetic().to_lowercase());
    }
    out.extend(["20190402".into(), "2019/04/02".into(), "02/04/2019".into()]);
    out
}

#[tokio::test]
async fn no_name_or_birth_date_is_stored_in_clear() {
    let (captured, _guard) = logs::capture();
    let f = fixture().await;
    assert_eq!(
        f.put(LEEDS, "CP-C1", &plan("CP-C1", 1, NAME)).await.status,
        201
    );
    let batch = json!({"mode": "delta", "records": [plan("CP-C2", 1, "Jones")]});
    let ack = call(
        &f.upsert,
        request("POST", "/v1/plan-batches", la(CAMDEN), Some(&batch)),
    )
    .await;
    assert_eq!(ack.body["fileOutcome"], "all_loaded", "{ack:?}");
    let unmatched = json!({
        "nhsNumberAbsentReason": "not_registered", "planType": "LAC", "startDate": "2026-11-01",
        "sourceVersion": 1, "birthDate": UNMATCHED_BIRTH, "sex": "male", "familyName": UNMATCHED_NAME,
    });
    assert_eq!(f.put(LEEDS, "CP-C3", &unmatched).await.status, 201);
    for body in [
        search(SAME_SOUND, BIRTH_DATE, "female", true),
        search("Jones", BIRTH_DATE, "female", false),
        search(UNMATCHED_NAME, UNMATCHED_BIRTH, "male", false),
    ] {
        assert_eq!(outcome(&f.search(ED, &body).await), "possible_match");
    }
    // The queued alerts, read before fan-out takes them.
    let queued: Vec<String> = f
        .emu
        .receive(&f.fanout_url)
        .await
        .iter()
        .filter_map(|m| m.body().map(str::to_lowercase))
        .collect();
    assert_eq!(queued.len(), 3);
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let items = f.emu.scan_all(&f.table).await;
    let texts: Vec<String> = items
        .iter()
        .map(|i| format!("{i:?}").to_lowercase())
        .collect();
    let lines: Vec<String> = captured
        .lines()
        .iter()
        .map(|l| l.to_string().to_lowercase())
        .collect();
    assert!(
        lines.iter().any(|l| l.contains("child search answered")),
        "logs were captured"
    );
    for word in forbidden() {
        for (what, all) in [
            ("item", &texts),
            ("queued message", &queued),
            ("log line", &lines),
        ] {
            if let Some(hit) = all.iter().find(|t| holds_word(t, &word)) {
                panic!("`{word}` in clear in a {what}: {hit}");
            }
        }
    }
    // Each demographic item kind is there, with its expiry.
    let kind = |i: &adapters::store::Item| i.get(attr::ENTITY).and_then(|v| v.as_s().ok()).cloned();
    let expires = |i: &adapters::store::Item| {
        i.get(attr::EXPIRES_AT)
            .and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse::<i64>().ok())
    };
    let entries: Vec<_> = items
        .iter()
        .filter(|i| kind(i).as_deref() == Some("demographic_entry"))
        .collect();
    assert_eq!(entries.len(), 6, "two entries per plan");
    assert!(
        entries.iter().all(|e| expires(e).is_none()),
        "an open plan's entries last as long as it does"
    );
    let searches: Vec<_> = items
        .iter()
        .filter(|i| kind(i).as_deref() == Some("demographic_search"))
        .collect();
    assert_eq!(searches.len(), 3);
    for s in searches {
        assert_eq!(
            expires(s),
            Some((now() + Duration::days(keep::SEARCH_DAYS)).timestamp())
        );
    }
    assert_eq!(
        items
            .iter()
            .filter(|i| kind(i).as_deref() == Some("unmatched_plan"))
            .count(),
        1
    );
}

#[tokio::test]
async fn an_unmatched_plan_recorded_in_error_is_withdrawn_and_found_no_more() {
    let f = fixture().await;
    let unmatched = json!({
        "nhsNumberAbsentReason": "not_traceable", "planType": "CPP", "startDate": "2026-12-01",
        "sourceVersion": 3, "birthDate": UNMATCHED_BIRTH, "sex": "male", "familyName": UNMATCHED_NAME,
    });
    assert_eq!(f.put(LEEDS, "CP-W1", &unmatched).await.status, 201);
    let by_name = search(UNMATCHED_NAME, UNMATCHED_BIRTH, "male", false);
    assert_eq!(outcome(&f.search(ED, &by_name).await), "possible_match");
    // The LA reads it back: held without a number, never its demographics.
    let read = f.send(LEEDS, "GET", "/v1/plans/CP-W1").await;
    assert_eq!(read.status, 200, "{read:?}");
    assert_eq!(
        (
            &read.body["matching"],
            &read.body["status"],
            &read.body["sourceVersion"]
        ),
        (&json!("unmatched"), &json!("active"), &json!(3))
    );
    assert!(read.body.get("birthDate").is_none() && read.body.get("familyName").is_none());
    // Another LA neither reads nor withdraws it.
    assert_eq!(f.send(CAMDEN, "GET", "/v1/plans/CP-W1").await.status, 404);
    assert_eq!(
        f.send(CAMDEN, "DELETE", "/v1/plans/CP-W1?sourceVersion=4")
            .await
            .status,
        404
    );
    // A withdrawal needs a newer version than the one held; refused, nothing changes.
    for v in [1, 3] {
        let stale = f
            .send(
                LEEDS,
                "DELETE",
                &format!("/v1/plans/CP-W1?sourceVersion={v}"),
            )
            .await;
        assert_eq!(
            (stale.status.as_u16(), stale.body["code"].as_str()),
            (409, Some("stale_version")),
            "{stale:?}"
        );
    }
    assert_eq!(outcome(&f.search(ED, &by_name).await), "possible_match");
    let gone = f
        .send(LEEDS, "DELETE", "/v1/plans/CP-W1?sourceVersion=4")
        .await;
    assert_eq!(gone.status, 200, "{gone:?}");
    assert_eq!(
        (
            &gone.body["matching"],
            &gone.body["status"],
            &gone.body["outcome"]
        ),
        (
            &json!("withdrawn"),
            &json!("withdrawn"),
            &json!("withdrawn")
        )
    );
    // Found by no search, reported and counted no more; the LA still reads it, withdrawn.
    assert_eq!(outcome(&f.search(ED, &by_name).await), "no_match");
    assert_eq!(f.reconciled(LEEDS).await, (Vec::new(), 0));
    let read = f.send(LEEDS, "GET", "/v1/plans/CP-W1").await;
    assert_eq!(read.body["matching"], "withdrawn");
    let record = UnmatchedStore::new(f.table.clone(), Retention::default())
        .get(
            &OrgCode::parse(LEEDS).unwrap(),
            &cpindex::PlanRef::parse("CP-W1", "").unwrap(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (record.state, record.plan.plan.source_version),
        (UnmatchedState::Withdrawn, 4)
    );
    // The same withdrawal again is a replay; recorded afresh at a newer version, found again.
    assert_eq!(
        f.send(LEEDS, "DELETE", "/v1/plans/CP-W1?sourceVersion=4")
            .await
            .status,
        200
    );
    let mut again = unmatched.clone();
    again["sourceVersion"] = json!(5);
    assert_eq!(f.put(LEEDS, "CP-W1", &again).await.status, 200);
    assert_eq!(outcome(&f.search(ED, &by_name).await), "possible_match");
}

impl Fixture {
    /// The demographic entries pointing at `org`'s `plan_ref`: each entry's partition (the MAC)
    /// and the plan version that wrote it, read back from the table.
    async fn entries(&self, org: &str, plan_ref: &str) -> BTreeMap<String, Option<u64>> {
        let sk = format!("PLAN#{org}#{plan_ref}");
        let text =
            |i: &adapters::store::Item, a: &str| i.get(a).and_then(|v| v.as_s().ok()).cloned();
        self.emu
            .scan_all(&self.table)
            .await
            .iter()
            .filter(|i| {
                text(i, attr::ENTITY).as_deref() == Some("demographic_entry")
                    && text(i, attr::SK).as_deref() == Some(sk.as_str())
            })
            .map(|i| {
                let version = i
                    .get(attr::SOURCE_VERSION)
                    .and_then(|v| v.as_n().ok())
                    .and_then(|n| n.parse().ok());
                (text(i, attr::PK).unwrap_or_default(), version)
            })
            .collect()
    }
}

#[tokio::test]
async fn entries_a_plan_no_longer_holds_are_deleted_unless_a_later_version_wrote_them() {
    const CHANGED: &str = "Achterberg";
    let f = fixture().await;
    let (org, plan_ref) = (
        OrgCode::parse(LEEDS).unwrap(),
        cpindex::PlanRef::parse("CP-E1", "").unwrap(),
    );
    let plans = adapters::store::plans::PlanStore::new(f.table.clone(), Retention::default());
    let held = |v: u64| {
        let (plans, org, plan_ref) = (&plans, &org, &plan_ref);
        async move {
            let r = plans.get(org, plan_ref).await.unwrap().unwrap();
            assert_eq!(r.source_version, v);
            r.plan.demographics.unwrap()
        }
    };
    assert_eq!(
        f.put(LEEDS, "CP-E1", &plan("CP-E1", 1, NAME)).await.status,
        201
    );
    let first = f.entries(LEEDS, "CP-E1").await;
    assert_eq!(first.values().collect::<Vec<_>>(), [&Some(1), &Some(1)]);
    let d1 = held(1).await;

    // The family name changes: the first name's entries go, the new one's are all there is.
    assert_eq!(
        f.put(LEEDS, "CP-E1", &plan("CP-E1", 2, CHANGED))
            .await
            .status,
        200
    );
    let second = f.entries(LEEDS, "CP-E1").await;
    assert_eq!(second.len(), 2);
    assert!(
        second.keys().all(|pk| !first.contains_key(pk)),
        "{first:?} {second:?}"
    );
    let by = |name: &str| search(name, BIRTH_DATE, "female", true);
    assert_eq!(outcome(&f.search(ED, &by(NAME)).await), "no_match");
    assert_eq!(outcome(&f.search(ED, &by(CHANGED)).await), "possible_match");

    // A later version that put the new name's entries again while version 3 was being written
    // (as a concurrent write would): version 3 goes back to the first name and keeps them.
    let d2 = held(2).await;
    DemographicIndex::new(f.table.clone())
        .index(&org, &plan_ref, &d2, 9, None)
        .await
        .unwrap();
    assert_eq!(
        f.put(LEEDS, "CP-E1", &plan("CP-E1", 3, NAME)).await.status,
        200
    );
    let third = f.entries(LEEDS, "CP-E1").await;
    assert_eq!(third.len(), 4, "{third:?}");
    assert!(second.keys().all(|pk| third[pk] == Some(9)));
    assert!(first.keys().all(|pk| third[pk] == Some(3)));
    assert_eq!(held(3).await, d1);

    // Withdrawn: the entries of what it held go with it (those version 9 wrote stay theirs).
    let gone = f
        .send(LEEDS, "DELETE", "/v1/plans/CP-E1?sourceVersion=4")
        .await;
    assert_eq!(gone.status, 200, "{gone:?}");
    let left = f.entries(LEEDS, "CP-E1").await;
    assert_eq!(
        left.keys().collect::<Vec<_>>(),
        second.keys().collect::<Vec<_>>()
    );
    assert_eq!(outcome(&f.search(ED, &by(NAME)).await), "no_match");
}

#[tokio::test]
async fn an_unmatched_plan_keeps_entries_only_for_what_it_holds() {
    let f = fixture().await;
    let unmatched = |v: u64, name: &str| {
        json!({
            "nhsNumberAbsentReason": "newborn", "planType": "CPP", "startDate": "2026-12-01",
            "sourceVersion": v, "birthDate": UNMATCHED_BIRTH, "sex": "male", "familyName": name,
        })
    };
    assert_eq!(
        f.put(LEEDS, "CP-U9", &unmatched(1, UNMATCHED_NAME))
            .await
            .status,
        201
    );
    let first = f.entries(LEEDS, "CP-U9").await;
    assert_eq!(first.len(), 2);
    assert_eq!(
        f.put(LEEDS, "CP-U9", &unmatched(2, "Nakamura"))
            .await
            .status,
        200
    );
    let second = f.entries(LEEDS, "CP-U9").await;
    assert_eq!(second.len(), 2);
    assert!(second.keys().all(|pk| !first.contains_key(pk)));
    let gone = f
        .send(LEEDS, "DELETE", "/v1/plans/CP-U9?sourceVersion=3")
        .await;
    assert_eq!(gone.status, 200, "{gone:?}");
    assert!(f.entries(LEEDS, "CP-U9").await.is_empty());
}

#[tokio::test]
async fn a_csv_extract_with_demographics_columns_is_found_by_a_search() {
    use integration_tests::http::raw_request;
    let f = fixture().await;
    let csv = format!(
        "plan_ref,nhs_number,plan_type,start_date,source_version,birth_date,sex,family_name\n\
         X-1,{CHILD},CPP,2026-01-10,1,{BIRTH_DATE},female,{NAME}\n\
         X-2,9434765919,CPP,2026-01-10,1,{BIRTH_DATE},,{SAME_SOUND}\n"
    );
    let ack = call(
        &f.upsert,
        raw_request(
            "POST",
            "/v1/plan-extracts?mode=delta",
            la(LEEDS),
            "text/csv",
            csv.into_bytes(),
        ),
    )
    .await;
    assert_eq!(ack.status, 200, "{ack:?}");
    let records = ack.body["batch"]["records"].as_array().unwrap();
    assert_eq!(records[0]["outcome"], "created", "{ack:?}");
    // Some of the three and not all: that record alone is refused, naming the missing column.
    assert_eq!(
        (&records[1]["outcome"], &records[1]["code"]),
        (&json!("rejected"), &json!("missing_field")),
        "{ack:?}"
    );
    assert_eq!(ack.body["columns"], json!([null, "sex"]), "{ack:?}");
    let found = f
        .search(ED, &search(NAME, BIRTH_DATE, "female", false))
        .await;
    assert_eq!(outcome(&found), "possible_match", "{found:?}");
    assert_eq!(f.entries(LEEDS, "X-1").await.len(), 2);
    assert!(
        f.entries(LEEDS, "X-2").await.is_empty(),
        "a refused record indexes nothing"
    );
}
