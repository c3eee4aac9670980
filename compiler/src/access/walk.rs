//! The body walk: every storage access, internal call and external call of one
//! function, with its key, target and arguments as words where they are pure paths.
//!
//! Purity follows immutable `let` bindings: `let k = (caller, to);` makes `k` as pure as
//! its value, so `allowances[k]` is the key `(caller, to)`. A `let mut`, a loop variable
//! or a binding of a computed value (arithmetic, storage reads, call results, `block.*`)
//! is not pure, and a key built from it needs a whole-map pattern.

use super::layout::{Impure, Word, element_types, param_offsets, param_word, word_count};
use super::render::type_name;
use crate::hir;
use crate::span::Span;
use braid_bytecode::WordExpr;
use std::collections::BTreeMap;

/// A storage access written in the body.
#[derive(Clone, Debug)]
pub(crate) struct StorageSite {
    /// A write (assignment; compound and partial assignments read too, which a write covers).
    pub write: bool,
    /// For a write: whether it also reads the old value (a compound assignment
    /// `x += 1`, or an assignment to part of a struct or tuple value).
    pub reads_too: bool,
    /// The field.
    pub field: hir::FieldId,
    /// The map key's words (`None` for a scalar field).
    pub key: Option<Result<Vec<WordExpr>, Impure>>,
    /// The access.
    pub span: Span,
}

/// A call of an internal or library function.
#[derive(Clone, Debug)]
pub(crate) struct InternalSite {
    /// The callee.
    pub callee: hir::FnId,
    /// The argument words, flattened.
    pub args: Vec<Word>,
    /// The call.
    pub span: Span,
}

/// An external call `target.func(args) [as self[k]]`.
#[derive(Clone, Debug)]
pub(crate) struct ExternalSite {
    /// The callee.
    pub callee: hir::FnId,
    /// The target's word.
    pub target: Word,
    /// The argument words, flattened.
    pub args: Vec<Word>,
    /// The `as self[k]` key's words.
    pub as_sub: Option<Result<Vec<WordExpr>, Impure>>,
    /// The call.
    pub span: Span,
}

/// Everything in one body that touches storage, directly or through a call.
#[derive(Clone, Debug, Default)]
pub(crate) struct Body {
    /// Direct storage accesses, in evaluation order.
    pub storage: Vec<StorageSite>,
    /// Internal and library calls, in evaluation order.
    pub internal: Vec<InternalSite>,
    /// External calls, in evaluation order.
    pub external: Vec<ExternalSite>,
}

impl Body {
    /// Every function this body calls, internal or external.
    pub fn callees(&self) -> impl Iterator<Item = hir::FnId> + '_ {
        self.internal
            .iter()
            .map(|s| s.callee)
            .chain(self.external.iter().map(|s| s.callee))
    }
}

/// Walks the body of `f`.
pub(crate) fn walk(program: &hir::Program, f: &hir::Function) -> Body {
    let mut w = Walker {
        program,
        f,
        offsets: param_offsets(program, f),
        bound: BTreeMap::new(),
        loop_vars: std::collections::BTreeSet::new(),
        body: Body::default(),
    };
    w.block(&f.body);
    w.body
}

struct Walker<'a> {
    program: &'a hir::Program,
    f: &'a hir::Function,
    offsets: Vec<usize>,
    /// Immutable locals bound to pure values, by their words.
    bound: BTreeMap<hir::LocalId, Vec<WordExpr>>,
    /// `for` variables.
    loop_vars: std::collections::BTreeSet<hir::LocalId>,
    body: Body,
}

