//! Operators and conversions: `&&`/`||`, comparisons, arithmetic and bitwise
//! operators, shifts, `**` (constant operands only, E0408), `!` and `as`. An operation
//! on two literals is folded with [`crate::consteval`] (overflow is E0409).

use super::expr::{is_untyped, lit, mk};
use super::{Checker, FnCx, error_expr};
use crate::ast::{self, BinOp, IntTy};
use crate::consteval;
use crate::diagnostics::{Code, Diagnostic};
use crate::hir::{self, Ty};
use crate::span::Span;

impl Checker<'_> {
    /// Checks two operands that must have one type; an unsuffixed literal on one side
    /// takes the other side's type.
    pub(crate) fn same_type_operands(
        &mut self,
        cx: &mut FnCx,
        l: &ast::Expr,
        r: &ast::Expr,
        hint: Option<&Ty>,
    ) -> (hir::Expr, hir::Expr) {
        if is_untyped(l) && !is_untyped(r) {
            let re = self.expr(cx, r, hint);
            let le = self.expr(cx, l, Some(&re.ty));
            cx.unify(l, &le, r, &re);
            self.expect_ty(&le.ty, &re.ty, le.span);
            (le, re)
        } else {
            let le = self.expr(cx, l, hint);
            let re = self.expr(cx, r, Some(&le.ty));
            cx.unify(l, &le, r, &re);
            self.expect_ty(&re.ty, &le.ty, re.span);
            (le, re)
        }
    }

    fn operand_error(&mut self, op: BinOp, ty: &Ty, span: Span, wanted: &str) -> hir::Expr {
        let name = self.ty_name(ty);
        self.err(
            Diagnostic::new(
                Code::TypeMismatch,
                span,
                format!("`{}` cannot be applied to `{name}`", op.symbol()),
            )
            .with_label(format!("expected {wanted}, found `{name}`")),
        );
        error_expr(span)
    }

    pub(super) fn binary(
        &mut self,
        cx: &mut FnCx,
        op: BinOp,
        l: &ast::Expr,
        r: &ast::Expr,
        hint: Option<&Ty>,
        span: Span,
    ) -> hir::Expr {
        let (l, r, ty) = match op {
            BinOp::And | BinOp::Or => {
                let l = self.expr(cx, l, Some(&Ty::Bool));
                let r = self.expr(cx, r, Some(&Ty::Bool));
                let ok_l = self.expect_ty(&l.ty, &Ty::Bool, l.span);
                let ok_r = self.expect_ty(&r.ty, &Ty::Bool, r.span);
                if !(ok_l && ok_r) {
                    return error_expr(span);
                }
                (l, r, Ty::Bool)
            }
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                let (l, r) = self.same_type_operands(cx, l, r, None);
                if l.ty == Ty::Error || r.ty == Ty::Error || !super::compatible(&r.ty, &l.ty) {
                    return error_expr(span);
                }
                let equality = matches!(op, BinOp::Eq | BinOp::Ne);
                let ok = match &l.ty {
                    Ty::Int(_) | Ty::Address => true,
                    Ty::Bool | Ty::Contract(_) => equality,
                    _ => false,
                };
                if !ok {
                    let name = self.ty_name(&l.ty);
                    let mut d = Diagnostic::new(
                        Code::TypeMismatch,
                        span,
                        format!("`{}` cannot compare values of type `{name}`", op.symbol()),
                    )
                    .with_label(if equality {
                        "`==` and `!=` compare bools, integers, addresses and contract values"
                    } else {
                        "`<`, `<=`, `>` and `>=` compare integers and addresses"
                    });
                    if matches!(l.ty, Ty::Tuple(_) | Ty::Struct(_)) {
                        d = d.with_help("compare the fields one by one");
                    } else if matches!(l.ty, Ty::Contract(_)) {
                        d = d.with_help("compare the addresses: `a as address < b as address`");
                    }
                    self.err(d);
                    return error_expr(span);
                }
                (l, r, Ty::Bool)
            }
            BinOp::Add
            | BinOp::Sub
            | BinOp::Mul
            | BinOp::Div
            | BinOp::Rem
            | BinOp::BitAnd
            | BinOp::BitOr
            | BinOp::BitXor => {
                let (l, r) = self.same_type_operands(cx, l, r, hint);
                if l.ty == Ty::Error || r.ty == Ty::Error || !super::compatible(&r.ty, &l.ty) {
                    return error_expr(span);
                }
                let bitwise = matches!(op, BinOp::BitAnd | BinOp::BitOr | BinOp::BitXor);
                match &l.ty {
                    Ty::Int(_) => {}
                    Ty::Bool if bitwise => {}
                    other => {
                        let other = other.clone();
                        return self.operand_error(op, &other, l.span, "an integer");
                    }
                }
                let ty = l.ty.clone();
                (l, r, ty)
            }
            BinOp::Shl | BinOp::Shr | BinOp::Pow => {
                let l = self.expr(cx, l, hint);
                let r_hint = if matches!(l.ty, Ty::Int(_)) && op != BinOp::Pow {
                    Some(l.ty.clone())
                } else {
                    None
                };
                let r = self.expr(cx, r, r_hint.as_ref());
                if l.ty == Ty::Error || r.ty == Ty::Error {
                    return error_expr(span);
                }
                if !matches!(l.ty, Ty::Int(_)) {
                    let t = l.ty.clone();
                    return self.operand_error(op, &t, l.span, "an integer");
                }
                if !matches!(r.ty, Ty::Int(_)) {
                    let t = r.ty.clone();
                    return self.operand_error(op, &t, r.span, "an integer");
                }
                if op == BinOp::Pow
                    && !(matches!(l.kind, hir::ExprKind::Lit(_))
                        && matches!(r.kind, hir::ExprKind::Lit(_)))
                {
                    self.err(
                        Diagnostic::new(Code::NotConstant, span, "`**` needs constant operands")
                            .with_label("not known at compile time")
                            .with_help(
                                "use `pow(base, exp)` from `std::math` for a run-time power",
                            ),
                    );
                    return error_expr(span);
                }
                if self.shift_always_zero(op, &l, &r, span) {
                    return error_expr(span);
                }
                let ty = l.ty.clone();
                (l, r, ty)
            }
        };
        self.fold_binary(op, l, r, ty, span)
    }

    /// E0409 for a shift of a run-time value by a constant of its width or more: it
    /// always gives 0, never what was meant. Kept out of [`Checker::binary`] so that
    /// the recursion through nested expressions keeps a small stack frame.
    #[inline(never)]
    fn shift_always_zero(&mut self, op: BinOp, l: &hir::Expr, r: &hir::Expr, span: Span) -> bool {
        let (Ty::Int(width), hir::ExprKind::Lit(amount)) = (&l.ty, &r.kind) else {
            return false;
        };
        if !matches!(op, BinOp::Shl | BinOp::Shr)
            || matches!(l.kind, hir::ExprKind::Lit(_))
            || *amount < ruint::aliases::U256::from(width.bits())
        {
            return false;
        }
        self.err(
            Diagnostic::new(
                Code::ConstOverflow,
                span,
                format!(
                    "this shift is by {} bits or more, the width of `{}`: it always gives 0",
                    width.bits(),
                    width.name()
                ),
            )
            .with_label("the shift amount is a constant"),
        );
        true
    }

    /// Folds `l op r` when both are literals; builds the node otherwise.
    fn fold_binary(
        &mut self,
        op: BinOp,
        l: hir::Expr,
        r: hir::Expr,
        ty: Ty,
        span: Span,
    ) -> hir::Expr {
        if let (hir::ExprKind::Lit(a), hir::ExprKind::Lit(b)) = (&l.kind, &r.kind) {
            let width = match &l.ty {
                Ty::Int(i) => *i,
                _ => IntTy::U256,
            };
            return match consteval::binary(op, width, *a, *b) {
                Ok(v) => lit(v, ty, span),
                Err(e) => {
                    self.err(
                        Diagnostic::new(Code::ConstOverflow, span, e.describe(width))
                            .with_label("evaluated at compile time"),
                    );
                    error_expr(span)
                }
            };
        }
        mk(
            hir::ExprKind::Binary(op, Box::new(l), Box::new(r)),
            ty,
            span,
        )
    }

    pub(super) fn not(
        &mut self,
        cx: &mut FnCx,
        x: &ast::Expr,
        hint: Option<&Ty>,
        span: Span,
    ) -> hir::Expr {
        let x = self.expr(cx, x, hint);
        match (&x.ty, &x.kind) {
            (Ty::Error, _) => error_expr(span),
            (Ty::Bool, hir::ExprKind::Lit(v)) => lit(consteval::not_bool(*v), Ty::Bool, span),
            (Ty::Int(i), hir::ExprKind::Lit(v)) => {
                lit(consteval::not_int(*i, *v), Ty::Int(*i), span)
            }
            (Ty::Bool | Ty::Int(_), _) => {
                let ty = x.ty.clone();
                mk(hir::ExprKind::Not(Box::new(x)), ty, span)
            }
            (other, _) => {
                let name = self.ty_name(other);
                self.err(
                    Diagnostic::new(
                        Code::TypeMismatch,
                        x.span,
                        format!("`!` cannot be applied to `{name}`"),
                    )
                    .with_label(format!("expected a bool or an integer, found `{name}`")),
                );
                error_expr(span)
            }
        }
    }

    pub(super) fn cast(
        &mut self,
        cx: &mut FnCx,
        x: &ast::Expr,
        t: &ast::TypeExpr,
        span: Span,
    ) -> hir::Expr {
        let target = self.resolve_ty(cx.scope, t);
        let hint = matches!(target, Ty::Int(_)).then(|| target.clone());
        let mut x = self.expr(cx, x, hint.as_ref());
        match (&x.ty, &target) {
            (Ty::Error, _) | (_, Ty::Error) => error_expr(span),
            (Ty::Int(a), Ty::Int(b)) => {
                let b = *b;
                if *a == b {
                    x.span = span;
                    return x;
                }
                if let hir::ExprKind::Lit(v) = x.kind {
                    if !consteval::fits(v, b) {
                        self.err(
                            Diagnostic::new(
                                Code::ConstOverflow,
                                span,
                                format!("the constant `{v}` does not fit in `{}`", b.name()),
                            )
                            .with_label("this conversion always fails"),
                        );
                        return error_expr(span);
                    }
                    return lit(v, target, span);
                }
                mk(hir::ExprKind::Cast(Box::new(x)), target, span)
            }
            (Ty::Contract(_), Ty::Address) | (Ty::Address, Ty::Contract(_)) => {
                x.ty = target;
                x.span = span;
                x
            }
            (Ty::Contract(a), Ty::Contract(b)) if a == b => {
                x.span = span;
                x
            }
            (from, to) => {
                let (f, t) = (self.ty_name(from), self.ty_name(to));
                self.err(
                    Diagnostic::new(Code::BadCast, span, format!("cannot convert `{f}` to `{t}` with `as`"))
                        .with_label("not a valid conversion")
                        .with_note("`as` converts between integer types, and between `address` and contract types"),
                );
                error_expr(span)
            }
        }
    }
}
