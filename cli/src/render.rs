//! What people read. Every function here is pure (values in, text out) and unit tested. Text from
//! the API passes through [`clean`], so an answer cannot break lines or send terminal escapes.

use std::fmt::Write as _;

use serde_json::Value;

use cpindex::PlanType;

use crate::model::{
    ChildPlan, ChildSearchAnswer, ChildView, Indicators, Notification, ResponsibleLa, ShownStatus,
};
pub use crate::text::{clean, MAX_TEXT};
use crate::upload::UploadReport;
use cpindex::answers::SearchOutcome;
use cpindex::demographics::MatchKind;
use cpindex::notification::NotificationKind;

/// Columns aligned with two spaces between them; `right` marks numeric columns.
pub fn table(headers: &[&str], rows: &[Vec<String>], right: &[bool]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(cell.chars().count());
            }
        }
    }
    let line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut s = String::new();
        for (i, cell) in cells.enumerate() {
            let w = widths.get(i).copied().unwrap_or(0);
            let pad = w.saturating_sub(cell.chars().count());
            if i > 0 {
                s.push_str("  ");
            }
            if right.get(i).copied().unwrap_or(false) {
                s.push_str(&" ".repeat(pad));
                s.push_str(cell);
            } else {
                s.push_str(cell);
                s.push_str(&" ".repeat(pad));
            }
        }
        s.trim_end().to_owned()
    };
    let mut out = line(&mut headers.iter().copied());
    out.push('\n');
    for row in rows {
        out.push_str(&line(&mut row.iter().map(String::as_str)));
        out.push('\n');
    }
    out
}

/// A time as people read it (`2026-11-22 10:15 UTC`).
pub fn when(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// An NHS number in the spaced form people read (`943 476 5919`).
pub fn nhs(n: &cpindex::NhsNumber) -> String {
    n.to_string()
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn plan_title(p: &ChildPlan) -> String {
    plan_type_title(p.facts.plan_type)
}

/// Whom to call: the LA's name, team, emergency-duty number (or that none is held) and office
/// hours, from its profile; one line each, indented under a numbered plan.
fn la_contacts(out: &mut String, la: &ResponsibleLa) {
    let la_name = format!("{} ({})", clean(&la.name), la.code);
    let _ = writeln!(out, "   Responsible LA:                      {la_name}");
    if let Some(team) = &la.team {
        let _ = writeln!(
            out,
            "   Team:                                {}",
            clean(team)
        );
    }
    match &la.emergency_duty_phone {
        Some(phone) => {
            let _ = writeln!(
                out,
                "   EMERGENCY DUTY TEAM (OUT OF HOURS):  {}",
                clean(phone)
            );
        }
        None => {
            let _ = writeln!(
                out,
                "   EMERGENCY DUTY TEAM (OUT OF HOURS):  NO VETTED NUMBER HELD for this LA: reach its emergency duty team through your switchboard"
            );
        }
    }
    let office = la
        .office_hours_phone
        .as_deref()
        .map_or_else(|| "not given".to_owned(), clean);
    let _ = writeln!(out, "   Office hours:                        {office}");
}

fn plan_type_title(t: PlanType) -> String {
    let name = match t {
        PlanType::Cpp => "Child protection plan",
        PlanType::Lac => "Looked-after child",
        PlanType::Ucpp => "Unborn child protection plan",
    };
    format!("{name} ({} / {})", t.as_str(), t.national_code())
}

/// A demographic search's answer: the outcome, each possible match's plan type, status, how it
/// matched and whom to call, then the API's advice. Nothing identifies the child (the answer
/// holds no name, date of birth or NHS number, and the name searched is never printed).
pub fn child_search(answer: &ChildSearchAnswer) -> String {
    let mut out = String::new();
    let searched = if answer.widened {
        "the date of birth, sex and family name as spelt or of the same sound"
    } else {
        "the date of birth, sex and family name as spelt"
    };
    let _ = match answer.outcome {
        SearchOutcome::NoMatch => writeln!(
            out,
            "NO MATCH for {searched}. This is not proof that no plan is held."
        ),
        SearchOutcome::TooManyMatches => writeln!(
            out,
            "TOO MANY POSSIBLE MATCHES for {searched}: none is listed. Narrow the search."
        ),
        SearchOutcome::PossibleMatch => writeln!(
            out,
            "POSSIBLE MATCH: {} may be this child's (searched: {searched}). Confirm who the \
             child is with the LA before acting on it.",
            plural(answer.matches.len() as u64, "plan", "plans")
        ),
    };
    for (i, m) in answer.matches.iter().enumerate() {
        let _ = writeln!(out);
        let status = match m.status {
            ShownStatus::Active => "ACTIVE",
            ShownStatus::Ended => "ENDED (still held)",
            ShownStatus::Withdrawn => "WITHDRAWN",
        };
        let _ = writeln!(out, "{}. {}, {status}", i + 1, plan_type_title(m.plan_type));
        let matched = match m.matched {
            MatchKind::Exact => "date of birth, sex and family name as spelt",
            MatchKind::SoundsAlike => {
                "date of birth and sex; a family name of the same sound (may be another child)"
            }
        };
        let _ = writeln!(out, "   Matched:                             {matched}");
        la_contacts(&mut out, &m.la);
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "{}", clean(&answer.advice));
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "Search id: {} (every search is audited; an unscheduled-care search that finds a \
         possible match alerts the LA)",
        clean(&answer.search_id)
    );
    out
}

/// The lookup answer: plans with the responsible LA's contacts (emergency duty first), visits,
/// and the access id.
pub fn child(view: &ChildView) -> String {
    let mut out = String::new();
    let active = view.plans.len() as u64;
    let ended = view.ended_plans.len() as u64;
    let _ = write!(out, "NHS number {}: ", nhs(&view.nhs_number));
    if view.plans.is_empty() && view.ended_plans.is_empty() {
        out.push_str(
            "NO PLAN held in the index (no child protection plan, looked-after status or \
             unborn-child plan)\n",
        );
    } else {
        let mut parts = Vec::new();
        if active > 0 {
            parts.push(plural(active, "ACTIVE PLAN", "ACTIVE PLANS"));
        } else {
            parts.push("NO ACTIVE PLAN".to_owned());
        }
        if ended > 0 {
            parts.push(plural(ended, "recently ended plan", "recently ended plans"));
        }
        let _ = writeln!(out, "{}", parts.join(", "));
    }
    // Active plans first, then the recently ended ones; each says which it is.
    for (i, p) in view.plans.iter().chain(&view.ended_plans).enumerate() {
        let la = &p.responsible_la;
        let _ = writeln!(out);
        let _ = writeln!(out, "{}. {}", i + 1, plan_title(p));
        let f = &p.facts;
        let status = match (f.status, f.end_date) {
            (ShownStatus::Active, Some(end)) => {
                format!("ACTIVE, started {}, ends {end}", f.start_date)
            }
            (ShownStatus::Active, None) => format!("ACTIVE, started {}", f.start_date),
            (ShownStatus::Ended, Some(end)) => format!(
                "ended {end}{} (started {})",
                match f.end_reason {
                    Some(cpindex::plan::EndReason::TransferredOut) => ", transferred out",
                    _ => "",
                },
                f.start_date
            ),
            (ShownStatus::Ended, None) => format!("ended (started {})", f.start_date),
            (ShownStatus::Withdrawn, _) => format!("withdrawn (started {})", f.start_date),
        };
        let _ = writeln!(out, "   Status:                              {status}");
        if let Some(until) = f.still_alerted_until {
            // The old LA keeps responsibility until the new one records a plan.
            let _ = writeln!(
                out,
                "   RECENTLY TRANSFERRED OUT: no other LA has recorded a plan yet; this LA is \
                 still told of attendances until {until}: call it"
            );
        }
        if let Some(due) = f.expected_due_date {
            let _ = writeln!(out, "   Expected due:                        {due}");
        }
        // Whether the LA knows of an earlier attendance (never who acknowledged).
        if let Some(a) = &p.la_alerted {
            let _ = writeln!(
                out,
                "   LA last alerted:                     {}, {}",
                when(&a.last_alerted_at),
                a.acknowledged_at.as_ref().map_or_else(
                    || "NOT YET ACKNOWLEDGED".to_owned(),
                    |at| format!("acknowledged {}", when(at))
                )
            );
        }
        la_contacts(&mut out, la);
        if let Some(case) = &la.case_team {
            let phone = case
                .phone
                .as_ref()
                .map(|p| format!(", {}", clean(p.as_str())))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "   Case team:                           {}{phone}   (given by {})",
                clean(&case.team),
                clean(&la.name)
            );
        }
    }
    let _ = writeln!(out);
    if view.visits.is_empty() {
        let _ = writeln!(out, "Unscheduled-care visits: none recorded");
    } else {
        let _ = writeln!(
            out,
            "Unscheduled-care visits (newest first, {}):",
            plural(view.visits.len() as u64, "visit", "visits")
        );
        let rows: Vec<Vec<String>> = view
            .visits
            .iter()
            .map(|v| {
                vec![
                    when(&v.at),
                    v.setting_code.to_string(),
                    v.setting_name.as_deref().map(clean).unwrap_or_default(),
                ]
            })
            .collect();
        for line in table(&["WHEN", "SETTING", "NAME"], &rows, &[]).lines() {
            let _ = writeln!(out, "  {line}");
        }
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "Access id: {} (every lookup is audited; an unscheduled-care lookup alerts the \
         responsible LA)",
        clean(&view.access_id)
    );
    out
}

