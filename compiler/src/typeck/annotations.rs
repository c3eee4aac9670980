//! The access annotations of a function: `reads`/`writes` patterns become
//! [`hir::Pattern`]s and `calls` entries [`hir::CallDecl`]s.
//!
//! A key is checked like any expression in the function's parameter scope (so its type
//! is checked against the map's key type), then must be a pure path
//! ([`super::pure_path`]; E0503 otherwise). A key on a scalar field or a map without a
//! key is E0505. A `calls` target must be a pure path of contract type, and the callee
//! a `pub fn` of that contract. Library functions have no storage: `reads`/`writes` on
//! them is E0505.

use super::{Checker, FnCx, pure_path};
use crate::ast;
use crate::diagnostics::{Code, Diagnostic};
use crate::hir::{self, Ty};

const PURE_NOTE: &str = "a pure path is built from parameters (and their fields and elements), `caller`, `self`, constants, tuples of those and `self[…]`";

impl Checker<'_> {
    /// Checks a function's `reads`, `writes` and `calls` clauses.
    pub(crate) fn check_annotations(
        &mut self,
        cx: &mut FnCx,
        decl: &ast::FnDecl,
    ) -> hir::Annotations {
        let mut out = hir::Annotations::default();
        if cx.scope.contract.is_none() {
            if let Some(p) = decl.access.reads.first().or(decl.access.writes.first()) {
                self.err(
                    Diagnostic::new(Code::BadPattern, p.span, "a library function has no storage")
                        .with_label("library functions cannot declare `reads` or `writes`")
                        .with_help("pass the value in as a parameter: the calling contract function's annotations cover its read"),
                );
            }
        } else {
            for p in &decl.access.reads {
                if let Some(x) = self.pattern(cx, p) {
                    self.check_serial(p, &x, false);
                    out.reads.push(x);
                }
            }
            for p in &decl.access.writes {
                if let Some(x) = self.pattern(cx, p) {
                    self.check_serial(p, &x, true);
                    out.writes.push(x);
                }
            }
        }
        for c in &decl.access.calls {
            if let Some(x) = self.call_decl(cx, c) {
                out.calls.push(x);
            }
        }
        out
    }

    fn pattern(&mut self, cx: &mut FnCx, p: &ast::AccessPattern) -> Option<hir::Pattern> {
        let c = cx.scope.contract?;
        let info = &self.t.contracts[c.0 as usize];
        let Some(&field) = info.storage_names.get(&p.field.name) else {
            let cname = info.name.name.clone();
            let fields: Vec<String> = info
                .storage
                .iter()
                .map(|f| format!("`{}`", f.name.name))
                .collect();
            let mut d = Diagnostic::new(
                Code::BadPattern,
                p.field.span,
                format!("contract `{cname}` has no storage field `{}`", p.field.name),
            )
            .with_label("not a storage field");
            if !fields.is_empty() {
                d = d.with_note(format!("its storage fields are {}", fields.join(", ")));
            }
            self.err(d);
            return None;
        };
        let sf = self.program.contracts[c.0 as usize].storage[field.0 as usize].clone();
        let name = &p.field.name;
        let key = match (&sf.key, &p.key) {
            (None, None) => hir::PatternKey::Scalar,
            (None, Some(_)) => {
                self.err(
                    Diagnostic::new(Code::BadPattern, p.span, format!("`{name}` is not a map"))
                        .with_label("a scalar field takes no key")
                        .with_help(format!("write `{name}`")),
                );
                return None;
            }
            (Some(_), None) => {
                self.err(
                    Diagnostic::new(
                        Code::BadPattern,
                        p.span,
                        format!("`{name}` is a map: name the keys it touches"),
                    )
                    .with_label("missing key")
                    .with_help(format!(
                        "write `{name}[key]` for one entry, or `{name}[*]` for every entry"
                    )),
                );
                return None;
            }
            (Some(_), Some(ast::AccessKey::Wildcard)) => hir::PatternKey::Whole,
            (Some(kt), Some(ast::AccessKey::Expr(k))) => {
                let e = self.map_key(cx, k, kt);
                if e.ty == Ty::Error || !super::compatible(&e.ty, kt) {
                    return None;
                }
                match pure_path(&e, cx.n_params) {
                    Some(pure) => hir::PatternKey::Key(pure),
                    None => {
                        self.err(
                            Diagnostic::new(
                                Code::ImpureKey,
                                e.span,
                                "the key of an access pattern must be a pure path",
                            )
                            .with_label(impure_label(&e))
                            .with_note(PURE_NOTE)
                            .with_help(format!(
                                "if the key cannot be computed from the arguments, declare every key: `{name}[*]`"
                            )),
                        );
                        return None;
                    }
                }
            }
        };
        Some(hir::Pattern {
            field,
            key,
            span: p.span,
            serial: p.serial.is_some(),
        })
    }

    /// `serial` marks only what the contention lint is about: a written scalar field
    /// or whole map (E0505 elsewhere; removing the word changes nothing else).
    fn check_serial(&mut self, p: &ast::AccessPattern, x: &hir::Pattern, write: bool) {
        let Some(at) = p.serial else { return };
        let why = if !write {
            "a read never serializes calls: only writes conflict with reads"
        } else if matches!(x.key, hir::PatternKey::Key(_)) {
            "one map entry serializes only the calls that name the same key"
        } else {
            return;
        };
        self.err(
            Diagnostic::new(
                Code::BadPattern,
                at,
                "`serial` marks only a written scalar field or whole map",
            )
            .with_label(why)
            .with_help("remove `serial`"),
        );
    }

    fn call_decl(&mut self, cx: &mut FnCx, c: &ast::CallPattern) -> Option<hir::CallDecl> {
        let t = self.expr(cx, &c.target, None);
        let contract = match &t.ty {
            Ty::Contract(id) => *id,
            Ty::Error => return None,
            other => {
                let name = self.ty_name(other);
                let mut d = Diagnostic::new(
                    Code::NotCallable,
                    t.span,
                    format!("the target of `calls` must be a contract value, not `{name}`"),
                )
                .with_label("not a contract");
                if matches!(other, Ty::Address) {
                    d = d.with_help(
                        "declare the parameter with a contract type, e.g. `token: Token`",
                    );
                }
                self.err(d);
                return None;
            }
        };
        let func = self.external_fn(contract, &c.func)?;
        let Some(target) = pure_path(&t, cx.n_params) else {
            let ty = self.ty_name(&t.ty);
            let help = match (&t.kind, cx.scope.contract) {
                (hir::ExprKind::Storage { field, key: None }, Some(cid)) => {
                    let name = self.program.contracts[cid.0 as usize].storage[field.0 as usize]
                        .name
                        .clone();
                    format!(
                        "take the contract as a parameter and check it against storage: add the \
                         parameter `expected_{name}: {ty}`, write `calls expected_{name}.{f}` and \
                         `expected_{name}.{f}(…)`, and begin the body with \
                         `require(expected_{name} == {name}, \"wrong {name}\");` (without the \
                         `require`, any sender could choose the contract)",
                        f = c.func.name
                    )
                }
                _ => format!(
                    "take the contract as a parameter (`expected: {ty}`), name it here and in the \
                     call, and `require` that it equals the contract the body means (without the \
                     `require`, any sender could choose the contract)"
                ),
            };
            self.err(
                Diagnostic::new(
                    Code::ImpureKey,
                    t.span,
                    "the target of a `calls` entry must be a pure path",
                )
                .with_label(impure_label(&t))
                .with_note(PURE_NOTE)
                .with_help(help),
            );
            return None;
        };
        Some(hir::CallDecl {
            target,
            contract,
            func,
            span: c.span,
        })
    }
}

/// Why an expression is not a pure path, for the label.
fn impure_label(e: &hir::Expr) -> &'static str {
    match &e.kind {
        hir::ExprKind::Storage { .. } => "reads storage: not known before the transaction runs",
        hir::ExprKind::Local(_) => "a local variable, not a parameter",
        hir::ExprKind::Call(..) | hir::ExprKind::ExtCall { .. } | hir::ExprKind::Intrinsic(..) => {
            "a call: not a pure path"
        }
        hir::ExprKind::BlockNumber | hir::ExprKind::BlockTimestamp => {
            "depends on the block, not on the transaction"
        }
        _ => "computed, not a pure path",
    }
}
