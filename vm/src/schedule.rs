//! The schedule of a parallel block: the conflict DAG built from the transactions'
//! access sets, the block's key table, and the worker loop that runs the DAG.
//!
//! - **Conflict keys**: each access entry (contract, field, key) is hashed with a
//!   per-process seeded hasher into a 64-bit key id, in parallel, during the access
//!   phase. Two keys that collide are treated as one: a collision can only add an
//!   edge, never lose one. Whole-map entries never reach the DAG: a transaction with
//!   one is a barrier that runs alone (see [`crate::executor`]).
//! - **The DAG** ([`Builder`], one pass in block order): an entry depends on the
//!   last earlier writer of its key; a write also depends on every reader since that
//!   write. Edges are not stored as lists: each entry records its key's previous
//!   writer entry (`prev`) and, for a write, the head of the reader chain it must
//!   wait for, all in flat arrays ([`DagCells`], no allocation per edge).
//! - **Built while the run executes**: one worker builds the DAG in block order and
//!   publishes how far it got; the others run every transaction the DAG already
//!   covers, and the builder joins them when it is done. Building costs about a
//!   tenth of running a transfer, so it stays ahead and leaves no serial phase.
//! - **Running it** ([`Run::work`]): workers claim transactions in block order from
//!   one atomic counter and wait only for their predecessors' done flags. A
//!   predecessor always has a smaller index, so it was claimed earlier and is running
//!   or done: the wait always ends.
//! - **The key table** ([`KeyTable`], the block's one version of every key its
//!   run writes): each distinct key of the run gets one cell per word of its value
//!   when the builder first meets it. A transaction that succeeds stores its writes
//!   in their cells before it publishes itself done; a transaction reads a cell
//!   written in this run, else the world before the block ([`TxView`]). The DAG
//!   makes one version enough: while a transaction runs, every earlier writer of its
//!   keys is done and no later one has started, and a failed transaction stores
//!   nothing. The merge then commits each written cell once, by shard group.
//! - **Nothing allocated per transaction** or per edge: the cells, the DAG arrays
//!   and the done flags are flat arrays reused across blocks.

use crate::Transaction;
use crate::access::{AccessEntry, AccessKey, AccessSet};
use crate::exec::{self, Prepared};
use crate::interp::{Buffers, CodeStore};
use crate::receipt::{Failure, Receipt};
use crate::state::{SeededState, SlotKey, StateRead, Storage, shard_of};
use crate::{Address, BlockContext};
use braid_bytecode::U256;
use crossbeam_utils::CachePadded;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{LazyLock, Mutex, OnceLock, PoisonError};

/// How many consecutive transactions a worker claims at once.
const CLAIM: usize = 8;

/// "No entry" in the DAG's index arrays.
pub(crate) const NONE: u32 = u32::MAX;

/// The process-wide seeded hasher of conflict keys.
static KEY_HASHER: LazyLock<SeededState> = LazyLock::new(SeededState::default);

/// The conflict key id of an access entry: a seeded hash of (contract, field, key),
/// never zero (zero marks an empty table slot).
pub(crate) fn key_id(e: &AccessEntry) -> u64 {
    let mut h = KEY_HASHER.build_hasher();
    let mut head = [0u8; 16];
    let mut tail = [0u8; 4];
    if let (Some(a), Some(b)) = (e.contract.get(..16), e.contract.get(16..)) {
        head.copy_from_slice(a);
        tail.copy_from_slice(b);
    }
    h.write_u128(u128::from_le_bytes(head));
    h.write_u64(u64::from(u32::from_le_bytes(tail)) | (u64::from(e.field) << 32));
    match e.key {
        AccessKey::Whole => h.write_u8(0xff),
        AccessKey::Key(k) => {
            let [a, b, c, d] = *k.as_limbs();
            h.write_u128(u128::from(a) | (u128::from(b) << 64));
            h.write_u128(u128::from(c) | (u128::from(d) << 64));
        }
    }
    h.finish() | 1
}

/// What the access phase leaves for a transaction (kept by the executor across blocks,
/// so its allocations are reused).
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
/// (`None` only before the access phase reached it).
pub(crate) type Ready<'m> = Result<Prepared<'m>, Option<Box<Receipt>>>;

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

