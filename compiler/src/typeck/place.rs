//! Assignment: places (`let mut` locals, storage fields, map entries, and their fields
//! and elements; E0404/E0405) and compound assignment, which keeps its operator.

use super::expr::is_untyped;
use super::infer::{pending_root, provisional};
use super::{Checker, FnCx};
use crate::ast::{self, BinOp};
use crate::diagnostics::{Code, Diagnostic};
use crate::hir::{self, Ty};

impl Checker<'_> {
    pub(super) fn assign(
        &mut self,
        cx: &mut FnCx,
        target: &ast::Expr,
        op: Option<BinOp>,
        value: &ast::Expr,
    ) -> hir::StmtKind {
        let Some(place) = self.place(cx, target) else {
            let v = self.expr(cx, value, None);
            return hir::StmtKind::Expr(hir::Expr {
                span: v.span,
                kind: hir::ExprKind::Tuple(vec![v]),
                ty: Ty::Error,
            });
        };
        let value = match op {
            None => {
                let v = self.expr(cx, value, Some(&place.ty));
                self.unify_place(cx, &place, value, &v);
                self.expect_ty(&v.ty, &place.ty, v.span);
                v
            }
            Some(op) => {
                let shift = matches!(op, BinOp::Shl | BinOp::Shr);
                let bitwise = matches!(op, BinOp::BitAnd | BinOp::BitOr | BinOp::BitXor);
                let arith = matches!(
                    op,
                    BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Rem
                );
                let v = self.expr(cx, value, Some(&place.ty));
                let ok_place = match &place.ty {
                    Ty::Int(_) | Ty::Error => arith || bitwise || shift,
                    Ty::Bool => bitwise,
                    _ => false,
                };
                if !ok_place {
                    let name = self.ty_name(&place.ty);
                    self.err(
                        Diagnostic::new(
                            Code::TypeMismatch,
                            place.span,
                            format!("`{}=` cannot be applied to `{name}`", op.symbol()),
                        )
                        .with_label(format!("expected an integer, found `{name}`")),
                    );
                } else if shift {
                    if !matches!(v.ty, Ty::Int(_) | Ty::Error) {
                        let name = self.ty_name(&v.ty);
                        self.err(
                            Diagnostic::new(
                                Code::TypeMismatch,
                                v.span,
                                "a shift amount must be an integer",
                            )
                            .with_label(format!("expected an integer, found `{name}`")),
                        );
                    }
                } else {
                    self.unify_place(cx, &place, value, &v);
                    self.expect_ty(&v.ty, &place.ty, v.span);
                }
                v
            }
        };
        hir::StmtKind::Assign { place, op, value }
    }

    /// Learns a pending local's type from an assignment: `total = amount` fixes a
    /// pending `total`, `x = total` fixes `total` from a typed `x`.
    fn unify_place(
        &mut self,
        cx: &mut FnCx,
        place: &hir::Place,
        value_ast: &ast::Expr,
        v: &hir::Expr,
    ) {
        match place.base {
            hir::PlaceBase::Local(pid) if cx.pending.contains(&pid) => {
                if place.path.is_empty() && !is_untyped(value_ast) && !provisional(cx, v) {
                    cx.learn(pid, &v.ty);
                }
            }
            _ => {
                if let Some(id) = pending_root(cx, v) {
                    cx.learn(id, &place.ty);
                }
            }
        }
    }

    /// The place `e` denotes, or `None` (reported) when it is not assignable.
    fn place(&mut self, cx: &mut FnCx, e: &ast::Expr) -> Option<hir::Place> {
        let span = e.span;
        match &e.kind {
            ast::ExprKind::Paren(x) => self.place(cx, x),
            ast::ExprKind::Name(id) => {
                if let Some(l) = cx.lookup(&id.name) {
                    cx.note_use(l, id.span, true);
                    let local = cx.locals[l.0 as usize].clone();
                    // A local named like a storage field is E0420, whose help says what
                    // this assignment means; E0405 would only repeat that mistake.
                    let clashes = cx.scope.contract.is_some_and(|c| {
                        self.t.contracts[c.0 as usize]
                            .storage_names
                            .contains_key(&id.name)
                    });
                    if !local.mutable && !clashes {
                        let d = if l.0 < cx.n_params {
                            Diagnostic::new(
                                Code::ImmutableLocal,
                                span,
                                format!("cannot assign to the parameter `{}`", id.name),
                            )
                            .with_label("parameters are immutable")
                            .with_help(format!(
                                "copy it into a mutable local first: `let mut {0} = {0};` (the assignment then changes that copy)",
                                id.name
                            ))
                        } else if cx.loop_vars.contains(&l) {
                            Diagnostic::new(
                                Code::ImmutableLocal,
                                span,
                                format!("cannot assign to the loop variable `{}`", id.name),
                            )
                            .with_label("assignment to a `for` loop variable")
                            .with_secondary(local.span, "bound by this `for` loop")
                            .with_help(format!(
                                "a `for` loop variable cannot be assigned (the loop would not see it): copy it into a `let mut` local and assign that: `let mut next = {0};`, then `next = …`",
                                id.name
                            ))
                        } else {
                            Diagnostic::new(
                                Code::ImmutableLocal,
                                span,
                                format!("cannot assign to `{}`: it is not declared `mut`", id.name),
                            )
                            .with_label("assignment to an immutable local")
                            .with_secondary(local.span, "declared here")
                            .with_help(format!("declare it `let mut {}`", id.name))
                        };
                        self.err(d);
                    }
                    return Some(hir::Place {
                        base: hir::PlaceBase::Local(l),
                        path: Vec::new(),
                        ty: local.ty,
                        span,
                    });
                }
                if let Some(c) = cx.scope.contract
                    && let Some(&field) = self.t.contracts[c.0 as usize].storage_names.get(&id.name)
                {
                    let sf = &self.program.contracts[c.0 as usize].storage[field.0 as usize];
                    if sf.key.is_some() {
                        self.err(
                            Diagnostic::new(
                                Code::NotAssignable,
                                span,
                                format!("cannot assign the whole map `{}`", id.name),
                            )
                            .with_label("a map is assigned one entry at a time")
                            .with_help(format!("assign one entry: `{}[key] = …`", id.name)),
                        );
                        return None;
                    }
                    return Some(hir::Place {
                        base: hir::PlaceBase::Storage { field, key: None },
                        path: Vec::new(),
                        ty: sf.value.clone(),
                        span,
                    });
                }
                if self.lookup_const(cx.scope, &id.name).is_some() {
                    self.err(
                        Diagnostic::new(
                            Code::NotAssignable,
                            span,
                            format!("cannot assign to the constant `{}`", id.name),
                        )
                        .with_label("constants never change"),
                    );
                    return None;
                }
                let mut d = Diagnostic::new(
                    Code::UnknownName,
                    span,
                    format!("cannot find `{}` in this scope", id.name),
                )
                .with_label("not a local, parameter or storage field");
                if let Some(help) = self.similar_value_help(cx, &id.name, false) {
                    d = d.with_help(help);
                }
                self.err(d);
                None
            }
            ast::ExprKind::Index(base, key) => {
                if let Some((field, key_ty, value)) = self.storage_map(cx, base) {
                    let k = self.map_key(cx, key, &key_ty);
                    return Some(hir::Place {
                        base: hir::PlaceBase::Storage {
                            field,
                            key: Some(Box::new(k)),
                        },
                        path: Vec::new(),
                        ty: value,
                        span,
                    });
                }
                self.not_assignable(cx, e);
                None
            }
            ast::ExprKind::Field(x, name) => {
                let mut p = self.place(cx, x)?;
                let (pos, ty) = if p.ty == Ty::Error {
                    (0, Ty::Error)
                } else {
                    self.struct_field(&p.ty, name)?
                };
                p.path.push(pos);
                p.ty = ty;
                p.span = span;
                Some(p)
            }
            ast::ExprKind::TupleIndex(x, i, ispan) => {
                let mut p = self.place(cx, x)?;
                let ty = if p.ty == Ty::Error {
                    Ty::Error
                } else {
                    self.tuple_elem(&p.ty, *i, *ispan)?
                };
                p.path.push(*i);
                p.ty = ty;
                p.span = span;
                Some(p)
            }
            _ => {
                self.not_assignable(cx, e);
                None
            }
        }
    }

    fn not_assignable(&mut self, cx: &mut FnCx, e: &ast::Expr) {
        let checked = self.expr(cx, e, None);
        if checked.ty != Ty::Error {
            self.err(
                Diagnostic::new(Code::NotAssignable, e.span, "cannot assign to this expression")
                    .with_label("not a place")
                    .with_note("assignable places are `let mut` locals, storage fields, map entries `m[key]`, and their fields and elements"),
            );
        }
    }
}
