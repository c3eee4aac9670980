//! The declarations, checked before any body: structs' field types (a struct that
//! contains itself is E0419), contracts' storage (map keys E0407) and events, function
//! signatures, and constants (evaluated once, in dependency order; a cycle is E0408).

use super::{Checker, ConstState, FnCx, Scope, Sig};
use crate::ast;
use crate::diagnostics::{Code, Diagnostic};
use crate::hir::{self, ContractId, StructId, Ty};
use crate::resolve::tables::ConstId;
use ruint::aliases::U256;

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
                    let first = decl
                        .fields
                        .iter()
                        .find(|g| g.name.name == f.name.name)
                        .map_or(f.name.span, |g| g.name.span);
                    self.err(
                        Diagnostic::new(
                            Code::Duplicate,
                            f.name.span,
                            format!("the field `{}` is declared twice", f.name.name),
                        )
                        .with_label("declared again here")
                        .with_secondary(first, "first declared here"),
                    );
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
        // A struct that contains itself has no size.
        let n = self.program.structs.len();
        let mut state = vec![0u8; n];
        for s in 0..n {
            if state[s] == 0 && self.struct_cycle(StructId(s as u32), &mut state) {
                let span = self.program.structs[s].span;
                let name = self.program.structs[s].name.clone();
                self.err(
                    Diagnostic::new(Code::RecursiveStruct, span, format!("the struct `{name}` contains itself"))
                        .with_label("recursive without indirection")
                        .with_help("a struct is a value: store an id (an integer) and keep the inner values in a storage map"),
                );
                // Cut the cycle so later passes terminate.
                for f in &mut self.program.structs[s].fields {
                    f.1 = Ty::Error;
                }
            }
        }
    }

    /// Depth-first search for a struct cycle; `state`: 0 new, 1 on the stack, 2 done.
    fn struct_cycle(&self, s: StructId, state: &mut [u8]) -> bool {
        state[s.0 as usize] = 1;
        let mut found = false;
        let mut stack: Vec<Ty> = self.program.structs[s.0 as usize]
            .fields
            .iter()
            .map(|f| f.1.clone())
            .collect();
        while let Some(ty) = stack.pop() {
            match ty {
                Ty::Struct(t) => match state[t.0 as usize] {
                    1 => found = true,
                    0 => found |= self.struct_cycle(t, state),
                    _ => {}
                },
                Ty::Tuple(ts) => stack.extend(ts),
                _ => {}
            }
        }
        state[s.0 as usize] = 2;
        found
    }

    pub(super) fn check_contracts(&mut self) {
        for c in 0..self.t.contracts.len() {
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
                        (Some(kt), self.resolve_ty(scope, v))
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
                        self.err(
                            Diagnostic::new(
                                Code::Duplicate,
                                p.name.span,
                                format!("the parameter `{}` is declared twice", p.name.name),
                            )
                            .with_label("declared again here"),
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
        }
    }

    pub(super) fn check_consts(&mut self) {
        for k in 0..self.t.consts.len() {
            self.const_value(ConstId(k as u32));
        }
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
        self.consts[k.0 as usize] = ConstState::InProgress;
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
        let ty = if value.is_some() { ty } else { Ty::Error };
        self.consts[k.0 as usize] = ConstState::Done(ty.clone(), value);
        (ty, value)
    }
}
