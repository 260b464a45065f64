//! `sluice`: the command-line door, and the entry of the other doors (the
//! folder watcher, the queue worker, the Lambda `bootstrap`). Parses
//! arguments, hands over, prints errors once with their context.

mod analytics;
mod cli;
mod events;
mod filter_cmd;
mod inspect;
mod inspect_cmd;
mod io;
mod lambda;
mod load;
mod load_cmd;
mod location;
mod log;
mod process;
mod report_cmd;
mod route;
mod run;
mod s3;
mod watch;
mod worker;

use clap::Parser;
use cli::{Cli, Command};
use process::Processor;
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
        Command::Filter(args) => filter_cmd::run(args).await,
        Command::Inspect(args) => inspect_cmd::run(args).await,
        Command::Report(args) => report_cmd::run(args).await,
        Command::Load(args) => load_cmd::run(args).await,
        Command::Watch(args) => watch::run(&args, &args.job.spec()?).await,
        Command::Worker(args) => {
            let (route, spec) = (args.route.route(args.job.job)?, args.job.spec()?);
            let config = s3::aws_config().await;
            let processor = Processor {
                client: s3::client(&config),
                table: load::Table::for_job(&spec, &config).await?,
                route,
                spec,
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
            let (route, spec) = (args.route.route(args.job.job)?, args.job.spec()?);
            let config = s3::aws_config().await;
            lambda::serve(Processor {
                client: s3::client(&config),
                table: load::Table::for_job(&spec, &config).await?,
                route,
                spec,
            })
            .await
        }
    }
}
