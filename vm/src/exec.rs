//! One transaction, in two steps that every executor shares:
//!
//! 1. [`prepare`]: resolve the target contract and public function, validate the
//!    argument words, evaluate the access set and price it. This needs only the code,
//!    never storage, so a block's transactions are prepared before any of them runs
//!    (in parallel by the scheduler) and the set computed here is the one the run
//!    enforces: it is never evaluated twice.
//! 2. [`execute`]: charge the access set's gas, run the body in an executor's
//!    reusable [`Scratch`] over a [`StateRead`], and build the receipt. After a
//!    success the transaction's writes are in [`Scratch::writes`]; nothing is ever
//!    written to shared state here: the caller commits (the sequential executor into
//!    the world, the parallel one into its block table).

use crate::access::AccessSet;
use crate::engine;
use crate::host::{CodeStore, TxHost};
use crate::interp::Buffers;
pub use crate::interp::Scratch;
use crate::keymemo::KeyMemo;
use crate::receipt::{Failure, Receipt};
use crate::state::StateRead;
use crate::verify::VerifiedModule;
use crate::{Address, BlockContext, Transaction};
use braid_bytecode::{Function, U256, ValueType, cost};

/// A transaction's resolved entry point.
#[derive(Clone, Copy, Debug)]
pub struct Entry<'a> {
    /// The target contract's module.
    pub module: &'a VerifiedModule,
    /// The function index in it.
    pub func: u16,
}

impl<'a> Entry<'a> {
    /// The function (the verifier guarantees the index for a resolved entry).
    pub fn function(&self) -> Result<&'a Function, Failure> {
        self.module
            .module
            .functions
            .get(usize::from(self.func))
            .ok_or_else(|| Failure::Internal("function index".to_string()))
    }

    /// The function's return type.
    pub fn ret_type(&self) -> ValueType {
        self.function()
            .map_or_else(|_| ValueType::unit(), |f| f.ret.clone())
    }
}

/// A transaction ready to run: its entry point, and the gas its access set costs
/// (its set itself is held by the executor, see [`prepare`]).
#[derive(Clone, Copy, Debug)]
pub struct Prepared<'a> {
    /// The resolved entry point.
    pub entry: Entry<'a>,
    /// The gas of evaluating the access set ([`cost::access_gas`]), charged before
    /// the body runs.
    pub access_gas: u64,
}

/// Checks argument words against a function's parameters: count and ranges.
pub fn check_args(module: &VerifiedModule, func: u16, args: &[U256]) -> Result<(), String> {
    let (Some(f), Some(info)) = (
        module.module.functions.get(usize::from(func)),
        module.functions.get(usize::from(func)),
    ) else {
        return Err("function index out of range".to_string());
    };
    if args.len() != info.param_max.len() {
        return Err(format!(
            "function `{}` takes {} argument words, got {}",
            f.name,
            info.param_max.len(),
            args.len()
        ));
    }
    if let Some((i, (w, _))) = args
        .iter()
        .zip(&info.param_max)
        .enumerate()
        .find(|(_, (w, max))| w > max)
    {
        return Err(format!(
            "argument word {i} of `{}` ({w:#x}) is out of range for its type",
            f.name
        ));
    }
    Ok(())
}

/// Resolves a transaction's target and public function and validates its arguments;
/// every problem is `BadCall`.
pub fn resolve<'a, C: CodeStore + ?Sized>(
    code: &'a C,
    tx: &Transaction,
) -> Result<Entry<'a>, Failure> {
    resolve_in(code.code_at(&tx.to), tx)
}

/// [`resolve`] given the module deployed at the transaction's target.
fn resolve_in<'a>(
    module: Option<&'a VerifiedModule>,
    tx: &Transaction,
) -> Result<Entry<'a>, Failure> {
    let Some(module) = module else {
        return Err(Failure::BadCall(format!(
            "no contract at 0x{}",
            hex::encode(tx.to)
        )));
    };
    let Some(func) = module.function_by_name(&tx.function) else {
        return Err(Failure::BadCall(format!(
            "contract {} has no public function `{}`",
            module.module.name, tx.function
        )));
    };
    check_args(module, func, &tx.args).map_err(Failure::BadCall)?;
    Ok(Entry { module, func })
}

/// Prepares a transaction, given the module deployed at its target: resolves it and
/// evaluates its access set into `access` (reusing its allocation), deriving keys
/// through `memo`. A transaction that cannot run gets its receipt instead (no gas
/// used: nothing ran).
pub(crate) fn prepare<'a>(
    module: Option<&'a VerifiedModule>,
    tx: &Transaction,
    access: &mut AccessSet,
    memo: &mut KeyMemo,
) -> Result<Prepared<'a>, Box<Receipt>> {
    let failed = |f, ret| Box::new(Receipt::failed(f, 0, ret));
    // A transaction that cannot run has no access set (not the last one's).
    access.clear();
    let entry = resolve_in(module, tx).map_err(|f| failed(f, ValueType::unit()))?;
    let f = entry.function().map_err(|f| failed(f, ValueType::unit()))?;
    access
        .evaluate_with(&f.access, &tx.sender, &tx.to, &tx.args, memo)
        .map_err(|fail| failed(fail, f.ret.clone()))?;
    Ok(Prepared {
        entry,
        access_gas: cost::access_gas(&f.access),
    })
}

