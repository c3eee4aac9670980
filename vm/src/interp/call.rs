//! Call instructions: internal calls and external calls to other contracts.
//!
//! An external call checks, in this order: the target word is an address, a
//! contract is deployed there, it has a public function with the import's selector
//! (these three fail with `BadCall`), the contract is not on the call stack
//! (`Reentrancy`), the argument words fit the callee's parameter types (`BadCall`),
//! the stack has room for another frame (`CallDepth`), then the callee's frame
//! setup and entry block are charged (`OutOfGas`). When the callee returns, its
//! words are checked against the import's declared return type (`BadCall`). The callee runs with `self` = the target and
//! `caller` = the calling contract, or its sub-account `self[sub_key]`.

use super::{Args, CodeStore, Frame, Machine, internal};
use crate::receipt::Failure;
use crate::state::StateRead;
use crate::verify::VerifiedModule;
use braid_bytecode::encode::{signature, word_to_address};
use braid_bytecode::{Reg, Regs, U256};

/// The largest word that is an address (2^160 − 1).
const ADDRESS_MAX: U256 = U256::from_limbs([u64::MAX, u64::MAX, 0xffff_ffff, 0]);

impl<'a, C: CodeStore + ?Sized, S: StateRead + ?Sized> Machine<'a, C, S> {
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
        let module = frame.module;
        let imp = module
            .module
            .imports
            .get(usize::from(import))
            .ok_or_else(internal("import index"))?;
        let selector = *module
            .import_selectors
            .get(usize::from(import))
            .ok_or_else(internal("import selector"))?;
        let sig = || signature(&imp.name, &imp.params, &imp.ret);
        let target_word = self.get(frame.base, target)?;
        if target_word > ADDRESS_MAX {
            return Err(Failure::BadCall(format!(
                "call of {}: target {target_word:#x} is not an address",
                sig()
            )));
        }
        let addr = word_to_address(target_word);
        let code: &'a C = self.code;
        let Some(callee) = code.code_at(&addr) else {
            return Err(Failure::BadCall(format!(
                "call of {}: no contract at 0x{}",
                sig(),
                hex::encode(addr)
            )));
        };
        let Some(func) = callee.function_by_selector(selector) else {
            return Err(Failure::BadCall(format!(
                "contract {} at 0x{} has no public function {}",
                callee.module.name,
                hex::encode(addr),
                sig()
            )));
        };
        if self.frames.iter().any(|f| f.self_addr == addr) {
            return Err(Failure::Reentrancy);
        }
        let info = callee
            .functions
            .get(usize::from(func))
            .ok_or_else(internal("function info"))?;
        let words = self.slice(frame.base, args)?;
        if words.len() != info.param_max.len() {
            return Err(internal("external call argument count")());
        }
        if let Some(i) = words
            .iter()
            .zip(&info.param_max)
            .position(|(w, max)| w > max)
        {
            return Err(Failure::BadCall(format!(
                "call of {}: argument word {i} is out of range for its type",
                sig()
            )));
        }
        let caller = match sub_key {
            None => frame.self_addr,
            Some(k) => {
                let start = frame.base + usize::from(k.start.0);
                let words = self
                    .regs
                    .get(start..start + usize::from(k.n))
                    .ok_or_else(internal("register range out of range"))?;
                self.memo.sub_account(&frame.self_addr, words)
            }
        };
        self.save_pc(pc)?;
        let base = frame.base + usize::from(frame.func.n_regs);
        let args = Args::Regs(frame.base + usize::from(args.start.0));
        self.push_frame(callee, func, addr, caller, base, dst, args, Some(import))
    }
}

/// The words an external call returns, checked against the return type of the
/// caller's import `import` of `module`: a word out of range fails with `BadCall`.
pub(super) fn check_return(
    module: &VerifiedModule,
    import: u16,
    words: &[U256],
) -> Result<(), Failure> {
    let max = module
        .import_ret_max
        .get(usize::from(import))
        .ok_or_else(internal("import return type"))?;
    if words.len() != max.len() {
        return Err(internal("external call return width")());
    }
    if let Some(i) = words.iter().zip(max).position(|(w, max)| w > max) {
        let imp = module
            .module
            .imports
            .get(usize::from(import))
            .ok_or_else(internal("import index"))?;
        return Err(Failure::BadCall(format!(
            "call of {}: return word {i} is out of range for its type",
            signature(&imp.name, &imp.params, &imp.ret)
        )));
    }
    Ok(())
}
