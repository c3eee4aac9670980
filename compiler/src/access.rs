//! The access check (language spec §4): every function's body against its `reads`,
//! `writes` and `calls` annotations, and every entry function's expanded access summary.
//!
//! ## How it works
//! 1. [`walk`] each body once: every storage access, internal call and external call,
//!    with keys, targets and arguments as [`WordExpr`]s over the function's own argument
//!    words where they are pure paths (parameters and their fields, `caller`, `self`,
//!    constants, tuples, `self[k]`, and immutable `let`s bound to those).
//! 2. [`function::analyze`] each function: own-contract accesses (direct, and internal
//!    callees' *declared* patterns instantiated with the call's arguments) must be covered
//!    by `reads`/`writes`; external calls (and the external calls of internal callees)
//!    must be listed in `calls`; the callee's *expanded* summary is instantiated at the
//!    call site (`self` = target, `caller` = our `self` or `self[k]`, parameters =
//!    arguments) and joins ours under that `calls` entry.
//! 3. Because a summary needs its callees' summaries, functions are analysed callees
//!    first, and the whole program is re-analysed until no summary changes (a fixpoint,
//!    for recursive and mutually recursive calls). Summaries only grow, so this ends
//!    unless a recursion builds ever-new keys (`f(self[k])` calling `f`): then E0506.
//!
//! 4. In a program with type errors ([`check_partial`]) the functions with errors are
//!    skipped, and their callers neither need anything from them nor hear that a
//!    pattern is unneeded. What a checked function's annotations miss is its error, and
//!    its callers count it as needed without reporting it again ([`Expanded::missing`]).
//!
//! Keys are compared as words, so `balances[k]` after `let k = to;` is `balances[to]`.
//! A key that is not a pure path needs `m[*]`; an external callee's key that depends on
//! an impure argument is an error (another contract's map cannot be named whole from
//! here). Diagnostics: E0501–E0506, W0501 (an unneeded or over-strong pattern), W0502.

pub(crate) mod contention;
mod coverage;
mod function;
mod layout;
mod render;
mod walk;

#[cfg(test)]
mod tests;

use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::hir;
use crate::span::Span;
use braid_bytecode::{AccessPattern, WordExpr};
use std::collections::{BTreeMap, BTreeSet};

pub(crate) use render::{Names, access as render_access, type_name};

/// The most patterns one `calls` entry may collect (a guard against summaries that
/// blow up through recursion).
pub(crate) const MAX_PATTERNS: usize = 1024;

/// How many times the program is re-analysed before a recursion is declared divergent.
const MAX_PASSES: usize = 16;

/// The expanded access summaries of a program's entry functions.
#[derive(Clone, Debug, Default)]
pub struct Summaries {
    /// For every `init`, `pub fn` and `pub view fn` of every contract: its access
    /// summary with callees expanded, over its own argument words, in a stable order
    /// (its own patterns as declared, then each `calls` entry's in declaration order).
    pub by_fn: BTreeMap<hir::FnId, Vec<AccessPattern>>,
}

/// A function's summary, kept by `calls` entry while the program is analysed.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Expanded {
    /// Its own declared patterns, over its contract (`SelfAddr`).
    pub own: Vec<AccessPattern>,
    /// One per `calls` entry, in declaration order.
    pub calls: Vec<ExpandedCall>,
    /// The own-contract accesses of the body (its callees' included) that its
    /// annotations miss: each is an error reported in this function, and its callers
    /// count them as needed (so that they are not told to remove a pattern the fix of
    /// this function makes necessary), without reporting them again.
    pub missing: Vec<coverage::Missing>,
}

/// The accesses reached through one `calls` entry.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ExpandedCall {
    /// The target's word (`None` when the declared target is not a pure path).
    pub target: Option<WordExpr>,
    /// The callee.
    pub func: hir::FnId,
    /// Where the entry is written.
    pub span: Span,
    /// Whether any call (direct or through an internal callee) uses the entry.
    pub used: bool,
    /// Whether [`MAX_PATTERNS`] cut the patterns short.
    pub truncated: bool,
    /// The callees' patterns, instantiated, deduplicated, in call order.
    pub patterns: Vec<AccessPattern>,
}

impl Expanded {
    /// The flat summary: own patterns, then each entry's.
    fn flatten(&self) -> Vec<AccessPattern> {
        let mut out = Vec::new();
        for p in self
            .own
            .iter()
            .chain(self.calls.iter().flat_map(|c| c.patterns.iter()))
        {
            layout::push_pattern(&mut out, p.clone());
        }
        out
    }
}

/// Checks every function of `program` against its annotations (diagnostics into
/// `diags`) and returns the expanded summaries of every contract's entry functions.
pub fn check(program: &hir::Program, diags: &mut Diagnostics) -> Summaries {
    check_partial(program, &BTreeSet::new(), diags)
}

