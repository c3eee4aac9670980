//! World state: storage slots, deployed code and deploy counts in persistent maps.
//!
//! Every map is from `im` (imbl), so cloning a [`WorldState`] is O(1) and a block can
//! keep the world before it for free. Storage is one flat map from [`SlotKey`] —
//! (contract, field, map key word, word index) — to a non-zero word: writing zero
//! deletes the entry, so two worlds with the same contents have the same entries and
//! the same [`WorldState::digest`].
//!
//! The hash maps use a fast hasher with a fixed seed ([`FixedState`], foldhash): no
//! per-process random seed, so performance is reproducible. No result ever depends on
//! the hasher or on hash-map iteration order: the digest sorts.

use crate::Address;
use braid_bytecode::U256;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};

/// The deterministic hasher state of every hash map of the VM: foldhash's fast
/// hasher with its fixed default seed (not DoS-resistant, like any fixed seed; it
/// affects only speed, never a result).
pub type FixedState = foldhash::fast::FixedState;

/// The persistent storage map.
pub type StorageMap =
    im::GenericHashMap<SlotKey, U256, FixedState, im::shared_ptr::DefaultSharedPtr>;

/// A std hash map with the fixed hasher (write buffers, block overlays).
pub type FixedHashMap<K, V> = HashMap<K, V, FixedState>;

/// One storage word: `field[key]` word `word` of `contract`.
///
/// Ordered by (contract, field, key, word), the order of the digest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct SlotKey {
    /// The contract that owns the storage.
    pub contract: Address,
    /// The field index in the contract's storage layout.
    pub field: u16,
    /// The map key word ([`braid_bytecode::encode::map_key_word`]); 0 for a scalar field.
    pub key: U256,
    /// The word within the (flattened) value.
    pub word: u16,
}

/// Hashes every field (consistent with `Eq`) as four wide integers rather than byte
/// by byte: 56 bytes in four hasher steps.
impl Hash for SlotKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let [
            a0,
            a1,
            a2,
            a3,
            a4,
            a5,
            a6,
            a7,
            a8,
            a9,
            a10,
            a11,
            a12,
            a13,
            a14,
            a15,
            b0,
            b1,
            b2,
            b3,
        ] = self.contract;
        let head = u128::from_le_bytes([
            a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15,
        ]);
        let tail = u64::from(u32::from_le_bytes([b0, b1, b2, b3]))
            | (u64::from(self.field) << 32)
            | (u64::from(self.word) << 48);
        let [k0, k1, k2, k3] = *self.key.as_limbs();
        state.write_u128(head);
        state.write_u64(tail);
        state.write_u128(u128::from(k0) | (u128::from(k1) << 64));
        state.write_u128(u128::from(k2) | (u128::from(k3) << 64));
    }
}

/// Read access to storage: the world itself, or the world under a block's committed
/// writes (what a scheduler's workers read through).
pub trait StateRead {
    /// The current value of a slot (zero when absent).
    fn storage(&self, key: &SlotKey) -> U256;
}

/// The world: storage, the code hash deployed at each address, and how many contracts
/// each address has deployed.
#[derive(Clone, Debug, Default)]
pub struct WorldState {
    storage: StorageMap,
    code: im::OrdMap<Address, [u8; 32]>,
    deploy_counts: im::OrdMap<Address, u64>,
}

impl StateRead for WorldState {
    fn storage(&self, key: &SlotKey) -> U256 {
        self.get(key)
    }
}

impl WorldState {
    /// An empty world.
    pub fn new() -> WorldState {
        WorldState::default()
    }

    /// A slot's value (zero when absent).
    pub fn get(&self, key: &SlotKey) -> U256 {
        self.storage.get(key).copied().unwrap_or(U256::ZERO)
    }

    /// Sets a slot; zero deletes it.
    pub fn set(&mut self, key: SlotKey, value: U256) {
        set_slot(&mut self.storage, key, value);
    }

    /// Applies a transaction's (or a block's) writes.
    pub fn apply<I: IntoIterator<Item = (SlotKey, U256)>>(&mut self, writes: I) {
        apply_writes(&mut self.storage, writes);
    }

