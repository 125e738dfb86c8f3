//! Settings read from the environment. Each variable name is declared here once and used by the
//! functions, the local stack and the template check alike.

use std::time::Duration;

use crate::plan::Retention;

/// Environment variable names shared by code and template.
pub mod env {
    /// The DynamoDB table holding the index.
    pub const TABLE_NAME: &str = "TABLE_NAME";
    /// The queue an unscheduled-care access is handed to for alert fan-out.
    pub const ALERT_FANOUT_QUEUE_URL: &str = "ALERT_FANOUT_QUEUE_URL";
    /// The queue of notifications waiting for webhook delivery.
    pub const ALERT_DELIVERY_QUEUE_URL: &str = "ALERT_DELIVERY_QUEUE_URL";
    /// The delivery queue's dead-letter queue (operators' report and re-drive).
    pub const ALERT_DELIVERY_DLQ_URL: &str = "ALERT_DELIVERY_DLQ_URL";
    /// Months an ended plan stays visible (default 12).
    pub const RETENTION_MONTHS: &str = "RETENTION_MONTHS";
    /// Days after a transfer out that its LA is still alerted (default 30; `crate::transfer`).
    pub const TRANSFER_WINDOW_DAYS: &str = "TRANSFER_WINDOW_DAYS";
    /// The name prefix of the LAs' webhook signing secrets (the only ones delivery may read):
    /// the inbox refuses a profile naming a secret outside it.
    pub const WEBHOOK_SECRET_PREFIX: &str = "WEBHOOK_SECRET_PREFIX";
    /// The Secrets Manager secret (ARN) holding the child key secret (`crate::child_key`).
    pub const CHILD_KEY_SECRET_ARN: &str = "CHILD_KEY_SECRET_ARN";
    /// The issuer the API's JWT authorizer trusts: a function refuses claims any other issued.
    pub const JWT_ISSUER: &str = "JWT_ISSUER";
    /// The audience the API's JWT authorizer requires: a function refuses claims for another.
    pub const JWT_AUDIENCE: &str = "JWT_AUDIENCE";
    /// The issuer NHS staff's tokens come from (NHS CIS2, or a broker in front of it): the JWT
    /// authorizer of the routes NHS staff use trusts it.
    pub const NHS_JWT_ISSUER: &str = "NHS_JWT_ISSUER";
    /// The audiences NHS staff's tokens may carry.
    pub const NHS_JWT_AUDIENCE: &str = "NHS_JWT_AUDIENCE";
    /// The shape of NHS staff's tokens: `cis2` (RBAC roles with activity codes) or `roles`
    /// (a broker issuing this service's `role`/`org` claims).
    pub const NHS_TOKEN_CLAIMS: &str = "NHS_TOKEN_CLAIMS";
    /// The web app's OpenID Connect issuer (the one the API's JWT authorizer trusts).
    pub const OIDC_ISSUER: &str = "OIDC_ISSUER";
    /// The web app's client id at that issuer.
    pub const OIDC_CLIENT_ID: &str = "OIDC_CLIENT_ID";
    /// The issuer's authorization endpoint (the browser is sent there to sign in).
    pub const OIDC_AUTHORIZE_URL: &str = "OIDC_AUTHORIZE_URL";
    /// The issuer's token endpoint (the browser exchanges its code there).
    pub const OIDC_TOKEN_URL: &str = "OIDC_TOKEN_URL";
    /// The same four for NHS staff's sign-in (NHS CIS2, or a broker in front of it).
    pub const NHS_OIDC_ISSUER: &str = "NHS_OIDC_ISSUER";
    pub const NHS_OIDC_CLIENT_ID: &str = "NHS_OIDC_CLIENT_ID";
    pub const NHS_OIDC_AUTHORIZE_URL: &str = "NHS_OIDC_AUTHORIZE_URL";
    pub const NHS_OIDC_TOKEN_URL: &str = "NHS_OIDC_TOKEN_URL";
    /// Overrides the AWS endpoint (the local emulator); unset means AWS itself.
    pub const AWS_ENDPOINT_URL: &str = "AWS_ENDPOINT_URL";
    /// The hard cap on one user's lookups per hour (`crate::usage::UsageCap`).
    pub const LOOKUP_CAP_PER_HOUR: &str = "LOOKUP_CAP_PER_HOUR";
    /// Hours an alert may stay unacknowledged where the LA's profile does not say
    /// (`crate::overdue::AckWindow`; default 4).
    pub const ALERT_ACK_HOURS: &str = "ALERT_ACK_HOURS";
}

