//! Per-executor buffers reused across transactions.
//!
//! A [`Scratch`] holds everything the interpreter would otherwise allocate per
//! transaction: the register file, the frame stack, the write buffer, the raw events
//! and their argument words, and the evaluated access set. An executor (the
//! sequential [`crate::Chain`], or one worker of a parallel scheduler) owns one and
//! passes it to every transaction it runs, so that after the first few transactions a
//! run allocates only what its receipt owns.
//!
//! The frame and event stacks hold references into the code of one transaction's
//! run; between runs they are empty, and [`recycle`] turns an empty vector of one
//! lifetime into one of another, keeping its allocation (the standard library
//! collects `into_iter().filter_map(..)` in place when the element layout is the
//! same, which it is here: only the lifetime differs).

use super::storage::WriteBuffer;
use super::{Frame, RawEvent};
use crate::access::AccessSet;
use crate::keymemo::KeyMemo;
use crate::state::{SeededHashMap, SlotKey};
use braid_bytecode::{EventDef, U256};
use std::sync::Arc;

/// Reusable buffers of one executor (see the module documentation). Create one with
/// `Scratch::default()` and pass it to [`crate::exec::execute_tx_in`] or
/// [`crate::exec::run_in`]; after a successful run its [`Scratch::writes`] hold the
/// transaction's writes until the next run.
#[derive(Default)]
pub struct Scratch {
    /// The access set of the transaction being run (reused allocation).
    pub(crate) access: AccessSet,
    /// Everything the interpreter itself uses.
    pub(crate) bufs: Buffers,
}

impl std::fmt::Debug for Scratch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scratch")
            .field("regs", &self.bufs.regs.capacity())
            .field("frames", &self.bufs.frames.capacity())
            .field("writes", &self.bufs.writes.len())
            .finish_non_exhaustive()
    }
}

impl Scratch {
    /// Empty buffers.
    pub fn new() -> Scratch {
        Scratch::default()
    }

    /// The writes of the last run, if it succeeded (each slot once, in the order
    /// the transaction first wrote it; zero values delete). Empty after a failure.
    pub fn writes(&self) -> &[(SlotKey, U256)] {
        self.bufs.writes.entries()
    }

    /// Empty buffers for running transactions on `engine`.
    pub fn with_engine(engine: crate::engine::EngineKind) -> Scratch {
        let mut s = Scratch::default();
        s.bufs.engine = engine;
        s
    }

    /// Sets the engine transactions run on.
    pub fn set_engine(&mut self, engine: crate::engine::EngineKind) {
        self.bufs.engine = engine;
    }

    /// Takes the writes of the last run (leaving the buffer empty).
    pub fn take_writes(&mut self) -> Vec<(SlotKey, U256)> {
        self.bufs.writes.take_entries()
    }
}

/// An executor's reusable buffers for one run (everything but the access set): the
/// host's and the engine's.
#[derive(Default)]
pub struct Buffers {
    /// The register file.
    pub(crate) regs: Vec<U256>,
    /// The frame stack, empty between runs.
    pub(crate) frames: Vec<Frame<'static>>,
    /// The write buffer.
    pub(crate) writes: WriteBuffer,
    /// Raw events, empty between runs.
    pub(crate) events: Vec<RawEvent<'static>>,
    /// The argument words of the raw events, back to back.
    pub(crate) event_words: Vec<U256>,
    /// The key derivation memo, kept across transactions.
    pub(crate) memo: KeyMemo,
    /// The sequential executor's block writes: the last successful write of every
    /// slot written so far in the block, committed once at its end.
    pub(crate) block_writes: SeededHashMap<SlotKey, U256>,
    /// The host's contract stack, empty between runs.
    pub(crate) stack: Vec<crate::Address>,
    /// This executor's own copies of the event declarations its receipts share.
    pub(crate) event_defs: EventDefs,
    /// The engine this executor runs transactions on.
    pub(crate) engine: crate::engine::EngineKind,
    /// Whether transactions run with these buffers record a trace.
    pub(crate) trace: bool,
}

/// Most event declarations an executor keeps its own copy of.
const EVENT_DEFS: usize = 64;

/// An executor's own copies of the modules' event declarations. A receipt's event
/// holds an `Arc` of its declaration; cloning the module's one `Arc` on every event
/// would make all workers of a parallel block write the same reference count (one
/// cache line bouncing between cores). Each executor clones its own copy instead.
#[derive(Default)]
pub(crate) struct EventDefs {
    /// (the module's declaration, this executor's copy); the first keeps the
    /// module's allocation alive, so its address identifies it.
    defs: Vec<(Arc<EventDef>, Arc<EventDef>)>,
}

impl EventDefs {
    /// This executor's copy of `shared`.
    pub(crate) fn local(&mut self, shared: &Arc<EventDef>) -> Arc<EventDef> {
        if let Some((_, mine)) = self.defs.iter().find(|(s, _)| Arc::ptr_eq(s, shared)) {
            return Arc::clone(mine);
        }
        if self.defs.len() >= EVENT_DEFS {
            return Arc::clone(shared);
        }
        let mine = Arc::new(EventDef::clone(shared));
        self.defs.push((Arc::clone(shared), Arc::clone(&mine)));
        mine
    }
}

/// An empty vector of `U` reusing `v`'s allocation (see the module documentation;
/// `T` and `U` differ only in lifetimes, so the allocation is kept).
pub(crate) fn recycle<T, U>(mut v: Vec<T>) -> Vec<U> {
    v.clear();
    v.into_iter().filter_map(|_| None).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recycle_keeps_the_allocation() {
        let mut v: Vec<&'static str> = Vec::with_capacity(40);
        v.push("x");
        let s = String::from("y");
        let w: Vec<&str> = recycle(v);
        let cap = w.capacity();
        let mut w = w;
        w.push(&s);
        let back: Vec<&'static str> = recycle(w);
        assert!(cap >= 40 && back.capacity() == cap && back.is_empty());
    }
}
