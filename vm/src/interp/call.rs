//! Call instructions: internal calls and external calls to other contracts.
//!
//! The checks of an external call, their order and messages are the host's
//! ([`crate::host::TxHost::resolve_ext`], then [`crate::host::TxHost::enter`] for
//! depth and gas, and [`crate::host::check_return`] when it returns). The callee runs
//! with `self` = the target and `caller` = the calling contract, or its sub-account
//! `self[sub_key]`.

use super::{Args, CodeStore, Frame, Machine, internal, range};
use crate::receipt::Failure;
use crate::state::StateRead;
use braid_bytecode::{Reg, Regs};

impl<'a, C: CodeStore + ?Sized, S: StateRead + ?Sized> Machine<'a, '_, C, S> {
    /// Saves the caller's resume point: the instruction after the call.
    fn save_pc(&mut self, pc: usize) -> Result<(), Failure> {
        self.frames
            .last_mut()
            .ok_or_else(internal("empty call stack"))?
            .pc = pc;
        Ok(())
    }

    /// `Call`: function `func` of the same module, same `self` and `caller`.
    pub(super) fn call(
        &mut self,
        frame: &Frame<'a>,
        pc: usize,
        func: u16,
        args: Regs,
        dst: Regs,
    ) -> Result<(), Failure> {
        self.save_pc(pc)?;
        let base = frame.base + usize::from(frame.func.n_regs);
        let args = Args::Regs(frame.base + usize::from(args.start.0));
        self.push_frame(
            frame.module,
            func,
            frame.self_addr,
            frame.caller,
            base,
            dst,
            args,
            None,
        )
    }

    /// `CallExt`: `imports[import]` on the contract at `target`, as `self` or as the
    /// sub-account `self[sub_key]`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn call_ext(
        &mut self,
        frame: &Frame<'a>,
        pc: usize,
        import: u16,
        target: Reg,
        args: Regs,
        dst: Regs,
        sub_key: Option<Regs>,
    ) -> Result<(), Failure> {
        let target_word = self.get(frame.base, target)?;
        let words = range(&self.regs, frame.base, args)?;
        let sub = match sub_key {
            None => None,
            Some(k) => Some(range(&self.regs, frame.base, k)?),
        };
        let callee = self.host.resolve_ext(
            frame.module,
            &frame.self_addr,
            import,
            target_word,
            words,
            sub,
        )?;
        self.save_pc(pc)?;
        let base = frame.base + usize::from(frame.func.n_regs);
        let args = Args::Regs(frame.base + usize::from(args.start.0));
        self.push_frame(
            callee.module,
            callee.func,
            callee.addr,
            callee.caller,
            base,
            dst,
            args,
            Some(import),
        )
    }
}
