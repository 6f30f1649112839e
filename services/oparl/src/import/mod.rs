//! `plenum import oparl`: brings a municipality's history over from an OParl server (1.0 or
//! 1.1) or a saved crawl, robust to the ways real servers break the rules
//! (../shared/oparl/QUIRKS.md), idempotent (ids derive from the source URLs) and incremental
//! (`--since`).

mod fetch;
mod files;
mod map;
mod normalize;
mod progress;
mod resolve;
mod run;
mod walk;

pub use fetch::Journal;
pub use files::DownloadSummary;
pub use progress::{Progress, Silent};
pub use run::{FilesMode, ImportOptions, ImportSummary, import};
pub use walk::Problem;
