//! Problem details (RFC 9457) and the one list of stable error codes callers can rely on.

use serde::Serialize;

/// Media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

macro_rules! error_codes {
    ($( $variant:ident = ($code:literal, $status:literal, $title:literal) ),+ $(,)?) => {
        /// Stable, documented error codes. The string form never changes once published.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode { $( $variant ),+ }

        impl ErrorCode {
            /// Every code, for documentation and the contract check.
            pub const ALL: &'static [ErrorCode] = &[ $( ErrorCode::$variant ),+ ];

            /// The stable string callers match on.
            pub fn as_str(self) -> &'static str {
                match self { $( ErrorCode::$variant => $code ),+ }
            }

            /// The HTTP status this code is answered with.
            pub fn status(self) -> u16 {
                match self { $( ErrorCode::$variant => $status ),+ }
            }

            /// A short human title (the same for every occurrence of the code).
            pub fn title(self) -> &'static str {
                match self { $( ErrorCode::$variant => $title ),+ }
            }
        }
    };
}

error_codes! {
    Unauthenticated = ("unauthenticated", 401, "The request carries no verified identity"),
    ForbiddenRole = ("forbidden_role", 403, "Your role may not use this endpoint"),
    NotFound = ("not_found", 404, "No such resource"),
    MethodNotAllowed = ("method_not_allowed", 405, "Method not allowed on this resource"),
    UnsupportedMediaType = ("unsupported_media_type", 415, "The body must be application/json"),
    BodyTooLarge = ("body_too_large", 413, "The body is larger than allowed"),
    TooManyRecords = ("too_many_records", 400, "The batch holds more than 1,000 records"),
    MalformedJson = ("malformed_json", 400, "The body is not valid JSON"),
    InvalidCsv = ("invalid_csv", 400, "The extract is not a CSV file with the extract's header row"),
    BadRequest = ("bad_request", 400, "The request could not be read (path, query or headers)"),
    UnknownField = ("unknown_field", 400, "The body holds a field this API does not know"),
    MissingField = ("missing_field", 400, "A required field is missing"),
    InvalidNhsNumber = ("invalid_nhs_number", 400, "Not a valid NHS number"),
    InvalidOrgCode = ("invalid_org_code", 400, "Not a valid organisation code"),
    InvalidPlanRef = ("invalid_plan_ref", 400, "Not a valid plan reference"),
    InvalidPlanType = ("invalid_plan_type", 400, "Unknown plan type"),
    InvalidDate = ("invalid_date", 400, "Not a valid calendar date (YYYY-MM-DD)"),
    EndBeforeStart = ("end_before_start", 400, "The end date is before the start date"),
    InvalidEndReason = ("invalid_end_reason", 400, "An end reason is ended, transferred_out or recorded_in_error, and needs an end date"),
    StartInFuture = ("start_in_future", 400, "The start date is more than a day in the future"),
    MissingDueDate = ("missing_due_date", 400, "An unborn-child plan needs an expected due date"),
    MissingEmergencyPhone = ("missing_emergency_phone", 400, "The emergency-duty phone number is mandatory"),
    ContactsFromProfile = ("contacts_from_profile", 400, "A plan cannot set the LA's contacts: they come from the LA's profile"),
    LaProfileMissing = ("la_profile_missing", 422, "Your LA has no profile: an operator must set one up before you record plans"),
    InvalidPhone = ("invalid_phone", 400, "Not a valid phone number"),
    InvalidText = ("invalid_text", 400, "The text is empty or too long"),
    InvalidVersion = ("invalid_version", 400, "The source version must be a whole number from 1 to 2^53 - 1"),
    InvalidQuery = ("invalid_query", 400, "A query parameter is not valid"),
    InvalidMode = ("invalid_mode", 400, "A batch's mode is delta or full"),
    InvalidWebhook = ("invalid_webhook", 400, "The webhook address is not allowed"),
    StaleVersion = ("stale_version", 409, "A newer version of this record is already held"),
    VersionConflict = ("version_conflict", 409, "The same version was sent with different content"),
    TooManyLookups = ("too_many_lookups", 429, "You have passed the hourly cap on lookups; try again after the hour"),
    PurposeRequired = ("purpose_required", 400, "Reading an audit trail needs a stated purpose"),
    InvalidAckWindow = ("invalid_ack_window", 400, "An acknowledgement window is whole hours from 1 to 168"),
    InvalidCareSetting = ("invalid_care_setting", 400, "The care setting is maternity, paediatrics, health_visiting, camhs or gp"),
    InvalidSex = ("invalid_sex", 400, "Sex is male, female, other or unknown (FHIR administrative gender)"),
    InvalidFamilyName = ("invalid_family_name", 400, "A family name is letters (with spaces, hyphens, apostrophes or full stops), at most 100 characters"),
    InvalidAbsentReason = ("invalid_nhs_number_absent_reason", 400, "A plan without an NHS number needs the reason (not_registered, not_traceable or newborn) and the child's demographics"),
    NhsNumberKnown = ("nhs_number_known", 409, "This plan already has an NHS number: a plan never loses it (withdraw it instead)"),
    StoreUnavailable = ("store_unavailable", 503, "The index could not be read or written; try again"),
    Internal = ("internal", 500, "Internal error"),
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A problem-details body. Build one with [`Problem::new`] and the builder methods.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    /// A URI naming the problem type: `urn:cpindex:problem:<code>`.
    #[serde(rename = "type")]
    pub type_uri: String,
    pub title: &'static str,
    pub status: u16,
    pub code: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// JSON-pointer-like path of the offending field (`/records/3/nhsNumber`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Extra machine-readable facts (e.g. the current version on a stale write).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_version: Option<u64>,
    /// Seconds after which a retry makes sense (also sent as the `Retry-After` header).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u32>,
    /// For batch uploads refused whole: the acknowledgement's file outcome (`unreadable`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_outcome: Option<&'static str>,
}

