//! `cpindex`, the command line for people: mint local tokens, upload an LA's extract CSV and read
//! its acknowledgement line by line, look a child up, and work notifications, reconciliation and
//! dead letters. `main.rs` only parses arguments and calls [`run`]; everything else is here and
//! in small modules (CSV reading and rendering are pure and unit tested).

pub mod api;
pub use cpindex::csv_extract;
pub mod model;
pub mod render;
pub mod text;
pub mod upload;

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use cpindex::{NhsNumber, OrgCode, Role};
use serde_json::{json, Value};

use crate::api::{Api, ApiError};
use crate::model::{ChildView, Notification, NotificationPage};
use crate::upload::Mode;

/// The local stack, for tests that serve it in-process next to the CLI.
pub use local_token;

/// Exit code: done, everything loaded or answered.
pub const EXIT_OK: u8 = 0;
/// Exit code: the API answered, but not everything succeeded (records not loaded, a problem).
pub const EXIT_NOT_ALL: u8 = 1;
/// Exit code: nothing could be done: usage, an unreadable file, the API unreachable, the token
/// refused.
pub const EXIT_USAGE: u8 = 2;

const EXAMPLES: &str = "\
Examples (with `make dev` running):
  export CPINDEX_TOKEN=$(cpindex token --role local_authority --org E08000035)
  cpindex upload plans.csv --mode full
  export CPINDEX_TOKEN=$(cpindex token --role unscheduled_care --org RR801 --org-name 'Leeds General ED')
  cpindex lookup '943 476 5919'

Exit codes: 0 all done; 1 the API answered but not everything succeeded (e.g. records not
loaded); 2 usage, file, connection or token errors.
The CSV columns are described in docs/CLI.md and by `cpindex upload --help`.";

