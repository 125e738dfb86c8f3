//! The deployable artefacts, run as Lambda runs them: every `bootstrap` that `sam build` made is
//! started as a fresh process under [`crate::runtime_api`], with what Lambda would give its
//! function (a [`Launch`]: name, ARN, timeout, memory, environment), pointed at the emulator,
//! handed its own sample event from `events/`, and its answer checked. Each start is measured:
//! init (process start to its first request for an event), first invoke (that request to its
//! answer) and peak resident memory.
//!
//! `make deploy-rehearsal` takes each [`Launch`] from a stack the emulator's CloudFormation
//! created from the template (`runtime-check --stack`); [`Resources`] makes one up instead, for
//! the cold-start benchmark and the arm64 check, which measure starts rather than wiring.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use cpindex::config::env;
use cpindex::keys::{ALERT_DELIVERY_QUEUE, ALERT_FANOUT_QUEUE, TABLE};
use cpindex::routes::{self, FunctionDef, Trigger, FUNCTIONS};
use serde_json::Value;

use crate::runtime_api::{Outcome, RuntimeApi};

/// The issuers and audience of the claims in `events/` (the functions refuse any other): LA
/// and service staff's, and NHS staff's (a broker issuing `role`/`org` claims; the CIS2 shape
/// is the local stack's and tests/tests/cis2_tokens.rs').
pub const SAMPLE_ISSUER: &str = "https://idp.example.org/";
pub const SAMPLE_NHS_ISSUER: &str = "https://nhs-idp.example.org/";
pub const SAMPLE_AUDIENCE: &str = "cpindex-api";

/// The issuer `role`'s sample claims carry.
pub fn sample_issuer(role: cpindex::Role) -> &'static str {
    match role.provider() {
        cpindex::claims::Provider::Nhs => SAMPLE_NHS_ISSUER,
        cpindex::claims::Provider::Staff => SAMPLE_ISSUER,
    }
}

/// What the functions trust when run over the samples (as the template configures them).
pub fn sample_issuers() -> adapters::edge::TrustedIssuers {
    use adapters::edge::{TokenClaims, TrustedIssuer, TrustedIssuers};
    use cpindex::claims::Provider;
    TrustedIssuers(
        Provider::ALL
            .into_iter()
            .map(|provider| TrustedIssuer {
                provider,
                issuer: match provider {
                    Provider::Nhs => SAMPLE_NHS_ISSUER,
                    Provider::Staff => SAMPLE_ISSUER,
                }
                .into(),
                audience: SAMPLE_AUDIENCE.into(),
                claims: TokenClaims::Roles,
            })
            .collect(),
    )
}

/// The sample each function is started with, and what its answer must be.
pub struct Case {
    pub function: FunctionDef,
    pub sample: &'static str,
    /// For an HTTP function, the status its answer must carry.
    pub status: Option<u16>,
}

/// One sample per function: answers that need no seeded data.
pub fn cases() -> Vec<Case> {
    let http = |function, sample, status| Case {
        function,
        sample,
        status: Some(status),
    };
    let other = |function, sample| Case {
        function,
        sample,
        status: None,
    };
    vec![
        http(routes::PLAN_UPSERT, "plan-upsert/put-plan.json", 201),
        http(routes::LOOKUP, "lookup/get-child.json", 200),
        http(routes::INBOX, "inbox/list-notifications.json", 200),
        http(routes::REPORTS, "reports/get-usage.json", 200),
        http(routes::OPS, "ops/get-dead-letters.json", 200),
        http(routes::WEB, "web/get-app.json", 200),
        other(
            routes::ALERT_FANOUT,
            "alert-fanout/accesses-with-poison.json",
        ),
        other(
            routes::ALERT_DELIVERY,
            "alert-delivery/deliveries-with-poison.json",
        ),
        other(routes::RECONCILE, "reconcile/scheduled-run.json"),
    ]
}

/// What one fresh start measured.
#[derive(Debug, Clone, Copy)]
pub struct Start {
    pub init: Duration,
    /// Of `init`, the time spent waiting on AWS requests (the reads a function makes at start,
    /// through [`crate::endpoint_timer::EndpointTimer`]).
    pub init_waiting: Duration,
    pub first_invoke: Duration,
    pub peak_rss_mb: f64,
}

/// What Lambda gives one function's process: the function's name and ARN, its timeout (the
/// invocation's deadline) and memory, and its own environment variables (the harness adds
/// Lambda's reserved ones and the emulator's endpoint).
#[derive(Debug, Clone)]
pub struct Launch {
    pub name: String,
    pub arn: String,
    pub timeout: Duration,
    pub memory_mb: u32,
    pub env: BTreeMap<String, String>,
}

