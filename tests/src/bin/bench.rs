//! `make bench`: benchmarks against the local emulator. Each prints `metric: value` lines.
//! Ours and the raw SDK baseline run interleaved in one process, so machine noise hits both.

use clap::{Parser, ValueEnum};

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Bench {
    /// A full extract through the plan-upsert handler vs the same store requests issued raw.
    Ingest,
    /// Lookups through the handler vs the same requests issued raw; counts request overlap.
    Lookup,
    /// Reconciliation of a large index vs a raw parallel scan of the same table.
    Reconcile,
    /// Alerts end to end (lookup to webhook) and fan-out throughput.
    Alerts,
    /// Every kind of operation metered (capacity units, requests, handler time) and priced at
    /// England's volumes: `cost_england_usd_month`.
    Cost,
    /// Prints the Lambda binaries, one per line (for the bootstrap-size benchmark).
    Functions,
}

#[derive(Debug, Parser)]
#[command(about = "Benchmarks of the child protection index against the local emulator")]
struct Args {
    /// Which benchmark to run.
    bench: Bench,
    /// Records in the ingest extract. Each new plan's write reads its child's partition (other
    /// LAs' plans), and moto's query slows as its table grows: at 10,000 records a 1,000-record
    /// batch took 50 s, the next 130 s (2026-12-06), so the default is 2,000 (two batches, each
    /// side going first once).
    #[arg(long, default_value_t = 2_000)]
    records: usize,
    /// Lookups to run.
    #[arg(long, default_value_t = 1_000)]
    lookups: usize,
    /// Plans in the reconciliation index (moto's scan slows superlinearly with table size: at
    /// 100,000 plans one raw scan alone ran past 17 minutes, so the default is 20,000).
    #[arg(long, default_value_t = 20_000)]
    plans: usize,
    /// Lookups timed end to end to the webhook.
    #[arg(long, default_value_t = 200)]
    alerts: usize,
    /// Plans in the cost benchmark's LA (England's average: 135,000 plans over 150 LAs).
    #[arg(long, default_value_t = 900)]
    la_plans: usize,
    /// Lookups of each kind (plan found, none) in the cost benchmark.
    #[arg(long, default_value_t = 40)]
    cost_lookups: usize,
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let url = integration_tests::emulator_url();
    let metrics = match args.bench {
        Bench::Ingest => integration_tests::bench::ingest::run(&url, args.records).await,
        Bench::Lookup => integration_tests::bench::lookup::run(&url, args.lookups).await,
        Bench::Reconcile => integration_tests::bench::reconcile::run(&url, args.plans).await,
        Bench::Alerts => integration_tests::bench::alerts::run(&url, args.alerts).await,
        Bench::Cost => {
            integration_tests::bench::cost::run(&url, args.la_plans, args.cost_lookups).await
        }
        Bench::Functions => {
            for f in cpindex::routes::FUNCTIONS {
                println!("{}", f.binary);
            }
            return;
        }
    };
    for (name, value) in metrics {
        println!("{name}: {value}");
    }
}
