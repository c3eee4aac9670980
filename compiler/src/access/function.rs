//! The check of one function against its annotations, and its expanded summary.
//!
//! Own-contract accesses (direct ones, and those of internal callees instantiated from
//! the callees' *declared* patterns) must be covered by the function's `reads`/`writes`
//! (what a callee's annotations miss is the callee's error, but may use our patterns);
//! external calls must be listed in `calls`, and the callee's expanded summary,
//! instantiated at the call site, joins the function's summary under that entry.

use super::coverage::{Declared, Missing, Need, NeedKey, declared};
use super::layout::{Impure, Subst, pure_words, push_pattern};
use super::render::{Names, access};
use super::walk::{Body, ExternalSite, InternalSite};
use super::{Expanded, ExpandedCall, MAX_PATTERNS};
use crate::diagnostics::{Code, Diagnostic};
use crate::hir;
use crate::span::Span;
use braid_bytecode::{AccessPattern, KeyPattern, WordExpr};
use std::collections::BTreeSet;

/// What one function's check needs: the program, every body, and the current expanded
/// summaries of every function (callees included).
pub(crate) struct Ctx<'a> {
    /// The program.
    pub program: &'a hir::Program,
    /// Every function's body walk, by function index.
    pub bodies: &'a [Body],
    /// Every function's expanded summary so far, by function index.
    pub expanded: &'a [Expanded],
    /// The functions with type errors, which are not checked and tell nothing.
    pub with_errors: &'a BTreeSet<hir::FnId>,
}

/// Checks function `id` and computes its expanded summary.
pub(crate) fn analyze(ctx: &Ctx, id: hir::FnId) -> (Expanded, Vec<Diagnostic>) {
    let Some(f) = ctx.program.functions.get(id.0 as usize) else {
        return (Expanded::default(), Vec::new());
    };
    let mut a = Analysis::new(ctx, f);
    let body = ctx.bodies.get(id.0 as usize);
    if let Some(body) = body {
        for s in &body.storage {
            let key = match &s.key {
                None => NeedKey::Pattern(KeyPattern::Scalar),
                Some(Ok(ws)) => NeedKey::Pattern(KeyPattern::Key(ws.clone())),
                Some(Err(why)) => NeedKey::Impure(why.clone()),
            };
            a.needs.push(Need {
                write: s.write,
                reads_too: s.reads_too,
                reported: true,
                field: s.field,
                key,
                span: s.span,
                via: None,
            });
        }
        for site in &body.internal {
            a.internal(site);
        }
        for site in &body.external {
            a.external(site);
        }
    }
    a.cover();
    if !a.callee_with_errors {
        a.unused_calls();
    }
    let own = a.own_summary();
    (
        Expanded {
            own,
            calls: a.calls,
            missing: a.missing,
        },
        a.diags,
    )
}

/// The state of one function's check.
pub(crate) struct Analysis<'a> {
    ctx: &'a Ctx<'a>,
    /// The function.
    pub f: &'a hir::Function,
    /// Its contract (`None` for a library function).
    pub contract: Option<&'a hir::Contract>,
    /// Its argument words' names.
    pub names: Names<'a>,
    /// Its declared `reads`/`writes`.
    pub declared: Vec<Declared>,
    /// Its `calls` entries, with the patterns reached through each.
    calls: Vec<ExpandedCall>,
    /// The own-contract accesses to cover.
    pub needs: Vec<Need>,
    /// The needs no annotation covers (see [`Expanded::missing`]).
    pub missing: Vec<Missing>,
    /// Whether the function calls an internal function with type errors, whose needs
    /// are unknown (so no pattern or `calls` entry is reported unneeded).
    pub callee_with_errors: bool,
    /// What the check found.
    pub diags: Vec<Diagnostic>,
}

