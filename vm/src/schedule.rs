//! The schedule of a parallel block: the conflict DAG built from the transactions'
//! access sets, the block's key table, and the worker loop that runs it.
//!
//! - **Conflict keys**: each access entry (contract, field, key) is hashed with a
//!   per-process seeded hasher into a 64-bit key id. Two keys whose ids collide are
//!   told apart by comparing the keys: a collision costs a probe, never an edge or a
//!   value. Whole-map entries never reach the DAG: a transaction with one is a
//!   barrier that ends the run and runs alone (see [`crate::executor`]).
//! - **The DAG** ([`Builder`], one pass in block order): an entry depends on the
//!   last earlier writer of its key; a write also depends on every reader since that
//!   write. Each key keeps its last writer and the head of the chain of readers
//!   since, each read entry links to the next older reader, in flat arrays (no
//!   allocation per edge); the inserter gets the transaction's predecessors as a
//!   list, and the block keeps them ([`Dag`]) for its statistics.
//! - **One worker does everything for its transactions** ([`Run::work`]): it claims
//!   the next chunk of transactions in block order from one atomic counter (8, 16,
//!   32 or 64 of them, per block: [`claim_for`]), evaluates their access sets, waits
//!   for its turn (every earlier chunk inserted), inserts them into the DAG under
//!   the builder's lock, and runs them, each once its predecessors are done (one
//!   that is not ready yet is skipped, and run after the chunk's others:
//!   [`skipping`]), writing each receipt in place. Access sets, key cells and
//!   predecessor lists never leave the worker's cache; only the insertion
//!   is serial, a few hash-table probes per transaction. A predecessor always has a
//!   smaller index, so its chunk was inserted earlier by a worker that runs it
//!   without waiting for anything later: every wait ends. A worker whose turn is
//!   overdue takes the late chunk over, so a descheduled worker holds back only
//!   what depends on the transaction it is running.
//! - **No false sharing**: neighbouring chunks run on different workers at the same
//!   time, so what a chunk's worker writes (its done flags, its receipts' lock, its
//!   keys' cells) sits on cache lines of its own.
//! - **The key table** ([`KeyTable`], the block's one version of every key its
//!   run writes): each distinct key of the run gets one cell per word of its value
//!   when the builder first meets it. A transaction that succeeds stores its writes
//!   in their cells before it publishes itself done; a transaction reads a cell
//!   written in this run, else the world before the block ([`TxView`]). The DAG
//!   makes one version enough: while a transaction runs, every earlier writer of its
//!   keys is done and no later one has started, and a failed transaction stores
//!   nothing. The merge then commits each written cell once, by shard group.
//! - **Nothing allocated per transaction** or per edge: the cells (append-only
//!   segments), the DAG arrays, the per-worker chunk buffers and the done flags are
//!   reused across blocks.

use crate::Transaction;
use crate::access::{AccessEntry, AccessKey, AccessSet};
use crate::chain::CodeView;
use crate::exec::{self, Prepared};
use crate::interp::Buffers;
use crate::keymemo::KeyMemo;
use crate::receipt::{Failure, Receipt};
use crate::state::{SlotKey, StateRead, Storage, shard_of_hash, value_hash};
use crate::{Address, BlockContext};
use braid_bytecode::U256;
use crossbeam_utils::CachePadded;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

/// How many consecutive transactions a worker claims at once when nothing says
/// more would do (see [`claim_for`]).
pub(crate) const CLAIM: usize = 8;

/// The most transactions a worker claims at once.
pub(crate) const MAX_CLAIM: usize = 64;

/// The chunk size for a block whose first transactions have the DAG `probe`: the
/// largest of 64, 32, 16 and 8 such that at most a tenth of them depend on a
/// transaction at most two chunks before them (one that may still be running on
/// another worker). A chunk costs a fixed amount (claiming it, the builder's lock
/// and turn, moving between the cores), so cheap transactions with far-apart
/// conflicts, like transfers among many accounts, want large chunks; a worker
/// waits for a predecessor in a chunk running beside its own, so close conflicts,
/// like swaps on a few pools, want small ones. (Chunks of 64 rather than at most
/// 32 made a block of transfers among 10,000 accounts about 1% faster on 2 threads:
/// six in-process series of 84 paired rounds gave 0.994x to 1.018x, where the same
/// harness comparing a build with itself moves by up to 2%; 128 was slower.)
pub(crate) fn claim_for(probe: &Dag) -> usize {
    let n = probe.len();
    // For each size, the transactions whose nearest predecessor is at most two
    // chunks of that size before them.
    let mut near = [0usize; 4];
    let sizes = [MAX_CLAIM, MAX_CLAIM / 2, MAX_CLAIM / 4, CLAIM];
    for t in 0..n {
        let mut last = None;
        probe.for_each_pred(t, |p| last = last.max(Some(p)));
        if let Some(p) = last {
            for (count, size) in near.iter_mut().zip(sizes) {
                if t - p <= 2 * size {
                    *count += 1;
                }
            }
        }
    }
    sizes
        .into_iter()
        .zip(near)
        .find(|&(_, count)| count * 10 <= n)
        .map_or(CLAIM, |(size, _)| size)
}

/// How long a worker waits for its turn before it takes over the overdue chunk, by
/// default:
/// far longer than a chunk takes (a few microseconds), far shorter than a
/// descheduled thread stays away.
pub(crate) const TAKE_OVER_AFTER: std::time::Duration = std::time::Duration::from_micros(50);

/// "No entry" in the DAG's index arrays.
pub(crate) const NONE: u32 = u32::MAX;

/// The flag of an entry's cell (the top bit; cells are far fewer than 2^31) that
/// says an earlier transaction of the run writes its key.
const WRITTEN: u32 = 1 << 31;

/// The conflict key id of an access entry: the seeded hash of (contract, field, key)
/// that also picks the key's storage shard ([`value_hash`]), never zero (zero marks
/// an empty table slot; the low bit is not a shard bit).
pub(crate) fn key_id(e: &AccessEntry) -> u64 {
    let key = match &e.key {
        AccessKey::Whole => None,
        AccessKey::Key(k) => Some(k),
    };
    value_hash(&e.contract, e.field, key) | 1
}

/// A transaction's evaluated access set with what the DAG needs of each entry
/// (kept across blocks, so its allocations are reused).
#[derive(Debug, Default)]
pub(crate) struct Prep {
    /// Its evaluated access set (empty when it cannot run).
    pub(crate) access: AccessSet,
    /// The key id of each entry of `access`.
    pub(crate) keys: Vec<u64>,
    /// The words of each entry's value (its field's width).
    pub(crate) words: Vec<u16>,
}

/// A transaction's entry point and access gas, or the receipt of one that cannot run
/// (`None` only before it was prepared).
pub(crate) type Ready<'m> = Result<Prepared<'m>, Option<Box<Receipt>>>;

/// Prepares `tx`: its entry point (or the receipt of a transaction that cannot run),
/// its access set, the key id and the value width of each entry.
pub(crate) fn prepare<'c>(
    view: &CodeView<'c>,
    tx: &Transaction,
    p: &mut Prep,
    memo: &mut KeyMemo,
) -> Ready<'c> {
    let ready = exec::prepare(view.module_at(&tx.to), tx, &mut p.access, memo).map_err(Some);
    p.keys.clear();
    p.keys.extend(p.access.entries().iter().map(key_id));
    p.words.clear();
    p.words.extend(p.access.entries().iter().map(|e| {
        view.module_at(&e.contract)
            .and_then(|m| m.field_words.get(usize::from(e.field)))
            .copied()
            .unwrap_or(0)
    }));
    ready
}

