//! The national FHIR R4 interface's vocabulary, defined once: the code systems, the search
//! parameter, the headers and the national error codes (NHS England's CP-IS API consumer guide).
//! The lookup function maps its answers with these; the CLI builds its searches with them.

use crate::plan::PlanType;

/// The FHIR base path under the API.
pub const BASE: &str = "/FHIR/R4";
/// The media type of every FHIR answer.
pub const FHIR_JSON: &str = "application/fhir+json";
/// The FHIR version served.
pub const FHIR_VERSION: &str = "4.0.1";

/// Identifier system of NHS numbers.
pub const NHS_NUMBER_SYSTEM: &str = "https://fhir.nhs.uk/Id/nhs-number";
/// Identifier system of ODS organisation codes (LAs, trusts, settings).
pub const ODS_SYSTEM: &str = "https://fhir.nhs.uk/Id/ods-organization-code";
/// SNOMED CT.
pub const SNOMED_SYSTEM: &str = "http://snomed.info/sct";
/// HL7 v3 AddressUse: `EC` (emergency contact: the emergency duty team), `WP` (work place:
/// office hours).
pub const ADDRESS_USE_SYSTEM: &str = "http://terminology.hl7.org/CodeSystem/v3-AddressUse";
/// The Spine error code system the national API's `OperationOutcome.issue.details` uses.
pub const SPINE_ERROR_SYSTEM: &str = "https://fhir.nhs.uk/CodeSystem/Spine-ErrorOrWarningCode";
/// DICOM audit event types (`110110` Patient Record).
pub const DICOM_SYSTEM: &str = "http://dicom.nema.org/resources/ontology/DCM";
/// The audit event sub-type of a query.
pub const RESTFUL_INTERACTION_SYSTEM: &str = "http://hl7.org/fhir/restful-interaction";

/// The one search parameter both searches take: `<NHS_NUMBER_SYSTEM>|<nhs number>`.
pub const PATIENT_IDENTIFIER: &str = "patient:identifier";
/// Correlation id, a UUID: required, echoed on the answer, logged.
pub const TRACE_ID_HEADER: &str = "traceid";
/// `true` (or absent) for an unscheduled-care access; `false` for a silent read.
pub const UNSCHEDULED_HEADER: &str = "isunscheduledaccessevent";

/// Previous accesses an `AuditEvent` search returns at most (as the national API).
pub const AUDIT_EVENTS_SHOWN: usize = crate::access::VISITS_SHOWN;

/// The SNOMED CT concept (ValueSet England-ChildProtectionPlan) of a plan type.
pub fn plan_concept(plan_type: PlanType) -> (&'static str, &'static str) {
    match plan_type {
        PlanType::Cpp => ("342191000000101", "Subject to child protection plan"),
        PlanType::Lac => ("764841000000100", "Looked after child"),
        PlanType::Ucpp => (
            "818901000000100",
            "Unborn child subject to child protection plan",
        ),
    }
}

/// The national API's error codes (`issue.details.coding.code`), with the FHIR issue type and
/// the HTTP status each is answered with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FhirError {
    /// The NHS number (or the search itself) is not valid.
    InvalidSearchData,
    /// A required header is missing, or a header's value is not allowed.
    PreconditionFailed,
    /// The caller's role may not make this request.
    AccessDenied,
    /// No valid bearer token.
    Unauthenticated,
    /// No such FHIR interaction here.
    NotSupported,
    /// The index could not be read: retry (never an empty Bundle).
    Unavailable,
    /// The user passed the hourly lookup cap (`crate::usage`): retry after the hour.
    TooManyRequests,
    Internal,
}

impl FhirError {
    pub const ALL: [FhirError; 8] = [
        FhirError::InvalidSearchData,
        FhirError::PreconditionFailed,
        FhirError::AccessDenied,
        FhirError::Unauthenticated,
        FhirError::NotSupported,
        FhirError::Unavailable,
        FhirError::TooManyRequests,
        FhirError::Internal,
    ];

