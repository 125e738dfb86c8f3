//! `cpindex`, the command line for people: mint local tokens, upload an LA's extract CSV and read
//! its acknowledgement line by line, look a child up, and work notifications, reconciliation and
//! dead letters. `main.rs` only parses arguments and calls [`run`]; everything else is here and
//! in small modules (CSV reading and rendering are pure and unit tested).

pub mod api;
pub mod args;
mod commands;
pub use cpindex::csv_extract;
pub mod model;
mod oversight;
pub mod render;
pub mod text;
pub mod upload;

use std::io::Write;

use cpindex::{OrgCode, Role};
use serde_json::{json, Value};

use crate::api::{Api, ApiError};
pub use crate::args::*;
use crate::model::NotificationPage;
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
    use commands as c;
    match &cli.command {
        Command::Token(args) => {
            console.print(&format!("{}\n", mint_token(args, &cli.api_url)?));
            Ok(EXIT_OK)
        }
        Command::Upload(args) => upload_file(&cli, args, console).await,
        Command::Lookup(args) => c::lookup(&cli, args, console).await,
        Command::MissedAppointment(args) => c::missed_appointment(&cli, args, console).await,
        Command::ChildSearch(args) => c::child_search(&cli, args, console).await,
        Command::Notifications(NotificationsCommand::List {
            unacknowledged,
            limit,
        }) => c::notifications(&cli, *unacknowledged, *limit as usize, console).await,
        Command::Notifications(NotificationsCommand::Ack { notification_id }) => {
            c::acknowledge(&cli, notification_id, console).await
        }
        Command::Reconcile(args) => {
            let api = connect(&cli, console)?;
            reconcile(&api, args.max_steps, cli.json, console).await
        }
        Command::DeadLetters(DeadLettersCommand::List) => {
            c::show_with_notes(&cli, api::DEAD_LETTERS, render::dead_letter_notes, console).await
        }
        Command::DeadLetters(DeadLettersCommand::Redrive) => {
            c::show(
                &cli,
                api::DEAD_LETTERS_REDRIVE,
                &[],
                Some(&json!({})),
                console,
            )
            .await
        }
        Command::Report => {
            c::show_with_notes(
                &cli,
                api::RECONCILIATION_REPORT,
                render::report_notes,
                console,
            )
            .await
        }
        Command::Indicators { weeks, org, csv } => {
            c::indicators(&cli, *weeks, org.as_deref(), *csv, console).await
        }
        Command::Usage { org, week, csv } => {
            oversight::usage(&cli, org.as_deref(), week.as_deref(), *csv, console).await
        }
        Command::Withdraw {
            plan_ref,
            source_version,
        } => c::withdraw(&cli, plan_ref, *source_version, console).await,
        Command::Accesses { plan_ref } => {
            c::show(&cli, api::PLAN_ACCESSES, &[plan_ref], None, console).await
        }
        Command::Audit {
            nhs_number,
            purpose,
        } => {
            let nhs = c::nhs_number(nhs_number)?;
            let query = [("purpose", purpose.clone())];
            c::show_asking(
                &cli,
                api::CHILD_ACCESSES,
                &[&nhs.digits()],
                &query,
                None,
                console,
            )
            .await
        }
        Command::Profiles(ProfilesCommand::List) => {
            c::show(&cli, api::PROFILES, &[], None, console).await
        }
        Command::Profiles(ProfilesCommand::Show { org }) => {
            c::show(&cli, api::PROFILE, &[org], None, console).await
        }
        Command::Profiles(ProfilesCommand::History { org }) => {
            c::show(&cli, api::PROFILE_HISTORY, &[org], None, console).await
        }
        Command::Profiles(ProfilesCommand::Set { org, file }) => {
            c::set_profile(&cli, org, file, console).await
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
pub fn mint_token(args: &TokenArgs, api: &str) -> Result<String, CliError> {
    let role = Role::parse(&args.role).ok_or_else(|| {
        CliError::usage(format!(
            "unknown role `{}`; one of {}",
            render::clean(&args.role),
            Role::ALL.map(Role::as_str).join(", ")
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
    // Never creates a key: one made here, outside the clone's .local, would sign tokens no
    // local stack accepts. The stack at `api` is where the token's issuer lives.
    let auth = local_token::LocalAuth::load(&args.state_dir)
        .map_err(|e| CliError::usage(e.to_string()))?
        .at_origin(api);
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
        report.dry_run = true;
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
/// Up to `limit` notifications, the cursor after them, and what the first page carries
/// beside them (the report announcement, the open overdue alerts).
pub(crate) async fn list_notifications(
    api: &Api,
    unacknowledged: bool,
    limit: usize,
) -> Result<NotificationPage, ApiError> {
    /// Page size asked for (the API may answer fewer).
    const PAGE: usize = 200;
    /// Guards against an API that keeps answering empty pages with a cursor.
    const MAX_PAGES: usize = 1000;
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    let mut report = None;
    let mut overdue = Vec::new();
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
        if overdue.is_empty() {
            overdue = page.overdue;
        }
        if cursor.is_none() || items.len() >= limit {
            break;
        }
    }
    items.truncate(limit);
    Ok(NotificationPage {
        overdue,
        items,
        next_cursor: cursor,
        latest_reconciliation_report: report,
    })
}

pub(crate) fn print_generic(
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

pub(crate) fn pretty_value(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}

/// A JSON body pretty-printed (or as text when it is not JSON).
pub(crate) fn pretty(body: &[u8]) -> String {
    match serde_json::from_slice::<Value>(body) {
        Ok(v) => pretty_value(&v),
        Err(_) => format!("{}\n", String::from_utf8_lossy(body)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;
    use clap::Parser;

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
    fn tokens_are_minted_with_the_local_issuers_keys() {
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
        let api = "http://127.0.0.1:3081";
        let none = mint_token(&args, api).unwrap_err();
        assert!(none.message.contains("idp-"), "{}", none.message);
        assert!(!dir.exists());
        let auth = local_token::LocalAuth::load_or_create(&dir)
            .unwrap()
            .at_origin(api);
        let token = mint_token(&args, api).unwrap();
        let provider = cpindex::claims::Provider::Staff;
        let keys = serde_json::from_value(auth.jwks(provider)).unwrap();
        let claims = local_token::verify(
            &token,
            &keys,
            &auth.issuer(provider),
            local_token::LOCAL_AUDIENCE,
        )
        .unwrap();
        assert_eq!(claims["org"], "E08000035");
        assert_eq!(claims["role"], "local_authority");
        assert_eq!(
            claims["org_name"], "Local authority E08000035",
            "a readable default"
        );
        let bad = mint_token(
            &TokenArgs {
                org: "leeds".into(),
                ..args
            },
            api,
        )
        .unwrap_err();
        assert_eq!(bad.exit, EXIT_USAGE);
        assert!(bad.message.starts_with("organisation `leeds`"));
        let _ = std::fs::remove_dir_all(dir);
    }
}