/// The receipt of a transaction that cannot run.
pub(crate) fn failed_receipt(ready: &Ready<'_>) -> Receipt {
    match ready {
        Err(Some(r)) => (**r).clone(),
        _ => Receipt::failed(
            crate::Failure::Internal("transaction not prepared".to_string()),
            0,
            braid_bytecode::ValueType::unit(),
        ),
    }
}

/// Buffers of the DAG build reused across blocks.
///
/// The key-id table is open addressing over packed words: the high 32 bits of a
/// key's id beside its index in `keys`, so a probe touches one dense array; the
/// keys themselves (key, cells and DAG state, one cache line each) are stored in
/// the order the builder meets them.
#[derive(Debug, Default)]
pub(crate) struct DagScratch {
    /// `fingerprint << 32 | key index`, or [`EMPTY`]. At most half are in use.
    table: Vec<u64>,
    /// The distinct keys of the run so far.
    keys: Vec<KeySlot>,
    /// The transaction of each entry (global entry index).
    owner: Vec<u32>,
    /// For a read entry, the next older reader of its key since its last write.
    readers: Vec<u32>,
    /// Each inserted transaction's longest dependency chain ending with it (only
    /// when the builder tracks depth).
    depth: Vec<u32>,
    /// The distinct keys and edges of the last parallel run (the next one's first
    /// sizes).
    run_keys: usize,
    run_edges: usize,
}

impl DagScratch {
    /// Empties the buffers for a new run, with room for `expected` distinct keys
    /// in the key-id table.
    fn clear(&mut self, expected: usize) {
        let cap = (expected * 2).next_power_of_two().max(64);
        self.table.clear();
        self.table.resize(cap, EMPTY);
        self.keys.clear();
        self.owner.clear();
        self.readers.clear();
        self.depth.clear();
    }

    /// The distinct keys of the last run built, each with its storage shard (from
    /// its key id: [`shard_of_hash`]).
    pub(crate) fn keys(&self) -> impl Iterator<Item = (&KeyInfo, usize)> {
        self.keys.iter().map(|k| (&k.info, shard_of_hash(k.id)))
    }
}

/// A free slot of the key-id table.
const EMPTY: u64 = u64::MAX;

/// A distinct key of a run and its cells in the [`KeyTable`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct KeyInfo {
    contract: Address,
    field: u16,
    /// The words of its value.
    words: u16,
    /// Its first cell; word `w` is cell `cell + w`.
    cell: u32,
    key: U256,
}

/// The conflict DAG of a run of transactions, kept for the block's statistics:
/// transaction `t`'s predecessors are `preds[start[t]..start[t + 1]]` (possibly
/// with repeats).
#[derive(Clone, Debug)]
pub(crate) struct Dag {
    /// Each transaction's first predecessor; one more element than transactions.
    start: Vec<u32>,
    preds: Vec<u32>,
}

impl Dag {
    /// An empty DAG with room for `txs` transactions and `edges` edges.
    fn with_capacity(txs: usize, edges: usize) -> Dag {
        let mut start = Vec::with_capacity(txs + 1);
        start.push(0);
        Dag {
            start,
            preds: Vec::with_capacity(edges),
        }
    }

    /// The number of transactions inserted.
    pub(crate) fn len(&self) -> usize {
        self.start.len().saturating_sub(1)
    }

    /// Calls `f` with each transaction `t` depends on (possibly more than once).
    pub(crate) fn for_each_pred(&self, t: usize, mut f: impl FnMut(usize)) {
        let s = self.start.get(t).copied().unwrap_or(0) as usize;
        let e = self.start.get(t + 1).copied().unwrap_or(0) as usize;
        for &p in self.preds.get(s..e).unwrap_or(&[]) {
            f(p as usize);
        }
    }
}

/// One key's state while the DAG is built.
#[derive(Clone, Copy, Debug)]
struct KeySlot {
    info: KeyInfo,
    /// Its key id (to place it again when the table grows).
    id: u64,
    /// The transaction of its last write.
    writer: u32,
    /// Its newest reader entry since that write.
    readers: u32,
}

/// Whether `info` is the key of access entry `e`.
fn same_key(info: &KeyInfo, e: &AccessEntry) -> bool {
    AccessKey::Key(info.key) == e.key && info.field == e.field && info.contract == e.contract
}

/// Builds the DAG of a run in block order, one transaction at a time, giving each
/// distinct key its cells in the [`KeyTable`] (see the module documentation).
pub(crate) struct Builder<'a> {
    scratch: &'a mut DagScratch,
    table: &'a KeyTable,
    dag: Dag,
    /// Whether to track each transaction's depth (the probe's bound needs it; a
    /// run measures its critical path as it runs instead).
    track_depth: bool,
    /// The next free cell.
    next_cell: u32,
    /// How many cells of the key table exist (segments are made on demand).
    cells_made: usize,
    /// The number of dependency edges so far.
    pub(crate) edges: usize,
    /// The longest dependency chain so far, in transactions (with `track_depth`).
    pub(crate) depth: u32,
}

impl<'a> Builder<'a> {
    /// An empty DAG of about `txs` transactions over `scratch`'s buffers, whose keys
    /// take their cells in `table`; room for `expected` distinct keys up front (the
    /// key-id table grows past them).
    pub(crate) fn new(
        scratch: &'a mut DagScratch,
        table: &'a KeyTable,
        txs: usize,
        expected: usize,
    ) -> Self {
        scratch.clear(expected);
        let dag = Dag::with_capacity(txs, scratch.run_edges);
        Builder {
            scratch,
            table,
            dag,
            track_depth: false,
            next_cell: 0,
            cells_made: 0,
            edges: 0,
            depth: 0,
        }
    }

    /// Tracks each transaction's depth (for [`Builder::depth`]).
    pub(crate) fn with_depth(mut self) -> Self {
        self.track_depth = true;
        self
    }

    /// The DAG built.
    pub(crate) fn finish(self) -> Dag {
        self.dag
    }

    /// Ends this run: its DAG and edges; the builder goes on with an empty DAG of
    /// about `txs` transactions, as [`Builder::new`] would start it.
    pub(crate) fn next_run(&mut self, txs: usize, expected: usize) -> (Dag, usize) {
        self.scratch.clear(expected);
        let dag = Dag::with_capacity(txs, self.scratch.run_edges);
        self.next_cell = 0;
        self.depth = 0;
        (
            std::mem::replace(&mut self.dag, dag),
            std::mem::take(&mut self.edges),
        )
    }

