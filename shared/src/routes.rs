//! Every function and HTTP route, declared once: the routers, the local stack, the OpenAPI
//! contract check and the SAM template check all read this list.

use crate::claims::Role;
use crate::config::env;
use crate::keys::{QueueDef, ALERT_DELIVERY_QUEUE, ALERT_FANOUT_QUEUE};

/// How a function is invoked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// HTTP API routes (listed in [`ROUTES`]).
    Http,
    /// An EventBridge schedule.
    Schedule,
    /// An SQS event source with `ReportBatchItemFailures`.
    Queue {
        queue: QueueDef,
        batch_size: u32,
        /// The function's timeout; the queue's visibility timeout must be at least six times it.
        timeout_s: u32,
    },
}

/// A Lambda function of the system.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FunctionDef {
    /// The crate and binary name (`BuildProperties: Binary` in the template).
    pub binary: &'static str,
    /// The template's logical id.
    pub logical_id: &'static str,
    /// Environment variables the function reads.
    pub env: &'static [&'static str],
    pub trigger: Trigger,
    /// The data-plane IAM actions (DynamoDB, SQS, Secrets Manager) the function's ports issue,
    /// and the event source's polling for queue consumers. The template grants exactly these
    /// (tests/tests/template_iam.rs); the sample-event test proves the handlers issue
    /// nothing else (tests/tests/events/). Logs, traces and KMS are the platform's, not listed.
    pub iam: &'static [&'static str],
    /// Lambda concurrency reserved for it: what it can always have, and all it may take, so
    /// that no function starves another (docs/OPERATIONS.md lists them; a template test holds
    /// the template and that table to these).
    pub reserved_concurrency: u32,
}

/// What an SQS event source needs of its consumer's role to poll and delete.
const SQS_EVENT_SOURCE: [&str; 3] = [
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
];

pub const PLAN_UPSERT: FunctionDef = FunctionDef {
    binary: "plan-upsert",
    logical_id: "PlanUpsertFunction",
    env: &[
        env::TABLE_NAME,
        env::ALERT_DELIVERY_QUEUE_URL,
        env::ALERT_FANOUT_QUEUE_URL,
        env::RETENTION_MONTHS,
        env::CHILD_KEY_SECRET_ARN,
        env::JWT_ISSUER,
        env::JWT_AUDIENCE,
    ],
    trigger: Trigger::Http,
    // PlanWrites: the batched consistent read, the conditional puts (a move's transaction is
    // two puts, which IAM governs as PutItem), one record, the LA's listing, the upload
    // counts (`ADD` to the LA's indicators); the child key secret, read once at start; the
    // delivery queue (another LA told of a plan on its child) and the fan-out queue (the
    // recheck of a child a plan was just put on, `cpindex::recheck`).
    iam: &[
        "dynamodb:BatchGetItem",
        "dynamodb:PutItem",
        "dynamodb:GetItem",
        "dynamodb:Query",
        "dynamodb:UpdateItem",
        "sqs:SendMessage",
        "secretsmanager:GetSecretValue",
    ],
    reserved_concurrency: 20,
};

pub const LOOKUP: FunctionDef = FunctionDef {
    binary: "lookup",
    logical_id: "LookupFunction",
    env: &[
        env::TABLE_NAME,
        env::ALERT_FANOUT_QUEUE_URL,
        env::RETENTION_MONTHS,
        env::TRANSFER_WINDOW_DAYS,
        env::LOOKUP_CAP_PER_HOUR,
        env::CHILD_KEY_SECRET_ARN,
        env::JWT_ISSUER,
        env::JWT_AUDIENCE,
        env::NHS_JWT_ISSUER,
        env::NHS_JWT_AUDIENCE,
        env::NHS_TOKEN_CLAIMS,
    ],
    trigger: Trigger::Http,
    // The child's partition (Query), the audit trail (PutItem), the caller's count for the
    // hour (UpdateItem), the alert queue (SendMessage);
    // the child key secret and the data's key fingerprint (GetItem; PutItem on an empty table),
    // read once at start (never per lookup).
    iam: &[
        "dynamodb:Query",
        "dynamodb:PutItem",
        "dynamodb:GetItem",
        "dynamodb:UpdateItem",
        "sqs:SendMessage",
        "secretsmanager:GetSecretValue",
    ],
    reserved_concurrency: 200,
};