/// How many transactions the builder inserts between two publications of its
/// progress (each one a store other workers read).
const PUBLISH: usize = 32;

/// Buffers of the DAG build reused across blocks.
#[derive(Debug, Default)]
pub(crate) struct DagScratch {
    table: Vec<KeySlot>,
    depth: Vec<u32>,
    /// The distinct keys of the last run, in the order the builder met them.
    keys: Vec<KeyInfo>,
}

impl DagScratch {
    /// The distinct keys of the last run built.
    pub(crate) fn keys(&self) -> &[KeyInfo] {
        &self.keys
    }
}

/// A distinct key of a run and its cells in the [`KeyTable`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct KeyInfo {
    contract: Address,
    field: u16,
    key: U256,
    /// Its first cell; word `w` is cell `cell + w`.
    cell: u32,
    /// The words of its value.
    words: u16,
}

/// The conflict DAG of a run of transactions (see the module documentation), over
/// global entry indices: transaction `t`'s entries are `start[t]..start[t + 1]`.
/// This is the frozen form, kept for the block's statistics.
#[derive(Clone, Debug, Default)]
pub(crate) struct Dag {
    /// Each transaction's first entry; one more element than transactions.
    start: Vec<u32>,
    /// The transaction of each entry.
    owner: Vec<u32>,
    /// Whether each entry writes.
    write: Vec<bool>,
    /// The previous writer entry of the entry's key in an earlier transaction.
    prev: Vec<u32>,
    /// For a write entry, the newest reader entry of its key since `prev`; for a
    /// read entry, the next older reader in that same chain.
    readers: Vec<u32>,
}

impl Dag {
    /// The global entry range of transaction `t`.
    fn entries(&self, t: usize) -> std::ops::Range<usize> {
        range(&self.start, t)
    }

    /// Calls `f` with each transaction `t` depends on (possibly more than once).
    pub(crate) fn for_each_pred(&self, t: usize, mut f: impl FnMut(usize)) {
        let t32 = index(t);
        for g in self.entries(t) {
            let w = at(&self.prev, index(g));
            if w != NONE {
                f(at(&self.owner, w) as usize);
            }
            if self.write.get(g).copied().unwrap_or(false) {
                let mut r = at(&self.readers, index(g));
                while r != NONE {
                    let o = at(&self.owner, r);
                    if o != t32 {
                        f(o as usize);
                    }
                    r = at(&self.readers, r);
                }
            }
        }
    }
}

/// The DAG while it is built and run: the arrays of [`Dag`] as atomics the builder
/// fills in block order while workers read the part already published, and each
/// entry's first cell in the [`KeyTable`].
#[derive(Debug, Default)]
pub(crate) struct DagCells {
    start: Vec<u32>,
    owner: Vec<AtomicU32>,
    prev: Vec<AtomicU32>,
    readers: Vec<AtomicU32>,
    cell: Vec<AtomicU32>,
}

impl DagCells {
    /// Empty cells for the entries of `preps`.
    pub(crate) fn new(preps: &[Prep]) -> DagCells {
        let mut start = Vec::with_capacity(preps.len() + 1);
        let mut g = 0usize;
        for p in preps {
            start.push(index(g));
            g += p.keys.len();
        }
        start.push(index(g));
        let cells = |n: usize| (0..n).map(|_| AtomicU32::new(NONE)).collect();
        DagCells {
            start,
            owner: cells(g),
            prev: cells(g),
            readers: cells(g),
            cell: cells(g),
        }
    }

    /// The number of entries.
    fn len(&self) -> usize {
        self.owner.len()
    }

    /// The global entry range of transaction `t`.
    fn entries(&self, t: usize) -> std::ops::Range<usize> {
        range(&self.start, t)
    }

    /// The frozen DAG (the arrays are reused in place).
    pub(crate) fn freeze(self, preps: &[Prep]) -> Dag {
        let plain = |v: Vec<AtomicU32>| v.into_iter().map(AtomicU32::into_inner).collect();
        let write = preps
            .iter()
            .flat_map(|p| p.access.entries().iter().map(|e| e.write))
            .collect();
        Dag {
            start: self.start,
            owner: plain(self.owner),
            write,
            prev: plain(self.prev),
            readers: plain(self.readers),
        }
    }

