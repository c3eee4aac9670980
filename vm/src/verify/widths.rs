//! Register widths: the verifier infers, at every program point, an upper bound on
//! the value each register holds, and rejects an instruction whose operand may be
//! wider than the instruction's width.
//!
//! A register's width is one of [`RegWidth`]: its value is below 2^8, 2^64, 2^128 or
//! 2^256. Widths flow forward from the function's entry (parameters at their declared
//! types, every other register zero) through each instruction's result width (an
//! arithmetic instruction of width `uN` gives `uN`, a comparison a `bool`, a constant
//! the width of its value, a load the field's declared type, a call the callee's
//! declared return type) and join (the wider wins) where control flow meets. The
//! inferred entry state of every reachable block is recorded in
//! [`FunctionWidths`]; both engines rely on it (the JIT keeps a `u64` value in one
//! machine word because the verifier proved it fits).
//!
//! Rejected as conflicts: an arithmetic or bitwise `not` operand wider than the
//! instruction's width (the exponent of `pow` and the amount of a shift may be any
//! width), a stored word wider than its field's type, an internal call's argument
//! wider than the callee's parameter, and a returned word wider than the function's
//! declared return type. External calls are checked at run time instead (arguments
//! on entry, returned words against the import's type), so their results have the
//! import's declared widths.
//!
//! The analysis is bounded: a function's `registers × blocks` is at most
//! [`MAX_WIDTH_CELLS`], and the fixpoint may update at most [`MAX_WIDTH_WORK`] cells
//! before the module is rejected as too large.

use super::VerifyErrorKind;
use super::types::word_maxima;
use braid_bytecode::{ArithOp, Function, Instr, Module, Regs, Terminator, U256, ValueType, Width};
use std::collections::VecDeque;

/// The most `registers × blocks` of one function (the size of its width table).
pub const MAX_WIDTH_CELLS: usize = 1 << 24;

/// The most register cells the width fixpoint of one function may process.
pub const MAX_WIDTH_WORK: usize = 1 << 27;

/// An upper bound on a register's value: below 2^bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum RegWidth {
    /// Below 2^8 (`bool`, `u8`, zero).
    W8 = 0,
    /// Below 2^64.
    W64 = 1,
    /// Below 2^128.
    W128 = 2,
    /// Any word (`u256`, addresses).
    W256 = 3,
}

impl RegWidth {
    /// The width of an instruction's [`Width`].
    pub fn of(w: Width) -> RegWidth {
        match w {
            Width::W8 => RegWidth::W8,
            Width::W64 => RegWidth::W64,
            Width::W128 => RegWidth::W128,
            Width::W256 => RegWidth::W256,
        }
    }

    /// The narrowest width holding `v`.
    pub fn of_value(v: &U256) -> RegWidth {
        match v.bit_len() {
            0..=8 => RegWidth::W8,
            9..=64 => RegWidth::W64,
            65..=128 => RegWidth::W128,
            _ => RegWidth::W256,
        }
    }

    /// How many 64-bit limbs a value of this width needs.
    pub fn limbs(self) -> usize {
        match self {
            RegWidth::W8 | RegWidth::W64 => 1,
            RegWidth::W128 => 2,
            RegWidth::W256 => 4,
        }
    }

    /// The Braid name of the width (`u64`).
    pub fn name(self) -> &'static str {
        match self {
            RegWidth::W8 => "u8",
            RegWidth::W64 => "u64",
            RegWidth::W128 => "u128",
            RegWidth::W256 => "u256",
        }
    }
}

/// The register widths of one function: the entry state of every block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FunctionWidths {
    n_regs: usize,
    /// `n_blocks × n_regs`, block-major.
    entry: Vec<RegWidth>,
    /// Whether each block is reachable from the entry.
    reached: Vec<bool>,
}

impl FunctionWidths {
    /// The widths of every register on entry to block `b`, or `None` when `b` is
    /// unreachable (or out of range).
    pub fn at_block(&self, b: usize) -> Option<&[RegWidth]> {
        if !self.reached.get(b).copied().unwrap_or(false) {
            return None;
        }
        self.entry.get(b * self.n_regs..(b + 1) * self.n_regs)
    }
}

