//! What the translation needs about one function beyond the verifier's tables.
//!
//! **Limbs per register.** The verifier records every register's width at every
//! block entry; applying its transfer function through each reachable block gives
//! the width at every program point. A register's *limbs* are those of the widest
//! width it ever has in the function (1 for u8/u64, 2 for u128, 4 for u256). The
//! compiled code keeps exactly that many 64-bit variables for it, writes all of them
//! on every definition (upper ones zero) and reads limbs beyond them as zero, which
//! is exact because no value the register holds needs more.
//!
//! **Spill words.** Instructions that hand words to a host function (storage, events,
//! calls) stage them in the transaction's spill buffer; the buffer must hold the
//! most words any instruction of the module stages.

use super::JitError;
use crate::verify::widths::{self, RegWidth};
use crate::verify::{FunctionInfo, VerifiedModule};
use braid_bytecode::{Function, Instr};

/// The layout of one function.
pub(crate) struct FunctionLayout {
    /// Limbs (1, 2 or 4) of each register.
    pub limbs: Vec<usize>,
    /// Whether each block is reachable (only those are compiled).
    pub reached: Vec<bool>,
}

/// Words one instruction stages in the spill buffer.
fn staged(ins: &Instr) -> usize {
    let n = |r: braid_bytecode::Regs| usize::from(r.n);
    match ins {
        Instr::Arith { .. } | Instr::Sqrt { .. } => 2,
        Instr::MulDiv { .. } => 3,
        Instr::SubAccount { key, .. } => n(*key).max(1),
        Instr::SLoad { key, dst, .. } => n(*key).max(n(*dst)),
        Instr::SStore { key, src, .. } => n(*key) + n(*src),
        Instr::Call { args, dst, .. } => n(*args).max(n(*dst)),
        Instr::CallExt {
            args, dst, sub_key, ..
        } => (1 + n(*args) + sub_key.map_or(0, n)).max(n(*dst)),
        Instr::Emit { args, .. } => n(*args),
        _ => 0,
    }
}

/// The most words any instruction, parameter list or return of `module` stages.
pub(crate) fn spill_words(module: &VerifiedModule) -> usize {
    let mut max = 4;
    for (f, info) in module.module.functions.iter().zip(&module.functions) {
        max = max
            .max(usize::from(info.param_words))
            .max(usize::from(info.ret_words));
        for b in &f.blocks {
            for ins in &b.instrs {
                max = max.max(staged(ins));
            }
            if let braid_bytecode::Terminator::Return(rs) = &b.term {
                max = max.max(usize::from(rs.n));
            }
        }
    }
    max
}

/// Which registers of `func` an instruction or terminator names (parameters count).
fn used_registers(func: &Function, params: usize) -> Vec<bool> {
    use braid_bytecode::{Reg, Regs, Terminator};
    let mut used = vec![false; usize::from(func.n_regs)];
    for u in used.iter_mut().take(params) {
        *u = true;
    }
    let mut one = |r: &Reg| {
        if let Some(u) = used.get_mut(usize::from(r.0)) {
            *u = true;
        }
    };
    let mut marks: Vec<Regs> = Vec::new();
    for b in &func.blocks {
        for ins in &b.instrs {
            match ins {
                Instr::Const { dst, .. }
                | Instr::Caller { dst }
                | Instr::SelfAddr { dst }
                | Instr::BlockNumber { dst }
                | Instr::BlockTimestamp { dst } => one(dst),
                Instr::Mov { dst, src }
                | Instr::Not { dst, src, .. }
                | Instr::Cast { dst, src, .. }
                | Instr::Sqrt { dst, src } => {
                    one(dst);
                    one(src);
                }
                Instr::Arith { dst, a, b, .. } | Instr::Cmp { dst, a, b, .. } => {
                    one(dst);
                    one(a);
                    one(b);
                }
                Instr::MulDiv { dst, a, b, d, .. } => {
                    one(dst);
                    one(a);
                    one(b);
                    one(d);
                }
                Instr::SubAccount { dst, key } => {
                    one(dst);
                    marks.push(*key);
                }
                Instr::SLoad { key, dst, .. } => marks.extend([*key, *dst]),
                Instr::SStore { key, src, .. } => marks.extend([*key, *src]),
                Instr::Call { args, dst, .. } => marks.extend([*args, *dst]),
                Instr::CallExt {
                    target,
                    args,
                    dst,
                    sub_key,
                    ..
                } => {
                    one(target);
                    marks.extend([*args, *dst]);
                    marks.extend(*sub_key);
                }
                Instr::Emit { args, .. } => marks.push(*args),
                Instr::Require { cond, .. } => one(cond),
            }
        }
        match &b.term {
            Terminator::Branch { cond, .. } => one(cond),
            Terminator::Return(rs) => marks.push(*rs),
            Terminator::Jump(_) | Terminator::Revert(_) => {}
        }
    }
    for rs in marks {
        let start = usize::from(rs.start.0);
        for u in used.iter_mut().skip(start).take(usize::from(rs.n)) {
            *u = true;
        }
    }
    used
}

/// The layout of `func` (with its verifier facts `info`) of `module`.
pub(crate) fn function_layout(
    module: &VerifiedModule,
    declared: &widths::DeclaredOwned,
    func: &Function,
    info: &FunctionInfo,
) -> Result<FunctionLayout, JitError> {
    let n = usize::from(func.n_regs);
    let mut widest = vec![RegWidth::W8; n];
    let mut reached = vec![false; func.blocks.len()];
    let declared = declared.as_ref();
    for (b, block) in func.blocks.iter().enumerate() {
        let Some(entry) = info.widths.at_block(b) else {
            continue;
        };
        if let Some(r) = reached.get_mut(b) {
            *r = true;
        }
        let mut state = entry.to_vec();
        let mut widen = |state: &[RegWidth]| {
            for (w, s) in widest.iter_mut().zip(state) {
                *w = (*w).max(*s);
            }
        };
        widen(&state);
        for ins in &block.instrs {
            widths::transfer(&module.module, &declared, ins, &mut state).map_err(|e| {
                JitError::Facts {
                    func: func.name.clone(),
                    what: format!("width transfer in block b{b}: {e}"),
                }
            })?;
            widen(&state);
        }
    }
    if !reached.first().copied().unwrap_or(false) {
        return Err(JitError::Facts {
            func: func.name.clone(),
            what: "no width facts for the entry block".to_string(),
        });
    }
    // A register no instruction names (only zeroed by the frame setup) needs no
    // variable: it is never read.
    let used = used_registers(func, usize::from(info.param_words));
    let limbs: Vec<usize> = widest
        .iter()
        .zip(&used)
        .map(|(w, u)| if *u { w.limbs() } else { 0 })
        .collect();
    let total: usize = limbs.iter().sum();
    if total > super::MAX_FUNCTION_LIMBS {
        return Err(JitError::TooManyRegisters {
            func: func.name.clone(),
            limbs: total,
            max: super::MAX_FUNCTION_LIMBS,
        });
    }
    Ok(FunctionLayout { limbs, reached })
}