/// The child protection index from the command line.
#[derive(Debug, Parser)]
#[command(
    name = "cpindex",
    version,
    about = "The child protection index from the command line",
    long_about = "The child protection index from the command line: upload a local authority's \
                  extract, look a child up, work notifications. Talks to the local stack \
                  (`make dev`) unless --api-url names a deployed API.",
    after_help = EXAMPLES,
    propagate_version = true
)]
pub struct Cli {
    /// The API's address.
    #[arg(
        long,
        global = true,
        env = "CPINDEX_API_URL",
        default_value = api::DEFAULT_API_URL,
        value_name = "URL"
    )]
    pub api_url: String,

    /// Bearer token for the API (from your identity provider, or `cpindex token` for the local
    /// stack).
    #[arg(
        long,
        global = true,
        env = "CPINDEX_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub token: Option<String>,

    /// Print the API's answer (or the upload report) as JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print a bearer token the local stack accepts (signed with the secret in .local/).
    #[command(
        after_help = "Example:\n  export CPINDEX_TOKEN=$(cpindex token --role local_authority --org E08000035 --user sw-1)"
    )]
    Token(TokenArgs),
    /// Upload an LA extract (CSV) and print the acknowledgement, line by line.
    #[command(after_help = upload_help())]
    Upload(UploadArgs),
    /// Look a child up by NHS number: plans, who to call, recent visits.
    #[command(
        after_help = "Example:\n  cpindex lookup '943 476 5919'\n\nThe lookup is audited; an \
                            unscheduled-care lookup alerts the responsible LA."
    )]
    Lookup(LookupArgs),
    /// An LA's notifications that a child was seen.
    #[command(subcommand)]
    Notifications(NotificationsCommand),
    /// Run reconciliation now, step by step until the run is complete (operators).
    #[command(
        after_help = "Example:\n  cpindex reconcile\n\nEach step scans for at most \
                            about 20 s; the run resumes where the last step stopped."
    )]
    Reconcile(ReconcileArgs),
    /// Alerts that could not be delivered (operators).
    #[command(subcommand, name = "dead-letters")]
    DeadLetters(DeadLettersCommand),
    /// The LA's latest reconciliation report: its extract against the index, records the index
    /// does not hold, data quality.
    Report,
    /// Indicators per week beside the national median, small numbers suppressed (LAs: their
    /// own; operators: England, or one LA with --org).
    #[command(
        after_help = "Examples:\n  cpindex indicators\n  cpindex indicators --weeks 52 --csv > \
                            indicators.csv\n\nCounts from 1 to 4 read \"fewer than 5\"; a figure \
                            that would give one away reads \"not shown\"."
    )]
    Indicators {
        /// How many weeks, ending with this one (1 to 52).
        #[arg(long, default_value_t = cpindex::indicators::DEFAULT_WEEKS)]
        weeks: u32,
        /// Operators: the LA whose indicators (England when left out).
        #[arg(long)]
        org: Option<String>,
        /// Print the API's CSV (one row per indicator per week) instead of this week's figures.
        #[arg(long)]
        csv: bool,
    },
    /// Withdraw a plan recorded in error: gone from lookups at once, kept for audit.
    #[command(
        after_help = "Example:\n  cpindex withdraw CP-1001 --source-version 8\n\nA withdrawal is a \
                            change: its version must be higher than the one held."
    )]
    Withdraw {
        /// The LA's own reference of the plan.
        plan_ref: String,
        /// The LA system's version of this withdrawal (higher than the version held).
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..=cpindex::json_object::MAX_INTEGER))]
        source_version: u64,
    },
    /// Who looked up the child of one of the LA's plans, while the plan was held.
    Accesses {
        /// The LA's own reference of the plan.
        plan_ref: String,
    },
    /// LA profiles: contacts clinicians call and where alerts go.
    #[command(subcommand)]
    Profiles(ProfilesCommand),
    /// Every access to one NHS number, plan or no plan (operators). Your read is audited too.
    #[command(
        after_help = "Example:\n  cpindex audit '943 476 5919'\n\nFor a subject access request or \
                            an investigation; the read is recorded in the child's trail."
    )]
    Audit {
        /// The NHS number (spaces or dashes allowed).
        nhs_number: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ProfilesCommand {
    /// Every LA's profile (operators).
    List,
    /// One LA's profile (an LA reads its own).
    Show {
        /// The LA's organisation code.
        org: String,
    },
    /// Create or replace an LA's profile from a JSON file (operators).
    #[command(
        after_help = "The file: {\"name\": \"Leeds City Council\", \"team\": \"Children's Front Door\", \
                      \"officeHoursPhone\": \"0113 222 4403\", \"emergencyDutyPhone\": \"0113 535 0600\", \
                      \"webhook\": {\"url\": \"https://...\", \"secretRef\": \"cpindex/webhook/E08000035\"}}"
    )]
    Set {
        /// The LA's organisation code.
        org: String,
        /// The profile as JSON.
        #[arg(long)]
        file: PathBuf,
    },
}

fn upload_help() -> String {
    let mut s = String::from(
        "The file is a CSV with a header row naming the columns (any order; case, spaces and \
         hyphens do not matter). An empty cell is an absent field. Columns:\n",
    );
    for c in csv_extract::COLUMNS {
        s.push_str(&format!(
            "  {:<22}{} {}\n",
            c.name,
            if c.required {
                "(header required)"
            } else {
                "(optional)       "
            },
            c.meaning
        ));
    }
    s.push_str(
        "\nExample:\n  cpindex upload plans.csv --mode full --extract-id 2026-11-22\n\n\
         Rows that cannot be read (wrong number of cells, not UTF-8) are reported by line and \
         not sent; the others are. Exit code 0 when every row loaded, 1 when some did not, 2 for \
         usage, file, connection or token errors.",
    );
    s
}

