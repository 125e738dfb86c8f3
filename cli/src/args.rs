//! The command line's grammar: every command, its arguments and its help text (clap).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::upload::Mode;
use crate::{api, csv_extract};

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
    /// Record that a child (or a pregnant woman, by the unborn child's NHS number) missed an
    /// appointment (scheduled care): each LA with an active plan is told.
    #[command(
        name = "missed-appointment",
        after_help = "Example:\n  cpindex missed-appointment '943 476 5919' --setting health_visiting \\\n    --service 'Health visiting, Leeds North' --date 2026-12-01 --family-not-reached\n\n\
                      The answer is the same for every child: it does not say whether the child \
                      is on the index."
    )]
    MissedAppointment(MissedAppointmentArgs),
    /// A child whose NHS number is not known: is there a possible match by date of birth, sex
    /// and family name, and which LA to call? Never a name or NHS number in the answer.
    #[command(
        name = "child-search",
        after_help = "Example:\n  cpindex child-search --birth-date 2019-04-02 --sex female \\\n    \
                      --family-name \"O'Brien\" --widen\n\n\
                      The search is audited; an unscheduled-care search that finds a possible \
                      match alerts the LA. \"No match\" is not proof that no plan is held: the \
                      child may be recorded under another name, date of birth or sex."
    )]
    ChildSearch(ChildSearchArgs),
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
    /// Who in your organisation looked children up this week, and who stands out and why
    /// (privacy officers; operators: any organisation with --org).
    #[command(
        after_help = "Examples:\n  cpindex usage\n  cpindex usage --week 2026-W48 --csv > \
                            usage.csv\n\nCounts are of requests, not of children; counts from 1 \
                            to 4 read \"fewer than 5\"."
    )]
    Usage {
        /// Operators: the organisation (your own when left out).
        #[arg(long)]
        org: Option<String>,
        /// The ISO week, such as 2026-W49 (this week when left out).
        #[arg(long)]
        week: Option<String>,
        /// Print the API's CSV (one row per user) instead of the table.
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
        after_help = "Example:\n  cpindex audit '943 476 5919' --purpose 'SAR-2026-114: the \
                            mother's subject access request'\n\nFor a subject access request or \
                            an investigation; the read is recorded in the child's trail with its \
                            purpose, and counted against you in the privacy officer's view."
    )]
    Audit {
        /// The NHS number (spaces or dashes allowed).
        nhs_number: String,
        /// Why you read the trail: a case or request reference and the reason (10 to 300
        /// characters), kept with the read.
        #[arg(long)]
        purpose: String,
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
    /// Every change to an LA's profile: who, when, which fields, before and after (an LA reads
    /// its own).
    History {
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
    #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(cpindex::Role::ALL.map(cpindex::Role::as_str)))]
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
    /// Where the local issuers' signing keys live (the local stack uses the same).
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

#[derive(Debug, clap::Args)]
pub struct MissedAppointmentArgs {
    /// 10 digits, or 3-3-4 with spaces (quote it).
    #[arg(value_name = "NHS_NUMBER")]
    pub nhs_number: String,
    /// maternity, paediatrics, health_visiting, camhs or gp.
    #[arg(long)]
    pub setting: String,
    /// The service or clinic.
    #[arg(long)]
    pub service: String,
    /// The day missed (YYYY-MM-DD), today or up to 90 days before.
    #[arg(long)]
    pub date: String,
    /// The service tried and could not reach the family.
    #[arg(long)]
    pub family_not_reached: bool,
}

#[derive(Debug, clap::Args)]
pub struct ChildSearchArgs {
    /// The child's date of birth (YYYY-MM-DD); for an unborn child's plan, the mother's.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub birth_date: String,
    /// The child's sex, as FHIR's administrative gender.
    #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(
        cpindex::demographics::Sex::ALL.map(cpindex::demographics::Sex::as_str)
    ))]
    pub sex: String,
    /// The child's family name as you have it (quote it); never printed back.
    #[arg(long, value_name = "NAME")]
    pub family_name: String,
    /// Also search family names of the same sound (for a name that may be misspelt): more
    /// possible matches, some of them other children.
    #[arg(long)]
    pub widen: bool,
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
