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
mod pipeline;
mod time;

use adapters::s3;
use clap::Parser;
use cli::{Cli, Command, JobArgs, RouteArgs};
use doors::object::Processor;
use doors::overflow::Overflow;
use doors::route::Route;
use jobs::{load::Table, Clients, JobKind, JobSpec};
use std::process::ExitCode;

fn main() -> ExitCode {
    pin_allocator_threshold();
    let cli = Cli::parse_from(arguments());
    let runtime = tokio::runtime::Builder::new_current_thread()
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
            let (processor, config) = processor(&args.route, &args.job, None, 5.0).await?;
            let sqs = aws_sdk_sqs::Client::new(&config);
            let queue = &args.queue;
            doors::worker::run(
                &processor,
                &sqs,
                queue,
                args.wait_secs,
                args.exit_when_empty,
            )
            .await
        }
        Command::Lambda(args) => {
            let (overflow, rate) = (args.overflow_queue_url.clone(), args.min_mb_per_sec);
            let (processor, _) = processor(&args.route, &args.job, overflow, rate).await?;
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

/// The cloud doors' object handling: route and job checked before AWS is
/// contacted, clients built once.
async fn processor(
    route: &RouteArgs,
    job: &JobArgs,
    overflow: Option<String>,
    min_mb_per_sec: f64,
) -> anyhow::Result<(Processor, aws_config::SdkConfig)> {
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
    };
    Ok((processor, config))
}