pub const INBOX: FunctionDef = FunctionDef {
    binary: "inbox",
    logical_id: "InboxFunction",
    env: &[
        env::TABLE_NAME,
        env::RETENTION_MONTHS,
        env::WEBHOOK_SECRET_PREFIX,
        env::JWT_ISSUER,
        env::JWT_AUDIENCE,
    ],
    trigger: Trigger::Http,
    // Notifications (list, acknowledge), access history, profiles, the LA's report; an
    // acknowledged overdue alert no longer listed open (DeleteItem); whether a profile's webhook
    // secret exists (never its value).
    iam: &[
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:Query",
        "dynamodb:DeleteItem",
        "secretsmanager:DescribeSecret",
    ],
    reserved_concurrency: 20,
};

pub const ALERT_FANOUT: FunctionDef = FunctionDef {
    binary: "alert-fanout",
    logical_id: "AlertFanoutFunction",
    env: &[
        env::TABLE_NAME,
        env::ALERT_DELIVERY_QUEUE_URL,
        env::RETENTION_MONTHS,
        env::TRANSFER_WINDOW_DAYS,
    ],
    trigger: Trigger::Queue {
        queue: ALERT_FANOUT_QUEUE,
        batch_size: 10,
        timeout_s: 30,
    },
    // FanoutStore (record the access, read plans, create notifications, confirm), DeliveryQueue.
    iam: &[
        SQS_EVENT_SOURCE[0],
        SQS_EVENT_SOURCE[1],
        SQS_EVENT_SOURCE[2],
        "dynamodb:Query",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "sqs:SendMessage",
    ],
    reserved_concurrency: 20,
};

pub const ALERT_DELIVERY: FunctionDef = FunctionDef {
    binary: "alert-delivery",
    logical_id: "AlertDeliveryFunction",
    env: &[env::TABLE_NAME, env::ALERT_DELIVERY_QUEUE_URL],
    trigger: Trigger::Queue {
        queue: ALERT_DELIVERY_QUEUE,
        batch_size: 10,
        timeout_s: 30,
    },
    // DeliveryStore (notification, profile, outcome), Visibility (back-off), SecretSource.
    iam: &[
        SQS_EVENT_SOURCE[0],
        SQS_EVENT_SOURCE[1],
        SQS_EVENT_SOURCE[2],
        "dynamodb:GetItem",
        "dynamodb:UpdateItem",
        "sqs:ChangeMessageVisibility",
        "secretsmanager:GetSecretValue",
    ],
    reserved_concurrency: 20,
};

pub const REPORTS: FunctionDef = FunctionDef {
    binary: "reports",
    logical_id: "ReportsFunction",
    env: &[
        env::TABLE_NAME,
        env::LOOKUP_CAP_PER_HOUR,
        env::JWT_ISSUER,
        env::JWT_AUDIENCE,
    ],
    trigger: Trigger::Http,
    // Indicators (a week's partition each, and the LA list), usage (a week's partition each).
    iam: &["dynamodb:Query"],
    // Its own few: a year of indicators is 52 partition reads, and must never hold a slot an
    // LA's inbox needs.
    reserved_concurrency: 5,
};

const RECONCILE_ENV: &[&str] = &[
    env::TABLE_NAME,
    env::ALERT_FANOUT_QUEUE_URL,
    env::ALERT_DELIVERY_QUEUE_URL,
    env::ALERT_DELIVERY_DLQ_URL,
    env::RETENTION_MONTHS,
    env::ALERT_ACK_HOURS,
];

/// A reconciliation step: the scan, retention deletes, checkpoints and reports, the pending
/// accesses and profiles, lost alerts back to fan-out, the dead-letter queue's depth; overdue
/// alerts escalated (the original marked in a transaction: UpdateItem) and sent to delivery.
const RECONCILE_IAM: [&str; 8] = [
    "dynamodb:Scan",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:DeleteItem",
    "dynamodb:Query",
    "dynamodb:UpdateItem",
    "sqs:SendMessage",
    "sqs:GetQueueAttributes",
];

pub const RECONCILE: FunctionDef = FunctionDef {
    binary: "reconcile",
    logical_id: "ReconcileFunction",
    env: RECONCILE_ENV,
    trigger: Trigger::Schedule,
    iam: &RECONCILE_IAM,
    reserved_concurrency: 1,
};

