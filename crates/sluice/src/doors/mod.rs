//! The doors: how work arrives. The command line, the folder watcher, the
//! Lambda handler and the queue worker each say where an input is and how
//! its outputs are named, then hand over to [`crate::jobs::run`]; the
//! Lambda handler and the worker share the per-object handling
//! ([`object`]), the event parsing ([`events`]) and the routing ([`route`]).

pub mod batch;
pub mod cli;
pub mod events;
pub mod lambda;
pub mod object;
pub mod overflow;
pub mod prefix;
pub mod route;
pub mod watch;
pub mod worker;
