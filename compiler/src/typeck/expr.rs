//! Expressions: literals, names, operators, conversions, projections, tuples, `if`
//! and blocks. Calls and struct literals are in [`super::call`].
//!
//! Checking is bidirectional in one respect: an integer literal without a suffix takes
//! its type from context (the `hint`: the other operand, the declared type, the
//! parameter), `u128` when there is none.

use super::suggest::{self, NameKind};
use super::{Checker, FnCx, error_expr};
use crate::ast::{self, BinOp, IntTy};
use crate::consteval;
use crate::diagnostics::{Code, Diagnostic};
use crate::hir::{self, Ty};
use crate::span::Span;
use ruint::aliases::U256;

/// Whether the type of `e` comes only from context: an unsuffixed integer literal,
/// or operators over such literals.
pub(crate) fn is_untyped(e: &ast::Expr) -> bool {
    match &e.kind {
        ast::ExprKind::Int { suffix: None, .. } => true,
        ast::ExprKind::Paren(x) | ast::ExprKind::Unary(ast::UnOp::Not, x) => is_untyped(x),
        ast::ExprKind::Binary(op, l, r) => match op {
            BinOp::Add
            | BinOp::Sub
            | BinOp::Mul
            | BinOp::Div
            | BinOp::Rem
            | BinOp::BitAnd
            | BinOp::BitOr
            | BinOp::BitXor => is_untyped(l) && is_untyped(r),
            BinOp::Shl | BinOp::Shr | BinOp::Pow => is_untyped(l),
            _ => false,
        },
        ast::ExprKind::Block(b) => b.tail.as_deref().is_some_and(is_untyped),
        ast::ExprKind::If(_, then, Some(els)) => {
            // Each branch is a literal or diverges (has no value), and one has a value.
            let (else_ok, else_value) = match &els.kind {
                ast::ExprKind::Block(b) => {
                    (b.tail.as_deref().is_none_or(is_untyped), b.tail.is_some())
                }
                _ => (is_untyped(els), true),
            };
            then.tail.as_deref().is_none_or(is_untyped)
                && else_ok
                && (then.tail.is_some() || else_value)
        }
        _ => false,
    }
}

/// An expression of kind `kind` and type `ty`.
pub(crate) fn mk(kind: hir::ExprKind, ty: Ty, span: Span) -> hir::Expr {
    hir::Expr { kind, ty, span }
}

/// The literal `v` of type `ty`.
pub(crate) fn lit(v: U256, ty: Ty, span: Span) -> hir::Expr {
    mk(hir::ExprKind::Lit(v), ty, span)
}