impl Problem {
    pub fn new(code: ErrorCode) -> Self {
        Self {
            type_uri: format!("urn:cpindex:problem:{}", code.as_str()),
            title: code.title(),
            status: code.status(),
            code: code.as_str(),
            detail: None,
            field: None,
            current_version: None,
            retry_after: None,
            file_outcome: None,
        }
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    pub fn current_version(mut self, v: u64) -> Self {
        self.current_version = Some(v);
        self
    }

    pub fn retry_after(mut self, seconds: u32) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    pub fn file_outcome(mut self, outcome: &'static str) -> Self {
        self.file_outcome = Some(outcome);
        self
    }

    /// The one answer to a store that could not be reached: never an empty result.
    pub fn store_unavailable() -> Self {
        Self::new(ErrorCode::StoreUnavailable)
            .detail("the index could not be reached; this is not a 'no record' answer")
            .retry_after(2)
    }
}

/// A validation failure of one field: the code and where it happened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {code}: {detail}")]
pub struct FieldError {
    pub code: ErrorCode,
    pub field: String,
    pub detail: String,
}

impl FieldError {
    pub fn new(code: ErrorCode, field: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            code,
            field: field.into(),
            detail: detail.into(),
        }
    }

    /// Prefixes the field path, e.g. `/records/3` + `/nhsNumber`.
    pub fn within(mut self, prefix: &str) -> Self {
        self.field = format!("{prefix}{}", self.field);
        self
    }
}

impl From<FieldError> for Problem {
    fn from(e: FieldError) -> Self {
        Problem::new(e.code).field(e.field).detail(e.detail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_snake_case_and_map_to_error_statuses() {
        let mut seen = HashSet::new();
        for code in ErrorCode::ALL {
            assert!(seen.insert(code.as_str()), "duplicate {code}");
            assert!(code
                .as_str()
                .chars()
                .all(|c| c.is_ascii_lowercase() || c == '_'));
            assert!((400..600).contains(&code.status()));
        }
    }

    #[test]
    fn problem_body_names_code_field_and_type() {
        let p: Problem =
            FieldError::new(ErrorCode::InvalidNhsNumber, "/nhsNumber", "bad check digit").into();
        let v = serde_json::to_value(&p).unwrap();
        assert_eq!(v["type"], "urn:cpindex:problem:invalid_nhs_number");
        assert_eq!(v["status"], 400);
        assert_eq!(v["code"], "invalid_nhs_number");
        assert_eq!(v["field"], "/nhsNumber");
        assert!(v.get("retryAfter").is_none());
    }

    #[test]
    fn store_unavailable_asks_for_a_retry() {
        let p = Problem::store_unavailable();
        assert_eq!(p.status, 503);
        assert_eq!(p.retry_after, Some(2));
    }
}
