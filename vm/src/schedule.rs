//! The schedule of a parallel block: the conflict DAG built from the transactions'
//! access sets, the block's key table, and the worker loop that runs the DAG.
//!
//! - **Conflict keys**: each access entry (contract, field, key) is hashed with a
//!   per-process seeded hasher into a 64-bit key id, in parallel, during the access
//!   phase. Two keys that collide are treated as one: a collision can only add an
//!   edge, never lose one. Whole-map entries never reach the DAG: a transaction with
//!   one is a barrier that runs alone (see [`crate::executor`]).
//! - **The DAG** ([`Dag::build`], one pass in block order): an entry depends on the
//!   last earlier writer of its key; a write also depends on every reader since that
//!   write. Edges are not stored as lists: each entry records its key's previous
//!   writer entry (`prev`) and, for a write, the head of the reader chain it must
//!   wait for, all in flat arrays (no allocation per edge).
//! - **Running it** ([`run`]): workers claim transactions in block order from one
//!   atomic counter and wait only for their predecessors' done flags. A predecessor
//!   always has a smaller index, so it was claimed earlier and is running or done:
//!   the wait always ends.
//! - **The key table** ([`TxView`]): a transaction reads a slot from the newest
//!   earlier writer of its key that succeeded and wrote it, found by following
//!   `prev` through the per-entry `eff` links (each finished write entry records the
//!   newest successful writer of its key up to itself), else from the world before
//!   the block. The DAG makes this a single-version table: while a transaction runs,
//!   every earlier writer of its keys is done and no later one has started.

use crate::Transaction;
use crate::access::{AccessEntry, AccessKey, AccessSet};
use crate::exec::{self, Prepared};
use crate::interp::{Buffers, CodeStore, WriteBuffer};
use crate::receipt::Receipt;
use crate::state::{SeededState, SlotKey, StateRead, Storage};
use crate::{Address, BlockContext};
use braid_bytecode::U256;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{LazyLock, OnceLock};

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

/// Buffers of the DAG build reused across blocks.
#[derive(Debug, Default)]
pub(crate) struct DagScratch {
    table: Vec<KeySlot>,
    depth: Vec<u32>,
}

/// The conflict DAG of a run of transactions (see the module documentation), over
/// global entry indices: transaction `t`'s entries are `start[t]..start[t + 1]`.
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
    /// The number of dependency edges.
    pub(crate) edges: usize,
    /// The longest dependency chain, in transactions.
    pub(crate) depth: u32,
}

/// One key's state while the DAG is built.
#[derive(Clone, Copy, Debug)]
struct KeySlot {
    id: u64,
    writer: u32,
    readers: u32,
}

impl Dag {
    /// Builds the DAG of `preps` in one pass in order.
    pub(crate) fn build(preps: &[Prep], scratch: &mut DagScratch) -> Dag {
        let total: usize = preps.iter().map(|p| p.keys.len()).sum();
        let mut start = Vec::with_capacity(preps.len() + 1);
        let mut owner = vec![0u32; total];
        let mut write = vec![false; total];
        let mut prev = vec![NONE; total];
        let mut readers = vec![NONE; total];
        let depth = &mut scratch.depth;
        depth.clear();
        depth.resize(preps.len(), 0);
        let (mut edges, mut longest) = (0usize, 0u32);
        let cap = (total * 2).next_power_of_two().max(16);
        let mask = cap - 1;
        let table = &mut scratch.table;
        table.clear();
        table.resize(
            cap,
            KeySlot {
                id: 0,
                writer: NONE,
                readers: NONE,
            },
        );
        let mut g = 0usize;
        for (t, p) in preps.iter().enumerate() {
            let t32 = index(t);
            start.push(index(g));
            let mut d = 0u32;
            for (e, &id) in p.access.entries().iter().zip(&p.keys) {
                let mut i = (id as usize) & mask;
                // The table has twice as many slots as entries: a free one exists.
                while let Some(s) = table.get(i)
                    && s.id != id
                    && s.id != 0
                {
                    i = (i + 1) & mask;
                }
                let (Some(slot), Some(own)) = (table.get_mut(i), owner.get_mut(g)) else {
                    break;
                };
                *own = t32;
                slot.id = id;
                // A key id this transaction already touched (a hash collision of two
                // of its own keys): depend on what came before the transaction.
                let mut writer = slot.writer;
                if writer != NONE && at(&owner, writer) == t32 {
                    writer = at(&prev, writer);
                }
                if writer != NONE {
                    edges += 1;
                    d = d.max(at(depth, at(&owner, writer)));
                }
                if let (Some(w), Some(pv), Some(rd)) =
                    (write.get_mut(g), prev.get_mut(g), readers.get_mut(g))
                {
                    *w = e.write;
                    *pv = writer;
                    *rd = slot.readers;
                }
                let g32 = index(g);
                if e.write {
                    let mut r = slot.readers;
                    while r != NONE {
                        let o = at(&owner, r);
                        if o != t32 {
                            edges += 1;
                            d = d.max(at(depth, o));
                        }
                        r = at(&readers, r);
                    }
                    slot.writer = g32;
                    slot.readers = NONE;
                } else {
                    slot.readers = g32;
                }
                g += 1;
            }
            if let Some(slot) = depth.get_mut(t) {
                *slot = d + 1;
            }
            longest = longest.max(d + 1);
        }
        start.push(index(g));
        Dag {
            start,
            owner,
            write,
            prev,
            readers,
            edges,
            depth: longest,
        }
    }

