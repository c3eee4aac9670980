//! Outcomes of transactions: receipts, failure kinds and events.
//!
//! Outcomes are data: every way a transaction can end is a [`Failure`] variant with a
//! stable kind name (`"revert"`, `"panic"`, …) that receipts, the CLI's JSON and the
//! book use verbatim.

use crate::Address;
use crate::trace::{StackFrame, TraceEntry};
use braid_bytecode::{EventDef, U256, ValueType};
use std::sync::Arc;

/// The kind of a checked-arithmetic panic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PanicKind {
    /// A result larger than its type (`+`, `*`, `**`, `mul_div`).
    Overflow,
    /// A subtraction below zero.
    Underflow,
    /// Division or remainder by zero (`/`, `%`, `mul_div` with `d = 0`).
    DivisionByZero,
    /// An `as` conversion whose value does not fit the target type.
    Conversion,
}

impl PanicKind {
    /// The panic's stable name: `overflow`, `underflow`, `division_by_zero`, `conversion`.
    pub fn as_str(self) -> &'static str {
        match self {
            PanicKind::Overflow => "overflow",
            PanicKind::Underflow => "underflow",
            PanicKind::DivisionByZero => "division_by_zero",
            PanicKind::Conversion => "conversion",
        }
    }
}

/// Why a transaction failed. A failed transaction leaves no storage write and no event.
#[derive(Clone, Debug, PartialEq, Eq, Hash, thiserror::Error)]
#[error("{}: {}", self.kind(), self.message())]
pub enum Failure {
    /// `require(cond, msg)` failed or `revert(msg)` ran.
    Revert(String),
    /// Checked arithmetic failed.
    Panic(PanicKind),
    /// The gas left was less than the cost of the next basic block.
    OutOfGas,
    /// A storage access outside the transaction's access set (the message names the slot).
    AccessViolation(String),
    /// More than [`crate::interp::MAX_CALL_DEPTH`] frames.
    CallDepth,
    /// An external call to a contract already on the call stack.
    Reentrancy,
    /// No contract, no such public function, or arguments that do not fit the function.
    BadCall(String),
    /// A bug in the VM itself; it fails this transaction alone.
    Internal(String),
}

impl Failure {
    /// The failure's stable kind name.
    pub fn kind(&self) -> &'static str {
        match self {
            Failure::Revert(_) => "revert",
            Failure::Panic(_) => "panic",
            Failure::OutOfGas => "out_of_gas",
            Failure::AccessViolation(_) => "access_violation",
            Failure::CallDepth => "call_depth",
            Failure::Reentrancy => "reentrancy",
            Failure::BadCall(_) => "bad_call",
            Failure::Internal(_) => "internal",
        }
    }

    /// The human-readable detail: the revert message, the panic kind's name, or a
    /// description of what went wrong.
    pub fn message(&self) -> String {
        match self {
            Failure::Revert(m)
            | Failure::AccessViolation(m)
            | Failure::BadCall(m)
            | Failure::Internal(m) => m.clone(),
            Failure::Panic(k) => k.as_str().to_string(),
            Failure::OutOfGas => "out of gas".to_string(),
            Failure::CallDepth => "call depth limit of 64 frames exceeded".to_string(),
            Failure::Reentrancy => "re-entry into a contract already on the call stack".to_string(),
        }
    }
}

/// An event emitted by a successful transaction.
///
/// The declaration (name, parameter names and types) is shared with the emitting
/// module, not copied per event: names are only rendered when a receipt is output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// The emitting contract.
    pub contract: Address,
    /// The event's declaration in the emitting module.
    pub def: Arc<EventDef>,
    /// The flattened argument words.
    pub args: Vec<U256>,
}

impl Event {
    /// The event's name.
    pub fn name(&self) -> &str {
        &self.def.name
    }

    /// The declared parameters (names and types), for rendering the arguments.
    pub fn params(&self) -> &[(String, ValueType)] {
        &self.def.params
    }
}

/// The result of one transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receipt {
    /// Success, or why it failed.
    pub status: Result<(), Failure>,
    /// Gas consumed (the gas limit for `OutOfGas`; also reported for other failures).
    pub gas_used: u64,
    /// The returned words (empty when the transaction failed).
    pub ret: Vec<U256>,
    /// The function's return type (unit when the function is unknown).
    pub ret_type: ValueType,
    /// Events in emission order, callees included (empty when the transaction failed).
    pub events: Vec<Event>,
    /// Where a failed transaction failed: its call stack at the failure point,
    /// outermost frame first (empty on success, and for a failure before any code
    /// ran). See [`crate::trace`].
    pub stack: Vec<StackFrame>,
    /// The trace, when the executor records one ([`crate::Executor::with_trace`]).
    pub trace: Option<Vec<TraceEntry>>,
}

impl Receipt {
    /// A receipt to be overwritten (a succeeded call that used no gas and returned
    /// nothing): what a block's receipt vector holds before its transaction runs.
    /// Allocates nothing.
    pub(crate) fn placeholder() -> Receipt {
        Receipt {
            status: Ok(()),
            gas_used: 0,
            ret: Vec::new(),
            ret_type: ValueType::unit(),
            events: Vec::new(),
            stack: Vec::new(),
            trace: None,
        }
    }

    /// A receipt for a transaction that failed before running any code.
    pub fn failed(failure: Failure, gas_used: u64, ret_type: ValueType) -> Receipt {
        Receipt {
            status: Err(failure),
            gas_used,
            ret: Vec::new(),
            ret_type,
            events: Vec::new(),
            stack: Vec::new(),
            trace: None,
        }
    }

    /// Whether the transaction succeeded.
    pub fn is_success(&self) -> bool {
        self.status.is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_messages_are_stable() {
        assert_eq!(Failure::Panic(PanicKind::DivisionByZero).kind(), "panic");
        assert_eq!(
            Failure::Panic(PanicKind::DivisionByZero).message(),
            "division_by_zero"
        );
        assert_eq!(Failure::OutOfGas.kind(), "out_of_gas");
        assert_eq!(Failure::Revert("no".into()).to_string(), "revert: no");
        assert_eq!(Failure::BadCall("x".into()).kind(), "bad_call");
        assert_eq!(Failure::CallDepth.kind(), "call_depth");
        assert_eq!(Failure::Reentrancy.kind(), "reentrancy");
        assert_eq!(
            Failure::AccessViolation("s".into()).kind(),
            "access_violation"
        );
        assert_eq!(Failure::Internal("bug".into()).kind(), "internal");
    }
}