fn setting(n: &Notification) -> String {
    if let Some(other) = n
        .other_la
        .as_ref()
        .filter(|_| n.kind == NotificationKind::OtherLaPlan)
    {
        // Another LA recorded a plan on the child: which, and how to reach it (never a visit).
        return format!(
            "ANOTHER LA'S PLAN: {} {}, {} from {}, Emergency duty team (out of hours): {}",
            other.la.code,
            clean(&other.la.name),
            other.plan_type.as_str(),
            other.start_date,
            other
                .la
                .emergency_duty_phone
                .as_deref()
                .map_or("not held".into(), clean)
        );
    }
    if let Some(change) = n
        .profile_change
        .as_ref()
        .filter(|_| n.kind == NotificationKind::ProfileChanged)
    {
        // Someone changed the LA's own profile: what, and from which organisation.
        return format!(
            "YOUR PROFILE CHANGED ({}) from {}",
            change
                .changed
                .iter()
                .map(|f| clean(f))
                .collect::<Vec<_>>()
                .join(", "),
            n.setting_code
        );
    }
    match &n.setting_name {
        Some(name) => format!("{} {}", n.setting_code, clean(name)),
        None => n.setting_code.to_string(),
    }
}

/// A page of notifications as a table.
/// The inbox's announcement of the LA's latest reconciliation report, in words.
pub fn report_announcement(r: &cpindex::answers::ReportAnnouncement) -> String {
    let mut out = format!(
        "Latest reconciliation report ({}): ",
        clean(&r.generated_at)
    );
    if r.not_in_index > 0 {
        out.push_str(&format!(
            "NOT FOUND UNTIL FIXED: {} of your latest full extract the index does not hold \
             (a clinician's lookup answers that no plan is held); ",
            plural(r.not_in_index, "record", "records")
        ));
    }
    out.push_str(&format!(
        "{} the index holds that the extract does not. Read it with `cpindex report`.\n\n",
        plural(r.not_in_extract, "plan", "plans")
    ));
    out
}

pub fn notifications(items: &[Notification], unacknowledged_only: bool, more: bool) -> String {
    if items.is_empty() {
        return if unacknowledged_only {
            "No unacknowledged notifications.\n".into()
        } else {
            "No notifications.\n".into()
        };
    }
    let rows: Vec<Vec<String>> = items
        .iter()
        .map(|n| {
            vec![
                clean(&n.notification_id),
                when(&n.seen_at),
                match (&n.nhs_number, n.struck) {
                    (Some(number), _) => nhs(number),
                    // The plan moved to another number or was withdrawn: the old one may be
                    // another child's, so it is gone.
                    (None, Some(why)) => format!("(removed: plan {})", why.as_str()),
                    (None, None) => "-".into(),
                },
                if n.plan_types.is_empty() {
                    "-".into()
                } else {
                    n.plan_types
                        .iter()
                        .map(|t| t.as_str())
                        .collect::<Vec<_>>()
                        .join(",")
                },
                match n.attendances.filter(|a| a.is_repeat()) {
                    // A third attendance in 30 days stands out.
                    Some(a) => {
                        format!("{} [{} attendances in 30 days]", setting(n), a.last_30_days)
                    }
                    None => setting(n),
                },
                match n.kind {
                    NotificationKind::ChildSeen | NotificationKind::ProfileChanged => {
                        clean(&n.seen_by)
                    }
                    NotificationKind::OtherLaPlan => "-".into(),
                    NotificationKind::AlertOverdue => "(overdue: sent again)".into(),
                    NotificationKind::MissedAppointment => n.missed.as_ref().map_or_else(
                        || "(missed appointment)".into(),
                        |m| format!("(missed {} {})", m.setting.as_str(), m.appointment_date),
                    ),
                    // A search without an NHS number matched one of the LA's plans: which.
                    NotificationKind::DemographicMatch => {
                        format!("{} ({})", clean(&n.seen_by), possible_match(n))
                    }
                },
                n.status.as_str().to_owned(),
                n.acknowledged_at.as_ref().map_or("no".into(), when),
            ]
        })
        .collect();
    let mut out = table(
        &[
            "NOTIFICATION",
            "SEEN",
            "NHS NUMBER",
            "PLANS",
            "SETTING",
            "SEEN BY",
            "DELIVERY",
            "ACKNOWLEDGED",
        ],
        &rows,
        &[],
    );
    let _ = writeln!(
        out,
        "{}{}",
        plural(items.len() as u64, "notification", "notifications"),
        if more {
            " shown; there are more (raise --limit to see them)"
        } else {
            ""
        }
    );
    out
}

/// The LA's open overdue alerts, before the rest of its inbox.
pub fn overdue(alerts: &[cpindex::overdue::OverdueAlert]) -> String {
    let rows: Vec<Vec<String>> = alerts
        .iter()
        .map(|a| {
            vec![
                clean(&a.notification_id),
                when(&a.seen_at),
                a.setting_name
                    .as_deref()
                    .map_or_else(|| a.setting_code.to_string(), clean),
                when(&a.deadline),
            ]
        })
        .collect();
    let mut out = format!(
        "OVERDUE: {} not acknowledged in time (acknowledge each below):\n",
        plural(alerts.len() as u64, "alert", "alerts")
    );
    out.push_str(&table(
        &["NOTIFICATION", "SEEN", "SETTING", "DUE BY"],
        &rows,
        &[],
    ));
    out.push('\n');
    out
}