impl Walker<'_> {
    fn block(&mut self, b: &hir::Block) {
        for s in &b.stmts {
            self.stmt(s);
        }
        if let Some(t) = &b.tail {
            self.expr(t);
        }
    }

    fn stmt(&mut self, s: &hir::Stmt) {
        match &s.kind {
            hir::StmtKind::Let {
                locals,
                destructure,
                init,
            } => {
                self.expr(init);
                self.bind(locals, *destructure, init);
            }
            hir::StmtKind::Assign { place, op, value } => {
                self.expr(value);
                if let hir::PlaceBase::Storage { field, key } = &place.base {
                    if let Some(k) = key {
                        self.expr(k);
                    }
                    let key = key.as_ref().map(|k| self.words(k));
                    self.body.storage.push(StorageSite {
                        write: true,
                        reads_too: op.is_some() || !place.path.is_empty(),
                        field: *field,
                        key,
                        span: place.span,
                    });
                }
            }
            hir::StmtKind::While { cond, body } => {
                self.expr(cond);
                self.block(body);
            }
            hir::StmtKind::For {
                var,
                start,
                end,
                body,
            } => {
                self.loop_vars.insert(*var);
                self.expr(start);
                self.expr(end);
                self.block(body);
            }
            hir::StmtKind::Return(e) => {
                if let Some(e) = e {
                    self.expr(e);
                }
            }
            hir::StmtKind::Require { cond, .. } => self.expr(cond),
            hir::StmtKind::Emit { args, .. } => {
                for a in args {
                    self.expr(a);
                }
            }
            hir::StmtKind::Expr(e) => self.expr(e),
            hir::StmtKind::Break | hir::StmtKind::Continue | hir::StmtKind::Revert(_) => {}
        }
    }

    /// Records the pure value of each immutable local a `let` binds.
    fn bind(&mut self, locals: &[Option<hir::LocalId>], destructure: bool, init: &hir::Expr) {
        let Ok(words) = self.words(init) else { return };
        let parts: Vec<Vec<WordExpr>> = if destructure {
            let Some(elems) = element_types(self.program, &init.ty) else {
                return;
            };
            let mut at = 0;
            let mut parts = Vec::new();
            for t in &elems {
                let n = word_count(self.program, t);
                let Some(part) = words.get(at..at + n) else {
                    return;
                };
                parts.push(part.to_vec());
                at += n;
            }
            parts
        } else {
            vec![words]
        };
        for (local, part) in locals.iter().zip(parts) {
            let Some(local) = local else { continue };
            let mutable = self
                .f
                .locals
                .get(local.0 as usize)
                .is_none_or(|l| l.mutable);
            if !mutable {
                self.bound.insert(*local, part);
            }
        }
    }

    fn expr(&mut self, e: &hir::Expr) {
        match &e.kind {
            hir::ExprKind::Lit(_)
            | hir::ExprKind::Local(_)
            | hir::ExprKind::Caller
            | hir::ExprKind::SelfAddr
            | hir::ExprKind::BlockNumber
            | hir::ExprKind::BlockTimestamp => {}
            hir::ExprKind::SubAccount(k)
            | hir::ExprKind::Not(k)
            | hir::ExprKind::Cast(k)
            | hir::ExprKind::Field(k, _) => self.expr(k),
            hir::ExprKind::Storage { field, key } => {
                if let Some(k) = key {
                    self.expr(k);
                }
                let key = key.as_ref().map(|k| self.words(k));
                self.body.storage.push(StorageSite {
                    write: false,
                    reads_too: false,
                    field: *field,
                    key,
                    span: e.span,
                });
            }
            hir::ExprKind::Binary(_, a, b) => {
                self.expr(a);
                self.expr(b);
            }
            hir::ExprKind::Tuple(items) | hir::ExprKind::Intrinsic(_, items) => {
                for i in items {
                    self.expr(i);
                }
            }
            hir::ExprKind::Struct(_, fields) => {
                for (_, v) in fields {
                    self.expr(v);
                }
            }
            hir::ExprKind::If(cond, then, els) => {
                self.expr(cond);
                self.block(then);
                if let Some(els) = els {
                    self.expr(els);
                }
            }
            hir::ExprKind::Block(b) => self.block(b),
            hir::ExprKind::Call(callee, args) => {
                for a in args {
                    self.expr(a);
                }
                let args = self.arg_words(args);
                self.body.internal.push(InternalSite {
                    callee: *callee,
                    args,
                    span: e.span,
                });
            }
            hir::ExprKind::ExtCall {
                target,
                func,
                args,
                as_sub,
                ..
            } => {
                self.expr(target);
                for a in args {
                    self.expr(a);
                }
                if let Some(k) = as_sub {
                    self.expr(k);
                }
                let target_word = self.words(target).and_then(|ws| match ws.as_slice() {
                    [w] => Ok(w.clone()),
                    _ => Err(Impure {
                        span: target.span,
                        why: "a value that is not one address".into(),
                        stored: None,
                    }),
                });
                let args = self.arg_words(args);
                let as_sub = as_sub.as_ref().map(|k| self.words(k));
                self.body.external.push(ExternalSite {
                    callee: *func,
                    target: target_word,
                    args,
                    as_sub,
                    span: e.span,
                });
            }
        }
    }

    /// The flattened words of call arguments; every word of an impure argument carries
    /// why it is impure.
    fn arg_words(&self, args: &[hir::Expr]) -> Vec<Word> {
        let mut out = Vec::new();
        for a in args {
            match self.words(a) {
                Ok(ws) => out.extend(ws.into_iter().map(Ok)),
                Err(why) => {
                    let n = word_count(self.program, &a.ty);
                    out.extend(std::iter::repeat_n(Err(why), n));
                }
            }
        }
        out
    }

    /// The words of `e` if it is a pure path.
    fn words(&self, e: &hir::Expr) -> Result<Vec<WordExpr>, Impure> {
        let impure = |why: &str| {
            Err(Impure {
                span: e.span,
                why: why.to_string(),
                stored: None,
            })
        };
        match &e.kind {
            hir::ExprKind::Lit(v) => Ok(vec![WordExpr::Const(*v)]),
            hir::ExprKind::Caller => Ok(vec![WordExpr::Caller]),
            hir::ExprKind::SelfAddr => Ok(vec![WordExpr::SelfAddr]),
            hir::ExprKind::SubAccount(k) => Ok(vec![WordExpr::Sub {
                base: Box::new(WordExpr::SelfAddr),
                key: self.words(k)?,
            }]),
            hir::ExprKind::Local(l) => self.local_words(*l, e.span),
            hir::ExprKind::Field(inner, pos) => {
                let words = self.words(inner)?;
                let elems = element_types(self.program, &inner.ty).unwrap_or_default();
                let pos = *pos as usize;
                let at: usize = elems
                    .iter()
                    .take(pos)
                    .map(|t| word_count(self.program, t))
                    .sum();
                let n = word_count(self.program, &e.ty);
                match words.get(at..at + n) {
                    Some(part) if pos < elems.len() => Ok(part.to_vec()),
                    _ => impure("a field the value does not have"),
                }
            }
            hir::ExprKind::Tuple(items) => {
                let mut out = Vec::new();
                for i in items {
                    out.extend(self.words(i)?);
                }
                Ok(out)
            }
            hir::ExprKind::Struct(_, fields) => {
                let mut sorted: Vec<&(u32, hir::Expr)> = fields.iter().collect();
                sorted.sort_by_key(|(pos, _)| *pos);
                let mut out = Vec::new();
                for (_, v) in sorted {
                    out.extend(self.words(v)?);
                }
                Ok(out)
            }
            // A successful conversion keeps the word; a failing one reverts the transaction.
            hir::ExprKind::Cast(inner) => self.words(inner),
            hir::ExprKind::Block(b) if b.stmts.is_empty() => match &b.tail {
                Some(t) => self.words(t),
                None => Ok(Vec::new()),
            },
            hir::ExprKind::Block(_) => impure("a block with statements"),
            hir::ExprKind::BlockNumber => impure("`block.number`"),
            hir::ExprKind::BlockTimestamp => impure("`block.timestamp`"),
            hir::ExprKind::Storage { field, key: None } => {
                let stored = self.f.contract.and_then(|c| {
                    let sf = self
                        .program
                        .contracts
                        .get(c.0 as usize)?
                        .storage
                        .get(field.0 as usize)?;
                    Some((sf.name.clone(), type_name(self.program, &sf.value)))
                });
                Err(Impure {
                    span: e.span,
                    why: "a storage read".into(),
                    stored,
                })
            }
            hir::ExprKind::Storage { .. } => impure("a storage read"),
            hir::ExprKind::Binary(op, _, _) => Err(Impure {
                span: e.span,
                why: format!("a computed value (`{}`)", op.symbol()),
                stored: None,
            }),
            hir::ExprKind::Not(_) => impure("a computed value (`!`)"),
            hir::ExprKind::If(..) => impure("an `if` expression"),
            hir::ExprKind::Call(..) | hir::ExprKind::Intrinsic(..) => {
                impure("a function call's result")
            }
            hir::ExprKind::ExtCall { .. } => impure("an external call's result"),
        }
    }

    fn local_words(&self, l: hir::LocalId, span: Span) -> Result<Vec<WordExpr>, Impure> {
        if l.0 < self.f.n_params {
            let base = self.offsets.get(l.0 as usize).copied().unwrap_or(0);
            let n = self
                .f
                .locals
                .get(l.0 as usize)
                .map_or(1, |p| word_count(self.program, &p.ty));
            return (base..base + n)
                .map(|i| {
                    param_word(i).ok_or_else(|| Impure {
                        span,
                        why: "a parameter beyond the VM's argument limit".into(),
                        stored: None,
                    })
                })
                .collect();
        }
        if let Some(words) = self.bound.get(&l) {
            return Ok(words.clone());
        }
        let (name, mutable) = self
            .f
            .locals
            .get(l.0 as usize)
            .map_or(("?", false), |x| (x.name.as_str(), x.mutable));
        let why = if self.loop_vars.contains(&l) {
            format!("`{name}`, a loop variable")
        } else if mutable {
            format!("`{name}`, a `let mut` variable")
        } else {
            format!("`{name}`, which is computed in the body")
        };
        Err(Impure {
            span,
            why,
            stored: None,
        })
    }
}
