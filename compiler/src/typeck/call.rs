//! Calls and struct literals: internal and library functions, `std::math` intrinsics
//! and the wrapping builtins, external calls on contract values, `Struct { … }`.

use super::expr::{is_untyped, mk};
use super::infer::{pending_root, provisional};
use super::suggest::{self, NameKind};
use super::{Checker, FnCx, Scope, error_expr};
use crate::ast::{self, IntTy};
use crate::diagnostics::{Code, Diagnostic};
use crate::hir::{self, FnId, Intrinsic, Ty};
use crate::resolve::tables::{self, FnRef, TypeRef};
use crate::span::Span;

/// The name an intrinsic is called by.
fn intrinsic_name(i: Intrinsic) -> &'static str {
    match i {
        Intrinsic::Min => "min",
        Intrinsic::Max => "max",
        Intrinsic::Sqrt => "sqrt",
        Intrinsic::Pow => "pow",
        Intrinsic::MulDiv => "mul_div",
        Intrinsic::MulDivUp => "mul_div_up",
        Intrinsic::WrappingAdd => "wrapping_add",
        Intrinsic::WrappingSub => "wrapping_sub",
        Intrinsic::WrappingMul => "wrapping_mul",
    }
}

/// How many arguments an intrinsic takes.
fn intrinsic_arity(i: Intrinsic) -> usize {
    match i {
        Intrinsic::Sqrt => 1,
        Intrinsic::MulDiv | Intrinsic::MulDivUp => 3,
        _ => 2,
    }
}

fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