    /// `(code, display)` in [`SPINE_ERROR_SYSTEM`].
    pub fn coding(self) -> (&'static str, &'static str) {
        match self {
            FhirError::InvalidSearchData => ("INVALID_SEARCH_DATA", "Invalid search data"),
            FhirError::PreconditionFailed => ("PRECONDITION_FAILED", "Precondition failed"),
            FhirError::AccessDenied => ("ACCESS_DENIED", "Access denied"),
            FhirError::Unauthenticated => ("UNAUTHORIZED", "Unauthorized"),
            FhirError::NotSupported => ("NOT_IMPLEMENTED", "Not implemented"),
            FhirError::Unavailable => ("SERVICE_UNAVAILABLE", "Service unavailable"),
            FhirError::TooManyRequests => ("TOO_MANY_REQUESTS", "Too many requests"),
            FhirError::Internal => ("INTERNAL_SERVER_ERROR", "Unexpected internal server error"),
        }
    }

    /// The FHIR `issue.code` (IssueType).
    pub fn issue_type(self) -> &'static str {
        match self {
            FhirError::InvalidSearchData | FhirError::PreconditionFailed => "invalid",
            FhirError::AccessDenied => "forbidden",
            FhirError::Unauthenticated => "login",
            FhirError::NotSupported => "not-supported",
            FhirError::Unavailable => "transient",
            FhirError::TooManyRequests => "throttled",
            FhirError::Internal => "exception",
        }
    }

    pub fn status(self) -> u16 {
        match self {
            FhirError::InvalidSearchData | FhirError::PreconditionFailed => 400,
            FhirError::AccessDenied => 403,
            FhirError::Unauthenticated => 401,
            FhirError::NotSupported => 404,
            FhirError::Unavailable => 503,
            FhirError::TooManyRequests => 429,
            FhirError::Internal => 500,
        }
    }

    /// The FHIR answer for the problem the JSON API would give with this status (401, 403,
    /// 404, 405, 503, the rest 500).
    pub fn for_status(status: u16) -> FhirError {
        match status {
            400 => FhirError::InvalidSearchData,
            401 => FhirError::Unauthenticated,
            403 => FhirError::AccessDenied,
            404 | 405 => FhirError::NotSupported,
            429 => FhirError::TooManyRequests,
            503 => FhirError::Unavailable,
            _ => FhirError::Internal,
        }
    }
}

/// Why a FHIR search's parameters or headers are not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SearchError {
    #[error(
        "search by {PATIENT_IDENTIFIER}={NHS_NUMBER_SYSTEM}|<NHS number>, once, and nothing else"
    )]
    Parameters,
    #[error("the identifier system must be {NHS_NUMBER_SYSTEM}")]
    System,
    #[error("invalid NHS number: {0}")]
    NhsNumber(#[from] crate::nhs_number::NhsNumberError),
    #[error("the TraceID header is required and must be a UUID")]
    TraceId,
    #[error("the IsUnscheduledAccessEvent header must be true or false")]
    Unscheduled,
}

impl SearchError {
    pub fn fhir_error(&self) -> FhirError {
        match self {
            SearchError::TraceId | SearchError::Unscheduled => FhirError::PreconditionFailed,
            _ => FhirError::InvalidSearchData,
        }
    }
}

/// An `OperationOutcome` with one issue: the national code, and `diagnostics` in words.
pub fn operation_outcome(error: FhirError, diagnostics: &str) -> serde_json::Value {
    let (code, display) = error.coding();
    serde_json::json!({
        "resourceType": "OperationOutcome",
        "issue": [{
            "severity": "error",
            "code": error.issue_type(),
            "details": {"coding": [{"system": SPINE_ERROR_SYSTEM, "code": code, "display": display}]},
            "diagnostics": diagnostics,
        }],
    })
}

