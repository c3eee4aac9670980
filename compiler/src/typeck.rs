//! Type checking: the AST of the root file and of every module it imports becomes one
//! [`hir::Program`].
//!
//! The work is in phases, each over the whole program so that declarations may appear
//! in any order: structs' field types (recursive structs are E0419), contracts'
//! storage and events, function signatures, constants (folded at compile time with
//! exact checked arithmetic, [`crate::consteval`]), then every function's access
//! annotations ([`annotations`]) and body ([`expr`], [`ops`], [`call`], [`stmt`],
//! [`place`]), in rounds while `let x = 0;` locals learn their type ([`infer`]).
//!
//! Every error is reported and checking goes on: an expression with an error has type
//! [`Ty::Error`], which every check accepts, so one mistake gives one diagnostic.
//!
//! Decisions (see the book's language tour):
//! - a contract value converts to `address` only with `as address`, and an `address`
//!   to a contract type with `as Token`; both are free (no HIR `Cast` node);
//! - `==`/`!=` compare bools, integers, addresses and contract values of one type;
//!   tuples and structs are compared field by field by the user (E0401);
//! - `<`/`<=`/`>`/`>=` compare integers and addresses;
//! - the right operand of `<<`/`>>` and the exponent of `**` may be any integer type;
//! - an operation whose operands are both literals is folded, so `255u8 + 1` is a
//!   compile-time error (E0409) rather than a run-time panic;
//! - `&`, `|`, `^` also work on bools (no short circuit); `!` is logical on bools and
//!   bitwise on integers;
//! - map keys and sub-account keys are integers, addresses, contract values, or
//!   tuples of those;
//! - internal calls may name any function of the contract, `pub` ones included;
//!   external calls only `pub` ones (never `init`);
//! - a `let` cannot bind `()`; `let _ = e;` evaluates and drops;
//! - a function whose parameters and locals flatten to more than
//!   [`MAX_LOCAL_WORDS`] words is E0601.

pub mod annotations;
pub mod call;
pub mod decls;
pub mod expr;
pub mod infer;
mod locals;
pub mod ops;
pub mod place;
pub mod stmt;
pub mod suggest;
#[cfg(test)]
mod tests;

use crate::ast::{self, IntTy};
use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::hir::{self, ContractId, FnId, LocalId, Ty};
use crate::resolve::tables::{self, ConstId, Tables, TypeRef};
use crate::resolve::{self, ModuleLoader};
use crate::source::SourceMap;
use crate::span::{FileId, Span};
use ruint::aliases::U256;
use std::collections::{BTreeMap, BTreeSet};

/// The typed program, and which of its functions cannot be trusted because of errors.
#[derive(Clone, Debug, Default)]
pub struct Checked {
    /// The typed program (complete enough to check and print even when there are errors).
    pub program: hir::Program,
    /// The functions with an error in their signature, annotations or body, or in their
    /// contract's storage or events: later passes skip them (and do not judge other
    /// functions by them) so that one mistake is not reported again as another.
    pub with_errors: BTreeSet<FnId>,
}

/// Checks the program rooted at `root_ast` (file `root`), loading its imports through
/// `loader` (new files are added to `sources`), and returns the typed program.
///
/// Errors are pushed to `diags`; the program is complete enough to print even when
/// there are errors, but only an error-free program may be lowered. The functions an
/// error makes untrustworthy are listed in [`Checked::with_errors`], so that the access
/// check can still run on the others.
pub fn check(
    sources: &mut SourceMap,
    root: FileId,
    root_ast: &ast::SourceFile,
    loader: &dyn ModuleLoader,
    diags: &mut Diagnostics,
) -> Checked {
    let modules = resolve::load_program(sources, root, root_ast, loader, diags);
    let tables = tables::build(&modules, diags);
    let mut ck = Checker::new(tables, diags);
    ck.check_structs();
    ck.check_contracts();
    ck.check_signatures();
    ck.check_consts();
    ck.root = Some(root);
    ck.check_bodies();
    ck.check_unused_functions(root);
    let mut program = ck.program;
    program.roots = program
        .contracts
        .iter()
        .enumerate()
        .filter(|(_, c)| c.file == root)
        .map(|(i, _)| ContractId(i as u32))
        .collect();
    Checked {
        program,
        with_errors: ck.with_errors,
    }
}

