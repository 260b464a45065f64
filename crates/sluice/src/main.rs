//! `sluice`: event-driven CSV processing for object storage.
//!
//! - [`cli`]: what the user typed, turned into job specs and routes.
//! - [`doors`]: how work arrives — command line, folder watcher, Lambda,
//!   queue worker — each naming an input and its outputs.
//! - [`jobs`]: each job's side outside the engine, and [`jobs::run`], the
//!   one place a door's request meets a job.
//! - [`pipeline`]: the one read path (open, decompress, check) and the one
//!   commit path (stage every output, publish together).
//! - [`adapters`]: local files, S3, DynamoDB.
//!
//! `main` parses the arguments, starts the door, and prints an error once
//! with its context; a closed stdout (`sluice filter big.csv | head`) ends
//! the run quietly.

mod adapters;
mod cli;
mod doors;
mod jobs;
mod log;
mod metrics;
mod pipeline;
mod progress;
mod time;

use adapters::s3;
use clap::Parser;
use cli::{Cli, Command, JobArgs, MetricsArgs, RouteArgs};
use doors::object::Processor;
use doors::overflow::Overflow;
use doors::route::Route;
use jobs::{load::Table, Clients, JobKind, JobSpec};
use std::process::ExitCode;

fn main() -> ExitCode {
    pin_allocator_threshold();
    let cli = Cli::parse_from(arguments());
    // The job runs on this thread (`block_on`); the network on one worker
    // thread: its tasks (ranged reads, part uploads, the HTTP connections)
    // go on while the engine scans a chunk, instead of waiting for it.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("sluice-io")
        .enable_all()
        .build()
        .expect("a tokio runtime starts");
    match runtime.block_on(dispatch(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sluice: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// A reader that stopped reading (`| head`) is not a failure.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Keeps large buffers (upload parts, read chunks) out of the heap.
/// glibc raises its mmap threshold each time such a buffer is freed, after
/// which freed parts stay in the heap and memory creeps up with the object
/// size; a fixed threshold returns them to the system, so memory stays flat.
fn pin_allocator_threshold() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only adjusts allocator tuning; called before any thread starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

/// The command line; started by the Lambda runtime as `bootstrap` with no
/// arguments, the binary serves invocations.
fn arguments() -> Vec<std::ffi::OsString> {
    let mut args: Vec<_> = std::env::args_os().collect();
    if args.len() == 1 && std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some() {
        args.push("lambda".into());
    }
    args
}

async fn dispatch(cli: Cli) -> anyhow::Result<()> {
    log::init()?;
    s3::configure(cli.command.s3_args().transfer());
    match cli.command {
        Command::Filter(args) => doors::cli::filter(args).await,
        Command::Inspect(args) => doors::cli::inspect(args).await,
        Command::Report(args) => doors::cli::report(args).await,
        Command::Load(args) => doors::cli::load(args).await,
        Command::Watch(args) => {
            let spec = args.job.spec()?;
            let clients = local_clients(&spec).await?;
            doors::watch::run(&args, &spec, &clients).await
        }
        Command::Worker(args) => {
            let metrics = metrics(&args.metrics, &args.job, "sluice-worker")?;
            let (processor, config) = processor(&args.route, &args.job, metrics, None).await?;
            let sqs = aws_sdk_sqs::Client::new(&config);
            let queue = &args.queue;
            let polling = doors::worker::Polling {
                wait_secs: args.wait_secs,
                receive: args.receive,
                exit_when_empty: args.exit_when_empty,
            };
            doors::worker::run(&processor, &sqs, queue, polling).await
        }
        Command::Lambda(args) => {
            let metrics = metrics(&args.metrics, &args.job, "sluice-lambda")?;
            let overflow = (args.overflow_queue_url.clone(), args.min_mb_per_sec);
            let (processor, _) = processor(&args.route, &args.job, metrics, Some(overflow)).await?;
            doors::lambda::serve(processor).await
        }
    }
}

/// The watcher's clients: a table for the load job, nothing else.
async fn local_clients(spec: &JobSpec) -> anyhow::Result<Clients> {
    let table = match &spec.kind {
        JobKind::Load(load) => Some(Table::open(&s3::aws_config().await, load).await?),
        _ => None,
    };
    Ok(Clients { s3: None, table })
}

/// The metrics' names: the service is the one configured, else the Lambda
/// function's name, else `fallback`.
fn metrics(args: &MetricsArgs, job: &JobArgs, fallback: &str) -> anyhow::Result<metrics::Metrics> {
    use clap::ValueEnum;
    anyhow::ensure!(
        !args.metrics_namespace.trim().is_empty(),
        "--metrics-namespace (SLUICE_METRICS_NAMESPACE) is empty"
    );
    let service = args.metrics_service.clone().filter(|s| !s.is_empty());
    let service = service
        .or_else(|| std::env::var("AWS_LAMBDA_FUNCTION_NAME").ok())
        .unwrap_or_else(|| fallback.to_string());
    Ok(metrics::Metrics {
        namespace: args.metrics_namespace.clone(),
        service,
        job: job
            .job
            .to_possible_value()
            .map_or_else(String::new, |v| v.get_name().into()),
    })
}

/// The cloud doors' object handling: route and job checked before AWS is
/// contacted, clients built once.
/// `overflow`: the Lambda's overflow queue, if any, and the throughput
/// assumed until measured (a worker has no deadline: 5 MB/s, unused).
async fn processor(
    route: &RouteArgs,
    job: &JobArgs,
    metrics: metrics::Metrics,
    overflow: Option<(Option<String>, f64)>,
) -> anyhow::Result<(Processor, aws_config::SdkConfig)> {
    let (overflow, min_mb_per_sec) = overflow.unwrap_or((None, 5.0));
    let (route, spec) = (Route::from_args(route, job.job)?, job.spec()?);
    let config = s3::aws_config().await;
    let table = match &spec.kind {
        JobKind::Load(load) => Some(Table::open(&config, load).await?),
        _ => None,
    };
    let clients = Clients {
        s3: Some(s3::client(&config)),
        table,
    };
    let overflow = overflow.map(|queue_url| Overflow {
        sqs: aws_sdk_sqs::Client::new(&config),
        queue_url,
    });
    let processor = Processor {
        clients,
        route,
        spec,
        compress: job.compress.choice(),
        overflow,
        min_mb_per_sec,
        log_values: job.log_values,
        force: false,
        metrics,
    };
    Ok((processor, config))
}
