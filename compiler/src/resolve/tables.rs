//! Name resolution, part two: the name tables.
//!
//! Every declaration of every loaded module gets its id ([`ContractId`], [`StructId`],
//! [`FnId`], `ConstId`) in module order, then each module's scope receives the names
//! it imports with `use`. Namespaces are separate (spec §4): in a module, types
//! (contracts and structs), constants and functions; in a contract, storage fields,
//! functions, events, structs and constants. A name declared twice in one namespace is
//! E0302; an imported name the module does not declare is E0304.

use super::{Module, ModuleRef};
use crate::ast;
use crate::diagnostics::similar::{NameKind, similar_name_help};
use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::hir::{ContractId, EventId, FieldId, FnId, Intrinsic, StructId};
use crate::span::{FileId, Span};
use std::collections::{BTreeMap, BTreeSet};

/// Index of a constant in [`Tables::consts`] (constants are folded away before HIR).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct ConstId(pub u32);

/// A type name in a module scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TypeRef {
    /// A contract type.
    Contract(ContractId),
    /// A struct.
    Struct(StructId),
}

/// A function name in a module scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FnRef {
    /// A library function (file-level `fn`).
    Fn(FnId),
    /// A `std::math` intrinsic.
    Intrinsic(Intrinsic),
}

/// The names visible at the top level of one module: its own and its imports.
#[derive(Clone, Debug, Default)]
pub(crate) struct ModuleScope {
    /// The module's file.
    pub file: FileId,
    /// Contracts and structs.
    pub types: BTreeMap<String, (TypeRef, Span)>,
    /// Constants.
    pub consts: BTreeMap<String, (ConstId, Span)>,
    /// Library functions and intrinsics.
    pub fns: BTreeMap<String, (FnRef, Span)>,
    /// Names of `use` declarations that failed (module not found, or the name not in
    /// it): already reported once, so their uses are errors without a diagnostic.
    pub failed_imports: BTreeSet<String>,
}

/// A contract's declarations and name tables.
#[derive(Clone, Debug)]
pub(crate) struct ContractInfo {
    /// Its name.
    pub name: ast::Ident,
    /// Its module.
    pub module: usize,
    /// Storage fields in order (every `storage` block, concatenated).
    pub storage: Vec<ast::FieldDecl>,
    /// Storage field names.
    pub storage_names: BTreeMap<String, FieldId>,
    /// Events in order.
    pub events: Vec<ast::EventDecl>,
    /// Event names.
    pub event_names: BTreeMap<String, EventId>,
    /// The constructor.
    pub init: Option<FnId>,
    /// Functions in order, `init` excluded.
    pub functions: Vec<FnId>,
    /// Function names (`init` excluded).
    pub fn_names: BTreeMap<String, FnId>,
    /// Structs declared in the contract.
    pub struct_names: BTreeMap<String, StructId>,
    /// Constants declared in the contract.
    pub const_names: BTreeMap<String, ConstId>,
}

/// A declaration with its place: module and, for members, contract.
#[derive(Clone, Debug)]
pub(crate) struct Decl<T> {
    /// The declaring module.
    pub module: usize,
    /// The declaring contract, for contract members.
    pub contract: Option<ContractId>,
    /// The declaration.
    pub decl: T,
}

/// All declarations of a program and the scopes that name them.
#[derive(Clone, Debug, Default)]
pub(crate) struct Tables {
    /// Per module, in module order.
    pub modules: Vec<ModuleScope>,
    /// Contracts by id.
    pub contracts: Vec<ContractInfo>,
    /// Structs by id.
    pub structs: Vec<Decl<ast::StructDecl>>,
    /// Functions by id.
    pub fns: Vec<Decl<ast::FnDecl>>,
    /// Constants by id.
    pub consts: Vec<Decl<ast::ConstDecl>>,
}

/// The intrinsic named `name` in `std::math`.
pub(crate) fn math_intrinsic(name: &str) -> Option<Intrinsic> {
    Some(match name {
        "min" => Intrinsic::Min,
        "max" => Intrinsic::Max,
        "sqrt" => Intrinsic::Sqrt,
        "pow" => Intrinsic::Pow,
        "mul_div" => Intrinsic::MulDiv,
        "mul_div_up" => Intrinsic::MulDivUp,
        _ => return None,
    })
}

/// The builtin available without `use`.
pub(crate) fn builtin(name: &str) -> Option<Intrinsic> {
    Some(match name {
        "wrapping_add" => Intrinsic::WrappingAdd,
        "wrapping_sub" => Intrinsic::WrappingSub,
        "wrapping_mul" => Intrinsic::WrappingMul,
        _ => return None,
    })
}

fn duplicate(diags: &mut Diagnostics, what: &str, name: &ast::Ident, first: Span) {
    diags.push(duplicate_diagnostic(what, name, first));
}