/// Which of the LA's plans a demographic search matched, and how (never what was typed).
fn possible_match(n: &Notification) -> String {
    match &n.demographic_match {
        Some(m) => format!(
            "possible match: plan {}, {}",
            clean(m.plan_ref.as_str()),
            match m.matched {
                MatchKind::Exact => "name as spelt",
                MatchKind::SoundsAlike => "name of the same sound",
            }
        ),
        None => "possible match".into(),
    }
}

/// One notification after `ack`.
pub fn acknowledged(n: &Notification) -> String {
    let seen = match n.kind {
        NotificationKind::ChildSeen => format!("child seen {} at {}", when(&n.seen_at), setting(n)),
        NotificationKind::OtherLaPlan => format!("recorded {}: {}", when(&n.seen_at), setting(n)),
        NotificationKind::ProfileChanged => {
            format!(
                "changed {} by {}: {}",
                when(&n.seen_at),
                clean(&n.seen_by),
                setting(n)
            )
        }
        NotificationKind::AlertOverdue => format!(
            "overdue: child seen {} at {}; the alert it is about is acknowledged too",
            when(&n.seen_at),
            setting(n)
        ),
        NotificationKind::MissedAppointment => format!(
            "missed appointment recorded {} by {}",
            when(&n.seen_at),
            setting(n)
        ),
        NotificationKind::DemographicMatch => format!(
            "{} searched {} at {}",
            possible_match(n),
            when(&n.seen_at),
            setting(n)
        ),
    };
    match &n.acknowledged_at {
        Some(at) => format!(
            "Notification {} acknowledged at {}{} ({seen}).\n",
            clean(&n.notification_id),
            when(at),
            n.acknowledged_by
                .as_deref()
                .map(|by| format!(" by {}", clean(by)))
                .unwrap_or_default(),
        ),
        None => format!(
            "Notification {} is not shown as acknowledged (delivery: {}; {seen}).\n",
            clean(&n.notification_id),
            n.status.as_str()
        ),
    }
}

/// One reconciliation step: `{runId, complete, pages, alertsRedriven, reportsWritten}`, or any
/// other answer as indented lines.
pub fn reconcile_step(step: u32, answer: &Value) -> String {
    let (Some(run), Some(complete)) = (
        answer.get("runId").and_then(Value::as_str),
        answer.get("complete").and_then(Value::as_bool),
    ) else {
        return generic(answer);
    };
    let count = |k: &str| answer.get(k).and_then(Value::as_u64).unwrap_or(0);
    format!(
        "Reconciliation run {} step {step}: {}, {} re-driven, {} written{}\n",
        clean(run),
        plural(count("pages"), "page scanned", "pages scanned"),
        plural(count("alertsRedriven"), "alert", "alerts"),
        plural(count("reportsWritten"), "report", "reports"),
        if complete {
            "; COMPLETE"
        } else {
            "; continuing"
        }
    )
}

/// What a person must not miss in an LA's reconciliation report: that it predates their latest
/// extract, and each record the index did not take by the line and column of their file.
pub fn report_notes(report: &Value) -> String {
    let mut out = String::new();
    if let Some(at) = report["latestExtractAfterReport"].as_str() {
        let _ = writeln!(
            out,
            "NOTE: this report was written before your latest full extract (received {}): it \
             does not reflect that upload yet. The nightly reconciliation writes the next report; \
             an operator can run one now.",
            clean(at)
        );
    }
    for item in report["notInIndex"]["items"]
        .as_array()
        .into_iter()
        .flatten()
    {
        if let Some(line) = item["line"].as_u64() {
            let _ = writeln!(
                out,
                "NOT FOUND UNTIL FIXED: line {line}{}: {}",
                item["column"]
                    .as_str()
                    .map(|c| format!(", column {}", clean(c)))
                    .unwrap_or_default(),
                clean(item["code"].as_str().unwrap_or("?"))
            );
        }
    }
    if !out.is_empty() {
        out.push('\n');
    }
    out
}

/// Which dead-letter figure is live and which is as of the last run.
pub fn dead_letter_notes(answer: &Value) -> String {
    let mut out = String::new();
    match answer["queueDepth"].as_u64() {
        Some(n) => {
            let _ = writeln!(
                out,
                "Dead-letter queue now: {}",
                plural(n, "message", "messages")
            );
        }
        None => out.push_str("Dead-letter queue now: could not be read\n"),
    }
    let report = &answer["latestReport"];
    if let Some(at) = report["generatedAt"].as_str() {
        let then = report["deadLetterQueueDepth"]
            .as_u64()
            .map_or("unknown".to_owned(), |n| plural(n, "message", "messages"));
        let _ = writeln!(
            out,
            "At the last reconciliation ({}): {then}; failed alerts per LA below are as of then",
            clean(at)
        );
    }
    out.push('\n');
    out
}

/// Any JSON answer as indented `key: value` lines (for answers without a dedicated view).
pub fn generic(value: &Value) -> String {
    let mut out = String::new();
    generic_into(&mut out, value, 0);
    if out.is_empty() {
        out.push_str("(empty answer)\n");
    }
    out
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::Null => Some("-".into()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(clean(s)),
        Value::Array(a) if a.is_empty() => Some("none".into()),
        Value::Object(o) if o.is_empty() => Some("-".into()),
        _ => None,
    }
}

fn generic_into(out: &mut String, value: &Value, depth: usize) {
    let pad = "  ".repeat(depth);
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                match scalar(v) {
                    Some(s) => {
                        let _ = writeln!(out, "{pad}{}: {s}", clean(k));
                    }
                    None => {
                        let _ = writeln!(out, "{pad}{}:", clean(k));
                        generic_into(out, v, depth + 1);
                    }
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                match scalar(item) {
                    Some(s) => {
                        let _ = writeln!(out, "{pad}- {s}");
                    }
                    None => {
                        let mut inner = String::new();
                        generic_into(&mut inner, item, depth + 1);
                        // First line takes the dash.
                        let inner = inner.replacen(&format!("{pad}  "), &format!("{pad}- "), 1);
                        out.push_str(&inner);
                    }
                }
            }
        }
        other => {
            let _ = writeln!(out, "{pad}{}", scalar(other).unwrap_or_default());
        }
    }
}