    /// Inserts the next transaction, whose access set is `p`: pushes the first
    /// key-table cell of each of its entries onto `cells` and each transaction it
    /// depends on (possibly more than once) onto `preds`.
    pub(crate) fn insert(&mut self, p: &Prep, cells: &mut Vec<u32>, preds: &mut Vec<u32>) {
        self.reserve(p.keys.len());
        let t32 = index(self.dag.len());
        let first_pred = preds.len();
        let DagScratch {
            table,
            keys,
            owner,
            readers,
            depth,
            ..
        } = &mut *self.scratch;
        let mask = table.len() - 1;
        let entries = p.access.entries().iter().zip(&p.keys).zip(&p.words);
        for ((e, &id), &words) in entries {
            // The table is at most half full: a free slot exists. Fingerprints that
            // collide are told apart by the key itself.
            let fp = id >> 32;
            let mut i = (id as usize) & mask;
            let k = loop {
                match table.get(i).copied() {
                    Some(EMPTY) | None => break None,
                    Some(x) if x >> 32 == fp => {
                        let k = (x & 0xffff_ffff) as usize;
                        if keys.get(k).is_some_and(|s| same_key(&s.info, e)) {
                            break Some(k);
                        }
                    }
                    Some(_) => {}
                }
                i = (i + 1) & mask;
            };
            let k = match k {
                Some(k) => k,
                None => {
                    let AccessKey::Key(key) = e.key else {
                        break;
                    };
                    let k = keys.len();
                    if let Some(x) = table.get_mut(i) {
                        *x = (fp << 32) | u64::from(index(k));
                    }
                    keys.push(KeySlot {
                        info: KeyInfo {
                            contract: e.contract,
                            field: e.field,
                            words,
                            cell: self.next_cell,
                            key,
                        },
                        id,
                        writer: NONE,
                        readers: NONE,
                    });
                    self.next_cell = self.next_cell.saturating_add(u32::from(words));
                    if self.next_cell as usize > self.cells_made {
                        self.cells_made = self.table.reserve(self.next_cell as usize);
                    }
                    k
                }
            };
            let Some(slot) = keys.get_mut(k) else {
                break;
            };
            // Whether an earlier transaction of the run writes the key: if none
            // does, the transaction reads the world before the block directly.
            let written = if slot.writer == NONE { 0 } else { WRITTEN };
            cells.push(slot.info.cell | written);
            let g32 = index(owner.len());
            owner.push(t32);
            if slot.writer != NONE {
                preds.push(slot.writer);
            }
            if e.write {
                let mut r = slot.readers;
                while r != NONE {
                    let o = at(owner, r);
                    if o != t32 {
                        preds.push(o);
                    }
                    r = at(readers, r);
                }
                readers.push(NONE);
                slot.writer = t32;
                slot.readers = NONE;
            } else {
                readers.push(slot.readers);
                slot.readers = g32;
            }
        }
        let mine = preds.get(first_pred..).unwrap_or(&[]);
        self.edges += mine.len();
        self.dag.preds.extend_from_slice(mine);
        self.dag.start.push(index(self.dag.preds.len()));
        if self.track_depth {
            let d = mine.iter().map(|&o| at(depth, o)).max().unwrap_or(0);
            depth.push(d + 1);
            self.depth = self.depth.max(d + 1);
        }
    }

    /// Loads the key-id table words and the key slots that the entries of `preps`
    /// will probe, all before the first insertion: the loads are independent, so the
    /// core overlaps their cache misses, which the insertion would take one after
    /// another (each probe depends on the one before it through the table).
    pub(crate) fn warm<'p>(&self, preps: impl Iterator<Item = &'p Prep>) {
        let s = &*self.scratch;
        let mask = s.table.len().wrapping_sub(1);
        let mut words = [EMPTY; 128];
        let mut n = 0;
        let ids = preps.flat_map(|p| p.keys.iter());
        for (w, &id) in words.iter_mut().zip(ids) {
            *w = s.table.get((id as usize) & mask).copied().unwrap_or(EMPTY);
            n += 1;
        }
        let mut touched = 0u32;
        for &w in words.get(..n).unwrap_or(&[]) {
            if let Some(k) = s.keys.get((w & 0xffff_ffff) as usize) {
                touched ^= k.writer ^ k.info.cell ^ (k.info.key.as_limbs()[0] as u32);
            }
        }
        std::hint::black_box(touched);
    }

    /// Makes room in the key-id table for `more` new keys (doubling it, so it stays
    /// at most half full).
    fn reserve(&mut self, more: usize) {
        let s = &mut *self.scratch;
        if (s.keys.len() + more) * 2 <= s.table.len() {
            return;
        }
        let cap = ((s.keys.len() + more) * 4).next_power_of_two();
        s.table.clear();
        s.table.resize(cap, EMPTY);
        let mask = cap - 1;
        for (k, slot) in s.keys.iter().enumerate() {
            let id = slot.id;
            let mut i = (id as usize) & mask;
            while s.table.get(i).is_some_and(|&x| x != EMPTY) {
                i = (i + 1) & mask;
            }
            if let Some(x) = s.table.get_mut(i) {
                *x = ((id >> 32) << 32) | u64::from(index(k));
            }
        }
    }
}

/// `v[i]`, or [`NONE`] out of range (the DAG's arrays are built together, so every
/// index they hold is in range; this keeps a broken invariant from panicking).
fn at(v: &[u32], i: u32) -> u32 {
    v.get(i as usize).copied().unwrap_or(NONE)
}

/// A block index as `u32` (blocks are far smaller than 2^32 entries: the block gas
/// limit bounds them).
fn index(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(NONE - 1)
}

/// One word of the key table, on its own cache line: cells of keys met in
/// neighbouring chunks are written by different workers at the same time.
#[derive(Debug, Default)]
#[repr(align(64))]
struct WordCell {
    /// The value's limbs, least significant first.
    limbs: [AtomicU64; 4],
    /// The run that wrote it (a cell of an older run is unwritten).
    run: AtomicU32,
}

/// The first segment of the key table holds `1 << SEGMENT_BITS` cells; segment `k`
/// holds twice as many as segment `k - 1`.
const SEGMENT_BITS: u32 = 12;

/// Segments of the key table: room for about 2^36 cells, far beyond any block.
const SEGMENTS: usize = 24;

/// Segment and offset of cell `c`.
fn locate(c: usize) -> (usize, usize) {
    let x = c + (1 << SEGMENT_BITS);
    let k = (usize::BITS - 1 - x.leading_zeros() - SEGMENT_BITS) as usize;
    (k, x - ((1 << SEGMENT_BITS) << k))
}

/// The block's key table: one cell per word of every key a run may write (see the
/// module documentation), in append-only segments that the builder adds while
/// workers use the ones before, reused across runs; a cell counts as written only
/// when it carries the current run's number.
#[derive(Debug)]
pub(crate) struct KeyTable {
    segments: Vec<OnceLock<Box<[WordCell]>>>,
    run: u32,
}

impl Default for KeyTable {
    fn default() -> Self {
        KeyTable {
            segments: (0..SEGMENTS).map(|_| OnceLock::new()).collect(),
            run: 0,
        }
    }
}

impl KeyTable {
    /// Starts a run, every cell unwritten.
    fn start(&mut self) {
        self.run = self.run.wrapping_add(1);
        if self.run == 0 {
            // After 2^32 runs the numbers wrap: forget every cell once.
            for seg in self.segments.iter_mut().filter_map(OnceLock::get_mut) {
                for c in seg.iter_mut() {
                    *c.run.get_mut() = 0;
                }
            }
            self.run = 1;
        }
    }

    /// Makes sure cells `0..end` exist (only the builder calls it); returns how
    /// many cells are sure to exist: those of every segment up to the one holding
    /// cell `end - 1`.
    fn reserve(&self, end: usize) -> usize {
        let Some(last) = end.checked_sub(1) else {
            return 0;
        };
        let (k, _) = locate(last);
        for (i, seg) in self.segments.iter().enumerate().take(k + 1) {
            seg.get_or_init(|| {
                (0..(1usize << SEGMENT_BITS) << i)
                    .map(|_| WordCell::default())
                    .collect()
            });
        }
        // Segments 0..=k hold first * (2^(k+1) - 1) cells.
        ((1usize << SEGMENT_BITS) << (k + 1)) - (1 << SEGMENT_BITS)
    }

