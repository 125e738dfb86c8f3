//! A plan as a local authority records it: parsed and checked on construction.

use std::fmt;

use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::contact::CaseTeam;
use crate::demographics::{AbsentReason, DemographicKeys, Demographics};
use crate::json_object::ObjectReader;
use crate::nhs_number::NhsNumber;
use crate::problem::{ErrorCode, FieldError};

/// The kind of plan. National codes (CPPI, LACI, UCPI) are accepted as aliases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum PlanType {
    /// Child protection plan.
    #[serde(rename = "CPP", alias = "CPPI")]
    Cpp,
    /// Looked-after child.
    #[serde(rename = "LAC", alias = "LACI")]
    Lac,
    /// Unborn child protection plan, held on the pregnant woman's NHS number.
    #[serde(rename = "UCPP", alias = "UCPI")]
    Ucpp,
}

impl PlanType {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "CPP" | "CPPI" => Some(Self::Cpp),
            "LAC" | "LACI" => Some(Self::Lac),
            "UCPP" | "UCPI" => Some(Self::Ucpp),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cpp => "CPP",
            Self::Lac => "LAC",
            Self::Ucpp => "UCPP",
        }
    }

    /// The national CP-IS code for this plan type.
    pub fn national_code(self) -> &'static str {
        match self {
            Self::Cpp => "CPPI",
            Self::Lac => "LACI",
            Self::Ucpp => "UCPI",
        }
    }
}

/// Why a plan ended. An end date without a reason is a plain end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndReason {
    /// No longer needed: shown as ended for the retention period; alerts no one.
    Ended,
    /// The child moved to another LA. Until that LA records a plan, and for at most the
    /// transfer window after the end date, an unscheduled-care attendance still alerts this LA
    /// and the clinician is shown how to reach it (`crate::transfer`).
    TransferredOut,
    /// Recorded in error: shown to no clinician and alerting no one from then on (as a
    /// withdrawal); the LA still sees the record.
    RecordedInError,
}

impl EndReason {
    pub const ALL: [EndReason; 3] = [
        EndReason::Ended,
        EndReason::TransferredOut,
        EndReason::RecordedInError,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EndReason::Ended => "ended",
            EndReason::TransferredOut => "transferred_out",
            EndReason::RecordedInError => "recorded_in_error",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == raw)
    }
}

/// The LA system's own reference for a plan: 1 to 64 of `A-Z a-z 0-9 . _ -`, and never an NHS
/// number (nor one inside it): references travel in URLs, logs and reports, where an NHS number
/// must never appear in clear.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PlanRef(String);

/// Characters that may separate the digits of a number written in a reference.
const SEPARATORS: &[u8] = b"._- /";

/// Whether `raw` holds an NHS number however its digits are separated (`9434765919`,
/// `943-476-5919`, `943_476_5919`, `943.476..5919`): ten digits that pass the check, made of
/// whole groups of a run of digits and separators, and not part of a longer such number.
pub fn holds_nhs_number(raw: &str) -> bool {
    let b = raw.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        // One run: digit groups joined by separators. `bounds` are the digit counts at which a
        // group starts or the run ends; a number counts only between two of them.
        let (mut digits, mut bounds) = (String::new(), vec![0]);
        while i < b.len() && (b[i].is_ascii_digit() || SEPARATORS.contains(&b[i])) {
            if b[i].is_ascii_digit() {
                digits.push(b[i] as char);
            } else if bounds.last() != Some(&digits.len()) {
                bounds.push(digits.len());
            }
            i += 1;
        }
        if bounds.last() != Some(&digits.len()) {
            bounds.push(digits.len());
        }
        let found = bounds.iter().any(|&from| {
            bounds.contains(&(from + 10))
                && crate::NhsNumber::parse(&digits[from..from + 10]).is_ok()
        });
        if found {
            return true;
        }
    }
    false
}