/// The profile of the LA the samples act as, as an operator sets one up before the LA records
/// plans (without it, plan writes answer `la_profile_missing`).
pub async fn seed_la_profile(emulator: &str, table: &str) -> Result<(), String> {
    let sdk = adapters::aws::for_emulator(emulator, cpindex::config::CallTimeouts::default());
    let table = adapters::store::Table::new(aws_sdk_dynamodb::Client::new(&sdk), table);
    adapters::store::notifications::NotificationStore::new(table)
        .put_profile(&crate::fixtures::profile(crate::fixtures::LEEDS))
        .await
        .map_err(|e| format!("profile: {}", cpindex::log::chain(&e)))
}

/// Emulator resources made up by the harness (not by a deploy): the environment of the
/// cold-start benchmark and the arm64 check.
pub struct Resources {
    pub table: String,
    pub fanout_queue: String,
    pub delivery_queue: String,
    pub delivery_dlq: String,
    pub child_key_secret_arn: String,
}

impl Resources {
    /// A table, the queues and the child key secret, freshly made in the emulator.
    pub async fn create(emulator: &str) -> Result<Self, String> {
        let sdk = adapters::aws::for_emulator(emulator, cpindex::config::CallTimeouts::default());
        let dynamo = aws_sdk_dynamodb::Client::new(&sdk);
        let sqs = aws_sdk_sqs::Client::new(&sdk);
        let secrets = aws_sdk_secretsmanager::Client::new(&sdk);
        let id = uuid::Uuid::new_v4().simple().to_string();
        let table = format!("artefacts-{id}");
        adapters::bootstrap::create_table(&dynamo, &table, &TABLE)
            .await
            .map_err(|e| format!("table: {e}"))?;
        let stack = format!("artefacts-{id}");
        let fanout = adapters::bootstrap::create_queue(&sqs, &stack, &ALERT_FANOUT_QUEUE)
            .await
            .map_err(|e| format!("queue: {e}"))?;
        let delivery = adapters::bootstrap::create_queue(&sqs, &stack, &ALERT_DELIVERY_QUEUE)
            .await
            .map_err(|e| format!("queue: {e}"))?;
        let secret = secrets
            .create_secret()
            .name(format!("artefacts/{id}/child-key"))
            .secret_string(crate::TEST_CHILD_KEY_SECRET)
            .send()
            .await
            .map_err(|e| format!("secret: {}", cpindex::log::chain(&e)))?;
        seed_la_profile(emulator, &table).await?;
        Ok(Self {
            table,
            fanout_queue: fanout.queue,
            delivery_queue: delivery.queue,
            delivery_dlq: delivery.dlq,
            child_key_secret_arn: secret.arn.unwrap_or_default(),
        })
    }

    /// What Lambda would give `f` here: the longest timeout the template gives a function
    /// (reconcile's 15 minutes), and a value for each variable the function reads.
    pub fn launch(&self, f: FunctionDef) -> Result<Launch, String> {
        let env = f
            .env
            .iter()
            .map(|name| Ok(((*name).to_owned(), self.value_of(name)?)))
            .collect::<Result<_, String>>()?;
        Ok(Launch {
            name: f.binary.to_owned(),
            arn: format!(
                "arn:aws:lambda:eu-west-2:123456789012:function:{}",
                f.binary
            ),
            timeout: Duration::from_secs(900),
            memory_mb: 128,
            env,
        })
    }

    /// A value for variable `name`, here.
    fn value_of(&self, name: &str) -> Result<String, String> {
        Ok(match name {
            n if n == env::TABLE_NAME => self.table.clone(),
            n if n == env::ALERT_FANOUT_QUEUE_URL => self.fanout_queue.clone(),
            n if n == env::ALERT_DELIVERY_QUEUE_URL => self.delivery_queue.clone(),
            n if n == env::ALERT_DELIVERY_DLQ_URL => self.delivery_dlq.clone(),
            n if n == env::RETENTION_MONTHS => "12".into(),
            n if n == env::CHILD_KEY_SECRET_ARN => self.child_key_secret_arn.clone(),
            n if n == env::TRANSFER_WINDOW_DAYS => "30".into(),
            n if n == env::ALERT_ACK_HOURS => "4".into(),
            n if n == env::LOOKUP_CAP_PER_HOUR => cpindex::usage::DEFAULT_CAP_PER_HOUR.to_string(),
            n if n == env::WEBHOOK_SECRET_PREFIX => "cpindex/webhook/".into(),
            // The issuer and audience the sample events' claims carry.
            n if n == env::JWT_ISSUER => SAMPLE_ISSUER.into(),
            n if n == env::JWT_AUDIENCE => SAMPLE_AUDIENCE.into(),
            n if n == env::NHS_JWT_ISSUER => SAMPLE_NHS_ISSUER.into(),
            n if n == env::NHS_JWT_AUDIENCE => SAMPLE_AUDIENCE.into(),
            n if n == env::NHS_TOKEN_CLAIMS => "roles".into(),
            n if n == env::OIDC_ISSUER => SAMPLE_ISSUER.into(),
            n if n == env::OIDC_CLIENT_ID => "cpindex-web".into(),
            n if n == env::OIDC_AUTHORIZE_URL => "https://idp.example.org/authorize".into(),
            n if n == env::OIDC_TOKEN_URL => "https://idp.example.org/token".into(),
            n if n == env::NHS_OIDC_ISSUER => SAMPLE_NHS_ISSUER.into(),
            n if n == env::NHS_OIDC_CLIENT_ID => "cpindex-web-nhs".into(),
            n if n == env::NHS_OIDC_AUTHORIZE_URL => "https://nhs-idp.example.org/authorize".into(),
            n if n == env::NHS_OIDC_TOKEN_URL => "https://nhs-idp.example.org/token".into(),
            other => return Err(format!("no value for env var {other}: say what it names")),
        })
    }
}