/// The pure path an expression denotes, if it is one (spec §4): parameters of the
/// function (`locals[..n_params]`) projected through fields, `caller`, `self`,
/// constants, tuples of those and `self[pure]`. Conversions between `address` and
/// contract types are transparent (they leave no HIR node).
pub fn pure_path(e: &hir::Expr, n_params: u32) -> Option<hir::Pure> {
    match &e.kind {
        hir::ExprKind::Local(id) if id.0 < n_params => Some(hir::Pure::Param(*id, Vec::new())),
        hir::ExprKind::Field(inner, i) => match pure_path(inner, n_params)? {
            hir::Pure::Param(id, mut path) => {
                path.push(*i);
                Some(hir::Pure::Param(id, path))
            }
            _ => None,
        },
        hir::ExprKind::Lit(v) => Some(hir::Pure::Const(*v)),
        hir::ExprKind::Caller => Some(hir::Pure::Caller),
        hir::ExprKind::SelfAddr => Some(hir::Pure::SelfAddr),
        hir::ExprKind::Tuple(es) if !es.is_empty() => es
            .iter()
            .map(|x| pure_path(x, n_params))
            .collect::<Option<Vec<_>>>()
            .map(hir::Pure::Tuple),
        hir::ExprKind::SubAccount(k) => Some(hir::Pure::Sub(Box::new(pure_path(k, n_params)?))),
        _ => None,
    }
}

/// The most words of parameters and locals one function may have: registers are
/// 16-bit, and lowering needs a few more for temporaries.
pub const MAX_LOCAL_WORDS: u64 = 60_000;

/// Where names are looked up: a module and, inside a contract, that contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Scope {
    /// The module (index in [`Tables::modules`]).
    pub module: usize,
    /// The contract, for its members.
    pub contract: Option<ContractId>,
}

/// A function's signature.
#[derive(Clone, Debug)]
pub(crate) struct Sig {
    /// Parameter names and types.
    pub params: Vec<(String, Ty)>,
    /// The return type (`Unit` when none).
    pub ret: Ty,
}

/// The evaluation state of a constant.
#[derive(Clone, Debug)]
enum ConstState {
    Todo,
    InProgress,
    Done(Ty, Option<U256>),
}

/// The state of checking one function body (or one constant's value).
#[derive(Clone, Debug)]
pub(crate) struct FnCx {
    /// Where names are looked up.
    pub scope: Scope,
    /// Parameters then locals.
    pub locals: Vec<hir::Local>,
    /// Number of parameters.
    pub n_params: u32,
    /// Block scopes, innermost last.
    pub scopes: Vec<Vec<(String, LocalId)>>,
    /// How many loops enclose the current point.
    pub loop_depth: u32,
    /// The `for` loop variables bound so far (immutable, and not fixed by `let mut`).
    pub loop_vars: BTreeSet<LocalId>,
    /// The return type.
    pub ret: Ty,
    /// Locals bound by `let x = <literal>` whose type is not known yet (see [`infer`]).
    pub pending: BTreeSet<LocalId>,
    /// Types learnt for pending locals this round.
    pub learnt: BTreeMap<LocalId, Ty>,
    /// Types learnt in earlier rounds, by the span of the local's name.
    pub resolved: BTreeMap<Span, Ty>,
    /// The functions this body calls (for the unused-function warning, W0402).
    pub callees: BTreeSet<FnId>,
    /// Where each local is named in the body: `(span, assigned)`, `assigned` when the
    /// name is the target of an assignment. For the unused-local warning (W0401) and
    /// the storage-name clash (E0420).
    pub uses: BTreeMap<LocalId, Vec<(Span, bool)>>,
}