pub const OPS: FunctionDef = FunctionDef {
    binary: "ops",
    logical_id: "OpsFunction",
    env: &[
        env::TABLE_NAME,
        env::ALERT_FANOUT_QUEUE_URL,
        env::ALERT_DELIVERY_QUEUE_URL,
        env::ALERT_DELIVERY_DLQ_URL,
        env::RETENTION_MONTHS,
        env::ALERT_ACK_HOURS,
        env::JWT_ISSUER,
        env::JWT_AUDIENCE,
    ],
    trigger: Trigger::Http,
    // A reconciliation step on request, and the re-drive: DLQ messages received, sent back to
    // delivery and deleted, their notifications reopened.
    iam: &[
        RECONCILE_IAM[0],
        RECONCILE_IAM[1],
        RECONCILE_IAM[2],
        RECONCILE_IAM[3],
        RECONCILE_IAM[4],
        RECONCILE_IAM[5],
        RECONCILE_IAM[6],
        RECONCILE_IAM[7],
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
    ],
    reserved_concurrency: 2,
};

pub const WEB: FunctionDef = FunctionDef {
    binary: "web",
    logical_id: "WebFunction",
    env: &[
        env::OIDC_ISSUER,
        env::OIDC_CLIENT_ID,
        env::OIDC_AUTHORIZE_URL,
        env::OIDC_TOKEN_URL,
        env::NHS_OIDC_ISSUER,
        env::NHS_OIDC_CLIENT_ID,
        env::NHS_OIDC_AUTHORIZE_URL,
        env::NHS_OIDC_TOKEN_URL,
    ],
    trigger: Trigger::Http,
    // Pages and assets embedded in the binary: no store, no queue, no secret.
    iam: &[],
    reserved_concurrency: 20,
};

/// Every function.
pub const FUNCTIONS: &[FunctionDef] = &[
    PLAN_UPSERT,
    LOOKUP,
    INBOX,
    REPORTS,
    ALERT_FANOUT,
    ALERT_DELIVERY,
    RECONCILE,
    OPS,
    WEB,
];

/// The site root: sends a browser to the app.
pub const WEB_ROOT_PATH: &str = "/";
/// The web app's page (every view is a fragment of it: no NHS number is ever in a URL).
pub const WEB_APP_PATH: &str = "/app";
/// The app's sign-in configuration.
pub const WEB_CONFIG_PATH: &str = "/app/config.json";
/// The app's assets (API Gateway's greedy syntax; [`axum_path`] gives the router's).
pub const WEB_ASSETS_PATH: &str = "/app/{proxy+}";

/// The web app's routes: public (no authorizer; they serve no data), all on [`WEB`].
pub const WEB_ROUTES: &[&str] = &[WEB_ROOT_PATH, WEB_APP_PATH, WEB_ASSETS_PATH];

/// A path in axum's syntax: API Gateway's greedy `{name+}` is axum's `{*name}`.
pub fn axum_path(path: &str) -> String {
    match path.strip_suffix("+}") {
        Some(head) => match head.rfind('{') {
            Some(i) => format!("{}{{*{}}}", &head[..i], &head[i + 1..]),
            None => path.to_owned(),
        },
        None => path.to_owned(),
    }
}

/// One HTTP route. Paths use `{param}` placeholders, the syntax both axum and API Gateway use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteDef {
    pub method: &'static str,
    pub path: &'static str,
    pub function: FunctionDef,
    /// Roles allowed; every other verified role gets 403.
    pub roles: &'static [Role],
    /// The body the route requires.
    pub body: Body,
    /// API Gateway's limit on the route.
    pub throttle: Throttle,
}

/// API Gateway's per-route limits (requests a second, and burst). The clinician's lookup has
/// its own and the highest, so neither a flood of uploads nor a misbehaving client can push a
/// 3 a.m. lookup into 429; bulk uploads (JSON or CSV) the lowest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Throttle {
    Lookup,
    Standard,
    Bulk,
}

impl Throttle {
    /// Requests a second, sustained.
    pub const fn rate(self) -> u32 {
        match self {
            Throttle::Lookup => 500,
            Throttle::Standard => 100,
            Throttle::Bulk => 10,
        }
    }

    /// Requests at once.
    pub const fn burst(self) -> u32 {
        self.rate() * 2
    }
}

