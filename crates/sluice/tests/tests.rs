//! Integration tests: the `sluice` binary run as a user runs it. Tests
//! that touch AWS talk to moto's server, started by scripts/test.sh.

mod aws_inspect;
mod aws_lambda;
mod aws_lambda_memory;
mod aws_load;
mod aws_load_doors;
mod aws_load_errors;
mod aws_load_limits;
mod aws_metrics;
mod aws_ranged;
mod aws_report;
mod aws_worker;
mod backfill;
mod cli_filter;
mod cli_inspect;
mod cli_report;
mod cli_where;
mod commit_faults;
mod emf;
mod exactly_once;
mod fault_proxy;
mod faults;
mod overflow;
mod pipeline;
mod pipeline_commit;
mod pipeline_refused;
mod progress;
mod runtime_api;
mod util;
mod watch;
mod where_duckdb;