    /// Cell `c`, if it exists.
    fn cell(&self, c: usize) -> Option<&WordCell> {
        let (k, o) = locate(c);
        self.segments.get(k)?.get()?.get(o)
    }

    /// Cell `c`'s value if this run wrote it.
    fn get(&self, c: usize) -> Option<U256> {
        let cell = self.cell(c)?;
        if cell.run.load(Ordering::Relaxed) != self.run {
            return None;
        }
        let l = |i: usize| cell.limbs.get(i).map_or(0, |x| x.load(Ordering::Relaxed));
        Some(U256::from_limbs([l(0), l(1), l(2), l(3)]))
    }

    /// Writes cell `c` (the DAG guarantees no other transaction uses it meanwhile;
    /// publishing the writer done makes it visible).
    fn set(&self, c: usize, value: &U256) {
        let Some(cell) = self.cell(c) else {
            return;
        };
        for (x, v) in cell.limbs.iter().zip(value.as_limbs()) {
            x.store(*v, Ordering::Relaxed);
        }
        cell.run.store(self.run, Ordering::Relaxed);
    }

    /// Calls `f(shard, slot, value)` with every word this run wrote of `keys` (each
    /// with its shard) whose shard is in group `group` of `groups` (shard modulo
    /// `groups`). Only the group's own keys' cells are read: a cell's line stays
    /// with the thread that commits it.
    pub(crate) fn for_each_written<'k>(
        &self,
        keys: impl Iterator<Item = (&'k KeyInfo, usize)>,
        group: usize,
        groups: usize,
        f: &mut dyn FnMut(usize, SlotKey, U256),
    ) {
        let groups = groups.max(1);
        for (k, shard) in keys.filter(|(_, shard)| shard % groups == group) {
            for word in 0..k.words {
                if let Some(v) = self.get(k.cell as usize + usize::from(word)) {
                    let slot = SlotKey {
                        contract: k.contract,
                        field: k.field,
                        key: k.key,
                        word,
                    };
                    f(shard, slot, v);
                }
            }
        }
    }
}

/// The per-transaction cells of a run and the key table, reused across blocks.
#[derive(Debug, Default)]
pub(crate) struct RunCells {
    /// Whether each transaction is done, a cache line per chunk: only the chunk's
    /// worker writes it, so the workers never write one line. Set (release) after
    /// the transaction's key-table cells are stored.
    done: Vec<CachePadded<[AtomicBool; MAX_CLAIM]>>,
    /// The block's key table.
    pub(crate) table: KeyTable,
}

impl RunCells {
    /// Sizes the cells for `txs` transactions in chunks of `claim`, all empty, and
    /// starts a key-table run.
    fn reset(&mut self, txs: usize, claim: usize) {
        self.done.clear();
        self.done.resize_with(txs.div_ceil(claim), || {
            CachePadded::new(std::array::from_fn(|_| AtomicBool::new(false)))
        });
        self.table.start();
    }
}

/// An inserted chunk a worker holds until it runs it: transactions `first..stop`,
/// prepared in the worker's chunk buffer `buf` (and entry points buffer).
#[derive(Clone, Copy)]
struct Held {
    first: usize,
    stop: usize,
    buf: usize,
}

/// A worker's entry points of the chunks in its three chunk buffers (for a run:
/// they borrow the run's modules).
type Readies<'m> = [Vec<Ready<'m>>; 3];

/// One worker's buffers for the chunk it holds, kept across blocks.
#[derive(Debug, Default)]
pub(crate) struct ChunkBufs {
    /// The access sets of the chunk's transactions.
    preps: Vec<Prep>,
    /// The first key-table cell of each entry, chunk-wide.
    cells: Vec<u32>,
    /// Each transaction's predecessors, chunk-wide.
    preds: Vec<u32>,
    /// Where each transaction's cells and predecessors start (one more than
    /// transactions).
    starts: Vec<(usize, usize)>,
}

/// The time one worker spent evaluating access sets and inserting into the DAG
/// (waiting for its turn included).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct WorkTimes {
    /// Evaluating access sets.
    pub(crate) access: Duration,
    /// Waiting for its turn and inserting into the DAG (not the chunks it ran
    /// while it waited).
    pub(crate) dag: Duration,
    /// Chunks it took over from a worker that fell behind.
    pub(crate) taken_over: usize,
}

/// One parallel run: a stretch of the block up to its first barrier.
pub(crate) struct RunInput<'a, 'm> {
    /// The run's transactions (to the end of the block).
    pub(crate) txs: &'a [Transaction],
    /// The access sets of its first transactions, prepared already (by the probe).
    pub(crate) pre: &'a [Prep],
    /// Their entry points.
    pub(crate) pre_ready: &'a [Ready<'m>],
    /// The world before the run.
    pub(crate) base: &'a Storage,
    /// The block.
    pub(crate) block: BlockContext,
    /// How long a worker waits for its turn before it takes over the overdue chunk.
    pub(crate) take_over_after: Duration,
    /// How many transactions a worker claims at once (1 to [`MAX_CLAIM`], rounded
    /// up to a power of two).
    pub(crate) claim: usize,
    /// Where the run's receipts go, in block order (as long as `txs`; the run
    /// overwrites those it runs).
    pub(crate) receipts: &'a mut [Receipt],
}

/// The shared state of one parallel run.
pub(crate) struct Run<'a, 'm> {
    input: RunInput<'a, 'm>,
    /// The next transaction to claim: written by every claim, so on its own cache
    /// line, away from what workers only read.
    next: CachePadded<AtomicUsize>,
    /// How many transactions are inserted into the DAG (whole chunks, in turn).
    inserted: CachePadded<AtomicUsize>,
    /// Where the run ends: the end of the block, or the first barrier met.
    end: CachePadded<AtomicUsize>,
    /// The builder, locked by the chunk whose turn it is (on its own cache line:
    /// locking writes it, and the fields around it are read by every transaction).
    builder: CachePadded<Mutex<Builder<'a>>>,
    table: &'a KeyTable,
    done: &'a [CachePadded<[AtomicBool; MAX_CLAIM]>],
    /// The run's chunk size, a power of two (a transaction's chunk is a shift
    /// away: every transaction looks its predecessors' done flags up).
    claim: usize,
    /// Its base-2 logarithm.
    claim_bits: u32,
    /// The receipts, a slice per chunk, each locked by the worker that runs it
    /// (never contended: a chunk has one worker).
    receipts: Vec<CachePadded<Mutex<&'a mut [Receipt]>>>,
}

/// What a finished run leaves.
pub(crate) struct RunEnd {
    /// The run's DAG.
    pub(crate) dag: Dag,
    /// Its dependency edges.
    pub(crate) edges: usize,
    /// How many transactions it ran: all, or those before the barrier that ended it.
    pub(crate) ran: usize,
}