    /// The deployed code (read) and the storage (read and write) at once, for an
    /// executor that resolves code while it commits storage.
    pub fn code_and_storage_mut(&mut self) -> (&im::OrdMap<Address, [u8; 32]>, &mut StorageMap) {
        (&self.code, &mut self.storage)
    }

    /// The number of non-zero storage words.
    pub fn storage_len(&self) -> usize {
        self.storage.len()
    }

    /// Every non-zero storage word, sorted by key (for inspection and the REPL).
    pub fn storage_sorted(&self) -> Vec<(SlotKey, U256)> {
        let mut v: Vec<(SlotKey, U256)> = self.storage.iter().map(|(k, v)| (*k, *v)).collect();
        v.sort_unstable_by_key(|e| e.0);
        v
    }

    /// The code hash deployed at an address.
    pub fn code_hash(&self, addr: &Address) -> Option<[u8; 32]> {
        self.code.get(addr).copied()
    }

    /// Records code deployed at an address.
    pub fn set_code(&mut self, addr: Address, code_hash: [u8; 32]) {
        self.code.insert(addr, code_hash);
    }

    /// Every deployed contract with its code hash, by address.
    pub fn contracts(&self) -> impl Iterator<Item = (&Address, &[u8; 32])> {
        self.code.iter()
    }

    /// How many contracts `deployer` has deployed.
    pub fn deploy_count(&self, deployer: &Address) -> u64 {
        self.deploy_counts.get(deployer).copied().unwrap_or(0)
    }

    /// Sets the deploy count of `deployer`.
    pub fn set_deploy_count(&mut self, deployer: Address, count: u64) {
        self.deploy_counts.insert(deployer, count);
    }

    /// The state digest: blake3 over this canonical encoding (all integers big-endian):
    ///
    /// ```text
    /// "braid:state:v1"
    /// "storage" ‖ n: u64 ‖ n × ( contract: 20 bytes ‖ field: u16 ‖ key: 32 bytes
    ///                            ‖ word: u16 ‖ value: 32 bytes )
    ///            entries sorted by (contract, field, key, word); zero values are absent
    /// "code"    ‖ n: u64 ‖ n × ( address: 20 bytes ‖ code hash: 32 bytes )   sorted by address
    /// "deploys" ‖ n: u64 ‖ n × ( deployer: 20 bytes ‖ count: u64 )           sorted by deployer
    /// ```
    ///
    /// It depends only on the world's contents: not on history, insertion order,
    /// hasher, thread count or machine.
    pub fn digest(&self) -> [u8; 32] {
        let mut h = blake3::Hasher::new();
        h.update(b"braid:state:v1");
        let mut entries: Vec<(&SlotKey, &U256)> = self.storage.iter().collect();
        entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
        h.update(b"storage");
        h.update(&(entries.len() as u64).to_be_bytes());
        for (k, v) in entries {
            h.update(&k.contract);
            h.update(&k.field.to_be_bytes());
            h.update(&k.key.to_be_bytes::<32>());
            h.update(&k.word.to_be_bytes());
            h.update(&v.to_be_bytes::<32>());
        }
        h.update(b"code");
        h.update(&(self.code.len() as u64).to_be_bytes());
        for (addr, hash) in &self.code {
            h.update(addr);
            h.update(hash);
        }
        h.update(b"deploys");
        h.update(&(self.deploy_counts.len() as u64).to_be_bytes());
        for (addr, n) in &self.deploy_counts {
            h.update(addr);
            h.update(&n.to_be_bytes());
        }
        *h.finalize().as_bytes()
    }
}

impl StateRead for StorageMap {
    fn storage(&self, key: &SlotKey) -> U256 {
        self.get(key).copied().unwrap_or(U256::ZERO)
    }
}

/// Sets a slot of a storage map; zero deletes it.
pub fn set_slot(storage: &mut StorageMap, key: SlotKey, value: U256) {
    if value.is_zero() {
        storage.remove(&key);
    } else {
        storage.insert(key, value);
    }
}

/// Applies writes to a storage map in order (zero deletes).
pub fn apply_writes<I: IntoIterator<Item = (SlotKey, U256)>>(storage: &mut StorageMap, writes: I) {
    for (k, v) in writes {
        set_slot(storage, k, v);
    }
}

