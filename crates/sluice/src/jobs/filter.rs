//! The filter job's outputs: the selected rows, byte for byte as they came
//! in, to one output; the rejected rows to another, or sampled.

use super::{Clients, Done, Plan};
use crate::pipeline::commit::{Output, OutputOptions};
use crate::pipeline::read::Input;
use crate::pipeline::{run_to_commit, Rejects};
use sluice_engine::{Dialect, Engine, Filter, FilterOptions};

/// The filter over `input` into the plan's result and rejects.
pub async fn run(
    dialect: Dialect,
    options: &FilterOptions,
    clients: &Clients,
    input: &mut Input,
    plan: &Plan,
) -> anyhow::Result<Done> {
    let at = plan
        .result
        .clone()
        .unwrap_or(crate::pipeline::location::Location::Std);
    let output = Output::create(&at, clients.s3.as_ref(), output_options(plan, &at, input))?;
    let rejects = match rejects(plan, clients, input) {
        Ok(rejects) => rejects,
        Err(e) => {
            output.abort().await;
            return Err(e);
        }
    };
    let engine = Engine::new(dialect, Filter::new(options.clone()));
    let (summary, (), sample) = run_to_commit(engine, input, output, rejects).await?;
    Ok(Done {
        summary,
        input: input.facts.clone(),
        output: at.to_string(),
        line: summary.to_string(),
        sample,
        ..Done::default()
    })
}

/// The options of an output at `at`: the plan's metadata, compressed as
/// the plan says for this input.
pub fn output_options(
    plan: &Plan,
    at: &crate::pipeline::location::Location,
    input: &Input,
) -> OutputOptions {
    OutputOptions {
        metadata: plan.metadata.clone(),
        compression: plan.compression(at, &input.facts),
        json: false,
    }
}

/// The rejects the plan asks for: an output, or a sample.
pub fn rejects(plan: &Plan, clients: &Clients, input: &Input) -> anyhow::Result<Rejects> {
    let Some(at) = &plan.rejects else {
        return Ok(Rejects::Sample(Vec::new()));
    };
    let output = Output::create(at, clients.s3.as_ref(), output_options(plan, at, input))?;
    Ok(Rejects::To {
        output: Box::new(output),
        keep_empty: plan.keep_empty_rejects,
    })
}
