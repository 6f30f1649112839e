//! Domain events of a tenant: a transactional outbox, consumers with their own cursors, and
//! the dispatcher that hands every event to every consumer.
//!
//! # How it fits together
//!
//! - A service that changes data calls [`append`] in the same [`TenantTx`] as the change. The
//!   event is a row in the tenant schema's `outbox` table, so it exists exactly when the change
//!   does: a rolled-back change leaves no event, a committed one leaves exactly one. The outbox
//!   is the source of truth; rows are marked delivered and pruned later, never deleted on
//!   delivery.
//! - [`append`] also calls `pg_notify` in that transaction. PostgreSQL delivers a notification
//!   only on commit, so the wake-up can never announce something that did not happen.
//! - Every [`Consumer`] has a cursor (`event_cursors`, the last `seq` it has handled) in the
//!   tenant schema. The [`Dispatcher`] hands a consumer a batch of events (one by default, up
//!   to [`Consumer::batch_limit`]) inside a tenant transaction that also advances the cursor
//!   past the batch: what the handler writes into the tenant schema commits together with the
//!   cursor, so in the database each event takes effect exactly once. Effects outside the
//!   database (search index, mail, caches) can be repeated after a crash between the effect and
//!   the commit, or after a failure later in the same batch: such consumers must be idempotent
//!   by event id.
//! - [`Dispatcher::run`] is the background loop of the all-in-one process: it listens for the
//!   notifications and also sweeps every tenant periodically, because notifications are lost
//!   whenever nobody is listening.
//! - In split mode, services in other processes get events through Redis Streams
//!   ([`stream`]): the [`Relay`] is a consumer that publishes every tenant's events to one
//!   stream, 500 to a batch, and lets its cursor advance only once Redis has them, so an event
//!   is never lost on the way and at worst published twice. A [`StreamWorker`] per service
//!   reads the stream in the service's consumer group, hands batches to a [`StreamHandler`],
//!   acknowledges them only after it succeeded, re-claims what a crashed worker left pending,
//!   trims what every group has acknowledged, and rides out Redis outages.
//! - The installation-wide outbox (`control.platform_events`, e.g. `tenant.purged`, written by
//!   `plenum-tenancy`) is delivered the same way to [`PlatformConsumer`]s, with cursors in the
//!   control schema.
//!
//! # Ordering
//!
//! Each consumer sees a tenant's events in `seq` order, and `seq` order is commit order: see
//! [`append`] for the lock that makes it so. Without it, a transaction that took a sequence
//! number early but committed late would be overtaken by a cursor and its event never
//! delivered. There is no order across tenants.
//!
//! # Schema changes
//!
//! The dispatcher visits every tenant all the time. Its transactions first take the shared
//! side of the per-schema lock that migrations and purges hold exclusively
//! ([`TenantTx::hold_off_schema_changes`]), so a purge waits for a delivery in progress instead
//! of deadlocking with it, and a delivery after a purge ends with an error about missing tables
//! (logged; the tenant is gone from the next sweep).
//!
//! [`TenantTx::hold_off_schema_changes`]: plenum_tenancy::TenantTx::hold_off_schema_changes
//!
//! [`TenantTx`]: plenum_tenancy::TenantTx

mod consumer;
mod dispatcher;
mod migrations;
mod outbox;
pub mod stream;

pub use consumer::{Consumer, PlatformConsumer};
pub use dispatcher::{DeliveryFailure, DeliveryReport, Dispatcher, SWEEP_INTERVAL};
pub use migrations::migrations;
pub use outbox::{CHANNEL, Envelope, NewEvent, append, append_many};
pub use plenum_tenancy::{PLATFORM_CHANNEL, PlatformEvent};
pub use stream::{Relay, STREAM_KEY, StreamHandler, StreamWorker, Tailed, tail};