    /// Calls `f` with each transaction `t` depends on (possibly more than once);
    /// `entries` are `t`'s access entries. Only for a transaction already inserted.
    fn for_each_pred(&self, t: usize, entries: &[AccessEntry], mut f: impl FnMut(usize)) {
        let t32 = index(t);
        for (g, e) in self.entries(t).zip(entries) {
            let w = load(&self.prev, g);
            if w != NONE {
                f(load(&self.owner, w as usize) as usize);
            }
            if e.write {
                let mut r = load(&self.readers, g);
                while r != NONE {
                    let o = load(&self.owner, r as usize);
                    if o != t32 {
                        f(o as usize);
                    }
                    r = load(&self.readers, r as usize);
                }
            }
        }
    }
}

/// `v[i]` of an atomic array, or [`NONE`] out of range.
fn load(v: &[AtomicU32], i: usize) -> u32 {
    v.get(i).map_or(NONE, |c| c.load(Ordering::Relaxed))
}

/// Stores `x` in `v[i]` (nothing out of range).
fn store(v: &[AtomicU32], i: usize, x: u32) {
    if let Some(c) = v.get(i) {
        c.store(x, Ordering::Relaxed);
    }
}

/// `start[t]..start[t + 1]` as entry indices.
fn range(start: &[u32], t: usize) -> std::ops::Range<usize> {
    let s = start.get(t).copied().unwrap_or(0) as usize;
    let e = start.get(t + 1).copied().unwrap_or(0) as usize;
    s..e
}

/// One key's state while the DAG is built.
#[derive(Clone, Copy, Debug)]
struct KeySlot {
    id: u64,
    /// Its index in [`DagScratch::keys`].
    key: u32,
    writer: u32,
    readers: u32,
}

/// Whether `info` is the key of access entry `e`.
fn same_key(info: &KeyInfo, e: &AccessEntry) -> bool {
    AccessKey::Key(info.key) == e.key && info.field == e.field && info.contract == e.contract
}

/// Builds the DAG of a run in block order, one transaction at a time, into
/// [`DagCells`], giving each distinct key its cells (see the module documentation).
pub(crate) struct Builder<'a> {
    preps: &'a [Prep],
    dag: &'a DagCells,
    scratch: &'a mut DagScratch,
    mask: usize,
    /// The next transaction to insert.
    next: usize,
    /// The next free cell.
    next_cell: u32,
    /// The number of dependency edges so far.
    pub(crate) edges: usize,
    /// The longest dependency chain so far, in transactions.
    pub(crate) depth: u32,
}

impl<'a> Builder<'a> {
    /// A builder of `dag` (made for `preps`), with `scratch`'s buffers.
    pub(crate) fn new(preps: &'a [Prep], dag: &'a DagCells, scratch: &'a mut DagScratch) -> Self {
        let cap = (dag.len() * 2).next_power_of_two().max(16);
        scratch.table.clear();
        scratch.table.resize(
            cap,
            KeySlot {
                id: 0,
                key: NONE,
                writer: NONE,
                readers: NONE,
            },
        );
        scratch.depth.clear();
        scratch.depth.resize(preps.len(), 0);
        scratch.keys.clear();
        Builder {
            preps,
            dag,
            scratch,
            mask: cap - 1,
            next: 0,
            next_cell: 0,
            edges: 0,
            depth: 0,
        }
    }

    /// How many transactions are inserted.
    pub(crate) fn built(&self) -> usize {
        self.next
    }

    /// Inserts the transactions up to (not including) `end`.
    pub(crate) fn build_to(&mut self, end: usize) {
        while self.next < end.min(self.preps.len()) {
            self.insert(self.next);
            self.next += 1;
        }
    }