fn repo(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(relative)
}

/// The built bootstrap of `f` under `build_dir` (`.aws-sam/build/<LogicalId>/bootstrap`).
pub fn bootstrap_of(build_dir: &Path, f: FunctionDef) -> PathBuf {
    build_dir.join(f.logical_id).join("bootstrap")
}

/// Resident memory high-water mark of a running process, in MB.
fn peak_rss_mb(pid: u32) -> Option<f64> {
    crate::proc_status_mb(pid, "VmHWM")
}

/// Checks an answer against the case: the status of an HTTP answer, the poison message reported
/// (and only it) for a queue consumer, a complete run for the schedule.
fn check(case: &Case, event: &Value, answer: &[u8]) -> Result<(), String> {
    let v: Value = serde_json::from_slice(answer).map_err(|_| {
        format!(
            "the answer is not JSON: {}",
            String::from_utf8_lossy(answer)
        )
    })?;
    match case.function.trigger {
        Trigger::Http => {
            let want = case.status.unwrap_or(200);
            if v["statusCode"].as_u64() != Some(u64::from(want)) {
                return Err(format!("answered {}, expected {want}", v["statusCode"]));
            }
        }
        Trigger::Queue { .. } => {
            let poison: Vec<&str> = event["Records"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|r| {
                    r["body"]
                        .as_str()
                        .is_none_or(|b| serde_json::from_str::<Value>(b).is_err())
                })
                .filter_map(|r| r["messageId"].as_str())
                .collect();
            let failed: Vec<&str> = v["batchItemFailures"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|f| f["itemIdentifier"].as_str())
                .collect();
            if poison.is_empty() || !poison.iter().all(|p| failed.contains(p)) {
                return Err(format!("poison {poison:?} not all reported: {v}"));
            }
        }
        Trigger::Schedule => {
            if v["complete"] != Value::Bool(true) {
                // A step stops starting pages a margin before its deadline: a timeout no longer
                // than that margin never starts one.
                let why = if v["pages"] == 0 {
                    " (it started no page: does its timeout leave time after its margin?)"
                } else {
                    ""
                };
                return Err(format!("the run is not complete{why}: {v}"));
            }
        }
    }
    Ok(())
}

/// Where a function's binary is: `sam build`'s layout, or cargo's release directory.
#[derive(Debug, Clone)]
pub enum Layout {
    /// `<dir>/<LogicalId>/bootstrap`.
    Sam(PathBuf),
    /// `<dir>/<binary>`.
    Cargo(PathBuf),
}

impl Layout {
    pub fn binary(&self, f: FunctionDef) -> PathBuf {
        match self {
            Layout::Sam(dir) => bootstrap_of(dir, f),
            Layout::Cargo(dir) => dir.join(f.binary),
        }
    }
}

/// Starts `case`'s bootstrap once, as a fresh process launched as `launch` says with the SDK
/// pointed at `emulator`, and checks and measures its answer.
pub async fn start_once(
    case: &Case,
    layout: &Layout,
    launch: &Launch,
    emulator: &str,
) -> Result<Start, String> {
    let event_text = std::fs::read_to_string(repo(&format!("events/{}", case.sample)))
        .map_err(|e| format!("{}: {e}", case.sample))?;
    let event: Value = serde_json::from_str(&event_text).map_err(|e| e.to_string())?;
    let bin = layout.binary(case.function);
    let (start, answer) = run_binary(&bin, launch, event_text.into_bytes(), emulator).await?;
    check(case, &event, &answer)?;
    Ok(start)
}

