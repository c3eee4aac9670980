//! The engine boundary: what runs a transaction's code, behind one interface.
//!
//! An engine keeps only its own execution state (the interpreter: a register file
//! and a frame stack) and calls the transaction's [`TxHost`] for storage, access
//! checks, events, gas, call depth and external call checks, so every engine fails
//! the same way at the same point. [`EngineKind`] selects one (a chain's engine,
//! [`crate::Chain::set_engine`], which every executor running the chain uses); it
//! reaches [`run`], the single place a transaction's code is started, in the
//! executor's buffers.

use crate::Address;
use crate::host::{CodeStore, TxHost};
pub use crate::interp::Buffers;
use crate::interp::Machine;
use crate::receipt::Failure;
use crate::state::StateRead;
use crate::verify::VerifiedModule;
use braid_bytecode::U256;

/// Which engine runs transactions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EngineKind {
    /// The reference interpreter ([`crate::interp`]).
    #[default]
    Interp,
    /// The Cranelift JIT ([`crate::jit`]): the same results, compiled per code hash.
    Jit,
}

impl EngineKind {
    /// The engine's name as the command line spells it (`interp`, `jit`).
    pub fn name(self) -> &'static str {
        match self {
            EngineKind::Interp => "interp",
            EngineKind::Jit => "jit",
        }
    }

    /// The engine named `name` (as [`EngineKind::name`] spells it).
    pub fn from_name(name: &str) -> Option<EngineKind> {
        match name {
            "interp" => Some(EngineKind::Interp),
            "jit" => Some(EngineKind::Jit),
            _ => None,
        }
    }
}

/// An engine: runs one entry function of a transaction over its host.
pub trait Engine {
    /// Runs function `func` of `module` deployed at `self_addr`, called by `caller`
    /// with the (validated) argument words `args`, to its return words. `bufs` are
    /// the executor's reusable buffers for the engine's own state.
    #[allow(clippy::too_many_arguments)]
    fn run<'a, C: CodeStore + ?Sized, S: StateRead + ?Sized>(
        &self,
        host: &mut TxHost<'a, C, S>,
        bufs: &mut Buffers,
        module: &'a VerifiedModule,
        func: u16,
        self_addr: Address,
        caller: Address,
        args: &[U256],
    ) -> Result<Vec<U256>, Failure>;
}

/// The reference interpreter as an [`Engine`].
#[derive(Clone, Copy, Debug, Default)]
pub struct Interp;

impl Engine for Interp {
    fn run<'a, C: CodeStore + ?Sized, S: StateRead + ?Sized>(
        &self,
        host: &mut TxHost<'a, C, S>,
        bufs: &mut Buffers,
        module: &'a VerifiedModule,
        func: u16,
        self_addr: Address,
        caller: Address,
        args: &[U256],
    ) -> Result<Vec<U256>, Failure> {
        let mut machine = Machine::with_buffers(host, bufs);
        let result = machine.run(module, func, self_addr, caller, args);
        machine.finish_buffers(bufs);
        result
    }
}

/// Runs a transaction's entry function on the engine `kind` (see [`Engine::run`]).
#[allow(clippy::too_many_arguments)]
pub fn run<'a, C: CodeStore + ?Sized, S: StateRead + ?Sized>(
    kind: EngineKind,
    host: &mut TxHost<'a, C, S>,
    bufs: &mut Buffers,
    module: &'a VerifiedModule,
    func: u16,
    self_addr: Address,
    caller: Address,
    args: &[U256],
) -> Result<Vec<U256>, Failure> {
    match kind {
        EngineKind::Interp => Interp.run(host, bufs, module, func, self_addr, caller, args),
        EngineKind::Jit => crate::jit::Jit.run(host, bufs, module, func, self_addr, caller, args),
    }
}
