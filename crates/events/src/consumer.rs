//! What receives events.

use crate::Envelope;
use plenum_errors::ServiceError;
use plenum_tenancy::{PlatformEvent, TenantTx};

/// Something that reacts to a tenant's events: keeps a read model up to date, feeds the
/// search index, invalidates caches.
///
/// # Delivery guarantees
///
/// [`handle`](Consumer::handle) runs inside the tenant transaction that also advances this
/// consumer's cursor past the event. Whatever the handler writes through `tx` commits together
/// with the cursor or not at all, so effects in the tenant schema happen exactly once.
///
/// Effects outside that transaction (another store, a message, a cache) happen *at least*
/// once: if the process dies, or the commit fails, after the effect but before the cursor is
/// committed, the event is handed over again. Such consumers must be idempotent by
/// [`Envelope::id`].
///
/// Returning an error rolls the transaction back (the handler's writes included) and stops
/// this consumer for the tenant until the next round, when the same event is offered again.
/// The other consumers are not held up. A handler that cannot ever succeed for an event
/// blocks its own consumer for that tenant, which is deliberate: skipping would lose it.
#[async_trait::async_trait]
pub trait Consumer: Send + Sync {
    /// The key of this consumer's cursor. It must never change once released (a new name
    /// starts over from the oldest event still in the outbox) and be unique in a process.
    fn name(&self) -> &'static str;

    /// Handles one event. `tx.scope()` is the tenant the event belongs to, and
    /// `event.tenant` is always the same tenant.
    async fn handle(&self, tx: &TenantTx, event: &Envelope) -> Result<(), ServiceError>;
}

/// Something that reacts to installation-wide events (`control.platform_events`), such as
/// `tenant.purged`: remove what a service keeps about the tenant outside the database.
///
/// No transaction is handed over: the effects are outside the database, so they happen at
/// least once and the handler must be idempotent by [`PlatformEvent::id`]. An error leaves
/// the cursor where it was; the event is offered again next round. Names are separate from
/// [`Consumer`] names (their cursors live in the control schema).
#[async_trait::async_trait]
pub trait PlatformConsumer: Send + Sync {
    /// The key of this consumer's cursor; never changes once released.
    fn name(&self) -> &'static str;

    async fn handle(&self, event: &PlatformEvent) -> Result<(), ServiceError>;
}
