//! The `cpindex` CLI end to end, against the real local stack router served on a random
//! localhost port in-process (over the emulator): uploads with line-numbered reports read back
//! through the API, lookups, and the one-line errors for an unreachable API and refused tokens.
//!
//! The local stack uses fixed resource names, so everything runs in one test, one step after
//! another; its data is its own (a random LA code, random test-range NHS numbers).

use std::path::{Path, PathBuf};

use chrono::{Days, Utc};
use clap::Parser;
use cpindex::{OrgCode, Role};
use cpindex_cli::api::{self, Api};
use cpindex_cli::local_token::LocalAuth;
use cpindex_cli::{run, Cli, Console};
use serde_json::Value;

/// What one `cpindex` invocation printed and returned.
struct Ran {
    code: u8,
    out: String,
    err: String,
}

async fn cpindex(args: &[&str]) -> Ran {
    let cli = Cli::try_parse_from(std::iter::once("cpindex").chain(args.iter().copied()))
        .unwrap_or_else(|e| panic!("arguments {args:?}: {e}"));
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = run(
        cli,
        &mut Console {
            out: &mut out,
            err: &mut err,
            progress: false,
        },
    )
    .await;
    Ran {
        code,
        out: String::from_utf8(out).expect("stdout is UTF-8"),
        err: String::from_utf8(err).expect("stderr is UTF-8"),
    }
}

/// Serves the local stack's router on 127.0.0.1:<random>; returns its URL.
async fn serve_local_stack(state_dir: &Path, consumers: bool) -> String {
    integration_tests::local::serve(state_dir, consumers)
        .await
        .url
}

use integration_tests::fixtures::random_nhs_number as test_nhs_number;

fn temp_dir() -> PathBuf {
    integration_tests::local_state_dir("cli-test")
}

async fn token(url: &str, state: &str, role: &str, org: &str) -> String {
    let ran = cpindex(&[
        "token",
        "--role",
        role,
        "--org",
        org,
        "--user",
        "cli-test",
        "--org-name",
        "CLI test org",
        "--state-dir",
        state,
        "--api-url",
        url,
    ])
    .await;
    assert_eq!(ran.code, 0, "token: {}", ran.err);
    ran.out.trim().to_owned()
}

/// Sets up `org`'s profile as an operator would (an LA records plans only with one).
async fn give_profile(url: &str, state: &Path, org: &str) {
    let state_arg = state.display().to_string();
    let operator = token(url, &state_arg, "operator", "X26").await;
    let file = state.join(format!("profile-{org}.json"));
    std::fs::write(
        &file,
        r#"{"name": "Leeds City Council", "team": "Children's Front Door", "officeHoursPhone": "0113 222 4403", "emergencyDutyPhone": "0113 535 0600"}"#,
    )
    .unwrap();
    let file_arg = file.display().to_string();
    let ran = cpindex(&[
        "profiles",
        "set",
        org,
        "--file",
        &file_arg,
        "--api-url",
        url,
        "--token",
        &operator,
    ])
    .await;
    assert_eq!(ran.code, 0, "profile: {}{}", ran.out, ran.err);
}

