//! The `plenum` binary: wires the service roles together. It is the only crate that knows all
//! of them.

pub mod app;
mod archive;
mod bench;
pub mod bench_council;
mod bench_documents;
mod bench_search;
pub mod cli;
pub mod demo;
mod import_cli;
pub mod migrations;
mod progress;
mod readiness;
mod search_cli;