/// The body a route requires (each at most 1 MiB); a route without one ignores any body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    None,
    /// `application/json`.
    Json,
    /// `text/csv`: an LA extract as its case system exports it (`crate::csv_extract`).
    Csv,
}

impl RouteDef {
    const fn new(
        method: &'static str,
        path: &'static str,
        function: FunctionDef,
        roles: &'static [Role],
        body: Body,
    ) -> Self {
        Self {
            method,
            path,
            function,
            roles,
            body,
            throttle: Throttle::Standard,
        }
    }

    /// The same route under another API Gateway limit.
    const fn throttled(self, throttle: Throttle) -> Self {
        Self { throttle, ..self }
    }

    /// The route requires a JSON body.
    pub fn takes_json(&self) -> bool {
        self.body == Body::Json
    }

    /// The route requires a CSV body.
    pub fn takes_csv(&self) -> bool {
        self.body == Body::Csv
    }
}

/// An extract uploaded as CSV (the web app's upload; the CLI sends the same file as batches).
pub const PLAN_EXTRACTS_PATH: &str = "/v1/plan-extracts";
/// Path of one plan, by the LA's own reference.
pub const PLAN_PATH: &str = "/v1/plans/{planRef}";
/// The LA's own plans, paginated.
pub const PLANS_PATH: &str = "/v1/plans";
/// Batch upload (delta or full extract) with a per-record acknowledgement.
pub const PLAN_BATCHES_PATH: &str = "/v1/plan-batches";
/// An LA's notifications (its inbox).
pub const NOTIFICATIONS_PATH: &str = "/v1/notifications";
/// Acknowledge one notification.
pub const NOTIFICATION_ACK_PATH: &str = "/v1/notifications/{notificationId}/ack";
/// Access history of the child of one of the LA's plans.
pub const PLAN_ACCESSES_PATH: &str = "/v1/plans/{planRef}/accesses";
/// An LA's profile (contacts, webhook).
pub const PROFILE_PATH: &str = "/v1/la-profiles/{org}";
/// The changes to an LA's profile: who, when, before and after.
pub const PROFILE_HISTORY_PATH: &str = "/v1/la-profiles/{org}/history";
/// Every LA profile (operators).
pub const PROFILES_PATH: &str = "/v1/la-profiles";
/// The LA's latest reconciliation report.
pub const RECONCILIATION_REPORT_PATH: &str = "/v1/reconciliation-reports/latest";
/// Indicators: an LA's own (operators: any LA's, or national) beside the national median.
pub const INDICATORS_PATH: &str = "/v1/indicators";
/// Who in an organisation looked children up, one week (privacy officers; operators).
pub const USAGE_PATH: &str = "/v1/usage";
/// Operators: alerts not acknowledged in time, per LA.
pub const OVERDUE_ALERTS_PATH: &str = "/v1/alerts/overdue";
/// Operators: run reconciliation now (one bounded step).
pub const RECONCILIATION_RUNS_PATH: &str = "/v1/reconciliation-runs";
/// Operators: dead-letter report.
pub const DEAD_LETTERS_PATH: &str = "/v1/dead-letters";
/// Operators: re-drive dead letters.
pub const DEAD_LETTERS_REDRIVE_PATH: &str = "/v1/dead-letters/redrive";
/// What a clinician sees for one NHS number.
pub const CHILD_PATH: &str = "/v1/children/{nhsNumber}";
/// Operators: who looked one NHS number up, and when (the whole audit trail, audited itself).
pub const CHILD_ACCESSES_PATH: &str = "/v1/children/{nhsNumber}/accesses";
/// Scheduled care: a child (or a pregnant woman, by the unborn child's plan) missed an
/// appointment.
pub const MISSED_APPOINTMENTS_PATH: &str = "/v1/children/{nhsNumber}/missed-appointments";

/// FHIR R4: the national `CareTeam` search (plans, with the responsible LAs' contacts).
/// A clinician's search by date of birth, sex and family name (a name travels only in a body).
pub const CHILD_SEARCHES_PATH: &str = "/v1/child-searches";
pub const FHIR_CARE_TEAM_PATH: &str = "/FHIR/R4/CareTeam";
/// FHIR R4: the national `AuditEvent` search (previous unscheduled-care accesses).
pub const FHIR_AUDIT_EVENT_PATH: &str = "/FHIR/R4/AuditEvent";
/// FHIR R4: the capability statement.
/// The Patient Flags search (NHS England's Patient Flags Service).
pub const FHIR_FLAG_PATH: &str = "/FHIR/R4/Flag";
pub const FHIR_METADATA_PATH: &str = "/FHIR/R4/metadata";