impl FnCx {
    pub(crate) fn new(scope: Scope, ret: Ty) -> FnCx {
        FnCx {
            scope,
            locals: Vec::new(),
            n_params: 0,
            scopes: vec![Vec::new()],
            loop_depth: 0,
            loop_vars: BTreeSet::new(),
            ret,
            pending: BTreeSet::new(),
            learnt: BTreeMap::new(),
            resolved: BTreeMap::new(),
            uses: BTreeMap::new(),
            callees: BTreeSet::new(),
        }
    }

    /// Records that `id` is named at `span` (as an assignment target when `assigned`).
    pub(crate) fn note_use(&mut self, id: LocalId, span: Span, assigned: bool) {
        self.uses.entry(id).or_default().push((span, assigned));
    }

    /// Binds a new local in the innermost scope.
    pub(crate) fn bind(&mut self, name: &ast::Ident, ty: Ty, mutable: bool) -> LocalId {
        let id = LocalId(self.locals.len() as u32);
        self.locals.push(hir::Local {
            name: name.name.clone(),
            ty,
            mutable,
            span: name.span,
        });
        if name.name != "_"
            && let Some(s) = self.scopes.last_mut()
        {
            s.push((name.name.clone(), id));
        }
        id
    }

    /// The innermost local named `name`.
    pub(crate) fn lookup(&self, name: &str) -> Option<LocalId> {
        self.scopes
            .iter()
            .rev()
            .flat_map(|s| s.iter().rev())
            .find(|(n, _)| n == name)
            .map(|(_, id)| *id)
    }
}

/// The checker: the tables, the program being built and the diagnostics.
pub(crate) struct Checker<'d> {
    /// The name tables.
    pub t: Tables,
    /// Where errors go.
    pub diags: &'d mut Diagnostics,
    /// The program built so far (structs and contracts before any body).
    pub program: hir::Program,
    /// Signatures by [`FnId`].
    pub sigs: Vec<Sig>,
    consts: Vec<ConstState>,
    /// How many constant evaluations are in progress (nested).
    const_depth: u32,
    /// Words of each struct, by [`hir::StructId`].
    struct_words: Vec<u64>,
    /// Diagnostics of the current round of checking a function.
    pub(crate) held: Option<Vec<Diagnostic>>,
    /// The functions with errors so far (see [`Checked::with_errors`]).
    with_errors: BTreeSet<FnId>,
    /// Errors not reported because they only repeat a failed `use` (see
    /// [`Checker::err_or_failed_import`]); they still mark what they are in as broken.
    silent_errors: usize,
    /// The functions some other function calls (W0402).
    called: BTreeSet<FnId>,
    /// The file being compiled: the unused-name lints (W0401, W0402) are about it,
    /// not about the modules it imports.
    root: Option<FileId>,
}

impl<'d> Checker<'d> {
    fn new(t: Tables, diags: &'d mut Diagnostics) -> Checker<'d> {
        let consts = vec![ConstState::Todo; t.consts.len()];
        Checker {
            t,
            diags,
            program: hir::Program::default(),
            sigs: Vec::new(),
            consts,
            const_depth: 0,
            struct_words: Vec::new(),
            held: None,
            called: BTreeSet::new(),
            root: None,
            with_errors: BTreeSet::new(),
            silent_errors: 0,
        }
    }

    /// Errors so far, reported or silent: compare two marks to learn whether
    /// checking something found an error.
    pub(crate) fn error_mark(&self) -> usize {
        self.diags.error_count() + self.silent_errors
    }

    /// Reports E0302 for `name`, a `what` declared again among `declared` (the first
    /// one of that name in `declared` is labelled as the first declaration).
    pub(crate) fn report_duplicate<'a>(
        &mut self,
        what: &str,
        name: &ast::Ident,
        mut declared: impl Iterator<Item = &'a ast::Ident>,
    ) {
        let first = declared
            .find(|d| d.name == name.name)
            .map_or(name.span, |d| d.span);
        self.err(tables::duplicate_diagnostic(what, name, first));
    }

