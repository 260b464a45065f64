//! `sluice`: the command-line door. Parses arguments and hands over to the
//! command; errors are printed once, with their context, and set the exit
//! code.

mod cli;
mod io;
mod location;
mod run;

use anyhow::Context;
use clap::Parser;
use cli::{Cli, Command, FilterArgs};
use io::{Input, Output};
use location::Location;
use run::Rejects;
use sluice_engine::{Engine, Filter};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
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

async fn dispatch(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Filter(args) => filter(args).await,
    }
}

/// `sluice filter`: local paths or stdin/stdout.
async fn filter(args: FilterArgs) -> anyhow::Result<()> {
    let options = args.options()?;
    let input_at = Location::parse_or_std(args.input.as_deref())?;
    let output_at = Location::parse_or_std(args.output.as_deref())?;
    if let (Location::Path(i), Location::Path(o)) = (&input_at, &output_at) {
        let same = i == o
            || std::fs::canonicalize(i)
                .ok()
                .zip(std::fs::canonicalize(o).ok())
                .is_some_and(|(a, b)| a == b);
        anyhow::ensure!(
            !same,
            "{}: the output would overwrite the input",
            o.display()
        );
    }
    let mut input = Input::open(local(&input_at)?)?;
    let mut output = Output::create(local(&output_at)?)?;
    let mut rejects = match &args.rejects {
        Some(r) => Rejects::To(Output::create(Some(std::path::Path::new(r)))?),
        None => Rejects::Sample(Vec::new()),
    };
    let engine = Engine::new(args.csv.dialect(), Filter::new(options));
    let result = run::stream(engine, &mut input, &mut output, &mut rejects).await;
    let report = match result {
        Ok((report, _)) => report,
        Err(e) => {
            output.abort().await;
            if let Rejects::To(r) = rejects {
                r.abort().await;
            }
            return Err(e);
        }
    };
    output.commit().await?;
    if !args.quiet {
        eprintln!("sluice filter: {}: {report}", input.name());
    }
    match rejects {
        Rejects::To(r) => r.commit().await?,
        Rejects::Sample(sample) if !sample.is_empty() && !args.quiet => {
            eprintln!("sluice filter: rejected rows (keep them all with --rejects FILE):");
            eprint!("{}", String::from_utf8_lossy(&sample));
        }
        Rejects::Sample(_) => {}
    }
    Ok(())
}

fn local(at: &Location) -> anyhow::Result<Option<&std::path::Path>> {
    match at {
        Location::Std => Ok(None),
        Location::Path(p) => Ok(Some(p)),
        Location::S3 { .. } => {
            Err(anyhow::anyhow!("{at}: S3 locations are not supported yet")).context("filter")
        }
    }
}