/// The upload report: per-batch and total counts, the file outcome, every row not loaded.
pub fn upload(report: &UploadReport) -> String {
    let mut out = String::new();
    let total = report.total();
    let _ = writeln!(
        out,
        "{}: {} upload{}, {} in {}",
        report.file,
        report.mode.as_str(),
        report
            .extract_id
            .as_deref()
            .map(|id| format!(" (extract id {id})"))
            .unwrap_or_default(),
        plural(report.rows as u64, "row", "rows"),
        plural(report.batches.len() as u64, "batch", "batches")
    );
    if !report.ignored_columns.is_empty() {
        let _ = writeln!(
            out,
            "Ignored column{} (not part of the extract format, never sent): {}",
            if report.ignored_columns.len() == 1 {
                ""
            } else {
                "s"
            },
            report.ignored_columns.join(", ")
        );
    }
    if !report.batches.is_empty() {
        let _ = writeln!(out);
        let count_cells = |c: &crate::model::Counts| {
            [
                c.received,
                c.created,
                c.updated,
                c.unchanged,
                c.moved,
                c.stale,
                c.rejected,
                c.failed,
            ]
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
        };
        let mut rows: Vec<Vec<String>> = report
            .batches
            .iter()
            .map(|b| {
                let mut row = vec![
                    b.number.to_string(),
                    format!("{}-{}", b.first_line, b.last_line),
                    match &b.file_code {
                        Some(code) => format!("{} ({code})", b.outcome),
                        None => b.outcome.clone(),
                    },
                ];
                row.extend(count_cells(&b.counts));
                row.push(b.batch_id.clone().unwrap_or_else(|| "-".into()));
                row
            })
            .collect();
        let mut total_row = vec!["total".into(), String::new(), String::new()];
        total_row.extend(count_cells(&total));
        rows.push(total_row);
        out.push_str(&table(
            &[
                "BATCH",
                "LINES",
                "OUTCOME",
                "RECEIVED",
                "CREATED",
                "UPDATED",
                "UNCHANGED",
                "MOVED",
                "STALE",
                "REJECTED",
                "FAILED",
                "BATCH ID",
            ],
            &rows,
            &[
                false, false, false, true, true, true, true, true, true, true, true, false,
            ],
        ));
        for b in report.batches.iter().filter(|b| b.refused.is_some()) {
            let _ = writeln!(
                out,
                "batch {} was refused whole: {}",
                b.number,
                b.refused.as_deref().unwrap_or_default()
            );
        }
    }
    let (outcome, code) = report.file_outcome();
    let unreadable = report
        .not_loaded
        .iter()
        .filter(|n| n.outcome == "unreadable")
        .count() as u64;
    let _ = writeln!(out);
    if report.dry_run {
        // Nothing was sent, so there is no file outcome yet: say what would happen.
        let _ = writeln!(
            out,
            "Dry run: would load {} of {}; nothing was sent.",
            report.rows.saturating_sub(report.not_loaded.len()),
            plural(report.rows as u64, "row", "rows"),
        );
    } else {
        let _ = writeln!(
            out,
            "File outcome: {outcome} ({code}): {} of {} loaded{}",
            report.loaded(),
            plural(report.rows as u64, "row", "rows"),
            if unreadable > 0 {
                format!(
                    "; {} could not be read and {} not sent",
                    plural(unreadable, "row", "rows"),
                    if unreadable == 1 { "was" } else { "were" }
                )
            } else {
                String::new()
            }
        );
    }
    if let Some(why) = &report.stopped {
        let _ = writeln!(
            out,
            "STOPPED: {} from line {} on {} not sent: {why}",
            plural(report.not_sent as u64, "record", "records"),
            report.first_line_not_sent.unwrap_or(0),
            if report.not_sent == 1 { "was" } else { "were" },
        );
    }
    if !report.shared_children.is_empty() {
        // Each of these LAs has been told of the record; the LA uploading may want to call.
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "Known to another LA ({}; each has been told of your plan):",
            report.shared_children.len()
        );
        let rows: Vec<Vec<String>> = report
            .shared_children
            .iter()
            .map(|s| {
                let la = &s.other_la.la;
                vec![
                    s.line.to_string(),
                    s.plan_ref.as_deref().map_or("-".into(), clean),
                    format!("{} {}", la.code, clean(&la.name)),
                    format!(
                        "{} from {}",
                        s.other_la.plan_type.as_str(),
                        s.other_la.start_date
                    ),
                    la.emergency_duty_phone
                        .as_deref()
                        .map_or("not held".into(), clean),
                    la.office_hours_phone.as_deref().map_or("-".into(), clean),
                ]
            })
            .collect();
        for line in table(
            &[
                "LINE",
                "PLAN REF",
                "OTHER LA",
                "ITS PLAN",
                "EMERGENCY DUTY TEAM (OUT OF HOURS)",
                "OFFICE HOURS",
            ],
            &rows,
            &[true],
        )
        .lines()
        {
            let _ = writeln!(out, "  {line}");
        }
    }
    if !report.not_loaded.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(out, "Not loaded ({}):", report.not_loaded.len());
        let rows: Vec<Vec<String>> = report
            .not_loaded
            .iter()
            .map(|n| {
                vec![
                    n.line.to_string(),
                    n.plan_ref.as_deref().map_or("-".into(), clean),
                    n.outcome.clone(),
                    clean(&n.code),
                    n.field.as_deref().map_or("-".into(), clean),
                    clean(&n.reason),
                ]
            })
            .collect();
        for line in table(
            &["LINE", "PLAN REF", "OUTCOME", "CODE", "FIELD", "REASON"],
            &rows,
            &[true],
        )
        .lines()
        {
            let _ = writeln!(out, "  {line}");
        }
        // A stale record is not missing: a newer version of its plan is held. A conflicting one
        // is not missing either: the plan is shown, with the details of the version held.
        let conflicting = report
            .not_loaded
            .iter()
            .filter(|n| n.code == "version_conflict")
            .count() as u64;
        let unfound = report
            .not_loaded
            .iter()
            .filter(|n| n.outcome != "stale" && n.code != "version_conflict")
            .count() as u64;
        if conflicting > 0 {
            let _ = writeln!(out);
            let _ = writeln!(
                out,
                "OLD DETAILS SHOWN: for {} above, the index holds the same version with other \
                 details, and clinicians see those until the change comes with a higher source \
                 version: send it with one.",
                plural(conflicting, "plan", "plans"),
            );
        }
        if unfound > 0 {
            let _ = writeln!(out);
            let _ = writeln!(
                out,
                "NOT FOUND UNTIL FIXED: for {} above, a clinician's lookup will answer that no \
                 plan is held until the record is fixed and sent again. {}",
                plural(unfound, "child", "children"),
                if report.mode == crate::upload::Mode::Full {
                    "From the next nightly reconciliation (an operator can run one now), this LA's \
                     report and inbox list them by line until then; `cpindex report` shows it."
                } else {
                    "Send them in a full extract to have reconciliation remind you until then."
                }
            );
        }
    }
    let incomplete = unreadable > 0 || report.not_sent > 0 || total.failed > 0;
    if report.mode == crate::upload::Mode::Full && incomplete && !report.dry_run {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "Warning: the index did not receive this full extract whole, so reconciliation will \
             see the rows above as missing from it. Fix them and upload the whole file again."
        );
    }
    out
}

