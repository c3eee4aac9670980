//! Per-instruction checks: registers, targets, indices and operand widths.

use super::types::Shapes;
use super::{VerifyError, VerifyErrorKind};
use braid_bytecode::{Function, Instr, Module, Reg, Regs, Terminator, Visibility};

/// What the checks of one function need.
struct Ctx<'m> {
    module: &'m Module,
    shapes: &'m Shapes,
    n_regs: u16,
    n_blocks: usize,
    ret_words: u16,
}

impl Ctx<'_> {
    fn reg(&self, r: Reg) -> Result<(), VerifyErrorKind> {
        if r.0 < self.n_regs {
            Ok(())
        } else {
            Err(VerifyErrorKind::Register {
                reg: u32::from(r.0),
                n_regs: self.n_regs,
            })
        }
    }

    fn regs(&self, rs: Regs) -> Result<(), VerifyErrorKind> {
        let end = u32::from(rs.start.0) + u32::from(rs.n);
        if end <= u32::from(self.n_regs) {
            Ok(())
        } else {
            Err(VerifyErrorKind::Register {
                reg: end.saturating_sub(1).max(u32::from(rs.start.0)),
                n_regs: self.n_regs,
            })
        }
    }

    /// A register range that must move exactly `expected` words.
    fn words(&self, rs: Regs, expected: u16, what: &'static str) -> Result<(), VerifyErrorKind> {
        self.regs(rs)?;
        if rs.n == expected {
            Ok(())
        } else {
            Err(VerifyErrorKind::Words {
                what,
                expected: usize::from(expected),
                found: usize::from(rs.n),
            })
        }
    }

    fn block(&self, b: u32) -> Result<(), VerifyErrorKind> {
        if usize::try_from(b).is_ok_and(|b| b < self.n_blocks) {
            Ok(())
        } else {
            Err(VerifyErrorKind::Jump {
                target: b,
                n_blocks: self.n_blocks,
            })
        }
    }

    fn string(&self, idx: u32) -> Result<(), VerifyErrorKind> {
        index("string", u64::from(idx), self.module.strings.len())
    }

    /// A storage field's key and value widths.
    fn field(&self, field: u16) -> Result<(u16, u16), VerifyErrorKind> {
        let i = usize::from(field);
        match (
            self.shapes.field_key_words.get(i),
            self.shapes.field_words.get(i),
        ) {
            (Some(&k), Some(&v)) => Ok((k, v)),
            _ => Err(VerifyErrorKind::Index {
                what: "storage field",
                idx: u64::from(field),
                len: self.module.storage.len(),
            }),
        }
    }
}

fn index(what: &'static str, idx: u64, len: usize) -> Result<(), VerifyErrorKind> {
    if usize::try_from(idx).is_ok_and(|i| i < len) {
        Ok(())
    } else {
        Err(VerifyErrorKind::Index { what, idx, len })
    }
}

/// Checks every block of `f` (returning `ret_words` words) and returns each block's gas cost.
pub(super) fn check_function(
    module: &Module,
    shapes: &Shapes,
    f: &Function,
    ret_words: u16,
) -> Result<Vec<u64>, VerifyError> {
    let ctx = Ctx {
        module,
        shapes,
        n_regs: f.n_regs,
        n_blocks: f.blocks.len(),
        ret_words,
    };
    let mut gas = Vec::with_capacity(f.blocks.len());
    for (bi, block) in f.blocks.iter().enumerate() {
        for (ii, ins) in block.instrs.iter().enumerate() {
            check_instr(&ctx, ins).map_err(|kind| VerifyError {
                location: format!("function `{}`, block b{bi}, instruction {ii}", f.name),
                kind,
            })?;
        }
        check_term(&ctx, &block.term).map_err(|kind| VerifyError {
            location: format!("function `{}`, block b{bi}, terminator", f.name),
            kind,
        })?;
        let cost = block
            .instrs
            .iter()
            .fold(block.term.gas(), |acc, i| acc.saturating_add(i.gas()));
        gas.push(cost);
    }
    Ok(gas)
}