#[derive(Debug, Args)]
pub struct TokenArgs {
    /// What the caller may do.
    #[arg(long, value_parser = ["local_authority", "unscheduled_care", "scheduled_care", "operator"])]
    pub role: String,
    /// Organisation code (ODS style: an LA like E08000035, a setting like RR801).
    #[arg(long)]
    pub org: String,
    /// User id.
    #[arg(long, default_value = "local-user")]
    pub user: String,
    /// Organisation display name (shown in alerts and visit lists); a readable local one by
    /// default.
    #[arg(long)]
    pub org_name: Option<String>,
    /// Hours the token stays valid.
    #[arg(long, default_value_t = 12, value_parser = clap::value_parser!(i64).range(1..=24 * 30))]
    pub hours: i64,
    /// Where the local signing secret lives (the local stack uses the same).
    #[arg(
        long,
        env = "CPINDEX_STATE_DIR",
        default_value = ".local",
        value_name = "DIR"
    )]
    pub state_dir: PathBuf,
}

/// `--mode`: the API's modes, by name.
fn mode_parser() -> impl clap::builder::TypedValueParser<Value = Mode> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(Mode::ALL.map(Mode::as_str))
        .map(|raw: String| Mode::parse(&raw).expect("only possible values reach here"))
}

#[derive(Debug, Args)]
pub struct UploadArgs {
    /// The extract: a CSV file with a header row.
    pub file: PathBuf,
    /// `delta` sends changes; `full` is the LA's complete set (recorded for reconciliation).
    #[arg(long, value_parser = mode_parser())]
    pub mode: Mode,
    /// The LA system's id for this extract (1-64 of A-Z a-z 0-9 . _ -); every batch of the file
    /// carries it. A full extract without one gets a generated id.
    #[arg(long, value_name = "ID")]
    pub extract_id: Option<String>,
    /// Records per batch (the API takes at most 1,000).
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub batch_size: u16,
    /// Read the file and report what would be sent, without sending anything.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct LookupArgs {
    /// 10 digits, or 3-3-4 with spaces (quote it).
    #[arg(value_name = "NHS_NUMBER")]
    pub nhs_number: String,
    /// Print the FHIR R4 view instead: the national CareTeam search's Bundle, as an ED system
    /// receives it (the same audited lookup).
    #[arg(long)]
    pub fhir: bool,
}

#[derive(Debug, Subcommand)]
pub enum NotificationsCommand {
    /// List notifications, newest first.
    List {
        /// Only those not yet acknowledged.
        #[arg(long)]
        unacknowledged: bool,
        /// Most notifications to show.
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=10_000))]
        limit: u32,
    },
    /// Acknowledge one notification (the LA has seen it).
    Ack {
        /// The notification's id (from `notifications list`).
        notification_id: String,
    },
}

#[derive(Debug, Args)]
pub struct ReconcileArgs {
    /// Most steps to run before stopping (1 runs one step); run again to continue.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub max_steps: u32,
}

#[derive(Debug, Subcommand)]
pub enum DeadLettersCommand {
    /// List alerts that could not be delivered.
    List,
    /// Send the dead-lettered alerts again.
    Redrive,
}

/// A command's failure: one line for the user and the exit code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliError {
    pub exit: u8,
    pub message: String,
}

impl CliError {
    pub fn usage(message: impl Into<String>) -> Self {
        Self {
            exit: EXIT_USAGE,
            message: message.into(),
        }
    }
}

impl From<ApiError> for CliError {
    fn from(e: ApiError) -> Self {
        Self {
            exit: e.exit_code(),
            message: e.to_string(),
        }
    }
}

/// Where a command writes. `progress` says whether a progress bar may be drawn on the real
/// stderr (only when it is a terminal).
pub struct Console<'a> {
    pub out: &'a mut dyn Write,
    pub err: &'a mut dyn Write,
    pub progress: bool,
}

impl Console<'_> {
    fn print(&mut self, text: &str) {
        // A closed pipe (`| head`) is not an error worth reporting.
        let _ = self.out.write_all(text.as_bytes());
        let _ = self.out.flush();
    }

    fn warn(&mut self, text: &str) {
        let _ = writeln!(self.err, "cpindex: {text}");
    }
}

/// Runs one command and returns the process exit code. Failures are printed to `console.err`
/// as one line, `cpindex: <what went wrong>`.
pub async fn run(cli: Cli, console: &mut Console<'_>) -> u8 {
    match execute(cli, console).await {
        Ok(code) => code,
        Err(e) => {
            console.warn(&render::clean(&e.message));
            e.exit
        }
    }
}

