//! A tiny HIR builder for tests, and the Token contract built with it.

use super::super::*;
use crate::ast::{BinOp, FnKind, IntTy};
use crate::hir::{Expr, ExprKind, Pure, Ty};
use ruint::aliases::U256;

/// A tiny HIR builder: every node gets a fresh span so diagnostics can be told apart.
#[derive(Default)]
pub(super) struct B {
    pub p: hir::Program,
    at: u32,
}

pub(super) const U128: Ty = Ty::Int(IntTy::U128);

impl B {
    pub fn span(&mut self) -> Span {
        self.at += 10;
        Span::new(
            crate::span::FileId(0),
            self.at as usize,
            self.at as usize + 5,
        )
    }

    pub fn contract(&mut self, name: &str, fields: &[(&str, Option<Ty>, Ty)]) -> hir::ContractId {
        let storage = fields
            .iter()
            .map(|(n, k, v)| hir::StorageField {
                name: n.to_string(),
                key: k.clone(),
                value: v.clone(),
                span: self.span(),
            })
            .collect();
        let span = self.span();
        self.p.contracts.push(hir::Contract {
            name: name.into(),
            file: crate::span::FileId(0),
            span,
            storage,
            events: Vec::new(),
            init: None,
            functions: Vec::new(),
        });
        let id = hir::ContractId(self.p.contracts.len() as u32 - 1);
        self.p.roots.push(id);
        id
    }

    pub fn func(
        &mut self,
        c: Option<hir::ContractId>,
        name: &str,
        kind: FnKind,
        params: &[(&str, Ty)],
    ) -> hir::FnId {
        let span = self.span();
        let locals = params
            .iter()
            .map(|(n, t)| hir::Local {
                name: n.to_string(),
                ty: t.clone(),
                mutable: false,
                span,
            })
            .collect();
        self.p.functions.push(hir::Function {
            name: name.into(),
            kind,
            contract: c,
            span,
            n_params: params.len() as u32,
            locals,
            ret: Ty::Unit,
            access: hir::Annotations::default(),
            body: hir::Block {
                stmts: Vec::new(),
                tail: None,
                span,
            },
        });
        let id = hir::FnId(self.p.functions.len() as u32 - 1);
        if let Some(c) = c {
            if kind == FnKind::Init {
                self.p.contracts[c.0 as usize].init = Some(id);
            } else {
                self.p.contracts[c.0 as usize].functions.push(id);
            }
        }
        id
    }

    pub fn local(&mut self, f: hir::FnId, name: &str, ty: Ty, mutable: bool) -> hir::LocalId {
        let span = self.span();
        let fun = &mut self.p.functions[f.0 as usize];
        fun.locals.push(hir::Local {
            name: name.into(),
            ty,
            mutable,
            span,
        });
        hir::LocalId(fun.locals.len() as u32 - 1)
    }

    pub fn pattern(&mut self, f: hir::FnId, write: bool, field: u32, key: hir::PatternKey) -> Span {
        let span = self.span();
        let pat = hir::Pattern {
            field: hir::FieldId(field),
            key,
            span,
            serial: false,
        };
        let a = &mut self.p.functions[f.0 as usize].access;
        if write {
            a.writes.push(pat)
        } else {
            a.reads.push(pat)
        }
        span
    }

    pub fn calls(
        &mut self,
        f: hir::FnId,
        target: Pure,
        contract: hir::ContractId,
        func: hir::FnId,
    ) -> Span {
        let span = self.span();
        self.p.functions[f.0 as usize]
            .access
            .calls
            .push(hir::CallDecl {
                target,
                contract,
                func,
                span,
            });
        span
    }

    pub fn body(&mut self, f: hir::FnId, stmts: Vec<hir::Stmt>) {
        self.p.functions[f.0 as usize].body.stmts = stmts;
    }

    pub fn e(&mut self, kind: ExprKind, ty: Ty) -> Expr {
        let span = self.span();
        Expr { kind, ty, span }
    }

    pub fn local_e(&mut self, f: hir::FnId, l: u32) -> Expr {
        let ty = self.p.functions[f.0 as usize].locals[l as usize].ty.clone();
        self.e(ExprKind::Local(hir::LocalId(l)), ty)
    }

    pub fn lit(&mut self, v: u64) -> Expr {
        self.e(ExprKind::Lit(U256::from(v)), U128)
    }

    pub fn read(&mut self, field: u32, key: Option<Expr>) -> Expr {
        self.e(
            ExprKind::Storage {
                field: hir::FieldId(field),
                key: key.map(Box::new),
            },
            U128,
        )
    }

    pub fn stmt(&mut self, kind: hir::StmtKind) -> hir::Stmt {
        let span = self.span();
        hir::Stmt { kind, span }
    }

