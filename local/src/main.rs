//! `make dev` runs `local-stack serve`; `make token` runs `local-stack token`.

use std::net::SocketAddr;

use clap::{Parser, Subcommand};
use cpindex::claims::Provider;
use cpindex::{OrgCode, Role};
use local_stack::auth::LocalAuth;
use local_stack::{bootstrap_resources, router, LocalSettings};

#[derive(Parser)]
#[command(about = "The child protection index on a laptop")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Create resources in the emulator and serve the API (the default).
    Serve,
    /// Load demo data into a running local stack (two LAs with webhooks, children of every kind).
    Demo {
        /// The local stack's address.
        #[arg(long, default_value = "http://127.0.0.1:3000")]
        api: String,
    },
    /// Print a bearer token the local stack accepts.
    Token {
        /// local_authority, unscheduled_care, scheduled_care, operator, privacy_officer or
        /// nhs_staff (NHS staff's tokens come in NHS CIS2's shape).
        #[arg(long)]
        role: String,
        /// Organisation code (ODS style, e.g. E08000035 or RR801).
        #[arg(long)]
        org: String,
        /// User id.
        #[arg(long, default_value = "local-user")]
        user: String,
        /// Organisation display name (alerts and visit lists show it); a readable local one by
        /// default.
        #[arg(long)]
        org_name: Option<String>,
        /// Hours the token is valid.
        #[arg(long, default_value_t = 12)]
        hours: i64,
        /// NHS staff only: the CIS2 activity codes of the selected role, comma separated, instead
        /// of the role's own (`B0107` notifying view, `B0170` silent view; empty for neither).
        #[arg(long, value_delimiter = ',')]
        activities: Option<Vec<String>>,
        /// The local stack the token is for (its issuers live there); `http://127.0.0.1:$PORT`
        /// by default.
        #[arg(long)]
        api: Option<String>,
    },
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // One readable line on failure, never Rust's Debug formatting of the error.
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("local-stack: {e}");
            std::process::ExitCode::from(2)
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let cli = Cli::parse();
    let settings = LocalSettings::from_env()?;
    let auth = LocalAuth::load_or_create(&settings.state_dir)?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Token {
            role,
            org,
            user,
            org_name,
            hours,
            activities,
            api,
        } => {
            let roles = Role::ALL.map(Role::as_str).join(", ");
            let role = Role::parse(&role)
                .ok_or_else(|| format!("unknown role `{role}`; one of {roles}"))?;
            let org =
                OrgCode::parse(&org).map_err(|e| format!("organisation `{org}`: {}", e.detail))?;
            let name = org_name.unwrap_or_else(|| local_token::default_org_name(role, &org));
            let auth = auth
                .at_origin(&api.unwrap_or_else(|| format!("http://127.0.0.1:{}", settings.port)));
            let token = match activities {
                Some(codes) if role.provider() == Provider::Nhs => {
                    let codes: Vec<&str> = codes
                        .iter()
                        .map(String::as_str)
                        .filter(|c| !c.is_empty() && *c != "none")
                        .collect();
                    auth.mint_cis2(&org, &user, Some(&name), &codes, hours)
                }
                Some(_) => return Err("--activities is for NHS staff's roles only".into()),
                None => auth.mint(role, &org, &user, Some(&name), hours),
            };
            println!("{token}");
            Ok(())
        }
        Command::Serve => serve(settings, auth).await,
        Command::Demo { api } => {
            let api = api.trim_end_matches('/');
            local_stack::demo::load(api, &auth.at_origin(api), &settings.state_dir).await?;
            Ok(())
        }
    }
}

async fn serve(settings: LocalSettings, auth: LocalAuth) -> Result<(), Box<dyn std::error::Error>> {
    use std::io::IsTerminal;
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        // Colour only for a person at a terminal, never in a log file.
        .with_ansi(std::io::stdout().is_terminal())
        .init();
    let addr = SocketAddr::from(([127, 0, 0, 1], settings.port));
    // Before anything else: a second `make dev` must leave the first (and its emulator) alone.
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
        if e.kind() == std::io::ErrorKind::AddrInUse {
            format!(
                "port {} is already in use: is make dev already running? Use it, stop it, or \
                 start another with PORT=<port> make dev",
                settings.port
            )
        } else {
            format!("cannot listen on {addr}: {e}")
        }
    })?;
    let stack = bootstrap_resources(&settings).await?;
    let retention = cpindex::config::retention()?;
    let keeper = local_stack::snapshot::keep(&settings.state_dir, &stack).await?;
    println!("local stack: web app on http://{addr}/ (local sign-in), API on http://{addr}  (GET /health, GET /openapi.yaml)");
    println!(
        "local stack: table {} and queue {} in the emulator at {}",
        stack.table, stack.fanout_queue, settings.emulator_url
    );
    println!("local stack: get a token with  make token ROLE=local_authority ORG=E08000035");
    println!(
        "local stack: alert consumers polling; signed webhooks to /local/webhooks/<org> print here"
    );
    let consumers = tokio::spawn(local_stack::consumers::run(stack.clone(), retention, 2));
    let every = std::env::var("RECONCILE_EVERY_S")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    println!("local stack: reconciliation every {every} s (RECONCILE_EVERY_S), or now: POST /v1/reconciliation-runs as an operator");
    let scheduler = tokio::spawn(local_stack::schedule_reconciliation(
        stack.clone(),
        retention,
        std::time::Duration::from_secs(every),
    ));
    let saver = tokio::spawn(local_stack::snapshot::save_every(
        keeper.clone(),
        local_stack::snapshot::SAVE_EVERY,
    ));
    let origin = format!("http://{addr}");
    axum::serve(
        listener,
        router(stack, auth.at_origin(&origin), retention, &origin),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    consumers.abort();
    scheduler.abort();
    saver.abort();
    let mut keeper = keeper.lock().await;
    match keeper.save().await {
        Ok(_) => println!("local stack: data kept in {}", keeper.path().display()),
        Err(e) => eprintln!(
            "local stack: the data could not be kept: {}",
            cpindex::log::chain(&e)
        ),
    }
    println!("local stack: stopped");
    Ok(())
}