    /// The global entry range of transaction `t`.
    fn entries(&self, t: usize) -> std::ops::Range<usize> {
        let s = self.start.get(t).copied().unwrap_or(0) as usize;
        let e = self.start.get(t + 1).copied().unwrap_or(0) as usize;
        s..e
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

/// What a finished transaction leaves for its successors and the merge.
#[derive(Debug)]
pub(crate) struct Done {
    /// Its receipt.
    pub(crate) receipt: Receipt,
    /// Its writes (empty unless it succeeded).
    pub(crate) writes: WriteBuffer,
    /// The gas of the heaviest dependency chain ending with it.
    pub(crate) path_gas: u64,
}

/// The per-transaction and per-entry cells of a run, reused across blocks.
#[derive(Debug, Default)]
pub(crate) struct RunCells {
    eff: Vec<AtomicU32>,
    done: Vec<OnceLock<Done>>,
}

impl RunCells {
    /// Sizes the cells for `dag` and `txs` transactions, all empty.
    fn reset(&mut self, entries: usize, txs: usize) {
        self.eff.truncate(entries);
        for e in &mut self.eff {
            *e.get_mut() = NONE;
        }
        self.eff.resize_with(entries, || AtomicU32::new(NONE));
        self.done.truncate(txs);
        for d in &mut self.done {
            d.take();
        }
        self.done.resize_with(txs, OnceLock::new);
    }

    /// Takes the finished transactions out, in block order, leaving the cells empty.
    pub(crate) fn take_done(&mut self) -> impl Iterator<Item = Option<Done>> + '_ {
        self.done.iter_mut().map(OnceLock::take)
    }

    /// The finished transactions' writes, in block order.
    pub(crate) fn writes(&self) -> impl Iterator<Item = &[(SlotKey, U256)]> {
        self.done
            .iter()
            .filter_map(OnceLock::get)
            .map(|d| d.writes.entries())
    }
}

/// The shared state of one parallel run.
pub(crate) struct Run<'a, 'm> {
    dag: &'a Dag,
    preps: &'a [Prep],
    ready: &'a [Ready<'m>],
    txs: &'a [Transaction],
    base: &'a Storage,
    block: BlockContext,
    next: AtomicUsize,
    eff: &'a [AtomicU32],
    done: &'a [OnceLock<Done>],
}

