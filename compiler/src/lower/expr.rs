//! Lowering expressions: values into registers, conditions into branches.

use super::func::{FnLowering, Words};
use super::walk::may_assign_locals;
use super::{int_width, scalar_bits};
use crate::ast::BinOp;
use crate::hir::{self, ExprKind, Intrinsic, Ty};
use braid_bytecode::{ArithOp, CmpOp, Instr, Width};
use ruint::aliases::U256;

impl FnLowering<'_, '_> {
    /// Evaluates an expression and returns where its value is: a local's registers
    /// when it is one (no copy), otherwise fresh temporaries. The words stay valid
    /// until code that assigns locals runs (see [`FnLowering::eval_pinned`]).
    pub(super) fn eval(&mut self, e: &hir::Expr) -> Words {
        match &e.kind {
            ExprKind::Local(id) => self.local(*id),
            ExprKind::Field(inner, idx) => {
                let whole = self.eval(inner);
                let (offset, n) = self.cx.projection(&inner.ty, &[*idx]);
                whole.sub(offset, n)
            }
            ExprKind::Cast(inner) if cast_is_free(&inner.ty, &e.ty) => self.eval(inner),
            ExprKind::Tuple(es) if let Some(w) = self.contiguous_locals(es) => w,
            ExprKind::Block(b) if b.stmts.is_empty() => match &b.tail {
                Some(tail) => self.eval(tail),
                None => Words::EMPTY,
            },
            _ => {
                let dst = self.alloc(self.cx.words(&e.ty));
                self.eval_into(e, dst);
                dst
            }
        }
    }

    /// The registers of a local, projected through fields, without emitting code.
    fn local_path(&self, e: &hir::Expr) -> Option<Words> {
        match &e.kind {
            ExprKind::Local(id) => Some(self.local(*id)),
            ExprKind::Field(inner, idx) => {
                let whole = self.local_path(inner)?;
                let (offset, n) = self.cx.projection(&inner.ty, &[*idx]);
                Some(whole.sub(offset, n))
            }
            _ => None,
        }
    }

    /// When every element of a tuple is (part of) a local and together they sit in
    /// consecutive registers in order (`(from, to)` of two adjacent parameters), the
    /// tuple's value is those registers: no copy.
    fn contiguous_locals(&self, es: &[hir::Expr]) -> Option<Words> {
        let mut run: Option<Words> = None;
        for e in es {
            let w = self.local_path(e)?;
            if w.n == 0 {
                continue;
            }
            run = Some(match run {
                None => w,
                Some(r) if r.start.checked_add(r.n) == Some(w.start) => Words {
                    start: r.start,
                    n: r.n + w.n,
                },
                Some(_) => return None,
            });
        }
        run
    }

    /// [`FnLowering::eval`], copied into temporaries when `pin` and the value is a
    /// local's: for an operand whose later siblings may assign that local.
    pub(super) fn eval_pinned(&mut self, e: &hir::Expr, pin: bool) -> Words {
        let w = self.eval(e);
        if pin && self.is_local(w) {
            let t = self.alloc(w.n);
            self.mov_words(t, w);
            return t;
        }
        w
    }

    /// Evaluates operands left to right; each stays valid until all are evaluated.
    fn eval_operands(&mut self, es: &[hir::Expr]) -> Vec<Words> {
        let mut out = Vec::with_capacity(es.len());
        for (i, e) in es.iter().enumerate() {
            let pin = es[i + 1..].iter().any(may_assign_locals);
            out.push(self.eval_pinned(e, pin));
        }
        out
    }

    /// Evaluates arguments into consecutive fresh temporaries (call and event operands).
    pub(super) fn eval_args(&mut self, args: &[hir::Expr]) -> Words {
        let total = args
            .iter()
            .map(|a| self.cx.words(&a.ty))
            .fold(0, u32::saturating_add);
        let dst = self.alloc(total);
        let mut offset = 0u32;
        for a in args {
            let n = self.cx.words(&a.ty);
            self.eval_into(a, dst.sub(offset, n));
            offset = offset.saturating_add(n);
        }
        dst
    }