impl Checker<'_> {
    /// The function `name` callable as `name(…)` in `scope`: the contract's functions
    /// (`init` excluded), then the module's library functions and imported intrinsics,
    /// then the builtins.
    pub(crate) fn fn_ref(&self, scope: Scope, name: &str) -> Option<FnRef> {
        if let Some(c) = scope.contract
            && let Some(&f) = self.t.contracts[c.0 as usize].fn_names.get(name)
        {
            return Some(FnRef::Fn(f));
        }
        if let Some((r, _)) = self.t.modules[scope.module].fns.get(name) {
            return Some(*r);
        }
        tables::builtin(name).map(FnRef::Intrinsic)
    }

    /// Checks arguments against parameter types (E0403 on a count mismatch).
    fn args(
        &mut self,
        cx: &mut FnCx,
        f: FnId,
        args: &[ast::Expr],
        call_span: Span,
    ) -> Vec<hir::Expr> {
        let params: Vec<Ty> = self.sigs[f.0 as usize]
            .params
            .iter()
            .map(|(_, t)| t.clone())
            .collect();
        if params.len() != args.len() {
            let decl = &self.t.fns[f.0 as usize].decl;
            let name = decl.name.clone();
            self.err(
                Diagnostic::new(
                    Code::WrongArity,
                    call_span,
                    format!(
                        "`{}` takes {} but {} given",
                        name.name,
                        plural(params.len(), "argument"),
                        if args.len() == 1 {
                            "1 was".to_owned()
                        } else {
                            format!("{} were", args.len())
                        }
                    ),
                )
                .with_label(format!("expected {}", plural(params.len(), "argument")))
                .with_secondary(name.span, "declared here"),
            );
        }
        // With the wrong number of arguments, which argument is meant for which
        // parameter is a guess: the arguments are checked on their own, so the one
        // mistake is not reported again as a mismatched type.
        let arity_ok = params.len() == args.len();
        args.iter()
            .enumerate()
            .map(|(i, a)| {
                let want = params.get(i).filter(|_| arity_ok);
                let e = self.expr(cx, a, want);
                if let Some(w) = want {
                    self.expect_expr(cx, &e, w);
                }
                e
            })
            .collect()
    }

    /// `name(args)`.
    pub(crate) fn call(
        &mut self,
        cx: &mut FnCx,
        name: &ast::Ident,
        args: &[ast::Expr],
        hint: Option<&Ty>,
        span: Span,
    ) -> hir::Expr {
        match self.fn_ref(cx.scope, &name.name) {
            Some(FnRef::Fn(f)) => {
                cx.callees.insert(f);
                let args = self.args(cx, f, args, span);
                let ret = self.sigs[f.0 as usize].ret.clone();
                mk(hir::ExprKind::Call(f, args), ret, span)
            }
            Some(FnRef::Intrinsic(i)) => self.intrinsic(cx, i, args, hint, span),
            None => {
                for a in args {
                    let _ = self.expr(cx, a, None);
                }
                let mut d = Diagnostic::new(
                    Code::UnknownFunction,
                    name.span,
                    format!("cannot find function `{}` in this scope", name.name),
                )
                .with_label("not declared or imported");
                if tables::math_intrinsic(&name.name).is_some() {
                    d = d.with_help(format!("import it: `use std::math::{{{}}};`", name.name));
                } else if matches!(name.name.as_str(), "assert" | "assert_eq" | "require_eq") {
                    d = d.with_help(if name.name == "assert" {
                        "Braid checks with `require(condition, \"message\")`, which reverts the transaction when the condition is false"
                    } else {
                        "Braid checks with `require(a == b, \"message\")`, which reverts the transaction when the condition is false"
                    });
                } else if name.name == "init" {
                    d = d.with_note("`init` runs once, at deployment, and cannot be called");
                } else if let Some(help) = self.similar_fn_help(cx.scope, &name.name) {
                    d = d.with_help(help);
                }
                self.err_or_failed_import(cx.scope, &name.name, d);
                error_expr(span)
            }
        }
    }

    /// An intrinsic: every argument has one integer type `T`, and so has the result.
    fn intrinsic(
        &mut self,
        cx: &mut FnCx,
        i: Intrinsic,
        args: &[ast::Expr],
        hint: Option<&Ty>,
        span: Span,
    ) -> hir::Expr {
        let arity = intrinsic_arity(i);
        if args.len() != arity {
            for a in args {
                let _ = self.expr(cx, a, None);
            }
            self.err(
                Diagnostic::new(
                    Code::WrongArity,
                    span,
                    format!(
                        "`{}` takes {} but {} given",
                        intrinsic_name(i),
                        plural(arity, "argument"),
                        if args.len() == 1 {
                            "1 was".to_owned()
                        } else {
                            format!("{} were", args.len())
                        }
                    ),
                )
                .with_label(format!("expected {}", plural(arity, "argument"))),
            );
            return error_expr(span);
        }
        // The arguments whose type does not come from context fix `T`: the first one
        // whose type is settled (not a pending `let` local), else the first one.
        let hint_int = match hint {
            Some(Ty::Int(t)) => Some(Ty::Int(*t)),
            _ => None,
        };
        let mut checked: Vec<Option<hir::Expr>> = args
            .iter()
            .map(|a| (!is_untyped(a)).then(|| self.expr(cx, a, hint_int.as_ref())))
            .collect();
        let settled = checked.iter().flatten().find(|e| !provisional(cx, e));
        let first_typed = checked.iter().position(Option::is_some);
        let ty = match settled.or_else(|| checked.iter().flatten().next()) {
            Some(e) => e.ty.clone(),
            None => hint_int.unwrap_or(Ty::Int(IntTy::U128)),
        };
        let mut out = Vec::with_capacity(args.len());
        for (j, a) in args.iter().enumerate() {
            let e = match checked[j].take() {
                Some(e) => {
                    if let Some(id) = pending_root(cx, &e) {
                        cx.learn(id, &ty);
                    }
                    e
                }
                None => self.expr(cx, a, Some(&ty)),
            };
            self.expect_ty(&e.ty, &ty, e.span);
            out.push(e);
        }
        match &ty {
            Ty::Int(_) => mk(hir::ExprKind::Intrinsic(i, out), ty, span),
            Ty::Error => error_expr(span),
            other => {
                let name = self.ty_name(other);
                let at = out.get(first_typed.unwrap_or(0)).map_or(span, |e| e.span);
                self.err(
                    Diagnostic::new(
                        Code::TypeMismatch,
                        at,
                        format!("`{}` needs integer arguments", intrinsic_name(i)),
                    )
                    .with_label(format!("expected an integer, found `{name}`")),
                );
                error_expr(span)
            }
        }
    }

    /// The function `method` of contract `c`, checked to be callable from outside.
    pub(crate) fn external_fn(&mut self, c: hir::ContractId, method: &ast::Ident) -> Option<FnId> {
        let info = &self.t.contracts[c.0 as usize];
        let cname = info.name.name.clone();
        let Some(&f) = info.fn_names.get(&method.name) else {
            let pubs: Vec<String> = info
                .functions
                .iter()
                .filter(|f| self.t.fns[f.0 as usize].decl.kind.is_pub())
                .map(|f| format!("`{}`", self.t.fns[f.0 as usize].decl.name.name))
                .collect();
            let mut d = if method.name == "init" {
                Diagnostic::new(
                    Code::NotPublic,
                    method.span,
                    format!("`{cname}`'s `init` cannot be called"),
                )
                .with_label("runs once, at deployment")
            } else {
                Diagnostic::new(
                    Code::UnknownFunction,
                    method.span,
                    format!("contract `{cname}` has no function `{}`", method.name),
                )
                .with_label("not declared in the contract")
            };
            if !pubs.is_empty() && method.name != "init" {
                d = d.with_note(format!(
                    "`{cname}`'s public functions are {}",
                    pubs.join(", ")
                ));
                let similar = suggest::similar_name_help(
                    &method.name,
                    info.functions
                        .iter()
                        .map(|f| &self.t.fns[f.0 as usize].decl)
                        .filter(|f| f.kind.is_pub())
                        .map(|f| (NameKind::Function, f.name.name.as_str())),
                );
                if let Some(help) = similar {
                    d = d.with_help(help);
                }
            }
            self.err(d);
            return None;
        };
        let decl = &self.t.fns[f.0 as usize].decl;
        let message = format!("`{}` is private to contract `{cname}`", method.name);
        // One mistake, one diagnostic: a `calls` entry and the call it covers name the
        // same private function; it is reported where it is first named.
        let reported = self.held.as_ref().is_some_and(|held| {
            held.iter()
                .any(|d| d.code == Code::NotPublic && d.message == message)
        });
        if !decl.kind.is_pub() && !reported {
            let decl_span = decl.name.span;
            self.err(
                Diagnostic::new(Code::NotPublic, method.span, message)
                    .with_label("not `pub`: only the contract itself can call it")
                    .with_secondary(decl_span, "declared here without `pub`"),
            );
        }
        Some(f)
    }

    /// `target.method(args) [as self[k]]`.
    pub(crate) fn method_call(
        &mut self,
        cx: &mut FnCx,
        target: &ast::Expr,
        method: &ast::Ident,
        args: &[ast::Expr],
        as_sub: Option<&ast::Expr>,
        span: Span,
    ) -> hir::Expr {
        let t = self.expr(cx, target, None);
        let callee = match &t.ty {
            Ty::Contract(c) => self.external_fn(*c, method).map(|f| (*c, f)),
            Ty::Error => None,
            other => {
                let name = self.ty_name(other);
                let mut d = Diagnostic::new(
                    Code::NotCallable,
                    t.span,
                    format!("cannot call `{}` on a value of type `{name}`", method.name),
                )
                .with_label("not a contract");
                if matches!(target.kind, ast::ExprKind::SelfAddr) {
                    d = d.with_help(format!(
                        "call this contract's own functions directly: `{}(…)`",
                        method.name
                    ));
                } else if matches!(other, Ty::Address) {
                    d = d.with_help("give it a contract type first: `(x as Token).f(…)`, or declare the parameter as `x: Token`");
                }
                self.err(d);
                None
            }
        };
        let sub = as_sub.map(|k| Box::new(self.sub_key(cx, k)));
        let Some((contract, func)) = callee else {
            for a in args {
                let _ = self.expr(cx, a, None);
            }
            return error_expr(span);
        };
        let args = self.args(cx, func, args, span);
        let ret = self.sigs[func.0 as usize].ret.clone();
        mk(
            hir::ExprKind::ExtCall {
                target: Box::new(t),
                contract,
                func,
                args,
                as_sub: sub,
            },
            ret,
            span,
        )
    }

    /// `Name { field: value, … }`.
    pub(crate) fn struct_lit(
        &mut self,
        cx: &mut FnCx,
        name: &ast::Ident,
        fields: &[(ast::Ident, ast::Expr)],
        span: Span,
    ) -> hir::Expr {
        let sid = match self.lookup_type(cx.scope, &name.name) {
            Some(TypeRef::Struct(s)) => Some(s),
            Some(TypeRef::Contract(_)) => {
                self.err(
                    Diagnostic::new(
                        Code::UnknownType,
                        name.span,
                        format!("`{}` is a contract, not a struct", name.name),
                    )
                    .with_label("not a struct")
                    .with_help(format!(
                        "a contract value is an address: `x as {}`",
                        name.name
                    )),
                );
                None
            }
            None => {
                let mut d = Diagnostic::new(
                    Code::UnknownType,
                    name.span,
                    format!("unknown struct `{}`", name.name),
                )
                .with_label("not a struct in scope");
                if let Some(help) = self.similar_type_help(cx.scope, &name.name) {
                    d = d.with_help(help);
                }
                self.err_or_failed_import(cx.scope, &name.name, d);
                None
            }
        };
        let Some(sid) = sid else {
            for (_, e) in fields {
                let _ = self.expr(cx, e, None);
            }
            return error_expr(span);
        };
        let def = self.program.structs[sid.0 as usize].clone();
        let mut given: Vec<Option<Span>> = vec![None; def.fields.len()];
        let mut out = Vec::new();
        for (fname, fexpr) in fields {
            let Some(pos) = def.fields.iter().position(|(n, _)| *n == fname.name) else {
                let _ = self.expr(cx, fexpr, None);
                let names: Vec<String> = def.fields.iter().map(|(n, _)| format!("`{n}`")).collect();
                let mut d = Diagnostic::new(
                    Code::BadStructLiteral,
                    fname.span,
                    format!("struct `{}` has no field `{}`", def.name, fname.name),
                )
                .with_label("unknown field")
                .with_note(format!("its fields are {}", names.join(", ")));
                let similar = suggest::similar_name_help(
                    &fname.name,
                    def.fields
                        .iter()
                        .zip(&given)
                        .filter(|(_, g)| g.is_none())
                        .map(|((n, _), _)| (NameKind::Field, n.as_str())),
                );
                if let Some(help) = similar {
                    d = d.with_help(help);
                }
                self.err(d);
                continue;
            };
            let want = def.fields[pos].1.clone();
            let v = self.expr(cx, fexpr, Some(&want));
            self.expect_expr(cx, &v, &want);
            if let Some(first) = given[pos] {
                self.err(
                    Diagnostic::new(
                        Code::BadStructLiteral,
                        fname.span,
                        format!("the field `{}` is given twice", fname.name),
                    )
                    .with_label("given again here")
                    .with_secondary(first, "first given here"),
                );
                continue;
            }
            given[pos] = Some(fname.span);
            out.push((pos as u32, v));
        }
        let missing: Vec<String> = def
            .fields
            .iter()
            .zip(&given)
            .filter(|(_, g)| g.is_none())
            .map(|((n, _), _)| format!("`{n}`"))
            .collect();
        if !missing.is_empty() {
            self.err(
                Diagnostic::new(
                    Code::BadStructLiteral,
                    name.span,
                    format!(
                        "missing field{} {} in a `{}` literal",
                        if missing.len() == 1 { "" } else { "s" },
                        missing.join(", "),
                        def.name
                    ),
                )
                .with_label(format!("missing {}", missing.join(", ")))
                .with_help("a struct literal gives every field a value"),
            );
        }
        mk(hir::ExprKind::Struct(sid, out), Ty::Struct(sid), span)
    }
}