const LA: &[Role] = &[Role::LocalAuthority];
/// Everyone who signs in at the NHS provider, whatever their selected role allows.
const NHS_ANY: &[Role] = &[Role::UnscheduledCare, Role::ScheduledCare, Role::NhsStaff];
const CARE: &[Role] = &[Role::UnscheduledCare, Role::ScheduledCare];
const OPERATOR: &[Role] = &[Role::Operator];
const LA_OR_OPERATOR: &[Role] = &[Role::LocalAuthority, Role::Operator];
const OVERSIGHT: &[Role] = &[Role::PrivacyOfficer, Role::Operator];
const SCHEDULED: &[Role] = &[Role::ScheduledCare];

/// Create or update one plan.
pub const PUT_PLAN: RouteDef = RouteDef::new("PUT", PLAN_PATH, PLAN_UPSERT, LA, Body::Json);
/// One of the LA's own plans.
pub const GET_PLAN: RouteDef = RouteDef::new("GET", PLAN_PATH, PLAN_UPSERT, LA, Body::None);
/// Withdraw a plan uploaded in error.
pub const DELETE_PLAN: RouteDef = RouteDef::new("DELETE", PLAN_PATH, PLAN_UPSERT, LA, Body::None);
/// The LA's own plans, paginated.
pub const LIST_PLANS: RouteDef = RouteDef::new("GET", PLANS_PATH, PLAN_UPSERT, LA, Body::None);
/// Batch upload with a per-record acknowledgement.
pub const POST_PLAN_BATCH: RouteDef =
    RouteDef::new("POST", PLAN_BATCHES_PATH, PLAN_UPSERT, LA, Body::Json).throttled(Throttle::Bulk);
/// Upload a CSV extract (at most one batch of records).
pub const POST_PLAN_EXTRACT: RouteDef =
    RouteDef::new("POST", PLAN_EXTRACTS_PATH, PLAN_UPSERT, LA, Body::Csv).throttled(Throttle::Bulk);
/// What a clinician sees for one NHS number.
pub const GET_CHILD: RouteDef =
    RouteDef::new("GET", CHILD_PATH, LOOKUP, CARE, Body::None).throttled(Throttle::Lookup);
/// Operators: every access to one NHS number, plan or no plan (a subject access request, an
/// investigation). The trail is keyed by the child key, so only this function can find it.
pub const GET_CHILD_ACCESSES: RouteDef =
    RouteDef::new("GET", CHILD_ACCESSES_PATH, LOOKUP, OPERATOR, Body::None);
/// Scheduled care records a missed appointment: the same answer whether or not the child has a
/// plan (audited like a lookup; the LAs of an active plan are told). No clinician waits at a
/// bedside for it: the standard limit, below the lookups'.
pub const POST_MISSED_APPOINTMENT: RouteDef = RouteDef::new(
    "POST",
    MISSED_APPOINTMENTS_PATH,
    LOOKUP,
    SCHEDULED,
    Body::Json,
);
/// A clinician's demographic search, for a child whose NHS number is not known
/// (`cpindex::demographics`): it says whether there is a possible match and which LA to call,
/// never an NHS number or a name. An unscheduled-care match alerts the LA. Answered with a
/// lookup's urgency.
pub const POST_CHILD_SEARCH: RouteDef =
    RouteDef::new("POST", CHILD_SEARCHES_PATH, LOOKUP, CARE, Body::Json)
        .throttled(Throttle::Lookup);
/// FHIR: one `CareTeam` per plan shown, for an NHS number (the same lookup as [`GET_CHILD`]).
pub const FHIR_CARE_TEAM: RouteDef =
    RouteDef::new("GET", FHIR_CARE_TEAM_PATH, LOOKUP, CARE, Body::None).throttled(Throttle::Lookup);
/// FHIR: the previous unscheduled-care accesses (the same lookup as [`GET_CHILD`]).
pub const FHIR_AUDIT_EVENT: RouteDef =
    RouteDef::new("GET", FHIR_AUDIT_EVENT_PATH, LOOKUP, CARE, Body::None)
        .throttled(Throttle::Lookup);
