//! What receives events.

use crate::Envelope;
use plenum_errors::ServiceError;
use plenum_tenancy::{PlatformEvent, TenantTx};

/// Something that reacts to a tenant's events: keeps a read model up to date, feeds the
/// search index, invalidates caches, relays events to Redis.
///
/// # Delivery guarantees
///
/// The [`Dispatcher`](crate::Dispatcher) hands a consumer up to
/// [`batch_limit`](Consumer::batch_limit) events at a time, in `seq` order, through
/// [`handle_batch`](Consumer::handle_batch) (whose default calls
/// [`handle`](Consumer::handle) for each event). The call runs inside the tenant transaction
/// that also advances this consumer's cursor past the batch's last event. Whatever the handler
/// writes through `tx` commits together with the cursor or not at all, so effects in the tenant
/// schema happen exactly once.
///
/// Effects outside that transaction (another store, a message, a cache) happen *at least*
/// once: if the process dies, or the commit fails, after the effect but before the cursor is
/// committed, the batch is handed over again. Such consumers must be idempotent by
/// [`Envelope::id`].
///
/// Returning an error rolls the transaction back (the handler's writes for the whole batch
/// included) and stops this consumer for the tenant until the next round, when the same
/// events are offered again, starting with the batch's first. An error at the third event of a
/// batch therefore repeats the outside effects of the first two. The other consumers are not
/// held up. A handler that cannot ever succeed for an event blocks its own consumer for that
/// tenant, which is deliberate: skipping would lose it.
#[async_trait::async_trait]
pub trait Consumer: Send + Sync {
    /// The key of this consumer's cursor. It must never change once released (a new name
    /// starts over from the oldest event still in the outbox) and be unique in a process.
    fn name(&self) -> &'static str;

    /// The most events handed over in one [`handle_batch`](Consumer::handle_batch) call, and
    /// so in one transaction. The default of 1 hands over one event per transaction; a
    /// consumer whose effect is cheaper in bulk (one round trip to another store) asks for
    /// more. Zero counts as 1.
    fn batch_limit(&self) -> usize {
        1
    }

    /// Handles one event. `tx.scope()` is the tenant the event belongs to, and
    /// `event.tenant` is always the same tenant.
    async fn handle(&self, tx: &TenantTx, event: &Envelope) -> Result<(), ServiceError>;

    /// Handles consecutive events of one tenant (at least one, at most
    /// [`batch_limit`](Consumer::batch_limit)), in `seq` order, in one transaction. The
    /// default hands them to [`handle`](Consumer::handle) one after the other and stops at the
    /// first error. An error means none of the batch counts as handled.
    async fn handle_batch(&self, tx: &TenantTx, events: &[Envelope]) -> Result<(), ServiceError> {
        for event in events {
            self.handle(tx, event).await?;
        }
        Ok(())
    }
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
