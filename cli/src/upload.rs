//! `cpindex upload`: an extract file to batches, batches to the API, acknowledgements to one
//! report that names every record not loaded by its line in the file.

use std::time::Duration;

use serde::Serialize;
use serde_json::{json, Value};

use crate::api::{self, Api, ApiError};
use crate::csv_extract::{self, Extract, Row};
use crate::model::{BatchAck, Counts};

/// How the API applies the file (the API's own definition).
pub use cpindex::batch::Mode;

/// Attempts per batch when the API is briefly unavailable (re-sending is safe: every record
/// carries its version, so a repeat is answered `unchanged`).
pub const ATTEMPTS: u32 = 3;

/// One batch as sent and acknowledged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchReport {
    /// 1-based.
    pub number: usize,
    pub first_line: u64,
    pub last_line: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch_id: Option<String>,
    /// The API's whole-batch outcome (`all_loaded`, ...), or `refused`.
    pub outcome: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_code: Option<String>,
    pub counts: Counts,
    /// Why the API refused the whole batch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refused: Option<String>,
}

/// A row or record that the index does not hold as the file says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NotLoaded {
    pub line: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan_ref: Option<String>,
    /// `unreadable` (the row was not sent), or the API's record outcome.
    pub outcome: String,
    pub code: String,
    /// The CSV column at fault (or the API's field pointer when it names no column).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    pub reason: String,
}

/// What happened to a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadReport {
    pub file: String,
    pub mode: Mode,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extract_id: Option<String>,
    /// Data rows in the file (blank rows aside): records read plus unreadable rows.
    pub rows: usize,
    pub batches: Vec<BatchReport>,
    /// Every row or record not loaded, by line.
    pub not_loaded: Vec<NotLoaded>,
    /// Records never sent because the upload stopped.
    pub not_sent: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_line_not_sent: Option<u64>,
    /// Why the upload stopped before the end.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
    /// Header names that are not extract columns: reported, and their cells never sent.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ignored_columns: Vec<String>,
    /// Checked here, nothing sent (`--dry-run`): the report says what would load.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub dry_run: bool,
    /// Records put on a child another LA holds a plan for (that LA has been told), by line.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub shared_children: Vec<SharedChild>,
}

/// A record the index put on a child another LA holds a plan for: which LA, how to reach it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SharedChild {
    pub line: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan_ref: Option<String>,
    pub other_la: cpindex::notification::OtherLaPlan,
}

impl UploadReport {
    pub fn total(&self) -> Counts {
        let mut total = Counts::default();
        for b in &self.batches {
            total.add(&b.counts);
        }
        total
    }

    /// Rows the index now holds as the file says.
    pub fn loaded(&self) -> usize {
        self.total().loaded()
    }

    /// The whole file's outcome and its national code.
    pub fn file_outcome(&self) -> (&'static str, &'static str) {
        let loaded = self.loaded();
        if loaded == self.rows {
            ("all_loaded", "CPF02")
        } else if loaded == 0 {
            ("none_loaded", "CPF04")
        } else {
            ("partly_loaded", "CPF03")
        }
    }

    /// 0 when every row loaded, 1 when some did not, 2 when the upload was stopped.
    pub fn exit_code(&self) -> u8 {
        if self.stopped.is_some() {
            2
        } else if self.loaded() == self.rows {
            0
        } else {
            1
        }
    }
}

/// An extract id for a full extract sent without one: `cli-<UTC time>-<random>`.
pub fn new_extract_id() -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!(
        "cli-{}-{}",
        chrono::Utc::now().format("%Y%m%dT%H%M%SZ"),
        &id[..8]
    )
}

/// Checks an extract id the way the API does (1 to 64 of `A-Z a-z 0-9 . _ -`).
pub fn check_extract_id(id: &str) -> Result<(), String> {
    cpindex::PlanRef::parse(id, "/extractId")
        .map(|_| ())
        .map_err(|_| "--extract-id must be 1 to 64 letters, digits, '.', '_' or '-'".to_owned())
}

