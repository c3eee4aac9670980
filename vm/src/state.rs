//! World state: storage slots, deployed code and deploy counts in persistent maps.
//!
//! Every map is from `im` (imbl), so cloning a [`WorldState`] is O(1) and a block can
//! keep the world before it for free. Storage maps [`SlotKey`] — (contract, field,
//! map key word, word index) — to a non-zero word: writing zero deletes the entry, so
//! two worlds with the same contents have the same entries and the same
//! [`WorldState::digest`].
//!
//! Storage is split into [`SHARDS`] persistent maps by a hash of the key, so that a
//! block's writes can be committed by several threads at once ([`Storage::commit_sharded`]),
//! one group of shards each; a clone is still O(1) (one pointer per shard).
//!
//! Contract code and transaction arguments choose storage keys, so every hash here is
//! seeded per process from a random source ([`SeededState`]): keys chosen to collide
//! under one seed spread under another (vm spec §3). No result ever depends on the
//! seed or on hash-map iteration order: the digest sorts.

use crate::Address;
use braid_bytecode::U256;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::LazyLock;

/// The hasher state of every hash-keyed structure of the VM: foldhash's fast hasher
/// with a per-process random seed and a random per-instance seed. It affects only
/// speed, never a result.
pub type SeededState = foldhash::fast::RandomState;

/// The persistent map of one storage shard.
pub type StorageMap =
    im::GenericHashMap<SlotKey, U256, SeededState, im::shared_ptr::DefaultSharedPtr>;

/// A std hash map with the seeded hasher (write buffers, block tables).
pub type SeededHashMap<K, V> = HashMap<K, V, SeededState>;

/// How many persistent maps storage is split into (a power of two).
pub const SHARDS: usize = 16;

/// The process-wide seeded hasher of a value's key (contract, field, map key): it
/// picks the value's shard, and the parallel executor's conflict key id.
static VALUE_HASHER: LazyLock<SeededState> = LazyLock::new(SeededState::default);

/// The seeded hash of the value `field[key]` of `contract` (every word of it), or
/// with `key` `None`, of the whole field (a whole-map access pattern).
pub(crate) fn value_hash(contract: &Address, field: u16, key: Option<&U256>) -> u64 {
    let mut h = VALUE_HASHER.build_hasher();
    let (head, tail) = address_words(contract);
    h.write_u128(head);
    h.write_u64(u64::from(tail) | (u64::from(field) << 32));
    match key {
        None => h.write_u8(0xff),
        Some(k) => {
            let (low, high) = key_words(k);
            h.write_u128(low);
            h.write_u128(high);
        }
    }
    h.finish()
}

/// An address as two little-endian integers (its first 16 bytes, its last 4), for
/// hashing in wide steps rather than byte by byte.
fn address_words(a: &Address) -> (u128, u32) {
    let head = a.first_chunk::<16>().map_or(0, |h| u128::from_le_bytes(*h));
    let tail = a.last_chunk::<4>().map_or(0, |t| u32::from_le_bytes(*t));
    (head, tail)
}

/// A map key as two integers (its low and high 128 bits).
fn key_words(k: &U256) -> (u128, u128) {
    let [a, b, c, d] = *k.as_limbs();
    (
        u128::from(a) | (u128::from(b) << 64),
        u128::from(c) | (u128::from(d) << 64),
    )
}

/// The shard of a value whose [`value_hash`] is `hash`: its top bits (the maps
/// themselves index by the low bits of their own hash).
pub(crate) fn shard_of_hash(hash: u64) -> usize {
    (hash >> (64 - SHARDS.trailing_zeros())) as usize
}

/// The shard of a slot (uniform under the process's random seed): every word of a
/// value is in the shard of the value's key.
pub fn shard_of(key: &SlotKey) -> usize {
    shard_of_hash(value_hash(&key.contract, key.field, Some(&key.key)))
}

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
        let (head, tail) = address_words(&self.contract);
        let tail = u64::from(tail) | (u64::from(self.field) << 32) | (u64::from(self.word) << 48);
        let (low, high) = key_words(&self.key);
        state.write_u128(head);
        state.write_u64(tail);
        state.write_u128(low);
        state.write_u128(high);
    }
}

