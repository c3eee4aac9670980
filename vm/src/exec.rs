//! Executing one transaction: resolve the entry point, validate arguments, evaluate
//! the access set, run the interpreter, and build the receipt and write set.
//!
//! These functions read state through [`StateRead`] and code through [`CodeStore`]
//! and never mutate anything: the caller commits the writes (the sequential
//! [`crate::Chain`], or a scheduler into its block overlay).
//!
//! The hot path is [`execute_tx_in`] / [`run_in`]: they run in an executor's reusable
//! [`Scratch`] and leave a successful transaction's writes in [`Scratch::writes`].
//! [`execute_tx`] and [`run`] are the convenience forms with fresh buffers.

use crate::access::AccessSet;
use crate::engine::{self, EngineKind};
use crate::host::{CodeStore, TxHost};
pub use crate::interp::Scratch;
use crate::receipt::{Failure, Receipt};
use crate::state::{SlotKey, StateRead};
use crate::verify::VerifiedModule;
use crate::{Address, BlockContext, Transaction};
use braid_bytecode::{U256, ValueType};

/// A transaction's resolved entry point.
#[derive(Clone, Copy, Debug)]
pub struct Entry<'a> {
    /// The target contract's module.
    pub module: &'a VerifiedModule,
    /// The function index in it.
    pub func: u16,
}

impl Entry<'_> {
    /// The function's return type.
    pub fn ret_type(&self) -> ValueType {
        self.module
            .module
            .functions
            .get(usize::from(self.func))
            .map_or_else(ValueType::unit, |f| f.ret.clone())
    }

    /// The function's access summary evaluated for this call.
    pub fn access_set(
        &self,
        sender: &Address,
        target: &Address,
        args: &[U256],
    ) -> Result<AccessSet, Failure> {
        let f = self
            .module
            .module
            .functions
            .get(usize::from(self.func))
            .ok_or_else(|| Failure::Internal("function index".to_string()))?;
        AccessSet::evaluate(&f.access, sender, target, args)
    }
}

