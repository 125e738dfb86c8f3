//! One function per command that talks to the API (upload and reconcile have their own, longer
//! ones in `lib.rs` and `upload.rs`): read the arguments, call, print as text or `--json`.

use std::path::Path;

use cpindex::NhsNumber;
use serde_json::Value;

use crate::api::{self, Route};
use crate::model::{ChildSearchAnswer, ChildView, Notification};
use crate::{
    connect, list_notifications, pretty, pretty_value, print_generic, render, ChildSearchArgs, Cli,
    CliError, Console, LookupArgs, MissedAppointmentArgs, EXIT_OK,
};

/// An NHS number as a person types it (spaces allowed), or a usage error.
pub(crate) fn nhs_number(raw: &str) -> Result<NhsNumber, CliError> {
    NhsNumber::parse(raw.trim())
        .map_err(|e| CliError::usage(format!("that is not a valid NHS number: {e}")))
}

/// Calls `route` and prints its answer as it comes (JSON) or as a generic listing.
pub(crate) async fn show(
    cli: &Cli,
    route: Route,
    params: &[&str],
    body: Option<&Value>,
    console: &mut Console<'_>,
) -> Result<u8, CliError> {
    show_asking(cli, route, params, &[], body, console).await
}

/// As [`show`], with query parameters.
pub(crate) async fn show_asking(
    cli: &Cli,
    route: Route,
    params: &[&str],
    query: &[(&str, String)],
    body: Option<&Value>,
    console: &mut Console<'_>,
) -> Result<u8, CliError> {
    let api = connect(cli, console)?;
    let answer = api.call(route, params, query, body).await?;
    print_generic(console, cli.json, route, &answer)?;
    Ok(EXIT_OK)
}

/// A `GET` answer shown whole, after the lines `notes` draws from it that a person must not miss
/// (as JSON with `--json`, notes left out).
pub(crate) async fn show_with_notes(
    cli: &Cli,
    route: Route,
    notes: fn(&Value) -> String,
    console: &mut Console<'_>,
) -> Result<u8, CliError> {
    let api = connect(cli, console)?;
    let answer = api.call(route, &[], &[], None).await?;
    if !cli.json {
        let value: Value = api::decode(route, &answer)?;
        console.print(&notes(&value));
    }
    print_generic(console, cli.json, route, &answer)?;
    Ok(EXIT_OK)
}

/// `cpindex lookup`: the clinician's answer, or the national FHIR search's Bundle.
pub(crate) async fn lookup(
    cli: &Cli,
    args: &LookupArgs,
    console: &mut Console<'_>,
) -> Result<u8, CliError> {
    let nhs = nhs_number(&args.nhs_number)?;
    let api = connect(cli, console)?;
    if args.fhir {
        let query = [(
            cpindex::fhir::PATIENT_IDENTIFIER,
            format!("{}|{}", cpindex::fhir::NHS_NUMBER_SYSTEM, nhs.digits()),
        )];
        let body = api.call_fhir(api::FHIR_CARE_TEAM, &query).await?;
        console.print(&pretty(&body));
        return Ok(EXIT_OK);
    }
    let body = api.call(api::CHILD, &[&nhs.digits()], &[], None).await?;
    if cli.json {
        console.print(&pretty(&body));
    } else {
        let view: ChildView = api::decode(api::CHILD, &body)?;
        console.print(&render::child(&view));
    }
    Ok(EXIT_OK)
}

/// `cpindex child-search`: the body checked with the API's own rules before it is sent (a
/// refusal never repeats the name), the answer printed without it.
pub(crate) async fn child_search(
    cli: &Cli,
    args: &ChildSearchArgs,
    console: &mut Console<'_>,
) -> Result<u8, CliError> {
    let body = search_body(args, chrono::Utc::now().date_naive())?;
    let api = connect(cli, console)?;
    let answer = api.call(api::CHILD_SEARCH, &[], &[], Some(&body)).await?;
    if cli.json {
        console.print(&pretty(&answer));
    } else {
        let found: ChildSearchAnswer = api::decode(api::CHILD_SEARCH, &answer)?;
        console.print(&render::child_search(&found));
    }
    Ok(EXIT_OK)
}