/// Read access to storage: the world itself, or the world under a block's committed
/// writes (what a scheduler's workers read through).
pub trait StateRead {
    /// The current value of a slot (zero when absent).
    fn storage(&self, key: &SlotKey) -> U256;

    /// The value of a slot whose read the running transaction's access-set entry
    /// `entry` allowed: a hint for a view that keeps data per entry (the parallel
    /// executor's key table); the same value as [`StateRead::storage`].
    fn storage_entry(&self, key: &SlotKey, entry: usize) -> U256 {
        let _ = entry;
        self.storage(key)
    }
}

/// The world: storage, the code hash deployed at each address, and how many contracts
/// each address has deployed.
#[derive(Clone, Debug, Default)]
pub struct WorldState {
    storage: Storage,
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
        self.storage.get(key)
    }

    /// The same world with storage that shares no node with `self`
    /// ([`Storage::unshared`]).
    pub fn unshared(&self) -> WorldState {
        WorldState {
            storage: self.storage.unshared(),
            ..self.clone()
        }
    }

    /// Sets a slot; zero deletes it.
    pub fn set(&mut self, key: SlotKey, value: U256) {
        self.storage.set(key, value);
    }

    /// Applies a transaction's (or a block's) writes in order.
    pub fn apply<I: IntoIterator<Item = (SlotKey, U256)>>(&mut self, writes: I) {
        for (k, v) in writes {
            self.storage.set(k, v);
        }
    }

    /// The deployed code (read) and the storage (read and write) at once, for an
    /// executor that resolves code while it commits storage.
    pub fn code_and_storage_mut(&mut self) -> (&im::OrdMap<Address, [u8; 32]>, &mut Storage) {
        (&self.code, &mut self.storage)
    }

    /// The number of non-zero storage words.
    pub fn storage_len(&self) -> usize {
        self.storage.shards.iter().map(StorageMap::len).sum()
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

/// All storage: [`SHARDS`] persistent maps, a slot in the shard [`shard_of`] picks.
#[derive(Clone, Debug, Default)]
pub struct Storage {
    shards: [StorageMap; SHARDS],
}

impl StateRead for Storage {
    fn storage(&self, key: &SlotKey) -> U256 {
        self.get(key)
    }
}

impl Storage {
    /// A slot's value (zero when absent).
    pub fn get(&self, key: &SlotKey) -> U256 {
        self.shards
            .get(shard_of(key))
            .and_then(|m| m.get(key))
            .copied()
            .unwrap_or(U256::ZERO)
    }

    /// Sets a slot; zero deletes it.
    pub fn set(&mut self, key: SlotKey, value: U256) {
        if let Some(m) = self.shards.get_mut(shard_of(&key)) {
            set_slot(m, key, value);
        }
    }

    /// Every non-zero word, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&SlotKey, &U256)> {
        self.shards.iter().flat_map(|m| m.iter())
    }

    /// The same contents in maps that share no node with `self` (a clone shares them
    /// all, so that its first write to each node copies it).
    pub fn unshared(&self) -> Storage {
        Storage {
            shards: self
                .shards
                .each_ref()
                .map(|m| m.iter().map(|(k, v)| (*k, *v)).collect()),
        }
    }

    /// Commits a block's writes, one final value per slot, with `groups` threads:
    /// the calling thread and jobs spawned on `pool`. Thread `g` owns the shards
    /// `s` with `s % groups == g` and calls `writes(g, set)`, which must call
    /// `set(shard, slot, value)` for exactly the writes that fall in those shards.
    pub fn commit_sharded<W>(&mut self, pool: &rayon::ThreadPool, groups: usize, writes: W)
    where
        W: Fn(usize, &mut dyn FnMut(usize, SlotKey, U256)) + Sync,
    {
        let n = groups.clamp(1, SHARDS);
        let mut owned: Vec<Vec<&mut StorageMap>> = (0..n).map(|_| Vec::new()).collect();
        for (i, m) in self.shards.iter_mut().enumerate() {
            if let Some(g) = owned.get_mut(i % n) {
                g.push(m);
            }
        }
        let writes = &writes;
        let commit = move |g: usize, mut maps: Vec<&mut StorageMap>| {
            writes(g, &mut |shard, key, value| {
                if let Some(m) = maps.get_mut(shard / n) {
                    set_slot(m, key, value);
                }
            });
        };
        let mut groups = owned.into_iter().enumerate();
        let first = groups.next();
        pool.in_place_scope(|s| {
            for (g, maps) in groups {
                s.spawn(move |_| commit(g, maps));
            }
            if let Some((g, maps)) = first {
                commit(g, maps);
            }
        });
    }
}

