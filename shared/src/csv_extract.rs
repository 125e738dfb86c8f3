//! An LA extract as a social care system exports it: a CSV file with a header row, one plan a row.
//! Reading it is pure: bytes in, the batch records (each with the line it came from) and the rows
//! that could not be read (each with its line and why) out. The API validates the records
//! themselves; this module only turns cells into fields.

use std::fmt;
use std::ops::Range;

use serde_json::{Map, Value};

/// A header name as written, made safe to show on one line (reports quote it back).
fn one_line(s: &str) -> String {
    let flat: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let mut out: String = flat.split_whitespace().collect::<Vec<_>>().join(" ");
    if out.chars().count() > 80 {
        out = out.chars().take(80).collect::<String>() + "…";
    }
    out
}

/// One CSV column and where its cell goes in a `POST /v1/plan-batches` record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// The header name (lower case, words joined by `_`).
    pub name: &'static str,
    /// The JSON pointer of the field within one record.
    pub pointer: &'static str,
    /// Whether the header must name this column (its cells may still be empty: the API then
    /// rejects that record, naming the field).
    pub required: bool,
    /// What the column holds, for `--help` and the docs.
    pub meaning: &'static str,
}

/// Every column an extract may have, in the order the docs list them.
pub const COLUMNS: &[Column] = &[
    Column {
        name: "plan_ref",
        pointer: "/planRef",
        required: true,
        meaning: "the LA system's own reference for the plan (1-64 of A-Z a-z 0-9 . _ -)",
    },
    Column {
        name: "nhs_number",
        pointer: "/nhsNumber",
        required: true,
        meaning: "10 digits, or 3-3-4 with spaces (for UCPP: the pregnant woman's number)",
    },
    Column {
        name: "plan_type",
        pointer: "/planType",
        required: true,
        meaning: "CPP, LAC or UCPP (or the national codes CPPI, LACI, UCPI)",
    },
    Column {
        name: "start_date",
        pointer: "/startDate",
        required: true,
        meaning: "YYYY-MM-DD",
    },
    Column {
        name: "end_date",
        pointer: "/endDate",
        required: false,
        meaning: "YYYY-MM-DD, when the plan has ended or will end",
    },
    Column {
        name: "end_reason",
        pointer: "/endReason",
        required: false,
        meaning: "with an end date: ended, transferred_out (the LA is still alerted for a \
                  while, until another LA records a plan) or recorded_in_error (no clinician \
                  sees it)",
    },
    Column {
        name: "expected_due_date",
        pointer: "/expectedDueDate",
        required: false,
        meaning: "YYYY-MM-DD; required for UCPP, empty for the other types",
    },
    Column {
        name: "source_version",
        pointer: "/sourceVersion",
        required: true,
        meaning:
            "a positive whole number from the LA system; a newer version replaces an older one",
    },
    // The LA's own name and numbers come from its profile, never from a record: older
    // extracts' `la_name`, `team`, `office_hours_phone` and `emergency_duty_phone` columns are
    // reported as ignored.
    Column {
        name: "case_team",
        pointer: "/caseTeam/team",
        required: false,
        meaning: "the team holding the case (shown to clinicians as given by your LA)",
    },
    Column {
        name: "case_team_phone",
        pointer: "/caseTeam/phone",
        required: false,
        meaning: "the case team's direct line (shown beside your profile's numbers, never instead)",
    },
    // The child's demographics, so that a clinician's search by date of birth, sex and family
    // name finds the plan when the NHS number is not known (`crate::demographics`): all three
    // or none; the index keeps only keyed MACs of them.
    Column {
        name: "birth_date",
        pointer: "/birthDate",
        required: false,
        meaning: "the child's date of birth, YYYY-MM-DD (for UCPP: the pregnant woman's); with \
                  sex and family_name, or none of the three",
    },
    Column {
        name: "sex",
        pointer: "/sex",
        required: false,
        meaning: "male, female, other or unknown",
    },
    Column {
        name: "family_name",
        pointer: "/familyName",
        required: false,
        meaning: "the child's family name as the LA holds it (for UCPP: the pregnant woman's); \
                  never stored, only a keyed code of it",
    },
];

