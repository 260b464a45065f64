//! `sluice`: the command-line door, and the entry of the other doors (the
//! folder watcher, the queue worker, the Lambda `bootstrap`). Parses
//! arguments, hands over, prints errors once with their context.

mod cli;
mod events;
mod io;
mod lambda;
mod location;
mod log;
mod process;
mod route;
mod run;
mod s3;
mod watch;
mod worker;

use clap::Parser;
use cli::{Cli, Command, FilterArgs};
use io::{Input, Output};
use location::Location;
use process::Processor;
use run::Rejects;
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
        Err(e) => {
            eprintln!("sluice: error: {e:#}");
            ExitCode::FAILURE
        }
    }
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
        Command::Filter(args) => filter(args).await,
        Command::Watch(args) => watch::run(&args, &args.job.spec()?).await,
        Command::Worker(args) => {
            let config = s3::aws_config().await;
            let processor = Processor {
                client: s3::client(&config),
                route: args.route.route()?,
                spec: args.job.spec()?,
            };
            let sqs = aws_sdk_sqs::Client::new(&config);
            worker::run(
                &processor,
                &sqs,
                &args.queue,
                args.wait_secs,
                args.exit_when_empty,
            )
            .await
        }
        Command::Lambda(args) => {
            let route = args.route.route()?;
            let spec = args.job.spec()?;
            let config = s3::aws_config().await;
            lambda::serve(Processor {
                client: s3::client(&config),
                route,
                spec,
            })
            .await
        }
    }
}

/// `sluice filter`: paths, stdin/stdout or S3 objects.
async fn filter(args: FilterArgs) -> anyhow::Result<()> {
    let options = args.filter.options(&args.csv)?;
    let input_at = Location::parse_or_std(args.input.as_deref())?;
    let output_at = Location::parse_or_std(args.output.as_deref())?;
    let same_path = match (&input_at, &output_at) {
        (Location::Path(i), Location::Path(o)) => {
            i == o
                || std::fs::canonicalize(i)
                    .ok()
                    .zip(std::fs::canonicalize(o).ok())
                    .is_some_and(|(a, b)| a == b)
        }
        (a, b) => matches!(a, Location::S3 { .. }) && a == b,
    };
    anyhow::ensure!(
        !same_path,
        "{output_at}: the output would overwrite the input"
    );
    let needs_s3 = [Some(&input_at), Some(&output_at)]
        .into_iter()
        .flatten()
        .any(|l| matches!(l, Location::S3 { .. }))
        || args
            .rejects
            .as_deref()
            .is_some_and(|r| r.starts_with("s3://"));
    let client = if needs_s3 {
        Some(s3::client(&s3::aws_config().await))
    } else {
        None
    };
    let mut input = open_input(&input_at, client.as_ref()).await?;
    let output = open_output(&output_at, client.as_ref())?;
    let rejects = match &args.rejects {
        Some(r) => Rejects::To(open_output(&Location::parse(r)?, client.as_ref())?),
        None => Rejects::Sample(Vec::new()),
    };
    let spec = run::JobSpec {
        dialect: args.csv.dialect(),
        kind: run::JobKind::Filter(options),
    };
    // A rejects file asked for by name is written even when empty, so no
    // stale one remains.
    let (report, sample) = spec
        .run_to_commit(&mut input, output, rejects, true)
        .await?;
    if !args.quiet {
        eprintln!("sluice filter: {}: {report}", input.name());
        if !sample.is_empty() {
            eprintln!("sluice filter: rejected rows (keep them all with --rejects FILE):");
            eprint!("{}", String::from_utf8_lossy(&sample));
        }
    }
    Ok(())
}

async fn open_input(at: &Location, client: Option<&aws_sdk_s3::Client>) -> anyhow::Result<Input> {
    match at {
        Location::Std => Input::open(None),
        Location::Path(p) => Input::open(Some(p)),
        Location::S3 { bucket, key } => {
            let client = client.expect("an S3 client is built for S3 locations");
            Ok(Input::S3(s3::Reader::open(client, bucket, key).await?))
        }
    }
}

fn open_output(at: &Location, client: Option<&aws_sdk_s3::Client>) -> anyhow::Result<Output> {
    match at {
        Location::Std => Output::create(None),
        Location::Path(p) => Output::create(Some(p)),
        Location::S3 { bucket, key } => {
            anyhow::ensure!(!key.is_empty(), "{at}: an output needs a key");
            let client = client.expect("an S3 client is built for S3 locations");
            Ok(Output::S3(s3::Writer::new(
                client,
                bucket,
                key,
                Default::default(),
            )))
        }
    }
}