/// E0302: the `what` (field, parameter, function…) `name` is declared again; `first`
/// is where it was declared first.
pub(crate) fn duplicate_diagnostic(what: &str, name: &ast::Ident, first: Span) -> Diagnostic {
    Diagnostic::new(
        Code::Duplicate,
        name.span,
        format!("the {what} `{}` is declared twice", name.name),
    )
    .with_label("declared again here")
    .with_secondary(first, "first declared here")
}

/// Inserts `name` into `map` unless it is there already (E0302).
fn declare<V: Copy>(
    map: &mut BTreeMap<String, (V, Span)>,
    diags: &mut Diagnostics,
    what: &str,
    name: &ast::Ident,
    value: V,
) {
    if let Some(&(_, first)) = map.get(&name.name) {
        duplicate(diags, what, name, first);
    } else {
        map.insert(name.name.clone(), (value, name.span));
    }
}

/// Builds the tables of all modules: declarations first, then imports.
pub(crate) fn build(modules: &[Module], diags: &mut Diagnostics) -> Tables {
    let mut t = Tables::default();
    for (m, module) in modules.iter().enumerate() {
        let mut scope = ModuleScope {
            file: module.file,
            ..ModuleScope::default()
        };
        for item in &module.ast.items {
            match item {
                ast::Item::Use(_) => {}
                ast::Item::Contract(c) => {
                    let cid = ContractId(t.contracts.len() as u32);
                    declare(
                        &mut scope.types,
                        diags,
                        "type",
                        &c.name,
                        TypeRef::Contract(cid),
                    );
                    let info = declare_contract(&mut t, m, cid, c, diags);
                    t.contracts.push(info);
                }
                ast::Item::Struct(s) => {
                    let sid = StructId(t.structs.len() as u32);
                    declare(
                        &mut scope.types,
                        diags,
                        "type",
                        &s.name,
                        TypeRef::Struct(sid),
                    );
                    t.structs.push(Decl {
                        module: m,
                        contract: None,
                        decl: s.clone(),
                    });
                }
                ast::Item::Const(k) => {
                    let kid = ConstId(t.consts.len() as u32);
                    declare(&mut scope.consts, diags, "constant", &k.name, kid);
                    t.consts.push(Decl {
                        module: m,
                        contract: None,
                        decl: k.clone(),
                    });
                }
                ast::Item::Fn(f) => {
                    let fid = FnId(t.fns.len() as u32);
                    declare(&mut scope.fns, diags, "function", &f.name, FnRef::Fn(fid));
                    t.fns.push(Decl {
                        module: m,
                        contract: None,
                        decl: f.clone(),
                    });
                }
            }
        }
        t.modules.push(scope);
    }
    // Imports see only the imported module's own declarations (no re-exports).
    let own = t.modules.clone();
    for (m, module) in modules.iter().enumerate() {
        for (u, resolved) in &module.uses {
            let Some(target) = resolved else {
                let failed = &mut t.modules[m].failed_imports;
                failed.extend(u.names.iter().map(|n| n.name.clone()));
                continue;
            };
            for name in &u.names {
                if !import(&mut t.modules[m], &own, *target, u, name, diags) {
                    t.modules[m].failed_imports.insert(name.name.clone());
                }
            }
        }
    }
    t
}

fn import(
    scope: &mut ModuleScope,
    own: &[ModuleScope],
    target: ModuleRef,
    u: &ast::UseDecl,
    name: &ast::Ident,
    diags: &mut Diagnostics,
) -> bool {
    let module_name = u
        .path
        .iter()
        .map(|p| p.name.as_str())
        .collect::<Vec<_>>()
        .join("::");
    let mut found = false;
    match target {
        ModuleRef::Math => {
            if let Some(i) = math_intrinsic(&name.name) {
                found = true;
                declare_import(&mut scope.fns, diags, name, FnRef::Intrinsic(i));
            }
        }
        ModuleRef::Module(j) => {
            let src = &own[j];
            if let Some(&(v, _)) = src.types.get(&name.name) {
                found = true;
                declare_import(&mut scope.types, diags, name, v);
            }
            if let Some(&(v, _)) = src.consts.get(&name.name) {
                found = true;
                declare_import(&mut scope.consts, diags, name, v);
            }
            if let Some(&(v, _)) = src.fns.get(&name.name) {
                found = true;
                declare_import(&mut scope.fns, diags, name, v);
            }
        }
    }
    if !found {
        let available: Vec<String> = match target {
            ModuleRef::Math => braid_stdlib::MATH_INTRINSICS
                .iter()
                .map(|s| format!("`{s}`"))
                .collect(),
            ModuleRef::Module(j) => {
                let src = &own[j];
                let mut names: Vec<String> = src
                    .types
                    .keys()
                    .chain(src.consts.keys())
                    .chain(src.fns.keys())
                    .map(|s| format!("`{s}`"))
                    .collect();
                names.sort();
                names.dedup();
                names
            }
        };
        let mut d = Diagnostic::new(
            Code::UnknownImport,
            name.span,
            format!("module `{module_name}` has no item `{}`", name.name),
        )
        .with_label("not declared in that module");
        let similar = similar_name_help(
            &name.name,
            available
                .iter()
                .map(|a| (NameKind::Item, a.trim_matches('`'))),
        );
        if let Some(help) = similar {
            d = d.with_help(help);
        }
        if !available.is_empty() {
            d = d.with_note(format!("`{module_name}` declares {}", available.join(", ")));
        }
        diags.push(d);
    }
    found
}