/// The declared widths the analysis needs from a module's signatures and fields.
pub(super) struct Declared {
    fn_params: Vec<Vec<RegWidth>>,
    fn_ret: Vec<Vec<RegWidth>>,
    import_ret: Vec<Vec<RegWidth>>,
    field_value: Vec<Vec<RegWidth>>,
}

fn widths_of<'t>(ts: impl IntoIterator<Item = &'t ValueType>) -> Vec<RegWidth> {
    let mut max = Vec::new();
    for t in ts {
        word_maxima(t, &mut max);
    }
    max.iter().map(RegWidth::of_value).collect()
}

impl Declared {
    /// The declared widths of `module` (its types already checked for nesting).
    pub(super) fn of(module: &Module) -> Declared {
        Declared {
            fn_params: module
                .functions
                .iter()
                .map(|f| widths_of(f.params.iter().map(|(_, t)| t)))
                .collect(),
            fn_ret: module
                .functions
                .iter()
                .map(|f| widths_of([&f.ret]))
                .collect(),
            import_ret: module.imports.iter().map(|i| widths_of([&i.ret])).collect(),
            field_value: module
                .storage
                .iter()
                .map(|f| widths_of([&f.value]))
                .collect(),
        }
    }
}

/// Where a width conflict is: block, and instruction index (`None`: the terminator).
pub(super) type At = (usize, Option<usize>);

fn conflict(what: String) -> VerifyErrorKind {
    VerifyErrorKind::BadType(what)
}

fn range(state: &[RegWidth], rs: Regs) -> Result<&[RegWidth], VerifyErrorKind> {
    let s = usize::from(rs.start.0);
    state
        .get(s..s + usize::from(rs.n))
        .ok_or_else(|| conflict(format!("register range r{s}+{} out of range", rs.n)))
}

fn get(state: &[RegWidth], r: braid_bytecode::Reg) -> Result<RegWidth, VerifyErrorKind> {
    state
        .get(usize::from(r.0))
        .copied()
        .ok_or_else(|| conflict(format!("register r{} out of range", r.0)))
}

fn set(state: &mut [RegWidth], r: braid_bytecode::Reg, w: RegWidth) -> Result<(), VerifyErrorKind> {
    let slot = state
        .get_mut(usize::from(r.0))
        .ok_or_else(|| conflict(format!("register r{} out of range", r.0)))?;
    *slot = w;
    Ok(())
}

fn set_range(state: &mut [RegWidth], rs: Regs, ws: &[RegWidth]) -> Result<(), VerifyErrorKind> {
    let s = usize::from(rs.start.0);
    let dst = state
        .get_mut(s..s + usize::from(rs.n))
        .ok_or_else(|| conflict(format!("register range r{s}+{} out of range", rs.n)))?;
    if dst.len() != ws.len() {
        return Err(conflict("register range width mismatch".to_string()));
    }
    dst.copy_from_slice(ws);
    Ok(())
}

/// Every word of `found` at most its declared width in `declared`.
fn fits(found: &[RegWidth], declared: &[RegWidth], what: &str) -> Result<(), VerifyErrorKind> {
    if found.len() != declared.len() {
        return Err(conflict(format!("{what}: word count mismatch")));
    }
    match found.iter().zip(declared).position(|(f, d)| f > d) {
        None => Ok(()),
        Some(i) => Err(conflict(format!(
            "{what}: word {i} may be a {} where a {} is declared",
            found[i].name(),
            declared[i].name()
        ))),
    }
}

fn operand(w: RegWidth, width: Width, which: &str, op: &str) -> Result<(), VerifyErrorKind> {
    if w <= RegWidth::of(width) {
        Ok(())
    } else {
        Err(conflict(format!(
            "{op}.{} operand {which} may be a {}",
            width.name(),
            w.name()
        )))
    }
}

