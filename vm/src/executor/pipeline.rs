//! A block that runs in order, on two threads. The probe found too little
//! parallelism to schedule, so the calling thread runs the transactions in block
//! order over the block's writes, as the sequential executor does; but a pool thread
//! prepares them a few chunks ahead (resolves each, evaluates its access set) and
//! builds the block's conflict graph for the statistics meanwhile, so the calling
//! thread evaluates nothing itself.
//!
//! The two threads hand chunks over through a ring of slots: the pool fills slot
//! `k % SLOTS` with chunk `k` once the calling thread is done with chunk
//! `k - SLOTS`, and publishes it; the calling thread runs a chunk once it is
//! published. Each slot is locked by one thread at a time, in turn, so no lock is
//! ever contended. If the pool thread stops early (a panic), the calling thread
//! prepares the rest itself.

use super::{BlockWrites, Graph};
use crate::chain::{CodeMaps, CodeView};
use crate::exec;
use crate::interp::Buffers;
use crate::keymemo::KeyMemo;
use crate::receipt::Receipt;
use crate::schedule::{self, Builder, DagScratch, KeyTable, Prep, Ready};
use crate::state::Storage;
use crate::{BlockContext, Transaction};
use crossbeam_utils::CachePadded;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

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
    /// An empty ring whose slots reuse the preps in `spare`.
    pub(super) fn new(spare: &mut Vec<Prep>) -> Self {
        let slots = (0..SLOTS)
            .map(|_| {
                let at = spare.len().saturating_sub(CHUNK);
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

    /// The pool thread: prepares every chunk of `txs` into the ring, in order, as
    /// slots free up, and builds the conflict graph (runs between whole-map
    /// barriers, a DAG for each) from the access sets as it goes.
    pub(super) fn prepare(
        &self,
        code: &CodeMaps<'c>,
        txs: &[Transaction],
        (dag_scratch, table): (&mut DagScratch, &KeyTable),
        memo: &mut KeyMemo,
    ) -> Found {
        let _stopped = Stopped(&self.stopped);
        let view = CodeView::of(code);
        let (mut graph, mut edges, mut runs) = (Graph::default(), 0, 0);
        let (mut cells, mut preds) = (Vec::new(), Vec::new());
        let n = txs.len();
        let mut b = Builder::new(dag_scratch, table, n, n * 2);
        let mut run_start = 0;
        for (k, chunk) in txs.chunks(CHUNK).enumerate() {
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
                let t = k * CHUNK + i;
                if p.access.has_whole() {
                    // A barrier ends the run before it.
                    let (dag, e) = b.next_run(n - t, (n - t) * 2);
                    if dag.len() > 0 {
                        graph.runs.push((run_start, dag));
                        edges += e;
                        runs += 1;
                    }
                    graph.barriers.push(t);
                    run_start = t + 1;
                } else {
                    cells.clear();
                    preds.clear();
                    b.insert(p, &mut cells, &mut preds);
                }
            }
            drop(slot);
            self.prepared.store(k + 1, Ordering::Release);
        }
        let (dag, e) = b.next_run(0, 0);
        if dag.len() > 0 {
            graph.runs.push((run_start, dag));
            edges += e;
            runs += 1;
        }
        let barriers = graph.barriers.len();
        (graph, edges, barriers, runs)
    }

    /// The calling thread: runs every transaction of `txs` in order as its chunk is
    /// published, over the block's writes so far, and commits those writes into
    /// `storage` at the end, as the sequential executor does; the receipts.
    pub(super) fn run(
        &self,
        (bufs, code): (&mut Buffers, &CodeMaps<'c>),
        storage: &mut Storage,
        block: BlockContext,
        txs: &[Transaction],
    ) -> Vec<Receipt> {
        let _gone = Gone(&self.ran);
        let view = &CodeView::of(code);
        let mut receipts = Vec::with_capacity(txs.len());
        let mut written = std::mem::take(&mut bufs.block_writes);
        written.clear();
        // A chunk prepared here if the pool thread stopped before it.
        let mut own = Slot::default();
        for (k, chunk) in txs.chunks(CHUNK).enumerate() {
            let mut spins = 0;
            let mut guard = None;
            while guard.is_none() {
                if self.prepared.load(Ordering::Acquire) > k {
                    guard = self.slot(k);
                } else if self.stopped.load(Ordering::Acquire)
                    && self.prepared.load(Ordering::Acquire) <= k
                {
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
            for ((tx, p), ready) in chunk.iter().zip(&slot.preps).zip(&slot.ready) {
                let state = BlockWrites {
                    written: &written,
                    base: &*storage,
                };
                let receipt = match ready {
                    Ok(prepared) => {
                        exec::execute(bufs, view, &state, block, tx, prepared, &p.access)
                    }
                    Err(_) => schedule::failed_receipt(ready),
                };
                if receipt.is_success() {
                    written.extend(bufs.writes.entries().iter().copied());
                }
                receipts.push(receipt);
            }
            drop(guard);
            self.ran.store(k + 1, Ordering::Release);
        }
        for (k, v) in written.drain() {
            storage.set(k, v);
        }
        bufs.block_writes = written;
        receipts
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::EngineKind;
    use crate::executor::Executor;
    use crate::testutil::{DEPLOYER, GAS, block, deploy, new_chain, token, tx, u};
    use braid_bytecode::encode::address_to_word;

    #[test]
    fn the_calling_thread_prepares_what_a_stopped_pool_thread_did_not() {
        // The pool thread prepared the first chunk and stopped (as after a panic):
        // the calling thread prepares the rest itself, with the same result.
        let mut chain = new_chain(EngineKind::Interp);
        let t = deploy(&mut chain, token(), vec![u(1_000_000)]);
        let txs: Vec<_> = (0..200u64)
            .map(|i| {
                let to = address_to_word(&[(i % 5) as u8 + 1; 20]);
                tx(DEPLOYER, t, "transfer", vec![to, u(i)], GAS)
            })
            .collect();
        let mut sequential = chain.clone();
        let expected = Executor::sequential()
            .execute(&mut sequential, block(), &txs)
            .expect("fits")
            .receipts;
        let mut spare = Vec::new();
        let pipe = Pipe::new(&mut spare);
        let mut bufs = Buffers::default();
        let mut memo = KeyMemo::default();
        let (code, storage) = chain.code_and_storage_mut();
        {
            let first = txs.get(..CHUNK).unwrap_or(&[]);
            let (mut scratch, table) = (DagScratch::default(), KeyTable::default());
            let _ = pipe.prepare(&code, first, (&mut scratch, &table), &mut memo);
        }
        assert_eq!(pipe.prepared.load(Ordering::Acquire), 1);
        assert!(pipe.stopped.load(Ordering::Acquire));
        let receipts = pipe.run((&mut bufs, &code), storage, block(), &txs);
        assert_eq!(receipts, expected);
        pipe.recycle(&mut spare);
        assert_eq!(spare.len(), SLOTS * CHUNK, "every prep back");
        assert_eq!(chain.digest(), sequential.digest());
    }
}