    /// Inserts transaction `t` (every earlier one is inserted).
    fn insert(&mut self, t: usize) {
        let Some(p) = self.preps.get(t) else {
            return;
        };
        let dag = self.dag;
        let t32 = index(t);
        let DagScratch { table, depth, keys } = &mut *self.scratch;
        let mut d = 0u32;
        let entries = p.access.entries().iter().zip(&p.keys).zip(&p.words);
        for (((e, &id), &words), g) in entries.zip(dag.entries(t)) {
            // The table has twice as many slots as entries: a free one exists. Ids
            // that collide are told apart by the key itself.
            let mut i = (id as usize) & self.mask;
            while let Some(s) = table.get(i)
                && s.id != 0
                && !(s.id == id && keys.get(s.key as usize).is_some_and(|k| same_key(k, e)))
            {
                i = (i + 1) & self.mask;
            }
            let Some(slot) = table.get_mut(i) else {
                break;
            };
            if slot.id == 0 {
                let (AccessKey::Key(key), Ok(n)) = (e.key, u32::try_from(keys.len())) else {
                    break;
                };
                slot.id = id;
                slot.key = n;
                keys.push(KeyInfo {
                    contract: e.contract,
                    field: e.field,
                    key,
                    cell: self.next_cell,
                    words,
                });
                self.next_cell = self.next_cell.saturating_add(u32::from(words));
            }
            store(&dag.owner, g, t32);
            store(
                &dag.cell,
                g,
                keys.get(slot.key as usize).map_or(NONE, |k| k.cell),
            );
            let writer = slot.writer;
            if writer != NONE {
                self.edges += 1;
                d = d.max(at(depth, load(&dag.owner, writer as usize)));
            }
            store(&dag.prev, g, writer);
            store(&dag.readers, g, slot.readers);
            let g32 = index(g);
            if e.write {
                let mut r = slot.readers;
                while r != NONE {
                    let o = load(&dag.owner, r as usize);
                    if o != t32 {
                        self.edges += 1;
                        d = d.max(at(depth, o));
                    }
                    r = load(&dag.readers, r as usize);
                }
                slot.writer = g32;
                slot.readers = NONE;
            } else {
                slot.readers = g32;
            }
        }
        if let Some(slot) = depth.get_mut(t) {
            *slot = d + 1;
        }
        self.depth = self.depth.max(d + 1);
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

/// One word of the key table.
#[derive(Debug, Default)]
struct WordCell {
    /// The value's limbs, least significant first.
    limbs: [AtomicU64; 4],
    /// The run that wrote it (a cell of an older run is unwritten).
    run: AtomicU32,
    /// The shard of its slot ([`shard_of`]), for the merge.
    shard: AtomicU8,
}

/// The block's key table: one cell per word of every key a run may write (see the
/// module documentation), reused across runs; a cell counts as written only when
/// it carries the current run's number.
#[derive(Debug, Default)]
pub(crate) struct KeyTable {
    cells: Vec<WordCell>,
    run: u32,
}

impl KeyTable {
    /// Starts a run of at most `words` cells, every cell unwritten.
    fn start(&mut self, words: usize) {
        if self.cells.len() < words {
            self.cells.resize_with(words, WordCell::default);
        }
        self.run = self.run.wrapping_add(1);
        if self.run == 0 {
            // After 2^32 runs the numbers wrap: forget every cell once.
            for c in &mut self.cells {
                *c.run.get_mut() = 0;
            }
            self.run = 1;
        }
    }

    /// Cell `c`'s value if this run wrote it.
    fn get(&self, c: usize) -> Option<U256> {
        let cell = self.cells.get(c)?;
        if cell.run.load(Ordering::Relaxed) != self.run {
            return None;
        }
        let l = |i: usize| cell.limbs.get(i).map_or(0, |x| x.load(Ordering::Relaxed));
        Some(U256::from_limbs([l(0), l(1), l(2), l(3)]))
    }

    /// Writes cell `c` (the DAG guarantees no other transaction uses it meanwhile;
    /// publishing the writer done makes it visible).
    fn set(&self, c: usize, value: &U256, shard: usize) {
        let Some(cell) = self.cells.get(c) else {
            return;
        };
        for (x, v) in cell.limbs.iter().zip(value.as_limbs()) {
            x.store(*v, Ordering::Relaxed);
        }
        cell.shard
            .store(u8::try_from(shard).unwrap_or(0), Ordering::Relaxed);
        cell.run.store(self.run, Ordering::Relaxed);
    }

    /// Calls `f(shard, slot, value)` with every word this run wrote of `keys` whose
    /// shard is in group `group` of `groups` (shard modulo `groups`).
    pub(crate) fn for_each_written(
        &self,
        keys: &[KeyInfo],
        group: usize,
        groups: usize,
        f: &mut dyn FnMut(usize, SlotKey, U256),
    ) {
        for k in keys {
            for word in 0..k.words {
                let c = k.cell as usize + usize::from(word);
                let Some(v) = self.get(c) else {
                    continue;
                };
                let shard = self
                    .cells
                    .get(c)
                    .map_or(0, |x| usize::from(x.shard.load(Ordering::Relaxed)));
                if shard % groups.max(1) == group {
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

/// What a finished transaction leaves for its successors and the merge.
#[derive(Debug)]
pub(crate) struct Done {
    /// Its receipt.
    pub(crate) receipt: Receipt,
    /// The gas of the heaviest dependency chain ending with it.
    pub(crate) path_gas: u64,
}

/// The per-transaction cells of a run and the key table, reused across blocks.
#[derive(Debug, Default)]
pub(crate) struct RunCells {
    done: Vec<OnceLock<Done>>,
    /// The block's key table.
    pub(crate) table: KeyTable,
}

impl RunCells {
    /// Sizes the cells for `txs` transactions and `words` key-table words, all empty.
    fn reset(&mut self, txs: usize, words: usize) {
        for d in &mut self.done {
            d.take();
        }
        self.done.resize_with(txs, OnceLock::new);
        self.table.start(words);
    }

    /// Moves the finished transactions' receipts into `out`, in block order (`None`
    /// for one that never finished).
    pub(crate) fn take_receipts(&mut self, mut out: impl FnMut(Option<Receipt>)) {
        for d in &mut self.done {
            out(d.take().map(|d| d.receipt));
        }
    }
}

/// The shared state of one parallel run.
pub(crate) struct Run<'a, 'm> {
    dag: &'a DagCells,
    preps: &'a [Prep],
    ready: &'a [Ready<'m>],
    txs: &'a [Transaction],
    base: &'a Storage,
    block: BlockContext,
    /// The next transaction to claim: written by every claim, so on its own cache
    /// line, away from what workers only read.
    next: CachePadded<AtomicUsize>,
    /// How many transactions the DAG covers so far (its own line too: the builder
    /// writes it while the others read it).
    built: CachePadded<AtomicUsize>,
    /// The builder, taken by the first worker to arrive.
    builder: Mutex<Option<Builder<'a>>>,
    /// Set when the builder is done (it then has joined the workers).
    finished: AtomicBool,
    table: &'a KeyTable,
    done: &'a [OnceLock<Done>],
}

/// What a parallel run needs besides the transactions.
pub(crate) struct RunParts<'a, 'm> {
    /// The DAG cells the builder fills.
    pub(crate) dag: &'a DagCells,
    /// The builder, with the part of the DAG already built.
    pub(crate) builder: Builder<'a>,
    /// The access phase's results.
    pub(crate) preps: &'a [Prep],
    /// The entry points.
    pub(crate) ready: &'a [Ready<'m>],
}

impl<'a, 'm> Run<'a, 'm> {
    /// A run of `txs` over `base`, in `cells` (emptied first).
    pub(crate) fn new(
        parts: RunParts<'a, 'm>,
        txs: &'a [Transaction],
        base: &'a Storage,
        block: BlockContext,
        cells: &'a mut RunCells,
    ) -> Self {
        let RunParts {
            dag,
            builder,
            preps,
            ready,
        } = parts;
        let words = preps
            .iter()
            .map(|p| p.words.iter().map(|&w| usize::from(w)).sum::<usize>())
            .sum();
        cells.reset(txs.len(), words);
        Run {
            dag,
            preps,
            ready,
            txs,
            base,
            block,
            next: CachePadded::new(AtomicUsize::new(0)),
            built: CachePadded::new(AtomicUsize::new(builder.built())),
            builder: Mutex::new(Some(builder)),
            finished: AtomicBool::new(false),
            table: &cells.table,
            done: &cells.done,
        }
    }

    /// The DAG's edges, once the run is over.
    pub(crate) fn dag_edges(&self) -> usize {
        let b = self.builder.lock().unwrap_or_else(PoisonError::into_inner);
        b.as_ref().map_or(0, |b| b.edges)
    }

    /// One worker's loop. The first worker to arrive finishes building the DAG,
    /// publishing its progress, and then joins the others. Each worker claims the
    /// next [`CLAIM`] transactions in block order, and for each in turn waits until
    /// the DAG covers it and its predecessors are done, runs it and publishes it;
    /// until the block is exhausted. Claiming a few at a time keeps the workers off
    /// one shared cache line, and a conflict between neighbours costs no wait at all.
    pub(crate) fn work<C: CodeStore + ?Sized>(&self, bufs: &mut Buffers, code: &C) {
        if let Ok(mut slot) = self.builder.try_lock()
            && !self.finished.load(Ordering::Relaxed)
            && let Some(b) = slot.as_mut()
        {
            while b.built() < self.txs.len() {
                b.build_to(b.built() + PUBLISH);
                self.built.store(b.built(), Ordering::Release);
            }
            self.finished.store(true, Ordering::Relaxed);
        }
        let mut built = 0;
        loop {
            let first = self.next.fetch_add(CLAIM, Ordering::Relaxed);
            if first >= self.txs.len() {
                return;
            }
            let end = (first + CLAIM).min(self.txs.len());
            if built < end {
                built = self.wait_built(end);
            }
            for t in first..end {
                self.run_one(t, bufs, code);
            }
        }
    }

    /// Waits until the DAG covers the transactions before `end`; returns how many
    /// it covers.
    fn wait_built(&self, end: usize) -> usize {
        let mut spins = 0u32;
        loop {
            let built = self.built.load(Ordering::Acquire);
            if built >= end {
                return built;
            }
            if spins < 128 {
                spins += 1;
                std::hint::spin_loop();
            } else {
                std::thread::yield_now();
            }
        }
    }

    /// Waits for transaction `t`'s predecessors, runs it and publishes it.
    fn run_one<C: CodeStore + ?Sized>(&self, t: usize, bufs: &mut Buffers, code: &C) {
        let (Some(prep), Some(ready), Some(tx), Some(slot)) = (
            self.preps.get(t),
            self.ready.get(t),
            self.txs.get(t),
            self.done.get(t),
        ) else {
            return;
        };
        let mut path = 0u64;
        self.dag.for_each_pred(t, prep.access.entries(), |p| {
            if let Some(d) = self.done.get(p) {
                path = path.max(wait(d).path_gas);
            }
        });
        let first = self.dag.entries(t).start;
        let mut receipt = match ready {
            Ok(prepared) => {
                let view = TxView {
                    run: self,
                    prep,
                    first,
                    last: std::cell::Cell::new(None),
                };
                exec::execute(bufs, code, &view, self.block, tx, prepared, &prep.access)
            }
            Err(_) => failed_receipt(ready),
        };
        if receipt.is_success() {
            self.store_writes(prep, first, bufs, &mut receipt);
        }
        let path_gas = path.saturating_add(receipt.gas_used);
        // Publishing is a release: the cells stored above are visible to every
        // transaction that sees this one done.
        let _ = slot.set(Done { receipt, path_gas });
    }

    /// Stores a successful transaction's writes in their key-table cells. A write
    /// outside its entry's words (which the verifier rules out) fails the
    /// transaction instead, before any cell is touched.
    fn store_writes(&self, prep: &Prep, first: usize, bufs: &Buffers, receipt: &mut Receipt) {
        let cell_of = |k: &SlotKey| {
            let j = prep.access.position(&k.contract, k.field, k.key)?;
            let words = *prep.words.get(j)?;
            let c = load(&self.dag.cell, first + j);
            (k.word < words && c != NONE).then(|| c as usize + usize::from(k.word))
        };
        let writes = bufs.writes.entries();
        if writes.iter().any(|(k, _)| cell_of(k).is_none()) {
            *receipt = Receipt::failed(
                Failure::Internal("a write outside the key table".to_string()),
                receipt.gas_used,
                receipt.ret_type.clone(),
            );
            return;
        }
        for (k, v) in writes {
            if let Some(c) = cell_of(k) {
                self.table.set(c, v, shard_of(k));
            }
        }
    }
}

/// Waits until a transaction is done (it was claimed earlier, so it is running).
fn wait(cell: &OnceLock<Done>) -> &Done {
    let mut spins = 0u32;
    loop {
        if let Some(d) = cell.get() {
            return d;
        }
        if spins < 128 {
            spins += 1;
            std::hint::spin_loop();
        } else {
            std::thread::yield_now();
        }
    }
}

/// What one running transaction reads: the key table over the world before the
/// block (see the module documentation).
struct TxView<'r, 'a, 'm> {
    run: &'r Run<'a, 'm>,
    prep: &'r Prep,
    /// The global index of the transaction's first entry.
    first: usize,
    /// The last key read, its first cell and its words: a value of several words is
    /// read word by word under one key.
    last: std::cell::Cell<Option<LastKey>>,
}

/// A key read (contract, field, key), its first cell and its words.
type LastKey = (Address, u16, U256, u32, u16);

impl TxView<'_, '_, '_> {
    /// The key-table cell of `key`, from its entry in this transaction's set.
    fn cell(&self, key: &SlotKey) -> Option<usize> {
        let (cell, words) = match self.last.get() {
            Some((c, f, k, cell, words)) if k == key.key && f == key.field && c == key.contract => {
                (cell, words)
            }
            _ => {
                // The host checked the access against the set before reading, so the
                // entry exists; whole-field entries never run in parallel.
                let (cell, words) = self
                    .prep
                    .access
                    .position(&key.contract, key.field, key.key)
                    .map_or((NONE, 0), |j| {
                        let words = self.prep.words.get(j).copied().unwrap_or(0);
                        (load(&self.run.dag.cell, self.first + j), words)
                    });
                self.last
                    .set(Some((key.contract, key.field, key.key, cell, words)));
                (cell, words)
            }
        };
        (cell != NONE && key.word < words).then(|| cell as usize + usize::from(key.word))
    }
}

impl StateRead for TxView<'_, '_, '_> {
    fn storage(&self, key: &SlotKey) -> U256 {
        self.cell(key)
            .and_then(|c| self.run.table.get(c))
            .unwrap_or_else(|| self.run.base.get(key))
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

    fn build(preps: &[Prep]) -> (Dag, Vec<KeyInfo>, usize) {
        let cells = DagCells::new(preps);
        let mut scratch = DagScratch::default();
        let mut b = Builder::new(preps, &cells, &mut scratch);
        b.build_to(preps.len());
        let edges = b.edges;
        (cells.freeze(preps), scratch.keys().to_vec(), edges)
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
        let (dag, keys, edges) = build(&preps);
        assert_eq!(keys.len(), 2);
        assert_eq!(preds(&dag, 1), vec![0]);
        assert!(preds(&dag, 2).is_empty());
        assert_eq!(preds(&dag, 3), vec![0, 1]);
        assert_eq!(edges, 3);
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
        let (dag, keys, edges) = build(&preps);
        assert_eq!(keys.len(), 3, "three distinct keys, three cell ranges");
        let cells: std::collections::BTreeSet<u32> = keys.iter().map(|k| k.cell).collect();
        assert_eq!(cells.len(), 3);
        assert!((0..3).all(|t| preds(&dag, t).is_empty()));
        assert_eq!(edges, 0);
    }

    #[test]
    fn the_key_table_forgets_the_last_run() {
        let mut table = KeyTable::default();
        table.start(4);
        assert_eq!(table.get(2), None);
        table.set(2, &U256::from(9), 3);
        assert_eq!(table.get(2), Some(U256::from(9)));
        table.start(4);
        assert_eq!(table.get(2), None, "a cell of an earlier run is unwritten");
    }
}
