//! `make deploy-rehearsal` (in `make test`, after `sam build`), `make bench BENCH=coldstart` and
//! `make arm64-check`: every built bootstrap started under a loopback Lambda Runtime API with
//! its sample event (the cases and answer checks are `integration_tests::artefacts`).
//!
//! With `--stack`, each function is launched as the stack the rehearsal created says (its
//! environment, timeout, memory, name), after the stack's wiring is checked against the code
//! (`wiring`); without it, against resources the harness makes up (a measure of starts only).

mod stack;
mod wiring;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use integration_tests::artefacts::{self, Launch, Layout, Resources};
use stack::Stack;

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
    /// The stack `scripts/deploy-rehearsal.py` created and wrote down: launch each function as
    /// it says (one start each: the stack's table is the world every start shares).
    #[arg(long)]
    stack: Option<PathBuf>,
}

/// Where each function's launch comes from.
enum World {
    /// A stack created from the template: every start shares it.
    Deployed(Stack),
    /// Resources the harness made up; later starts of a function get fresh ones, so each
    /// write answers as the first did.
    MadeUp(Resources),
}

impl World {
    async fn launch(
        &self,
        f: cpindex::routes::FunctionDef,
        start: usize,
        emulator: &str,
    ) -> Result<Launch, String> {
        match self {
            World::Deployed(stack) => stack
                .launch(f)
                .map_err(|e| cpindex::log::chain(&e).to_string()),
            World::MadeUp(res) if start == 0 => res.launch(f),
            World::MadeUp(_) => Resources::create(emulator).await?.launch(f),
        }
    }
}