impl<'a, 'm> Run<'a, 'm> {
    /// A run of `txs` (prepared as `preps` and `ready`, scheduled by `dag`) over
    /// `base`, in `cells` (emptied first).
    pub(crate) fn new(
        dag: &'a Dag,
        preps: &'a [Prep],
        ready: &'a [Ready<'m>],
        txs: &'a [Transaction],
        base: &'a Storage,
        block: BlockContext,
        cells: &'a mut RunCells,
    ) -> Self {
        cells.reset(dag.owner.len(), txs.len());
        Run {
            dag,
            preps,
            ready,
            txs,
            base,
            block,
            next: AtomicUsize::new(0),
            eff: &cells.eff,
            done: &cells.done,
        }
    }

    /// One worker's loop: claim the next [`CLAIM`] transactions in block order, and
    /// for each in turn wait for its predecessors, run it and publish it; until the
    /// block is exhausted. Claiming a few at a time keeps the workers off one shared
    /// cache line, and a conflict between neighbours costs no wait at all.
    pub(crate) fn work<C: CodeStore + ?Sized>(&self, bufs: &mut Buffers, code: &C) {
        loop {
            let first = self.next.fetch_add(CLAIM, Ordering::Relaxed);
            if first >= self.txs.len() {
                return;
            }
            for t in first..(first + CLAIM).min(self.txs.len()) {
                self.run_one(t, bufs, code);
            }
        }
    }

    /// Waits for transaction `t`'s predecessors, runs it and publishes it.
    fn run_one<C: CodeStore + ?Sized>(&self, t: usize, bufs: &mut Buffers, code: &C) {
        {
            let (Some(prep), Some(ready), Some(tx), Some(slot)) = (
                self.preps.get(t),
                self.ready.get(t),
                self.txs.get(t),
                self.done.get(t),
            ) else {
                return;
            };
            let mut path = 0u64;
            self.dag.for_each_pred(t, |p| {
                if let Some(d) = self.done.get(p) {
                    path = path.max(wait(d).path_gas);
                }
            });
            let receipt = match ready {
                Ok(prepared) => {
                    let view = TxView {
                        run: self,
                        access: &prep.access,
                        first: self.dag.entries(t).start,
                        last: std::cell::Cell::new(None),
                    };
                    exec::execute(bufs, code, &view, self.block, tx, prepared, &prep.access)
                }
                Err(_) => failed_receipt(ready),
            };
            let writes = if receipt.is_success() {
                std::mem::take(&mut bufs.writes)
            } else {
                WriteBuffer::default()
            };
            for (g, e) in self.dag.entries(t).zip(prep.access.entries()) {
                if !e.write {
                    continue;
                }
                let wrote = writes.entries().iter().any(|(k, _)| {
                    AccessKey::Key(k.key) == e.key && k.field == e.field && k.contract == e.contract
                });
                let eff = if wrote {
                    index(g)
                } else {
                    match at(&self.dag.prev, index(g)) {
                        NONE => NONE,
                        w => self.eff_of(w),
                    }
                };
                if let Some(cell) = self.eff.get(g) {
                    cell.store(eff, Ordering::Relaxed);
                }
            }
            let path_gas = path.saturating_add(receipt.gas_used);
            // Publishing is a release: the writes and `eff` links above are visible
            // to every transaction that sees this one done.
            let _ = slot.set(Done {
                receipt,
                writes,
                path_gas,
            });
        }
    }

    fn eff_of(&self, g: u32) -> u32 {
        self.eff
            .get(g as usize)
            .map_or(NONE, |c| c.load(Ordering::Relaxed))
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

/// What one running transaction reads: its key table view (see the module
/// documentation).
struct TxView<'r, 'a, 'm> {
    run: &'r Run<'a, 'm>,
    access: &'r AccessSet,
    /// The global index of the transaction's first entry.
    first: usize,
    /// The last key read and the writer entry its chain starts at: a value of
    /// several words is read word by word under one key.
    last: std::cell::Cell<Option<(Address, u16, U256, u32)>>,
}

impl TxView<'_, '_, '_> {
    /// The previous writer entry of `key`'s entry in this transaction's set.
    fn prev_writer(&self, key: &SlotKey) -> u32 {
        if let Some((c, f, k, w)) = self.last.get()
            && k == key.key
            && f == key.field
            && c == key.contract
        {
            return w;
        }
        // The interpreter checked the access against the set before reading, so the
        // entry exists; whole-field entries never run in parallel.
        let w = self
            .access
            .position(&key.contract, key.field, key.key)
            .map_or(NONE, |j| at(&self.run.dag.prev, index(self.first + j)));
        self.last.set(Some((key.contract, key.field, key.key, w)));
        w
    }
}

impl StateRead for TxView<'_, '_, '_> {
    fn storage(&self, key: &SlotKey) -> U256 {
        {
            let mut w = self.prev_writer(key);
            while w != NONE {
                let e = self.run.eff_of(w);
                if e == NONE {
                    break;
                }
                let owner = at(&self.run.dag.owner, e) as usize;
                if let Some(v) = self
                    .run
                    .done
                    .get(owner)
                    .and_then(OnceLock::get)
                    .and_then(|d| d.writes.get(key))
                {
                    return v;
                }
                w = at(&self.run.dag.prev, e);
            }
        }
        self.run.base.get(key)
    }
}