/// The empty baseline function started once with `{}`: it must answer with it.
pub async fn start_baseline(bin: &Path, emulator: &str) -> Result<Start, String> {
    let launch = Launch {
        name: "empty".into(),
        arn: "arn:aws:lambda:eu-west-2:123456789012:function:empty".into(),
        timeout: Duration::from_secs(3),
        memory_mb: 128,
        env: BTreeMap::new(),
    };
    let (start, answer) = run_binary(bin, &launch, b"{}".to_vec(), emulator).await?;
    if answer != b"{}" {
        return Err(format!(
            "the empty function answered {}",
            String::from_utf8_lossy(&answer)
        ));
    }
    Ok(start)
}

/// The trust store as `provided.al2023` lays it out: one bundle, in a directory that holds
/// only the bundle. Debian's `/etc/ssl/certs` also holds ~290 hashed single-certificate
/// files, which the TLS stack reads one by one at start (about two thirds of our init time
/// on this machine, none of it on Lambda).
fn lambda_like_certificates() -> Vec<(&'static str, std::ffi::OsString)> {
    static DIR: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    const BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";
    let dir = DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("cpindex-certs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).ok()?;
        let link = dir.join("ca-bundle.crt");
        if !link.exists() {
            std::os::unix::fs::symlink(BUNDLE, &link).ok()?;
        }
        Some(dir)
    });
    match dir {
        Some(dir) if Path::new(BUNDLE).exists() => vec![
            ("SSL_CERT_FILE", BUNDLE.into()),
            ("SSL_CERT_DIR", dir.clone().into_os_string()),
        ],
        _ => Vec::new(),
    }
}

/// Starts `bin` as a fresh process under a Runtime API that hands it `event`; returns what
/// the start measured and the answer it posted.
async fn run_binary(
    bin: &Path,
    launch: &Launch,
    event: Vec<u8>,
    emulator: &str,
) -> Result<(Start, Vec<u8>), String> {
    let api = RuntimeApi::start(&launch.arn, launch.timeout, event)
        .await
        .map_err(|e| e.to_string())?;
    let timer = crate::endpoint_timer::EndpointTimer::start(emulator)
        .await
        .map_err(|e| e.to_string())?;
    let build_dir = bin.parent().unwrap_or(Path::new("."));
    let mut cmd = tokio::process::Command::new(bin);
    cmd.env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", api.addr.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", &launch.name)
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env(
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
            launch.memory_mb.to_string(),
        )
        .env("AWS_LAMBDA_LOG_FORMAT", "JSON")
        .env("AWS_LAMBDA_LOG_LEVEL", "WARN")
        .env("AWS_REGION", "eu-west-2")
        .env("AWS_DEFAULT_REGION", "eu-west-2")
        .env("AWS_ACCESS_KEY_ID", "local")
        .env("AWS_SECRET_ACCESS_KEY", "local")
        .env("AWS_ENDPOINT_URL", &timer.url)
        .env("_HANDLER", "bootstrap")
        .env("LAMBDA_TASK_ROOT", build_dir)
        .envs(lambda_like_certificates())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .envs(&launch.env)
        .kill_on_drop(true);
    let spawned = Instant::now();
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
    let pid = child.id().unwrap_or(0);
    let (first_next, outcome) = api.wait(Duration::from_secs(60)).await;
    let peak = peak_rss_mb(pid).unwrap_or(0.0);
    let _ = child.kill().await;
    let stderr = match child.stderr.take() {
        Some(mut e) => {
            use tokio::io::AsyncReadExt;
            let mut s = String::new();
            let _ = tokio::time::timeout(Duration::from_secs(2), e.read_to_string(&mut s)).await;
            s
        }
        None => String::new(),
    };
    let Some(first_next) = first_next else {
        return Err(format!("never asked for an event: {}", stderr.trim()));
    };
    let Some((answered, outcome)) = outcome else {
        return Err("asked for an event but never answered within 60 s".into());
    };
    let answer = match outcome {
        Outcome::Response(body) => body,
        Outcome::InvocationError(body) | Outcome::InitError(body) => {
            return Err(format!(
                "reported an error: {}",
                String::from_utf8_lossy(&body)
            ))
        }
    };
    Ok((
        Start {
            init: first_next.duration_since(spawned),
            init_waiting: timer.waited_before(first_next),
            first_invoke: answered.duration_since(first_next),
            peak_rss_mb: peak,
        },
        answer,
    ))
}

/// Every function has a case (a function added without one fails the check).
pub fn missing_cases() -> Vec<&'static str> {
    let cases = cases();
    FUNCTIONS
        .iter()
        .filter(|f| !cases.iter().any(|c| c.function == **f))
        .map(|f| f.binary)
        .collect()
}