/// Applies `ins` to the register widths `state`, checking its operands.
pub fn transfer(
    module: &Module,
    declared: &DeclaredRef<'_>,
    ins: &Instr,
    state: &mut [RegWidth],
) -> Result<(), VerifyErrorKind> {
    match ins {
        Instr::Const { dst, idx } => {
            let v = usize::try_from(*idx)
                .ok()
                .and_then(|i| module.consts.get(i))
                .ok_or_else(|| conflict(format!("constant c{idx} out of range")))?;
            set(state, *dst, RegWidth::of_value(v))
        }
        Instr::Mov { dst, src } => {
            let w = get(state, *src)?;
            set(state, *dst, w)
        }
        Instr::Arith {
            op,
            width,
            dst,
            a,
            b,
        } => {
            let m = ins.mnemonic();
            operand(get(state, *a)?, *width, "a", m)?;
            if !matches!(op, ArithOp::Pow | ArithOp::Shl | ArithOp::Shr) {
                operand(get(state, *b)?, *width, "b", m)?;
            }
            set(state, *dst, RegWidth::of(*width))
        }
        Instr::Cmp { dst, .. } => set(state, *dst, RegWidth::W8),
        Instr::Not { width, dst, src } => match width {
            None => set(state, *dst, RegWidth::W8),
            Some(w) => {
                operand(get(state, *src)?, *w, "src", "not")?;
                set(state, *dst, RegWidth::of(*w))
            }
        },
        Instr::Cast { width, dst, .. } => set(state, *dst, RegWidth::of(*width)),
        Instr::Sqrt { dst, src } => {
            let w = get(state, *src)?.min(RegWidth::W128);
            set(state, *dst, w)
        }
        Instr::MulDiv { width, dst, .. } => set(state, *dst, RegWidth::of(*width)),
        Instr::Caller { dst } | Instr::SelfAddr { dst } | Instr::SubAccount { dst, .. } => {
            set(state, *dst, RegWidth::W256)
        }
        Instr::BlockNumber { dst } | Instr::BlockTimestamp { dst } => {
            set(state, *dst, RegWidth::W64)
        }
        Instr::SLoad { field, dst, .. } => {
            let ws = declared.field(*field)?;
            set_range(state, *dst, ws)
        }
        Instr::SStore { field, src, .. } => {
            let ws = declared.field(*field)?;
            fits(range(state, *src)?, ws, "stored value")
        }
        Instr::Call { func, args, dst } => {
            let (params, ret) = declared.function(*func)?;
            fits(range(state, *args)?, params, "call argument")?;
            set_range(state, *dst, ret)
        }
        Instr::CallExt { import, dst, .. } => {
            let ret = declared.import(*import)?;
            set_range(state, *dst, ret)
        }
        Instr::Emit { .. } | Instr::Require { .. } => Ok(()),
    }
}

/// Borrowed declared widths (the module's, during verification).
pub struct DeclaredRef<'d> {
    inner: &'d Declared,
}

impl DeclaredRef<'_> {
    fn field(&self, f: u16) -> Result<&[RegWidth], VerifyErrorKind> {
        self.inner
            .field_value
            .get(usize::from(f))
            .map(Vec::as_slice)
            .ok_or_else(|| conflict(format!("storage field {f} out of range")))
    }

    fn function(&self, f: u16) -> Result<(&[RegWidth], &[RegWidth]), VerifyErrorKind> {
        let i = usize::from(f);
        match (self.inner.fn_params.get(i), self.inner.fn_ret.get(i)) {
            (Some(p), Some(r)) => Ok((p, r)),
            _ => Err(conflict(format!("function f{f} out of range"))),
        }
    }

    fn import(&self, i: u16) -> Result<&[RegWidth], VerifyErrorKind> {
        self.inner
            .import_ret
            .get(usize::from(i))
            .map(Vec::as_slice)
            .ok_or_else(|| conflict(format!("import i{i} out of range")))
    }
}

