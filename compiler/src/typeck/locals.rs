//! The names of parameters and locals, checked once a function's last round is done:
//! a name that is also a storage field of the contract (E0420, language spec §4) and
//! parameters and locals the body never reads (W0401).

use super::{Checker, FnCx};
use crate::ast::FnKind;
use crate::diagnostics::{Code, Diagnostic};
use crate::hir::{self, FnId, LocalId};
use crate::span::FileId;

impl Checker<'_> {
    /// W0402: a private function of a contract in the root file that no other function
    /// calls. Library functions (outside contracts) are for importers and never warned.
    pub(crate) fn check_unused_functions(&mut self, root: FileId) {
        for (i, d) in self.t.fns.iter().enumerate() {
            let decl = &d.decl;
            let private = matches!(decl.kind, FnKind::Private | FnKind::PrivateView);
            if !private
                || d.contract.is_none()
                || decl.name.span.file != root
                || decl.name.name.starts_with('_')
                || self.called.contains(&FnId(i as u32))
            {
                continue;
            }
            let name = &decl.name.name;
            self.diags.push(
                Diagnostic::new(
                    Code::UnusedFunction,
                    decl.name.span,
                    format!("the private function `{name}` is never called"),
                )
                .with_label("no other function calls it")
                .with_help(format!(
                    "remove it, or name it `_{name}` if it is kept on purpose"
                )),
            );
        }
    }

    /// E0420 for every parameter or local named like a storage field; W0401 for every
    /// one never read in a function of the root file (unless its name starts with `_`,
    /// or the function has errors: a broken body would make a used name look unused).
    pub(crate) fn check_local_names(&mut self, f: &hir::Function, cx: &FnCx, has_errors: bool) {
        for (i, local) in f.locals.iter().enumerate() {
            let id = LocalId(i as u32);
            let is_param = (i as u32) < f.n_params;
            let uses = cx.uses.get(&id).map_or(&[][..], Vec::as_slice);
            let field = cx.scope.contract.and_then(|c| {
                let contract = &self.program.contracts[c.0 as usize];
                contract.storage.iter().find(|s| s.name == local.name)
            });
            if let Some(field) = field {
                let d = clash(f, local, is_param, uses, field);
                self.diags.push(d);
            } else if !has_errors
                && self.root == Some(f.span.file)
                && !local.name.starts_with('_')
                && !uses.iter().any(|(_, assigned)| !assigned)
            {
                let what = if is_param { "parameter" } else { "local" };
                let mut d = Diagnostic::new(
                    Code::UnusedLocal,
                    local.span,
                    format!("unused {what} `{}`", local.name),
                )
                .with_label(if uses.is_empty() {
                    "never used".to_owned()
                } else {
                    "assigned, but never read".to_owned()
                });
                let keeps = if is_param {
                    "callers still pass it"
                } else {
                    "the value is still computed"
                };
                d = d.with_help(format!(
                    "if that is intended, name it `_{}` ({keeps}; only the warning goes)",
                    local.name
                ));
                self.diags.push(d);
            }
        }
    }
}

/// E0420: `local` has the name of the storage field `field`. The help renames the local
/// (and marks every use that must be renamed with it): copying the parameter into a
/// local of the same name, or any fix that keeps the name, compiles into a function
/// that does less than the author wrote (`owner = owner;` writes nothing).
fn clash(
    f: &hir::Function,
    local: &hir::Local,
    is_param: bool,
    uses: &[(crate::span::Span, bool)],
    field: &hir::StorageField,
) -> Diagnostic {
    let what = if is_param { "parameter" } else { "local" };
    let name = &local.name;
    let taken = |n: &str| f.locals.iter().any(|l| l.name == n);
    let base = if is_param {
        format!("new_{name}")
    } else {
        format!("{name}_value")
    };
    let mut fresh = base.clone();
    let mut k = 2;
    while taken(&fresh) {
        fresh = format!("{base}{k}");
        k += 1;
    }
    let mut d = Diagnostic::new(
        Code::StorageNameClash,
        local.span,
        format!("the {what} `{name}` has the name of a storage field"),
    )
    .with_label(format!(
        "a bare `{name}` in the body would mean this {what}, not the storage field"
    ))
    .with_secondary(
        field.span,
        format!("the storage field `{name}` is declared here"),
    );
    let mut storage_uses = 0;
    for &(span, assigned) in uses {
        if assigned && !local.mutable {
            // An immutable local cannot be assigned: the author meant the field.
            storage_uses += 1;
            d = d.with_secondary(
                span,
                format!("this assigns the storage field `{name}`: keep this name"),
            );
        } else {
            d = d.with_secondary(span, format!("rename this use to `{fresh}`"));
        }
    }
    let marked = if uses.len() > storage_uses {
        " and every use marked `rename`"
    } else {
        ""
    };
    d.with_help(format!(
        "rename the {what} to `{fresh}`{marked}; a bare `{name}` then means the storage field"
    ))
}