/// Why configuration could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {0} is not set")]
    Missing(&'static str),
    #[error("environment variable {name} is not valid: {reason}")]
    Invalid { name: &'static str, reason: String },
}

/// Reads a required variable.
pub fn required(name: &'static str) -> Result<String, ConfigError> {
    std::env::var(name).map_err(|_| ConfigError::Missing(name))
}

/// Reads the retention period, defaulting to the national 12 months.
pub fn retention() -> Result<Retention, ConfigError> {
    match std::env::var(env::RETENTION_MONTHS) {
        Err(_) => Ok(Retention::default()),
        Ok(raw) => raw
            .parse::<u32>()
            .ok()
            .filter(|m| (1..=120).contains(m))
            .map(|months| Retention { months })
            .ok_or(ConfigError::Invalid {
                name: env::RETENTION_MONTHS,
                reason: "expected whole months between 1 and 120".into(),
            }),
    }
}

/// Reads the transfer window, defaulting to 30 days.
pub fn transfer_window() -> Result<crate::transfer::TransferWindow, ConfigError> {
    match std::env::var(env::TRANSFER_WINDOW_DAYS) {
        Err(_) => Ok(crate::transfer::TransferWindow::default()),
        Ok(raw) => raw
            .parse::<u32>()
            .ok()
            .filter(|d| *d <= crate::transfer::MAX_TRANSFER_WINDOW_DAYS)
            .map(|days| crate::transfer::TransferWindow { days })
            .ok_or(ConfigError::Invalid {
                name: env::TRANSFER_WINDOW_DAYS,
                reason: format!(
                    "expected whole days from 0 to {}",
                    crate::transfer::MAX_TRANSFER_WINDOW_DAYS
                ),
            }),
    }
}

/// Reads the hourly lookup cap, defaulting to `crate::usage::DEFAULT_CAP_PER_HOUR`.
pub fn usage_cap() -> Result<crate::usage::UsageCap, ConfigError> {
    match std::env::var(env::LOOKUP_CAP_PER_HOUR) {
        Err(_) => Ok(crate::usage::UsageCap::default()),
        Ok(raw) => raw
            .parse::<u32>()
            .ok()
            .and_then(crate::usage::UsageCap::new)
            .ok_or(ConfigError::Invalid {
                name: env::LOOKUP_CAP_PER_HOUR,
                reason: format!(
                    "expected whole lookups per hour from 1 to {}",
                    crate::usage::MAX_CAP_PER_HOUR
                ),
            }),
    }
}

/// Reads the default acknowledgement window, defaulting to `crate::overdue::DEFAULT_ACK_HOURS`.
pub fn ack_window() -> Result<crate::overdue::AckWindow, ConfigError> {
    match std::env::var(env::ALERT_ACK_HOURS) {
        Err(_) => Ok(crate::overdue::AckWindow::default()),
        Ok(raw) => raw
            .parse::<u32>()
            .ok()
            .and_then(crate::overdue::AckWindow::hours)
            .ok_or(ConfigError::Invalid {
                name: env::ALERT_ACK_HOURS,
                reason: format!(
                    "expected whole hours from 1 to {}",
                    crate::overdue::MAX_ACK_HOURS
                ),
            }),
    }
}

/// Timeouts for every store and queue call: short, so a sick dependency turns into a quick 503
/// (with Retry-After) rather than a clinician staring at a spinner.
#[derive(Debug, Clone, Copy)]
pub struct CallTimeouts {
    pub connect: Duration,
    pub attempt: Duration,
    pub operation: Duration,
    pub max_attempts: u32,
}

impl CallTimeouts {
    /// For bulk work off the clinical path (reconciliation's scans): slower calls are expected.
    pub fn bulk() -> Self {
        Self {
            connect: Duration::from_millis(2_000),
            attempt: Duration::from_secs(30),
            operation: Duration::from_secs(90),
            max_attempts: 3,
        }
    }
}

impl Default for CallTimeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_millis(1_000),
            attempt: Duration::from_millis(2_000),
            operation: Duration::from_millis(5_000),
            max_attempts: 3,
        }
    }
}