async fn execute(cli: Cli, console: &mut Console<'_>) -> Result<u8, CliError> {
    let json = cli.json;
    match &cli.command {
        Command::Token(args) => {
            let token = mint_token(args)?;
            console.print(&format!("{token}\n"));
            Ok(EXIT_OK)
        }
        Command::Upload(args) => upload_file(&cli, args, console).await,
        Command::Lookup(args) => {
            let nhs = NhsNumber::parse(args.nhs_number.trim())
                .map_err(|e| CliError::usage(format!("that is not a valid NHS number: {e}")))?;
            let api = connect(&cli, console)?;
            if args.fhir {
                let query = [(
                    cpindex::fhir::PATIENT_IDENTIFIER,
                    format!("{}|{}", cpindex::fhir::NHS_NUMBER_SYSTEM, nhs.digits()),
                )];
                let body = api.call_fhir(api::FHIR_CARE_TEAM, &query).await?;
                console.print(&pretty(&body));
                return Ok(EXIT_OK);
            }
            let body = api.call(api::CHILD, &[&nhs.digits()], &[], None).await?;
            if json {
                console.print(&pretty(&body));
            } else {
                let view: ChildView = api::decode(api::CHILD, &body)?;
                console.print(&render::child(&view));
            }
            Ok(EXIT_OK)
        }
        Command::Notifications(NotificationsCommand::List {
            unacknowledged,
            limit,
        }) => {
            let api = connect(&cli, console)?;
            let (items, next, report) =
                list_notifications(&api, *unacknowledged, *limit as usize).await?;
            if json {
                // The API's page whole: every field of every notification, the cursor, and
                // the latest reconciliation report's announcement.
                let page = NotificationPage {
                    items,
                    next_cursor: next,
                    latest_reconciliation_report: report,
                };
                console.print(&pretty_value(
                    &serde_json::to_value(&page).unwrap_or(Value::Null),
                ));
            } else {
                console.print(&render::notifications(
                    &items,
                    *unacknowledged,
                    next.is_some(),
                ));
            }
            Ok(EXIT_OK)
        }
        Command::Notifications(NotificationsCommand::Ack { notification_id }) => {
            let api = connect(&cli, console)?;
            let body = api
                .call(
                    api::NOTIFICATION_ACK,
                    &[notification_id],
                    &[],
                    Some(&json!({})),
                )
                .await?;
            if json {
                console.print(&pretty(&body));
            } else {
                let n: Notification = api::decode(api::NOTIFICATION_ACK, &body)?;
                console.print(&render::acknowledged(&n));
            }
            Ok(EXIT_OK)
        }
        Command::Reconcile(args) => {
            let api = connect(&cli, console)?;
            reconcile(&api, args.max_steps, json, console).await
        }
        Command::DeadLetters(DeadLettersCommand::List) => {
            let api = connect(&cli, console)?;
            let body = api.call(api::DEAD_LETTERS, &[], &[], None).await?;
            print_generic(console, json, api::DEAD_LETTERS, &body)?;
            Ok(EXIT_OK)
        }
        Command::Report => {
            let api = connect(&cli, console)?;
            let body = api.call(api::RECONCILIATION_REPORT, &[], &[], None).await?;
            print_generic(console, json, api::RECONCILIATION_REPORT, &body)?;
            Ok(EXIT_OK)
        }
        Command::Indicators { weeks, org, csv } => {
            let api = connect(&cli, console)?;
            let mut query = vec![("weeks", weeks.to_string())];
            if let Some(org) = org {
                query.push(("org", org.clone()));
            }
            if *csv {
                let body = api
                    .call_accepting(api::INDICATORS, &[], &query, None, "text/csv")
                    .await?;
                console.print(&String::from_utf8_lossy(&body));
            } else if json {
                let body = api.call(api::INDICATORS, &[], &query, None).await?;
                console.print(&pretty(&body));
            } else {
                let body = api.call(api::INDICATORS, &[], &query, None).await?;
                let report: model::Indicators = api::decode(api::INDICATORS, &body)?;
                console.print(&render::indicators(&report));
            }
            Ok(EXIT_OK)
        }
        Command::Withdraw {
            plan_ref,
            source_version,
        } => {
            let api = connect(&cli, console)?;
            let query = [("sourceVersion", source_version.to_string())];
            let body = api
                .call(api::WITHDRAW_PLAN, &[plan_ref], &query, None)
                .await?;
            if json {
                console.print(&pretty(&body));
            } else {
                console.print(&format!(
                    "Plan {} withdrawn at version {source_version}: a lookup no longer shows it; \
                     the record is kept for audit.\n",
                    render::clean(plan_ref)
                ));
            }
            Ok(EXIT_OK)
        }
        Command::Accesses { plan_ref } => {
            let api = connect(&cli, console)?;
            let body = api.call(api::PLAN_ACCESSES, &[plan_ref], &[], None).await?;
            print_generic(console, json, api::PLAN_ACCESSES, &body)?;
            Ok(EXIT_OK)
        }
        Command::Audit { nhs_number } => {
            let nhs = NhsNumber::parse(nhs_number.trim())
                .map_err(|e| CliError::usage(format!("that is not a valid NHS number: {e}")))?;
            let api = connect(&cli, console)?;
            let body = api
                .call(api::CHILD_ACCESSES, &[&nhs.digits()], &[], None)
                .await?;
            print_generic(console, json, api::CHILD_ACCESSES, &body)?;
            Ok(EXIT_OK)
        }
        Command::Profiles(ProfilesCommand::List) => {
            let api = connect(&cli, console)?;
            let body = api.call(api::PROFILES, &[], &[], None).await?;
            print_generic(console, json, api::PROFILES, &body)?;
            Ok(EXIT_OK)
        }
        Command::Profiles(ProfilesCommand::Show { org }) => {
            let api = connect(&cli, console)?;
            let body = api.call(api::PROFILE, &[org], &[], None).await?;
            print_generic(console, json, api::PROFILE, &body)?;
            Ok(EXIT_OK)
        }
        Command::Profiles(ProfilesCommand::Set { org, file }) => {
            let text = std::fs::read(file)
                .map_err(|e| CliError::usage(format!("cannot read {}: {e}", file.display())))?;
            let profile: Value = serde_json::from_slice(&text).map_err(|e| {
                CliError::usage(format!(
                    "{} is not JSON (line {}, column {})",
                    file.display(),
                    e.line(),
                    e.column()
                ))
            })?;
            let api = connect(&cli, console)?;
            let body = api
                .call(api::PUT_PROFILE, &[org], &[], Some(&profile))
                .await?;
            print_generic(console, json, api::PUT_PROFILE, &body)?;
            Ok(EXIT_OK)
        }
        Command::DeadLetters(DeadLettersCommand::Redrive) => {
            let api = connect(&cli, console)?;
            let body = api
                .call(api::DEAD_LETTERS_REDRIVE, &[], &[], Some(&json!({})))
                .await?;
            print_generic(console, json, api::DEAD_LETTERS_REDRIVE, &body)?;
            Ok(EXIT_OK)
        }
    }
}