impl PlanRef {
    pub fn parse(raw: &str, field: &str) -> Result<Self, FieldError> {
        let ok = (1..=64).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
        if !ok {
            return Err(FieldError::new(
                ErrorCode::InvalidPlanRef,
                field,
                "a plan reference is 1 to 64 letters, digits, '.', '_' or '-'",
            ));
        }
        if holds_nhs_number(raw) {
            return Err(FieldError::new(
                ErrorCode::InvalidPlanRef,
                field,
                "a plan reference must not be or hold an NHS number: references travel in URLs \
                 and logs; use the LA system's own case or plan id",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PlanRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for PlanRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PlanRef({})", self.0)
    }
}

/// How long an ended plan stays visible before it is deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    pub months: u32,
}

impl Default for Retention {
    /// The national rule: 12 months after the plan ends.
    fn default() -> Self {
        Self { months: 12 }
    }
}

impl Retention {
    /// The first day the ended plan is no longer kept.
    pub fn delete_on(&self, end: NaiveDate) -> NaiveDate {
        end.checked_add_months(Months::new(self.months))
            .unwrap_or(NaiveDate::MAX)
    }
}

/// Where a plan stands on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanStatus {
    /// Not ended (no end date, or the end date is today or later).
    Active,
    /// Ended, still within retention: shown as ended.
    Ended,
    /// Past retention: to be deleted, never shown.
    Expired,
}

/// One plan, valid by construction. The owning LA comes from the caller's claims, not from here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    pub plan_ref: PlanRef,
    pub nhs_number: NhsNumber,
    pub plan_type: PlanType,
    pub start_date: NaiveDate,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_date: Option<NaiveDate>,
    /// Why the plan ended (only with an end date).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_reason: Option<EndReason>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_due_date: Option<NaiveDate>,
    /// The LA system's version: monotonic per plan; newer wins.
    pub source_version: u64,
    /// The case-holding team (the LA's own contacts come from its profile, never a record).
    /// Records stored before this held `responsibleLa`, which is read past and never shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_team: Option<CaseTeam>,
    /// The child's demographics (the mother's, for an unborn child's plan) as keyed MACs: never
    /// in clear (`crate::demographics`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub demographics: Option<DemographicKeys>,
    /// The demographics as sent, until the write path keys them ([`Plan::seal`]). Never
    /// serialised, so never stored.
    #[serde(skip)]
    pub sent_demographics: Option<Demographics>,
}

/// A plan recorded without an NHS number (`nhsNumberAbsentReason`): held as unmatched, found
/// only by a demographic search, until the LA sends the number (`crate::demographics`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UnmatchedPlan {
    pub reason: AbsentReason,
    /// Everything else the LA sent, as for any plan (its `nhsNumber` is never read).
    #[serde(flatten)]
    pub plan: PlanDetails,
}

/// A plan's details apart from the child's NHS number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanDetails {
    pub plan_ref: PlanRef,
    pub plan_type: PlanType,
    pub start_date: NaiveDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_date: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_reason: Option<EndReason>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_due_date: Option<NaiveDate>,
    pub source_version: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_team: Option<CaseTeam>,
    /// Required for an unmatched plan: how it is found.
    pub demographics: Option<DemographicKeys>,
    #[serde(skip)]
    pub sent_demographics: Option<Demographics>,
}

/// What an LA records: a plan on an NHS number, or an unmatched one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    Plan(Plan),
    Unmatched(UnmatchedPlan),
}

impl Plan {
    /// Keys the demographics sent with the plan under `keys` (the write key), so that only
    /// the MACs are ever stored. The write path calls it before storing.
    pub fn seal(&mut self, keys: &crate::child_key::ChildKeys) {
        if let Some(d) = self.sent_demographics.take() {
            self.demographics = Some(d.keyed(keys));
        }
    }
}

impl UnmatchedPlan {
    /// As [`Plan::seal`].
    pub fn seal(&mut self, keys: &crate::child_key::ChildKeys) {
        if let Some(d) = self.plan.sent_demographics.take() {
            self.plan.demographics = Some(d.keyed(keys));
        }
    }

    /// Where the plan stands on `today` under `retention` (as [`Plan::status`]).
    pub fn status(&self, today: NaiveDate, retention: Retention) -> PlanStatus {
        status_of(self.plan.end_date, today, retention)
    }