    pub fn write(
        &mut self,
        field: u32,
        key: Option<Expr>,
        op: Option<BinOp>,
        value: Expr,
    ) -> hir::Stmt {
        let span = self.span();
        let place = hir::Place {
            base: hir::PlaceBase::Storage {
                field: hir::FieldId(field),
                key: key.map(Box::new),
            },
            path: Vec::new(),
            ty: U128,
            span,
        };
        self.stmt(hir::StmtKind::Assign { place, op, value })
    }

    pub fn let_(&mut self, local: hir::LocalId, init: Expr) -> hir::Stmt {
        self.stmt(hir::StmtKind::Let {
            locals: vec![Some(local)],
            destructure: false,
            init,
        })
    }

    pub fn expr_stmt(&mut self, e: Expr) -> hir::Stmt {
        self.stmt(hir::StmtKind::Expr(e))
    }

    pub fn call(&mut self, callee: hir::FnId, args: Vec<Expr>) -> Expr {
        self.e(ExprKind::Call(callee, args), Ty::Unit)
    }

    pub fn ext(
        &mut self,
        target: Expr,
        contract: hir::ContractId,
        func: hir::FnId,
        args: Vec<Expr>,
        as_sub: Option<Expr>,
    ) -> Expr {
        self.e(
            ExprKind::ExtCall {
                target: Box::new(target),
                contract,
                func,
                args,
                as_sub: as_sub.map(Box::new),
            },
            Ty::Bool,
        )
    }

    pub fn run(&self) -> (Summaries, Vec<Diagnostic>) {
        let mut d = Diagnostics::default();
        let s = check(&self.p, &mut d);
        d.retain(|d| !crate::diagnostics::STYLE_LINTS.contains(&d.code));
        (s, d.sorted())
    }

    pub fn print(&self) -> String {
        let (s, _) = self.run();
        crate::emit::access::access(&self.p, &s)
    }
}

pub(super) fn param(i: u32) -> Pure {
    Pure::Param(hir::LocalId(i), Vec::new())
}

pub(super) fn codes(d: &[Diagnostic]) -> Vec<&'static str> {
    d.iter().map(|d| d.code.id()).collect()
}

/// The Token contract of the spec: storage owner, total_supply, balances,
/// allowances; `transfer(to, amount)` and `transfer_from(from, to, amount)`.
pub(super) struct Token {
    pub c: hir::ContractId,
    pub transfer: hir::FnId,
    pub transfer_from: hir::FnId,
}

pub(super) fn token(b: &mut B) -> Token {
    let c = b.contract(
        "Token",
        &[
            ("owner", None, Ty::Address),
            ("balances", Some(Ty::Address), U128),
            (
                "allowances",
                Some(Ty::Tuple(vec![Ty::Address, Ty::Address])),
                U128,
            ),
        ],
    );
    let transfer = b.func(
        Some(c),
        "transfer",
        FnKind::Pub,
        &[("to", Ty::Address), ("amount", U128)],
    );
    b.pattern(transfer, true, 1, hir::PatternKey::Key(Pure::Caller));
    b.pattern(transfer, true, 1, hir::PatternKey::Key(param(0)));
    let (k1, v1) = (b.e(ExprKind::Caller, Ty::Address), b.local_e(transfer, 1));
    let s1 = b.write(1, Some(k1), Some(BinOp::Sub), v1);
    let (k2, v2) = (b.local_e(transfer, 0), b.local_e(transfer, 1));
    let s2 = b.write(1, Some(k2), Some(BinOp::Add), v2);
    b.body(transfer, vec![s1, s2]);

    let transfer_from = b.func(
        Some(c),
        "transfer_from",
        FnKind::Pub,
        &[("from", Ty::Address), ("to", Ty::Address), ("amount", U128)],
    );
    b.pattern(
        transfer_from,
        true,
        2,
        hir::PatternKey::Key(Pure::Tuple(vec![param(0), Pure::Caller])),
    );
    b.pattern(transfer_from, true, 1, hir::PatternKey::Key(param(0)));
    b.pattern(transfer_from, true, 1, hir::PatternKey::Key(param(1)));
    let from = b.local_e(transfer_from, 0);
    let caller = b.e(ExprKind::Caller, Ty::Address);
    let key = b.e(
        ExprKind::Tuple(vec![from, caller]),
        Ty::Tuple(vec![Ty::Address, Ty::Address]),
    );
    let amount = b.local_e(transfer_from, 2);
    let s1 = b.write(2, Some(key), Some(BinOp::Sub), amount);
    let (k, v) = (b.local_e(transfer_from, 0), b.local_e(transfer_from, 2));
    let s2 = b.write(1, Some(k), Some(BinOp::Sub), v);
    let (k, v) = (b.local_e(transfer_from, 1), b.local_e(transfer_from, 2));
    let s3 = b.write(1, Some(k), Some(BinOp::Add), v);
    b.body(transfer_from, vec![s1, s2, s3]);
    Token {
        c,
        transfer,
        transfer_from,
    }
}
