//! `make artefact-check` (in `make test`, after `sam build`) and `make bench BENCH=coldstart`:
//! every built bootstrap started under a loopback Lambda Runtime API with its sample event
//! (wiring only; the cases and checks are `integration_tests::artefacts`).

use std::path::PathBuf;

use clap::Parser;
use integration_tests::artefacts::{self, Layout, Resources};

#[derive(Debug, Parser)]
#[command(about = "Start each built bootstrap as Lambda does and check its answer")]
struct Args {
    /// Where `sam build` put the functions (`<dir>/<LogicalId>/bootstrap`).
    #[arg(long, default_value = ".aws-sam/build")]
    build_dir: PathBuf,
    /// Take each function's binary from cargo's release directory (`<dir>/<binary>`) instead.
    #[arg(long)]
    release_dir: Option<PathBuf>,
    /// Fresh starts per function (the benchmark uses 15 and reports medians).
    #[arg(long, default_value_t = 1)]
    starts: usize,
    /// An empty `lambda_runtime` function built the same way: its median init is the baseline
    /// of `init_ratio_max`.
    #[arg(long)]
    baseline: Option<PathBuf>,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let a = Args::parse();
    let missing = artefacts::missing_cases();
    if !missing.is_empty() {
        eprintln!("artefacts: no case for {missing:?}");
        return std::process::ExitCode::FAILURE;
    }
    let emulator = integration_tests::emulator_url();
    let res = match Resources::create(&emulator).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("artefacts: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let layout = match &a.release_dir {
        Some(d) => Layout::Cargo(d.clone()),
        None => Layout::Sam(a.build_dir.clone()),
    };
    let mut failed = false;
    let (mut init_max, mut invoke_max, mut rss_max, mut size_max) = (0f64, 0f64, 0f64, 0f64);
    for case in artefacts::cases() {
        let bin = layout.binary(case.function);
        let size_mb = std::fs::metadata(&bin).map_or(0.0, |m| m.len() as f64 / 1_048_576.0);
        let (mut inits, mut invokes, mut rss) = (Vec::new(), Vec::new(), Vec::new());
        for start in 0..a.starts {
            // Every start of a function meets a world of its own (its write answers the same).
            let fresh = if start == 0 {
                None
            } else {
                match Resources::create(&emulator).await {
                    Ok(r) => Some(r),
                    Err(e) => {
                        eprintln!("artefacts: {e}");
                        return std::process::ExitCode::from(2);
                    }
                }
            };
            match artefacts::start_once(&case, &layout, fresh.as_ref().unwrap_or(&res)).await {
                Ok(s) => {
                    inits.push(s.init.as_secs_f64() * 1000.0);
                    invokes.push(s.first_invoke.as_secs_f64() * 1000.0);
                    rss.push(s.peak_rss_mb);
                }
                Err(e) => {
                    eprintln!("artefacts: {} ({}): {e}", case.function.binary, case.sample);
                    failed = true;
                    break;
                }
            }
        }
        if inits.len() == a.starts {
            let (i, f, r) = (median(inits), median(invokes), median(rss));
            println!(
                "artefacts: {:<15} answered {:<45} init {i:>6.1} ms  first invoke {f:>7.1} ms  peak RSS {r:>5.1} MB  size {size_mb:>5.1} MB",
                case.function.binary, case.sample
            );
            init_max = init_max.max(i);
            invoke_max = invoke_max.max(f);
            rss_max = rss_max.max(r);
            size_max = size_max.max(size_mb);
        }
    }
    if failed {
        return std::process::ExitCode::FAILURE;
    }
    if let Some(bin) = &a.baseline {
        let mut inits = Vec::new();
        let mut rss = Vec::new();
        for _ in 0..a.starts {
            match artefacts::start_baseline(bin, &res).await {
                Ok(s) => {
                    inits.push(s.init.as_secs_f64() * 1000.0);
                    rss.push(s.peak_rss_mb);
                }
                Err(e) => {
                    eprintln!("artefacts: the empty baseline: {e}");
                    return std::process::ExitCode::FAILURE;
                }
            }
        }
        let base = median(inits);
        println!(
            "artefacts: {:<15} (baseline)                                       init {base:>6.1} ms  peak RSS {:>5.1} MB",
            "empty",
            median(rss)
        );
        println!("init_empty_ms: {base:.1}");
        println!("init_ratio_max: {:.2}", init_max / base.max(0.001));
    }
    println!("init_ms_max: {init_max:.1}");
    println!("first_invoke_ms_max: {invoke_max:.1}");
    println!("peak_rss_mb_max: {rss_max:.1}");
    println!("bootstrap_max_mb: {size_max:.1}");
    std::process::ExitCode::SUCCESS
}
