//! A block that runs in order, on two threads. The probe found too little
//! parallelism to schedule, so the calling thread runs the transactions in block
//! order over the block's writes, as the sequential executor does; but a pool thread
//! prepares them a few chunks ahead (resolves each, evaluates its access set) and
//! builds the block's conflict graph for the statistics meanwhile, so the calling
//! thread evaluates nothing itself.
//!
//! The probe's transactions, prepared already, are shared by both threads as they
//! are: the calling thread runs them at once while the pool thread inserts them
//! into the graph. After them, the two threads hand chunks over through a ring of
//! slots: the pool fills slot
//! `k % SLOTS` with chunk `k` once the calling thread is done with chunk
//! `k - SLOTS`, and publishes it; the calling thread runs a chunk once it is
//! published. Each slot is locked by one thread at a time, in turn, so no lock is
//! ever contended. If the pool thread stops early (a panic), the calling thread
//! prepares the rest itself; and when a chunk it needs is not published within the
//! run's patience (the pool thread was descheduled: this host steals time from its
//! vCPUs), it prepares that chunk itself rather than wait, as a parallel run's
//! worker takes over an overdue chunk. The pool thread, once back, still prepares
//! every chunk, for the graph.

use super::{Graph, InOrder};
use crate::chain::{CodeMaps, CodeView};
use crate::interp::Buffers;
use crate::keymemo::KeyMemo;
use crate::receipt::Receipt;
use crate::schedule::{self, Builder, DagScratch, KeyTable, Prep, Ready};
use crate::state::Storage;
use crate::{BlockContext, Transaction};
use crossbeam_utils::CachePadded;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// Transactions a slot holds.
const CHUNK: usize = 64;

/// Slots of the ring: how many chunks the pool may prepare ahead.
const SLOTS: usize = 4;

/// One chunk's prepared transactions: access sets and entry points.
#[derive(Default)]
struct Slot<'c> {
    preps: Vec<Prep>,
    ready: Vec<Ready<'c>>,
}

/// The ring between the pool thread (which prepares) and the calling thread (which
/// runs).
pub(super) struct Pipe<'c> {
    slots: Vec<CachePadded<Mutex<Slot<'c>>>>,
    /// How many chunks are prepared (published with release).
    prepared: CachePadded<AtomicUsize>,
    /// How many chunks have run (their slots are free again).
    ran: CachePadded<AtomicUsize>,
    /// Whether the pool thread has stopped (done, or panicked).
    stopped: AtomicBool,
    /// How long the calling thread waits for a chunk before it prepares it itself.
    patience: Duration,
}

/// What the pool thread found: the conflict graph and its edges, barriers and runs.
pub(super) type Found = (Graph, usize, usize, usize);

/// Sets the pool thread's stop flag when it returns or unwinds.
struct Stopped<'a>(&'a AtomicBool);

impl Drop for Stopped<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Release);
    }
}

/// Frees every slot when the calling thread returns or unwinds, so that the pool
/// thread never waits for a chunk nobody will run.
struct Gone<'a>(&'a AtomicUsize);

impl Drop for Gone<'_> {
    fn drop(&mut self) {
        self.0.store(usize::MAX, Ordering::Release);
    }
}

impl<'c> Pipe<'c> {
    /// An empty ring whose slots reuse the preps at the end of `spare`, past its
    /// first `keep`; the calling thread waits up to `patience` for a chunk.
    pub(super) fn new(spare: &mut Vec<Prep>, keep: usize, patience: Duration) -> Self {
        let slots = (0..SLOTS)
            .map(|_| {
                let at = spare.len().saturating_sub(CHUNK).max(keep.min(spare.len()));
                let mut preps = spare.split_off(at);
                preps.resize_with(CHUNK, Prep::default);
                CachePadded::new(Mutex::new(Slot {
                    preps,
                    ready: Vec::with_capacity(CHUNK),
                }))
            })
            .collect();
        Pipe {
            slots,
            prepared: CachePadded::new(AtomicUsize::new(0)),
            ran: CachePadded::new(AtomicUsize::new(0)),
            stopped: AtomicBool::new(false),
            patience,
        }
    }

    /// Gives the slots' preps back to `spare`, for the next block.
    pub(super) fn recycle(self, spare: &mut Vec<Prep>) {
        for slot in self.slots {
            let slot = CachePadded::into_inner(slot)
                .into_inner()
                .unwrap_or_else(PoisonError::into_inner);
            spare.extend(slot.preps);
        }
    }