fn check_term(ctx: &Ctx<'_>, t: &Terminator) -> Result<(), VerifyErrorKind> {
    match t {
        Terminator::Jump(b) => ctx.block(b.0),
        Terminator::Branch { cond, then, els } => {
            ctx.reg(*cond)?;
            ctx.block(then.0)?;
            ctx.block(els.0)
        }
        Terminator::Return(rs) => ctx.words(*rs, ctx.ret_words, "returned value"),
        Terminator::Revert(msg) => ctx.string(*msg),
    }
}

fn check_instr(ctx: &Ctx<'_>, ins: &Instr) -> Result<(), VerifyErrorKind> {
    let module = ctx.module;
    match ins {
        Instr::Const { dst, idx } => {
            ctx.reg(*dst)?;
            index("constant", u64::from(*idx), module.consts.len())
        }
        Instr::Mov { dst, src }
        | Instr::Not { dst, src, .. }
        | Instr::Cast { dst, src, .. }
        | Instr::Sqrt { dst, src } => {
            ctx.reg(*dst)?;
            ctx.reg(*src)
        }
        Instr::Arith { dst, a, b, .. } | Instr::Cmp { dst, a, b, .. } => {
            ctx.reg(*dst)?;
            ctx.reg(*a)?;
            ctx.reg(*b)
        }
        Instr::MulDiv { dst, a, b, d, .. } => {
            ctx.reg(*dst)?;
            ctx.reg(*a)?;
            ctx.reg(*b)?;
            ctx.reg(*d)
        }
        Instr::Caller { dst }
        | Instr::SelfAddr { dst }
        | Instr::BlockNumber { dst }
        | Instr::BlockTimestamp { dst } => ctx.reg(*dst),
        Instr::SubAccount { dst, key } => {
            ctx.reg(*dst)?;
            ctx.regs(*key)?;
            nonempty_key(*key)
        }
        Instr::SLoad { field, key, dst } => {
            let (kw, vw) = ctx.field(*field)?;
            ctx.words(*key, kw, "storage key")?;
            ctx.words(*dst, vw, "loaded value")
        }
        Instr::SStore { field, key, src } => {
            let (kw, vw) = ctx.field(*field)?;
            ctx.words(*key, kw, "storage key")?;
            ctx.words(*src, vw, "stored value")
        }
        Instr::Call { func, args, dst } => {
            let i = usize::from(*func);
            index("function", u64::from(*func), module.functions.len())?;
            let (Some(callee), Some(shape)) =
                (module.functions.get(i), ctx.shapes.functions.get(i))
            else {
                return Err(VerifyErrorKind::Index {
                    what: "function",
                    idx: u64::from(*func),
                    len: module.functions.len(),
                });
            };
            if callee.visibility == Visibility::Init {
                return Err(VerifyErrorKind::Call(format!(
                    "internal call to init function `{}`",
                    callee.name
                )));
            }
            ctx.words(*args, shape.param_words, "call arguments")?;
            ctx.words(*dst, shape.ret_words, "call result")
        }
        Instr::CallExt {
            import,
            target,
            args,
            dst,
            sub_key,
        } => {
            let i = usize::from(*import);
            let (Some(&pw), Some(&rw)) = (
                ctx.shapes.import_params.get(i),
                ctx.shapes.import_ret.get(i),
            ) else {
                return Err(VerifyErrorKind::Index {
                    what: "import",
                    idx: u64::from(*import),
                    len: module.imports.len(),
                });
            };
            ctx.reg(*target)?;
            ctx.words(*args, pw, "call arguments")?;
            ctx.words(*dst, rw, "call result")?;
            if let Some(k) = sub_key {
                ctx.regs(*k)?;
                nonempty_key(*k)?;
            }
            Ok(())
        }
        Instr::Emit { event, args } => {
            let Some(&ew) = ctx.shapes.event_words.get(usize::from(*event)) else {
                return Err(VerifyErrorKind::Index {
                    what: "event",
                    idx: u64::from(*event),
                    len: module.events.len(),
                });
            };
            ctx.words(*args, ew, "event arguments")
        }
        Instr::Require { cond, msg } => {
            ctx.reg(*cond)?;
            ctx.string(*msg)
        }
    }
}

fn nonempty_key(k: Regs) -> Result<(), VerifyErrorKind> {
    if k.n == 0 {
        Err(VerifyErrorKind::Words {
            what: "sub-account key",
            expected: 1,
            found: 0,
        })
    } else {
        Ok(())
    }
}
