//! The transaction's storage view: its write buffer over a base state (the access
//! checks are the host's, [`crate::host::TxHost::sload`]).

use crate::state::{SeededHashMap, SlotKey, StateRead};
use braid_bytecode::U256;

/// Up to this many buffered words are found by a linear scan; past it a hash index
/// is built (transactions write a handful of words; loops may write many).
const LINEAR_MAX: usize = 16;

/// A transaction's buffered writes: each slot once with its latest value, in the
/// order the transaction first wrote it (deterministic, so a commit replays it in a
/// fixed order). Small buffers are scanned; large ones use a hash index.
#[derive(Clone, Debug, Default)]
pub struct WriteBuffer {
    entries: Vec<(SlotKey, U256)>,
    /// The index of the access-set entry that allowed each write (beside `entries`).
    allowed: Vec<u32>,
    /// Slot → position in `entries`, maintained only past [`LINEAR_MAX`] entries.
    index: SeededHashMap<SlotKey, usize>,
}

impl WriteBuffer {
    /// The position of `key`'s entry.
    fn position(&self, key: &SlotKey) -> Option<usize> {
        if self.entries.len() > LINEAR_MAX {
            return self.index.get(key).copied();
        }
        self.entries.iter().position(|(k, _)| same_slot(k, key))
    }

    /// The buffered value of a slot.
    pub fn get(&self, key: &SlotKey) -> Option<U256> {
        let i = self.position(key)?;
        self.entries.get(i).map(|e| e.1)
    }

    /// Buffers a write that access-set entry `entry` allowed (replacing an earlier
    /// one to the same slot).
    pub fn insert(&mut self, key: SlotKey, value: U256, entry: usize) {
        if let Some(e) = self.position(&key).and_then(|i| self.entries.get_mut(i)) {
            e.1 = value;
            return;
        }
        self.entries.push((key, value));
        self.allowed.push(u32::try_from(entry).unwrap_or(u32::MAX));
        let n = self.entries.len();
        if n == LINEAR_MAX + 1 {
            self.index.clear();
            self.index
                .extend(self.entries.iter().enumerate().map(|(i, (k, _))| (*k, i)));
        } else if n > LINEAR_MAX {
            self.index.insert(key, n - 1);
        }
    }

    /// Reserves room for `n` more entries.
    pub fn reserve(&mut self, n: usize) {
        self.entries.reserve(n);
        self.allowed.reserve(n);
    }

    /// The buffered writes, in first-write order.
    pub fn entries(&self) -> &[(SlotKey, U256)] {
        &self.entries
    }

    /// The access-set entry that allowed each write of [`WriteBuffer::entries`]
    /// (its first write, when a slot was written more than once).
    pub fn allowed(&self) -> &[u32] {
        &self.allowed
    }

    /// The number of buffered slots.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// How many slots the buffer holds without reallocating.
    pub fn capacity(&self) -> usize {
        self.entries.capacity()
    }

    /// Whether nothing is buffered.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Drops every buffered write, keeping the allocations.
    pub fn clear(&mut self) {
        self.entries.clear();
        self.allowed.clear();
        self.index.clear();
    }

    /// Takes the buffered writes, leaving the buffer empty.
    pub fn take_entries(&mut self) -> Vec<(SlotKey, U256)> {
        self.index.clear();
        self.allowed.clear();
        std::mem::take(&mut self.entries)
    }
}

/// Slot equality testing the most discriminating parts first.
fn same_slot(a: &SlotKey, b: &SlotKey) -> bool {
    a.key == b.key && a.word == b.word && a.field == b.field && a.contract == b.contract
}

/// A transaction's view of storage: its own buffered writes over a base state.
///
/// Writes stay in the buffer until the caller commits them (after success) or
/// drops them (after a failure): a transaction is atomic across all its callees.
/// A scheduler instantiates one per transaction over its block overlay.
pub struct TxStorage<'a, S: StateRead + ?Sized> {
    base: &'a S,
    writes: WriteBuffer,
}

impl<'a, S: StateRead + ?Sized> TxStorage<'a, S> {
    /// An empty buffer over `base`.
    pub fn new(base: &'a S) -> Self {
        Self::with_buffer(base, WriteBuffer::default())
    }

    /// `writes` (cleared) as the buffer over `base`.
    pub fn with_buffer(base: &'a S, mut writes: WriteBuffer) -> Self {
        writes.clear();
        TxStorage { base, writes }
    }

    /// The slot's value as this transaction sees it.
    pub fn read(&self, key: &SlotKey) -> U256 {
        match self.writes.get(key) {
            Some(v) => v,
            None => self.base.storage(key),
        }
    }

    /// [`TxStorage::read`] of a slot whose read the access-set entry `entry`
    /// allowed (a hint the base may use to find the slot faster).
    pub fn read_entry(&self, key: &SlotKey, entry: usize) -> U256 {
        match self.writes.get(key) {
            Some(v) => v,
            None => self.base.storage_entry(key, entry),
        }
    }

    /// Buffers a write that access-set entry `entry` allowed (zero means delete
    /// when committed).
    pub fn write(&mut self, key: SlotKey, value: U256, entry: usize) {
        self.writes.insert(key, value, entry);
    }

    /// Reserves room for `n` more buffered slots.
    pub fn reserve(&mut self, n: usize) {
        self.writes.reserve(n);
    }

    /// The buffered writes.
    pub fn writes(&self) -> &WriteBuffer {
        &self.writes
    }

    /// Takes the buffered writes.
    pub fn into_writes(self) -> WriteBuffer {
        self.writes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(key: u64) -> SlotKey {
        SlotKey {
            contract: [7; 20],
            field: 1,
            key: U256::from(key),
            word: 0,
        }
    }

    #[test]
    fn each_write_keeps_the_entry_that_first_allowed_it() {
        // Past LINEAR_MAX too, where the buffer finds slots through its index.
        for n in [3u64, 40] {
            let mut w = WriteBuffer::default();
            for k in 0..n {
                w.insert(slot(k), U256::from(k), k as usize + 10);
            }
            w.insert(slot(1), U256::from(99), 0);
            assert_eq!(w.len(), n as usize);
            assert_eq!(w.allowed().len(), w.entries().len());
            assert_eq!(w.get(&slot(1)), Some(U256::from(99)));
            let want: Vec<u32> = (0..n).map(|k| k as u32 + 10).collect();
            assert_eq!(w.allowed(), want.as_slice(), "{n} writes");
            w.clear();
            assert!(w.allowed().is_empty());
        }
    }
}
