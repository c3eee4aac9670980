//! What a transaction did, for `braid run --trace`, and where a failed one failed.
//!
//! - **Failure stacks** ([`StackFrame`]): when a transaction fails, its engine reports
//!   the call stack at the failure point through one host method
//!   ([`crate::host::TxHost::record_stack`]): per frame the contract, the function and
//!   the code offset (the failing instruction in the innermost frame, the call
//!   instruction in the others). Nothing is recorded while code runs: the
//!   interpreter builds the stack from its frames only on the failure path. Offsets
//!   become `file:line:col` through the module's source map
//!   ([`braid_bytecode::SourceMap`]), when it has one.
//! - **Traces** ([`TraceEntry`]): when the executor runs with tracing on
//!   ([`crate::Executor::with_trace`]), the host records every call and return (the
//!   engine reports them), storage read and write, and event, with its call depth.
//!   With tracing off the recorder is `None`, checked at those host calls only.
//!
//! Both are raw (addresses, indices and words) and belong to the receipt, so they are
//! the same whichever executor, thread count or engine ran the transaction; the CLI
//! renders them with the modules' names and types.

use crate::Address;
use crate::receipt::Failure;
use braid_bytecode::{CodeOffset, U256};

/// One frame of a failed transaction's call stack.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StackFrame {
    /// The contract the frame runs as (`self`); its module has the function.
    pub contract: Address,
    /// The function's index in that module.
    pub func: u16,
    /// The failing instruction (innermost frame) or the call it is suspended at;
    /// `None` when the transaction failed entering its entry function (gas).
    pub at: Option<CodeOffset>,
}

/// One step of a transaction's trace. `depth` is the number of calls open around it:
/// the transaction's own call is at 0, what its function does at 1.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum TraceEntry {
    /// A call: the entry function, an internal call or an external one.
    Call {
        /// Calls open around it.
        depth: u16,
        /// The callee's contract (`self`).
        contract: Address,
        /// The callee's function index.
        func: u16,
        /// Whether it is a call to another contract (the entry call is not).
        external: bool,
        /// The argument words.
        args: Vec<U256>,
    },
    /// The innermost open call returned.
    Return {
        /// Calls open around it (the returning call's own depth + 1).
        depth: u16,
        /// The returned words.
        words: Vec<U256>,
    },
    /// A storage read.
    Read {
        /// Calls open around it.
        depth: u16,
        /// The contract whose storage it is.
        contract: Address,
        /// The field index.
        field: u16,
        /// The map key's words (empty for a scalar field).
        key: Vec<U256>,
        /// The value's words.
        value: Vec<U256>,
    },
    /// A storage write (buffered; dropped if the transaction fails).
    Write {
        /// Calls open around it.
        depth: u16,
        /// The contract whose storage it is.
        contract: Address,
        /// The field index.
        field: u16,
        /// The map key's words (empty for a scalar field).
        key: Vec<U256>,
        /// The value's words.
        value: Vec<U256>,
    },
    /// An event (dropped if the transaction fails).
    Event {
        /// Calls open around it.
        depth: u16,
        /// The emitting contract.
        contract: Address,
        /// The event index in its module.
        event: u16,
        /// The argument words.
        args: Vec<U256>,
    },
    /// An open call failed (one entry per open call, innermost first).
    Fail {
        /// Calls open around it (the failing call's own depth + 1).
        depth: u16,
        /// Why.
        failure: Failure,
    },
}

impl TraceEntry {
    /// Calls open around the entry.
    pub fn depth(&self) -> u16 {
        match self {
            TraceEntry::Call { depth, .. }
            | TraceEntry::Return { depth, .. }
            | TraceEntry::Read { depth, .. }
            | TraceEntry::Write { depth, .. }
            | TraceEntry::Event { depth, .. }
            | TraceEntry::Fail { depth, .. } => *depth,
        }
    }
}

/// The host's trace recorder (present only with tracing on).
#[derive(Debug, Default)]
pub(crate) struct Recorder {
    /// The entries so far.
    pub(crate) entries: Vec<TraceEntry>,
    /// Calls open.
    open: u16,
    /// The key words of the storage access being made (set by the host's key
    /// derivation, taken by the access).
    pending_key: Vec<U256>,
}

impl Recorder {
    pub(crate) fn call(&mut self, contract: Address, func: u16, external: bool, args: &[U256]) {
        self.entries.push(TraceEntry::Call {
            depth: self.open,
            contract,
            func,
            external,
            args: args.to_vec(),
        });
        self.open = self.open.saturating_add(1);
    }

    pub(crate) fn ret(&mut self, words: &[U256]) {
        self.entries.push(TraceEntry::Return {
            depth: self.open,
            words: words.to_vec(),
        });
        self.open = self.open.saturating_sub(1);
    }

    pub(crate) fn key(&mut self, key: &[U256]) {
        self.pending_key.clear();
        self.pending_key.extend_from_slice(key);
    }

    pub(crate) fn access(&mut self, write: bool, contract: Address, field: u16, value: &[U256]) {
        let (depth, key, value) = (
            self.open,
            std::mem::take(&mut self.pending_key),
            value.to_vec(),
        );
        self.entries.push(if write {
            TraceEntry::Write {
                depth,
                contract,
                field,
                key,
                value,
            }
        } else {
            TraceEntry::Read {
                depth,
                contract,
                field,
                key,
                value,
            }
        });
    }

    pub(crate) fn event(&mut self, contract: Address, event: u16, args: &[U256]) {
        self.entries.push(TraceEntry::Event {
            depth: self.open,
            contract,
            event,
            args: args.to_vec(),
        });
    }

    /// The transaction failed: every open call fails, innermost first.
    pub(crate) fn fail(&mut self, failure: &Failure) {
        while self.open > 0 {
            self.entries.push(TraceEntry::Fail {
                depth: self.open,
                failure: failure.clone(),
            });
            self.open -= 1;
        }
    }
}

#[cfg(test)]
mod tests;