/// The result of one transaction: its receipt and, after a success, its writes.
#[derive(Clone, Debug)]
pub struct TxOutcome {
    /// The receipt.
    pub receipt: Receipt,
    /// The storage writes to commit, each slot once in first-write order (empty
    /// after a failure; zero values delete).
    pub writes: Vec<(SlotKey, U256)>,
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
    let Some(module) = code.code_at(&tx.to) else {
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

/// A transaction's concrete access set (resolution failures are `BadCall`).
pub fn access_set<C: CodeStore + ?Sized>(code: &C, tx: &Transaction) -> Result<AccessSet, Failure> {
    resolve(code, tx)?.access_set(&tx.sender, &tx.to, &tx.args)
}

/// Runs one transaction's execution `run` so that a panic in it — a bug in the VM,
/// never an expected outcome — fails that transaction alone with
/// [`Failure::Internal`] (language spec §6) instead of taking down the block or the
/// worker. Its gas used is its whole `gas_limit`; `scratch` is reset, so no write or
/// event of the failed run survives, and the world is untouched because writes are
/// committed only after a success.
pub fn isolate_panics(
    scratch: &mut Scratch,
    gas_limit: u64,
    run: impl FnOnce(&mut Scratch) -> Receipt,
) -> Receipt {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(scratch))) {
        Ok(receipt) => receipt,
        Err(payload) => {
            *scratch = Scratch::default();
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

/// Executes a transaction: resolve, evaluate its access set, run (fresh buffers).
pub fn execute_tx<C: CodeStore + ?Sized, S: StateRead + ?Sized>(
    code: &C,
    state: &S,
    block: BlockContext,
    tx: &Transaction,
) -> TxOutcome {
    let mut scratch = Scratch::default();
    let receipt = execute_tx_in(&mut scratch, code, state, block, tx);
    TxOutcome {
        receipt,
        writes: scratch.take_writes(),
    }
}

/// Executes a transaction in an executor's `scratch`: resolve, evaluate its access
/// set, run. After a success its writes are in [`Scratch::writes`] (empty after a
/// failure) until the next run.
pub fn execute_tx_in<C: CodeStore + ?Sized, S: StateRead + ?Sized>(
    scratch: &mut Scratch,
    code: &C,
    state: &S,
    block: BlockContext,
    tx: &Transaction,
) -> Receipt {
    match resolve(code, tx) {
        Ok(entry) => execute_entry_in(scratch, code, state, block, tx, entry),
        Err(f) => {
            scratch.bufs.writes.clear();
            Receipt::failed(f, 0, ValueType::unit())
        }
    }
}

/// [`execute_tx_in`] for a transaction whose entry point was already resolved (by
/// [`resolve`], or as a [`crate::chain::PreparedTx`]): evaluate its access set, run.
pub fn execute_entry_in<C: CodeStore + ?Sized, S: StateRead + ?Sized>(
    scratch: &mut Scratch,
    code: &C,
    state: &S,
    block: BlockContext,
    tx: &Transaction,
    entry: Entry<'_>,
) -> Receipt {
    scratch.bufs.writes.clear();
    let f = entry.module.module.functions.get(usize::from(entry.func));
    let Some(f) = f else {
        return Receipt::failed(
            Failure::Internal("function index".to_string()),
            0,
            ValueType::unit(),
        );
    };
    let Scratch { access, bufs } = scratch;
    if let Err(fail) = access.evaluate_with(&f.access, &tx.sender, &tx.to, &tx.args, &mut bufs.memo)
    {
        return Receipt::failed(fail, 0, f.ret.clone());
    }
    run_bufs(
        bufs,
        code,
        state,
        block,
        entry,
        Call {
            target: tx.to,
            sender: tx.sender,
            args: &tx.args,
            access,
            gas_limit: tx.gas_limit,
        },
    )
}

/// Runs a resolved entry point (arguments validated) at `target` for `sender` under
/// a precomputed access set, with fresh buffers: deployment, and tests.
#[allow(clippy::too_many_arguments)]
pub fn run<C: CodeStore + ?Sized, S: StateRead + ?Sized>(
    code: &C,
    state: &S,
    block: BlockContext,
    entry: Entry<'_>,
    target: Address,
    sender: Address,
    args: &[U256],
    access: &AccessSet,
    gas_limit: u64,
) -> TxOutcome {
    let mut scratch = Scratch::default();
    let receipt = run_in(
        &mut scratch,
        code,
        state,
        block,
        entry,
        target,
        sender,
        args,
        access,
        gas_limit,
    );
    TxOutcome {
        receipt,
        writes: scratch.take_writes(),
    }
}

/// [`run`] in an executor's `scratch` (the transaction path of a scheduler): after a
/// success the writes are in [`Scratch::writes`] (empty after a failure).
#[allow(clippy::too_many_arguments)]
pub fn run_in<C: CodeStore + ?Sized, S: StateRead + ?Sized>(
    scratch: &mut Scratch,
    code: &C,
    state: &S,
    block: BlockContext,
    entry: Entry<'_>,
    target: Address,
    sender: Address,
    args: &[U256],
    access: &AccessSet,
    gas_limit: u64,
) -> Receipt {
    let call = Call {
        target,
        sender,
        args,
        access,
        gas_limit,
    };
    run_bufs(&mut scratch.bufs, code, state, block, entry, call)
}

/// The per-call inputs of a run.
struct Call<'t> {
    target: Address,
    sender: Address,
    args: &'t [U256],
    access: &'t AccessSet,
    gas_limit: u64,
}

fn run_bufs<C: CodeStore + ?Sized, S: StateRead + ?Sized>(
    bufs: &mut crate::interp::Buffers,
    code: &C,
    state: &S,
    block: BlockContext,
    entry: Entry<'_>,
    call: Call<'_>,
) -> Receipt {
    let ret_type = entry.ret_type();
    let mut host = TxHost::with_buffers(code, state, call.access, block, call.gas_limit, bufs);
    // The engine is chosen by the executor (the interpreter until one is threaded).
    let result = engine::run(
        EngineKind::Interp,
        &mut host,
        bufs,
        entry.module,
        entry.func,
        call.target,
        call.sender,
        call.args,
    );
    let gas_used = host.gas_used();
    match result.and_then(|ret| Ok((ret, host.events()?))) {
        Ok((ret, events)) => {
            host.finish(bufs, true);
            Receipt {
                status: Ok(()),
                gas_used,
                ret,
                ret_type,
                events,
            }
        }
        Err(f) => {
            host.finish(bufs, false);
            Receipt::failed(f, gas_used, ret_type)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_fails_one_transaction_as_internal_and_resets_the_scratch() {
        let mut scratch = Scratch::default();
        scratch.bufs.regs.resize(8, U256::from(7u8));
        let receipt = isolate_panics(&mut scratch, 1234, |_| panic!("broken invariant"));
        assert_eq!(
            receipt.status,
            Err(Failure::Internal(
                "the VM failed: broken invariant".to_string()
            ))
        );
        assert_eq!(receipt.gas_used, 1234);
        assert!(receipt.events.is_empty() && receipt.ret.is_empty());
        assert!(scratch.bufs.regs.is_empty() && scratch.writes().is_empty());
    }

    #[test]
    fn a_run_without_panic_passes_through() {
        let mut scratch = Scratch::default();
        let receipt = isolate_panics(&mut scratch, 10, |_| {
            Receipt::failed(Failure::OutOfGas, 10, ValueType::unit())
        });
        assert_eq!(receipt.status, Err(Failure::OutOfGas));
    }
}