/// The stack, once its wiring agrees with the code.
async fn deployed(path: &std::path::Path, emulator: &str) -> Result<Stack, String> {
    let stack = Stack::read(path).map_err(|e| cpindex::log::chain(&e).to_string())?;
    let sdk = adapters::aws::for_emulator(emulator, cpindex::config::CallTimeouts::default());
    let queues = wiring::queue_attributes(&aws_sdk_sqs::Client::new(&sdk), &stack)
        .await
        .map_err(|e| cpindex::log::chain(&e).to_string())?;
    let problems = wiring::problems(&stack, &queues);
    if !problems.is_empty() {
        return Err(format!(
            "the created stack disagrees with the code:\n  - {}",
            problems.join("\n  - ")
        ));
    }
    println!(
        "deploy-rehearsal: the stack's {} functions, their variables, queues and triggers agree \
         with the code",
        stack.functions.len()
    );
    // The operators' first step after a deploy: the LA's profile (the samples act as Leeds).
    for table in stack.physical_ids("AWS::DynamoDB::Table") {
        artefacts::seed_la_profile(emulator, table).await?;
    }
    Ok(stack)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[tokio::main]
async fn main() -> ExitCode {
    let a = Args::parse();
    let missing = artefacts::missing_cases();
    if !missing.is_empty() {
        eprintln!("artefacts: no case for {missing:?}");
        return ExitCode::FAILURE;
    }
    if a.stack.is_some() && a.starts != 1 {
        eprintln!("deploy-rehearsal: --stack starts each function once");
        return ExitCode::from(2);
    }
    let emulator = integration_tests::emulator_url();
    let world = match &a.stack {
        Some(path) => match deployed(path, &emulator).await {
            Ok(stack) => World::Deployed(stack),
            Err(e) => {
                eprintln!("deploy-rehearsal: {e}");
                return ExitCode::FAILURE;
            }
        },
        None => match Resources::create(&emulator).await {
            Ok(r) => World::MadeUp(r),
            Err(e) => {
                eprintln!("artefacts: {e}");
                return ExitCode::from(2);
            }
        },
    };
    let layout = match &a.release_dir {
        Some(d) => Layout::Cargo(d.clone()),
        None => Layout::Sam(a.build_dir.clone()),
    };
    let mut failed = false;
    let (mut init_max, mut invoke_max, mut rss_max, mut size_max) = (0f64, 0f64, 0f64, 0f64);
    // Init less the time spent waiting on reads at start (the child key, the key state, the
    // LAs' profiles), the largest over the functions; and the largest init of the functions
    // that read nothing at start.
    let mut own_init_max = 0f64;
    let mut no_reads_max = (0f64, "");
    // The empty function is started beside every start of ours, so the machine's noise falls on
    // both sides of the ratio alike.
    let (mut base_inits, mut base_rss) = (Vec::new(), Vec::new());
    for case in artefacts::cases() {
        let bin = layout.binary(case.function);
        let size_mb = std::fs::metadata(&bin).map_or(0.0, |m| m.len() as f64 / 1_048_576.0);
        let (mut inits, mut invokes, mut rss) = (Vec::new(), Vec::new(), Vec::new());
        let (mut own_inits, mut waits) = (Vec::new(), Vec::new());
        for start in 0..a.starts {
            let launch = match world.launch(case.function, start, &emulator).await {
                Ok(l) => l,
                Err(e) => {
                    eprintln!("artefacts: {}: {e}", case.function.logical_id);
                    return ExitCode::from(2);
                }
            };
            match artefacts::start_once(&case, &layout, &launch, &emulator).await {
                Ok(s) => {
                    inits.push(s.init.as_secs_f64() * 1000.0);
                    own_inits.push(s.init.saturating_sub(s.init_waiting).as_secs_f64() * 1000.0);
                    waits.push(s.init_waiting.as_secs_f64() * 1000.0);
                    invokes.push(s.first_invoke.as_secs_f64() * 1000.0);
                    rss.push(s.peak_rss_mb);
                }
                Err(e) => {
                    eprintln!("artefacts: {} ({}): {e}", case.function.binary, case.sample);
                    failed = true;
                    break;
                }
            }
            if let Some(bin) = &a.baseline {
                match artefacts::start_baseline(bin, &emulator).await {
                    Ok(s) => {
                        base_inits.push(s.init.as_secs_f64() * 1000.0);
                        base_rss.push(s.peak_rss_mb);
                    }
                    Err(e) => {
                        eprintln!("artefacts: the empty baseline: {e}");
                        return ExitCode::FAILURE;
                    }
                }
            }
        }
        if inits.len() == a.starts {
            let (i, f, r) = (median(inits), median(invokes), median(rss));
            let own = median(own_inits);
            println!(
                "artefacts: {:<15} answered {:<45} init {i:>6.1} ms (without its start-up reads {own:>5.1} ms)  first invoke {f:>7.1} ms  peak RSS {r:>5.1} MB  size {size_mb:>5.1} MB",
                case.function.binary, case.sample
            );
            println!(
                "init_{}_ms: {i:.1}\ninit_{}_without_start_reads_ms: {own:.1}",
                case.function.binary.replace('-', "_"),
                case.function.binary.replace('-', "_")
            );
            init_max = init_max.max(i);
            own_init_max = own_init_max.max(own);
            if waits.iter().all(|w| *w == 0.0) && i > no_reads_max.0 {
                no_reads_max = (i, case.function.binary);
            }
            invoke_max = invoke_max.max(f);
            rss_max = rss_max.max(r);
            size_max = size_max.max(size_mb);
        }
    }
    if failed {
        return ExitCode::FAILURE;
    }
    if !base_inits.is_empty() {
        let base = median(base_inits);
        println!(
            "artefacts: {:<15} (baseline, started beside each of the above)       init {base:>6.1} ms  peak RSS {:>5.1} MB",
            "empty",
            median(base_rss)
        );
        println!("init_empty_ms: {base:.1}");
        println!("init_ratio_max: {:.2}", init_max / base.max(0.001));
        println!(
            "init_ratio_without_start_reads_max: {:.2}",
            own_init_max / base.max(0.001)
        );
        // Issue 35's target: every function but the two that read at start on purpose.
        println!(
            "init_ratio_no_start_reads_max: {:.2}\ninit_no_start_reads_slowest: {}",
            no_reads_max.0 / base.max(0.001),
            no_reads_max.1
        );
    }
    println!("init_ms_max: {init_max:.1}");
    println!("first_invoke_ms_max: {invoke_max:.1}");
    println!("peak_rss_mb_max: {rss_max:.1}");
    println!("bootstrap_max_mb: {size_max:.1}");
    ExitCode::SUCCESS
}
