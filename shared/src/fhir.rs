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

/// The API platform's request id: a UUID, echoed on every FHIR answer and error, recorded with
/// the access. Required by the Patient Flags search, optional on the CP-IS searches.
pub const REQUEST_ID_HEADER: &str = "x-request-id";
/// The API platform's correlation id (the caller's own, any printable text up to
/// [`MAX_CORRELATION_ID`]): echoed, recorded with the access.
pub const CORRELATION_ID_HEADER: &str = "x-correlation-id";
/// The longest correlation id kept.
pub const MAX_CORRELATION_ID: usize = 128;

/// NHS England's Patient Flags profiles and vocabulary (Patient Flag implementation guide, beta).
pub mod flags {
    pub const FLAG_PROFILE: &str =
        "https://fhir.nhs.uk/England/StructureDefinition/England-Flag-PatientFlag";
    pub const CARE_PLAN_PROFILE: &str =
        "https://fhir.nhs.uk/England/StructureDefinition/England-CarePlan-Flag";
    pub const CARE_TEAM_PROFILE: &str =
        "https://fhir.nhs.uk/England/StructureDefinition/England-CareTeam-Flag";
    pub const PROVENANCE_PROFILE: &str =
        "https://fhir.nhs.uk/England/StructureDefinition/England-Provenance-Flag";
    /// The core extension from a flag to the resource that details it (here, the care plan).
    pub const FLAG_DETAIL: &str = "http://hl7.org/fhir/StructureDefinition/flag-detail";
    /// The code system of patient flag types.
    pub const FLAG_CATEGORY_SYSTEM: &str =
        "https://fhir.nhs.uk/England/CodeSystem/England-FlagCategoryPatient";
    /// The same code system's earlier address (2024 drafts), where the flag was `CP-IS`.
    pub const FLAG_CATEGORY_SYSTEM_2024: &str =
        "https://fhir.nhs.uk/England/CodeSystem/PatientFlagCategory";
    /// The CP-IS flag's code, as answered.
    pub const CPIS_CODE: &str = "child-protection-information-system-flag";
    pub const CPIS_DISPLAY: &str = "Child Protection Information System Flag";
    /// Every code NHS England's material has used for the CP-IS flag: the current one, the
    /// guide's March 2025 wording, and the 2024 drafts'.
    pub const CPIS_CODES: [&str; 3] = [
        CPIS_CODE,
        "child-protection-information-sharing-flag",
        "CP-IS",
    ];
    /// HL7 v3 DataOperation (the provenance's activity).
    pub const DATA_OPERATION_SYSTEM: &str =
        "http://terminology.hl7.org/CodeSystem/v3-DataOperation";
}

/// Which flags a Patient Flags search asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagCode {
    /// No `code`: every top-level flag, without the resources that detail it.
    Any,
    /// The CP-IS flag, with its care plans and care teams.
    Cpis,
    /// Another flag (reasonable adjustments, FGM): this index holds none.
    Other,
}

/// A Patient Flags search: `patient` (a bare NHS number, or `<NHS number system>|<number>`) and
/// optionally `code` (bare, or `<flag category system>|<code>`), each once, nothing else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagSearch {
    pub nhs: crate::NhsNumber,
    pub code: FlagCode,
}

/// Reads a Patient Flags search from its URL-decoded query pairs.
pub fn flag_search_of(pairs: &[(String, String)]) -> Result<FlagSearch, SearchError> {
    let mut patient = None;
    let mut code = None;
    for (name, value) in pairs {
        let slot = match name.as_str() {
            "patient" => &mut patient,
            "code" => &mut code,
            _ => return Err(SearchError::FlagParameters),
        };
        if slot.replace(value.as_str()).is_some() {
            return Err(SearchError::FlagParameters);
        }
    }
    let patient = patient.ok_or(SearchError::FlagParameters)?;
    let digits = match patient.split_once('|') {
        Some((NHS_NUMBER_SYSTEM, n)) => n,
        Some(_) => return Err(SearchError::System),
        None => patient,
    };
    let nhs = crate::NhsNumber::parse(digits)?;
    let code = match code {
        None => FlagCode::Any,
        Some(raw) => {
            let bare = match raw.split_once('|') {
                Some((flags::FLAG_CATEGORY_SYSTEM | flags::FLAG_CATEGORY_SYSTEM_2024, c)) => c,
                // A code from another system is not a patient flag this index knows.
                Some(_) => {
                    return Ok(FlagSearch {
                        nhs,
                        code: FlagCode::Other,
                    })
                }
                None => raw,
            };
            if flags::CPIS_CODES.contains(&bare) {
                FlagCode::Cpis
            } else {
                FlagCode::Other
            }
        }
    };
    Ok(FlagSearch { nhs, code })
}

/// The API platform's ids of one request, as received (each validated).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestIds {
    pub request_id: Option<uuid::Uuid>,
    pub correlation_id: Option<String>,
}