/// Infers the widths of function `fi` of `module` (whose registers, targets and
/// indices are already checked), or the first conflict and where it is.
pub(super) fn infer(
    module: &Module,
    declared: &Declared,
    fi: usize,
    f: &Function,
) -> Result<FunctionWidths, (At, VerifyErrorKind)> {
    let n_regs = usize::from(f.n_regs);
    let n_blocks = f.blocks.len();
    let too_large = |what: String| ((0, None), VerifyErrorKind::TooLarge(what));
    if n_regs.saturating_mul(n_blocks) > MAX_WIDTH_CELLS {
        return Err(too_large(format!(
            "{n_regs} registers × {n_blocks} blocks (the width table holds at most {MAX_WIDTH_CELLS})"
        )));
    }
    let dref = DeclaredRef { inner: declared };
    let mut entry = vec![RegWidth::W8; n_regs * n_blocks];
    let mut reached = vec![false; n_blocks];
    let params = declared.fn_params.get(fi).map_or(&[][..], Vec::as_slice);
    if let (Some(first), Some(r0)) = (entry.get_mut(..params.len()), reached.first_mut()) {
        first.copy_from_slice(params);
        *r0 = true;
    }
    let mut queue: VecDeque<usize> = VecDeque::from([0]);
    let mut queued = vec![false; n_blocks];
    if let Some(q) = queued.first_mut() {
        *q = true;
    }
    let mut state = vec![RegWidth::W8; n_regs];
    let mut work: usize = 0;
    while let Some(b) = queue.pop_front() {
        if let Some(q) = queued.get_mut(b) {
            *q = false;
        }
        work = work.saturating_add(n_regs + 1);
        if work > MAX_WIDTH_WORK {
            return Err(too_large(format!(
                "width inference of `{}` exceeds its budget of {MAX_WIDTH_WORK} register updates",
                f.name
            )));
        }
        let Some(block) = f.blocks.get(b) else {
            continue;
        };
        if let Some(src) = entry.get(b * n_regs..(b + 1) * n_regs) {
            state.copy_from_slice(src);
        }
        for (ii, ins) in block.instrs.iter().enumerate() {
            transfer(module, &dref, ins, &mut state).map_err(|k| ((b, Some(ii)), k))?;
        }
        let succs: [Option<u32>; 2] = match &block.term {
            Terminator::Jump(t) => [Some(t.0), None],
            Terminator::Branch { then, els, .. } => [Some(then.0), Some(els.0)],
            Terminator::Return(rs) => {
                let ret = declared.fn_ret.get(fi).map_or(&[][..], Vec::as_slice);
                let words = range(&state, *rs).map_err(|k| ((b, None), k))?;
                fits(words, ret, "returned value").map_err(|k| ((b, None), k))?;
                [None, None]
            }
            Terminator::Revert(_) => [None, None],
        };
        for s in succs.into_iter().flatten() {
            let s = s as usize;
            let Some(dst) = entry.get_mut(s * n_regs..(s + 1) * n_regs) else {
                continue;
            };
            let first = !reached.get(s).copied().unwrap_or(true);
            let mut changed = first;
            if first {
                dst.copy_from_slice(&state);
            } else {
                for (d, w) in dst.iter_mut().zip(&state) {
                    if *w > *d {
                        *d = *w;
                        changed = true;
                    }
                }
            }
            if let Some(r) = reached.get_mut(s) {
                *r = true;
            }
            if changed && !queued.get(s).copied().unwrap_or(true) {
                if let Some(q) = queued.get_mut(s) {
                    *q = true;
                }
                queue.push_back(s);
            }
        }
    }
    Ok(FunctionWidths {
        n_regs,
        entry,
        reached,
    })
}

/// Declared widths for the engines (the same tables the verifier used).
pub fn declared_of(module: &Module) -> DeclaredOwned {
    DeclaredOwned {
        inner: Declared::of(module),
    }
}

/// Owned declared widths, for an engine that replays [`transfer`] within a block.
pub struct DeclaredOwned {
    inner: Declared,
}

impl DeclaredOwned {
    /// The borrowed form [`transfer`] takes.
    pub fn as_ref(&self) -> DeclaredRef<'_> {
        DeclaredRef { inner: &self.inner }
    }
}

