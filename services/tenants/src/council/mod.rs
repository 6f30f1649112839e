//! The council domain in each tenant's schema: terms, organizations, persons, memberships,
//! locations, meetings, agenda items, papers, consultations and file metadata.
//!
//! Every change runs in one tenant transaction that also writes an audit row and an outbox
//! event; numbers and references are drawn from per-tenant counters in the same transaction.

mod access_log;
mod api;
pub mod deadlines;
mod http;
pub mod model;
pub mod numbering;
mod query;
mod search_source;
mod service;
mod store;
mod validate;
mod visibility;
pub mod workflow;

pub use api::{
    AccessLogEntry, AccessLogPage, AccessLogQuery, CouncilApi, FileContent, Filter, INDEXED_KINDS,
    ImportBatch, ImportReport, ImportSource, IndexSource, ListQuery, MAX_BATCH, MAX_PAGE_SIZE,
    MAX_SOURCES, Page, Relation, SortBy, SourceRequest, ViewerProfile,
};
pub use http::{CouncilClient, routes};
pub use service::{CouncilService, agenda_numbers, meeting_year};