/// The client for `--api-url` and `--token`; warns when the token would travel in clear.
pub fn connect(cli: &Cli, console: &mut Console<'_>) -> Result<Api, CliError> {
    let api = Api::new(&cli.api_url, cli.token.as_deref())?;
    if api.sends_token_in_clear() {
        console.warn(&format!(
            "warning: {} is plain http on another machine; the token travels unencrypted",
            api.base()
        ));
    }
    Ok(api)
}

/// `cpindex token`: a token signed with the local stack's secret.
pub fn mint_token(args: &TokenArgs) -> Result<String, CliError> {
    let role = Role::parse(&args.role).ok_or_else(|| {
        CliError::usage(format!(
            "unknown role `{}`; one of local_authority, unscheduled_care, scheduled_care, operator",
            render::clean(&args.role)
        ))
    })?;
    let org = OrgCode::parse(&args.org).map_err(|e| {
        CliError::usage(format!(
            "organisation `{}`: {}",
            render::clean(&args.org),
            e.detail
        ))
    })?;
    if cpindex::claims::UserId::parse(&args.user).is_none() {
        return Err(CliError::usage(
            "--user must be 1 to 128 printable characters",
        ));
    }
    // Never creates a secret: one made here, outside the clone's .local, would sign tokens no
    // local stack accepts.
    let auth = local_token::LocalAuth::load(&args.state_dir)
        .map_err(|e| CliError::usage(e.to_string()))?;
    let name = args
        .org_name
        .clone()
        .unwrap_or_else(|| local_token::default_org_name(role, &org));
    Ok(auth.mint(role, &org, &args.user, Some(&name), args.hours))
}