    /// Slot `k % SLOTS`, locked.
    fn slot(&self, k: usize) -> Option<MutexGuard<'_, Slot<'c>>> {
        let slot = self.slots.get(k % SLOTS)?;
        Some(slot.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// The pool thread: builds the conflict graph (runs between whole-map barriers,
    /// a DAG for each) of the block `txs`, whose first transactions the probe
    /// prepared into `pre`; prepares the others into the ring, a chunk at a time as
    /// slots free up, adding each to the graph as it goes.
    pub(super) fn prepare(
        &self,
        (code, txs, pre): (&CodeMaps<'c>, &[Transaction], &[Prep]),
        (dag_scratch, table): (&mut DagScratch, &KeyTable),
        memo: &mut KeyMemo,
    ) -> Found {
        let _stopped = Stopped(&self.stopped);
        let view = CodeView::of(code);
        let mut graph =
            GraphBuilder::new(Builder::new(dag_scratch, table, txs.len(), txs.len() * 2));
        for (t, p) in pre.iter().enumerate() {
            graph.add(t, p, txs.len());
        }
        let rest = txs.get(pre.len()..).unwrap_or(&[]);
        for (k, chunk) in rest.chunks(CHUNK).enumerate() {
            let mut spins = 0;
            while k >= self.ran.load(Ordering::Acquire).saturating_add(SLOTS) {
                schedule::backoff(&mut spins);
            }
            let Some(mut slot) = self.slot(k) else {
                break;
            };
            let Slot { preps, ready } = &mut *slot;
            ready.clear();
            for (i, (tx, p)) in chunk.iter().zip(preps.iter_mut()).enumerate() {
                ready.push(schedule::prepare(&view, tx, p, memo));
                graph.add(pre.len() + k * CHUNK + i, p, txs.len());
            }
            drop(slot);
            self.prepared.store(k + 1, Ordering::Release);
        }
        graph.finish()
    }

    /// The calling thread: runs every transaction of the block `txs` in order,
    /// those the probe prepared (`pre`, with their entry points) at once and the
    /// others as their chunks are published, over the block's writes so far, and
    /// commits those writes into `storage` at the end, as the sequential executor
    /// does; the receipts.
    pub(super) fn run(
        &self,
        (bufs, code): (&mut Buffers, &CodeMaps<'c>),
        (storage, block): (&mut Storage, BlockContext),
        txs: &[Transaction],
        (pre, pre_ready): (&[Prep], &[Ready<'c>]),
    ) -> Vec<Receipt> {
        let _gone = Gone(&self.ran);
        let view = &CodeView::of(code);
        let mut in_order = InOrder::new(bufs, txs.len());
        let first = txs.get(..pre.len()).unwrap_or(&[]);
        run_prepared(
            &mut in_order,
            bufs,
            (view, storage, block),
            first,
            (pre, pre_ready),
        );
        // A chunk prepared here if the pool thread stopped before it.
        let mut own = Slot::default();
        let rest = txs.get(pre.len()..).unwrap_or(&[]);
        for (k, chunk) in rest.chunks(CHUNK).enumerate() {
            let mut spins = 0;
            let mut guard = None;
            let mut since = None;
            while guard.is_none() {
                if self.prepared.load(Ordering::Acquire) > k {
                    // Published, so the slot holds chunk `k`: the pool thread fills
                    // it with chunk `k + SLOTS` only after this thread ran `k`.
                    guard = self.slot(k);
                } else if self.stopped.load(Ordering::Acquire)
                    // The pool thread publishes its last chunk before it stops:
                    // look again, now that nothing can change.
                    && self.prepared.load(Ordering::Acquire) <= k
                {
                    break;
                } else if since.get_or_insert_with(Instant::now).elapsed() >= self.patience {
                    // Overdue: prepare it here.
                    break;
                } else {
                    schedule::backoff(&mut spins);
                }
            }
            let slot = match guard.as_deref() {
                Some(slot) => slot,
                None => {
                    own.preps.resize_with(CHUNK, Prep::default);
                    own.ready.clear();
                    for (tx, p) in chunk.iter().zip(own.preps.iter_mut()) {
                        own.ready
                            .push(schedule::prepare(view, tx, p, &mut bufs.memo));
                    }
                    &own
                }
            };
            let prepared = (slot.preps.as_slice(), slot.ready.as_slice());
            run_prepared(&mut in_order, bufs, (view, storage, block), chunk, prepared);
            drop(guard);
            self.ran.store(k + 1, Ordering::Release);
        }
        in_order.commit(bufs, storage)
    }
}

/// Runs the prepared transactions `txs` (access sets `preps`, entry points `ready`)
/// in order.
fn run_prepared<'c>(
    in_order: &mut InOrder,
    bufs: &mut Buffers,
    (view, storage, block): (&CodeView<'c>, &Storage, BlockContext),
    txs: &[Transaction],
    (preps, ready): (&[Prep], &[Ready<'c>]),
) {
    for ((tx, p), ready) in txs.iter().zip(preps).zip(ready) {
        let prepared = ready
            .as_ref()
            .map_err(|_| Box::new(schedule::failed_receipt(ready)));
        in_order.run(bufs, (view, storage, block), tx, (prepared, &p.access));
    }
}

/// The conflict graph of a block that runs in order, built a transaction at a time:
/// runs between whole-map barriers, a DAG for each.
struct GraphBuilder<'a> {
    builder: Builder<'a>,
    graph: Graph,
    edges: usize,
    runs: usize,
    /// The first transaction of the current run.
    run_start: usize,
    cells: Vec<u32>,
    preds: Vec<u32>,
}

impl<'a> GraphBuilder<'a> {
    fn new(builder: Builder<'a>) -> Self {
        GraphBuilder {
            builder,
            graph: Graph::default(),
            edges: 0,
            runs: 0,
            run_start: 0,
            cells: Vec::new(),
            preds: Vec::new(),
        }
    }

    /// Adds transaction `t` of a block of `n`, whose access set is `p`.
    fn add(&mut self, t: usize, p: &Prep, n: usize) {
        if p.access.has_whole() {
            // A barrier ends the run before it.
            self.end_run(n.saturating_sub(t));
            self.graph.barriers.push(t);
            self.run_start = t + 1;
        } else {
            self.cells.clear();
            self.preds.clear();
            self.builder.insert(p, &mut self.cells, &mut self.preds);
        }
    }

    /// Ends the current run (if it has transactions); the next has about `txs`.
    fn end_run(&mut self, txs: usize) {
        let (dag, e) = self.builder.next_run(txs, txs * 2);
        if dag.len() > 0 {
            self.graph.runs.push((self.run_start, dag));
            self.edges += e;
            self.runs += 1;
        }
    }

    /// The graph, its edges, barriers and runs.
    fn finish(mut self) -> Found {
        self.end_run(0);
        let barriers = self.graph.barriers.len();
        (self.graph, self.edges, barriers, self.runs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::executor::Executor;
    use crate::testutil::{DEPLOYER, GAS, block, deploy, new_chain, token, tx, u};
    use crate::{Chain, EngineKind};
    use braid_bytecode::encode::address_to_word;

    /// A chain with a token, `n` transfers from the deployer to `to` accounts in
    /// turn, and the chain and receipts after the sequential executor ran them.
    fn transfers(n: u64, to: u64) -> (Chain, Vec<Transaction>, Chain, Vec<Receipt>) {
        let mut chain = new_chain(EngineKind::Interp);
        let t = deploy(&mut chain, token(), vec![u(1_000_000)]);
        let txs: Vec<_> = (0..n)
            .map(|i| {
                let to = address_to_word(&[(i % to) as u8 + 1; 20]);
                tx(DEPLOYER, t, "transfer", vec![to, u(i)], GAS)
            })
            .collect();
        let mut sequential = chain.clone();
        let expected = Executor::sequential()
            .execute(&mut sequential, block(), &txs)
            .expect("fits")
            .receipts;
        (chain, txs, sequential, expected)
    }

    #[test]
    fn the_calling_thread_prepares_what_a_late_pool_thread_has_not() {
        // The pool thread never comes (descheduled by the host, from the calling
        // thread's view): past its patience, the calling thread prepares each chunk
        // itself instead of waiting for it. (Before this, it waited forever.)
        let (mut chain, txs, sequential, expected) = transfers(300, 3);
        let mut spare = Vec::new();
        let pipe = Pipe::new(&mut spare, 0, Duration::from_micros(10));
        let mut bufs = Buffers::default();
        let (code, storage) = chain.code_and_storage_mut();
        let receipts = pipe.run((&mut bufs, &code), (storage, block()), &txs, (&[], &[]));
        assert_eq!(receipts, expected);
        assert_eq!(
            pipe.prepared.load(Ordering::Acquire),
            0,
            "the pool published nothing"
        );
        assert!(!pipe.stopped.load(Ordering::Acquire), "nor stopped");
        pipe.recycle(&mut spare);
        assert_eq!(chain.digest(), sequential.digest());
    }

    #[test]
    fn the_calling_thread_prepares_what_a_stopped_pool_thread_did_not() {
        // The pool thread prepared the first chunk and stopped (as after a panic):
        // the calling thread prepares the rest itself, with the same result.
        let (mut chain, txs, sequential, expected) = transfers(200, 5);
        let mut spare = Vec::new();
        let pipe = Pipe::new(&mut spare, 0, Duration::MAX);
        let mut bufs = Buffers::default();
        let mut memo = KeyMemo::default();
        let (code, storage) = chain.code_and_storage_mut();
        {
            let first = txs.get(..CHUNK).unwrap_or(&[]);
            let (mut scratch, table) = (DagScratch::default(), KeyTable::default());
            let _ = pipe.prepare((&code, first, &[]), (&mut scratch, &table), &mut memo);
        }
        assert_eq!(pipe.prepared.load(Ordering::Acquire), 1);
        assert!(pipe.stopped.load(Ordering::Acquire));
        let receipts = pipe.run((&mut bufs, &code), (storage, block()), &txs, (&[], &[]));
        assert_eq!(receipts, expected);
        pipe.recycle(&mut spare);
        assert_eq!(spare.len(), SLOTS * CHUNK, "every prep back");
        assert_eq!(chain.digest(), sequential.digest());
    }
}