/// The search's body, refused (as a usage error naming the field, never the value) when the
/// API's own rules would refuse it.
fn search_body(args: &ChildSearchArgs, today: chrono::NaiveDate) -> Result<Value, CliError> {
    let body = serde_json::json!({
        "birthDate": args.birth_date.trim(),
        "sex": args.sex,
        "familyName": args.family_name,
        "widen": args.widen,
    });
    match cpindex::demographics::ChildSearch::from_json(&body, today) {
        Ok(_) => Ok(body),
        Err(e) => Err(CliError::usage(format!(
            "{}: {} ({})",
            e.code.as_str(),
            e.detail,
            e.field
        ))),
    }
}

/// `cpindex missed-appointment`: the body as the API reads it (it checks every field), the
/// receipt printed.
pub(crate) async fn missed_appointment(
    cli: &Cli,
    args: &MissedAppointmentArgs,
    console: &mut Console<'_>,
) -> Result<u8, CliError> {
    let nhs = nhs_number(&args.nhs_number)?;
    let api = connect(cli, console)?;
    let body = serde_json::json!({
        "setting": args.setting,
        "service": args.service,
        "appointmentDate": args.date,
        "familyNotReached": args.family_not_reached,
    });
    let answer = api
        .call(api::MISSED_APPOINTMENT, &[&nhs.digits()], &[], Some(&body))
        .await?;
    if cli.json {
        console.print(&pretty(&answer));
    } else {
        let receipt: Value = api::decode(api::MISSED_APPOINTMENT, &answer)?;
        console.print(&format!(
            "Missed appointment recorded ({}) at {}. Each LA with an active plan on the child is told.\n",
            receipt["missedAppointmentId"].as_str().unwrap_or("-"),
            receipt["recordedAt"].as_str().unwrap_or("-"),
        ));
    }
    Ok(EXIT_OK)
}

/// `cpindex notifications list`.
pub(crate) async fn notifications(
    cli: &Cli,
    unacknowledged: bool,
    limit: usize,
    console: &mut Console<'_>,
) -> Result<u8, CliError> {
    let api = connect(cli, console)?;
    let page = list_notifications(&api, unacknowledged, limit).await?;
    if cli.json {
        // The API's page whole: every field of every notification, the cursor, the latest
        // reconciliation report's announcement and the open overdue alerts.
        console.print(&pretty_value(
            &serde_json::to_value(&page).unwrap_or(Value::Null),
        ));
    } else {
        // The inbox is the one place to look: what is overdue comes first, then the report.
        if !page.overdue.is_empty() {
            console.print(&render::overdue(&page.overdue));
        }
        if let Some(r) = &page.latest_reconciliation_report {
            console.print(&render::report_announcement(r));
        }
        console.print(&render::notifications(
            &page.items,
            unacknowledged,
            page.next_cursor.is_some(),
        ));
    }
    Ok(EXIT_OK)
}

/// `cpindex notifications ack`.
pub(crate) async fn acknowledge(
    cli: &Cli,
    notification_id: &str,
    console: &mut Console<'_>,
) -> Result<u8, CliError> {
    let api = connect(cli, console)?;
    let body = api
        .call(
            api::NOTIFICATION_ACK,
            &[notification_id],
            &[],
            Some(&serde_json::json!({})),
        )
        .await?;
    if cli.json {
        console.print(&pretty(&body));
    } else {
        let n: Notification = api::decode(api::NOTIFICATION_ACK, &body)?;
        console.print(&render::acknowledged(&n));
    }
    Ok(EXIT_OK)
}

