//! The filter job's outputs: the selected rows, byte for byte as they came
//! in, to one output; the rejected rows to another, or sampled.

use super::{Clients, Done, Plan};
use crate::pipeline::commit::Output;
use crate::pipeline::location::Location;
use crate::pipeline::read::Input;
use crate::pipeline::run_to_commit;
use sluice_engine::{Dialect, Engine, Filter, FilterOptions, ThresholdFilter};

/// The filter over `input` into the plan's result and rejects.
pub async fn run(
    dialect: Dialect,
    options: &FilterOptions,
    clients: &Clients,
    input: &mut Input,
    plan: &Plan,
) -> anyhow::Result<Done> {
    let at = plan.result.clone().unwrap_or(Location::Std);
    let output = Output::create(&at, clients.s3.as_ref(), plan.output_options(&at, input))?;
    let rejects = match plan.rejects_for(clients, input) {
        Ok(rejects) => rejects,
        Err(e) => {
            output.abort().await;
            return Err(e);
        }
    };
    // The threshold rule alone when there is no expression or projection:
    // the common filter then pays nothing per field for them.
    let (summary, (), sample) = if options.expression.is_none() && options.select.is_empty() {
        let engine = Engine::new(dialect, ThresholdFilter::new(options.clone()));
        run_to_commit(engine, input, output, rejects, plan.ledger.clone()).await?
    } else {
        let engine = Engine::new(dialect, Filter::new(options.clone()));
        run_to_commit(engine, input, output, rejects, plan.ledger.clone()).await?
    };
    Ok(Done {
        summary,
        input: input.facts.clone(),
        output: at.to_string(),
        line: summary.to_string(),
        sample,
        ..Done::default()
    })
}
