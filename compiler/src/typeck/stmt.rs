//! Statements, blocks, assignment places and function bodies (with the E0410 check
//! that a body produces its return type).

use super::expr::is_untyped;
use super::{Checker, FnCx};
use crate::ast;
use crate::diagnostics::{Code, Diagnostic};
use crate::hir::{self, Ty};
use crate::span::Span;

/// Whether control never reaches the end of `b`: its tail diverges, or its last
/// statement is `return`, `revert`, or a diverging `if`/block.
pub fn block_diverges(b: &hir::Block) -> bool {
    if let Some(t) = &b.tail {
        return expr_diverges(t);
    }
    match b.stmts.last().map(|s| &s.kind) {
        Some(hir::StmtKind::Return(_) | hir::StmtKind::Revert(_)) => true,
        Some(hir::StmtKind::Expr(e)) => expr_diverges(e),
        _ => false,
    }
}

/// Whether `e` never produces a value: a diverging block, or an `if` whose branches
/// both diverge.
pub fn expr_diverges(e: &hir::Expr) -> bool {
    match &e.kind {
        hir::ExprKind::Block(b) => block_diverges(b),
        hir::ExprKind::If(_, then, Some(els)) => block_diverges(then) && expr_diverges(els),
        _ => false,
    }
}

impl Checker<'_> {
    /// Checks a block in a new scope; `hint` is for its tail.
    pub(crate) fn block(&mut self, cx: &mut FnCx, b: &ast::Block, hint: Option<&Ty>) -> hir::Block {
        cx.scopes.push(Vec::new());
        let stmts = b.stmts.iter().map(|s| self.stmt(cx, s)).collect();
        let tail = b.tail.as_ref().map(|t| Box::new(self.expr(cx, t, hint)));
        cx.scopes.pop();
        hir::Block {
            stmts,
            tail,
            span: b.span,
        }
    }

    /// Checks a function body against its return type.
    pub(crate) fn fn_body(&mut self, cx: &mut FnCx, decl: &ast::FnDecl) -> hir::Block {
        let ret = cx.ret.clone();
        let body = self.block(cx, &decl.body, Some(&ret));
        match &body.tail {
            Some(t) if !expr_diverges(t) => {
                if ret == Ty::Unit {
                    if !matches!(t.ty, Ty::Unit | Ty::Error) {
                        let name = self.ty_name(&t.ty);
                        self.err(
                            Diagnostic::new(Code::TypeMismatch, t.span, "mismatched types")
                                .with_label(format!("expected `()`, found `{name}`"))
                                .with_help(format!(
                                    "end the expression with `;` to discard its value, or declare the return type `-> {name}`"
                                )),
                        );
                    }
                } else if t.ty == Ty::Unit && ret != Ty::Error {
                    let name = self.ty_name(&ret);
                    let label = if matches!(t.kind, hir::ExprKind::If(_, _, None)) {
                        "this `if` has no `else`: without it the body ends with no value"
                    } else {
                        "this gives no value"
                    };
                    self.err(
                        Diagnostic::new(Code::MissingReturn, t.span, format!("`{}` must return a `{name}`", decl.name.name))
                            .with_label(label)
                            .with_help(format!(
                                "end every path with an expression of type `{name}` (without `;`), or with `return`"
                            )),
                    );
                } else {
                    self.expect_expr(cx, t, &ret);
                }
            }
            Some(_) => {}
            None => {
                if ret != Ty::Unit && ret != Ty::Error && !block_diverges(&body) {
                    let name = self.ty_name(&ret);
                    let end = Span {
                        lo: decl.body.span.hi.saturating_sub(1),
                        ..decl.body.span
                    };
                    let mut d = Diagnostic::new(
                        Code::MissingReturn,
                        end,
                        format!("`{}` must return a `{name}`", decl.name.name),
                    )
                    .with_label("the body ends here without a value")
                    .with_help(format!(
                        "end the body with an expression of type `{name}` (without `;`), or with `return`"
                    ));
                    if let Some(t) = &decl.ret {
                        d = d.with_secondary(t.span(), "declared return type");
                    }
                    self.err(d);
                }
            }
        }
        body
    }

    fn stmt(&mut self, cx: &mut FnCx, s: &ast::Stmt) -> hir::Stmt {
        let kind = match &s.kind {
            ast::StmtKind::Let {
                mutable,
                pattern,
                ty,
                init,
            } => self.let_stmt(cx, *mutable, pattern, ty.as_ref(), init),
            ast::StmtKind::Assign { target, op, value } => self.assign(cx, target, *op, value),
            ast::StmtKind::While { cond, body } => {
                let cond = self.expr(cx, cond, Some(&Ty::Bool));
                self.expect_ty(&cond.ty, &Ty::Bool, cond.span);
                cx.loop_depth += 1;
                let body = self.block(cx, body, None);
                cx.loop_depth -= 1;
                hir::StmtKind::While { cond, body }
            }
            ast::StmtKind::For {
                var,
                start,
                end,
                body,
            } => {
                // `for i in 0..10`: `i` takes its type from its uses (see `infer`).
                let inferable = is_untyped(start) && is_untyped(end);
                let learnt = if inferable {
                    cx.resolved.get(&var.span).cloned()
                } else {
                    None
                };
                let (start, end) = self.same_type_operands(cx, start, end, learnt.as_ref());
                let ty = match &start.ty {
                    Ty::Int(_) | Ty::Error => start.ty.clone(),
                    other => {
                        let name = self.ty_name(other);
                        self.err(
                            Diagnostic::new(
                                Code::TypeMismatch,
                                start.span.to(end.span),
                                "a `for` range must be over integers",
                            )
                            .with_label(format!("expected an integer, found `{name}`")),
                        );
                        Ty::Error
                    }
                };
                cx.scopes.push(Vec::new());
                let var = cx.bind(var, ty, false);
                cx.loop_vars.insert(var);
                if inferable && learnt.is_none() {
                    cx.pending.insert(var);
                }
                cx.loop_depth += 1;
                let body = self.block(cx, body, None);
                cx.loop_depth -= 1;
                cx.scopes.pop();
                hir::StmtKind::For {
                    var,
                    start,
                    end,
                    body,
                }
            }
            ast::StmtKind::Break | ast::StmtKind::Continue => {
                let word = if matches!(s.kind, ast::StmtKind::Break) {
                    "break"
                } else {
                    "continue"
                };
                if cx.loop_depth == 0 {
                    self.err(
                        Diagnostic::new(
                            Code::BreakOutsideLoop,
                            s.span,
                            format!("`{word}` outside a loop"),
                        )
                        .with_label("not inside `while` or `for`"),
                    );
                }
                if word == "break" {
                    hir::StmtKind::Break
                } else {
                    hir::StmtKind::Continue
                }
            }
            ast::StmtKind::Return(value) => self.return_stmt(cx, value.as_ref(), s.span),
            ast::StmtKind::Require { cond, message } => {
                let cond = self.expr(cx, cond, Some(&Ty::Bool));
                self.expect_ty(&cond.ty, &Ty::Bool, cond.span);
                hir::StmtKind::Require {
                    cond,
                    message: message.value.clone(),
                }
            }
            ast::StmtKind::Revert(message) => hir::StmtKind::Revert(message.value.clone()),
            ast::StmtKind::Emit { event, args } => self.emit(cx, event, args, s.span),
            ast::StmtKind::Expr(e) => hir::StmtKind::Expr(self.expr(cx, e, None)),
        };
        hir::Stmt { kind, span: s.span }
    }

    fn let_stmt(
        &mut self,
        cx: &mut FnCx,
        mutable: bool,
        pattern: &ast::LetPattern,
        ty: Option<&ast::TypeExpr>,
        init: &ast::Expr,
    ) -> hir::StmtKind {
        let declared = ty.map(|t| self.resolve_ty(cx.scope, t));
        // `let x = 0;`: the type comes from a later use (see `infer`).
        let inferable = match pattern {
            ast::LetPattern::Name(id)
                if declared.is_none() && id.name != "_" && is_untyped(init) =>
            {
                Some(id.span)
            }
            _ => None,
        };
        let learnt = inferable.and_then(|span| cx.resolved.get(&span).cloned());
        let pending = inferable.is_some() && learnt.is_none();
        let declared = declared.or(learnt);
        let init = self.expr(cx, init, declared.as_ref());
        if let Some(d) = &declared {
            self.expect_expr(cx, &init, d);
        }
        let ty = declared.unwrap_or_else(|| init.ty.clone());
        if ty == Ty::Unit && !expr_diverges(&init) {
            self.err(
                Diagnostic::new(
                    Code::TypeMismatch,
                    init.span,
                    "this expression has no value to bind",
                )
                .with_label("expected a value, found `()`"),
            );
        }
        match pattern {
            ast::LetPattern::Name(id) => {
                let local = if id.name == "_" {
                    None
                } else {
                    let l = cx.bind(id, ty, mutable);
                    if pending {
                        cx.pending.insert(l);
                    }
                    Some(l)
                };
                hir::StmtKind::Let {
                    locals: vec![local],
                    destructure: false,
                    init,
                }
            }
            ast::LetPattern::Tuple(names, span) => {
                let elems: Vec<Ty> = match &ty {
                    Ty::Tuple(ts) if ts.len() == names.len() => ts.clone(),
                    Ty::Error => vec![Ty::Error; names.len()],
                    other => {
                        let name = self.ty_name(other);
                        self.err(
                            Diagnostic::new(Code::TypeMismatch, *span, "mismatched types")
                                .with_label(format!(
                                    "expected a tuple of {} elements, found `{name}`",
                                    names.len()
                                )),
                        );
                        vec![Ty::Error; names.len()]
                    }
                };
                let locals = names
                    .iter()
                    .zip(elems)
                    .map(|(n, t)| n.as_ref().map(|n| cx.bind(n, t, mutable)))
                    .collect();
                hir::StmtKind::Let {
                    locals,
                    destructure: true,
                    init,
                }
            }
        }
    }

    fn return_stmt(
        &mut self,
        cx: &mut FnCx,
        value: Option<&ast::Expr>,
        span: Span,
    ) -> hir::StmtKind {
        let ret = cx.ret.clone();
        match value {
            Some(v) => {
                let e = self.expr(cx, v, Some(&ret));
                if ret == Ty::Unit {
                    if !matches!(e.ty, Ty::Unit | Ty::Error) {
                        let name = self.ty_name(&e.ty);
                        self.err(
                            Diagnostic::new(
                                Code::TypeMismatch,
                                e.span,
                                "this function returns no value",
                            )
                            .with_label(format!("expected `()`, found `{name}`"))
                            .with_help(format!(
                                "remove the value, or declare the return type `-> {name}`"
                            )),
                        );
                    }
                } else {
                    self.expect_expr(cx, &e, &ret);
                }
                hir::StmtKind::Return(Some(e))
            }
            None => {
                if !matches!(ret, Ty::Unit | Ty::Error) {
                    let name = self.ty_name(&ret);
                    self.err(
                        Diagnostic::new(
                            Code::MissingReturn,
                            span,
                            format!("`return` needs a value of type `{name}`"),
                        )
                        .with_label("no value"),
                    );
                }
                hir::StmtKind::Return(None)
            }
        }
    }

    fn emit(
        &mut self,
        cx: &mut FnCx,
        event: &ast::Ident,
        args: &[ast::Expr],
        span: Span,
    ) -> hir::StmtKind {
        let found = cx.scope.contract.and_then(|c| {
            self.t.contracts[c.0 as usize]
                .event_names
                .get(&event.name)
                .map(|e| (c, *e))
        });
        let Some((c, id)) = found else {
            let args: Vec<hir::Expr> = args.iter().map(|a| self.expr(cx, a, None)).collect();
            let d = if cx.scope.contract.is_some() {
                Diagnostic::new(
                    Code::UnknownEvent,
                    event.span,
                    format!("unknown event `{}`", event.name),
                )
                .with_label("not declared in this contract")
                .with_help(
                    self.similar_event_help(cx, &event.name)
                        .unwrap_or_else(|| format!("declare it: `event {}(…);`", event.name)),
                )
            } else {
                Diagnostic::new(
                    Code::UnknownEvent,
                    event.span,
                    "a library function cannot emit events",
                )
                .with_label("events belong to contracts")
            };
            self.err(d);
            return hir::StmtKind::Expr(hir::Expr {
                kind: hir::ExprKind::Tuple(args),
                ty: Ty::Error,
                span,
            });
        };
        let def = self.program.contracts[c.0 as usize].events[id.0 as usize].clone();
        if def.params.len() != args.len() {
            self.err(
                Diagnostic::new(
                    Code::WrongArity,
                    span,
                    format!(
                        "the event `{}` has {} parameter{} but {} argument{} given",
                        def.name,
                        def.params.len(),
                        if def.params.len() == 1 { "" } else { "s" },
                        args.len(),
                        if args.len() == 1 { " was" } else { "s were" },
                    ),
                )
                .with_label(format!("expected {}", def.params.len()))
                .with_secondary(def.span, "declared here"),
            );
        }
        let args = args
            .iter()
            .enumerate()
            .map(|(i, a)| {
                // With the wrong number, arguments are checked on their own (one
                // mistake, one diagnostic).
                let want = def
                    .params
                    .get(i)
                    .filter(|_| def.params.len() == args.len())
                    .map(|(_, t)| t.clone());
                let e = self.expr(cx, a, want.as_ref());
                if let Some(w) = &want {
                    self.expect_expr(cx, &e, w);
                }
                e
            })
            .collect();
        hir::StmtKind::Emit { event: id, args }
    }
}
