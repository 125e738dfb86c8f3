//! `cpindex usage`: the privacy officer's week (who in the organisation looked children up, and
//! who stands out and why), as a table, the API's JSON or its CSV.

use serde_json::Value;

use crate::api;
use crate::render::{clean, table};
use crate::{connect, pretty, Cli, CliError, Console, EXIT_OK};

/// The API's route.
pub const USAGE: api::Route = &cpindex::routes::GET_USAGE;

/// Calls `GET /v1/usage` and prints it.
pub(crate) async fn usage(
    cli: &Cli,
    org: Option<&str>,
    week: Option<&str>,
    csv: bool,
    console: &mut Console<'_>,
) -> Result<u8, CliError> {
    let api = connect(cli, console)?;
    let mut query = Vec::new();
    if let Some(org) = org {
        query.push(("org", org.to_owned()));
    }
    if let Some(week) = week {
        query.push(("week", week.to_owned()));
    }
    if csv {
        let body = api
            .call_accepting(USAGE, &[], &query, None, "text/csv")
            .await?;
        console.print(&String::from_utf8_lossy(&body));
        return Ok(EXIT_OK);
    }
    let body = api.call(USAGE, &[], &query, None).await?;
    if cli.json {
        console.print(&pretty(&body));
    } else {
        let view: Value = api::decode(USAGE, &body)?;
        console.print(&render(&view));
    }
    Ok(EXIT_OK)
}

/// A published figure as words (the CSV's own).
fn figure(f: &Value) -> String {
    match (f["shown"].as_str(), f["value"].as_u64()) {
        (Some("fewer_than_5"), _) => "fewer than 5".into(),
        (Some("withheld"), _) => "not shown".into(),
        (_, Some(n)) => n.to_string(),
        _ => "-".into(),
    }
}

/// The week as a person reads it: the totals, then one row per user, those who stand out first.
pub fn render(view: &Value) -> String {
    let mut out = format!(
        "Access oversight for {}, week {}: {} lookups ({} silent; {} in the busiest hour), {} refused attempts, {} audit reads; cap {} an hour\n",
        clean(view["org"].as_str().unwrap_or("-")),
        clean(view["week"].as_str().unwrap_or("-")),
        figure(&view["lookups"]),
        figure(&view["silent"]),
        figure(&view["busiestHour"]),
        figure(&view["refused"]),
        figure(&view["auditReads"]),
        view["capPerHour"].as_u64().unwrap_or(0),
    );
    let users = view["users"].as_array().cloned().unwrap_or_default();
    if users.is_empty() {
        out.push_str("Nobody in the organisation looked a child up that week.\n");
        return out;
    }
    let rows: Vec<Vec<String>> = users
        .iter()
        .map(|u| {
            let reasons: Vec<&str> = u["reasons"]
                .as_array()
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            vec![
                clean(u["user"].as_str().unwrap_or("-")),
                clean(u["role"].as_str().unwrap_or("-")),
                figure(&u["lookups"]),
                figure(&u["silent"]),
                figure(&u["overCap"]),
                figure(&u["refused"]),
                if u["outsideUsualHours"].is_null() {
                    "no baseline".into()
                } else {
                    figure(&u["outsideUsualHours"])
                },
                figure(&u["auditReads"]),
                reasons.join(" "),
            ]
        })
        .collect();
    out.push_str(&table(
        &[
            "user",
            "role",
            "lookups",
            "silent",
            "over cap",
            "refused",
            "outside hours",
            "audit reads",
            "stands out",
        ],
        &rows,
        &[false, false, true, true, true, true, true, true, false],
    ));
    out.push_str(
        "Counts are of requests, not children; counts from 1 to 4 read \"fewer than 5\".\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_week_names_who_stands_out_first_and_never_a_small_count() {
        let view = json!({
            "org": "RXQ", "week": "2026-W49", "capPerHour": 1000,
            "lookups": {"shown": "exact", "value": 30}, "silent": {"shown": "exact", "value": 0},
            "refused": {"shown": "fewer_than_5"}, "auditReads": {"shown": "exact", "value": 0},
            "medianUserLookups": {"shown": "fewer_than_5"}, "busiestHour": {"shown": "exact", "value": 25},
            "users": [
                {"user": "list-worker", "role": "unscheduled_care", "lookups": {"shown": "exact", "value": 25},
                 "silent": {"shown": "exact", "value": 0}, "overCap": {"shown": "exact", "value": 0},
                 "refused": {"shown": "exact", "value": 0}, "auditReads": {"shown": "exact", "value": 0},
                 "busiestHour": {"shown": "exact", "value": 25}, "standsOut": true, "reasons": ["far_above_median"]},
                {"user": "dr-a", "role": "unscheduled_care", "lookups": {"shown": "fewer_than_5"},
                 "silent": {"shown": "exact", "value": 0}, "overCap": {"shown": "exact", "value": 0},
                 "refused": {"shown": "exact", "value": 0}, "auditReads": {"shown": "exact", "value": 0},
                 "outsideUsualHours": {"shown": "exact", "value": 0},
                 "busiestHour": {"shown": "fewer_than_5"}, "standsOut": false, "reasons": []}
            ]
        });
        let text = render(&view);
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            lines[0].contains("RXQ, week 2026-W49: 30 lookups (0 silent; 25 in the busiest hour)")
        );
        assert!(lines[2].starts_with("list-worker") && lines[2].ends_with("far_above_median"));
        assert!(lines[2].contains("no baseline"));
        assert!(lines[3].starts_with("dr-a") && lines[3].contains("fewer than 5"));
    }
}