/// `cpindex indicators`: this week beside the national median, JSON, or the API's CSV.
pub(crate) async fn indicators(
    cli: &Cli,
    weeks: u32,
    org: Option<&str>,
    csv: bool,
    console: &mut Console<'_>,
) -> Result<u8, CliError> {
    let api = connect(cli, console)?;
    let mut query = vec![("weeks", weeks.to_string())];
    if let Some(org) = org {
        query.push(("org", org.to_owned()));
    }
    if csv {
        let body = api
            .call_accepting(api::INDICATORS, &[], &query, None, "text/csv")
            .await?;
        console.print(&String::from_utf8_lossy(&body));
        return Ok(EXIT_OK);
    }
    let body = api.call(api::INDICATORS, &[], &query, None).await?;
    if cli.json {
        console.print(&pretty(&body));
    } else {
        let report: crate::model::Indicators = api::decode(api::INDICATORS, &body)?;
        console.print(&render::indicators(&report));
    }
    Ok(EXIT_OK)
}

/// `cpindex withdraw`.
pub(crate) async fn withdraw(
    cli: &Cli,
    plan_ref: &str,
    source_version: u64,
    console: &mut Console<'_>,
) -> Result<u8, CliError> {
    let api = connect(cli, console)?;
    let query = [("sourceVersion", source_version.to_string())];
    let body = api
        .call(api::WITHDRAW_PLAN, &[plan_ref], &query, None)
        .await?;
    if cli.json {
        console.print(&pretty(&body));
    } else if serde_json::from_slice::<Value>(&body)
        .is_ok_and(|v| v.get("nhsNumberAbsentReason").is_some())
    {
        // A plan recorded without an NHS number: only a demographic search could find it.
        console.print(&format!(
            "Plan {} (held without an NHS number) withdrawn at version {source_version}: a \
             search by date of birth, sex and family name no longer finds it; the record is kept \
             for audit.\n",
            render::clean(plan_ref)
        ));
    } else {
        console.print(&format!(
            "Plan {} withdrawn at version {source_version}: a lookup no longer shows it; \
             the record is kept for audit.\n",
            render::clean(plan_ref)
        ));
    }
    Ok(EXIT_OK)
}

/// `cpindex profiles set`: a profile from a JSON file.
pub(crate) async fn set_profile(
    cli: &Cli,
    org: &str,
    file: &Path,
    console: &mut Console<'_>,
) -> Result<u8, CliError> {
    let text = std::fs::read(file)
        .map_err(|e| CliError::usage(format!("cannot read {}: {e}", file.display())))?;
    let profile: Value = serde_json::from_slice(&text).map_err(|e| {
        CliError::usage(format!(
            "{} is not JSON (line {}, column {})",
            file.display(),
            e.line(),
            e.column()
        ))
    })?;
    show(cli, api::PUT_PROFILE, &[org], Some(&profile), console).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(birth_date: &str, family_name: &str) -> ChildSearchArgs {
        ChildSearchArgs {
            birth_date: birth_date.into(),
            sex: "female".into(),
            family_name: family_name.into(),
            widen: true,
        }
    }

    #[test]
    fn a_search_is_checked_before_it_is_sent_and_a_refusal_never_repeats_the_name() {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 6).unwrap();
        let body = search_body(&args(" 2019-04-02 ", "O'Brien"), today).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"birthDate": "2019-04-02", "sex": "female",
                               "familyName": "O'Brien", "widen": true})
        );
        let e = search_body(&args("2019-04-02", "Brien99"), today).unwrap_err();
        assert_eq!(e.exit, crate::EXIT_USAGE);
        assert!(
            e.message.starts_with("invalid_family_name: "),
            "{}",
            e.message
        );
        assert!(e.message.ends_with("(/familyName)"), "{}", e.message);
        assert!(!e.message.contains("Brien"), "{}", e.message);
        let e = search_body(&args("2027-01-01", "O'Brien"), today).unwrap_err();
        assert!(e.message.starts_with("invalid_date: "), "{}", e.message);
        assert!(!e.message.contains("Brien"), "{}", e.message);
    }
}