/// Runs a prepared transaction under its access set `access` over `state`: charges
/// the access set's gas (a limit that does not cover it fails with `OutOfGas` before
/// the body runs), runs the body, and returns the receipt. A panic inside the run
/// (a VM bug) fails this transaction alone with `internal`. After a success the
/// writes are in [`Scratch::writes`]; after a failure that buffer is empty.
pub(crate) fn execute<C: CodeStore + ?Sized, S: StateRead + ?Sized>(
    bufs: &mut Buffers,
    code: &C,
    state: &S,
    block: BlockContext,
    tx: &Transaction,
    prepared: &Prepared<'_>,
    access: &AccessSet,
) -> Receipt {
    bufs.writes.clear();
    let Some(body_gas) = tx.gas_limit.checked_sub(prepared.access_gas) else {
        return Receipt::failed(Failure::OutOfGas, tx.gas_limit, prepared.entry.ret_type());
    };
    let call = Call {
        entry: prepared.entry,
        target: tx.to,
        sender: tx.sender,
        args: &tx.args,
        access,
        gas_limit: body_gas,
    };
    let mut receipt = isolate_panics(bufs, tx.gas_limit, |bufs| {
        run_call(bufs, code, state, block, &call)
    });
    if !matches!(receipt.status, Err(Failure::Internal(_))) {
        receipt.gas_used = receipt.gas_used.saturating_add(prepared.access_gas);
    }
    receipt
}

/// One run of an entry function: what the engine needs beyond code and state.
#[derive(Clone, Copy, Debug)]
pub struct Call<'t> {
    /// The function to run.
    pub entry: Entry<'t>,
    /// The contract it runs as (`self`).
    pub target: Address,
    /// Its `caller`.
    pub sender: Address,
    /// The argument words (validated against the parameters).
    pub args: &'t [U256],
    /// The access set every storage access is checked against.
    pub access: &'t AccessSet,
    /// The gas the body may use.
    pub gas_limit: u64,
}

/// Runs `run` so that a panic in it — a bug in the VM, never an expected outcome —
/// fails that transaction alone with [`Failure::Internal`] (language spec §6) instead
/// of taking down the block or the worker. Its gas used is its whole `gas_limit`;
/// `bufs` are reset, so no write or event of the failed run survives.
pub(crate) fn isolate_panics(
    bufs: &mut Buffers,
    gas_limit: u64,
    run: impl FnOnce(&mut Buffers) -> Receipt,
) -> Receipt {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(bufs))) {
        Ok(receipt) => receipt,
        Err(payload) => {
            let (engine, trace) = (bufs.engine, bufs.trace);
            *bufs = Buffers::default();
            bufs.engine = engine;
            bufs.trace = trace;
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".to_string());
            Receipt::failed(
                Failure::Internal(format!("the VM failed: {what}")),
                gas_limit,
                ValueType::unit(),
            )
        }
    }
}

/// Runs one call to completion in `bufs` (the engine boundary: the one place the
/// interpreter is started).
pub(crate) fn run_call<C: CodeStore + ?Sized, S: StateRead + ?Sized>(
    bufs: &mut Buffers,
    code: &C,
    state: &S,
    block: BlockContext,
    call: &Call<'_>,
) -> Receipt {
    let entry = call.entry;
    let ret_type = entry.ret_type();
    let mut host = TxHost::with_buffers(code, state, call.access, block, call.gas_limit, bufs);
    // The engine is the executor's (its buffers carry it).
    let result = engine::run(
        bufs.engine,
        &mut host,
        bufs,
        entry.module,
        entry.func,
        call.target,
        call.sender,
        call.args,
    );
    let gas_used = host.gas_used();
    match result.and_then(|ret| Ok((ret, host.events(&mut bufs.event_defs)?))) {
        Ok((ret, events)) => {
            let (stack, trace) = host.take_records(None);
            host.finish(bufs, true);
            Receipt {
                status: Ok(()),
                gas_used,
                ret,
                ret_type,
                events,
                stack,
                trace,
            }
        }
        Err(f) => {
            let (stack, trace) = host.take_records(Some(&f));
            host.finish(bufs, false);
            Receipt {
                stack,
                trace,
                ..Receipt::failed(f, gas_used, ret_type)
            }
        }
    }
}

/// Prepares and executes one transaction with fresh buffers, committing nothing:
/// views, and tests. Returns the receipt and, after a success, the writes.
pub fn execute_alone<C: CodeStore + ?Sized, S: StateRead + ?Sized>(
    scratch: &mut Scratch,
    code: &C,
    state: &S,
    block: BlockContext,
    tx: &Transaction,
) -> Receipt {
    let Scratch { access, bufs } = scratch;
    bufs.writes.clear();
    match prepare(code.code_at(&tx.to), tx, access, &mut bufs.memo) {
        Ok(p) => execute(bufs, code, state, block, tx, &p, access),
        Err(receipt) => *receipt,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_fails_one_transaction_as_internal_and_resets_the_buffers() {
        let mut bufs = Buffers::default();
        bufs.regs.resize(8, U256::from(7u8));
        let receipt = isolate_panics(&mut bufs, 1234, |_| panic!("broken invariant"));
        assert_eq!(
            receipt.status,
            Err(Failure::Internal(
                "the VM failed: broken invariant".to_string()
            ))
        );
        assert_eq!(receipt.gas_used, 1234);
        assert!(receipt.events.is_empty() && receipt.ret.is_empty());
        assert!(bufs.regs.is_empty() && bufs.writes.is_empty());
    }

    #[test]
    fn a_run_without_panic_passes_through() {
        let mut bufs = Buffers::default();
        let receipt = isolate_panics(&mut bufs, 10, |_| {
            Receipt::failed(Failure::OutOfGas, 10, ValueType::unit())
        });
        assert_eq!(receipt.status, Err(Failure::OutOfGas));
    }
}