    /// The plan as an ordinary one on `nhs_number` (what it becomes when the number arrives).
    pub fn with_nhs_number(&self, nhs_number: NhsNumber) -> Plan {
        let d = &self.plan;
        Plan {
            plan_ref: d.plan_ref.clone(),
            nhs_number,
            plan_type: d.plan_type,
            start_date: d.start_date,
            end_date: d.end_date,
            end_reason: d.end_reason,
            expected_due_date: d.expected_due_date,
            source_version: d.source_version,
            case_team: d.case_team.clone(),
            demographics: d.demographics.clone(),
            sent_demographics: None,
        }
    }
}

fn status_of(end_date: Option<NaiveDate>, today: NaiveDate, retention: Retention) -> PlanStatus {
    match end_date {
        None => PlanStatus::Active,
        Some(end) if end >= today => PlanStatus::Active,
        Some(end) if today < retention.delete_on(end) => PlanStatus::Ended,
        Some(_) => PlanStatus::Expired,
    }
}

/// An optional strict ISO calendar date field.
pub(crate) fn date(
    r: &mut ObjectReader<'_>,
    name: &'static str,
) -> Result<Option<NaiveDate>, FieldError> {
    let Some(raw) = r.opt_str(name, ErrorCode::InvalidDate)? else {
        return Ok(None);
    };
    // Strict ISO calendar date: rejects 2026-02-30, 2026-2-3 and trailing text.
    let ok_shape = raw.len() == 10 && raw.as_bytes()[4] == b'-' && raw.as_bytes()[7] == b'-';
    match NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        Ok(d) if ok_shape => Ok(Some(d)),
        _ => Err(FieldError::new(
            ErrorCode::InvalidDate,
            r.pointer(name),
            format!("`{raw}` is not a calendar date in the form YYYY-MM-DD"),
        )),
    }
}

impl Plan {
    /// Parses one plan on an NHS number from JSON. `path` is its pointer in the request (for
    /// error fields); `plan_ref` is given when it comes from the URL, otherwise it is read from
    /// the body. A plan without an NHS number is refused here ([`Recorded::from_json`] takes
    /// it).
    pub fn from_json(
        value: &Value,
        path: &str,
        plan_ref: Option<PlanRef>,
        today: NaiveDate,
    ) -> Result<Self, FieldError> {
        match Recorded::from_json(value, path, plan_ref, today)? {
            Recorded::Plan(p) => Ok(p),
            Recorded::Unmatched(_) => Err(FieldError::new(
                ErrorCode::InvalidNhsNumber,
                format!("{path}/nhsNumber"),
                "a plan without an NHS number is recorded one at a time \
                 (PUT /v1/plans/{planRef}), not in a batch",
            )),
        }
    }
}