/// The query string's pairs, URL-decoded (`|` may come raw or as `%7C`).
pub fn query_pairs(raw: Option<&str>) -> Vec<(String, String)> {
    url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// The NHS number of a search's query string: exactly one `patient:identifier` parameter with
/// the NHS number system (URL-decoded `pairs`, as received).
pub fn nhs_number_of(pairs: &[(String, String)]) -> Result<crate::NhsNumber, SearchError> {
    let [(name, value)] = pairs else {
        return Err(SearchError::Parameters);
    };
    if name != PATIENT_IDENTIFIER {
        return Err(SearchError::Parameters);
    }
    let (system, nhs) = value.split_once('|').ok_or(SearchError::System)?;
    if system != NHS_NUMBER_SYSTEM {
        return Err(SearchError::System);
    }
    Ok(crate::NhsNumber::parse(nhs)?)
}

/// Whether a search is an unscheduled-care access, by the header's value (absent: yes).
pub fn unscheduled(header: Option<&str>) -> Result<bool, SearchError> {
    match header {
        None => Ok(true),
        Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
        Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
        Some(_) => Err(SearchError::Unscheduled),
    }
}

/// The trace id header's value, when it is a UUID.
pub fn trace_id(header: Option<&str>) -> Result<uuid::Uuid, SearchError> {
    header
        .and_then(|v| uuid::Uuid::parse_str(v.trim()).ok())
        .ok_or(SearchError::TraceId)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn the_search_names_one_nhs_number_in_the_nhs_number_system() {
        let ok = q(&[(
            PATIENT_IDENTIFIER,
            "https://fhir.nhs.uk/Id/nhs-number|9434765919",
        )]);
        assert_eq!(nhs_number_of(&ok).unwrap().digits(), "9434765919");
        for bad in [
            q(&[]),
            q(&[("patient", "9434765919")]),
            q(&[(PATIENT_IDENTIFIER, "9434765919")]),
            q(&[(PATIENT_IDENTIFIER, "http://example.org|9434765919")]),
            q(&[(
                PATIENT_IDENTIFIER,
                "https://fhir.nhs.uk/Id/nhs-number|9434765918",
            )]),
            q(&[
                (
                    PATIENT_IDENTIFIER,
                    "https://fhir.nhs.uk/Id/nhs-number|9434765919",
                ),
                ("_count", "1"),
            ]),
        ] {
            let e = nhs_number_of(&bad).unwrap_err();
            assert_eq!(e.fhir_error(), FhirError::InvalidSearchData, "{bad:?}");
        }
    }

    #[test]
    fn national_codes_have_their_issue_types_and_statuses() {
        assert_eq!(FhirError::InvalidSearchData.status(), 400);
        assert_eq!(FhirError::PreconditionFailed.issue_type(), "invalid");
        assert_eq!(FhirError::AccessDenied.coding().0, "ACCESS_DENIED");
        assert_eq!(FhirError::Unavailable.issue_type(), "transient");
        let codes: std::collections::HashSet<_> =
            FhirError::ALL.iter().map(|e| e.coding().0).collect();
        assert_eq!(codes.len(), FhirError::ALL.len());
    }

    #[test]
    fn plan_types_have_distinct_snomed_concepts() {
        let codes: std::collections::HashSet<_> = [PlanType::Cpp, PlanType::Lac, PlanType::Ucpp]
            .into_iter()
            .map(|t| plan_concept(t).0)
            .collect();
        assert_eq!(codes.len(), 3);
    }

    proptest! {
        #[test]
        fn only_true_false_or_absent_is_an_unscheduled_header(v in "\\PC{0,8}") {
            let lower = v.to_ascii_lowercase();
            let want = match lower.as_str() { "true" => Some(true), "false" => Some(false), _ => None };
            prop_assert_eq!(unscheduled(Some(&v)).ok(), want);
        }

        #[test]
        fn only_a_uuid_is_a_trace_id(v in "\\PC{0,40}") {
            prop_assert_eq!(trace_id(Some(&v)).is_ok(), uuid::Uuid::parse_str(v.trim()).is_ok());
        }
    }
}