impl<'a> Analysis<'a> {
    fn new(ctx: &'a Ctx<'a>, f: &'a hir::Function) -> Analysis<'a> {
        let program = ctx.program;
        let (declared, diags) = declared(program, f);
        let calls = f
            .access
            .calls
            .iter()
            .map(|d| ExpandedCall {
                target: match pure_words(program, f, &d.target).as_deref() {
                    Some([w]) => Some(w.clone()),
                    _ => None,
                },
                func: d.func,
                span: d.span,
                used: false,
                truncated: false,
                patterns: Vec::new(),
            })
            .collect();
        Analysis {
            ctx,
            f,
            contract: f.contract.and_then(|c| program.contracts.get(c.0 as usize)),
            names: Names::of(program, f),
            declared,
            calls,
            needs: Vec::new(),
            missing: Vec::new(),
            callee_with_errors: false,
            diags,
        }
    }

    fn function(&self, id: hir::FnId) -> Option<&'a hir::Function> {
        self.ctx.program.functions.get(id.0 as usize)
    }

    fn expanded(&self, id: hir::FnId) -> Option<&'a Expanded> {
        self.ctx.expanded.get(id.0 as usize)
    }

    /// A storage field of the function's contract.
    pub(crate) fn field(&self, field: hir::FieldId) -> Option<&'a hir::StorageField> {
        self.contract.and_then(|c| c.storage.get(field.0 as usize))
    }

    /// Whether the function is a `view fn`.
    pub(crate) fn is_view(&self) -> bool {
        self.f.kind.is_view()
    }

    /// A diagnostic with the function's name as secondary label.
    pub(crate) fn diag(&self, code: Code, span: Span, message: String) -> Diagnostic {
        Diagnostic::new(code, span, message)
            .with_secondary(self.f.span, format!("in `{}`", self.f.name))
    }

    /// `contract.func` of a callee, for messages.
    fn callee_name(&self, id: hir::FnId) -> String {
        let Some(g) = self.function(id) else {
            return "?".into();
        };
        match g
            .contract
            .and_then(|c| self.ctx.program.contracts.get(c.0 as usize))
        {
            Some(c) => format!("{}.{}", c.name, g.name),
            None => g.name.clone(),
        }
    }

    /// An internal call: the callee's declared patterns become needs; its external
    /// calls must be among ours.
    fn internal(&mut self, site: &InternalSite) {
        let Some(g) = self.function(site.callee) else {
            return;
        };
        if self.ctx.with_errors.contains(&site.callee) {
            self.callee_with_errors = true;
            return;
        }
        let subst = Subst {
            params: site.args.clone(),
            caller: Ok(WordExpr::Caller),
            self_addr: Ok(WordExpr::SelfAddr),
        };
        if g.contract.is_some() && g.contract == self.f.contract {
            let instantiate = |key: &KeyPattern| match key {
                KeyPattern::Key(ws) => match subst.words(ws) {
                    Ok(ws) => NeedKey::Pattern(KeyPattern::Key(ws)),
                    Err(why) => NeedKey::Impure(why),
                },
                other => NeedKey::Pattern(other.clone()),
            };
            let (callee_declared, _) = declared(self.ctx.program, g);
            for d in callee_declared {
                self.needs.push(Need {
                    write: d.write,
                    reads_too: false,
                    reported: true,
                    field: d.field,
                    key: instantiate(&d.key),
                    span: site.span,
                    via: Some((site.callee, d.span)),
                });
            }
            for m in self.expanded(site.callee).map_or(&[][..], |e| &e.missing) {
                let key = match &m.key {
                    NeedKey::Pattern(k) => instantiate(k),
                    NeedKey::Impure(why) => NeedKey::Impure(why.clone()),
                };
                self.needs.push(Need {
                    write: m.write,
                    reads_too: m.reads_too,
                    reported: false,
                    field: m.field,
                    key,
                    span: site.span,
                    via: None,
                });
            }
        }
        let Some(g_expanded) = self.expanded(site.callee) else {
            return;
        };
        let g_names = Names::of(self.ctx.program, g);
        for call in g_expanded.calls.iter().filter(|c| c.used) {
            let Some(g_target) = &call.target else {
                continue;
            };
            let callee = self.callee_name(call.func);
            let target = match subst.word(g_target) {
                Ok(t) => t,
                Err(why) => {
                    let msg = format!(
                        "`{}` calls `{callee}` on this argument, which is not a pure path",
                        g.name
                    );
                    self.impure_argument(&why, site.span, msg);
                    continue;
                }
            };
            let Some(slot) = self.find_call(&target, call.func) else {
                let shown = format!(
                    "{}.{}",
                    self.names.word(&target, None),
                    self.short_name(call.func)
                );
                let d = self
                    .diag(
                        Code::CallNotDeclared,
                        site.span,
                        format!(
                            "this call to `{}` calls `{callee}`, which is not listed in `calls`",
                            g.name
                        ),
                    )
                    .with_label(format!("calls `{shown}`"))
                    .with_help(format!("add `calls {shown}`"));
                self.diags.push(d);
                continue;
            };
            self.calls[slot].used = true;
            for p in &call.patterns {
                match subst.pattern(p) {
                    Ok(q) => {
                        if q.write && self.is_view() {
                            let shown = access(self.ctx.program, &self.names, self.own_name(), &q);
                            let d = self
                                .diag(
                                    Code::ViewWrites,
                                    site.span,
                                    format!(
                                        "a `view fn` cannot write `{shown}` (through `{}`)",
                                        g.name
                                    ),
                                )
                                .with_label("this call writes");
                            self.diags.push(d);
                        }
                        self.add_call_pattern(slot, q);
                    }
                    Err(why) => {
                        let shown = access(
                            self.ctx.program,
                            &g_names,
                            g_own_name(self.ctx.program, g),
                            p,
                        );
                        let msg = format!(
                            "`{}` accesses `{shown}` with this argument, which is not a pure path",
                            g.name
                        );
                        self.impure_argument(&why, site.span, msg);
                    }
                }
            }
        }
    }

    /// An external call: it must be listed in `calls`; the callee's expanded summary is
    /// instantiated with `self` = the target, `caller` = our `self` (or `self[k]`).
    fn external(&mut self, site: &ExternalSite) {
        let callee = self.callee_name(site.callee);
        let target = match &site.target {
            Ok(t) => t.clone(),
            Err(why) => {
                let d = self
                    .diag(
                        Code::ImpureKey,
                        why.span,
                        format!("the target of this call to `{callee}` is not a pure path"),
                    )
                    .with_label(format!("this is {}", why.why))
                    .with_note(
                        "the access set is computed before the transaction runs, so a called contract \
                         must be a parameter, `caller`, `self` or a constant",
                    )
                    .with_help(pass_and_require_help(why));
                self.diags.push(d);
                return;
            }
        };
        let Some(slot) = self.find_call(&target, site.callee) else {
            let shown = format!(
                "{}.{}",
                self.names.word(&target, None),
                self.short_name(site.callee)
            );
            let d = self
                .diag(
                    Code::CallNotDeclared,
                    site.span,
                    format!("external call to `{callee}` is not listed in `calls`"),
                )
                .with_label(format!("calls `{shown}`"))
                .with_help(format!("add `calls {shown}`"));
            self.diags.push(d);
            return;
        };
        self.calls[slot].used = true;
        let caller = match &site.as_sub {
            None => Ok(WordExpr::SelfAddr),
            Some(Ok(key)) => Ok(WordExpr::Sub {
                base: Box::new(WordExpr::SelfAddr),
                key: key.clone(),
            }),
            Some(Err(why)) => Err(why.clone()),
        };
        let subst = Subst {
            params: site.args.clone(),
            caller,
            self_addr: Ok(target),
        };
        let Some(g_expanded) = self.expanded(site.callee) else {
            return;
        };
        let Some(g) = self.function(site.callee) else {
            return;
        };
        let g_names = Names::of(self.ctx.program, g);
        let mut reported_view = false;
        let patterns = g_expanded
            .own
            .iter()
            .chain(g_expanded.calls.iter().flat_map(|c| c.patterns.iter()));
        for p in patterns {
            match subst.pattern(p) {
                Ok(q) => {
                    if q.write && self.is_view() && !reported_view {
                        reported_view = true;
                        let shown = access(self.ctx.program, &self.names, self.own_name(), &q);
                        let d = self
                            .diag(
                                Code::ViewWrites,
                                site.span,
                                format!(
                                    "a `view fn` cannot call `{callee}`, which writes `{shown}`"
                                ),
                            )
                            .with_label("this call writes");
                        self.diags.push(d);
                    }
                    self.add_call_pattern(slot, q);
                }
                Err(why) => {
                    let shown = access(
                        self.ctx.program,
                        &g_names,
                        g_own_name(self.ctx.program, g),
                        p,
                    );
                    let msg = format!(
                        "`{callee}` accesses `{shown}` with this value, which is not a pure path"
                    );
                    self.impure_argument(&why, site.span, msg);
                }
            }
        }
    }

    /// E0503 for a call argument a callee's keys depend on (once per argument).
    fn impure_argument(&mut self, why: &Impure, call: Span, message: String) {
        let span = if why.span == Span::default() {
            call
        } else {
            why.span
        };
        if self
            .diags
            .iter()
            .any(|d| d.code == Code::ImpureKey && d.primary.span == span)
        {
            return;
        }
        let d = self
            .diag(Code::ImpureKey, span, message)
            .with_label(format!("this is {}", why.why))
            .with_note(
                "access sets are computed before the transaction runs: a key or contract a callee \
                 touches must come from parameters, `caller`, `self`, constants, or tuples and fields of those",
            )
            .with_help(pass_and_require_help(why));
        self.diags.push(d);
    }

    fn add_call_pattern(&mut self, slot: usize, p: AccessPattern) {
        let Some(call) = self.calls.get_mut(slot) else {
            return;
        };
        if call.patterns.len() >= MAX_PATTERNS {
            call.truncated = true;
            return;
        }
        push_pattern(&mut call.patterns, p);
    }

    /// The `calls` entry for `target.func`.
    fn find_call(&self, target: &WordExpr, func: hir::FnId) -> Option<usize> {
        self.calls
            .iter()
            .position(|c| c.func == func && c.target.as_ref() == Some(target))
    }

    /// A function's bare name.
    pub(crate) fn short_name(&self, id: hir::FnId) -> String {
        self.function(id)
            .map_or_else(|| "?".into(), |g| g.name.clone())
    }

    fn own_name(&self) -> Option<&'a str> {
        self.contract.map(|c| c.name.as_str())
    }

    /// W0502 for every `calls` entry nothing used.
    fn unused_calls(&mut self) {
        for c in &self.calls {
            if c.used || c.target.is_none() {
                continue;
            }
            let text = match &c.target {
                Some(t) => format!("{}.{}", self.names.word(t, None), self.short_name(c.func)),
                None => self.short_name(c.func),
            };
            let d = self
                .diag(
                    Code::UnusedCall,
                    c.span,
                    format!(
                        "unneeded annotation: `{}` never calls `{text}`",
                        self.f.name
                    ),
                )
                .with_label("never called")
                .with_help(format!("remove `{text}` from `calls`"));
            self.diags.push(d);
        }
    }

    /// The declared patterns as summary entries over the function's own contract.
    fn own_summary(&self) -> Vec<AccessPattern> {
        let Some(c) = self.contract else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for d in &self.declared {
            let Some(field) = c.storage.get(d.field.0 as usize) else {
                continue;
            };
            push_pattern(
                &mut out,
                AccessPattern {
                    write: d.write,
                    contract: WordExpr::SelfAddr,
                    contract_name: c.name.clone(),
                    field: u16::try_from(d.field.0).unwrap_or(u16::MAX),
                    field_name: field.name.clone(),
                    key: d.key.clone(),
                },
            );
        }
        out
    }
}

/// The display name of `g`'s contract, if any.
fn g_own_name<'p>(program: &'p hir::Program, g: &hir::Function) -> Option<&'p str> {
    g.contract
        .and_then(|c| program.contracts.get(c.0 as usize))
        .map(|c| c.name.as_str())
}

/// E0503's help: the whole idiom. Passing the value as a parameter alone would let any
/// sender choose it (whom the contract pays, which contract it calls), so the help
/// also says to `require` that the parameter equals the value the body computed.
fn pass_and_require_help(why: &Impure) -> String {
    match &why.stored {
        Some((field, ty)) => format!(
            "take it as a parameter and check it against storage: add the parameter \
             `expected_{field}: {ty}`, pass `expected_{field}` here, and begin the body with \
             `require(expected_{field} == {field}, \"wrong {field}\");` (without the \
             `require`, any sender could choose the value)"
        ),
        None => "take it as a parameter (a pure path), pass that parameter here, and \
                 `require` before the call that it equals the value computed here, as in \
                 `require(expected == value, \"…\");` (without the `require`, any sender \
                 could choose the value)"
            .to_owned(),
    }
}
