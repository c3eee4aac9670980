//! The JIT as an [`Engine`]: runs a transaction's entry function as compiled code.

use super::host_fns::{Ctx, FrameEnv, status};
use crate::Address;
use crate::engine::{Buffers, Engine};
use crate::host::{CodeStore, TxHost};
use crate::receipt::{Failure, PanicKind};
use crate::state::StateRead;
use crate::trace::StackFrame;
use crate::verify::VerifiedModule;
use braid_bytecode::U256;

/// The Cranelift JIT as an [`Engine`] (see [`crate::jit`]).
#[derive(Clone, Copy, Debug, Default)]
pub struct Jit;

impl Engine for Jit {
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
        let compiled = module
            .jit_code()
            .map_err(|e| Failure::Internal(format!("the JIT could not compile the module: {e}")))?;
        let f = compiled.function(func)?;
        let ret_words = module
            .functions
            .get(usize::from(func))
            .map(|i| usize::from(i.ret_words))
            .ok_or_else(|| Failure::Internal("function info".to_string()))?;
        // The interpreter's register file is the JIT's spill buffer (reused).
        let spill = std::mem::take(&mut bufs.regs);
        let mut ctx = Ctx::new(host, spill);
        ctx.ensure_spill(compiled.spill_words().max(args.len()).max(ret_words));
        if let Some(dst) = ctx.spill_buf.get_mut(..args.len()) {
            dst.copy_from_slice(args);
        }
        let env = FrameEnv::new(module, self_addr, caller);
        // SAFETY: `f` is a function of `compiled`, borrowed from `module` for this
        // whole call; it gets a context and a frame environment that outlive the
        // call, and a spill buffer of at least `compiled.spill_words()` words (the
        // most its code stages) holding the arguments.
        let st = unsafe { f((&raw mut ctx).cast(), (&raw const env).cast()) };
        let result = match st {
            status::OK => ctx
                .spill_buf
                .get(..ret_words)
                .map(<[U256]>::to_vec)
                .ok_or_else(|| Failure::Internal("return words".to_string())),
            status::FAILED => Err(ctx
                .failure
                .take()
                .unwrap_or_else(|| Failure::Internal("a failure without a reason".to_string()))),
            status::OVERFLOW => Err(Failure::Panic(PanicKind::Overflow)),
            status::UNDERFLOW => Err(Failure::Panic(PanicKind::Underflow)),
            status::DIV_ZERO => Err(Failure::Panic(PanicKind::DivisionByZero)),
            status::CONVERSION => Err(Failure::Panic(PanicKind::Conversion)),
            status::OUT_OF_GAS => Err(Failure::OutOfGas),
            other => Err(Failure::Internal(format!("compiled code status {other}"))),
        };
        let gas = ctx.gas_left;
        let panic = ctx.panic.take();
        let Ctx {
            spill_buf,
            host,
            mut stack,
            ..
        } = ctx;
        host.set_gas_left(gas);
        if result.is_err() {
            // The frames recorded themselves innermost first; none did when the
            // entry function failed entering (its frame never started).
            if stack.is_empty() {
                stack.push(StackFrame {
                    contract: self_addr,
                    func,
                    at: None,
                });
            }
            stack.reverse();
            host.record_stack(stack);
        }
        bufs.regs = spill_buf;
        if let Some(payload) = panic {
            // A host function panicked (a VM bug): fail the transaction the way
            // the interpreter's panic would (`exec::isolate_panics`).
            std::panic::resume_unwind(payload);
        }
        result
    }
}
