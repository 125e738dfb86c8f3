//! `cpindex`: parse the arguments, run the command, exit with its code (see `lib.rs`).

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use cpindex_cli::{run, Cli, Console, EXIT_USAGE};

fn main() -> ExitCode {
    // Usage errors and --help are answered by clap (usage errors exit 2).
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cpindex: cannot start: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let progress = std::io::stderr().is_terminal();
    // Unlocked handles: the progress bar draws to stderr from its own thread.
    let (mut out, mut err) = (std::io::stdout(), std::io::stderr());
    let mut console = Console {
        out: &mut out,
        err: &mut err,
        progress,
    };
    ExitCode::from(runtime.block_on(run(cli, &mut console)))
}