/// FHIR: the Patient Flags search, `Flag?patient=&code=` (the same lookup as [`GET_CHILD`]).
pub const FHIR_FLAG: RouteDef =
    RouteDef::new("GET", FHIR_FLAG_PATH, LOOKUP, CARE, Body::None).throttled(Throttle::Lookup);
/// FHIR: what the interface supports (anyone signed in at the NHS provider: the interface's
/// clients are NHS systems).
pub const FHIR_METADATA: RouteDef =
    RouteDef::new("GET", FHIR_METADATA_PATH, LOOKUP, NHS_ANY, Body::None);
/// The LA's inbox.
pub const LIST_NOTIFICATIONS: RouteDef =
    RouteDef::new("GET", NOTIFICATIONS_PATH, INBOX, LA, Body::None);
/// Acknowledge one notification.
pub const ACK_NOTIFICATION: RouteDef =
    RouteDef::new("POST", NOTIFICATION_ACK_PATH, INBOX, LA, Body::None);
/// Access history of the child of one of the LA's plans.
pub const GET_PLAN_ACCESSES: RouteDef =
    RouteDef::new("GET", PLAN_ACCESSES_PATH, INBOX, LA, Body::None);
/// Create or replace an LA profile.
pub const PUT_PROFILE: RouteDef = RouteDef::new("PUT", PROFILE_PATH, INBOX, OPERATOR, Body::Json);
/// Every LA profile, for operators checking contacts and webhooks across LAs.
pub const LIST_PROFILES: RouteDef =
    RouteDef::new("GET", PROFILES_PATH, INBOX, OPERATOR, Body::None);
/// An LA profile (an LA reads only its own).
pub const GET_PROFILE: RouteDef =
    RouteDef::new("GET", PROFILE_PATH, INBOX, LA_OR_OPERATOR, Body::None);
/// The changes to an LA profile (an LA reads its own only).
pub const GET_PROFILE_HISTORY: RouteDef = RouteDef::new(
    "GET",
    PROFILE_HISTORY_PATH,
    INBOX,
    LA_OR_OPERATOR,
    Body::None,
);
/// The LA's latest reconciliation report.
pub const GET_RECONCILIATION_REPORT: RouteDef =
    RouteDef::new("GET", RECONCILIATION_REPORT_PATH, INBOX, LA, Body::None);
/// Indicators over the last weeks (JSON, or CSV with `Accept: text/csv`).
pub const GET_INDICATORS: RouteDef =
    RouteDef::new("GET", INDICATORS_PATH, REPORTS, LA_OR_OPERATOR, Body::None);
/// The privacy officer's view of one organisation's week (JSON, or CSV with `Accept: text/csv`).
pub const GET_USAGE: RouteDef = RouteDef::new("GET", USAGE_PATH, REPORTS, OVERSIGHT, Body::None);
/// The operators' page of overdue alerts, per LA.
pub const GET_OVERDUE_ALERTS: RouteDef =
    RouteDef::new("GET", OVERDUE_ALERTS_PATH, REPORTS, OPERATOR, Body::None);
/// Run reconciliation now (one bounded step).
pub const POST_RECONCILIATION_RUN: RouteDef =
    RouteDef::new("POST", RECONCILIATION_RUNS_PATH, OPS, OPERATOR, Body::None);
/// The dead-letter report.
pub const GET_DEAD_LETTERS: RouteDef =
    RouteDef::new("GET", DEAD_LETTERS_PATH, OPS, OPERATOR, Body::None);
/// Re-drive dead letters.
pub const POST_DEAD_LETTERS_REDRIVE: RouteDef =
    RouteDef::new("POST", DEAD_LETTERS_REDRIVE_PATH, OPS, OPERATOR, Body::None);