    /// Evaluates an expression into `dst`. `dst` must be fresh temporaries or a local
    /// the expression does not mention.
    pub(super) fn eval_into(&mut self, e: &hir::Expr, dst: Words) {
        let n = self.cx.words(&e.ty);
        if dst.n != n {
            // Only for ill-typed input: keep every operand's width exact.
            let t = self.alloc(n);
            self.eval_into(e, t);
            self.mov_words(dst, t);
            return;
        }
        let mark = self.mark();
        let outer = std::mem::replace(&mut self.span, e.span);
        match &e.kind {
            ExprKind::Lit(v) => self.load_const(dst, *v),
            ExprKind::Local(id) => {
                let src = self.local(*id);
                self.mov_words(dst, src);
            }
            ExprKind::Caller => self.emit(Instr::Caller { dst: dst.reg(0) }),
            ExprKind::SelfAddr => self.emit(Instr::SelfAddr { dst: dst.reg(0) }),
            ExprKind::BlockNumber => self.emit(Instr::BlockNumber { dst: dst.reg(0) }),
            ExprKind::BlockTimestamp => self.emit(Instr::BlockTimestamp { dst: dst.reg(0) }),
            ExprKind::SubAccount(k) => {
                let key = self.eval(k);
                self.emit(Instr::SubAccount {
                    dst: dst.reg(0),
                    key: key.regs(),
                });
            }
            ExprKind::Storage { field, key } => {
                let key = match key {
                    Some(k) => self.eval(k),
                    None => Words::EMPTY,
                };
                self.emit(Instr::SLoad {
                    field: u16::try_from(field.0).unwrap_or(u16::MAX),
                    key: key.regs(),
                    dst: dst.regs(),
                });
            }
            ExprKind::Binary(op @ (BinOp::And | BinOp::Or), l, r) => {
                self.short_circuit_into(*op, l, r, dst);
            }
            ExprKind::Binary(op, l, r) => {
                let pin = may_assign_locals(r);
                let a = self.eval_pinned(l, pin);
                let b = self.eval(r);
                self.binop_into(*op, &l.ty, dst, a, b);
            }
            ExprKind::Not(x) => {
                let src = self.eval(x);
                self.emit(Instr::Not {
                    width: int_width(&x.ty),
                    dst: dst.reg(0),
                    src: src.reg(0),
                });
            }
            ExprKind::Cast(x) => self.cast_into(x, &e.ty, dst),
            ExprKind::Field(..) => {
                let src = self.eval(e);
                self.mov_words(dst, src);
            }
            ExprKind::Tuple(es) => {
                let mut offset = 0u32;
                for x in es {
                    let n = self.cx.words(&x.ty);
                    self.eval_into(x, dst.sub(offset, n));
                    offset = offset.saturating_add(n);
                }
            }
            ExprKind::Struct(_, fields) => {
                for (pos, x) in fields {
                    let (offset, n) = self.cx.projection(&e.ty, &[*pos]);
                    self.eval_into(x, dst.sub(offset, n));
                }
                // The type checker requires every field; should one be missing, it
                // is zero rather than whatever a reused register held.
                let n_fields = super::elements(self.program, &e.ty).len();
                for pos in 0..u32::try_from(n_fields).unwrap_or(u32::MAX) {
                    if !fields.iter().any(|(p, _)| *p == pos) {
                        let (offset, n) = self.cx.projection(&e.ty, &[pos]);
                        for i in 0..n {
                            self.load_const(dst.sub(offset + i, 1), U256::ZERO);
                        }
                    }
                }
            }
            ExprKind::If(cond, then, els) => self.if_into(cond, then, els.as_deref(), dst),
            ExprKind::Block(b) => self.eval_block_into(b, dst),
            ExprKind::Call(f, args) => {
                let args = self.eval_args(args);
                let func = self.callee_ref(*f);
                self.emit(Instr::Call {
                    func,
                    args: args.regs(),
                    dst: dst.regs(),
                });
            }
            ExprKind::ExtCall {
                target,
                contract,
                func,
                args,
                as_sub,
            } => {
                let pin = args.iter().any(may_assign_locals)
                    || as_sub.as_deref().is_some_and(may_assign_locals);
                let target = self.eval_pinned(target, pin);
                let args = self.eval_args(args);
                let sub_key = as_sub.as_deref().map(|k| self.eval(k));
                let import = self.import_ref(*contract, *func);
                self.emit(Instr::CallExt {
                    import,
                    target: target.reg(0),
                    args: args.regs(),
                    dst: dst.regs(),
                    sub_key: sub_key.map(Words::regs),
                });
            }
            ExprKind::Intrinsic(i, args) => self.intrinsic_into(*i, args, &e.ty, dst),
        }
        self.span = outer;
        self.release(mark);
    }

    /// Loads a constant word into `dst` (one word).
    fn load_const(&mut self, dst: Words, v: U256) {
        if dst.n == 0 {
            return;
        }
        let idx = self.const_ref(v);
        self.emit(Instr::Const {
            dst: dst.reg(0),
            idx,
        });
    }