impl<'a, 'm> Run<'a, 'm> {
    /// A run of `input` in `cells` (emptied first), its DAG built in `scratch`.
    pub(crate) fn new(
        mut input: RunInput<'a, 'm>,
        cells: &'a mut RunCells,
        scratch: &'a mut DagScratch,
    ) -> Self {
        let claim = input.claim.clamp(1, MAX_CLAIM).next_power_of_two();
        cells.reset(input.txs.len(), claim);
        let receipts = std::mem::take(&mut input.receipts)
            .chunks_mut(claim)
            .map(|c| CachePadded::new(Mutex::new(c)))
            .collect();
        let cells: &'a RunCells = cells;
        // As many distinct keys as the last run had (the table grows if need be).
        let expected = scratch.run_keys.max(64);
        let builder = Builder::new(scratch, &cells.table, input.txs.len(), expected);
        Run {
            next: CachePadded::new(AtomicUsize::new(0)),
            inserted: CachePadded::new(AtomicUsize::new(0)),
            end: CachePadded::new(AtomicUsize::new(input.txs.len())),
            input,
            builder: CachePadded::new(Mutex::new(builder)),
            table: &cells.table,
            done: &cells.done,
            claim,
            claim_bits: claim.trailing_zeros(),
            receipts,
        }
    }

    /// Transaction `t`'s done flag.
    fn done(&self, t: usize) -> Option<&AtomicBool> {
        self.done
            .get(t >> self.claim_bits)?
            .get(t & (self.claim - 1))
    }

