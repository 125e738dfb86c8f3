//! England's volumes and London's prices, as BENCHMARKS.md states them, and the constants the
//! model scales by.

/// England's volumes (sources in BENCHMARKS.md).
#[derive(Debug, Clone, Copy)]
pub struct Volumes {
    /// Unscheduled-care contacts with children a year, each one lookup.
    pub lookups_per_year: f64,
    /// Share of lookups that find a plan (and so alert the responsible LA).
    pub plan_found_share: f64,
    /// Local authorities, each sending one full extract a day.
    pub las: f64,
    /// Plans held nationally (child protection plans, looked-after children, unborn).
    pub plans: f64,
    /// Plans started a year (each first write queues a recheck, `cpindex::recheck`).
    pub plans_started_per_year: f64,
    /// Share of an LA's records that change from one day's extract to the next.
    pub daily_changed_share: f64,
    /// Web app sessions a day (LA teams reading their inbox, clinicians without an EPR link).
    pub web_sessions_per_day: f64,
}

pub const ENGLAND: Volumes = Volumes {
    lookups_per_year: 10_000_000.0,
    plan_found_share: 0.03,
    las: 150.0,
    plans: 135_000.0,
    plans_started_per_year: 80_000.0,
    daily_changed_share: 0.01,
    web_sessions_per_day: 3_000.0,
};

/// DynamoDB's on-demand prices for one table class.
#[derive(Debug, Clone, Copy)]
pub struct TableClassPrices {
    pub write_unit: f64,
    pub read_unit: f64,
    pub gb_month: f64,
}

/// On-demand prices, eu-west-2 (London), arm64, USD, no free tier.
#[derive(Debug, Clone, Copy)]
pub struct Prices {
    pub lambda_gb_s: f64,
    pub lambda_request: f64,
    pub http_api_request: f64,
    pub dynamo_standard: TableClassPrices,
    /// Standard-IA: storage at 40 % of Standard's price, requests 25 % dearer.
    pub dynamo_standard_ia: TableClassPrices,
    pub sqs_request: f64,
    pub secret_month: f64,
    pub secret_call: f64,
    pub log_gb: f64,
    pub alarm_month: f64,
    pub kms_key_month: f64,
    pub kms_request: f64,
    /// Point-in-time recovery, per GB of the table whatever its class.
    pub pitr_gb_month: f64,
    /// An X-Ray trace recorded.
    pub xray_trace: f64,
}

impl Prices {
    /// The prices of a table class as the template names it (`TableClass`).
    pub fn dynamo(&self, class: &str) -> TableClassPrices {
        match class {
            "STANDARD" => self.dynamo_standard,
            "STANDARD_INFREQUENT_ACCESS" => self.dynamo_standard_ia,
            other => panic!("no prices for table class {other}"),
        }
    }
}

pub const LONDON: Prices = Prices {
    lambda_gb_s: 0.000_013_333_4,
    lambda_request: 0.20 / 1e6,
    http_api_request: 1.11 / 1e6,
    dynamo_standard: TableClassPrices {
        write_unit: 0.7425 / 1e6,
        read_unit: 0.1485 / 1e6,
        gb_month: 0.297,
    },
    dynamo_standard_ia: TableClassPrices {
        write_unit: 0.9281 / 1e6,
        read_unit: 0.1856 / 1e6,
        gb_month: 0.1188,
    },
    sqs_request: 0.40 / 1e6,
    secret_month: 0.40,
    secret_call: 0.05 / 1e4,
    log_gb: 0.5985,
    alarm_month: 0.10,
    kms_key_month: 1.0,
    kms_request: 0.03 / 1e4,
    pitr_gb_month: 0.2376,
    xray_trace: 5.0 / 1e6,
};

pub const DAYS_PER_MONTH: f64 = 30.4;
/// How often the schedule starts a reconciliation step (the template's default).
pub const STEPS_PER_DAY: f64 = 24.0 * 4.0;
/// Lambda's SQS event source keeps long-polling an idle queue: AWS documents five pollers to
/// start with, each a 20-second receive, so 15 receives a minute per queue.
pub const IDLE_RECEIVES_PER_QUEUE_MINUTE: f64 = 15.0;
/// What CloudWatch Logs counts for each log event beyond its message.
pub const LOG_EVENT_OVERHEAD_BYTES: u64 = 26;
/// Per-item storage overhead DynamoDB charges on top of the item's size.
pub const ITEM_OVERHEAD_BYTES: f64 = 100.0;
/// What a strongly consistent read unit reads.
pub const READ_UNIT_BYTES: f64 = 4096.0;
/// A reconciliation step's working time (the function's 900 s timeout less its margin).
pub const RECONCILE_STEP_S: f64 = 800.0;