/// The report of a file before anything is sent: its unreadable rows.
pub fn start_report(
    file: &str,
    mode: Mode,
    extract_id: Option<String>,
    extract: &Extract,
) -> UploadReport {
    UploadReport {
        file: file.to_owned(),
        mode,
        extract_id,
        rows: extract.rows.len() + extract.bad_rows.len(),
        batches: Vec::new(),
        not_loaded: extract
            .bad_rows
            .iter()
            .map(|b| NotLoaded {
                line: b.line,
                plan_ref: None,
                outcome: "unreadable".into(),
                code: "malformed_row".into(),
                field: None,
                reason: b.reason.clone(),
            })
            .collect(),
        not_sent: 0,
        first_line_not_sent: None,
        stopped: None,
        ignored_columns: extract.ignored_columns.clone(),
        dry_run: false,
        shared_children: Vec::new(),
    }
}

/// The body of one batch.
pub fn batch_body(mode: Mode, extract_id: Option<&str>, rows: &[Row]) -> Value {
    let mut body = json!({
        "mode": mode.as_str(),
        "records": rows.iter().map(|r| &r.record).collect::<Vec<_>>(),
        // Each record's line, so the LA's report names the line, as this upload's report does.
        "lines": rows.iter().map(|r| r.line).collect::<Vec<_>>(),
    });
    if let Some(id) = extract_id {
        body["extractId"] = json!(id);
    }
    body
}