/// The line of a table whose first cell is `line` (the "not loaded" list).
fn report_line(out: &str, line: u64) -> &str {
    let list = out.split_once("Not loaded (").map_or("", |(_, list)| list);
    list.lines()
        .find(|l| l.split_whitespace().next() == Some(line.to_string().as_str()))
        .unwrap_or_else(|| panic!("no report line for file line {line} in:\n{out}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_uploads_looks_up_and_works_the_weekly_commands() {
    let state = temp_dir();
    let state_arg = state.display().to_string();
    let url = serve_local_stack(&state, true).await;

    let suffix = uuid::Uuid::new_v4().simple().to_string()[..8].to_uppercase();
    let la_code = format!("T{suffix}");
    let la = token(&url, &state_arg, "local_authority", &la_code).await;
    give_profile(&url, &state, &la_code).await;
    let ed = token(&url, &state_arg, "unscheduled_care", "RR801").await;

    // --- upload: a full extract in batches of 2, with rows the CLI and the API refuse -------
    let child = test_nhs_number();
    let other = test_nhs_number();
    let today = Utc::now().date_naive();
    let start = today - Days::new(30);
    let due = today + Days::new(60);
    let refs: Vec<String> = (1..=6).map(|i| format!("CLI-{suffix}-{i}")).collect();
    let header = "plan_ref,nhs_number,plan_type,start_date,end_date,expected_due_date,\
                  source_version,case_team,case_team_phone";
    let csv = [
        header.to_owned(),
        // line 2: loads
        format!(
            "{},{child},CPP,{start},,,3,Leeds North CP team,0113 378 1000",
            refs[0]
        ),
        // line 3: too few cells: reported by the CLI, not sent
        format!("{},{child},CPP", refs[1]),
        // line 4: loads (unborn-child plan on the same number)
        format!("{},{child},UCPP,{start},,{due},1,,", refs[2]),
        // line 5: rejected by the API: the check digit does not match
        format!("{},9876544321,LAC,{start},,,1,Front Door,", refs[3]),
        // lines 6-7: one row (a quoted team over two lines); loads
        format!(
            "{},{},LAC,{start},,,2,\"Looked After\nChildren\",",
            refs[4], other
        ),
        // line 8: rejected by the API: the version is not a whole number
        format!("{},{other},CPP,{start},,,v2,Front Door,", refs[5]),
    ]
    .join("\n");
    let file = state.join("extract.csv");
    std::fs::write(&file, csv).expect("write extract");
    let file_arg = file.display().to_string();

    let ran = cpindex(&[
        "upload",
        &file_arg,
        "--mode",
        "full",
        "--extract-id",
        &format!("cli-test-{suffix}"),
        "--batch-size",
        "2",
        "--api-url",
        &url,
        "--token",
        &la,
    ])
    .await;
    assert_eq!(
        ran.code, 1,
        "some rows did not load:\n{}\n{}",
        ran.out, ran.err
    );
    assert_eq!(ran.err, "", "nothing on stderr");
    let out = &ran.out;
    assert!(
        out.contains(&format!(
            "full upload (extract id cli-test-{suffix}), 6 rows in 3 batches"
        )),
        "{out}"
    );
    assert!(
        out.contains("File outcome: partly_loaded (CPF03): 3 of 6 rows loaded; 1 row could not be read and was not sent"),
        "{out}"
    );
    let total: Vec<&str> = out
        .lines()
        .find(|l| l.starts_with("total"))
        .expect("a total row")
        .split_whitespace()
        .collect();
    // received, created, updated, unchanged, moved, stale, rejected, failed
    assert_eq!(
        total,
        ["total", "5", "3", "0", "0", "0", "0", "2", "0"],
        "{out}"
    );
    let l3 = report_line(out, 3);
    assert!(
        l3.contains("unreadable")
            && l3.contains("malformed_row")
            && l3.contains("the row has 3 columns; the header has 9"),
        "{l3}"
    );
    let l5 = report_line(out, 5);
    for part in [
        refs[3].as_str(),
        "rejected",
        "invalid_nhs_number",
        "nhs_number",
        "check digit",
    ] {
        assert!(l5.contains(part), "line 5 report lacks {part}: {l5}");
    }
    let l8 = report_line(out, 8);
    for part in [
        refs[5].as_str(),
        "rejected",
        "invalid_version",
        "source_version",
    ] {
        assert!(l8.contains(part), "line 8 report lacks {part}: {l8}");
    }
    assert!(
        !out.contains(&child.digits()),
        "the report never prints an NHS number"
    );
    assert!(out.contains("Warning: the index did not receive this full extract whole"));

    // Read back through the API: the loaded rows are held, the refused ones are not.
    let la_api = Api::new(&url, Some(&la)).expect("client");
    for (i, version) in [(0, 3), (2, 1), (4, 2)] {
        let plan: Value = la_api
            .call_json(api::PLAN, &[&refs[i]], &[], None)
            .await
            .unwrap_or_else(|e| panic!("{} should be held: {e}", refs[i]));
        assert_eq!(plan["sourceVersion"], version);
        assert_eq!(plan["status"], "active");
    }
    let two_line_team: Value = la_api
        .call_json(api::PLAN, &[&refs[4]], &[], None)
        .await
        .expect("plan 5");
    assert_eq!(two_line_team["caseTeam"]["team"], "Looked After Children");
    for i in [1, 3, 5] {
        let held = la_api
            .call_json::<Value>(api::PLAN, &[&refs[i]], &[], None)
            .await;
        assert!(held.is_err(), "{} should not be held", refs[i]);
    }

    // The same file again, as a delta: nothing changes and the answer says so.
    let ran = cpindex(&[
        "upload",
        &file_arg,
        "--mode",
        "delta",
        "--api-url",
        &url,
        "--token",
        &la,
    ])
    .await;
    assert_eq!(ran.code, 1, "{}", ran.out);
    let total: Vec<&str> = ran
        .out
        .lines()
        .find(|l| l.starts_with("total"))
        .expect("a total row")
        .split_whitespace()
        .collect();
    assert_eq!(
        total,
        ["total", "5", "0", "0", "3", "0", "0", "2", "0"],
        "{}",
        ran.out
    );

    // --- lookup --------------------------------------------------------------------------
    let spaced = child.to_string();
    // The FHIR view: the national CareTeam search's Bundle, through the same lookup.
    let ran = cpindex(&[
        "lookup",
        &spaced,
        "--fhir",
        "--api-url",
        &url,
        "--token",
        &ed,
    ])
    .await;
    assert_eq!(ran.code, 0, "{}", ran.err);
    let bundle: serde_json::Value = serde_json::from_str(&ran.out).expect("the Bundle, as JSON");
    assert_eq!(
        (bundle["resourceType"].as_str(), bundle["total"].as_u64()),
        (Some("Bundle"), Some(2))
    );
    integration_tests::http::keep_fhir(ran.out.as_bytes());
    // A refusal through the FHIR view is one line with the national code (NHS staff whose
    // selected role grants neither CP-IS activity).
    let porter = token(&url, &state_arg, "nhs_staff", "RR801").await;
    let ran = cpindex(&[
        "lookup",
        &spaced,
        "--fhir",
        "--api-url",
        &url,
        "--token",
        &porter,
    ])
    .await;
    assert_eq!(ran.code, 2);
    assert!(
        ran.err.contains("403 ACCESS_DENIED") && ran.err.lines().count() == 1,
        "{}",
        ran.err
    );
    let ran = cpindex(&["lookup", &spaced, "--api-url", &url, "--token", &ed]).await;
    assert_eq!(ran.code, 0, "{}", ran.err);
    let out = &ran.out;
    assert!(
        out.starts_with(&format!("NHS number {spaced}: 2 ACTIVE PLANS")),
        "{out}"
    );
    assert!(out.contains("Child protection plan (CPP / CPPI)"), "{out}");
    assert!(
        out.contains("Unborn child protection plan (UCPP / UCPI)"),
        "{out}"
    );
    assert!(
        out.contains(&format!("Expected due:                        {due}")),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "Responsible LA:                      Leeds City Council ({la_code})"
        )),
        "{out}"
    );
    assert!(
        out.contains("Team:                                Children's Front Door"),
        "{out}"
    );
    assert!(
        out.contains("EMERGENCY DUTY TEAM (OUT OF HOURS):  0113 535 0600"),
        "{out}"
    );
    assert!(
        out.contains("Office hours:                        0113 222 4403"),
        "{out}"
    );
    assert!(out.contains("Access id: "), "{out}");

    // A second clinician: an attendance of its own, so its LA is alerted again (one clinician's
    // repeated views would be one alert, docs/ALERTS.md).
    let ed2 = {
        let ran = cpindex(&[
            "token",
            "--role",
            "unscheduled_care",
            "--org",
            "RR801",
            "--user",
            "cli-test-2",
            "--org-name",
            "CLI test org",
            "--state-dir",
            &state_arg,
            "--api-url",
            &url,
        ])
        .await;
        assert_eq!(ran.code, 0, "{}", ran.err);
        ran.out.trim().to_owned()
    };
    let ran = cpindex(&[
        "lookup",
        &child.digits(),
        "--json",
        "--api-url",
        &url,
        "--token",
        &ed2,
    ])
    .await;
    assert_eq!(ran.code, 0, "{}", ran.err);
    let view: Value = serde_json::from_str(&ran.out).expect("--json prints JSON");
    assert_eq!(view["hasPlan"], true);
    assert_eq!(view["plans"].as_array().map(Vec::len), Some(2));
    // The first lookup is now a visit.
    assert_eq!(view["visits"][0]["settingCode"], "RR801");

    let ran = cpindex(&[
        "lookup",
        &test_nhs_number().digits(),
        "--api-url",
        &url,
        "--token",
        &ed,
    ])
    .await;
    assert_eq!(ran.code, 0, "{}", ran.err);
    assert!(ran.out.contains("NO PLAN held in the index"), "{}", ran.out);

    // --- notifications: the two unscheduled-care lookups of `child` alerted its LA ----------
    // Seconds as a rule; a fan-out step that lost a conditional write to a concurrent one is
    // retried when its message's visibility timeout ends (up to ALERT_FANOUT_QUEUE's 180 s).
    let mut listed = Value::Null;
    let deadline = std::time::Instant::now()
        + std::time::Duration::from_secs(
            u64::from(cpindex::keys::ALERT_FANOUT_QUEUE.visibility_timeout_s) + 60,
        );
    while std::time::Instant::now() < deadline {
        let ran = cpindex(&[
            "notifications",
            "list",
            "--unacknowledged",
            "--json",
            "--api-url",
            &url,
            "--token",
            &la,
        ])
        .await;
        assert_eq!(ran.code, 0, "{}", ran.err);
        listed = serde_json::from_str(&ran.out).expect("--json prints JSON");
        let alerts = |l: &Value| {
            l["items"].as_array().map_or(0, |i| {
                i.iter().filter(|n| n["kind"] == "child_seen").count()
            })
        };
        if alerts(&listed) >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    // The operator's setting up of the profile is in the inbox too, as the LA is told of it.
    let (items, others): (Vec<Value>, Vec<Value>) = listed["items"]
        .as_array()
        .expect("items")
        .iter()
        .cloned()
        .partition(|n| n["kind"] == "child_seen");
    assert_eq!(items.len(), 2, "two lookups, two notifications: {listed}");
    assert_eq!(others.len(), 1, "{listed}");
    assert_eq!(others[0]["kind"], "profile_changed");
    // --json prints the API's answer whole: who saw the child, the delivery status, the role.
    for field in ["seenBy", "seenByRole", "status", "createdAt", "la"] {
        assert!(
            items[0].get(field).is_some(),
            "--json dropped {field}: {}",
            items[0]
        );
    }
    let ran = cpindex(&[
        "notifications",
        "list",
        "--limit",
        "1",
        "--api-url",
        &url,
        "--token",
        &la,
    ])
    .await;
    assert_eq!(ran.code, 0, "{}", ran.err);
    for part in [
        spaced.as_str(),
        "RR801 CLI test org",
        "CPP,UCPP",
        "there are more",
    ] {
        assert!(ran.out.contains(part), "list lacks {part}:\n{}", ran.out);
    }
    let id = items[0]["notificationId"].as_str().expect("an id");
    let ran = cpindex(&[
        "notifications",
        "ack",
        id,
        "--api-url",
        &url,
        "--token",
        &la,
    ])
    .await;
    assert_eq!(ran.code, 0, "{}", ran.err);
    assert!(
        ran.out
            .starts_with(&format!("Notification {id} acknowledged at "))
            && ran.out.contains(" by cli-test (child seen "),
        "{}",
        ran.out
    );
    let ran = cpindex(&[
        "notifications",
        "list",
        "--unacknowledged",
        "--json",
        "--api-url",
        &url,
        "--token",
        &la,
    ])
    .await;
    let left: Value = serde_json::from_str(&ran.out).expect("JSON");
    let left: Vec<&Value> = left["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|n| n["kind"] == "child_seen")
        .collect();
    assert_eq!(left.len(), 1, "{left:?}");
    assert_ne!(left[0]["notificationId"].as_str(), Some(id));

    // --- a health visitor records a missed appointment; the LA is told ----------------------
    let hv = token(&url, &state_arg, "scheduled_care", "RGD01").await;
    let ran = cpindex(&[
        "missed-appointment",
        &spaced,
        "--setting",
        "health_visiting",
        "--service",
        "Health visiting, Leeds North",
        "--date",
        &today.to_string(),
        "--family-not-reached",
        "--api-url",
        &url,
        "--token",
        &hv,
    ])
    .await;
    assert_eq!(ran.code, 0, "{}", ran.err);
    assert!(
        ran.out.starts_with("Missed appointment recorded ("),
        "{}",
        ran.out
    );
    let mut told = String::new();
    for _ in 0..60 {
        let ran = cpindex(&["notifications", "list", "--api-url", &url, "--token", &la]).await;
        assert_eq!(ran.code, 0, "{}", ran.err);
        if ran.out.contains("(missed health_visiting") {
            told = ran.out;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    assert!(
        told.contains(&format!("(missed health_visiting {today})")),
        "the LA was not told:\n{told}"
    );
    let ran = cpindex(&[
        "notifications",
        "ack",
        "00000000000000000000000000000000",
        "--api-url",
        &url,
        "--token",
        &la,
    ])
    .await;
    assert_eq!(ran.code, 1, "{}", ran.out);
    assert_eq!(
        ran.err,
        "cpindex: not_found: this LA's inbox holds no notification \
         00000000000000000000000000000000\n"
    );

    // --- operator routes ----------------------------------------------------------------------
    let operator = token(&url, &state_arg, "operator", "X26").await;
    let officer = token(&url, &state_arg, "privacy_officer", "RR801").await;
    for args in [
        vec!["reconcile", "--max-steps", "2"],
        vec!["dead-letters", "list"],
        vec!["dead-letters", "redrive"],
    ] {
        let mut all = args.clone();
        all.extend(["--api-url", url.as_str(), "--token", operator.as_str()]);
        let ran = cpindex(&all).await;
        // Not served yet, or a problem answer (a table left dirty by older builds can make a
        // reconciliation step answer 503): either way one line.
        let one_line = ran.err.starts_with("cpindex: ") && ran.err.lines().count() == 1;
        let unfinished = ran.err.is_empty() && ran.out.contains("Not complete after 2 steps");
        assert!(
            ran.code == 0 || (ran.code == 1 && (one_line || unfinished)),
            "{args:?} exit {}: {}{}",
            ran.code,
            ran.out,
            ran.err
        );
    }

    // --- the weekly commands of an LA and an operator -----------------------------------------
    let profile_file = state.join("profile.json");
    std::fs::write(
        &profile_file,
        r#"{"name": "Leeds City Council", "team": "Children's Front Door", "emergencyDutyPhone": "0113 535 0600"}"#,
    )
    .unwrap();
    let file_arg = profile_file.display().to_string();
    for (args, who, want) in [
        (
            vec![
                "profiles",
                "set",
                la_code.as_str(),
                "--file",
                file_arg.as_str(),
            ],
            operator.as_str(),
            "Children's Front Door",
        ),
        (
            vec!["profiles", "show", la_code.as_str()],
            la.as_str(),
            "0113 535 0600",
        ),
        (
            vec!["profiles", "list"],
            operator.as_str(),
            la_code.as_str(),
        ),
        // Who set the profile up, and what: the operator's id in the LA's own history.
        (
            vec!["profiles", "history", la_code.as_str()],
            la.as_str(),
            "emergencyDutyPhone",
        ),
        (vec!["accesses", refs[0].as_str()], la.as_str(), "RR801"),
        // The operator's audit of the number looked up above, including the LA's refused try.
        (
            vec![
                "audit",
                spaced.as_str(),
                "--purpose",
                "SAR-2026-114: a subject access request",
            ],
            operator.as_str(),
            "denied_role",
        ),
        // The emergency department's privacy officer: the clinician's lookups this week.
        (vec!["usage"], officer.as_str(), "cli-test"),
        (
            vec!["usage", "--csv"],
            officer.as_str(),
            cpindex::usage::CSV_HEADER,
        ),
        (
            vec!["withdraw", refs[0].as_str(), "--source-version", "4"],
            la.as_str(),
            "withdrawn at version 4",
        ),
    ] {
        let mut all = args.clone();
        all.extend(["--api-url", url.as_str(), "--token", who]);
        let ran = cpindex(&all).await;
        assert_eq!(ran.code, 0, "{args:?}: {}{}", ran.out, ran.err);
        assert!(
            ran.out.contains(want),
            "{args:?} lacks {want}:\n{}",
            ran.out
        );
    }
    // The same withdrawal again is an idempotent success; an older version is refused in one
    // line that says what to send.
    let again = [
        "withdraw",
        refs[0].as_str(),
        "--source-version",
        "4",
        "--api-url",
        &url,
        "--token",
        &la,
    ];
    assert_eq!(cpindex(&again).await.code, 0);
    let ran = cpindex(&[
        "withdraw",
        refs[0].as_str(),
        "--source-version",
        "2",
        "--api-url",
        &url,
        "--token",
        &la,
    ])
    .await;
    assert_eq!(ran.code, 1);
    assert!(ran.err.contains("higher than 4"), "{}", ran.err);
    // The report command reads the LA's latest report (written by the reconcile run above, or
    // not yet: then a one-line not_found).
    let ran = cpindex(&["report", "--api-url", &url, "--token", &la]).await;
    assert!(
        ran.code == 0
            || (ran.code == 1 && ran.err.starts_with("cpindex: ") && ran.err.lines().count() == 1),
        "{}{}",
        ran.out,
        ran.err
    );

    // Indicators: this week's figures beside the national median, and the API's own CSV.
    let ran = cpindex(&["indicators", "--api-url", &url, "--token", &la]).await;
    assert_eq!(ran.code, 0, "{}{}", ran.out, ran.err);
    assert!(ran.out.contains("Records uploaded: "), "{}", ran.out);
    assert_eq!(
        ran.out.lines().count(),
        cpindex::indicators::INDICATORS.len() + 2,
        "{}",
        ran.out
    );
    // No count from 1 to 4 is ever printed as itself.
    for line in ran.out.lines() {
        for n in 1..5 {
            assert!(
                !line.contains(&format!(": {n} (")) && !line.contains(&format!("({n})")),
                "{line}"
            );
        }
    }
    let ran = cpindex(&[
        "indicators",
        "--csv",
        "--weeks",
        "2",
        "--api-url",
        &url,
        "--token",
        &la,
    ])
    .await;
    assert_eq!(ran.code, 0, "{}", ran.err);
    assert!(
        ran.out
            .starts_with("scope,week,week_start,indicator,label,unit,value,national_median"),
        "{}",
        ran.out
    );
    assert_eq!(
        ran.out.lines().count(),
        1 + 2 * cpindex::indicators::INDICATORS.len()
    );

    // --- a second LA records a plan on the first LA's child: told whom to reach, and the first
    // LA's notifications show it ------------------------------------------------------------
    let second_code = format!("U{suffix}");
    let second = token(&url, &state_arg, "local_authority", &second_code).await;
    give_profile(&url, &state, &second_code).await;
    let shared = state.join("shared.csv");
    std::fs::write(
        &shared,
        format!(
            "{header}
SEC-{suffix},{child},LAC,{start},,,1,,\n"
        ),
    )
    .unwrap();
    let shared_arg = shared.display().to_string();
    let ran = cpindex(&[
        "upload",
        &shared_arg,
        "--mode",
        "delta",
        "--api-url",
        &url,
        "--token",
        &second,
    ])
    .await;
    assert_eq!(ran.code, 0, "{}\n{}", ran.out, ran.err);
    let out = &ran.out;
    assert!(
        out.contains("Known to another LA (1; each has been told of your plan):"),
        "the first LA's one plan left on the child (its CPP was withdrawn above): {out}"
    );
    let row = out
        .lines()
        .find(|l| l.contains("UCPP from") && l.contains(&la_code))
        .unwrap_or_else(|| panic!("no row for the first LA's plan: {out}"));
    // The first LA's profile as set above: no office-hours number.
    for part in [
        format!("SEC-{suffix}"),
        "0113 535 0600".into(),
        "Leeds City Council".into(),
    ] {
        assert!(row.contains(&part), "{row} lacks {part}");
    }
    let ran = cpindex(&["notifications", "list", "--api-url", &url, "--token", &la]).await;
    assert_eq!(ran.code, 0, "{}", ran.err);
    assert!(
        ran.out.contains(&format!(
            "ANOTHER LA'S PLAN: {second_code} Leeds City Council, LAC from {start}"
        )),
        "{}",
        ran.out
    );

    let _ = std::fs::remove_dir_all(&state);
}

/// Whatever goes wrong (no stack, a bad or expired token, a role the route refuses), the CLI
/// says it in one line on stderr and exits 2, printing nothing on stdout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_failure_is_one_clear_line() {
    let state = temp_dir();
    let state_arg = state.display().to_string();
    let url = serve_local_stack(&state, false).await;
    let suffix = uuid::Uuid::new_v4().simple().to_string()[..8].to_uppercase();
    let la = token(&url, &state_arg, "local_authority", &format!("T{suffix}")).await;
    give_profile(&url, &state, &format!("T{suffix}")).await;
    let ed = token(&url, &state_arg, "unscheduled_care", "RR801").await;
    let spaced = test_nhs_number().to_string();
    let file = state.join("extract.csv");
    let start = Utc::now().date_naive() - Days::new(30);
    std::fs::write(
        &file,
        format!(
            "plan_ref,nhs_number,plan_type,start_date,end_date,expected_due_date,source_version\n\
             CLI-{suffix}-1,{spaced},CPP,{start},,,1\n"
        ),
    )
    .expect("write extract");
    let file_arg = file.display().to_string();
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("address").port()
    };
    let nowhere = format!("http://127.0.0.1:{closed}");
    let ran = cpindex(&["lookup", &spaced, "--api-url", &nowhere, "--token", &ed]).await;
    assert_eq!(ran.code, 2);
    assert_eq!(
        ran.err,
        format!("cpindex: cannot reach {nowhere} — is 'make dev' running?\n")
    );
    assert_eq!(ran.out, "");
    let ran = cpindex(&[
        "upload",
        &file_arg,
        "--mode",
        "delta",
        "--api-url",
        &nowhere,
        "--token",
        &la,
    ])
    .await;
    assert_eq!(ran.code, 2);
    assert_eq!(
        ran.err,
        format!("cpindex: cannot reach {nowhere} — is 'make dev' running?\n")
    );

    // The local stack says why it refused (API Gateway says less).
    let refused = "cpindex: the API refused the token (401 unauthenticated): the token is not valid: it is not a JWT this local stack issued\n";
    let ran = cpindex(&[
        "lookup",
        &spaced,
        "--api-url",
        &url,
        "--token",
        "not-a-token",
    ])
    .await;
    assert_eq!(
        (ran.code, ran.err.as_str(), ran.out.as_str()),
        (2, refused, "")
    );
    let expired = LocalAuth::load_or_create(&state)
        .expect("keys")
        .at_origin(&url)
        .mint(
            Role::UnscheduledCare,
            &OrgCode::parse("RR801").expect("org"),
            "dr-1",
            None,
            -2,
        );
    let ran = cpindex(&["lookup", &spaced, "--api-url", &url, "--token", &expired]).await;
    assert_eq!(
        (ran.code, ran.err.as_str()),
        (
            2,
            "cpindex: the API refused the token (401 unauthenticated): the token is not valid: it has expired; mint a new one (make token)\n"
        )
    );
    let ran = cpindex(&[
        "upload",
        &file_arg,
        "--mode",
        "delta",
        "--api-url",
        &url,
        "--token",
        "not-a-token",
    ])
    .await;
    assert_eq!(
        (ran.code, ran.err.as_str(), ran.out.as_str()),
        (2, refused, "")
    );

    // An LA may not look children up: its token is from LA staff's issuer, which the lookup's
    // authorizer does not trust; one line saying so.
    let ran = cpindex(&["lookup", &spaced, "--api-url", &url, "--token", &la]).await;
    assert_eq!(ran.code, 2);
    assert!(
        ran.err
            .starts_with("cpindex: the API refused the token (401 unauthenticated)")
            && ran.err.contains("this route is for NHS staff")
            && ran.err.lines().count() == 1,
        "{}",
        ran.err
    );
}