    /// The run's DAG and how far it got, once every worker is back.
    pub(crate) fn finish(self) -> RunEnd {
        let ran = self.end.load(Ordering::Acquire);
        let b = CachePadded::into_inner(self.builder)
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner);
        b.scratch.run_keys = b.scratch.keys.len();
        b.scratch.run_edges = b.edges;
        RunEnd {
            edges: b.edges,
            dag: b.finish(),
            ran,
        }
    }

    /// One worker's loop (see the module documentation): claim the next chunk of
    /// transactions ([`RunInput::claim`]), evaluate their access sets, insert them
    /// into the DAG in turn, run them; until the run ends. Claiming several at a
    /// time keeps the workers off one shared cache line and spreads each chunk's
    /// fixed cost.
    ///
    /// A worker keeps one chunk of lookahead: it inserts its next chunk before it
    /// runs the one it holds, so that the other workers' turns come while it runs
    /// instead of after. When its own turn has not come, it runs the chunk it holds
    /// meanwhile; and when it holds none and the turn stays away for the run's
    /// patience ([`RunInput::take_over_after`]: its worker was descheduled, or is
    /// slow), it takes over the overdue chunk: evaluates it itself, inserts it and
    /// runs it. Whoever inserts a chunk runs it; the other drops its work and claims
    /// another. So a stalled worker holds back only what depends on the chunk it
    /// holds.
    pub(crate) fn work(
        &self,
        bufs: &mut Buffers,
        chunks: &mut [ChunkBufs; 3],
        view: &CodeView<'m>,
    ) -> WorkTimes {
        let mut times = WorkTimes::default();
        let len = self.input.txs.len();
        // The inserted chunk this worker holds: its range and buffer.
        let mut held: Option<Held> = None;
        let mut readies: Readies<'m> = Default::default();
        loop {
            let first = self.next.fetch_add(self.claim, Ordering::Relaxed);
            if first >= self.end.load(Ordering::Acquire) {
                self.run_held(held.take(), (chunks, &readies), bufs, view);
                return times;
            }
            let last = (first + self.claim).min(len);
            // The buffer the held chunk does not use (0 or 1; 2 is for take-overs).
            let b = held.as_ref().map_or(0, |h| 1 - h.buf);
            let t0 = Instant::now();
            if let (Some(chunk), Some(ready)) = (chunks.get_mut(b), readies.get_mut(b)) {
                self.prepare_chunk(first, last, (chunk, ready), bufs, view);
            }
            let t1 = Instant::now();
            times.access += t1 - t0;
            let mut since = (self.inserted.load(Ordering::Acquire), t1);
            let mut spins = 0u32;
            // Time spent running chunks while waiting (execution, not DAG time).
            let mut ran = Duration::ZERO;
            let stop = loop {
                let at = self.inserted.load(Ordering::Acquire);
                if at == first {
                    match chunks
                        .get_mut(b)
                        .and_then(|c| self.try_insert(first, last, c))
                    {
                        Some(stop) => break Some(stop),
                        None => continue,
                    }
                }
                if at > first || self.end.load(Ordering::Acquire) <= first {
                    // Taken over by another worker, or the run ended before it.
                    break None;
                }
                if held.is_some() {
                    // Not our turn yet: run the chunk we hold meanwhile.
                    let t = Instant::now();
                    self.run_held(held.take(), (chunks, &readies), bufs, view);
                    ran += t.elapsed();
                    since = (self.inserted.load(Ordering::Acquire), Instant::now());
                    continue;
                }
                if at != since.0 {
                    since = (at, Instant::now());
                } else if since.1.elapsed() >= self.input.take_over_after {
                    let at_last = (at + self.claim).min(len);
                    let ([_, _, spare], [_, _, stolen]) = (&mut *chunks, &mut readies);
                    self.prepare_chunk(at, at_last, (spare, stolen), bufs, view);
                    if let Some(stop) = self.try_insert(at, at_last, spare) {
                        times.taken_over += 1;
                        let t = Instant::now();
                        self.run_chunk(at, stop, (spare, stolen), bufs, view);
                        ran += t.elapsed();
                        if stop < at_last {
                            // A barrier ended the run in the chunk taken over.
                            times.dag += t1.elapsed().saturating_sub(ran);
                            return times;
                        }
                    }
                    since = (self.inserted.load(Ordering::Acquire), Instant::now());
                }
                backoff(&mut spins);
            };
            times.dag += t1.elapsed().saturating_sub(ran);
            let Some(stop) = stop else {
                continue;
            };
            // Ours is inserted: run the chunk held before it, and hold this one.
            self.run_held(held.take(), (chunks, &readies), bufs, view);
            let this = Held {
                first,
                stop,
                buf: b,
            };
            if stop < last {
                // A barrier ends the run in this chunk.
                self.run_held(Some(this), (chunks, &readies), bufs, view);
                return times;
            }
            held = Some(this);
        }
    }

    /// Runs a held chunk, if any.
    fn run_held(
        &self,
        held: Option<Held>,
        (chunks, readies): (&[ChunkBufs; 3], &Readies<'m>),
        bufs: &mut Buffers,
        view: &CodeView<'m>,
    ) {
        if let Some(h) = held
            && let (Some(chunk), Some(ready)) = (chunks.get(h.buf), readies.get(h.buf))
        {
            self.run_chunk(h.first, h.stop, (chunk, ready), bufs, view);
        }
    }

    /// Evaluates the access sets of transactions `first..last` into `chunk`, and
    /// their entry points into `ready` (those the probe prepared are used as they
    /// are).
    fn prepare_chunk(
        &self,
        first: usize,
        last: usize,
        (chunk, ready): (&mut ChunkBufs, &mut Vec<Ready<'m>>),
        bufs: &mut Buffers,
        view: &CodeView<'m>,
    ) {
        if chunk.preps.len() < MAX_CLAIM {
            chunk.preps.resize_with(MAX_CLAIM, Prep::default);
        }
        ready.clear();
        for (t, p) in (first..last).zip(&mut chunk.preps) {
            ready.push(match self.input.txs.get(t) {
                Some(tx) if t >= self.input.pre.len() => prepare(view, tx, p, &mut bufs.memo),
                _ => Err(None),
            });
        }
    }

    /// Runs the inserted transactions `first..stop` of a chunk prepared in `chunk`
    /// with entry points `ready`, writing each receipt in place and publishing each
    /// transaction done.
    ///
    /// A transaction whose predecessors are not all done yet is skipped, not waited
    /// for: the chunk runs on with those that are ready, and comes back for the
    /// skipped ones (in block order) afterwards. Its predecessor usually runs in
    /// the chunk beside it on another worker, and is done by then. When none of the
    /// skipped is ready, the worker backs off and looks at all of them again: the
    /// first one's predecessors are all in earlier chunks, so every wait still ends
    /// ([`skipping`]).
    fn run_chunk(
        &self,
        first: usize,
        stop: usize,
        (chunk, ready): (&ChunkBufs, &[Ready<'m>]),
        bufs: &mut Buffers,
        view: &CodeView<'m>,
    ) {
        let mut out = self
            .receipts
            .get(first >> self.claim_bits)
            .map(|m| m.lock().unwrap_or_else(PoisonError::into_inner));
        // Runs chunk transaction `i` if its predecessors are done; whether it ran.
        let run = |i: usize| {
            let t = first + i;
            let (Some(&(c0, p0)), Some(&(c1, p1))) = (chunk.starts.get(i), chunk.starts.get(i + 1))
            else {
                return true;
            };
            let preds = chunk.preds.get(p0..p1).unwrap_or(&[]);
            if !preds.iter().all(|&p| {
                self.done(p as usize)
                    .is_none_or(|d| d.load(Ordering::Acquire))
            }) {
                return false;
            }
            let (prep, ready) = match (self.input.pre.get(t), self.input.pre_ready.get(t)) {
                (Some(p), Some(r)) => (p, r),
                _ => match (chunk.preps.get(i), ready.get(i)) {
                    (Some(p), Some(r)) => (p, r),
                    _ => return true,
                },
            };
            let mine = Mine {
                prep,
                cells: chunk.cells.get(c0..c1).unwrap_or(&[]),
            };
            let receipt = self.run_one(t, mine, ready, bufs, view);
            if let Some(slot) = out.as_mut().and_then(|o| o.get_mut(i)) {
                *slot = receipt;
            }
            if let Some(done) = self.done(t) {
                // Publishing is a release: the key-table cells stored by the run
                // are visible to every transaction that sees it done.
                done.store(true, Ordering::Release);
            }
            true
        };
        skipping(stop.saturating_sub(first), run);
    }

    /// Inserts the chunk `first..last`, prepared in `chunk`, into the DAG if it is
    /// its turn (every earlier chunk inserted, and not this one: checked under the
    /// builder's lock), each transaction's cells, predecessors and their starts
    /// into `chunk`. Returns where it stopped: `last`, or a barrier (a whole-map
    /// transaction) in the chunk, which ends the run there; `None` when it is not
    /// the chunk's turn.
    fn try_insert(&self, first: usize, last: usize, chunk: &mut ChunkBufs) -> Option<usize> {
        let ChunkBufs {
            preps,
            cells,
            preds,
            starts,
        } = chunk;
        let mut b = self.builder.lock().unwrap_or_else(PoisonError::into_inner);
        if self.inserted.load(Ordering::Acquire) != first {
            return None;
        }
        cells.clear();
        preds.clear();
        starts.clear();
        starts.push((0, 0));
        let mut stop = last;
        let prep_of = |i: usize, t: usize| self.input.pre.get(t).or_else(|| preps.get(i));
        b.warm((first..last).enumerate().filter_map(|(i, t)| prep_of(i, t)));
        for (i, t) in (first..last).enumerate() {
            let Some(p) = prep_of(i, t) else {
                break;
            };
            if p.access.has_whole() {
                stop = t;
                self.end.store(t, Ordering::Release);
                break;
            }
            b.insert(p, cells, preds);
            starts.push((cells.len(), preds.len()));
        }
        // Under the lock: whoever locks next sees this chunk inserted.
        self.inserted.store(stop, Ordering::Release);
        drop(b);
        Some(stop)
    }

    /// Runs transaction `t`, whose predecessors are done, and stores its writes in
    /// the key table; its receipt (the caller publishes it done).
    fn run_one(
        &self,
        t: usize,
        mine: Mine<'_>,
        ready: &Ready<'_>,
        bufs: &mut Buffers,
        view: &CodeView<'m>,
    ) -> Receipt {
        let Some(tx) = self.input.txs.get(t) else {
            return failed_receipt(&Err(None));
        };
        let mut receipt = match ready {
            Ok(prepared) => {
                let tx_view = TxView {
                    run: self,
                    mine,
                    last: std::cell::Cell::new(None),
                };
                let access = &mine.prep.access;
                exec::execute(bufs, view, &tx_view, self.input.block, tx, prepared, access)
            }
            Err(_) => failed_receipt(ready),
        };
        if receipt.is_success() {
            self.store_writes(mine, bufs, &mut receipt);
        }
        receipt
    }

    /// Stores a successful transaction's writes in their key-table cells. A write
    /// outside its entry's words (which the verifier rules out) fails the
    /// transaction instead, before any cell is touched.
    fn store_writes(&self, mine: Mine<'_>, bufs: &Buffers, receipt: &mut Receipt) {
        let writes = bufs.writes.entries();
        let allowed = bufs.writes.allowed();
        // Each write's entry: the one the host allowed it by, which is the key's
        // own (whole-field entries never run in parallel; checked, so that a wrong
        // index cannot store into another key's cells), else looked up.
        let entry_of = |i: usize, k: &SlotKey| {
            let own = |j: usize| {
                mine.prep.access.entries().get(j).is_some_and(|e| {
                    e.key == AccessKey::Key(k.key) && e.field == k.field && e.contract == k.contract
                })
            };
            match allowed.get(i) {
                Some(&j) if own(j as usize) => Some(j as usize),
                _ => mine.prep.access.position(&k.contract, k.field, k.key),
            }
        };
        let cell_of = |i: usize, k: &SlotKey| mine.word_cell(entry_of(i, k)?, k.word);
        // Each write's cell, found once; a transaction writing more than this stack
        // buffer holds finds the rest twice.
        let mut found = [0usize; 16];
        for (i, (k, _)) in writes.iter().enumerate() {
            let Some(c) = cell_of(i, k) else {
                *receipt = Receipt::failed(
                    Failure::Internal("a write outside the key table".to_string()),
                    receipt.gas_used,
                    receipt.ret_type.clone(),
                );
                return;
            };
            if let Some(slot) = found.get_mut(i) {
                *slot = c;
            }
        }
        for (i, (k, v)) in writes.iter().enumerate() {
            if let Some(c) = found.get(i).copied().or_else(|| cell_of(i, k)) {
                self.table.set(c, v);
            }
        }
    }
}

/// Runs `n` transactions of a chunk with `run(i)`, which runs transaction `i` if
/// its predecessors are done and says whether it ran: each in block order unless it
/// is not ready, then the skipped ones, in block order, as they become ready; when
/// none is ready, it backs off and looks again. The first skipped transaction waits
/// only for earlier chunks (every earlier one of its own chunk ran), and those
/// always finish: so it ends.
fn skipping(n: usize, mut run: impl FnMut(usize) -> bool) {
    const _: () = assert!(MAX_CLAIM <= 64, "a chunk's skipped transactions are a u64");
    let mut skipped = 0u64;
    for i in 0..n.min(MAX_CLAIM) {
        if !run(i) {
            skipped |= 1 << i;
        }
    }
    let mut spins = 0;
    while skipped != 0 {
        let mut left = skipped;
        let mut ran = false;
        while left != 0 {
            let i = left.trailing_zeros();
            left &= left - 1;
            if run(i as usize) {
                skipped &= !(1 << i);
                ran = true;
            }
        }
        if ran {
            spins = 0;
        } else {
            backoff(&mut spins);
        }
    }
}

/// Spins briefly, then yields: the waits of a run are short (a transaction or a
/// chunk's insertion), but a descheduled worker must not starve the others.
pub(crate) fn backoff(spins: &mut u32) {
    if *spins < 128 {
        *spins += 1;
        std::hint::spin_loop();
    } else {
        std::thread::yield_now();
    }
}

/// A running transaction's own schedule data: its access set and each entry's first
/// key-table cell.
#[derive(Clone, Copy)]
struct Mine<'r> {
    prep: &'r Prep,
    cells: &'r [u32],
}

impl Mine<'_> {
    /// Cell of word `word` of entry `j`, if the entry's value has that word.
    fn word_cell(&self, j: usize, word: u16) -> Option<usize> {
        let words = *self.prep.words.get(j)?;
        let c = *self.cells.get(j)?;
        (c != NONE && word < words).then(|| (c & !WRITTEN) as usize + usize::from(word))
    }

    /// The cell to read word `word` of entry `j` from: none when no earlier
    /// transaction of the run writes the key. A later writer cannot have run yet
    /// (it waits for this reader), so the world before the block holds the value.
    fn read_cell(&self, j: usize, word: u16) -> Option<usize> {
        let c = *self.cells.get(j)?;
        if c == NONE || c & WRITTEN == 0 {
            return None;
        }
        self.word_cell(j, word)
    }
}

/// What one running transaction reads: the key table over the world before the
/// block (see the module documentation).
struct TxView<'r, 'a, 'm> {
    run: &'r Run<'a, 'm>,
    mine: Mine<'r>,
    /// The last key read and its entry: a value of several words is read word by
    /// word under one key.
    last: std::cell::Cell<Option<LastKey>>,
}