    /// Records `d` about an unknown `name`, unless `name` comes from a `use` that
    /// already failed (module not found, or the name not in it): that error was
    /// reported once at the `use`, and each use of the name would only repeat it.
    pub(crate) fn err_or_failed_import(&mut self, scope: Scope, name: &str, d: Diagnostic) {
        if self.t.modules[scope.module].failed_imports.contains(name) {
            self.silent_errors += 1;
        } else {
            self.err(d);
        }
    }

    /// Records a diagnostic (held back while a function is being checked, see
    /// [`infer`]).
    pub(crate) fn err(&mut self, d: Diagnostic) {
        match &mut self.held {
            Some(held) => held.push(d),
            None => self.diags.push(d),
        }
    }

    // ----- types -----

    /// The type named by `t` in `scope`. `map` is rejected here (E0406): storage
    /// fields handle their top-level map themselves.
    pub(crate) fn resolve_ty(&mut self, scope: Scope, t: &ast::TypeExpr) -> Ty {
        match t {
            ast::TypeExpr::Named(id) => {
                if let Some(i) = IntTy::from_name(&id.name) {
                    return Ty::Int(i);
                }
                match id.name.as_str() {
                    "bool" => return Ty::Bool,
                    "address" => return Ty::Address,
                    _ => {}
                }
                match self.lookup_type(scope, &id.name) {
                    Some(TypeRef::Contract(c)) => Ty::Contract(c),
                    Some(TypeRef::Struct(s)) => Ty::Struct(s),
                    None => {
                        let help = unsupported_type_help(&id.name).map(str::to_owned).or_else(|| self.similar_type_help(scope, &id.name)).unwrap_or_else(|| {
                            "the types are bool, u8, u64, u128, u256, address, tuples, and the structs and contracts declared or imported with `use`".to_owned()
                        });
                        self.err_or_failed_import(
                            scope,
                            &id.name,
                            Diagnostic::new(
                                Code::UnknownType,
                                id.span,
                                format!("unknown type `{}`", id.name),
                            )
                            .with_label("not a type in scope")
                            .with_help(help),
                        );
                        Ty::Error
                    }
                }
            }
            ast::TypeExpr::Tuple(elems, _) => {
                let mut tys: Vec<Ty> = elems.iter().map(|e| self.resolve_ty(scope, e)).collect();
                match tys.len() {
                    0 => Ty::Unit,
                    1 => tys.pop().unwrap_or(Ty::Error),
                    _ => Ty::Tuple(tys),
                }
            }
            ast::TypeExpr::Map(_, _, span) => {
                self.err(
                    Diagnostic::new(
                        Code::MapOutsideStorage,
                        *span,
                        "`map` is only allowed as a storage field's type",
                    )
                    .with_label("a map cannot be a value")
                    .with_note(
                        "maps live in storage; read and write one entry at a time with `m[key]`",
                    ),
                );
                Ty::Error
            }
        }
    }

    /// The struct or contract named `name` in `scope`.
    pub(crate) fn lookup_type(&self, scope: Scope, name: &str) -> Option<TypeRef> {
        if let Some(c) = scope.contract
            && let Some(&s) = self.t.contracts[c.0 as usize].struct_names.get(name)
        {
            return Some(TypeRef::Struct(s));
        }
        self.t.modules[scope.module]
            .types
            .get(name)
            .map(|(r, _)| *r)
    }

    /// The constant named `name` in `scope`.
    pub(crate) fn lookup_const(&self, scope: Scope, name: &str) -> Option<ConstId> {
        if let Some(c) = scope.contract
            && let Some(&k) = self.t.contracts[c.0 as usize].const_names.get(name)
        {
            return Some(k);
        }
        self.t.modules[scope.module]
            .consts
            .get(name)
            .map(|(k, _)| *k)
    }