impl Recorded {
    /// Parses one record from JSON: a plan on an NHS number, or, with
    /// `nhsNumberAbsentReason` and the child's demographics instead of the number, an
    /// unmatched plan. Arguments as [`Plan::from_json`].
    pub fn from_json(
        value: &Value,
        path: &str,
        plan_ref: Option<PlanRef>,
        today: NaiveDate,
    ) -> Result<Self, FieldError> {
        let mut r = ObjectReader::new(value, path)?;
        let plan_ref = match plan_ref {
            Some(p) => p,
            None => {
                let raw = r.str(
                    "planRef",
                    ErrorCode::MissingField,
                    ErrorCode::InvalidPlanRef,
                )?;
                PlanRef::parse(raw, &r.pointer("planRef"))?
            }
        };
        let absent = match r.opt_str("nhsNumberAbsentReason", ErrorCode::InvalidAbsentReason)? {
            None => None,
            Some(raw) => Some(AbsentReason::parse(raw).ok_or_else(|| {
                FieldError::new(
                    ErrorCode::InvalidAbsentReason,
                    r.pointer("nhsNumberAbsentReason"),
                    "the reason is one of not_registered, not_traceable, newborn",
                )
            })?),
        };
        let nhs_number = match (absent, value.get("nhsNumber")) {
            (Some(_), Some(n)) if !n.is_null() => {
                return Err(FieldError::new(
                    ErrorCode::InvalidAbsentReason,
                    r.pointer("nhsNumberAbsentReason"),
                    "send the NHS number or the reason it is absent, not both",
                ))
            }
            (Some(_), _) => {
                r.handled("nhsNumber");
                None
            }
            (None, _) => {
                let raw_nhs = r.str(
                    "nhsNumber",
                    ErrorCode::InvalidNhsNumber,
                    ErrorCode::InvalidNhsNumber,
                )?;
                Some(NhsNumber::parse(raw_nhs).map_err(|e| {
                    FieldError::new(
                        ErrorCode::InvalidNhsNumber,
                        r.pointer("nhsNumber"),
                        e.to_string(),
                    )
                })?)
            }
        };
        let raw_type = r.str(
            "planType",
            ErrorCode::InvalidPlanType,
            ErrorCode::InvalidPlanType,
        )?;
        let plan_type = PlanType::parse(raw_type).ok_or_else(|| {
            FieldError::new(
                ErrorCode::InvalidPlanType,
                r.pointer("planType"),
                format!("`{raw_type}` is not one of CPP, LAC, UCPP (or CPPI, LACI, UCPI)"),
            )
        })?;
        let start_date = date(&mut r, "startDate")?.ok_or_else(|| {
            FieldError::new(
                ErrorCode::MissingField,
                r.pointer("startDate"),
                "`startDate` is required",
            )
        })?;
        let end_date = date(&mut r, "endDate")?;
        let end_reason = match r.opt_str("endReason", ErrorCode::InvalidEndReason)? {
            None => None,
            Some(raw) => Some(EndReason::parse(raw).ok_or_else(|| {
                FieldError::new(
                    ErrorCode::InvalidEndReason,
                    r.pointer("endReason"),
                    format!("`{raw}` is not one of ended, transferred_out, recorded_in_error"),
                )
            })?),
        };
        if end_reason.is_some() && end_date.is_none() {
            return Err(FieldError::new(
                ErrorCode::InvalidEndReason,
                r.pointer("endReason"),
                "an end reason needs the end date (`endDate`)",
            ));
        }
        let expected_due_date = date(&mut r, "expectedDueDate")?;
        let source_version = r.positive_u64("sourceVersion")?;
        if value.get("responsibleLa").is_some() {
            return Err(FieldError::new(
                ErrorCode::ContactsFromProfile,
                r.pointer("responsibleLa"),
                "the LA's name and numbers come from its profile, which operators keep; send the \
                 case-holding team as `caseTeam` ({\"team\", \"phone\"}) if you want it shown",
            ));
        }
        let case_team = match value.get("caseTeam") {
            None | Some(Value::Null) => None,
            Some(_) => Some(CaseTeam::read(
                r.object("caseTeam", ErrorCode::MissingField)?,
            )?),
        };
        r.handled("caseTeam");
        let demographics = Demographics::read(&mut r, today)?;
        if absent.is_some() && demographics.is_none() {
            return Err(FieldError::new(
                ErrorCode::MissingField,
                r.pointer(crate::demographics::BIRTH_DATE),
                "a plan without an NHS number needs the child's date of birth, sex and family \
                 name (the mother's, for an unborn child's plan): a demographic search is the \
                 only way it is found",
            ));
        }

        if start_date > today + chrono::Days::new(1) {
            return Err(FieldError::new(
                ErrorCode::StartInFuture,
                r.pointer("startDate"),
                "a plan cannot start more than a day from today",
            ));
        }
        if let Some(end) = end_date {
            if end < start_date {
                return Err(FieldError::new(
                    ErrorCode::EndBeforeStart,
                    r.pointer("endDate"),
                    "the end date is before the start date",
                ));
            }
        }
        match (plan_type, expected_due_date) {
            (PlanType::Ucpp, None) => {
                return Err(FieldError::new(
                    ErrorCode::MissingDueDate,
                    r.pointer("expectedDueDate"),
                    "an unborn-child plan needs the expected due date",
                ))
            }
            (PlanType::Cpp | PlanType::Lac, Some(_)) => {
                return Err(FieldError::new(
                    ErrorCode::UnknownField,
                    r.pointer("expectedDueDate"),
                    "only an unborn-child plan (UCPP) has an expected due date",
                ))
            }
            _ => {}
        }
        r.finish()?;
        Ok(match (nhs_number, absent) {
            (Some(nhs_number), _) => Recorded::Plan(Plan {
                plan_ref,
                nhs_number,
                plan_type,
                start_date,
                end_date,
                end_reason,
                expected_due_date,
                source_version,
                case_team,
                demographics: None,
                sent_demographics: demographics,
            }),
            (None, reason) => Recorded::Unmatched(UnmatchedPlan {
                reason: reason.unwrap_or(AbsentReason::NotTraceable),
                plan: PlanDetails {
                    plan_ref,
                    plan_type,
                    start_date,
                    end_date,
                    end_reason,
                    expected_due_date,
                    source_version,
                    case_team,
                    demographics: None,
                    sent_demographics: demographics,
                },
            }),
        })
    }
}

