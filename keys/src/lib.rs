//! `cpindex-keys`: the operator's steps of a child key rotation (docs/OPERATIONS.md, "Rotating
//! the child key"), straight against the table and the secret with the break-glass role: the
//! API has no route that could change which key the data is under. Each step is
//! `adapters::key_rotation`; this module only reads arguments and prints.

use std::io::Write;
use std::path::PathBuf;

use adapters::key_rotation::{RekeyReport, Rotation, RotationFault};
use clap::{Parser, Subcommand};
use cpindex::config::CallTimeouts;
use cpindex::{KeyState, Keyring, Retention};

/// Exit code: the step was taken (or the state printed).
pub const EXIT_OK: u8 = 0;
/// Exit code: the step was refused (out of order, too soon, a key the secret lacks).
pub const EXIT_NOT_ALL: u8 = 1;
/// Exit code: usage, the secret unreadable, the table unreachable.
pub const EXIT_USAGE: u8 = 2;

/// A child key rotation, step by step (operators, with the break-glass role).
#[derive(Debug, Parser)]
#[command(
    name = "cpindex-keys",
    version,
    after_help = "Steps, in order (docs/OPERATIONS.md):\n  1. put both keys in the secret: \
                  {\"keys\": [{\"id\": \"1\", \"secret\": \"...\"}, {\"id\": \"2\", \"secret\": \"...\"}]}\n     \
                  and restart the lookup and plan-upsert functions\n  2. cpindex-keys switch --to 2\n  \
                  3. after the switch time: cpindex-keys rekey\n  4. two years later: cpindex-keys retire 1, \
                  then drop key 1 from the secret"
)]
pub struct KeysCli {
    /// The index table's name.
    #[arg(long, env = "CPINDEX_TABLE")]
    pub table: String,
    /// The child key secret's ARN (Secrets Manager).
    #[arg(long, env = "CHILD_KEY_SECRET_ARN", conflicts_with = "secret_file")]
    pub secret_arn: Option<String>,
    /// A file holding the secret's value (the local stack's `.local/child-key`).
    #[arg(long)]
    pub secret_file: Option<PathBuf>,
    /// Talk to the local emulator at this address instead of AWS.
    #[arg(long, env = "EMULATOR_URL")]
    pub emulator_url: Option<String>,
    /// Print the key state as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(subcommand)]
    pub step: Step,
}

#[derive(Debug, Subcommand)]
pub enum Step {
    /// The key the data is written under, a planned switch, and the keys still read.
    Status,
    /// Plan writes to move to the secret's key `--to`, far enough ahead that every function
    /// has seen the plan and reads under both keys first.
    Switch {
        #[arg(long)]
        to: String,
        /// Minutes from now (at least 3).
        #[arg(long, default_value_t = 10)]
        in_minutes: u32,
    },
    /// Move every live plan under an older key to the current one (after the switch time).
    Rekey,
    /// Stop reading an older key, once every access under it has expired.
    Retire { key_id: String },
}

/// Runs one step; returns the exit code (0 done, 1 refused, 2 usage or connection).
pub async fn run(cli: KeysCli, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    match execute(&cli, out).await {
        Ok(()) => EXIT_OK,
        Err((code, message)) => {
            let _ = writeln!(err, "cpindex-keys: {message}");
            code
        }
    }
}

async fn execute(cli: &KeysCli, out: &mut dyn Write) -> Result<(), (u8, String)> {
    let usage = |m: String| (EXIT_USAGE, m);
    let sdk = match &cli.emulator_url {
        Some(url) => adapters::aws::for_emulator(url, CallTimeouts::bulk()),
        None => adapters::aws::from_env(CallTimeouts::bulk()).await,
    };
    let ring = match (&cli.secret_arn, &cli.secret_file) {
        (Some(arn), _) => adapters::aws::keyring_from_secret(&sdk, arn)
            .await
            .map_err(|e| usage(cpindex::log::chain(&e).to_string()))?,
        (None, Some(path)) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| usage(format!("{}: {e}", path.display())))?;
            Keyring::from_secret(&text).map_err(|e| usage(e.to_string()))?
        }
        (None, None) => return Err(usage("give --secret-arn or --secret-file".into())),
    };
    let table = adapters::store::Table::new(aws_sdk_dynamodb::Client::new(&sdk), &cli.table);
    let rotation = Rotation::new(table, ring, Retention::default());
    let now = chrono::Utc::now();
    let state = match &cli.step {
        Step::Status => rotation.status().await,
        Step::Switch { to, in_minutes } => {
            let at = now + chrono::Duration::minutes(i64::from(*in_minutes));
            rotation.switch(to, now, at).await
        }
        Step::Rekey => rotation
            .rekey(now, progress)
            .await
            .map(|(state, report)| {
                let _ = writeln!(
                    out,
                    "re-keyed {} of {} plan records ({} changed by their LA meanwhile, {} under no key held)",
                    report.moved, report.plans, report.changed_meanwhile, report.unrecognised
                );
                state
            }),
        Step::Retire { key_id } => rotation.retire(key_id, now).await,
    }
    .map_err(refused)?;
    let text = if cli.json {
        serde_json::to_string_pretty(&state).unwrap_or_default()
    } else {
        describe(&state, now)
    };
    let _ = writeln!(out, "{text}");
    Ok(())
}

fn progress(report: &RekeyReport) {
    eprintln!(
        "cpindex-keys: {} plan records read, {} re-keyed",
        report.plans, report.moved
    );
}

fn refused(e: RotationFault) -> (u8, String) {
    let code = match e {
        RotationFault::Store(_) => EXIT_USAGE,
        _ => EXIT_NOT_ALL,
    };
    (code, cpindex::log::chain(&e).to_string())
}

/// The state in a few lines.
pub fn describe(state: &KeyState, now: chrono::DateTime<chrono::Utc>) -> String {
    let state = state.settled(now);
    let mut lines = vec![format!("writes under key {}", state.current.key_id)];
    if let Some(s) = &state.next {
        lines.push(format!(
            "switching to key {} at {}",
            s.key.key_id,
            s.at.to_rfc3339()
        ));
    }
    for p in &state.previous {
        let rekeyed = match p.rekeyed_at {
            Some(at) => format!("plans re-keyed {}", at.to_rfc3339()),
            None => "plans NOT yet re-keyed: run `cpindex-keys rekey`".into(),
        };
        lines.push(format!(
            "still reads key {} (written until {}; {rekeyed})",
            p.key.key_id,
            p.until.to_rfc3339()
        ));
    }
    lines.join("\n")
}