/// One row read into a batch record.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The line of the file the row starts on (the header is usually line 1).
    pub line: u64,
    /// The record, in the shape of `PlanRecord` in the OpenAPI contract.
    pub record: Value,
}

/// A row that could not be read (it is not sent; the others are).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRow {
    pub line: u64,
    pub reason: String,
}

/// Everything read from one extract file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Extract {
    /// The header's column names, as understood (normalised), in file order.
    pub columns: Vec<&'static str>,
    /// Header names that are not extract columns, as written: real LA extracts carry extra
    /// columns, so they are reported and their cells ignored, never sent.
    pub ignored_columns: Vec<String>,
    pub rows: Vec<Row>,
    pub bad_rows: Vec<BadRow>,
}

/// Why a file cannot be read at all (nothing is sent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderError {
    /// No header row.
    Empty,
    /// The header row is not UTF-8 text.
    NotUtf8,
    /// A column named twice.
    Duplicate(&'static str),
    /// Required columns the header does not name.
    Missing(Vec<&'static str>),
    /// The file could not be read as CSV at all.
    Unreadable(String),
}

impl fmt::Display for HeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => write!(
                f,
                "the file is empty: it needs a header row naming the columns ({})",
                required_names()
            ),
            Self::NotUtf8 => {
                f.write_str("the header row is not UTF-8 text: save the extract as UTF-8")
            }
            Self::Duplicate(name) => write!(f, "the header names column `{name}` twice"),
            Self::Missing(names) => write!(
                f,
                "the header lacks required column{} {}",
                if names.len() == 1 { "" } else { "s" },
                names.join(", ")
            ),
            Self::Unreadable(why) => write!(f, "the file cannot be read as CSV: {why}"),
        }
    }
}

impl std::error::Error for HeaderError {}

fn required_names() -> String {
    COLUMNS
        .iter()
        .filter(|c| c.required)
        .map(|c| c.name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// A header cell as a column name: trimmed, lower case, spaces and hyphens as `_`.
pub fn normalise_header(raw: &str) -> String {
    raw.trim()
        .chars()
        .map(|c| match c {
            ' ' | '-' => '_',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

/// The CSV column a field of the API's acknowledgement names, e.g. `/records/3/nhsNumber` →
/// `nhs_number`.
pub fn column_for_field(field: &str) -> Option<&'static str> {
    let rest = field.strip_prefix("/records/")?;
    let within = &rest[rest.find('/')?..];
    COLUMNS.iter().find(|c| c.pointer == within).map(|c| c.name)
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Reads an extract. Blank rows (every cell empty) are skipped; a row with the wrong number of
/// cells or a cell that is not UTF-8 is reported with its line and the others are still read.
pub fn parse(bytes: &[u8]) -> Result<Extract, HeaderError> {
    let bytes = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut record = csv::ByteRecord::new();

    let header_ok = reader
        .read_byte_record(&mut record)
        .map_err(|e| HeaderError::Unreadable(e.to_string()))?;
    if !header_ok {
        return Err(HeaderError::Empty);
    }
    let (columns, ignored_columns) = header_columns(&record)?;

    // The csv crate's own line count skips blank lines; count from byte offsets instead.
    let lines = LineIndex::new(bytes);
    let mut extract = Extract {
        columns: columns.iter().flatten().map(|c| c.name).collect(),
        ignored_columns,
        ..Extract::default()
    };
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line = record.position().map_or(0, |p| lines.line_at(p.byte()));
                match read_row(&columns, &record) {
                    Ok(Some(value)) => extract.rows.push(Row {
                        line,
                        record: value,
                    }),
                    Ok(None) => {}
                    Err(reason) => extract.bad_rows.push(BadRow { line, reason }),
                }
            }
            Err(e) => {
                // Reading from memory, only a malformed stream gets here; report and stop
                // rather than risk reading the same bytes again.
                let line = e.position().map_or(0, |p| lines.line_at(p.byte()));
                extract.bad_rows.push(BadRow {
                    line,
                    reason: format!("the rest of the file cannot be read as CSV: {e}"),
                });
                break;
            }
        }
    }
    Ok(extract)
}

/// Byte offsets of line starts, to turn a record's offset into its line number.
struct LineIndex<'a> {
    bytes: &'a [u8],
    newlines: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        let newlines = bytes
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .map(|(i, _)| i)
            .collect();
        Self { bytes, newlines }
    }

    /// The 1-based line of the first character at or after `offset` that is not a line break
    /// (a record's offset may point at the blank lines before it).
    fn line_at(&self, offset: u64) -> u64 {
        let mut at = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.bytes.len());
        while at < self.bytes.len() && matches!(self.bytes[at], b'\r' | b'\n') {
            at += 1;
        }
        self.newlines.partition_point(|&nl| nl < at) as u64 + 1
    }
}

