//! What an import tells whoever watches it. The command draws a progress bar per stage from
//! it; tests and the library default watch nothing.

/// The stages of an import, in order: one per Body list, the objects linked but not listed,
/// the write, and the files' bytes.
pub trait Progress: Sync {
    /// A stage begins, with how many items it has when that is known.
    fn stage(&self, name: &str, total: Option<u64>);
    /// The current stage's total became known (a list's first page says it).
    fn total(&self, total: u64);
    /// `n` more items of the current stage are done.
    fn advance(&self, n: u64);
    /// The current stage ended; `outcome` says how, in a few words.
    fn done(&self, outcome: &str);
}

/// Nobody watches.
pub struct Silent;

impl Progress for Silent {
    fn stage(&self, _: &str, _: Option<u64>) {}
    fn total(&self, _: u64) {}
    fn advance(&self, _: u64) {}
    fn done(&self, _: &str) {}
}
