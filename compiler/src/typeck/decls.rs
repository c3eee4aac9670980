//! The declarations, checked before any body: structs' field types (a struct that
//! contains itself is E0419), contracts' storage (map keys E0407) and events, function
//! signatures, and constants (evaluated once, in dependency order; a cycle is E0408).

use super::{Checker, ConstState, FnCx, Scope, Sig};
use crate::ast;
use crate::diagnostics::{Code, Diagnostic};
use crate::hir::{self, ContractId, FnId, Ty};
use crate::resolve::tables::ConstId;
use ruint::aliases::U256;
use std::collections::BTreeSet;

/// How many constants deep one constant's evaluation may recurse. Constants are
/// evaluated in dependency order, so only a cycle (or a constant named where
/// [`Checker::check_consts`] does not look, e.g. inside a block's statements) recurses.
const MAX_CONST_CHAIN: u32 = 64;

impl Checker<'_> {
    pub(super) fn check_structs(&mut self) {
        for i in 0..self.t.structs.len() {
            let decl = self.t.structs[i].decl.clone();
            let scope = Scope {
                module: self.t.structs[i].module,
                contract: self.t.structs[i].contract,
            };
            let mut fields: Vec<(String, Ty)> = Vec::new();
            for f in &decl.fields {
                if fields.iter().any(|(n, _)| *n == f.name.name) {
                    self.report_duplicate("field", &f.name, decl.fields.iter().map(|g| &g.name));
                    continue;
                }
                let ty = self.resolve_ty(scope, &f.ty);
                fields.push((f.name.name.clone(), ty));
            }
            self.program.structs.push(hir::StructDef {
                name: decl.name.name.clone(),
                fields,
                span: decl.name.span,
            });
        }
        // A struct that contains itself has no size: report each struct where a cycle
        // closes, and cut the cycle there so that later passes terminate.
        for s in self.struct_cycles() {
            let span = self.program.structs[s].span;
            let name = self.program.structs[s].name.clone();
            self.err(
                Diagnostic::new(Code::RecursiveStruct, span, format!("the struct `{name}` contains itself"))
                    .with_label("recursive without indirection")
                    .with_help("a struct is a value: store an id (an integer) and keep the inner values in a storage map"),
            );
            for f in &mut self.program.structs[s].fields {
                f.1 = Ty::Error;
            }
        }
        self.struct_words = self.struct_sizes();
    }

    /// The number of words of each struct, computed inner structs first (iteratively;
    /// the struct graph has no cycle any more).
    fn struct_sizes(&self) -> Vec<u64> {
        let n = self.program.structs.len();
        let mut words: Vec<Option<u64>> = vec![None; n];
        for root in 0..n {
            let mut stack = vec![root];
            while let Some(&s) = stack.last() {
                if words[s].is_some() {
                    stack.pop();
                    continue;
                }
                let mut missing = None;
                let mut total: u64 = 0;
                let mut tys: Vec<&Ty> = self.program.structs[s]
                    .fields
                    .iter()
                    .map(|f| &f.1)
                    .collect();
                while let Some(ty) = tys.pop() {
                    match ty {
                        Ty::Unit | Ty::Error => {}
                        Ty::Struct(t) => match words[t.0 as usize] {
                            Some(w) => total = total.saturating_add(w),
                            None => missing = Some(t.0 as usize),
                        },
                        Ty::Tuple(ts) => tys.extend(ts),
                        _ => total = total.saturating_add(1),
                    }
                }
                match missing {
                    // Guard against a cycle (cut above, so never expected): count it as 0.
                    Some(t) if !stack.contains(&t) => stack.push(t),
                    _ => {
                        words[s] = Some(if missing.is_some() { 0 } else { total });
                        stack.pop();
                    }
                }
            }
        }
        words.into_iter().map(|w| w.unwrap_or(0)).collect()
    }

    /// The structs at which a containment cycle closes (iterative depth-first search,
    /// so that a long chain of structs cannot exhaust the stack).
    fn struct_cycles(&self) -> BTreeSet<usize> {
        let children: Vec<Vec<usize>> = self
            .program
            .structs
            .iter()
            .map(|s| {
                let mut out = Vec::new();
                let mut tys: Vec<&Ty> = s.fields.iter().map(|f| &f.1).collect();
                while let Some(ty) = tys.pop() {
                    match ty {
                        Ty::Struct(t) => out.push(t.0 as usize),
                        Ty::Tuple(ts) => tys.extend(ts),
                        _ => {}
                    }
                }
                out
            })
            .collect();
        // 0: not visited, 1: on the current path, 2: done.
        let mut state = vec![0u8; children.len()];
        let mut closes = BTreeSet::new();
        for root in 0..children.len() {
            if state[root] != 0 {
                continue;
            }
            state[root] = 1;
            let mut stack = vec![(root, 0usize)];
            while let Some((v, next)) = stack.last_mut() {
                let v = *v;
                if let Some(&w) = children[v].get(*next) {
                    *next += 1;
                    match state[w] {
                        0 => {
                            state[w] = 1;
                            stack.push((w, 0));
                        }
                        1 => {
                            closes.insert(w);
                        }
                        _ => {}
                    }
                } else {
                    state[v] = 2;
                    stack.pop();
                }
            }
        }
        closes
    }

    pub(super) fn check_contracts(&mut self) {
        for c in 0..self.t.contracts.len() {
            let errors_before = self.error_mark();
            let info = self.t.contracts[c].clone();
            let scope = Scope {
                module: info.module,
                contract: Some(ContractId(c as u32)),
            };
            let mut storage = Vec::new();
            for f in &info.storage {
                let (key, value) = match &f.ty {
                    ast::TypeExpr::Map(k, v, _) => {
                        let kt = self.resolve_ty(scope, k);
                        if !Self::is_key_ty(&kt) {
                            let name = self.ty_name(&kt);
                            self.err(
                                Diagnostic::new(Code::BadMapKey, k.span(), format!("`{name}` cannot be a map key"))
                                    .with_label("not a key type")
                                    .with_note("a map key is an integer, an address, a contract value, or a tuple of those"),
                            );
                        }
                        if let ast::TypeExpr::Map(k2, v2, span) = &**v {
                            // A map of maps: one map with a tuple key says the same.
                            let text = crate::emit::ast::type_text;
                            self.err(
                                Diagnostic::new(
                                    Code::MapOutsideStorage,
                                    *span,
                                    "a map cannot hold maps",
                                )
                                .with_label("a map as a map's value")
                                .with_help(format!(
                                    "use one map with a tuple key: `map<({}, {}), {}>`, read and written as `{}[(a, b)]`",
                                    text(k),
                                    text(k2),
                                    text(v2),
                                    f.name.name
                                )),
                            );
                            (Some(kt), Ty::Error)
                        } else {
                            (Some(kt), self.resolve_ty(scope, v))
                        }
                    }
                    t => (None, self.resolve_ty(scope, t)),
                };
                storage.push(hir::StorageField {
                    name: f.name.name.clone(),
                    key,
                    value,
                    span: f.name.span,
                });
            }
            let mut events = Vec::new();
            for e in &info.events {
                let mut params: Vec<(String, Ty)> = Vec::new();
                for p in &e.params {
                    let ty = self.resolve_ty(scope, &p.ty);
                    if params.iter().any(|(n, _)| *n == p.name.name) {
                        self.report_duplicate(
                            "parameter",
                            &p.name,
                            e.params.iter().map(|q| &q.name),
                        );
                    }
                    params.push((p.name.name.clone(), ty));
                }
                events.push(hir::EventDef {
                    name: e.name.name.clone(),
                    params,
                    span: e.name.span,
                });
            }
            let file = self.t.modules[info.module].file;
            self.program.contracts.push(hir::Contract {
                name: info.name.name.clone(),
                file,
                span: info.name.span,
                storage,
                events,
                init: info.init,
                functions: info.functions.clone(),
            });
            // A storage field or event with an error may cascade into any function of
            // the contract: leave them all to be checked once it is fixed.
            if self.error_mark() > errors_before {
                self.with_errors
                    .extend(info.init.iter().chain(&info.functions));
            }
        }
    }

    pub(super) fn check_signatures(&mut self) {
        for i in 0..self.t.fns.len() {
            let d = &self.t.fns[i];
            let scope = Scope {
                module: d.module,
                contract: d.contract,
            };
            let decl = d.decl.clone();
            let errors_before = self.error_mark();
            let params = decl
                .params
                .iter()
                .map(|p| (p.name.name.clone(), self.resolve_ty(scope, &p.ty)))
                .collect();
            let ret = match &decl.ret {
                Some(t) => self.resolve_ty(scope, t),
                None => Ty::Unit,
            };
            self.sigs.push(Sig { params, ret });
            if self.error_mark() > errors_before {
                self.with_errors.insert(FnId(i as u32));
            }
        }
    }

    /// Evaluates every constant, each after the constants it names (an iterative
    /// depth-first order, so that a long chain of constants does not recurse; only a
    /// cycle makes [`Checker::const_value`] recurse, and it is reported).
    pub(super) fn check_consts(&mut self) {
        let deps: Vec<Vec<usize>> = (0..self.t.consts.len())
            .map(|k| self.const_deps(ConstId(k as u32)))
            .collect();
        let mut state = vec![0u8; deps.len()];
        for root in 0..deps.len() {
            if state[root] != 0 {
                continue;
            }
            state[root] = 1;
            let mut stack = vec![(root, 0usize)];
            while let Some((v, next)) = stack.last_mut() {
                let v = *v;
                if let Some(&w) = deps[v].get(*next) {
                    *next += 1;
                    if state[w] == 0 {
                        state[w] = 1;
                        stack.push((w, 0));
                    }
                } else {
                    state[v] = 2;
                    stack.pop();
                    self.const_value(ConstId(v as u32));
                }
            }
        }
    }

    /// The constants that constant `k`'s value names.
    fn const_deps(&self, k: ConstId) -> Vec<usize> {
        let d = &self.t.consts[k.0 as usize];
        let scope = Scope {
            module: d.module,
            contract: d.contract,
        };
        let storage = d
            .contract
            .map(|c| &self.t.contracts[c.0 as usize].storage_names);
        let mut out = Vec::new();
        let mut todo: Vec<&ast::Expr> = vec![&d.decl.value];
        while let Some(e) = todo.pop() {
            match &e.kind {
                ast::ExprKind::Name(id) if !storage.is_some_and(|s| s.contains_key(&id.name)) => {
                    if let Some(dep) = self.lookup_const(scope, &id.name) {
                        out.push(dep.0 as usize);
                    }
                }
                ast::ExprKind::Binary(_, a, b) | ast::ExprKind::Index(a, b) => {
                    todo.push(a);
                    todo.push(b);
                }
                ast::ExprKind::Unary(_, a)
                | ast::ExprKind::Cast(a, _)
                | ast::ExprKind::Field(a, _)
                | ast::ExprKind::TupleIndex(a, _, _)
                | ast::ExprKind::Paren(a) => todo.push(a),
                ast::ExprKind::Call(_, args) | ast::ExprKind::Tuple(args) => todo.extend(args),
                ast::ExprKind::If(c, then, els) => {
                    todo.push(c);
                    todo.extend(then.tail.as_deref());
                    todo.extend(els.as_deref());
                }
                ast::ExprKind::Block(b) => todo.extend(b.tail.as_deref()),
                _ => {}
            }
        }
        out
    }

    /// The type and value of a constant, evaluated on first use. `None` as the value
    /// when it could not be evaluated (already reported).
    pub(crate) fn const_value(&mut self, k: ConstId) -> (Ty, Option<U256>) {
        match &self.consts[k.0 as usize] {
            ConstState::Done(ty, v) => return (ty.clone(), *v),
            ConstState::InProgress => {
                let name = self.t.consts[k.0 as usize].decl.name.clone();
                self.err(
                    Diagnostic::new(
                        Code::NotConstant,
                        name.span,
                        format!("the constant `{}` depends on itself", name.name),
                    )
                    .with_label("its value needs its own value"),
                );
                self.consts[k.0 as usize] = ConstState::Done(Ty::Error, None);
                return (Ty::Error, None);
            }
            ConstState::Todo => {}
        }
        if self.const_depth >= MAX_CONST_CHAIN {
            let name = self.t.consts[k.0 as usize].decl.name.clone();
            self.err(
                Diagnostic::new(
                    Code::NotConstant,
                    name.span,
                    format!("the constant `{}` is at the end of a chain of more than {MAX_CONST_CHAIN} constants", name.name),
                )
                .with_label("too deep to evaluate"),
            );
            self.consts[k.0 as usize] = ConstState::Done(Ty::Error, None);
            return (Ty::Error, None);
        }
        self.consts[k.0 as usize] = ConstState::InProgress;
        self.const_depth += 1;
        let d = self.t.consts[k.0 as usize].clone();
        let scope = Scope {
            module: d.module,
            contract: d.contract,
        };
        let ty = self.resolve_ty(scope, &d.decl.ty);
        let mut cx = FnCx::new(scope, Ty::Unit);
        let value = match ty {
            Ty::Int(_) | Ty::Bool | Ty::Address | Ty::Error => {
                let e = self.expr(&mut cx, &d.decl.value, Some(&ty));
                self.expect_ty(&e.ty, &ty, e.span);
                match e.kind {
                    hir::ExprKind::Lit(v) if e.ty != Ty::Error => Some(v),
                    _ if e.ty == Ty::Error => None,
                    _ => {
                        self.err(
                            Diagnostic::new(Code::NotConstant, d.decl.value.span, "not a constant expression")
                                .with_label("cannot be evaluated at compile time")
                                .with_note("a constant is built from literals, other constants and operators; not from storage, parameters, `caller`, `self`, `block` or calls"),
                        );
                        None
                    }
                }
            }
            _ => {
                let name = self.ty_name(&ty);
                self.err(
                    Diagnostic::new(
                        Code::NotConstant,
                        d.decl.ty.span(),
                        format!("a constant cannot have type `{name}`"),
                    )
                    .with_label("not an integer, bool or address")
                    .with_help("declare each component as its own constant"),
                );
                None
            }
        };
        self.const_depth -= 1;
        let ty = if value.is_some() { ty } else { Ty::Error };
        self.consts[k.0 as usize] = ConstState::Done(ty.clone(), value);
        (ty, value)
    }
}