/// This week's indicators, one line each, beside the national median.
pub fn indicators(report: &Indicators) -> String {
    let week = report.weeks.last().map(String::as_str).unwrap_or("-");
    let scope = if report.scope == "national" {
        "England".to_owned()
    } else {
        clean(&report.scope)
    };
    let mut out = format!(
        "Indicators for {scope}, week {}: this week (national median of {} LAs)\n",
        clean(week),
        report.las_compared
    );
    let text =
        |f: Option<&Option<cpindex::disclosure::Shown>>, unit: &str| match f.copied().flatten() {
            None => "no data".to_owned(),
            Some(s) if unit == "seconds" && s.value().is_some() => format!("{} s", s.text()),
            Some(s) => s.text(),
        };
    // A median over too few LAs is withheld for that reason alone: say so, as the web app does.
    let few = report.las_compared < cpindex::indicators::MIN_LAS_FOR_MEDIAN;
    let median =
        |f: Option<&Option<cpindex::disclosure::Shown>>, unit: &str| match f.copied().flatten() {
            Some(cpindex::disclosure::Shown::Withheld) if few => format!(
                "withheld: fewer than {} LAs",
                cpindex::indicators::MIN_LAS_FOR_MEDIAN
            ),
            _ => text(f, unit),
        };
    for s in &report.indicators {
        let _ = writeln!(
            out,
            "  {}: {} ({})",
            clean(&s.label),
            text(s.values.last(), &s.unit),
            median(s.national_median.last(), &s.unit)
        );
    }
    out.push_str("Counts from 1 to 4 read \"fewer than 5\"; a figure that would give one away reads \"not shown\".\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csv_extract::{BadRow, Extract, Row};
    use crate::model::BatchAck;
    use crate::upload::{record_ack, start_report, Mode};
    use serde_json::{json, Value};

    /// An answer read as the CLI reads the API's JSON.
    fn read<T: serde::de::DeserializeOwned>(v: Value) -> T {
        serde_json::from_value(v).expect("the API's answer shape")
    }

    fn leeds() -> Value {
        json!({"code": "E08000035", "name": "Leeds City Council", "team": "Children's Front Door",
               "officeHoursPhone": "0113 222 4403", "emergencyDutyPhone": "0113 535 0600"})
    }

    #[test]
    fn clean_keeps_one_line_and_no_escapes() {
        assert_eq!(clean("a\nb\r\n\u{1b}[31mc  d"), "a b [31mc d");
        assert_eq!(clean(&"x".repeat(400)).chars().count(), MAX_TEXT + 1);
    }

    #[test]
    fn tables_align_columns() {
        let t = table(
            &["A", "NUM"],
            &[
                vec!["long".into(), "1".into()],
                vec!["x".into(), "200".into()],
            ],
            &[false, true],
        );
        assert_eq!(t, "A     NUM\nlong    1\nx     200\n");
    }

    #[test]
    fn a_child_with_a_plan_shows_the_emergency_number_prominently() {
        let view: ChildView = read(json!({
            "accessId": "acc-1", "nhsNumber": "9434765919", "hasPlan": true,
            "plans": [{"planType": "CPP", "nationalCode": "CPPI", "startDate": "2026-01-10",
                       "status": "active", "responsibleLa": leeds()}],
            "visits": [{"at": "2026-11-22T10:15:02.123Z", "settingCode": "RR801",
                        "settingName": "Leeds General ED"}]
        }));
        let text = child(&view);
        assert!(
            text.starts_with("NHS number 943 476 5919: 1 ACTIVE PLAN\n"),
            "{text}"
        );
        assert!(text.contains("1. Child protection plan (CPP / CPPI)"));
        assert!(text.contains("Status:                              ACTIVE, started 2026-01-10"));
        assert!(
            text.contains("Responsible LA:                      Leeds City Council (E08000035)")
        );
        assert!(text.contains("Team:                                Children's Front Door"));
        assert!(text.contains("EMERGENCY DUTY TEAM (OUT OF HOURS):  0113 535 0600"));
        assert!(text.contains("Office hours:                        0113 222 4403"));
        assert!(
            text.contains("2026-11-22 10:15 UTC  RR801    Leeds General ED"),
            "{text}"
        );
        assert!(text.contains("Access id: acc-1"));
    }

    #[test]
    fn a_child_without_a_plan_says_so_plainly() {
        let view: ChildView = read(json!({
            "accessId": "acc-2", "nhsNumber": "9000000009", "hasPlan": false,
            "plans": [], "visits": []
        }));
        let text = child(&view);
        assert!(text.starts_with("NHS number 900 000 0009: NO PLAN held in the index"));
        assert!(text.contains("visits: none recorded"));
    }

    #[test]
    fn an_ended_unborn_child_plan_shows_dates() {
        let mut la = leeds();
        la.as_object_mut().unwrap().remove("officeHoursPhone");
        let view: ChildView = read(json!({
            "accessId": "a", "nhsNumber": "9434765919", "hasPlan": false,
            "plans": [],
            "endedPlans": [{"planType": "UCPP", "nationalCode": "UCPI", "startDate": "2026-01-10",
                       "endDate": "2026-03-01", "expectedDueDate": "2026-06-01",
                       "status": "ended", "responsibleLa": la}],
            "visits": []
        }));
        let text = child(&view);
        assert!(
            text.starts_with("NHS number 943 476 5919: NO ACTIVE PLAN, 1 recently ended plan\n"),
            "{text}"
        );
        assert!(text.contains("Unborn child protection plan (UCPP / UCPI)"));
        assert!(text.contains("ended 2026-03-01 (started 2026-01-10"));
        assert!(text.contains("Expected due:                        2026-06-01"));
        assert!(text.contains("Office hours:                        not given"));
    }

    #[test]
    fn a_transfer_out_says_the_old_la_is_still_told_and_until_when() {
        let view: ChildView = read(json!({
            "accessId": "a", "nhsNumber": "9434765919", "hasPlan": false, "plans": [],
            "endedPlans": [{"planType": "CPP", "nationalCode": "CPPI", "startDate": "2026-01-10",
                       "endDate": "2026-11-30", "endReason": "transferred_out",
                       "stillAlertedUntil": "2026-12-30", "status": "ended",
                       "responsibleLa": leeds()}],
            "visits": []
        }));
        let text = child(&view);
        assert!(
            text.contains("ended 2026-11-30, transferred out (started 2026-01-10)"),
            "{text}"
        );
        assert!(
            text.contains("RECENTLY TRANSFERRED OUT: no other LA has recorded a plan yet; this LA is still told of attendances until 2026-12-30: call it"),
            "{text}"
        );
        assert!(text.contains("EMERGENCY DUTY TEAM (OUT OF HOURS):  0113 535 0600"));
        let plain: ChildView = read(json!({
            "accessId": "a", "nhsNumber": "9434765919", "hasPlan": false, "plans": [],
            "endedPlans": [{"planType": "CPP", "nationalCode": "CPPI", "startDate": "2026-01-10",
                       "endDate": "2026-11-30", "status": "ended", "responsibleLa": leeds()}],
            "visits": []
        }));
        assert!(!child(&plain).contains("TRANSFERRED"));
    }

    /// Two possible matches as the API answers a widened search (the advice is the API's).
    fn two_possible_matches() -> ChildSearchAnswer {
        let camden = json!({"code": "E09000007", "name": "London Borough of Camden",
                            "team": "Children and Families Contact Service",
                            "officeHoursPhone": "020 7974 3317",
                            "emergencyDutyPhone": "020 7974 4444"});
        read(json!({
            "searchId": "5f0c1d2e-3a4b-4c5d-8e9f-0a1b2c3d4e5f", "outcome": "possible_match",
            "widened": true,
            "matches": [
                {"la": leeds(), "planType": "CPP", "status": "active", "match": "exact"},
                {"la": camden, "planType": "LAC", "status": "ended", "match": "sounds_alike"}
            ],
            "advice": "A possible match. Call the local authority below (its emergency duty team out of hours) and confirm who the child is with them before acting: this search does not identify the child."
        }))
    }

    #[test]
    fn a_possible_match_says_whom_to_call_and_how_it_matched_never_who_the_child_is() {
        let mut answer = two_possible_matches();
        answer.matches[1].la.emergency_duty_phone = None;
        let text = child_search(&answer);
        assert!(
            text.starts_with("POSSIBLE MATCH: 2 plans may be this child's (searched: the date of birth, sex and family name as spelt or of the same sound). Confirm who the child is with the LA before acting on it.\n"),
            "{text}"
        );
        let first = text
            .find("1. Child protection plan (CPP / CPPI), ACTIVE\n")
            .expect(&text);
        let second = text
            .find("2. Looked-after child (LAC / LACI), ENDED (still held)\n")
            .expect(&text);
        let (one, two) = (&text[first..second], &text[second..]);
        assert!(one.contains(
            "Matched:                             date of birth, sex and family name as spelt\n"
        ));
        assert!(one.contains("Responsible LA:                      Leeds City Council (E08000035)"));
        assert!(one.contains("EMERGENCY DUTY TEAM (OUT OF HOURS):  0113 535 0600"));
        assert!(one.contains("Office hours:                        0113 222 4403"));
        assert!(two.contains("a family name of the same sound (may be another child)"));
        assert!(two
            .contains("Responsible LA:                      London Borough of Camden (E09000007)"));
        assert!(two.contains("NO VETTED NUMBER HELD"));
        assert!(text.contains(
            "\nA possible match. Call the local authority below (its emergency duty team out of hours) and confirm who the child is with them before acting: this search does not identify the child.\n"
        ));
        assert!(text
            .contains("Search id: 5f0c1d2e-3a4b-4c5d-8e9f-0a1b2c3d4e5f (every search is audited"));
    }

    #[test]
    fn no_match_and_too_many_matches_list_nothing_and_are_never_read_as_no_plan() {
        let answer = |outcome: &str, widened: bool| -> ChildSearchAnswer {
            read(
                json!({"searchId": "s-1", "outcome": outcome, "widened": widened,
                        "matches": [], "advice": "Advice."}),
            )
        };
        let none = child_search(&answer("no_match", false));
        assert!(
            none.starts_with("NO MATCH for the date of birth, sex and family name as spelt. This is not proof that no plan is held.\n"),
            "{none}"
        );
        let many = child_search(&answer("too_many_matches", true));
        assert!(
            many.starts_with("TOO MANY POSSIBLE MATCHES for the date of birth, sex and family name as spelt or of the same sound: none is listed. Narrow the search.\n"),
            "{many}"
        );
        for text in [&none, &many] {
            assert!(!text.contains("Responsible LA"), "{text}");
            assert!(text.contains("\nAdvice.\n"), "{text}");
        }
    }

    /// docs/CLI.md's child-search sample is what `child-search` prints.
    #[test]
    fn the_docs_child_search_sample_is_what_the_cli_prints() {
        assert_eq!(
            child_search(&two_possible_matches()),
            doc_sample("child-search")
        );
    }

    #[test]
    fn notifications_render_as_a_table() {
        let n: Notification = read(json!({
            "notificationId": "5d41402abc4b2a76b9719d911017c592", "la": "E08000035",
            "accessId": "a-1", "nhsNumber": "9434765919", "seenAt": "2026-11-22T10:15:00Z",
            "settingCode": "RR801", "settingName": "Leeds General ED", "seenBy": "dr-1",
            "seenByRole": "unscheduled_care", "planTypes": ["CPP"], "status": "inbox",
            "createdAt": "2026-11-22T10:15:01Z"
        }));
        let text = notifications(std::slice::from_ref(&n), true, true);
        let row = text.lines().nth(1).unwrap();
        for part in [
            "5d41402abc4b2a76b9719d911017c592",
            "2026-11-22 10:15 UTC",
            "943 476 5919",
            "CPP",
            "RR801 Leeds General ED",
            "dr-1",
            "inbox",
        ] {
            assert!(row.contains(part), "{row} lacks {part}");
        }
        assert!(row.ends_with("no"));
        assert!(text.contains("raise --limit"));
        assert_eq!(
            notifications(&[], true, false),
            "No unacknowledged notifications.\n"
        );
        assert_eq!(
            acknowledged(&n),
            "Notification 5d41402abc4b2a76b9719d911017c592 is not shown as acknowledged (delivery: inbox; child seen 2026-11-22 10:15 UTC at RR801 Leeds General ED).\n"
        );
        let acked = Notification {
            acknowledged_at: Some("2026-11-22T11:00:00Z".parse().unwrap()),
            acknowledged_by: Some("sw-1".into()),
            ..n
        };
        assert_eq!(
            acknowledged(&acked),
            "Notification 5d41402abc4b2a76b9719d911017c592 acknowledged at 2026-11-22 11:00 UTC by sw-1 (child seen 2026-11-22 10:15 UTC at RR801 Leeds General ED).\n"
        );
    }

    #[test]
    fn a_demographic_match_names_the_las_own_plan_and_how_it_matched_never_a_number() {
        let n: Notification = read(json!({
            "notificationId": "7d41402abc4b2a76b9719d911017c592", "kind": "demographic_match",
            "la": "E08000035", "accessId": "s-1", "seenAt": "2026-11-22T03:00:00Z",
            "settingCode": "RR801", "settingName": "Leeds General ED", "seenBy": "dr-1",
            "seenByRole": "unscheduled_care", "planTypes": ["CPP"], "status": "inbox",
            "createdAt": "2026-11-22T03:00:01Z",
            "demographicMatch": {"planRef": "CP-1001", "planType": "CPP",
                                 "match": "sounds_alike", "widened": true}
        }));
        let text = notifications(std::slice::from_ref(&n), false, false);
        let row = text.lines().nth(1).unwrap();
        assert!(
            row.contains("dr-1 (possible match: plan CP-1001, name of the same sound)"),
            "{row}"
        );
        assert!(row.contains("RR801 Leeds General ED"), "{row}");
        assert_eq!(
            acknowledged(&n),
            "Notification 7d41402abc4b2a76b9719d911017c592 is not shown as acknowledged (delivery: inbox; possible match: plan CP-1001, name of the same sound searched 2026-11-22 03:00 UTC at RR801 Leeds General ED).\n"
        );
    }

    #[test]
    fn another_las_plan_reads_as_who_and_how_to_reach_them_never_as_a_visit() {
        let n: Notification = read(json!({
            "notificationId": "6d41402abc4b2a76b9719d911017c592", "kind": "other_la_plan",
            "la": "E08000035", "accessId": "plan-6d41402abc4b2a76", "nhsNumber": "9434765919",
            "seenAt": "2026-11-22T10:15:00Z", "settingCode": "E09000007",
            "settingName": "London Borough of Camden", "seenBy": "E09000007",
            "seenByRole": "local_authority", "planTypes": ["CPP"], "status": "inbox",
            "createdAt": "2026-11-22T10:15:00Z",
            "otherLa": {"la": {"code": "E09000007", "name": "London Borough of Camden",
                               "emergencyDutyPhone": "020 7974 4444"},
                        "planType": "LAC", "startDate": "2026-11-01"}
        }));
        let row = notifications(std::slice::from_ref(&n), false, false);
        let row = row.lines().nth(1).unwrap();
        assert!(
            row.contains("ANOTHER LA'S PLAN: E09000007 London Borough of Camden, LAC from 2026-11-01, Emergency duty team (out of hours): 020 7974 4444"),
            "{row}"
        );
        assert!(
            !row.contains("E09000007 E09000007"),
            "no one is named as having seen the child: {row}"
        );
        assert!(acknowledged(&n).contains(
            "(delivery: inbox; recorded 2026-11-22 10:15 UTC: ANOTHER LA'S PLAN: E09000007"
        ));
    }

    #[test]
    fn a_report_says_it_predates_the_latest_extract_and_names_lines_and_columns() {
        let report = json!({"generatedAt": "2026-12-04T02:00:00Z",
            "latestExtractAfterReport": "2026-12-04T09:30:00Z",
            "notInIndex": {"total": 2, "items": [
                {"code": "invalid_nhs_number", "field": "/records/4/nhsNumber", "batchId": "b",
                 "index": 4, "line": 6, "column": "nhs_number"},
                {"code": "missing_field", "batchId": "b", "index": 5}]}});
        let notes = report_notes(&report);
        assert!(notes.starts_with("NOTE: this report was written before your latest full extract (received 2026-12-04T09:30:00Z)"), "{notes}");
        assert!(
            notes.contains("NOT FOUND UNTIL FIXED: line 6, column nhs_number: invalid_nhs_number"),
            "{notes}"
        );
        assert_eq!(
            notes.matches("NOT FOUND").count(),
            1,
            "a record without a line is left to the listing: {notes}"
        );
        assert_eq!(
            report_notes(
                &json!({"generatedAt": "2026-12-04T02:00:00Z", "notInIndex": {"total": 0, "items": []}})
            ),
            ""
        );
    }

    #[test]
    fn dead_letters_say_which_depth_is_live() {
        let answer = json!({"queueDepth": 3, "latestReport": {"generatedAt": "2026-12-04T02:00:00Z",
            "deadLetterQueueDepth": 1}});
        let notes = dead_letter_notes(&answer);
        assert!(
            notes.contains("Dead-letter queue now: 3 messages"),
            "{notes}"
        );
        assert!(
            notes.contains("At the last reconciliation (2026-12-04T02:00:00Z): 1 message;"),
            "{notes}"
        );
        assert!(
            dead_letter_notes(&json!({"queueDepth": null, "latestReport": null}))
                .contains("could not be read")
        );
    }

    /// The ```text block after `<!-- sample: NAME -->` in docs/CLI.md.
    fn doc_sample(name: &str) -> String {
        let doc = include_str!("../../docs/CLI.md");
        let marker = format!("<!-- sample: {name} -->\n```text\n");
        let start = doc
            .find(&marker)
            .unwrap_or_else(|| panic!("no {marker} in docs/CLI.md"))
            + marker.len();
        let end = start + doc[start..].find("```").expect("the block ends");
        doc[start..end].to_owned()
    }

    /// docs/CLI.md shows what the CLI prints: the upload report of the end-to-end test's file
    /// (batches of two), rendered here from the same acknowledgements.
    #[test]
    fn the_docs_upload_sample_is_what_the_cli_prints() {
        use crate::upload::{record_ack, start_report, Mode};
        use cpindex::csv_extract::{BadRow, Extract, Row};
        let row = |line| Row {
            line,
            record: json!({}),
        };
        let extract = Extract {
            columns: vec![],
            ignored_columns: vec![],
            rows: vec![row(2), row(4), row(5), row(6), row(8)],
            bad_rows: vec![BadRow {
                line: 3,
                reason: "the row has 3 columns; the header has 9".into(),
            }],
        };
        let mut report = start_report(
            "extract.csv",
            Mode::Full,
            Some("cli-test-F08BDB83".into()),
            &extract,
        );
        let counts = |received, created, rejected| {
            json!({"received": received, "created": created, "updated": 0, "unchanged": 0,
                   "moved": 0, "stale": 0, "rejected": rejected, "failed": 0})
        };
        let acks = [
            (
                &extract.rows[0..2],
                json!({"batchId": "eab9e171-98be-4924-836d-367aa915f13b", "mode": "full",
                    "fileOutcome": "all_loaded", "fileCode": "CPF02", "counts": counts(2, 2, 0),
                    "records": [
                        {"index": 0, "planRef": "CLI-F08BDB83-1", "outcome": "created", "code": "ok"},
                        {"index": 1, "planRef": "CLI-F08BDB83-3", "outcome": "created", "code": "ok"}]}),
            ),
            (
                &extract.rows[2..4],
                json!({"batchId": "33de00c9-26c1-4f9c-9472-1ed2d874f378", "mode": "full",
                    "fileOutcome": "partly_loaded", "fileCode": "CPF03", "counts": counts(2, 1, 1),
                    "records": [
                        {"index": 0, "planRef": "CLI-F08BDB83-4", "outcome": "rejected",
                         "code": "invalid_nhs_number", "field": "/records/0/nhsNumber",
                         "reason": "the check digit does not match"},
                        {"index": 1, "planRef": "CLI-F08BDB83-5", "outcome": "created", "code": "ok"}]}),
            ),
            (
                &extract.rows[4..5],
                json!({"batchId": "ec5644e5-0cf9-49ab-970e-dece5938e4df", "mode": "full",
                    "fileOutcome": "none_loaded", "fileCode": "CPF04", "counts": counts(1, 0, 1),
                    "records": [
                        {"index": 0, "planRef": "CLI-F08BDB83-6", "outcome": "rejected",
                         "code": "invalid_version", "field": "/records/0/sourceVersion",
                         "reason": "expected a positive integer"}]}),
            ),
        ];
        for (i, (rows, ack)) in acks.into_iter().enumerate() {
            record_ack(&mut report, i + 1, rows, &read(ack));
        }
        report.not_loaded.sort_by_key(|n| n.line);
        assert_eq!(upload(&report), doc_sample("upload"));
    }

    /// docs/CLI.md's inbox sample is what `notifications list` prints.
    #[test]
    fn the_docs_notifications_sample_is_what_the_cli_prints() {
        let n: Notification = read(json!({
            "notificationId": "8a7f2d4c983e0f28e4c61bc451bd2b2b", "kind": "child_seen",
            "la": "E08000035", "accessId": "a-1", "nhsNumber": "9995260182",
            "seenAt": "2026-11-22T03:00:00Z", "settingCode": "RR801",
            "settingName": "Leeds General ED", "seenBy": "dr-1", "seenByRole": "unscheduled_care",
            "planTypes": ["CPP"], "status": "inbox", "createdAt": "2026-11-22T03:00:01Z"
        }));
        assert_eq!(
            notifications(&[n], false, false),
            doc_sample("notifications")
        );
    }

    #[test]
    fn reconciliation_steps_read_as_one_line_each() {
        let v = json!({"runId": "r-1", "complete": false, "pages": 12, "alertsRedriven": 1, "reportsWritten": 0});
        assert_eq!(
            reconcile_step(1, &v),
            "Reconciliation run r-1 step 1: 12 pages scanned, 1 alert re-driven, 0 reports written; continuing\n"
        );
        let v = json!({"runId": "r-1", "complete": true, "pages": 1, "alertsRedriven": 0, "reportsWritten": 3});
        assert!(reconcile_step(2, &v).ends_with("3 reports written; COMPLETE\n"));
        assert_eq!(
            reconcile_step(1, &json!({"started": true})),
            "started: true\n"
        );
    }

    #[test]
    fn generic_answers_read_as_indented_lines() {
        let v = json!({"runId": "r-1", "counts": {"ended": 2}, "items": [{"id": "m-1", "attempts": 3}], "empty": []});
        assert_eq!(
            generic(&v),
            // Keys come sorted (serde_json's map).
            "counts:\n  ended: 2\nempty: none\nitems:\n  - attempts: 3\n    id: m-1\nrunId: r-1\n"
        );
    }

    #[test]
    fn the_upload_report_names_lines_codes_fields_and_totals() {
        let extract = Extract {
            columns: vec![],
            ignored_columns: vec!["Case Worker".into()],
            rows: vec![
                Row {
                    line: 2,
                    record: json!({}),
                },
                Row {
                    line: 4,
                    record: json!({}),
                },
            ],
            bad_rows: vec![BadRow {
                line: 3,
                reason: "the row has 3 columns; the header has 9".into(),
            }],
        };
        let mut report = start_report("plans.csv", Mode::Full, Some("e-1".into()), &extract);
        let ack: BatchAck = read(json!({
            "batchId": "b-1", "mode": "full", "extractId": "e-1",
            "fileOutcome": "partly_loaded", "fileCode": "CPF03",
            "counts": {"received": 2, "created": 1, "updated": 0, "unchanged": 0, "moved": 0,
                       "stale": 0, "rejected": 1, "failed": 0},
            "records": [
                {"index": 0, "planRef": "CP-1", "outcome": "created", "code": "ok"},
                {"index": 1, "planRef": "CP-3", "outcome": "rejected", "code": "invalid_nhs_number",
                 "field": "/records/1/nhsNumber", "reason": "the check digit does not match"}
            ]
        }));
        record_ack(&mut report, 1, &extract.rows, &ack);
        report.not_loaded.sort_by_key(|n| n.line);
        let text = upload(&report);
        assert!(
            text.starts_with("plans.csv: full upload (extract id e-1), 3 rows in 1 batch\n"),
            "{text}"
        );
        assert!(text.contains("File outcome: partly_loaded (CPF03): 1 of 3 rows loaded; 1 row could not be read and was not sent"), "{text}");
        let line3 = text
            .lines()
            .find(|l| l.trim_start().starts_with("3 "))
            .unwrap();
        assert!(
            line3.contains("unreadable") && line3.contains("malformed_row"),
            "{line3}"
        );
        let line4 = text
            .lines()
            .find(|l| l.trim_start().starts_with("4 "))
            .unwrap();
        for part in [
            "CP-3",
            "rejected",
            "invalid_nhs_number",
            "nhs_number",
            "the check digit does not match",
        ] {
            assert!(line4.contains(part), "{line4} lacks {part}");
        }
        let total = text.lines().find(|l| l.starts_with("total")).unwrap();
        assert_eq!(
            total.split_whitespace().collect::<Vec<_>>(),
            ["total", "2", "1", "0", "0", "0", "0", "1", "0"]
        );
        assert!(text.contains("Warning: the index did not receive this full extract whole"));
        assert!(
            text.contains("NOT FOUND UNTIL FIXED: for 2 children above"),
            "{text}"
        );
        assert!(
            text.contains(
                "Ignored column (not part of the extract format, never sent): Case Worker"
            ),
            "{text}"
        );
    }

    #[test]
    fn the_inbox_announces_the_records_the_index_does_not_hold() {
        let r: cpindex::answers::ReportAnnouncement = read(json!({"runId": "r-1",
            "generatedAt": "2026-12-04T02:00:00Z", "notInExtract": 0, "notInIndex": 2,
            "href": "/v1/reconciliation-reports/latest"}));
        let text = report_announcement(&r);
        assert!(
            text.contains("NOT FOUND UNTIL FIXED: 2 records of your latest full extract"),
            "{text}"
        );
        assert!(
            text.contains("0 plans the index holds that the extract does not"),
            "{text}"
        );
        assert!(text.contains("cpindex report"), "{text}");
    }

    #[test]
    fn a_median_over_too_few_las_says_why_it_is_withheld() {
        let report = |las: usize| -> crate::model::Indicators {
            read(
                json!({"scope": "E08000035", "weeks": ["2026-W49"], "lasCompared": las,
                "indicators": [{"key": "alerts_sent", "label": "Alerts sent", "unit": "count",
                    "values": [{"shown": "exact", "value": 6}],
                    "nationalMedian": [{"shown": "withheld"}]}]}),
            )
        };
        let few = indicators(&report(2));
        assert!(
            few.contains("Alerts sent: 6 (withheld: fewer than 5 LAs)"),
            "{few}"
        );
        // Over enough LAs a withheld median is withheld for another reason: said as before.
        let many = indicators(&report(7));
        assert!(many.contains("Alerts sent: 6 (not shown)"), "{many}");
    }

    #[test]
    fn a_dry_run_says_what_would_load_not_a_file_outcome() {
        let extract = Extract {
            columns: vec![],
            ignored_columns: vec![],
            rows: (0..20)
                .map(|i| Row {
                    line: i + 2,
                    record: json!({}),
                })
                .collect(),
            bad_rows: vec![],
        };
        let mut report = start_report("plans.csv", Mode::Full, Some("e-1".into()), &extract);
        report.dry_run = true;
        for line in [5, 9] {
            report.not_loaded.push(crate::upload::NotLoaded {
                line,
                plan_ref: None,
                outcome: "rejected".into(),
                code: "invalid_nhs_number".into(),
                field: Some("nhs_number".into()),
                reason: "the check digit does not match".into(),
            });
        }
        let text = upload(&report);
        assert!(
            text.contains("Dry run: would load 18 of 20 rows; nothing was sent."),
            "{text}"
        );
        assert!(
            !text.contains("none_loaded") && !text.contains("CPF04"),
            "{text}"
        );
        // What would be rejected is still listed, line by line.
        assert!(text.contains("Not loaded (2):"), "{text}");
    }

    #[test]
    fn a_version_conflict_is_reported_as_old_details_shown_never_as_no_plan() {
        let extract = Extract {
            columns: vec![],
            ignored_columns: vec![],
            rows: vec![Row {
                line: 2,
                record: json!({}),
            }],
            bad_rows: vec![],
        };
        let mut report = start_report("plans.csv", Mode::Delta, None, &extract);
        let ack: BatchAck = read(json!({
            "batchId": "b-1", "mode": "delta",
            "fileOutcome": "none_loaded", "fileCode": "CPF04",
            "counts": {"received": 1, "created": 0, "updated": 0, "unchanged": 0, "moved": 0,
                       "stale": 0, "rejected": 1, "failed": 0},
            "records": [
                {"index": 0, "planRef": "CP-1", "outcome": "rejected", "code": "version_conflict",
                 "field": "/records/0/sourceVersion", "currentVersion": 3,
                 "reason": "this version is already held with different content"}
            ]
        }));
        record_ack(&mut report, 1, &extract.rows, &ack);
        let text = upload(&report);
        assert!(
            text.contains("OLD DETAILS SHOWN: for 1 plan above")
                && text.contains("higher source version"),
            "{text}"
        );
        assert!(!text.contains("NOT FOUND UNTIL FIXED"), "{text}");
    }
}
