//! What kind of fault an AWS error code is, for every adapter alike: a **configuration** fault
//! (the resource is missing, or this function may not use it) stays broken until an operator
//! acts, so it is logged as an error naming the resource (a metric filter in the template counts
//! those lines and an alarm fires); a **transient** one may clear by itself. Callers answer both
//! with 503 (a lookup never says "no plan" because it could not read).

/// How an adapter treats a failed call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Missing resource or denied permission: an operator must act.
    Configuration,
    /// Throttling, a server error, a timeout: retry later.
    Transient,
    /// The request was malformed (a bug on our side).
    Rejected,
}

/// Error codes that mean the deployment is wrong, not busy: a table, index, queue or key that
/// does not exist, or a role that may not use it, or credentials the service does not know.
const CONFIGURATION: [&str; 11] = [
    "ResourceNotFoundException",
    "AccessDeniedException",
    "AccessDenied",
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "AWS.SimpleQueueService.NonExistentQueue",
    "QueueDoesNotExist",
    "KmsAccessDenied",
    "KmsDisabled",
    "KmsNotFound",
    "KMSAccessDeniedException",
];

const TRANSIENT: [&str; 10] = [
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "Throttling",
    "RequestLimitExceeded",
    "InternalServerError",
    "InternalFailure",
    "ServiceUnavailable",
    "TransactionConflictException",
    "TransactionInProgressException",
    "KmsThrottled",
];

/// The fault an error `code` (with whether the status was a 5xx) stands for.
pub fn of(code: &str, server_error: bool) -> Fault {
    if CONFIGURATION.contains(&code) {
        Fault::Configuration
    } else if TRANSIENT.contains(&code) || server_error {
        Fault::Transient
    } else {
        Fault::Rejected
    }
}

/// Logs a configuration fault: the one line the template's metric filters count. Names the
/// service, the resource (a table name or queue URL, never data) and the code.
pub fn log_configuration(service: &'static str, resource: &str, code: &str) {
    tracing::error!(
        event = cpindex::log::MISCONFIGURED,
        service,
        resource,
        code,
        "configuration fault: the resource is missing or this function may not use it"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_its_fault() {
        for code in CONFIGURATION {
            // A 4xx or a 5xx status: a missing table is never taken for a busy one.
            assert_eq!(of(code, false), Fault::Configuration, "{code}");
            assert_eq!(of(code, true), Fault::Configuration, "{code}");
        }
        for code in TRANSIENT {
            assert_eq!(of(code, false), Fault::Transient, "{code}");
        }
        assert_eq!(of("SomethingNew", true), Fault::Transient);
        for code in ["ValidationException", "SerializationException", ""] {
            assert_eq!(of(code, false), Fault::Rejected, "{code}");
        }
    }

    #[test]
    fn no_code_is_both() {
        for code in CONFIGURATION {
            assert!(!TRANSIENT.contains(&code), "{code}");
        }
    }
}