/// A key read (contract, field, key) and its entry in the access set.
type LastKey = (Address, u16, U256, usize);

impl TxView<'_, '_, '_> {
    /// The key-table cell of `key`.
    fn cell(&self, key: &SlotKey) -> Option<usize> {
        let j = match self.last.get() {
            Some((c, f, k, j)) if k == key.key && f == key.field && c == key.contract => j,
            _ => {
                // The host checked the access against the set before reading, so the
                // entry exists; whole-field entries never run in parallel.
                let j = self
                    .mine
                    .prep
                    .access
                    .position(&key.contract, key.field, key.key)?;
                self.last.set(Some((key.contract, key.field, key.key, j)));
                j
            }
        };
        self.mine.read_cell(j, key.word)
    }
}

impl StateRead for TxView<'_, '_, '_> {
    fn storage(&self, key: &SlotKey) -> U256 {
        self.cell(key)
            .and_then(|c| self.run.table.get(c))
            .unwrap_or_else(|| self.run.input.base.get(key))
    }

    fn storage_entry(&self, key: &SlotKey, entry: usize) -> U256 {
        // The entry is the key's own (checked: a whole-field entry never runs in
        // parallel, and a wrong hint must not read another key's cell).
        let own = self.mine.prep.access.entries().get(entry).is_some_and(|e| {
            e.key == AccessKey::Key(key.key) && e.field == key.field && e.contract == key.contract
        });
        if !own {
            return self.storage(key);
        }
        self.mine
            .read_cell(entry, key.word)
            .and_then(|c| self.run.table.get(c))
            .unwrap_or_else(|| self.run.input.base.get(key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prep(entries: &[(u8, u64, bool)], id: impl Fn(u64) -> u64) -> Prep {
        let access = AccessSet::from_entries(
            entries
                .iter()
                .map(|&(c, k, write)| AccessEntry {
                    contract: [c; 20],
                    field: 0,
                    key: AccessKey::Key(U256::from(k)),
                    write,
                })
                .collect(),
        );
        let keys = access
            .entries()
            .iter()
            .map(|e| match e.key {
                AccessKey::Key(k) => id(k.to::<u64>()),
                AccessKey::Whole => 0,
            })
            .collect();
        let words = vec![1; access.entries().len()];
        Prep {
            access,
            keys,
            words,
        }
    }

    /// The DAG of `preps`, its distinct keys and edges, and each transaction's
    /// predecessors as the inserter got them; the key-id table starts at its
    /// smallest size, so that it grows.
    fn build(preps: &[Prep]) -> (Dag, Vec<KeyInfo>, usize, Vec<Vec<usize>>) {
        let table = KeyTable::default();
        let mut scratch = DagScratch::default();
        let mut b = Builder::new(&mut scratch, &table, preps.len(), 1);
        let mut inserted = Vec::new();
        for p in preps {
            let (mut cells, mut preds) = (Vec::new(), Vec::new());
            b.insert(p, &mut cells, &mut preds);
            assert_eq!(cells.len(), p.keys.len(), "one cell per entry");
            let mut preds: Vec<usize> = preds.into_iter().map(|p| p as usize).collect();
            preds.sort_unstable();
            preds.dedup();
            inserted.push(preds);
        }
        let edges = b.edges;
        let dag = b.finish();
        let keys = scratch.keys().map(|(k, _)| *k).collect();
        (dag, keys, edges, inserted)
    }

    fn preds(dag: &Dag, t: usize) -> Vec<usize> {
        let mut v = Vec::new();
        dag.for_each_pred(t, |p| v.push(p));
        v.sort_unstable();
        v.dedup();
        v
    }

    #[test]
    fn conflicts_become_edges_in_block_order() {
        // 0 writes a; 1 reads a; 2 writes b; 3 writes a (after 0's write and 1's read).
        let preps = [
            prep(&[(1, 1, true)], |k| k + 1),
            prep(&[(1, 1, false)], |k| k + 1),
            prep(&[(1, 2, true)], |k| k + 1),
            prep(&[(1, 1, true)], |k| k + 1),
        ];
        let (dag, keys, edges, inserted) = build(&preps);
        assert_eq!(keys.len(), 2);
        assert_eq!(preds(&dag, 1), vec![0]);
        assert!(preds(&dag, 2).is_empty());
        assert_eq!(preds(&dag, 3), vec![0, 1]);
        assert_eq!(edges, 3);
        let kept: Vec<Vec<usize>> = (0..4).map(|t| preds(&dag, t)).collect();
        assert_eq!(inserted, kept, "the inserter gets the DAG's predecessors");
    }

    #[test]
    fn a_cell_says_whether_an_earlier_transaction_writes_its_key() {
        // 0 reads a; 1 writes a; 2 reads a and b; 3 writes b.
        let preps = [
            prep(&[(1, 1, false)], |k| k + 1),
            prep(&[(1, 1, true)], |k| k + 1),
            prep(&[(1, 1, false), (1, 2, false)], |k| k + 1),
            prep(&[(1, 2, true)], |k| k + 1),
        ];
        let table = KeyTable::default();
        let mut scratch = DagScratch::default();
        let mut b = Builder::new(&mut scratch, &table, preps.len(), 1);
        let written: Vec<Vec<bool>> = preps
            .iter()
            .map(|p| {
                let (mut cells, mut preds) = (Vec::new(), Vec::new());
                b.insert(p, &mut cells, &mut preds);
                cells.iter().map(|c| c & WRITTEN != 0).collect()
            })
            .collect();
        assert_eq!(
            written,
            vec![vec![false], vec![false], vec![true, false], vec![false]],
            "only transaction 2's read of a follows a write of it in the run"
        );
    }

    #[test]
    fn colliding_key_ids_keep_their_own_cells() {
        // Every key hashes to the same id: the builder must still tell the keys apart,
        // or two keys would share one key-table cell (and one value).
        let preps = [
            prep(&[(1, 1, true)], |_| 7),
            prep(&[(1, 2, true)], |_| 7),
            prep(&[(2, 1, false)], |_| 7),
        ];
        let (dag, keys, edges, _) = build(&preps);
        assert_eq!(keys.len(), 3, "three distinct keys, three cell ranges");
        let cells: std::collections::BTreeSet<u32> = keys.iter().map(|k| k.cell).collect();
        assert_eq!(cells.len(), 3);
        assert!((0..3).all(|t| preds(&dag, t).is_empty()));
        assert_eq!(edges, 0);
    }

    #[test]
    fn the_key_id_table_grows_and_keeps_every_key() {
        // 5,000 transactions each writing its own key and reading its neighbour's:
        // far past the table's first size, with colliding ids mixed in.
        let preps: Vec<Prep> = (0..5_000u64)
            .map(|k| prep(&[(1, k, true), (1, k + 1, false)], |k| k % 97 + 1))
            .collect();
        let (dag, keys, _, _) = build(&preps);
        assert_eq!(keys.len(), 5_001);
        assert_eq!(dag.len(), 5_000);
        for t in 1..5_000 {
            // t writes key t, which t - 1 read.
            assert_eq!(preds(&dag, t), vec![t - 1], "transaction {t}");
        }
    }

    #[test]
    fn the_chunk_size_follows_how_close_conflicts_are() {
        // 256 transactions writing keys of their own, but for `pairs` pairs `gap`
        // apart that write one key (the later depends on the earlier).
        let dag = |pairs: usize, gap: usize| {
            let mut keys: Vec<u64> = (10_000..10_256).collect();
            let firsts = (0..256).filter(|t| t % (2 * gap) < gap);
            for first in firsts.take(pairs) {
                let k = keys.get(first).copied();
                if let (Some(k), Some(second)) = (k, keys.get_mut(first + gap)) {
                    *second = k;
                }
            }
            let preps: Vec<Prep> = keys
                .iter()
                .map(|&k| prep(&[(1, k, true)], |k| k + 1))
                .collect();
            build(&preps).0
        };
        assert_eq!(claim_for(&dag(0, 1)), MAX_CLAIM, "no conflicts");
        assert_eq!(claim_for(&dag(25, 1)), MAX_CLAIM, "a tenth conflict");
        assert_eq!(claim_for(&dag(27, 1)), CLAIM, "more than a tenth");
        assert_eq!(claim_for(&dag(128, 1)), CLAIM, "neighbours conflict");
        assert_eq!(claim_for(&dag(128, 20)), CLAIM, "within 32, beyond 16");
        assert_eq!(
            claim_for(&dag(128, 40)),
            MAX_CLAIM / 4,
            "within 64, beyond 32"
        );
        assert_eq!(claim_for(&dag(128, 64)), MAX_CLAIM / 4);
        assert_eq!(
            claim_for(&dag(128, 70)),
            MAX_CLAIM / 2,
            "within 128, beyond 64"
        );
        assert_eq!(claim_for(&dag(128, 130)), MAX_CLAIM, "beyond 128");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        /// A chunk run with skipping: every transaction runs once, after its
        /// predecessor in the chunk and once its outside predecessor is done; with
        /// nothing outside to wait for, in block order.
        #[test]
        fn a_chunk_runs_each_transaction_once_it_is_ready(
            deps in proptest::collection::vec(
                (proptest::option::of(0usize..MAX_CLAIM), 0u32..6),
                1..=MAX_CLAIM,
            ),
        ) {
            let n = deps.len();
            // Transaction i depends on chunk transaction `inner` (an earlier one)
            // and on an outside transaction done after `outside` checks.
            let inner = |i: usize| deps[i].0.filter(|&j| j < i);
            let mut outside: Vec<u32> = deps.iter().map(|d| d.1).collect();
            let mut order = Vec::new();
            let mut looks = 0;
            skipping(n, |i| {
                looks += 1;
                let ready_inside = inner(i).is_none_or(|j| order.contains(&j));
                if !ready_inside || outside[i] > 0 {
                    outside[i] = outside[i].saturating_sub(1);
                    return false;
                }
                assert!(!order.contains(&i), "{i} ran twice");
                order.push(i);
                true
            });
            let mut sorted = order.clone();
            sorted.sort_unstable();
            proptest::prop_assert_eq!(sorted, (0..n).collect::<Vec<_>>());
            // With no outside waits, the chunk runs in block order without blocking.
            if deps.iter().all(|d| d.1 == 0) {
                proptest::prop_assert_eq!(order, (0..n).collect::<Vec<_>>());
                proptest::prop_assert_eq!(looks, n, "each looked at once");
            }
        }
    }

    #[test]
    fn a_key_id_picks_the_shard_of_every_word_of_its_value() {
        for k in 0..64u64 {
            let e = AccessEntry {
                contract: [k as u8; 20],
                field: (k % 3) as u16,
                key: AccessKey::Key(U256::from(k * 7919)),
                write: k % 2 == 0,
            };
            let AccessKey::Key(key) = e.key else {
                unreachable!("built with a key")
            };
            for word in 0..3 {
                let slot = SlotKey {
                    contract: e.contract,
                    field: e.field,
                    key,
                    word,
                };
                assert_eq!(shard_of_hash(key_id(&e)), crate::state::shard_of(&slot));
            }
        }
    }

    #[test]
    fn key_table_segments_tile_the_cells() {
        let first = 1usize << SEGMENT_BITS;
        assert_eq!(locate(0), (0, 0));
        assert_eq!(locate(first - 1), (0, first - 1));
        assert_eq!(locate(first), (1, 0));
        assert_eq!(locate(3 * first - 1), (1, 2 * first - 1));
        assert_eq!(locate(3 * first), (2, 0));
        let table = KeyTable::default();
        assert_eq!(
            table.reserve(3 * first + 1),
            7 * first,
            "segments 0, 1 and 2"
        );
        assert_eq!(
            table.reserve(first),
            first,
            "segment 0 holds cell first - 1"
        );
        assert!(table.cell(3 * first).is_some());
        assert!(table.cell(7 * first).is_none(), "segment 3 is not made yet");
    }

    #[test]
    fn the_key_table_forgets_the_last_run() {
        let mut table = KeyTable::default();
        table.start();
        assert_eq!(table.reserve(4), 1 << SEGMENT_BITS);
        assert_eq!(table.get(2), None);
        table.set(2, &U256::from(9));
        assert_eq!(table.get(2), Some(U256::from(9)));
        table.start();
        assert_eq!(table.get(2), None, "a cell of an earlier run is unwritten");
    }
}