/// [`check`] for a program with type errors: the functions in `with_errors` are not
/// checked, and nothing is concluded from them. Their callers need nothing from them
/// (their annotations may be wrong or incomplete) and so get no "unneeded annotation"
/// warning either; their summaries stay empty.
pub fn check_partial(
    program: &hir::Program,
    with_errors: &BTreeSet<hir::FnId>,
    diags: &mut Diagnostics,
) -> Summaries {
    let bodies: Vec<walk::Body> = program
        .functions
        .iter()
        .enumerate()
        .map(|(i, f)| {
            if with_errors.contains(&hir::FnId(i as u32)) {
                walk::Body::default()
            } else {
                walk::walk(program, f)
            }
        })
        .collect();
    let order = callees_first(program, &bodies);
    let mut expanded: Vec<Expanded> = vec![Expanded::default(); program.functions.len()];
    let mut found: Vec<Vec<Diagnostic>> = vec![Vec::new(); program.functions.len()];
    // Whether a function's summary changed in the last pass (a recursion that keeps
    // reaching new keys changes it forever), and whether anything did (the accesses
    // its callees miss also travel to callers, but never make a summary diverge).
    let mut changed: Vec<bool> = vec![true; program.functions.len()];
    let mut any_changed = true;
    for _ in 0..MAX_PASSES {
        if !any_changed {
            break;
        }
        any_changed = false;
        changed.iter_mut().for_each(|c| *c = false);
        for &id in &order {
            if with_errors.contains(&id) {
                continue;
            }
            let ctx = function::Ctx {
                program,
                bodies: &bodies,
                expanded: &expanded,
                with_errors,
            };
            let (e, d) = function::analyze(&ctx, id);
            let i = id.0 as usize;
            if e != expanded[i] {
                any_changed = true;
                changed[i] = e.own != expanded[i].own || e.calls != expanded[i].calls;
                expanded[i] = e;
            }
            found[i] = d;
        }
    }
    let divergent: Vec<bool> = (0..program.functions.len())
        .map(|i| changed[i] || expanded[i].calls.iter().any(|c| c.truncated))
        .collect();
    // Report the recursive functions themselves; their callers diverge only through them.
    let any_recursive = (0..divergent.len()).any(|i| divergent[i] && calls_itself(&bodies, i));
    for (i, f) in program.functions.iter().enumerate() {
        diags.extend(std::mem::take(&mut found[i]));
        if divergent[i] && (!any_recursive || calls_itself(&bodies, i)) {
            diags.push(
                Diagnostic::new(
                    Code::RecursiveAccess,
                    f.span,
                    format!("the access summary of `{}` grows without bound", f.name),
                )
                .with_label("its recursive calls keep reaching new keys")
                .with_note("a recursive call passes a new key (such as `self[k]`) each time round")
                .with_help("pass the same pure arguments to the recursive call, or restructure it as a loop"),
            );
        }
    }
    contention::lint(program, with_errors, diags);
    let mut summaries = Summaries::default();
    for (i, f) in program.functions.iter().enumerate() {
        let entry = matches!(
            f.kind,
            crate::ast::FnKind::Init | crate::ast::FnKind::Pub | crate::ast::FnKind::PubView
        );
        if entry && f.contract.is_some() {
            summaries
                .by_fn
                .insert(hir::FnId(i as u32), expanded[i].flatten());
        }
    }
    summaries
}

/// Whether function `start` can reach itself through calls.
fn calls_itself(bodies: &[walk::Body], start: usize) -> bool {
    let mut seen = vec![false; bodies.len()];
    let mut stack: Vec<usize> = match bodies.get(start) {
        Some(b) => b.callees().map(|c| c.0 as usize).collect(),
        None => return false,
    };
    while let Some(n) = stack.pop() {
        if n == start {
            return true;
        }
        if n >= bodies.len() || seen[n] {
            continue;
        }
        seen[n] = true;
        stack.extend(bodies[n].callees().map(|c| c.0 as usize));
    }
    false
}

/// Every function, each after the functions it calls (except around cycles): a
/// post-order of the call graph, iterative so no program can overflow the stack.
fn callees_first(program: &hir::Program, bodies: &[walk::Body]) -> Vec<hir::FnId> {
    let n = program.functions.len();
    let edges: Vec<Vec<usize>> = bodies
        .iter()
        .map(|b| {
            b.callees()
                .map(|c| c.0 as usize)
                .filter(|&c| c < n)
                .collect()
        })
        .collect();
    let mut visited = vec![false; n];
    let mut order = Vec::with_capacity(n);
    for root in 0..n {
        if visited[root] {
            continue;
        }
        visited[root] = true;
        let mut stack = vec![(root, 0usize)];
        while let Some((node, next)) = stack.last_mut() {
            let node = *node;
            if let Some(&callee) = edges[node].get(*next) {
                *next += 1;
                if !visited[callee] {
                    visited[callee] = true;
                    stack.push((callee, 0));
                }
            } else {
                stack.pop();
                order.push(hir::FnId(node as u32));
            }
        }
    }
    order
}