async fn upload_file(
    cli: &Cli,
    args: &UploadArgs,
    console: &mut Console<'_>,
) -> Result<u8, CliError> {
    if let Some(id) = &args.extract_id {
        upload::check_extract_id(id).map_err(CliError::usage)?;
    }
    // Check the address and token before reading a large file.
    let api = if args.dry_run {
        None
    } else {
        let api = connect(cli, console)?;
        if cli.token.as_deref().is_none_or(|t| t.trim().is_empty()) {
            return Err(ApiError::NoToken {
                role: api::role_for(api::PLAN_BATCHES),
            }
            .into());
        }
        Some(api)
    };
    let name = args.file.display().to_string();
    let bytes = std::fs::read(&args.file)
        .map_err(|e| CliError::usage(format!("cannot read {name}: {e}")))?;
    let extract =
        csv_extract::parse(&bytes).map_err(|e| CliError::usage(format!("{name}: {e}")))?;
    let extract_id = match args.mode {
        Mode::Full => Some(
            args.extract_id
                .clone()
                .unwrap_or_else(upload::new_extract_id),
        ),
        Mode::Delta => args.extract_id.clone(),
    };
    let mut report = upload::start_report(&name, args.mode, extract_id, &extract);
    let Some(api) = api else {
        upload::check_locally(&mut report, &extract.rows, chrono::Utc::now().date_naive());
        let batches = csv_extract::batches(
            &extract.rows,
            usize::from(args.batch_size),
            csv_extract::MAX_BATCH_BYTES,
        );
        if cli.json {
            console.print(&pretty_value(&json!({
                "report": report,
                "records": extract.rows.len(),
                "batches": batches.len(),
            })));
        } else {
            let rejected = report
                .not_loaded
                .iter()
                .filter(|n| n.outcome == "rejected")
                .count();
            console.print(&format!(
                "Dry run: {} would be sent in {}, and {} of them the API would reject (checked \
                 here by the API's own rules); nothing was sent.\n",
                plural(extract.rows.len(), "record", "records"),
                plural(batches.len(), "batch", "batches"),
                rejected,
            ));
            if !report.not_loaded.is_empty() {
                console.print(&render::upload(&report));
            }
        }
        return Ok(if report.not_loaded.is_empty() {
            EXIT_OK
        } else {
            EXIT_NOT_ALL
        });
    };
    let report = if extract.rows.is_empty() {
        // Nothing readable: nothing is sent (an empty full extract would tell reconciliation
        // the LA holds no plans at all).
        report
    } else {
        let mut bar = upload::Bar::new();
        let mut none = upload::NoProgress;
        let progress: &mut dyn upload::Progress = if console.progress && !cli.json {
            &mut bar
        } else {
            &mut none
        };
        upload::send(
            &api,
            report,
            &extract,
            usize::from(args.batch_size),
            progress,
        )
        .await?
    };
    if cli.json {
        console.print(&pretty_value(
            &serde_json::to_value(&report).unwrap_or(Value::Null),
        ));
    } else {
        if extract.rows.is_empty() {
            console.print("The file holds no records to send; nothing was sent.\n");
        }
        console.print(&render::upload(&report));
    }
    if let Some(why) = &report.stopped {
        console.warn(why);
    }
    Ok(report.exit_code())
}

