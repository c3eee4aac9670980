//! Integer literal inference through `let`.
//!
//! `let mut total = 0;` has no type of its own: as in Rust, it takes the type of its
//! first use that fixes one (`total += amount` with `amount: u64`). Such a local is
//! *pending* while its function is checked: it gets `u128` provisionally, and the first
//! concrete integer type it meets (another operand, a parameter, a declared type, an
//! assigned value) is recorded. The function is then checked again with that type as if
//! it had been written (`let mut total: u64 = 0`), until no new type is learnt; only the
//! last round's diagnostics are kept.

use super::expr::is_untyped;
use super::{Checker, FnCx};
use crate::ast::{self, BinOp};
use crate::hir::{self, LocalId, Ty};

/// The most rounds of checking one function (each fixes at least one local).
pub(crate) const MAX_ROUNDS: usize = 8;

/// The pending local whose type `e`'s type is, if any: the local itself, or an
/// arithmetic expression over it.
pub(crate) fn pending_root(cx: &FnCx, e: &hir::Expr) -> Option<LocalId> {
    match &e.kind {
        hir::ExprKind::Local(id) if cx.pending.contains(id) => Some(*id),
        hir::ExprKind::Binary(op, a, b) => match op {
            BinOp::Add
            | BinOp::Sub
            | BinOp::Mul
            | BinOp::Div
            | BinOp::Rem
            | BinOp::BitAnd
            | BinOp::BitOr
            | BinOp::BitXor => pending_root(cx, a).or_else(|| pending_root(cx, b)),
            BinOp::Shl | BinOp::Shr | BinOp::Pow => pending_root(cx, a),
            _ => None,
        },
        hir::ExprKind::Not(a) => pending_root(cx, a),
        _ => None,
    }
}

/// Whether `e`'s type may still change: it comes from a pending local.
pub(crate) fn provisional(cx: &FnCx, e: &hir::Expr) -> bool {
    match &e.kind {
        hir::ExprKind::Local(id) => cx.pending.contains(id),
        hir::ExprKind::Binary(_, a, b) => provisional(cx, a) || provisional(cx, b),
        hir::ExprKind::Not(a) => provisional(cx, a),
        hir::ExprKind::Intrinsic(_, args) | hir::ExprKind::Tuple(args) => {
            args.iter().any(|a| provisional(cx, a))
        }
        hir::ExprKind::If(_, then, els) => {
            then.tail.as_ref().is_some_and(|t| provisional(cx, t))
                || els.as_ref().is_some_and(|e| provisional(cx, e))
        }
        hir::ExprKind::Block(b) => b.tail.as_ref().is_some_and(|t| provisional(cx, t)),
        _ => false,
    }
}

impl FnCx {
    /// Records that pending local `id` has type `ty` (the first type learnt wins).
    pub(crate) fn learn(&mut self, id: LocalId, ty: &Ty) {
        if matches!(ty, Ty::Int(_)) && self.pending.contains(&id) {
            self.learnt.entry(id).or_insert_with(|| ty.clone());
        }
    }

    /// Learns from two operands of one type: a pending side takes the other's type.
    pub(crate) fn unify(
        &mut self,
        l_ast: &ast::Expr,
        l: &hir::Expr,
        r_ast: &ast::Expr,
        r: &hir::Expr,
    ) {
        if let Some(id) = pending_root(self, l)
            && !is_untyped(r_ast)
            && !provisional(self, r)
        {
            self.learn(id, &r.ty);
        }
        if let Some(id) = pending_root(self, r)
            && !is_untyped(l_ast)
            && !provisional(self, l)
        {
            self.learn(id, &l.ty);
        }
    }
}

impl Checker<'_> {
    /// Reports E0401 unless `e` has type `want` (a concrete, declared type), learning
    /// the type of a pending local from it first.
    pub(crate) fn expect_expr(&mut self, cx: &mut FnCx, e: &hir::Expr, want: &Ty) -> bool {
        if let Some(id) = pending_root(cx, e) {
            cx.learn(id, want);
        }
        self.expect_ty(&e.ty, want, e.span)
    }
}