    /// How a type is written, for diagnostics.
    pub(crate) fn ty_name(&self, ty: &Ty) -> String {
        match ty {
            Ty::Unit => "()".to_owned(),
            Ty::Bool => "bool".to_owned(),
            Ty::Int(i) => i.name().to_owned(),
            Ty::Address => "address".to_owned(),
            Ty::Contract(c) => self
                .t
                .contracts
                .get(c.0 as usize)
                .map_or_else(|| "contract".to_owned(), |c| c.name.name.clone()),
            Ty::Struct(s) => self
                .t
                .structs
                .get(s.0 as usize)
                .map_or_else(|| "struct".to_owned(), |s| s.decl.name.name.clone()),
            Ty::Tuple(ts) => format!(
                "({})",
                ts.iter()
                    .map(|t| self.ty_name(t))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Ty::Error => "{error}".to_owned(),
        }
    }

    /// Whether `ty` may be a map key or a sub-account key: an integer, an address, a
    /// contract value, or a tuple of those.
    pub(crate) fn is_key_ty(ty: &Ty) -> bool {
        match ty {
            Ty::Int(_) | Ty::Address | Ty::Contract(_) | Ty::Error => true,
            Ty::Tuple(ts) => ts
                .iter()
                .all(|t| matches!(t, Ty::Int(_) | Ty::Address | Ty::Contract(_) | Ty::Error)),
            _ => false,
        }
    }

    /// Reports E0401 unless `found` is `want` (or either is an error).
    pub(crate) fn expect_ty(&mut self, found: &Ty, want: &Ty, span: Span) -> bool {
        if compatible(found, want) {
            return true;
        }
        let (w, f) = (self.ty_name(want), self.ty_name(found));
        let mut d = Diagnostic::new(Code::TypeMismatch, span, "mismatched types")
            .with_label(format!("expected `{w}`, found `{f}`"));
        match (found, want) {
            (Ty::Int(_), Ty::Int(_)) => d = d.with_help(format!("convert it with `as {w}`")),
            (Ty::Contract(_), Ty::Address) => {
                d = d.with_help("convert a contract value with `as address`")
            }
            (Ty::Address, Ty::Contract(_)) => {
                d = d.with_help(format!("an address becomes a `{w}` with `as {w}`"));
            }
            _ => {}
        }
        self.err(d);
        false
    }

    // ----- phases -----

    fn check_bodies(&mut self) {
        for i in 0..self.t.fns.len() {
            let f = self.check_function(FnId(i as u32));
            self.program.functions.push(f);
        }
    }

    /// Checks a function, in rounds while `let` locals learn their types.
    fn check_function(&mut self, id: FnId) -> hir::Function {
        let mut resolved = BTreeMap::new();
        let mut round = 0;
        loop {
            self.held = Some(Vec::new());
            let silent_before = self.silent_errors;
            let (f, cx) = self.check_function_round(id, resolved.clone());
            let held = self.held.take().unwrap_or_default();
            round += 1;
            if cx.learnt.is_empty() || round >= infer::MAX_ROUNDS {
                let errors_before = self.diags.error_count();
                self.diags.extend(held);
                self.check_local_words(&f);
                let has_errors =
                    self.diags.error_count() > errors_before || self.silent_errors > silent_before;
                self.check_local_names(&f, &cx, has_errors);
                self.called.extend(cx.callees.iter().filter(|&&c| c != id));
                if self.diags.error_count() > errors_before || self.silent_errors > silent_before {
                    self.with_errors.insert(id);
                }
                return f;
            }
            for (l, ty) in cx.learnt {
                resolved.insert(f.locals[l.0 as usize].span, ty);
            }
        }
    }

    /// The number of 256-bit words a value of type `ty` flattens into.
    pub(crate) fn words(&self, ty: &Ty) -> u64 {
        match ty {
            Ty::Unit | Ty::Error => 0,
            Ty::Bool | Ty::Int(_) | Ty::Address | Ty::Contract(_) => 1,
            Ty::Tuple(ts) => ts.iter().fold(0u64, |n, t| n.saturating_add(self.words(t))),
            Ty::Struct(s) => self.struct_words.get(s.0 as usize).copied().unwrap_or(0),
        }
    }

    /// E0601: the VM addresses registers with 16 bits, and every local owns its words.
    fn check_local_words(&mut self, f: &hir::Function) {
        let total = f
            .locals
            .iter()
            .fold(0u64, |n, l| n.saturating_add(self.words(&l.ty)));
        if total > MAX_LOCAL_WORDS {
            self.err(
                Diagnostic::new(
                    Code::TooManyLocals,
                    f.span,
                    format!("`{}` needs {total} words of parameters and locals", f.name),
                )
                .with_label(format!("the VM allows at most {MAX_LOCAL_WORDS}"))
                .with_help("split the function, or keep large values in storage"),
            );
        }
    }

    fn check_function_round(
        &mut self,
        id: FnId,
        resolved: BTreeMap<Span, Ty>,
    ) -> (hir::Function, FnCx) {
        let d = self.t.fns[id.0 as usize].clone();
        let sig = self.sigs[id.0 as usize].clone();
        let scope = Scope {
            module: d.module,
            contract: d.contract,
        };
        let mut cx = FnCx::new(scope, sig.ret.clone());
        cx.resolved = resolved;
        for (p, (_, ty)) in d.decl.params.iter().zip(&sig.params) {
            if cx.scopes[0].iter().any(|(n, _)| *n == p.name.name) {
                self.report_duplicate("parameter", &p.name, d.decl.params.iter().map(|q| &q.name));
            }
            cx.bind(&p.name, ty.clone(), false);
        }
        cx.n_params = cx.locals.len() as u32;
        let access = self.check_annotations(&mut cx, &d.decl);
        let body = self.fn_body(&mut cx, &d.decl);
        let f = hir::Function {
            name: d.decl.name.name.clone(),
            kind: d.decl.kind,
            contract: d.contract,
            span: d.decl.name.span,
            n_params: cx.n_params,
            locals: std::mem::take(&mut cx.locals),
            ret: sig.ret,
            access,
            body,
        };
        (f, cx)
    }
}

/// Whether a value of type `found` is accepted where `want` is expected.
pub(crate) fn compatible(found: &Ty, want: &Ty) -> bool {
    match (found, want) {
        (Ty::Error, _) | (_, Ty::Error) => true,
        (Ty::Tuple(a), Ty::Tuple(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| compatible(x, y))
        }
        _ => found == want,
    }
}

/// An expression of type `Error`, standing for one that has already been reported.
pub(crate) fn error_expr(span: Span) -> hir::Expr {
    hir::Expr {
        kind: hir::ExprKind::Lit(U256::ZERO),
        ty: Ty::Error,
        span,
    }
}

/// What to write instead of a type Braid does not have (`i128`, Solidity's `uint256`).
/// Checked before "a type with a similar name": `i128` is not a typo of `u128`, and
/// the unsigned type would not do what the author wrote.
fn unsupported_type_help(name: &str) -> Option<&'static str> {
    Some(match name {
        "i8" | "i16" | "i32" | "i64" | "i128" | "i256" | "int" | "isize" | "int256" | "int128" => {
            "Braid has no signed integers: keep a magnitude and a sign, e.g. `(u128, bool)`, or an amount offset by a constant; unsigned arithmetic reverts on underflow rather than going negative"
        }
        "uint" | "uint256" => "the 256-bit unsigned integer is `u256`",
        "uint128" => "the 128-bit unsigned integer is `u128`",
        "uint64" => "the 64-bit unsigned integer is `u64`",
        "uint8" => "the 8-bit unsigned integer is `u8`",
        "u16" | "u32" | "uint16" | "uint32" => {
            "the integer types are `u8`, `u64`, `u128` and `u256`: use `u64` (a conversion with `as` checks the range)"
        }
        "string" | "String" | "str" | "bytes" => {
            "Braid has no string values: strings appear only as `require`/`revert` messages; identify things by integers or addresses"
        }
        "Vec" | "vec" | "array" => {
            "Braid has no arrays: keep the elements in a storage map keyed by index (`map<u64, T>`) with a count field"
        }
        "Option" => "Braid has no `Option`: return a `(bool, T)` tuple, or `revert`",
        _ => return None,
    })
}