fn declare_import<V: Copy + PartialEq>(
    map: &mut BTreeMap<String, (V, Span)>,
    diags: &mut Diagnostics,
    name: &ast::Ident,
    value: V,
) {
    match map.get(&name.name) {
        // Importing the same item twice is harmless.
        Some(&(v, _)) if v == value => {}
        Some(&(_, first)) => duplicate(diags, "name", name, first),
        None => {
            map.insert(name.name.clone(), (value, name.span));
        }
    }
}

fn declare_contract(
    t: &mut Tables,
    m: usize,
    cid: ContractId,
    c: &ast::ContractDecl,
    diags: &mut Diagnostics,
) -> ContractInfo {
    let mut storage = Vec::new();
    let mut storage_names: BTreeMap<String, (FieldId, Span)> = BTreeMap::new();
    let mut events = Vec::new();
    let mut event_names: BTreeMap<String, (EventId, Span)> = BTreeMap::new();
    let mut fn_names: BTreeMap<String, (FnId, Span)> = BTreeMap::new();
    let mut struct_names: BTreeMap<String, (StructId, Span)> = BTreeMap::new();
    let mut const_names: BTreeMap<String, (ConstId, Span)> = BTreeMap::new();
    let mut init: Option<(FnId, Span)> = None;
    let mut functions = Vec::new();
    for member in &c.members {
        match member {
            ast::Member::Storage(s) => {
                for f in &s.fields {
                    let id = FieldId(storage.len() as u32);
                    if let Some(&(_, first)) = storage_names.get(&f.name.name) {
                        duplicate(diags, "storage field", &f.name, first);
                        continue;
                    }
                    storage_names.insert(f.name.name.clone(), (id, f.name.span));
                    storage.push(f.clone());
                }
            }
            ast::Member::Event(e) => {
                let id = EventId(events.len() as u32);
                if let Some(&(_, first)) = event_names.get(&e.name.name) {
                    duplicate(diags, "event", &e.name, first);
                    continue;
                }
                event_names.insert(e.name.name.clone(), (id, e.name.span));
                events.push(e.clone());
            }
            ast::Member::Struct(s) => {
                let sid = StructId(t.structs.len() as u32);
                declare(&mut struct_names, diags, "struct", &s.name, sid);
                t.structs.push(Decl {
                    module: m,
                    contract: Some(cid),
                    decl: s.clone(),
                });
            }
            ast::Member::Const(k) => {
                let kid = ConstId(t.consts.len() as u32);
                declare(&mut const_names, diags, "constant", &k.name, kid);
                t.consts.push(Decl {
                    module: m,
                    contract: Some(cid),
                    decl: k.clone(),
                });
            }
            ast::Member::Fn(f) => {
                let fid = FnId(t.fns.len() as u32);
                if f.kind == ast::FnKind::Init {
                    if let Some((_, first)) = init {
                        diags.push(
                            Diagnostic::new(
                                Code::Duplicate,
                                f.name.span,
                                format!("contract `{}` declares `init` twice", c.name.name),
                            )
                            .with_label("second constructor")
                            .with_secondary(first, "first declared here"),
                        );
                        continue;
                    }
                    init = Some((fid, f.name.span));
                } else {
                    if let Some(&(_, first)) = fn_names.get(&f.name.name) {
                        duplicate(diags, "function", &f.name, first);
                        continue;
                    }
                    fn_names.insert(f.name.name.clone(), (fid, f.name.span));
                    functions.push(fid);
                }
                t.fns.push(Decl {
                    module: m,
                    contract: Some(cid),
                    decl: f.clone(),
                });
            }
        }
    }
    fn ids<V: Copy>(m: BTreeMap<String, (V, Span)>) -> BTreeMap<String, V> {
        m.into_iter().map(|(k, (v, _))| (k, v)).collect()
    }
    ContractInfo {
        name: c.name.clone(),
        module: m,
        storage,
        storage_names: ids(storage_names),
        events,
        event_names: ids(event_names),
        init: init.map(|(f, _)| f),
        functions,
        fn_names: ids(fn_names),
        struct_names: ids(struct_names),
        const_names: ids(const_names),
    }
}