/// `cpindex reconcile`: one `POST /v1/reconciliation-runs` per step until the answer says the
/// run is `complete` (an answer without `complete` is printed as it is).
async fn reconcile(
    api: &Api,
    max_steps: u32,
    json: bool,
    console: &mut Console<'_>,
) -> Result<u8, CliError> {
    let route = api::RECONCILIATION_RUNS;
    let mut steps = Vec::new();
    for step in 1..=max_steps {
        let body = api.call(route, &[], &[], Some(&json!({}))).await?;
        let answer: Value = api::decode(route, &body)?;
        if answer.get("busy").and_then(Value::as_bool) == Some(true) {
            console.print(
                "Another reconciliation step is running (the schedule's, or another operator's): \
                 nothing was done; try again in a few minutes.\n",
            );
            return Ok(EXIT_NOT_ALL);
        }
        let complete = answer.get("complete").and_then(Value::as_bool);
        if !json {
            console.print(&render::reconcile_step(step, &answer));
        }
        steps.push(answer);
        match complete {
            Some(false) => continue,
            _ => break,
        }
    }
    let done = steps
        .last()
        .and_then(|a| a.get("complete"))
        .and_then(Value::as_bool)
        != Some(false);
    if json {
        console.print(&pretty_value(&Value::Array(steps)));
    } else if !done {
        console.print(&format!(
            "Not complete after {}; run `cpindex reconcile` again to continue.\n",
            plural(max_steps as usize, "step", "steps")
        ));
    }
    Ok(if done { EXIT_OK } else { EXIT_NOT_ALL })
}

/// Pages through `GET /v1/notifications` until `limit` items; returns them and the cursor of
/// what remains.
async fn list_notifications(
    api: &Api,
    unacknowledged: bool,
    limit: usize,
) -> Result<
    (
        Vec<Notification>,
        Option<String>,
        Option<cpindex::answers::ReportAnnouncement>,
    ),
    ApiError,
> {
    /// Page size asked for (the API may answer fewer).
    const PAGE: usize = 200;
    /// Guards against an API that keeps answering empty pages with a cursor.
    const MAX_PAGES: usize = 1000;
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    let mut report = None;
    for _ in 0..MAX_PAGES {
        let mut query = Vec::new();
        if unacknowledged {
            query.push(("status", "unacknowledged".to_owned()));
        }
        query.push(("limit", (limit - items.len()).min(PAGE).to_string()));
        if let Some(c) = &cursor {
            query.push(("cursor", c.clone()));
        }
        let page: NotificationPage = api.call_json(api::NOTIFICATIONS, &[], &query, None).await?;
        items.extend(page.items);
        cursor = page.next_cursor;
        report = report.or(page.latest_reconciliation_report);
        if cursor.is_none() || items.len() >= limit {
            break;
        }
    }
    items.truncate(limit);
    Ok((items, cursor, report))
}