impl Plan {
    /// Where the plan stands on `today` under `retention`.
    pub fn status(&self, today: NaiveDate, retention: Retention) -> PlanStatus {
        status_of(self.end_date, today, retention)
    }

    /// The day the plan is deleted, if it has ended.
    pub fn delete_on(&self, retention: Retention) -> Option<NaiveDate> {
        self.end_date.map(|end| retention.delete_on(end))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plan_reference_never_holds_an_nhs_number() {
        for bad in [
            "9434765919",
            "CP-9434765919",
            "943-476-5919",
            "x9000000009y",
            "LAC.9434765919",
        ] {
            let e = PlanRef::parse(bad, "/planRef").unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidPlanRef, "{bad}");
        }
        // Ten digits that are no NHS number, or part of a longer run, are ordinary references.
        for good in [
            "9876544321",
            "19434765919",
            "CP-1001",
            "2026-11-22",
            "94347659190",
        ] {
            assert!(PlanRef::parse(good, "/planRef").is_ok(), "{good}");
        }
    }
    use proptest::prelude::*;
    use serde_json::json;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn today() -> NaiveDate {
        d("2026-11-22")
    }

    fn base() -> Value {
        json!({
            "planRef": "CP-1001",
            "nhsNumber": "943 476 5919",
            "planType": "CPPI",
            "startDate": "2026-01-10",
            "sourceVersion": 3,
            "caseTeam": {"team": "Leeds North CP team", "phone": "0113 378 1000"}
        })
    }

    fn with(mut v: Value, key: &str, val: Value) -> Value {
        v[key] = val;
        v
    }

    fn parse(v: &Value) -> Result<Plan, FieldError> {
        Plan::from_json(v, "/records/0", None, today())
    }

    #[test]
    fn parses_a_valid_plan_with_a_national_code() {
        let p = parse(&base()).unwrap();
        assert_eq!(p.plan_type, PlanType::Cpp);
        assert_eq!(p.nhs_number.digits(), "9434765919");
        assert_eq!(p.source_version, 3);
    }

    #[test]
    fn each_bad_field_is_named_with_its_code() {
        let cases = [
            (
                with(base(), "nhsNumber", json!("9876544321")),
                ErrorCode::InvalidNhsNumber,
                "/records/0/nhsNumber",
            ),
            (
                with(base(), "planType", json!("CIN")),
                ErrorCode::InvalidPlanType,
                "/records/0/planType",
            ),
            (
                with(base(), "startDate", json!("2026-02-30")),
                ErrorCode::InvalidDate,
                "/records/0/startDate",
            ),
            (
                with(base(), "startDate", json!("2026-2-3")),
                ErrorCode::InvalidDate,
                "/records/0/startDate",
            ),
            (
                with(base(), "startDate", json!("2026-11-24")),
                ErrorCode::StartInFuture,
                "/records/0/startDate",
            ),
            (
                with(base(), "endDate", json!("2026-01-09")),
                ErrorCode::EndBeforeStart,
                "/records/0/endDate",
            ),
            (
                with(base(), "sourceVersion", json!(0)),
                ErrorCode::InvalidVersion,
                "/records/0/sourceVersion",
            ),
            (
                with(base(), "colour", json!("red")),
                ErrorCode::UnknownField,
                "/records/0/colour",
            ),
            (
                with(base(), "planType", json!("UCPP")),
                ErrorCode::MissingDueDate,
                "/records/0/expectedDueDate",
            ),
            (
                with(base(), "planRef", json!("has space")),
                ErrorCode::InvalidPlanRef,
                "/records/0/planRef",
            ),
        ];
        for (v, code, field) in cases {
            let e = parse(&v).unwrap_err();
            assert_eq!((e.code, e.field.as_str()), (code, field), "{v}");
        }
    }