/// Every HTTP route the system serves.
pub const ROUTES: &[RouteDef] = &[
    PUT_PLAN,
    GET_PLAN,
    DELETE_PLAN,
    LIST_PLANS,
    POST_PLAN_BATCH,
    POST_PLAN_EXTRACT,
    GET_CHILD,
    GET_CHILD_ACCESSES,
    POST_MISSED_APPOINTMENT,
    POST_CHILD_SEARCH,
    FHIR_CARE_TEAM,
    FHIR_AUDIT_EVENT,
    FHIR_FLAG,
    FHIR_METADATA,
    LIST_NOTIFICATIONS,
    ACK_NOTIFICATION,
    GET_PLAN_ACCESSES,
    PUT_PROFILE,
    GET_PROFILE,
    LIST_PROFILES,
    GET_PROFILE_HISTORY,
    GET_RECONCILIATION_REPORT,
    GET_INDICATORS,
    GET_USAGE,
    GET_OVERDUE_ALERTS,
    POST_RECONCILIATION_RUN,
    GET_DEAD_LETTERS,
    POST_DEAD_LETTERS_REDRIVE,
];

impl RouteDef {
    /// A FHIR route: answers `application/fhir+json`, errors as `OperationOutcome`.
    pub fn is_fhir(&self) -> bool {
        self.path.starts_with(crate::fhir::BASE)
    }

    /// The identity provider whose tokens the route accepts: its roles' (one per route; API
    /// Gateway's JWT authorizer trusts one issuer).
    pub fn provider(&self) -> crate::claims::Provider {
        self.roles[0].provider()
    }
}

/// An API Gateway JWT authorizer of the template: its name and the parameters giving its issuer
/// and audiences.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthorizerDef {
    pub name: &'static str,
    pub issuer_parameter: &'static str,
    pub audience_parameter: &'static str,
}

/// The HttpApi's default authorizer: LA and service staff's.
pub const DEFAULT_AUTHORIZER: AuthorizerDef = AuthorizerDef {
    name: "JwtAuthorizer",
    issuer_parameter: "JwtIssuer",
    audience_parameter: "JwtAudience",
};

/// The authorizer trusting `provider`'s issuer, which a route of its roles names.
pub const fn authorizer(provider: crate::claims::Provider) -> AuthorizerDef {
    match provider {
        crate::claims::Provider::Staff => DEFAULT_AUTHORIZER,
        crate::claims::Provider::Nhs => AuthorizerDef {
            name: "NhsJwtAuthorizer",
            issuer_parameter: "NhsJwtIssuer",
            audience_parameter: "NhsJwtAudience",
        },
    }
}

/// The routes one function serves.
pub fn routes_of(function: FunctionDef) -> impl Iterator<Item = &'static RouteDef> {
    ROUTES.iter().filter(move |r| r.function == function)
}

#[cfg(test)]
mod tests {
    #[test]
    fn queue_visibility_is_at_least_six_times_the_consumer_timeout() {
        for f in FUNCTIONS {
            if let Trigger::Queue {
                queue,
                timeout_s,
                batch_size,
            } = f.trigger
            {
                assert!(queue.visibility_timeout_s >= 6 * timeout_s, "{}", f.binary);
                assert!((1..=10).contains(&batch_size));
            }
        }
    }

    use super::*;
    use std::collections::HashSet;

    #[test]
    fn each_route_serves_the_roles_of_one_identity_provider() {
        for r in ROUTES {
            assert!(
                r.roles.iter().all(|role| role.provider() == r.provider()),
                "{} {}: roles from two identity providers",
                r.method,
                r.path
            );
        }
    }

    #[test]
    fn a_greedy_path_is_written_for_each_router() {
        assert_eq!(axum_path("/app/{proxy+}"), "/app/{*proxy}");
        assert_eq!(axum_path("/v1/plans/{planRef}"), "/v1/plans/{planRef}");
        assert_eq!(axum_path("/"), "/");
    }

    #[test]
    fn routes_are_unique_and_every_function_serves_one() {
        let mut seen = HashSet::new();
        for r in ROUTES {
            assert!(
                seen.insert((r.method, r.path)),
                "duplicate {} {}",
                r.method,
                r.path
            );
            assert!(r.path.starts_with("/v1/") || (r.is_fhir() && r.function == LOOKUP));
            assert!(r.function != WEB, "the web function serves pages only");
            assert!(!r.roles.is_empty());
        }
        for f in FUNCTIONS {
            // The web function serves the public pages (WEB_ROUTES), not API routes.
            let serves = routes_of(*f).next().is_some() || (*f == WEB && !WEB_ROUTES.is_empty());
            assert_eq!(
                serves,
                f.trigger == Trigger::Http,
                "{}: HTTP functions, and only they, serve routes",
                f.binary
            );
        }
    }
}