#[cfg(test)]
mod tests {
    use super::RegWidth;
    use crate::testutil::*;
    use crate::verify::{VerifyErrorKind, verify};
    use braid_bytecode::{
        ArithOp, BlockId, Instr, Module, Terminator, U256, ValueType, Visibility, Width,
    };

    fn sub64(a: u16, b: u16) -> Instr {
        Instr::Arith {
            op: ArithOp::Sub,
            width: Width::W64,
            dst: r(2),
            a: r(a),
            b: r(b),
        }
    }

    fn one_fn(
        params: &[ValueType],
        n_regs: u16,
        consts: Vec<U256>,
        blocks: Vec<braid_bytecode::BasicBlock>,
    ) -> Module {
        let mut m = module("W", vec![scalar("x", ValueType::U64)], Vec::new());
        m.consts = consts;
        m.functions = vec![func(
            "f",
            Visibility::Pub,
            params,
            ValueType::unit(),
            n_regs,
            blocks,
        )];
        m
    }

    fn err_of(m: &Module) -> String {
        let e = verify(m).expect_err("rejected");
        assert!(
            matches!(
                e.kind,
                VerifyErrorKind::BadType(_) | VerifyErrorKind::TooLarge(_)
            ),
            "{e}"
        );
        e.to_string()
    }

    /// The example: a 64-bit `sub` of 2^64 + 5 minus 10 used to succeed.
    #[test]
    fn a_64_bit_sub_on_a_wider_operand_is_rejected() {
        let big = (U256::from(1u8) << 64) + U256::from(5u8);
        let m = one_fn(
            &[],
            3,
            vec![big, U256::from(10u8)],
            vec![blk(
                vec![
                    Instr::Const { dst: r(0), idx: 0 },
                    Instr::Const { dst: r(1), idx: 1 },
                    sub64(0, 1),
                ],
                ret_unit(),
            )],
        );
        let e = err_of(&m);
        assert!(
            e.contains("block b0, instruction 2") && e.contains("sub.u64 operand a may be a u128"),
            "{e}"
        );
        // A u128 parameter too, and the right operand.
        let m = one_fn(
            &[ValueType::U64, ValueType::U128],
            3,
            vec![],
            vec![blk(vec![sub64(0, 1)], ret_unit())],
        );
        assert!(err_of(&m).contains("operand b may be a u128"));
        let m = one_fn(
            &[ValueType::U64, ValueType::U64],
            3,
            vec![],
            vec![blk(vec![sub64(0, 1)], ret_unit())],
        );
        let v = verify(&m).expect("u64 operands verify");
        assert_eq!(
            v.functions[0].widths.at_block(0).expect("reached"),
            &[RegWidth::W64, RegWidth::W64, RegWidth::W8]
        );
    }

    /// Widths join where control flow meets, through loops too.
    #[test]
    fn widths_join_at_merges_and_around_loops() {
        // b0: branch p0 → b1 (r1 = 2^100) | b2 (r1 = 1); b3: use r1.
        let merge = |use_width: Width| {
            one_fn(
                &[ValueType::Bool],
                3,
                vec![U256::from(1u8) << 100, U256::from(1u8)],
                vec![
                    blk(
                        vec![],
                        Terminator::Branch {
                            cond: r(0),
                            then: BlockId(1),
                            els: BlockId(2),
                        },
                    ),
                    blk(
                        vec![Instr::Const { dst: r(1), idx: 0 }],
                        Terminator::Jump(BlockId(3)),
                    ),
                    blk(
                        vec![Instr::Const { dst: r(1), idx: 1 }],
                        Terminator::Jump(BlockId(3)),
                    ),
                    blk(
                        vec![Instr::Arith {
                            op: ArithOp::Add,
                            width: use_width,
                            dst: r(2),
                            a: r(1),
                            b: r(1),
                        }],
                        ret_unit(),
                    ),
                ],
            )
        };
        assert!(err_of(&merge(Width::W64)).contains("block b3"));
        let v = verify(&merge(Width::W128)).expect("u128 use verifies");
        let w = &v.functions[0].widths;
        assert_eq!(w.at_block(3).expect("reached")[1], RegWidth::W128);
        assert_eq!(w.at_block(2).expect("reached")[1], RegWidth::W8);
        // A loop: r1 starts at 0 (u8) and becomes a u128 in the body; the header sees u128.
        let m = one_fn(
            &[ValueType::Bool],
            3,
            vec![U256::from(1u8) << 100],
            vec![
                blk(vec![], Terminator::Jump(BlockId(1))),
                blk(
                    vec![Instr::Arith {
                        op: ArithOp::Add,
                        width: Width::W64,
                        dst: r(2),
                        a: r(1),
                        b: r(1),
                    }],
                    Terminator::Branch {
                        cond: r(0),
                        then: BlockId(2),
                        els: BlockId(3),
                    },
                ),
                blk(
                    vec![Instr::Const { dst: r(1), idx: 0 }],
                    Terminator::Jump(BlockId(1)),
                ),
                blk(vec![], ret_unit()),
            ],
        );
        assert!(err_of(&m).contains("block b1, instruction 0"));
    }