    /// `dst = a op b` for a non-short-circuit operator over operands of type `ty`.
    pub(super) fn binop_into(&mut self, op: BinOp, ty: &Ty, dst: Words, a: Words, b: Words) {
        let arith = |op| Some(op);
        let arith_op = match op {
            BinOp::Add => arith(ArithOp::Add),
            BinOp::Sub => arith(ArithOp::Sub),
            BinOp::Mul => arith(ArithOp::Mul),
            BinOp::Div => arith(ArithOp::Div),
            BinOp::Rem => arith(ArithOp::Rem),
            BinOp::Pow => arith(ArithOp::Pow),
            BinOp::BitAnd | BinOp::And => arith(ArithOp::And),
            BinOp::BitOr | BinOp::Or => arith(ArithOp::Or),
            BinOp::BitXor => arith(ArithOp::Xor),
            BinOp::Shl => arith(ArithOp::Shl),
            BinOp::Shr => arith(ArithOp::Shr),
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => None,
        };
        if let Some(op) = arith_op {
            self.emit(Instr::Arith {
                op,
                width: arith_width(ty),
                dst: dst.reg(0),
                a: a.reg(0),
                b: b.reg(0),
            });
            return;
        }
        let cmp = match op {
            BinOp::Ne => CmpOp::Ne,
            BinOp::Lt => CmpOp::Lt,
            BinOp::Le => CmpOp::Le,
            BinOp::Gt => CmpOp::Gt,
            BinOp::Ge => CmpOp::Ge,
            _ => CmpOp::Eq,
        };
        if a.n == 1 || !matches!(cmp, CmpOp::Eq | CmpOp::Ne) {
            self.emit(Instr::Cmp {
                op: cmp,
                dst: dst.reg(0),
                a: a.reg(0),
                b: b.reg(0),
            });
            return;
        }
        self.aggregate_eq_into(cmp == CmpOp::Ne, dst, a, b);
    }

    /// `==` / `!=` over multi-word values (tuples, structs): word by word.
    fn aggregate_eq_into(&mut self, negate: bool, dst: Words, a: Words, b: Words) {
        let n = a.n.min(b.n);
        if n == 0 {
            self.load_const(dst, U256::from(u8::from(!negate)));
            return;
        }
        self.emit(Instr::Cmp {
            op: CmpOp::Eq,
            dst: dst.reg(0),
            a: a.reg(0),
            b: b.reg(0),
        });
        let mark = self.mark();
        let t = self.alloc(1);
        for i in 1..n {
            self.emit(Instr::Cmp {
                op: CmpOp::Eq,
                dst: t.reg(0),
                a: a.reg(i),
                b: b.reg(i),
            });
            self.emit(Instr::Arith {
                op: ArithOp::And,
                width: Width::W8,
                dst: dst.reg(0),
                a: dst.reg(0),
                b: t.reg(0),
            });
        }
        self.release(mark);
        if negate {
            self.emit(Instr::Not {
                width: None,
                dst: dst.reg(0),
                src: dst.reg(0),
            });
        }
    }

    /// `l && r` / `l || r` as a value: `r` runs only when it decides the result.
    fn short_circuit_into(&mut self, op: BinOp, l: &hir::Expr, r: &hir::Expr, dst: Words) {
        self.eval_into(l, dst);
        let rhs = self.new_block();
        let join = self.new_block();
        if op == BinOp::And {
            self.branch(dst.reg(0), rhs, join);
        } else {
            self.branch(dst.reg(0), join, rhs);
        }
        self.switch_to(rhs);
        self.eval_into(r, dst);
        self.jump(join);
        self.switch_to(join);
    }

    /// Ends the current block with a branch on `cond` to `then` / `els`, lowering
    /// `&&`, `||`, `!` and constant conditions to control flow directly.
    pub(super) fn branch_on(&mut self, cond: &hir::Expr, then: usize, els: usize) {
        match &cond.kind {
            ExprKind::Binary(BinOp::And, l, r) => {
                let mid = self.new_block();
                self.branch_on(l, mid, els);
                self.switch_to(mid);
                self.branch_on(r, then, els);
            }
            ExprKind::Binary(BinOp::Or, l, r) => {
                let mid = self.new_block();
                self.branch_on(l, then, mid);
                self.switch_to(mid);
                self.branch_on(r, then, els);
            }
            ExprKind::Not(x) if x.ty == Ty::Bool => self.branch_on(x, els, then),
            ExprKind::Lit(v) => self.jump(if v.is_zero() { els } else { then }),
            _ => {
                let mark = self.mark();
                let c = self.eval(cond);
                self.branch(c.reg(0), then, els);
                self.release(mark);
            }
        }
    }