/// The plan reference a row's record carries, if any.
fn plan_ref_of(row: &Row) -> Option<String> {
    row.record
        .get("planRef")
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// `--dry-run`: checks every record as the API would (the same domain rules, run here), adding
/// each record the API would reject to the report, with its column and reason. Nothing is sent.
pub fn check_locally(report: &mut UploadReport, rows: &[Row], today: chrono::NaiveDate) {
    for row in rows {
        if let Err(e) = cpindex::Plan::from_json(&row.record, "", None, today) {
            report.not_loaded.push(NotLoaded {
                line: row.line,
                plan_ref: plan_ref_of(row),
                outcome: "rejected".into(),
                code: e.code.as_str().into(),
                field: Some(
                    csv_extract::column_for_field(&format!("/records/0{}", e.field))
                        .map(str::to_owned)
                        .unwrap_or(e.field),
                ),
                reason: e.detail,
            });
        }
    }
    report.not_loaded.sort_by_key(|n| n.line);
}

/// Adds one batch's acknowledgement to the report; the ack's record `index` maps back to the
/// line of the row it came from.
pub fn record_ack(report: &mut UploadReport, number: usize, rows: &[Row], ack: &BatchAck) {
    for r in &ack.records {
        let line = rows.get(r.index).map_or(0, |row| row.line);
        report
            .shared_children
            .extend(r.other_las.iter().map(|o| SharedChild {
                line,
                plan_ref: r.plan_ref.clone(),
                other_la: o.clone(),
            }));
    }
    for r in ack.records.iter().filter(|r| !r.loaded()) {
        let line = rows.get(r.index).map_or(0, |row| row.line);
        let field = r.field.as_deref().map(|f| {
            csv_extract::column_for_field(f)
                .map(str::to_owned)
                .unwrap_or_else(|| f.to_owned())
        });
        let mut reason = r.reason.clone().unwrap_or_default();
        if let Some(v) = r.current_version {
            reason = format!("{reason} (version held: {v})").trim().to_owned();
        }
        report.not_loaded.push(NotLoaded {
            line,
            plan_ref: r.plan_ref.clone(),
            outcome: r.outcome.as_str().into(),
            code: r.code.clone(),
            field,
            reason,
        });
    }
    // A record the acknowledgement does not mention is not known to be loaded.
    let mut mentioned = vec![false; rows.len()];
    for r in &ack.records {
        if let Some(m) = mentioned.get_mut(r.index) {
            *m = true;
        }
    }
    for (row, _) in rows.iter().zip(&mentioned).filter(|(_, m)| !**m) {
        report.not_loaded.push(NotLoaded {
            line: row.line,
            plan_ref: plan_ref_of(row),
            outcome: "unknown".into(),
            code: "no_outcome".into(),
            field: None,
            reason: "the acknowledgement has no outcome for this record; send it again".into(),
        });
    }
    report.batches.push(BatchReport {
        number,
        first_line: rows.first().map_or(0, |r| r.line),
        last_line: rows.last().map_or(0, |r| r.line),
        batch_id: Some(ack.batch_id.clone()),
        outcome: ack.file_outcome.as_str().into(),
        file_code: Some(ack.file_code.clone()),
        counts: ack.counts,
        refused: None,
    });
}

/// Adds a batch the API refused whole: none of its records loaded.
pub fn record_refusal(report: &mut UploadReport, number: usize, rows: &[Row], why: &ApiError) {
    let code = why.code();
    let message = why.to_string();
    for row in rows {
        report.not_loaded.push(NotLoaded {
            line: row.line,
            plan_ref: plan_ref_of(row),
            outcome: "failed".into(),
            code: code.clone(),
            field: None,
            reason: format!("the API refused the whole batch: {message}"),
        });
    }
    report.batches.push(BatchReport {
        number,
        first_line: rows.first().map_or(0, |r| r.line),
        last_line: rows.last().map_or(0, |r| r.line),
        batch_id: None,
        outcome: "refused".into(),
        file_code: None,
        counts: Counts {
            received: rows.len(),
            failed: rows.len(),
            ..Counts::default()
        },
        refused: Some(message),
    });
}

/// Sends one batch, retrying while the API is briefly unavailable.
pub async fn send_batch(api: &Api, body: &Value) -> Result<BatchAck, ApiError> {
    let mut attempt = 1;
    loop {
        match api
            .call_json::<BatchAck>(api::PLAN_BATCHES, &[], &[], Some(body))
            .await
        {
            Err(e) if e.is_transient() && attempt < ATTEMPTS => {
                let wait = e.retry_after().unwrap_or(u64::from(attempt)).min(30);
                tokio::time::sleep(Duration::from_secs(wait)).await;
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// Progress of an upload, as records acknowledged.
pub trait Progress {
    fn start(&mut self, records: u64, batches: usize);
    fn batch_done(&mut self, number: usize, records: u64);
    fn finish(&mut self);
}

/// No progress shown (output is not a terminal, or in tests).
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&mut self, _: u64, _: usize) {}
    fn batch_done(&mut self, _: usize, _: u64) {}
    fn finish(&mut self) {}
}

/// A progress bar on stderr.
pub struct Bar {
    bar: Option<indicatif::ProgressBar>,
    batches: usize,
}

impl Bar {
    pub fn new() -> Self {
        Self {
            bar: None,
            batches: 0,
        }
    }
}

impl Default for Bar {
    fn default() -> Self {
        Self::new()
    }
}

impl Progress for Bar {
    fn start(&mut self, records: u64, batches: usize) {
        let bar = indicatif::ProgressBar::with_draw_target(
            Some(records),
            indicatif::ProgressDrawTarget::stderr(),
        );
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{spinner} [{bar:40}] {pos}/{len} records  {msg}  ({elapsed})",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(format!("batch 1 of {batches}"));
        bar.enable_steady_tick(Duration::from_millis(120));
        self.batches = batches;
        self.bar = Some(bar);
    }

    fn batch_done(&mut self, number: usize, records: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(records);
            if number < self.batches {
                bar.set_message(format!("batch {} of {}", number + 1, self.batches));
            }
        }
    }

    fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

/// Sends every batch of `extract` and builds the report. Stops at the first failure that would
/// fail every later batch too (unreachable, token refused); a batch refused for itself is
/// reported and the next one is sent.
pub async fn send(
    api: &Api,
    mut report: UploadReport,
    extract: &Extract,
    batch_size: usize,
    progress: &mut dyn Progress,
) -> Result<UploadReport, ApiError> {
    let ranges = csv_extract::batches(
        &extract.rows,
        batch_size.clamp(1, csv_extract::MAX_BATCH_RECORDS),
        csv_extract::MAX_BATCH_BYTES,
    );
    progress.start(extract.rows.len() as u64, ranges.len());
    for (i, range) in ranges.iter().enumerate() {
        let rows = &extract.rows[range.clone()];
        let body = batch_body(report.mode, report.extract_id.as_deref(), rows);
        match send_batch(api, &body).await {
            Ok(ack) => record_ack(&mut report, i + 1, rows, &ack),
            Err(e) if e.is_fatal() => {
                progress.finish();
                if report.batches.is_empty() {
                    // Nothing happened: the one-line error says it all.
                    return Err(e);
                }
                report.not_sent = extract.rows.len() - range.start;
                report.first_line_not_sent = rows.first().map(|r| r.line);
                report.stopped = Some(e.to_string());
                break;
            }
            Err(e) => record_refusal(&mut report, i + 1, rows, &e),
        }
        progress.batch_done(i + 1, rows.len() as u64);
    }
    progress.finish();
    report.not_loaded.sort_by_key(|n| n.line);
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{RecordAck, RecordOutcome};

    fn rows(lines: &[u64]) -> Vec<Row> {
        lines
            .iter()
            .map(|l| Row {
                line: *l,
                record: json!({"planRef": format!("CP-{l}")}),
            })
            .collect()
    }

    fn extract(lines: &[u64], bad: &[u64]) -> Extract {
        Extract {
            columns: vec![],
            ignored_columns: vec![],
            rows: rows(lines),
            bad_rows: bad
                .iter()
                .map(|l| csv_extract::BadRow {
                    line: *l,
                    reason: "the row has 3 columns; the header has 9".into(),
                })
                .collect(),
        }
    }

    #[test]
    fn a_dry_run_checks_every_value_by_the_api_s_rules() {
        let file = "plan_ref,nhs_number,plan_type,start_date,end_date,expected_due_date,source_version,case_team,case_team_phone\n\
                    P-1,9434765919,CPP,2026-01-10,,,1,T,0113 535 0600\n\
                    P-2,9434765919,CPP,2026-01-10,,,1,T,call me\n\
                    P-3,9876544321,CPP,2026-01-10,,,1,T,0113 535 0600\n\
                    P-4,9434765919,UCPP,2026-01-10,,,1,T,0113 535 0600\n\
                    P-5,9434765919,CPP,2026-01-10,,,1,T\u{202e},0113 535 0600\n";
        let ex = csv_extract::parse(file.as_bytes()).unwrap();
        let mut report = start_report("f.csv", Mode::Full, None, &ex);
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        check_locally(&mut report, &ex.rows, today);
        let got: Vec<(u64, &str, Option<&str>)> = report
            .not_loaded
            .iter()
            .map(|n| (n.line, n.code.as_str(), n.field.as_deref()))
            .collect();
        assert_eq!(
            got,
            vec![
                (3, "invalid_phone", Some("case_team_phone")),
                (4, "invalid_nhs_number", Some("nhs_number")),
                (5, "missing_due_date", Some("expected_due_date")),
                (6, "invalid_text", Some("case_team")),
            ]
        );
    }

    fn ack(outcomes: &[(RecordOutcome, &str)]) -> BatchAck {
        let records: Vec<RecordAck> = outcomes
            .iter()
            .enumerate()
            .map(|(i, (outcome, code))| RecordAck {
                index: i,
                plan_ref: Some(format!("P{i}")),
                outcome: *outcome,
                code: (*code).into(),
                field: (*code != "ok").then(|| format!("/records/{i}/nhsNumber")),
                reason: (*code != "ok").then(|| "the check digit does not match".into()),
                current_version: None,
                other_las: Vec::new(),
            })
            .collect();
        BatchAck::new("b-1".into(), Mode::Full, Some("x".into()), records)
    }

    #[test]
    fn ack_indexes_map_back_to_file_lines_and_fields_to_columns() {
        let ex = extract(&[2, 4, 7], &[3]);
        let mut report = start_report("f.csv", Mode::Full, Some("x".into()), &ex);
        let a = ack(&[
            (RecordOutcome::Created, "ok"),
            (RecordOutcome::Rejected, "invalid_nhs_number"),
            (RecordOutcome::Created, "ok"),
        ]);
        record_ack(&mut report, 1, &ex.rows, &a);
        report.not_loaded.sort_by_key(|n| n.line);
        assert_eq!(report.rows, 4);
        assert_eq!(report.loaded(), 2);
        assert_eq!(report.file_outcome(), ("partly_loaded", "CPF03"));
        assert_eq!(report.exit_code(), 1);
        let lines: Vec<(u64, &str)> = report
            .not_loaded
            .iter()
            .map(|n| (n.line, n.code.as_str()))
            .collect();
        assert_eq!(lines, vec![(3, "malformed_row"), (4, "invalid_nhs_number")]);
        assert_eq!(report.not_loaded[1].field.as_deref(), Some("nhs_number"));
        assert_eq!(report.batches[0].first_line, 2);
        assert_eq!(report.batches[0].last_line, 7);
    }

    #[test]
    fn a_refused_batch_marks_each_of_its_records_failed() {
        let ex = extract(&[2, 3], &[]);
        let mut report = start_report("f.csv", Mode::Delta, None, &ex);
        let why = ApiError::Problem {
            status: 413,
            problem: Box::new(crate::model::Problem {
                code: Some("body_too_large".into()),
                ..Default::default()
            }),
        };
        record_refusal(&mut report, 1, &ex.rows, &why);
        assert_eq!(report.file_outcome(), ("none_loaded", "CPF04"));
        assert_eq!(report.total().failed, 2);
        assert_eq!(report.not_loaded.len(), 2);
        assert_eq!(report.not_loaded[0].plan_ref.as_deref(), Some("CP-2"));
        assert_eq!(report.not_loaded[0].code, "body_too_large");
    }

    #[test]
    fn a_record_the_acknowledgement_leaves_out_is_reported() {
        let ex = extract(&[2, 3], &[]);
        let mut report = start_report("f.csv", Mode::Delta, None, &ex);
        let mut a = ack(&[(RecordOutcome::Created, "ok")]);
        a.counts.received = 1;
        record_ack(&mut report, 1, &ex.rows, &a);
        assert_eq!(report.exit_code(), 1);
        assert_eq!(report.not_loaded.len(), 1);
        assert_eq!(report.not_loaded[0].line, 3);
        assert_eq!(report.not_loaded[0].code, "no_outcome");
    }

    #[test]
    fn every_row_loaded_is_exit_zero() {
        let ex = extract(&[2], &[]);
        let mut report = start_report("f.csv", Mode::Delta, None, &ex);
        record_ack(
            &mut report,
            1,
            &ex.rows,
            &ack(&[(RecordOutcome::Created, "ok")]),
        );
        assert_eq!(report.file_outcome(), ("all_loaded", "CPF02"));
        assert_eq!(report.exit_code(), 0);
    }

    #[test]
    fn batch_bodies_carry_mode_extract_id_and_records() {
        let body = batch_body(Mode::Full, Some("e-1"), &rows(&[2, 3]));
        assert_eq!(body["mode"], "full");
        assert_eq!(body["extractId"], "e-1");
        assert_eq!(body["records"][1]["planRef"], "CP-3");
        assert!(batch_body(Mode::Delta, None, &[])
            .get("extractId")
            .is_none());
    }

    #[test]
    fn generated_extract_ids_are_valid_and_bad_ones_are_refused() {
        assert!(check_extract_id(&new_extract_id()).is_ok());
        assert!(check_extract_id("2026-11-22").is_ok());
        assert!(check_extract_id("a b").is_err());
        assert!(check_extract_id(&"x".repeat(65)).is_err());
    }
}
