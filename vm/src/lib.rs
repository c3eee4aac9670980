//! The Braid VM: verifier, world state, reference interpreter and block executor.
//!
//! - [`verify`]: every module is verified before it runs ([`verify::VerifiedModule`]
//!   carries the precomputed gas, selector and width tables).
//! - [`state`]: the world in persistent maps, with its canonical digest.
//! - [`access`]: access summaries evaluated into concrete [`AccessSet`]s.
//! - [`host`]: the transaction host every engine calls (storage, access, events,
//!   gas, call depth, external call checks).
//! - [`engine`]: the engine interface and [`EngineKind`]; [`interp`]: the reference
//!   interpreter, one engine; [`jit`]: the Cranelift JIT, the other.
//! - [`exec`]: one transaction end to end (resolve, validate, run, receipt).
//! - [`chain`]: [`Chain`], deployment and sequential blocks.
//! - [`receipt`]: receipts, failures, events; [`trace`]: failure stacks and traces.
//!
//! **Architecture invariant:** no input — module bytes, transactions, arguments —
//! reaches a panic; a broken internal invariant fails one transaction as `Internal`.

pub mod access;
pub mod chain;
pub mod engine;
pub mod exec;
pub mod executor;
pub mod host;
pub mod interp;
pub mod jit;
mod keymemo;
pub mod receipt;
mod schedule;
pub mod state;
pub mod trace;
pub mod verify;

pub use access::{AccessEntry, AccessKey, AccessSet};
pub use braid_bytecode::{Module, U256, ValueType};
pub use chain::{Chain, DeployError, LoadError};
pub use engine::EngineKind;
pub use executor::{BlockError, BlockOutcome, BlockStats, Executor, GraphStats, Phases, Ran};
pub use receipt::{Event, Failure, PanicKind, Receipt};
pub use state::{SlotKey, StateRead, WorldState};
pub use trace::{StackFrame, TraceEntry};
pub use verify::{VerifiedModule, VerifyError};

/// A 20-byte account or contract address.
pub type Address = [u8; 20];

/// The block a transaction runs in (`block.number`, `block.timestamp`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct BlockContext {
    /// `block.number`.
    pub number: u64,
    /// `block.timestamp`.
    pub timestamp: u64,
}

/// A call of one public function of one contract.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Transaction {
    /// The sender (the entry function's `caller`).
    pub sender: Address,
    /// The contract called.
    pub to: Address,
    /// The public function's name.
    pub function: String,
    /// The arguments, flattened into words.
    pub args: Vec<U256>,
    /// The most gas the transaction may use.
    pub gas_limit: u64,
}

#[cfg(test)]
mod testutil;