    #[test]
    fn stores_calls_and_returns_are_checked_against_declared_types() {
        // Storing a u256 parameter into a u64 field.
        let mut m = one_fn(
            &[ValueType::U256],
            1,
            vec![],
            vec![blk(
                vec![Instr::SStore {
                    field: 0,
                    key: rs(0, 0),
                    src: rs(0, 1),
                }],
                ret_unit(),
            )],
        );
        m.functions[0].access = vec![own(true, 0, braid_bytecode::KeyPattern::Scalar)];
        assert!(err_of(&m).contains("stored value: word 0 may be a u256 where a u64 is declared"));
        // An internal call passing a u128 to a u64 parameter.
        let mut m = one_fn(
            &[ValueType::U128],
            1,
            vec![],
            vec![blk(
                vec![Instr::Call {
                    func: 1,
                    args: rs(0, 1),
                    dst: rs(0, 0),
                }],
                ret_unit(),
            )],
        );
        m.functions.push(func(
            "g",
            Visibility::Internal,
            &[ValueType::U64],
            ValueType::unit(),
            1,
            vec![blk(vec![], ret_unit())],
        ));
        assert!(err_of(&m).contains("call argument: word 0 may be a u128 where a u64 is declared"));
        // A load gives the field's width; a bool return of a u8 width is accepted.
        let mut m = one_fn(
            &[],
            1,
            vec![],
            vec![blk(
                vec![Instr::SLoad {
                    field: 0,
                    key: rs(0, 0),
                    dst: rs(0, 1),
                }],
                ret_unit(),
            )],
        );
        m.functions[0].access = vec![own(false, 0, braid_bytecode::KeyPattern::Scalar)];
        let v = verify(&m).expect("verifies");
        assert_eq!(
            v.functions[0].widths.at_block(0).expect("reached"),
            &[RegWidth::W8]
        );
    }

    #[test]
    fn unreachable_blocks_have_no_widths_and_the_table_is_bounded() {
        let m = one_fn(
            &[ValueType::U256, ValueType::U64],
            3,
            vec![],
            vec![blk(vec![], ret_unit()), blk(vec![sub64(0, 1)], ret_unit())],
        );
        let v = verify(&m).expect("unreachable code is not width-checked");
        assert!(v.functions[0].widths.at_block(1).is_none());
        // 65,535 registers × 300 blocks is past the table's bound.
        let blocks = (0..300u32)
            .map(|i| {
                blk(
                    vec![],
                    if i == 299 {
                        ret_unit()
                    } else {
                        Terminator::Jump(BlockId(i + 1))
                    },
                )
            })
            .collect();
        let m = one_fn(&[], u16::MAX, vec![], blocks);
        let e = verify(&m).expect_err("too large");
        assert!(matches!(e.kind, VerifyErrorKind::TooLarge(_)), "{e}");
    }
}