/// Sets a slot of one shard's map; zero deletes it.
fn set_slot(storage: &mut StorageMap, key: SlotKey, value: U256) {
    if value.is_zero() {
        storage.remove(&key);
    } else {
        storage.insert(key, value);
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
    fn storage_hashes_are_seeded_per_instance() {
        // With a fixed, public seed (the hasher before), every map hashed a key alike,
        // so keys crafted to collide once collided in every world. Seeded maps differ.
        let key = slot(1, 2, 3, 0);
        let hashes: std::collections::BTreeSet<u64> = (0..8)
            .map(|_| SeededState::default().hash_one(key))
            .collect();
        assert!(
            hashes.len() > 1,
            "eight seeded hashers agreed on every hash"
        );
    }

    #[test]
    fn structured_keys_spread_over_the_shards() {
        // Keys a contract could choose (small integers, one address, shifted words) land
        // in every shard, and no shard takes more than a few times its share.
        let mut counts = [0usize; SHARDS];
        for i in 0..4096u64 {
            let k = SlotKey {
                contract: [7; 20],
                field: 0,
                key: U256::from(i) << 128,
                word: 0,
            };
            if let Some(c) = counts.get_mut(shard_of(&k)) {
                *c += 1;
            }
        }
        let share = 4096 / SHARDS;
        assert!(
            counts.iter().all(|&c| c > share / 4 && c < share * 4),
            "{counts:?}"
        );
    }

    #[test]
    fn commit_sharded_is_the_same_for_every_grouping() {
        let writes: Vec<(SlotKey, U256)> = (0..200u64)
            .map(|i| (slot(3, 1, i, 0), U256::from(i % 7)))
            .collect();
        let digest_with = |groups: usize| {
            let mut w = WorldState::new();
            w.set(slot(3, 1, 5, 0), U256::from(99));
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(2)
                .build()
                .expect("a pool");
            w.storage.commit_sharded(&pool, groups, |g, set| {
                for (k, v) in &writes {
                    let shard = shard_of(k);
                    if shard % groups == g {
                        set(shard, *k, *v);
                    }
                }
            });
            w.digest()
        };
        let one = digest_with(1);
        assert_eq!(digest_with(2), one);
        assert_eq!(digest_with(16), one);
        let mut w = WorldState::new();
        for (k, v) in &writes {
            w.set(*k, *v);
        }
        assert_eq!(w.digest(), one, "zero writes delete, as `set` does");
    }

    #[test]
    fn an_unshared_copy_has_the_same_contents_and_its_own_nodes() {
        let mut w = WorldState::new();
        for i in 0..500u64 {
            w.set(slot(1, 0, i, 0), U256::from(i + 1));
        }
        let mut copy = w.unshared();
        assert_eq!(copy.digest(), w.digest());
        assert_eq!(copy.storage_len(), 500);
        copy.set(slot(1, 0, 7, 0), U256::from(99));
        assert_eq!(
            w.get(&slot(1, 0, 7, 0)),
            U256::from(8),
            "the original is untouched"
        );
        // No node is shared: every shard map is a different allocation.
        let shared = w
            .storage
            .shards
            .iter()
            .zip(&copy.storage.shards)
            .filter(|(a, b)| a.ptr_eq(b))
            .count();
        assert_eq!(shared, 0);
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
}