fn print_generic(
    console: &mut Console<'_>,
    json: bool,
    route: api::Route,
    body: &[u8],
) -> Result<(), CliError> {
    if json {
        console.print(&pretty(body));
    } else {
        let value: Value = api::decode(route, body)?;
        console.print(&render::generic(&value));
    }
    Ok(())
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn pretty_value(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}

/// A JSON body pretty-printed (or as text when it is not JSON).
fn pretty(body: &[u8]) -> String {
    match serde_json::from_slice::<Value>(body) {
        Ok(v) => pretty_value(&v),
        Err(_) => format!("{}\n", String::from_utf8_lossy(body)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("cpindex").chain(args.iter().copied()))
    }

    #[test]
    fn global_options_go_anywhere_and_have_defaults() {
        let cli = parse(&["lookup", "9434765919", "--json", "--api-url", "http://x:1"]).unwrap();
        assert!(cli.json);
        assert_eq!(cli.api_url, "http://x:1");
        let cli = parse(&["upload", "f.csv", "--mode", "full"]).unwrap();
        let Command::Upload(args) = cli.command else {
            panic!("upload")
        };
        assert_eq!(args.mode, Mode::Full);
        assert_eq!(args.batch_size, 1000);
    }

    #[test]
    fn usage_errors_are_refused_by_the_parser() {
        assert!(parse(&["upload", "f.csv"]).is_err(), "mode is required");
        assert!(parse(&["upload", "f.csv", "--mode", "partial"]).is_err());
        assert!(parse(&["upload", "f.csv", "--mode", "delta", "--batch-size", "1001"]).is_err());
        assert!(parse(&["token", "--role", "admin", "--org", "X26"]).is_err());
        assert!(parse(&["notifications", "list", "--limit", "0"]).is_err());
    }

    #[test]
    fn help_mentions_the_csv_columns_and_exit_codes() {
        let help = Cli::command()
            .find_subcommand_mut("upload")
            .unwrap()
            .render_long_help()
            .to_string();
        for c in csv_extract::COLUMNS {
            assert!(help.contains(c.name), "{} missing from help", c.name);
        }
        assert!(help.contains("Exit code 0"));
    }

    #[test]
    fn the_token_is_never_shown_in_help() {
        let help = Cli::command().render_long_help().to_string();
        assert!(help.contains("[env: CPINDEX_TOKEN]"), "{help}");
        assert!(!help.contains("[env: CPINDEX_TOKEN="));
    }

    #[tokio::test]
    async fn an_invalid_nhs_number_is_refused_before_any_request_without_echoing_it() {
        let cli = parse(&["lookup", "9876544321", "--api-url", "http://127.0.0.1:9"]).unwrap();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = run(
            cli,
            &mut Console {
                out: &mut out,
                err: &mut err,
                progress: false,
            },
        )
        .await;
        let err = String::from_utf8(err).unwrap();
        assert_eq!(code, EXIT_USAGE);
        assert_eq!(
            err,
            "cpindex: that is not a valid NHS number: the check digit does not match\n"
        );
        assert!(!err.contains("9876544321"));
    }

    #[tokio::test]
    async fn a_missing_token_says_how_to_get_one() {
        let cli = parse(&["lookup", "9434765919", "--api-url", "http://127.0.0.1:9"]).unwrap();
        let cli = Cli { token: None, ..cli };
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = run(
            cli,
            &mut Console {
                out: &mut out,
                err: &mut err,
                progress: false,
            },
        )
        .await;
        assert_eq!(code, EXIT_USAGE);
        let err = String::from_utf8(err).unwrap();
        assert!(
            err.starts_with("cpindex: no token: pass --token or set CPINDEX_TOKEN"),
            "{err}"
        );
        assert!(err.contains("--role unscheduled_care"));
    }

    #[test]
    fn tokens_are_minted_with_the_local_secret() {
        let dir = std::env::temp_dir().join(format!("cpindex-cli-{}", uuid::Uuid::new_v4()));
        let args = TokenArgs {
            role: "local_authority".into(),
            org: "E08000035".into(),
            user: "sw-1".into(),
            org_name: None,
            hours: 1,
            state_dir: dir.clone(),
        };
        // Outside a clone (no secret yet) it says where it looked, and creates nothing.
        let none = mint_token(&args).unwrap_err();
        assert!(none.message.contains("jwt-secret"), "{}", none.message);
        assert!(!dir.exists());
        let auth = local_token::LocalAuth::load_or_create(&dir).unwrap();
        let token = mint_token(&args).unwrap();
        let claims = auth.verify(&token).unwrap();
        assert_eq!(claims["org"], "E08000035");
        assert_eq!(claims["role"], "local_authority");
        assert_eq!(
            claims["org_name"], "Local authority E08000035",
            "a readable default"
        );
        let bad = mint_token(&TokenArgs {
            org: "leeds".into(),
            ..args
        })
        .unwrap_err();
        assert_eq!(bad.exit, EXIT_USAGE);
        assert!(bad.message.starts_with("organisation `leeds`"));
        let _ = std::fs::remove_dir_all(dir);
    }
}
