//! `cpindex-keys`: an operator's child key rotation steps (see `lib.rs`). Wiring only.

use std::process::ExitCode;

use clap::Parser;
use cpindex_keys::{run, KeysCli, EXIT_USAGE};

fn main() -> ExitCode {
    let cli = KeysCli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cpindex-keys: cannot start: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let (mut out, mut err) = (std::io::stdout(), std::io::stderr());
    ExitCode::from(runtime.block_on(run(cli, &mut out, &mut err)))
}