    #[test]
    fn start_tomorrow_is_allowed_but_not_the_day_after() {
        assert!(parse(&with(base(), "startDate", json!("2026-11-23"))).is_ok());
        assert!(parse(&with(base(), "startDate", json!("2026-11-24"))).is_err());
    }

    #[test]
    fn unborn_child_plan_carries_a_due_date() {
        let v = with(
            with(base(), "planType", json!("UCPI")),
            "expectedDueDate",
            json!("2027-02-01"),
        );
        let p = parse(&v).unwrap();
        assert_eq!(p.plan_type, PlanType::Ucpp);
        assert_eq!(p.expected_due_date, Some(d("2027-02-01")));
    }

    #[test]
    fn status_follows_end_date_and_retention() {
        let mut p = parse(&base()).unwrap();
        let r = Retention::default();
        assert_eq!(p.status(today(), r), PlanStatus::Active);
        p.end_date = Some(d("2026-11-22"));
        assert_eq!(
            p.status(today(), r),
            PlanStatus::Active,
            "ends today: still active"
        );
        assert_eq!(p.status(d("2026-11-23"), r), PlanStatus::Ended);
        assert_eq!(p.status(d("2027-11-21"), r), PlanStatus::Ended);
        assert_eq!(p.status(d("2027-11-22"), r), PlanStatus::Expired);
        assert_eq!(
            p.status(d("2027-11-22"), Retention { months: 24 }),
            PlanStatus::Ended
        );
    }

    #[test]
    fn retention_handles_month_ends() {
        assert_eq!(
            Retention::default().delete_on(d("2024-02-29")),
            d("2025-02-28")
        );
    }

    proptest! {
        #[test]
        fn dates_parse_only_as_strict_iso(s in "[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}x?") {
            let v = with(base(), "endDate", json!(s));
            let strict = NaiveDate::parse_from_str(&s, "%Y-%m-%d").is_ok() && s.len() == 10;
            match parse(&v) {
                Ok(p) => prop_assert_eq!(p.end_date.map(|d| d.format("%Y-%m-%d").to_string()), Some(s.clone())),
                Err(e) => prop_assert!(!strict || e.code == ErrorCode::EndBeforeStart, "{:?}", e),
            }
        }

        #[test]
        fn a_reference_holding_an_nhs_number_is_refused_however_it_is_separated(
            first_nine in proptest::array::uniform9(0u8..10),
            cuts in proptest::collection::btree_set(1usize..10, 0..4),
            seps in proptest::collection::vec("[._-]{1,3}", 4),
            prefix in "([A-Z]{1,5}[._-]?)?",
            suffix in "([._-]?[A-Z]{1,5})?",
        ) {
            let check = crate::nhs_number::check_digit(&first_nine);
            prop_assume!(check.is_some());
            let digits: String = first_nine.iter().chain(check.as_ref()).map(|d| char::from(b'0' + d)).collect();
            prop_assume!(crate::NhsNumber::parse(&digits).is_ok());
            let mut written = prefix.clone();
            let mut last = 0;
            for (cut, sep) in cuts.iter().zip(&seps) {
                written.push_str(&digits[last..*cut]);
                written.push_str(sep);
                last = *cut;
            }
            written.push_str(&digits[last..]);
            written.push_str(&suffix);
            prop_assert!(holds_nhs_number(&written), "{}", written);
            prop_assert!(PlanRef::parse(&written, "/planRef").is_err(), "{}", written);
            // The same digits inside a longer number are not an NHS number.
            let longer = format!("{digits}1");
            prop_assert!(!holds_nhs_number(&longer), "{}", longer);
        }

        #[test]
        fn plan_refs_accept_exactly_their_alphabet(s in "\\PC{0,70}") {
            let expected = (1..=64).contains(&s.len())
                && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
            prop_assert_eq!(PlanRef::parse(&s, "").is_ok(), expected);
        }
    }
}
