//! The indicators as CSV: one row per indicator per week, figures as the page reads them. The
//! API serves it and the page's downloads fetch it, so a chart's CSV is the API's own.

use super::publish::Report;
use crate::disclosure::Shown;

/// CSV columns.
pub const COLUMNS: [&str; 8] = [
    "scope",
    "week",
    "week_start",
    "indicator",
    "label",
    "unit",
    "value",
    "national_median",
];

fn cell(s: Option<Shown>) -> String {
    s.map_or_else(|| "no data".into(), Shown::text)
}

/// `report` as CSV, only the indicator `only` when given.
pub fn to_csv(report: &Report, only: Option<&str>) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    // Writing to memory cannot fail.
    w.write_record(COLUMNS).expect("in memory");
    for series in report
        .indicators
        .iter()
        .filter(|s| only.is_none_or(|k| k == s.key))
    {
        let unit = serde_json::to_value(series.unit).expect("a unit serializes");
        for (i, week) in report.weeks.iter().enumerate() {
            w.write_record([
                report.scope.as_str(),
                week,
                &report.week_starts[i].to_string(),
                series.key,
                series.label,
                unit.as_str().unwrap_or_default(),
                &cell(series.values[i]),
                &cell(series.national_median[i]),
            ])
            .expect("in memory");
        }
    }
    String::from_utf8(w.into_inner().expect("in memory")).expect("CSV of UTF-8 text")
}