    /// `if cond { then } else { els }` into `dst`.
    fn if_into(
        &mut self,
        cond: &hir::Expr,
        then: &hir::Block,
        els: Option<&hir::Expr>,
        dst: Words,
    ) {
        let then_bb = self.new_block();
        let else_bb = els.map(|_| self.new_block());
        let join = self.new_block();
        self.branch_on(cond, then_bb, else_bb.unwrap_or(join));
        self.switch_to(then_bb);
        let mark = self.mark();
        self.eval_block_into(then, dst);
        self.release(mark);
        self.jump(join);
        if let (Some(els), Some(else_bb)) = (els, else_bb) {
            self.switch_to(else_bb);
            self.eval_into(els, dst);
            self.jump(join);
        }
        self.switch_to(join);
    }

    /// `x as T` into `dst`: free when widening, `Cast` (checked) when narrowing.
    fn cast_into(&mut self, x: &hir::Expr, to: &Ty, dst: Words) {
        if let ExprKind::Lit(v) = &x.kind
            && let Some(bits) = scalar_bits(to)
            && v.bit_len() <= bits as usize
        {
            self.load_const(dst, *v);
            return;
        }
        let src = self.eval(x);
        if cast_is_free(&x.ty, to) {
            self.mov_words(dst, src);
            return;
        }
        if let Some(width) = int_width(to) {
            self.emit(Instr::Cast {
                width,
                dst: dst.reg(0),
                src: src.reg(0),
            });
            return;
        }
        if scalar_bits(to) == Some(160) {
            // A 256-bit integer to an address: check that the high 96 bits are clear
            // with the existing instructions (`(src >> 160) << 64` fits u64 iff they
            // are), so that a failure is the `conversion` panic like any `as`.
            let mark = self.mark();
            let t = self.alloc(2);
            self.load_const(t.sub(1, 1), U256::from(160u32));
            self.emit(Instr::Arith {
                op: ArithOp::Shr,
                width: Width::W256,
                dst: t.reg(0),
                a: src.reg(0),
                b: t.reg(1),
            });
            self.load_const(t.sub(1, 1), U256::from(64u32));
            self.emit(Instr::Arith {
                op: ArithOp::Shl,
                width: Width::W256,
                dst: t.reg(0),
                a: t.reg(0),
                b: t.reg(1),
            });
            self.emit(Instr::Cast {
                width: Width::W64,
                dst: t.reg(0),
                src: t.reg(0),
            });
            self.release(mark);
        }
        self.mov_words(dst, src);
    }

    /// A VM intrinsic into `dst`.
    fn intrinsic_into(&mut self, i: Intrinsic, args: &[hir::Expr], ty: &Ty, dst: Words) {
        let width = arith_width(ty);
        let ops = self.eval_operands(args);
        let op = match i {
            Intrinsic::Min => ArithOp::Min,
            Intrinsic::Max => ArithOp::Max,
            Intrinsic::Pow => ArithOp::Pow,
            Intrinsic::WrappingAdd => ArithOp::WrappingAdd,
            Intrinsic::WrappingSub => ArithOp::WrappingSub,
            Intrinsic::WrappingMul => ArithOp::WrappingMul,
            Intrinsic::Sqrt => {
                if let [src] = ops[..] {
                    self.emit(Instr::Sqrt {
                        dst: dst.reg(0),
                        src: src.reg(0),
                    });
                }
                return;
            }
            Intrinsic::MulDiv | Intrinsic::MulDivUp => {
                if let [a, b, d] = ops[..] {
                    self.emit(Instr::MulDiv {
                        round_up: i == Intrinsic::MulDivUp,
                        width,
                        dst: dst.reg(0),
                        a: a.reg(0),
                        b: b.reg(0),
                        d: d.reg(0),
                    });
                }
                return;
            }
        };
        if let [a, b] = ops[..] {
            self.emit(Instr::Arith {
                op,
                width,
                dst: dst.reg(0),
                a: a.reg(0),
                b: b.reg(0),
            });
        }
    }
}

/// The width arithmetic on a type is checked against (bools: 8 bits, which keeps
/// `&`, `|`, `^` on 0/1 exact; anything else not an integer: 256 bits).
fn arith_width(ty: &Ty) -> Width {
    match ty {
        Ty::Bool => Width::W8,
        _ => int_width(ty).unwrap_or(Width::W256),
    }
}

/// Whether `as` from one type to another keeps every value (a widening or an
/// identity, contract ↔ address included): then it is a plain copy.
fn cast_is_free(from: &Ty, to: &Ty) -> bool {
    match (scalar_bits(from), scalar_bits(to)) {
        (Some(f), Some(t)) => f <= t,
        _ => from == to,
    }
}