/// The header's columns in file order (`None` for a column that is not an extract column), and
/// the names of those ignored.
type HeaderColumns = (Vec<Option<&'static Column>>, Vec<String>);

fn header_columns(header: &csv::ByteRecord) -> Result<HeaderColumns, HeaderError> {
    let mut columns: Vec<Option<&'static Column>> = Vec::new();
    let mut unknown = Vec::new();
    for cell in header {
        let text = std::str::from_utf8(cell).map_err(|_| HeaderError::NotUtf8)?;
        let name = normalise_header(text);
        match COLUMNS.iter().find(|c| c.name == name) {
            Some(c) if columns.iter().flatten().any(|f| f.name == c.name) => {
                return Err(HeaderError::Duplicate(c.name))
            }
            Some(c) => columns.push(Some(c)),
            None => {
                columns.push(None);
                unknown.push(one_line(text));
            }
        }
    }
    let found: Vec<&'static Column> = columns.iter().flatten().copied().collect();
    if found.is_empty() && unknown.iter().all(String::is_empty) {
        return Err(HeaderError::Empty);
    }
    let missing: Vec<&'static str> = COLUMNS
        .iter()
        .filter(|c| c.required && !found.iter().any(|f| f.name == c.name))
        .map(|c| c.name)
        .collect();
    if !missing.is_empty() {
        return Err(HeaderError::Missing(missing));
    }
    Ok((columns, unknown))
}

/// One data row: `Ok(None)` for a blank row, `Err(reason)` for one that cannot be read.
fn read_row(
    columns: &[Option<&'static Column>],
    row: &csv::ByteRecord,
) -> Result<Option<Value>, String> {
    let blank = row.iter().all(|c| c.iter().all(u8::is_ascii_whitespace));
    if blank {
        return Ok(None);
    }
    if row.len() != columns.len() {
        return Err(format!(
            "the row has {} column{}; the header has {}",
            row.len(),
            if row.len() == 1 { "" } else { "s" },
            columns.len()
        ));
    }
    let mut cells = Vec::with_capacity(columns.len());
    let mut not_text = Vec::new();
    for (column, raw) in columns.iter().zip(row) {
        // Cells of ignored columns are never read, let alone sent.
        let Some(column) = column else { continue };
        match std::str::from_utf8(raw) {
            Ok(text) => cells.push((*column, normalise_cell(text))),
            Err(_) => not_text.push(column.name),
        }
    }
    if !not_text.is_empty() {
        let (noun, verb) = if not_text.len() == 1 {
            ("column", "is")
        } else {
            ("columns", "are")
        };
        return Err(format!(
            "{noun} {} {verb} not UTF-8 text (save the extract as UTF-8)",
            not_text.join(", ")
        ));
    }
    let cells: Vec<(&Column, &str)> = cells.iter().map(|(c, t)| (*c, t.as_str())).collect();
    Ok(Some(record_of(&cells)))
}

/// A cell's text as sent: trimmed, and every run of whitespace inside it (a line break in a
/// quoted cell, double spaces) made one space. The API refuses line breaks in text, and a
/// clinician reads every field on one line.
pub fn normalise_cell(raw: &str) -> String {
    raw.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The batch record for one row's cells: an empty cell is an absent field.
pub fn record_of(cells: &[(&Column, &str)]) -> Value {
    let mut record = Map::new();
    let mut case_team = Map::new();
    for (column, text) in cells {
        if text.is_empty() {
            continue;
        }
        let value = if column.name == "source_version" {
            // A whole number goes as a number; anything else as the text it is, so the API
            // rejects that record with `invalid_version` (and the others still load).
            text.parse::<u64>()
                .map_or_else(|_| Value::String((*text).to_owned()), Value::from)
        } else {
            Value::String((*text).to_owned())
        };
        match column.pointer.strip_prefix("/caseTeam/") {
            Some(key) => case_team.insert(key.to_owned(), value),
            None => record.insert(column.pointer[1..].to_owned(), value),
        };
    }
    // Only when the row gives it: the case team is optional.
    if !case_team.is_empty() {
        record.insert("caseTeam".to_owned(), Value::Object(case_team));
    }
    Value::Object(record)
}

/// Most records in one batch (the API's limit).
pub const MAX_BATCH_RECORDS: usize = crate::batch::MAX_RECORDS;
/// Largest serialised records per batch: the API takes bodies of at most 1 MiB.
pub const MAX_BATCH_BYTES: usize = 900 * 1024;

/// Splits rows into consecutive batches of at most `max_records` records and (unless a single
/// record is larger) at most `max_bytes` bytes of serialised records.
pub fn batches(rows: &[Row], max_records: usize, max_bytes: usize) -> Vec<Range<usize>> {
    let max_records = max_records.max(1);
    let mut out = Vec::new();
    let mut start = 0;
    let mut bytes = 0;
    for (i, row) in rows.iter().enumerate() {
        let size = serde_json::to_vec(&row.record).map_or(0, |v| v.len()) + 1;
        let full = i - start >= max_records || (i > start && bytes + size > max_bytes);
        if full {
            out.push(start..i);
            start = i;
            bytes = 0;
        }
        bytes += size;
    }
    if start < rows.len() {
        out.push(start..rows.len());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    const HEADER: &str = "plan_ref,nhs_number,plan_type,start_date,end_date,expected_due_date,source_version,case_team,case_team_phone\n";

    fn good(plan_ref: &str) -> String {
        format!("{plan_ref},943 476 5919,CPP,2026-01-10,,,3,Front Door,0113 222 4403\n")
    }

    #[test]
    fn a_row_becomes_a_batch_record_with_empty_cells_absent() {
        let file = format!("{HEADER}{}", good("CP-1"));
        let extract = parse(file.as_bytes()).unwrap();
        assert!(extract.bad_rows.is_empty());
        assert_eq!(
            extract.rows,
            vec![Row {
                line: 2,
                record: json!({
                    "planRef": "CP-1", "nhsNumber": "943 476 5919", "planType": "CPP",
                    "startDate": "2026-01-10", "sourceVersion": 3,
                    "caseTeam": {"team": "Front Door", "phone": "0113 222 4403"}
                })
            }]
        );
    }

    #[test]
    fn demographics_columns_become_the_fields_a_search_reads_and_empty_cells_are_absent() {
        let file =
            "plan_ref,nhs_number,plan_type,start_date,source_version,birth_date,sex,Family Name\n\
                    CP-1,9434765919,CPP,2026-01-10,1,2019-04-02,female,  O'Brien-Smith \n\
                    CP-2,9434765919,LAC,2026-01-10,1,,,\n";
        let extract = parse(file.as_bytes()).unwrap();
        assert!(extract.bad_rows.is_empty() && extract.ignored_columns.is_empty());
        let (with, without) = (&extract.rows[0].record, &extract.rows[1].record);
        assert_eq!(
            (&with["birthDate"], &with["sex"], &with["familyName"]),
            (
                &json!("2019-04-02"),
                &json!("female"),
                &json!("O'Brien-Smith")
            )
        );
        for field in ["birthDate", "sex", "familyName"] {
            assert!(without.get(field).is_none(), "{field}");
        }
        // The API reads them as it reads a JSON record's (all three or none).
        let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 6).unwrap();
        let plan = crate::Plan::from_json(with, "", None, today).unwrap();
        assert!(plan.sent_demographics.is_some());
        assert!(column_for_field("/records/0/familyName") == Some("family_name"));
    }

    #[test]
    fn a_version_that_is_not_a_whole_number_is_sent_as_text_for_the_api_to_reject() {
        let file = format!("{HEADER}{}", good("CP-1").replace(",3,", ",3a,"));
        let extract = parse(file.as_bytes()).unwrap();
        assert_eq!(extract.rows[0].record["sourceVersion"], json!("3a"));
    }

    #[test]
    fn header_may_be_in_any_order_any_case_with_a_bom_and_without_optional_columns() {
        let file = "\u{feff}Case Team,PLAN REF,nhs-number,plan_type,start_date,Source Version\r\n\
                    Front Door,CP-9,9434765919,LAC,2026-01-10,1\r\n";
        let extract = parse(file.as_bytes()).unwrap();
        assert!(extract.bad_rows.is_empty(), "{:?}", extract.bad_rows);
        let r = &extract.rows[0].record;
        assert_eq!(r["planRef"], "CP-9");
        assert_eq!(r["caseTeam"]["team"], "Front Door");
        assert!(r["caseTeam"].get("phone").is_none());
        assert!(r.get("endDate").is_none());
    }

    #[test]
    fn header_problems_name_the_columns() {
        assert_eq!(parse(b""), Err(HeaderError::Empty));
        let missing = parse(b"plan_ref,nhs_number\n").unwrap_err();
        assert!(matches!(&missing, HeaderError::Missing(m) if m.contains(&"plan_type")));
        assert!(missing.to_string().contains("plan_type"));
        // Extra columns are reported and their cells ignored, not a reason to refuse the file.
        let extra = parse(
            format!(
                "Case Worker,{},colour\nJo,P-1,9434765919,CPP,2026-01-10,,,1,T,,red\n",
                HEADER.trim_end()
            )
            .as_bytes(),
        )
        .unwrap();
        assert_eq!(extra.ignored_columns, vec!["Case Worker", "colour"]);
        assert_eq!(extra.rows[0].record["planRef"], "P-1");
        let sent = extra.rows[0].record.to_string();
        assert!(!sent.contains("Jo") && !sent.contains("red"), "{sent}");
        let twice = parse(format!("{},Case Team\n", HEADER.trim_end()).as_bytes()).unwrap_err();
        assert_eq!(twice, HeaderError::Duplicate("case_team"));
        // An extract made before contacts came from profiles still loads; the LA's own name
        // and numbers in it are reported as ignored, never sent.
        let old = parse(
            b"plan_ref,nhs_number,plan_type,start_date,source_version,la_name,team,office_hours_phone,emergency_duty_phone\n\
              P-1,9434765919,CPP,2026-01-10,1,Leeds,Front Door,0113 222 4403,07700 900123\n",
        )
        .unwrap();
        assert_eq!(
            old.ignored_columns,
            vec![
                "la_name",
                "team",
                "office_hours_phone",
                "emergency_duty_phone"
            ]
        );
        assert!(!old.rows[0].record.to_string().contains("07700"));
        assert_eq!(parse(b"plan_ref,\xff\n").unwrap_err(), HeaderError::NotUtf8);
    }

    #[test]
    fn bad_rows_are_reported_by_line_and_the_others_still_read() {
        let mut file = HEADER.as_bytes().to_vec();
        file.extend(good("CP-1").as_bytes()); // line 2
        file.extend(b"CP-2,943 476 5919,CPP\n"); // line 3: too few cells
        file.extend(good("CP-3").replace("Front Door", "Fr\u{f6}nt").as_bytes()); // line 4: fine
        let mut latin1 = good("CP-4").into_bytes(); // line 5: Latin-1, not UTF-8
        let pos = latin1.windows(5).position(|w| w == b"Front").unwrap();
        latin1[pos + 2] = 0xf6;
        file.extend(latin1);
        file.extend(b",,,,,,,,\n"); // line 6: blank, skipped
        file.extend(b"\n"); // line 7: empty, skipped
        file.extend(good("CP-8").as_bytes()); // line 8
        let extract = parse(&file).unwrap();
        let lines: Vec<u64> = extract.rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![2, 4, 8]);
        assert_eq!(
            extract.bad_rows,
            vec![
                BadRow {
                    line: 3,
                    reason: "the row has 3 columns; the header has 9".into()
                },
                BadRow {
                    line: 5,
                    reason: "column case_team is not UTF-8 text (save the extract as UTF-8)".into()
                },
            ]
        );
    }

    #[test]
    fn a_quoted_cell_over_several_lines_keeps_the_next_rows_line_numbers_right() {
        let file = format!(
            "{HEADER}CP-1,9434765919,CPP,2026-01-10,,,1,\"Front\nDoor\",0113 535 0600\n{}",
            good("CP-2")
        );
        let extract = parse(file.as_bytes()).unwrap();
        let lines: Vec<u64> = extract.rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![2, 4]);
        // The API takes no line breaks in text: the cell is sent on one line.
        assert_eq!(extract.rows[0].record["caseTeam"]["team"], "Front Door");
    }

    #[test]
    fn acknowledgement_fields_map_back_to_columns() {
        assert_eq!(column_for_field("/records/3/nhsNumber"), Some("nhs_number"));
        assert_eq!(
            column_for_field("/records/999/caseTeam/phone"),
            Some("case_team_phone")
        );
        assert_eq!(column_for_field("/records/3"), None);
        assert_eq!(column_for_field("/records/3/colour"), None);
        assert_eq!(column_for_field("/mode"), None);
    }

    #[test]
    fn batches_respect_the_record_and_byte_limits() {
        let rows: Vec<Row> = (0..2500)
            .map(|i| Row {
                line: i + 2,
                record: json!({"planRef": format!("CP-{i}")}),
            })
            .collect();
        let b = batches(&rows, MAX_BATCH_RECORDS, MAX_BATCH_BYTES);
        assert_eq!(b, vec![0..1000, 1000..2000, 2000..2500]);
        assert!(batches(&[], 1000, 1000).is_empty());
        // A byte limit smaller than one record still sends each record, one per batch.
        assert_eq!(batches(&rows[..3], 1000, 1), vec![0..1, 1..2, 2..3]);
    }

    fn cell() -> impl Strategy<Value = String> {
        // Printable text with the characters CSV must quote, and padding to be trimmed.
        "[ a-zA-Z0-9,\"\n.'-]{0,12}"
    }

    fn source_version() -> impl Strategy<Value = String> {
        prop_oneof!["[1-9][0-9]{0,8}", "[ a-z0-9-]{0,5}"]
    }

    fn version_at() -> usize {
        COLUMNS
            .iter()
            .position(|c| c.name == "source_version")
            .unwrap()
    }

    fn row() -> impl Strategy<Value = Vec<String>> {
        (
            "[A-Z][A-Z0-9-]{0,8}",
            // The cells between the reference and the version, then those after it.
            proptest::collection::vec(cell(), version_at() - 1),
            source_version(),
            proptest::collection::vec(cell(), COLUMNS.len() - version_at() - 1),
        )
            .prop_map(|(plan_ref, mid, version, tail)| {
                let mut r = vec![plan_ref];
                r.extend(mid);
                r.push(version);
                r.extend(tail);
                r
            })
    }

    /// Writes rows with the csv writer, each after `blank` empty lines; returns the file and
    /// each row's first line.
    fn write(rows: &[(Vec<String>, usize)]) -> (Vec<u8>, Vec<u64>) {
        let encode = |cells: Vec<&str>| {
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record(cells).unwrap();
            w.into_inner().unwrap()
        };
        let mut file = encode(COLUMNS.iter().map(|c| c.name).collect());
        let mut lines = Vec::new();
        for (r, blank) in rows {
            file.extend(b"\r\n".repeat(*blank));
            lines.push(file.iter().filter(|b| **b == b'\n').count() as u64 + 1);
            file.extend(encode(r.iter().map(String::as_str).collect()));
        }
        (file, lines)
    }

    proptest! {
        #[test]
        fn every_written_row_reads_back_as_its_record_at_its_line(
            rows in proptest::collection::vec((row(), 0usize..3), 0..20)
        ) {
            let (file, lines) = write(&rows);
            let extract = parse(&file).unwrap();
            prop_assert!(extract.bad_rows.is_empty());
            prop_assert_eq!(extract.rows.len(), rows.len());
            for ((got, (cells, _)), line) in extract.rows.iter().zip(&rows).zip(&lines) {
                prop_assert_eq!(got.line, *line);
                for (column, raw) in COLUMNS.iter().zip(cells) {
                    let field = got.record.pointer(column.pointer);
                    let text = normalise_cell(raw);
                    if text.is_empty() {
                        prop_assert!(field.is_none());
                    } else if column.name == "source_version" {
                        match text.parse::<u64>() {
                            Ok(n) => prop_assert_eq!(field, Some(&Value::from(n))),
                            Err(_) => prop_assert_eq!(field, Some(&Value::from(text))),
                        }
                    } else {
                        prop_assert_eq!(field, Some(&Value::from(text)));
                    }
                }
            }
        }

        #[test]
        fn rows_with_the_wrong_cell_count_are_reported_and_do_not_stop_the_rest(
            rows in proptest::collection::vec((row(), 0u8..4), 1..20)
        ) {
            // 0: keep; 1: drop the last cell; 2: add a cell; 3: keep.
            let shaped: Vec<Vec<String>> = rows.iter().map(|(r, how)| {
                let mut r = r.clone();
                match how { 1 => { r.pop(); } 2 => r.push("extra".into()), _ => {} }
                r
            }).collect();
            let mut w = csv::WriterBuilder::new().flexible(true).from_writer(Vec::new());
            w.write_record(COLUMNS.iter().map(|c| c.name)).unwrap();
            let mut lines = Vec::new();
            for r in &shaped {
                w.flush().unwrap();
                lines.push(w.get_ref().iter().filter(|b| **b == b'\n').count() as u64 + 1);
                w.write_record(r).unwrap();
            }
            let extract = parse(&w.into_inner().unwrap()).unwrap();
            let expect_bad: Vec<u64> = rows.iter().zip(&lines)
                .filter(|((_, how), _)| matches!(how, 1 | 2)).map(|(_, l)| *l).collect();
            let expect_good: Vec<u64> = rows.iter().zip(&lines)
                .filter(|((_, how), _)| !matches!(how, 1 | 2)).map(|(_, l)| *l).collect();
            prop_assert_eq!(extract.bad_rows.iter().map(|b| b.line).collect::<Vec<_>>(), expect_bad);
            prop_assert_eq!(extract.rows.iter().map(|r| r.line).collect::<Vec<_>>(), expect_good);
        }

        #[test]
        fn any_bytes_after_a_good_header_never_panic_and_lines_stay_in_the_file(
            body in proptest::collection::vec(any::<u8>(), 0..400)
        ) {
            let mut file = HEADER.as_bytes().to_vec();
            file.extend(&body);
            let total_lines = file.iter().filter(|b| **b == b'\n').count() as u64 + 1;
            let extract = parse(&file).unwrap();
            for line in extract.rows.iter().map(|r| r.line).chain(extract.bad_rows.iter().map(|b| b.line)) {
                prop_assert!((2..=total_lines).contains(&line), "line {} of {}", line, total_lines);
            }
        }

        #[test]
        fn batches_cover_every_row_once_in_order_within_the_limits(
            sizes in proptest::collection::vec(0usize..300, 0..60),
            max_records in 1usize..10,
            max_bytes in 1usize..2000,
        ) {
            let rows: Vec<Row> = sizes.iter().enumerate().map(|(i, n)| Row {
                line: i as u64 + 2,
                record: json!({"planRef": "x".repeat(*n)}),
            }).collect();
            let b = batches(&rows, max_records, max_bytes);
            let mut next = 0;
            for range in &b {
                prop_assert_eq!(range.start, next);
                prop_assert!(!range.is_empty() && range.len() <= max_records);
                let bytes: usize = rows[range.clone()].iter()
                    .map(|r| serde_json::to_vec(&r.record).unwrap().len() + 1).sum();
                prop_assert!(range.len() == 1 || bytes <= max_bytes);
                next = range.end;
            }
            prop_assert_eq!(next, rows.len());
        }
    }
}