impl Checker<'_> {
    /// Checks `e`, using `hint` as the type of unsuffixed integer literals.
    pub(crate) fn expr(&mut self, cx: &mut FnCx, e: &ast::Expr, hint: Option<&Ty>) -> hir::Expr {
        let span = e.span;
        match &e.kind {
            ast::ExprKind::Int { value, suffix } => self.int_lit(*value, *suffix, hint, span),
            ast::ExprKind::Bool(b) => lit(U256::from(u8::from(*b)), Ty::Bool, span),
            ast::ExprKind::Address(bytes) => lit(U256::from_be_slice(bytes), Ty::Address, span),
            ast::ExprKind::Name(id) => self.name_expr(cx, id),
            ast::ExprKind::Caller => mk(hir::ExprKind::Caller, Ty::Address, span),
            ast::ExprKind::SelfAddr => mk(hir::ExprKind::SelfAddr, Ty::Address, span),
            ast::ExprKind::BlockNumber => mk(hir::ExprKind::BlockNumber, Ty::Int(IntTy::U64), span),
            ast::ExprKind::BlockTimestamp => {
                mk(hir::ExprKind::BlockTimestamp, Ty::Int(IntTy::U64), span)
            }
            ast::ExprKind::Binary(op, l, r) => self.binary(cx, *op, l, r, hint, span),
            ast::ExprKind::Unary(ast::UnOp::Not, x) => self.not(cx, x, hint, span),
            ast::ExprKind::Cast(x, t) => self.cast(cx, x, t, span),
            ast::ExprKind::Field(x, name) => self.field(cx, x, name, span),
            ast::ExprKind::TupleIndex(x, i, ispan) => self.tuple_index(cx, x, *i, *ispan, span),
            ast::ExprKind::Index(base, key) => self.index(cx, base, key, span),
            ast::ExprKind::Call(name, args) => self.call(cx, name, args, hint, span),
            ast::ExprKind::MethodCall {
                target,
                method,
                args,
                as_sub,
            } => self.method_call(cx, target, method, args, as_sub.as_deref(), span),
            ast::ExprKind::StructLit(name, fields) => self.struct_lit(cx, name, fields, span),
            ast::ExprKind::Tuple(es) => self.tuple(cx, es, hint, span),
            ast::ExprKind::Paren(x) => {
                let mut inner = self.expr(cx, x, hint);
                inner.span = span;
                inner
            }
            ast::ExprKind::If(c, then, els) => {
                self.if_expr(cx, c, then, els.as_deref(), hint, span)
            }
            ast::ExprKind::Block(b) => {
                let block = self.block(cx, b, hint);
                let ty = self.block_ty(&block, hint);
                mk(hir::ExprKind::Block(block), ty, span)
            }
        }
    }

    fn int_lit(
        &mut self,
        value: U256,
        suffix: Option<IntTy>,
        hint: Option<&Ty>,
        span: Span,
    ) -> hir::Expr {
        let ty = match (suffix, hint) {
            (Some(s), _) => s,
            (None, Some(Ty::Int(i))) => *i,
            (None, None | Some(Ty::Error)) => IntTy::U128,
            (None, Some(other)) => {
                let name = self.ty_name(other);
                let mut d = Diagnostic::new(Code::TypeMismatch, span, "mismatched types")
                    .with_label(format!("expected `{name}`, found an integer"));
                if matches!(other, Ty::Address | Ty::Contract(_)) {
                    d = d.with_help("an address literal is `0x` followed by exactly 40 hex digits");
                }
                self.err(d);
                return error_expr(span);
            }
        };
        if !consteval::fits(value, ty) {
            self.err(
                Diagnostic::new(
                    Code::LiteralOutOfRange,
                    span,
                    format!("integer literal out of range for `{}`", ty.name()),
                )
                .with_label(format!(
                    "`{value}` does not fit: the largest `{}` is {}",
                    ty.name(),
                    consteval::max_of(ty)
                )),
            );
            return error_expr(span);
        }
        lit(value, Ty::Int(ty), span)
    }

    fn name_expr(&mut self, cx: &mut FnCx, id: &ast::Ident) -> hir::Expr {
        if let Some(l) = cx.lookup(&id.name) {
            cx.note_use(l, id.span, false);
            let ty = cx.locals[l.0 as usize].ty.clone();
            return mk(hir::ExprKind::Local(l), ty, id.span);
        }
        if let Some(c) = cx.scope.contract
            && let Some(&field) = self.t.contracts[c.0 as usize].storage_names.get(&id.name)
        {
            let sf = &self.program.contracts[c.0 as usize].storage[field.0 as usize];
            if sf.key.is_some() {
                self.err(
                    Diagnostic::new(
                        Code::WholeMapValue,
                        id.span,
                        format!("the map `{}` cannot be used as a value", id.name),
                    )
                    .with_label("a whole map")
                    .with_help(format!("read one entry: `{}[key]`", id.name)),
                );
                return error_expr(id.span);
            }
            let ty = sf.value.clone();
            return mk(hir::ExprKind::Storage { field, key: None }, ty, id.span);
        }
        if let Some(k) = self.lookup_const(cx.scope, &id.name) {
            return match self.const_value(k) {
                (ty, Some(v)) => lit(v, ty, id.span),
                _ => error_expr(id.span),
            };
        }
        let mut d = Diagnostic::new(
            Code::UnknownName,
            id.span,
            format!("cannot find `{}` in this scope", id.name),
        )
        .with_label("not a local, parameter, storage field or constant");
        if self.fn_ref(cx.scope, &id.name).is_some() {
            d = d.with_help(format!(
                "`{0}` is a function: call it with `{0}(…)`",
                id.name
            ));
        } else if let Some(help) = self.similar_value_help(cx, &id.name, true) {
            d = d.with_help(help);
        } else if let Some(help) = familiar_name_help(&id.name) {
            d = d.with_help(help);
        }
        self.err_or_failed_import(cx.scope, &id.name, d);
        error_expr(id.span)
    }

    /// The position and type of field `name` of struct type `ty`, reporting E0305.
    pub(crate) fn struct_field(&mut self, ty: &Ty, name: &ast::Ident) -> Option<(u32, Ty)> {
        match ty {
            Ty::Error => None,
            Ty::Struct(s) => {
                let def = &self.program.structs[s.0 as usize];
                if let Some(pos) = def.fields.iter().position(|(n, _)| *n == name.name) {
                    return Some((pos as u32, def.fields[pos].1.clone()));
                }
                let fields: Vec<String> =
                    def.fields.iter().map(|(n, _)| format!("`{n}`")).collect();
                let sname = def.name.clone();
                let similar = suggest::similar_name_help(
                    &name.name,
                    def.fields
                        .iter()
                        .map(|(n, _)| (NameKind::Field, n.as_str())),
                );
                let mut d = Diagnostic::new(
                    Code::UnknownField,
                    name.span,
                    format!("struct `{sname}` has no field `{}`", name.name),
                )
                .with_label("unknown field")
                .with_note(format!("its fields are {}", fields.join(", ")));
                if let Some(help) = similar {
                    d = d.with_help(help);
                }
                self.err(d);
                None
            }
            other => {
                let tname = self.ty_name(other);
                let mut d = Diagnostic::new(
                    Code::UnknownField,
                    name.span,
                    format!("no field `{}` on a value of type `{tname}`", name.name),
                )
                .with_label("unknown field");
                if matches!(other, Ty::Tuple(_)) {
                    d = d.with_help("tuple elements are numbered: `.0`, `.1`, …");
                }
                self.err(d);
                None
            }
        }
    }

    /// The type of element `i` of tuple type `ty`, reporting E0305.
    pub(crate) fn tuple_elem(&mut self, ty: &Ty, i: u32, span: Span) -> Option<Ty> {
        match ty {
            Ty::Error => None,
            Ty::Tuple(ts) if (i as usize) < ts.len() => Some(ts[i as usize].clone()),
            other => {
                let tname = self.ty_name(other);
                let label = match other {
                    Ty::Tuple(ts) => format!("the tuple has {} elements", ts.len()),
                    _ => "not a tuple".to_owned(),
                };
                self.err(
                    Diagnostic::new(
                        Code::UnknownField,
                        span,
                        format!("no element `.{i}` on a value of type `{tname}`"),
                    )
                    .with_label(label),
                );
                None
            }
        }
    }

    fn field(&mut self, cx: &mut FnCx, x: &ast::Expr, name: &ast::Ident, span: Span) -> hir::Expr {
        if matches!(x.kind, ast::ExprKind::SelfAddr) {
            let storage = cx.scope.contract.is_some_and(|c| {
                self.t.contracts[c.0 as usize]
                    .storage_names
                    .contains_key(&name.name)
            });
            let mut d = Diagnostic::new(
                Code::UnknownField,
                name.span,
                format!("`self` has no field `{}`", name.name),
            )
            .with_label("`self` is this contract's address");
            if storage {
                d = d.with_help(format!(
                    "storage fields are used by name, without `self.`: `{}`",
                    name.name
                ));
            }
            self.err(d);
            return error_expr(span);
        }
        let x = self.expr(cx, x, None);
        match self.struct_field(&x.ty, name) {
            Some((pos, ty)) => mk(hir::ExprKind::Field(Box::new(x), pos), ty, span),
            None => error_expr(span),
        }
    }

    fn tuple_index(
        &mut self,
        cx: &mut FnCx,
        x: &ast::Expr,
        i: u32,
        ispan: Span,
        span: Span,
    ) -> hir::Expr {
        let x = self.expr(cx, x, None);
        match self.tuple_elem(&x.ty, i, ispan) {
            Some(ty) => mk(hir::ExprKind::Field(Box::new(x), i), ty, span),
            None => error_expr(span),
        }
    }

    /// The storage map field that `base` names, when it is a bare name not shadowed
    /// by a local: `(field, key type, value type)`.
    pub(crate) fn storage_map(
        &self,
        cx: &FnCx,
        base: &ast::Expr,
    ) -> Option<(hir::FieldId, Ty, Ty)> {
        let ast::ExprKind::Name(id) = &base.kind else {
            return None;
        };
        if cx.lookup(&id.name).is_some() {
            return None;
        }
        let c = cx.scope.contract?;
        let &field = self.t.contracts[c.0 as usize].storage_names.get(&id.name)?;
        let sf = &self.program.contracts[c.0 as usize].storage[field.0 as usize];
        Some((field, sf.key.clone()?, sf.value.clone()))
    }

    /// Checks a map key against the key type.
    pub(crate) fn map_key(&mut self, cx: &mut FnCx, key: &ast::Expr, key_ty: &Ty) -> hir::Expr {
        let k = self.expr(cx, key, Some(key_ty));
        self.expect_expr(cx, &k, key_ty);
        k
    }

    /// Checks a sub-account key (`self[k]`, `as self[k]`).
    pub(crate) fn sub_key(&mut self, cx: &mut FnCx, key: &ast::Expr) -> hir::Expr {
        let k = self.expr(cx, key, None);
        if !Self::is_key_ty(&k.ty) {
            let name = self.ty_name(&k.ty);
            self.err(
                Diagnostic::new(
                    Code::TypeMismatch,
                    k.span,
                    format!("a sub-account key cannot be a `{name}`"),
                )
                .with_label(
                    "expected an integer, an address, a contract value or a tuple of those",
                ),
            );
        }
        k
    }

    fn index(&mut self, cx: &mut FnCx, base: &ast::Expr, key: &ast::Expr, span: Span) -> hir::Expr {
        if let Some((field, key_ty, value)) = self.storage_map(cx, base) {
            let k = self.map_key(cx, key, &key_ty);
            return mk(
                hir::ExprKind::Storage {
                    field,
                    key: Some(Box::new(k)),
                },
                value,
                span,
            );
        }
        if matches!(base.kind, ast::ExprKind::SelfAddr) {
            let k = self.sub_key(cx, key);
            return mk(hir::ExprKind::SubAccount(Box::new(k)), Ty::Address, span);
        }
        let b = self.expr(cx, base, None);
        let _ = self.expr(cx, key, None);
        if b.ty != Ty::Error {
            let name = self.ty_name(&b.ty);
            self.err(
                Diagnostic::new(Code::TypeMismatch, b.span, format!("cannot index into a value of type `{name}`"))
                    .with_label("not a storage map")
                    .with_note("only storage maps (`m[key]`) and `self` (`self[key]`, a sub-account) can be indexed"),
            );
        }
        error_expr(span)
    }

    fn tuple(
        &mut self,
        cx: &mut FnCx,
        es: &[ast::Expr],
        hint: Option<&Ty>,
        span: Span,
    ) -> hir::Expr {
        if es.len() == 1 {
            return self.expr(cx, &es[0], hint);
        }
        let hints: Option<&Vec<Ty>> = match hint {
            Some(Ty::Tuple(ts)) if ts.len() == es.len() => Some(ts),
            _ => None,
        };
        let elems: Vec<hir::Expr> = es
            .iter()
            .enumerate()
            .map(|(i, e)| self.expr(cx, e, hints.map(|h| &h[i])))
            .collect();
        let ty = if elems.is_empty() {
            Ty::Unit
        } else {
            Ty::Tuple(elems.iter().map(|e| e.ty.clone()).collect())
        };
        mk(hir::ExprKind::Tuple(elems), ty, span)
    }

    fn if_expr(
        &mut self,
        cx: &mut FnCx,
        c: &ast::Expr,
        then: &ast::Block,
        els: Option<&ast::Expr>,
        hint: Option<&Ty>,
        span: Span,
    ) -> hir::Expr {
        let cond = self.expr(cx, c, Some(&Ty::Bool));
        self.expect_ty(&cond.ty, &Ty::Bool, cond.span);
        // `if c { 0 } else { x }`: the literal branch takes the other branch's type.
        let then_untyped = then.tail.as_deref().is_some_and(is_untyped);
        let else_typed = els.is_some_and(|e| match &e.kind {
            ast::ExprKind::Block(b) => b.tail.as_deref().is_some_and(|t| !is_untyped(t)),
            _ => false,
        });
        if hint.is_none()
            && then_untyped
            && else_typed
            && let Some(els) = els
        {
            let else_e = self.expr(cx, els, None);
            let else_ty = else_e.ty.clone();
            let then_b = self.block(cx, then, Some(&else_ty));
            let then_ty = self.block_ty(&then_b, Some(&else_ty));
            let ty = if self.expect_if_branches(&then_b, &then_ty, &else_e) {
                then_ty
            } else {
                Ty::Error
            };
            return mk(
                hir::ExprKind::If(Box::new(cond), then_b, Some(Box::new(else_e))),
                ty,
                span,
            );
        }
        let then_b = self.block(cx, then, hint);
        let then_div = super::stmt::block_diverges(&then_b);
        let then_ty = self.block_ty(&then_b, hint);
        let Some(els) = els else {
            if let Some(t) = &then_b.tail
                && !then_div
                && !matches!(t.ty, Ty::Unit | Ty::Error)
            {
                let name = self.ty_name(&t.ty);
                self.err(
                    Diagnostic::new(
                        Code::TypeMismatch,
                        t.span,
                        "an `if` without `else` has no value",
                    )
                    .with_label(format!("expected `()`, found `{name}`"))
                    .with_help("add an `else` branch, or end this expression with `;`"),
                );
            }
            return mk(
                hir::ExprKind::If(Box::new(cond), then_b, None),
                Ty::Unit,
                span,
            );
        };
        let else_hint = if then_div {
            hint.cloned()
        } else {
            Some(then_ty.clone())
        };
        let else_e = self.expr(cx, els, else_hint.as_ref());
        let else_div = super::stmt::expr_diverges(&else_e);
        let ty = match (then_div, else_div) {
            (true, true) => hint.cloned().unwrap_or(Ty::Unit),
            (true, false) => else_e.ty.clone(),
            (false, true) => then_ty,
            (false, false) => {
                if self.expect_if_branches(&then_b, &then_ty, &else_e) {
                    then_ty
                } else {
                    Ty::Error
                }
            }
        };
        mk(
            hir::ExprKind::If(Box::new(cond), then_b, Some(Box::new(else_e))),
            ty,
            span,
        )
    }

    fn expect_if_branches(
        &mut self,
        then_b: &hir::Block,
        then_ty: &Ty,
        else_e: &hir::Expr,
    ) -> bool {
        if super::compatible(&else_e.ty, then_ty) {
            return true;
        }
        let (t, e) = (self.ty_name(then_ty), self.ty_name(&else_e.ty));
        let else_span = match &else_e.kind {
            hir::ExprKind::Block(b) => b.tail.as_ref().map_or(b.span, |t| t.span),
            _ => else_e.span,
        };
        let then_span = then_b.tail.as_ref().map_or(then_b.span, |x| x.span);
        self.err(
            Diagnostic::new(
                Code::TypeMismatch,
                else_span,
                "`if` and `else` have different types",
            )
            .with_label(format!("expected `{t}`, found `{e}`"))
            .with_secondary(then_span, format!("this is `{t}`")),
        );
        false
    }

    /// The type of a block's value: its tail's, or the hint (else `()`) when it
    /// diverges without one.
    pub(crate) fn block_ty(&self, b: &hir::Block, hint: Option<&Ty>) -> Ty {
        match &b.tail {
            Some(t) => t.ty.clone(),
            None if super::stmt::block_diverges(b) => hint.cloned().unwrap_or(Ty::Unit),
            None => Ty::Unit,
        }
    }
}

/// Help for a name a Solidity or Rust author might reach for.
fn familiar_name_help(name: &str) -> Option<&'static str> {
    Some(match name {
        "msg" | "sender" | "tx" | "origin" => "the immediate caller is `caller`",
        "this" | "address_this" => "`self` is this contract's address",
        "now" | "timestamp" => "the block's time is `block.timestamp`",
        "number" => "the block's number is `block.number`",
        _ => return None,
    })
}