impl RequestIds {
    /// Reads `X-Request-ID` (a UUID, required when `request_id_required`) and
    /// `X-Correlation-ID` (printable ASCII, 1 to [`MAX_CORRELATION_ID`] characters).
    pub fn read(
        request_id: Option<&str>,
        correlation_id: Option<&str>,
        request_id_required: bool,
    ) -> Result<Self, SearchError> {
        let request_id = match request_id {
            Some(v) => Some(uuid::Uuid::parse_str(v.trim()).map_err(|_| SearchError::RequestId)?),
            None if request_id_required => return Err(SearchError::RequestId),
            None => None,
        };
        let correlation_id = correlation_id
            .map(|v| {
                let ok = (1..=MAX_CORRELATION_ID).contains(&v.len())
                    && v.bytes().all(|b| b.is_ascii_graphic());
                ok.then(|| v.to_owned()).ok_or(SearchError::CorrelationId)
            })
            .transpose()?;
        Ok(Self {
            request_id,
            correlation_id,
        })
    }
}

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
    #[error("search by patient=<NHS number>, and optionally code=<flag code>, each once, and nothing else")]
    FlagParameters,
    #[error("the X-Request-ID header is required and must be a UUID")]
    RequestId,
    #[error("the X-Correlation-ID header must be 1 to {MAX_CORRELATION_ID} printable characters")]
    CorrelationId,
}

impl SearchError {
    pub fn fhir_error(&self) -> FhirError {
        match self {
            SearchError::TraceId
            | SearchError::Unscheduled
            | SearchError::RequestId
            | SearchError::CorrelationId => FhirError::PreconditionFailed,
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

    #[test]
    fn a_flag_search_takes_each_cpis_code_bare_or_with_its_system() {
        let nhs = "9434765919";
        for code in flags::CPIS_CODES {
            for given in [
                code.to_owned(),
                format!("{}|{code}", flags::FLAG_CATEGORY_SYSTEM),
                format!("{}|{code}", flags::FLAG_CATEGORY_SYSTEM_2024),
            ] {
                let s = flag_search_of(&q(&[("patient", nhs), ("code", &given)])).unwrap();
                assert_eq!(s.code, FlagCode::Cpis, "{given}");
                assert_eq!(s.nhs.digits(), nhs);
            }
        }
        let token = format!("{NHS_NUMBER_SYSTEM}|{nhs}");
        assert_eq!(
            flag_search_of(&q(&[("patient", &token)])).unwrap().code,
            FlagCode::Any
        );
        for other in [
            "national-reasonable-adjustment-flag",
            "female-genital-mutilation-flag",
            "cp-is",
            "http://snomed.info/sct|CP-IS",
        ] {
            let s = flag_search_of(&q(&[("patient", nhs), ("code", other)])).unwrap();
            assert_eq!(s.code, FlagCode::Other, "{other}");
        }
    }

    #[test]
    fn a_bad_flag_search_is_invalid_search_data() {
        for bad in [
            q(&[]),
            q(&[("code", "CP-IS")]),
            q(&[("patient", "9434765918")]),
            q(&[("patient", "http://example.org|9434765919")]),
            q(&[("patient", "9434765919"), ("patient", "9434765919")]),
            q(&[
                ("patient", "9434765919"),
                ("code", "CP-IS"),
                ("code", "CP-IS"),
            ]),
            q(&[("patient", "9434765919"), ("_include", "*")]),
            q(&[(
                PATIENT_IDENTIFIER,
                "https://fhir.nhs.uk/Id/nhs-number|9434765919",
            )]),
        ] {
            let e = flag_search_of(&bad).unwrap_err();
            assert_eq!(e.fhir_error(), FhirError::InvalidSearchData, "{bad:?}");
        }
    }

    #[test]
    fn request_ids_are_checked_and_kept() {
        let id = "0a6f5b2e-5d1c-4f7a-9e3b-2c8d7f6a1b01";
        let ids = RequestIds::read(Some(id), Some("ed-system-42"), true).unwrap();
        assert_eq!(ids.request_id.unwrap().to_string(), id);
        assert_eq!(ids.correlation_id.as_deref(), Some("ed-system-42"));
        assert_eq!(
            RequestIds::read(None, None, false).unwrap(),
            RequestIds::default()
        );
        assert_eq!(
            RequestIds::read(None, None, true),
            Err(SearchError::RequestId)
        );
        assert_eq!(
            RequestIds::read(Some("42"), None, false),
            Err(SearchError::RequestId)
        );
        for bad in [
            "",
            "has space",
            &"x".repeat(MAX_CORRELATION_ID + 1),
            "caf\u{e9}",
        ] {
            assert_eq!(
                RequestIds::read(None, Some(bad), false),
                Err(SearchError::CorrelationId),
                "{bad}"
            );
        }
        assert_eq!(
            RequestIds::read(Some(id), None, true)
                .unwrap()
                .request_id
                .unwrap()
                .to_string(),
            id
        );
    }

    proptest! {
        #[test]
        fn a_correlation_id_is_kept_exactly_when_printable_and_short(v in "\\PC{0,140}") {
            let ok = !v.is_empty() && v.len() <= MAX_CORRELATION_ID && v.bytes().all(|b| b.is_ascii_graphic());
            prop_assert_eq!(RequestIds::read(None, Some(&v), false).is_ok(), ok);
        }

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