/// A world under a set of newer writes (a block's committed writes so far): reads
/// see the newest value. Zero in `writes` means deleted.
#[derive(Clone, Copy, Debug)]
pub struct Overlay<'a, B: StateRead + ?Sized> {
    /// The world before the block.
    pub base: &'a B,
    /// Newer values by slot.
    pub writes: &'a FixedHashMap<SlotKey, U256>,
}

impl<B: StateRead + ?Sized> StateRead for Overlay<'_, B> {
    fn storage(&self, key: &SlotKey) -> U256 {
        match self.writes.get(key) {
            Some(v) => *v,
            None => self.base.storage(key),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(c: u8, field: u16, key: u64, word: u16) -> SlotKey {
        SlotKey {
            contract: [c; 20],
            field,
            key: U256::from(key),
            word,
        }
    }

    #[test]
    fn zero_deletes_and_clone_is_independent() {
        let mut w = WorldState::new();
        w.set(slot(1, 0, 5, 0), U256::from(7));
        let before = w.clone();
        w.set(slot(1, 0, 5, 0), U256::ZERO);
        assert_eq!(w.storage_len(), 0);
        assert_eq!(before.get(&slot(1, 0, 5, 0)), U256::from(7));
        assert_eq!(w.get(&slot(1, 0, 5, 0)), U256::ZERO);
        assert_eq!(w.digest(), WorldState::new().digest());
    }

    #[test]
    fn digest_is_independent_of_insertion_order() {
        let keys: Vec<SlotKey> = (0..200u64)
            .map(|i| slot((i % 7) as u8, (i % 3) as u16, i * 7919, (i % 2) as u16))
            .collect();
        let mut a = WorldState::new();
        for (i, k) in keys.iter().enumerate() {
            a.set(*k, U256::from(i + 1));
        }
        let mut b = WorldState::new();
        for (i, k) in keys.iter().enumerate().rev() {
            b.set(*k, U256::from(i + 1));
        }
        b.set(slot(9, 9, 9, 9), U256::from(3));
        b.set(slot(9, 9, 9, 9), U256::ZERO);
        assert_eq!(a.digest(), b.digest());
        b.set(keys[3], U256::from(1000));
        assert_ne!(a.digest(), b.digest());
    }

    #[test]
    fn digest_is_pinned() {
        // The canonical encoding is part of the format: this value must never change
        // without a version bump of the "braid:state:v1" domain.
        let mut w = WorldState::new();
        w.set(slot(1, 2, 3, 0), U256::from(42));
        w.set_code([1; 20], [9; 32]);
        w.set_deploy_count([2; 20], 1);
        let mut h = blake3::Hasher::new();
        h.update(b"braid:state:v1");
        h.update(b"storage");
        h.update(&1u64.to_be_bytes());
        h.update(&[1; 20]);
        h.update(&2u16.to_be_bytes());
        h.update(&U256::from(3).to_be_bytes::<32>());
        h.update(&0u16.to_be_bytes());
        h.update(&U256::from(42).to_be_bytes::<32>());
        h.update(b"code");
        h.update(&1u64.to_be_bytes());
        h.update(&[1; 20]);
        h.update(&[9; 32]);
        h.update(b"deploys");
        h.update(&1u64.to_be_bytes());
        h.update(&[2; 20]);
        h.update(&1u64.to_be_bytes());
        assert_eq!(w.digest(), *h.finalize().as_bytes());
    }

    #[test]
    fn overlay_reads_newest() {
        let mut w = WorldState::new();
        w.set(slot(1, 0, 0, 0), U256::from(1));
        w.set(slot(1, 0, 1, 0), U256::from(2));
        let mut writes = FixedHashMap::default();
        writes.insert(slot(1, 0, 0, 0), U256::from(10));
        writes.insert(slot(1, 0, 1, 0), U256::ZERO);
        let o = Overlay {
            base: &w,
            writes: &writes,
        };
        assert_eq!(o.storage(&slot(1, 0, 0, 0)), U256::from(10));
        assert_eq!(o.storage(&slot(1, 0, 1, 0)), U256::ZERO);
        assert_eq!(o.storage(&slot(1, 0, 2, 0)), U256::ZERO);
    }
}
