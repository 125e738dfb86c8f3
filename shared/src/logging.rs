//! The functions' log setup: JSON lines on stdout (Lambda's `AWS_LAMBDA_LOG_FORMAT=JSON`, which
//! the template sets) at the level Lambda's log controls give (`AWS_LAMBDA_LOG_LEVEL`, else
//! `RUST_LOG` as a bare level, else INFO). By level alone: a target filter would link a regex
//! engine into every bootstrap (BENCHMARKS.md, the size steps).

use std::str::FromStr;

use tracing::Subscriber;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::fmt::MakeWriter;

/// The level from the environment's values, as Lambda's runtime reads them.
pub fn level(aws_lambda_log_level: Option<&str>, rust_log: Option<&str>) -> LevelFilter {
    aws_lambda_log_level
        .or(rust_log)
        .and_then(|l| LevelFilter::from_str(l.trim()).ok())
        .unwrap_or(LevelFilter::INFO)
}

/// Installs the subscriber for this process (once, at start).
pub fn init() {
    use tracing_subscriber::util::SubscriberInitExt;
    let var = |n: &str| std::env::var(n).ok();
    let level = level(
        var("AWS_LAMBDA_LOG_LEVEL").as_deref(),
        var("RUST_LOG").as_deref(),
    );
    let json = var("AWS_LAMBDA_LOG_FORMAT").is_some_and(|f| f.eq_ignore_ascii_case("json"));
    subscriber(level, json, std::io::stdout).init();
}

/// The functions' log lines at `level`, JSON or text, written to `writer`: what [`init`]
/// installs with stdout, and what the cost benchmark measures with a counting writer.
pub fn subscriber<W>(level: LevelFilter, json: bool, writer: W) -> Box<dyn Subscriber + Send + Sync>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let fmt = tracing_subscriber::fmt()
        .with_target(false)
        .without_time()
        .with_ansi(false)
        .with_max_level(level)
        .with_writer(writer);
    if json {
        Box::new(fmt.json().finish())
    } else {
        Box::new(fmt.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lambda_s_level_wins_then_rust_log_then_info() {
        assert_eq!(level(Some("WARN"), Some("debug")), LevelFilter::WARN);
        assert_eq!(level(None, Some("debug")), LevelFilter::DEBUG);
        assert_eq!(level(Some("error"), None), LevelFilter::ERROR);
        assert_eq!(level(None, None), LevelFilter::INFO);
        // Not a level (a target filter, nonsense): INFO, never silence.
        assert_eq!(level(None, Some("lookup=debug")), LevelFilter::INFO);
        assert_eq!(level(Some("loud"), None), LevelFilter::INFO);
    }
}
