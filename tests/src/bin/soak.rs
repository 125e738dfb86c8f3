//! `make soak`: a mixed, bounded load on a running local stack, then its counts (wiring only;
//! the load and the verdict are `integration_tests::soak`).

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

#[derive(Debug, Parser)]
#[command(about = "Soak a running local stack and count what was lost, doubled or refused")]
struct Args {
    /// The local stack's address.
    #[arg(long, default_value = "http://127.0.0.1:3090")]
    api: String,
    /// The stack's state directory (its token signing key and webhook secrets).
    #[arg(long)]
    state_dir: PathBuf,
    /// How long the load runs, in seconds.
    #[arg(long, default_value_t = 600)]
    seconds: u64,
    /// LAs uploading (half with webhooks, half inbox only). The emulator serves one request at
    /// a time and slows as its tables grow; at 6 LAs and 1.5 lookups a second it fell behind
    /// after five minutes on 2026-12-06 (lookups answered 503, as they must), so the defaults
    /// are 4 and 1.0.
    #[arg(long, default_value_t = 4)]
    las: usize,
    /// Children who may get plans (as many again never do).
    #[arg(long, default_value_t = 300)]
    children: usize,
    /// Lookups per second, all clinicians together.
    #[arg(long, default_value_t = 1.0)]
    lookups_per_s: f64,
    /// The local stack's process id (its memory is reported).
    #[arg(long)]
    stack_pid: Option<u32>,
    /// The emulator's process id.
    #[arg(long)]
    emulator_pid: Option<u32>,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let a = Args::parse();
    let settings = integration_tests::soak::Settings {
        api: a.api,
        state_dir: a.state_dir,
        duration: Duration::from_secs(a.seconds),
        las: a.las,
        children: a.children,
        lookups_per_s: a.lookups_per_s,
        stack_pid: a.stack_pid,
        emulator_pid: a.emulator_pid,
    };
    match integration_tests::soak::run(settings).await {
        Ok(v) => {
            for (name, value) in &v.lines {
                println!("{name}: {value}");
            }
            for f in &v.failures {
                eprintln!("soak: FAILED: {f}");
            }
            if v.failures.is_empty() {
                std::process::ExitCode::SUCCESS
            } else {
                std::process::ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("soak: {e}");
            std::process::ExitCode::from(2)
        }
    }
}
