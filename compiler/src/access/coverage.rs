//! Coverage: each own-contract access a function needs against the patterns it
//! declares (E0501, E0503 for a key that only `m[*]` can cover, E0502 for a view that
//! writes), and the warnings for patterns nothing needed (W0501).
//!
//! Each need picks the most specific covering pattern (an exact key before `m[*]`, a
//! pattern of its own kind before a `writes` covering a read), so a redundant pattern is
//! the one left unused, and a `writes` only ever used for reads is reported as such.
//!
//! A write no `writes` covers is an error, but a `reads` of its key is not unneeded:
//! the write may read too (`x += 1`), and a `reads` of exactly that key is the pattern
//! the help asks to turn into a `writes`. The accesses an internal callee's
//! annotations miss (its own errors) are needs too, that may use a pattern but are
//! never reported here: see [`Missing`].

use super::function::Analysis;
use super::layout::{Impure, pure_words};
use super::render::own_pattern;
use crate::diagnostics::{Code, Diagnostic};
use crate::hir;
use crate::span::Span;
use braid_bytecode::KeyPattern;

/// A declared `reads`/`writes` pattern, as words in its function's terms.
#[derive(Clone, Debug)]
pub(crate) struct Declared {
    /// `writes` rather than `reads`.
    pub write: bool,
    /// The field of the function's contract.
    pub field: hir::FieldId,
    /// Which keys.
    pub key: KeyPattern,
    /// Where it is written.
    pub span: Span,
}

/// The declared patterns of `f` in source order, and E0505 for a pattern whose key
/// does not fit its field (a key on a scalar, none on a map).
pub(crate) fn declared(
    program: &hir::Program,
    f: &hir::Function,
) -> (Vec<Declared>, Vec<Diagnostic>) {
    let mut out = Vec::new();
    let mut diags = Vec::new();
    let contract = f.contract.and_then(|c| program.contracts.get(c.0 as usize));
    let tagged = f
        .access
        .reads
        .iter()
        .map(|p| (false, p))
        .chain(f.access.writes.iter().map(|p| (true, p)));
    for (write, p) in tagged {
        let Some(field) = contract.and_then(|c| c.storage.get(p.field.0 as usize)) else {
            continue;
        };
        let key = match (&p.key, field.key.is_some()) {
            (hir::PatternKey::Scalar, false) => KeyPattern::Scalar,
            (hir::PatternKey::Whole, true) => KeyPattern::Whole,
            (hir::PatternKey::Key(pure), true) => match pure_words(program, f, pure) {
                Some(ws) => KeyPattern::Key(ws),
                None => continue,
            },
            (_, is_map) => {
                let (what, fix) = if is_map {
                    (
                        "a map, so the pattern needs a key",
                        format!("write `{0}[key]` or `{0}[*]`", field.name),
                    )
                } else {
                    (
                        "a scalar, so the pattern takes no key",
                        format!("write `{}`", field.name),
                    )
                };
                diags.push(
                    Diagnostic::new(
                        Code::BadPattern,
                        p.span,
                        format!("`{}` is {what}", field.name),
                    )
                    .with_label("wrong key for this field")
                    .with_secondary(field.span, "declared here")
                    .with_help(fix),
                );
                continue;
            }
        };
        out.push(Declared {
            write,
            field: p.field,
            key,
            span: p.span,
        });
    }
    out.sort_by_key(|d| (d.span.file, d.span.lo));
    (out, diags)
}

/// The key of an own-contract access the body needs.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum NeedKey {
    /// A scalar, a whole map (a callee's `m[*]`) or one pure key.
    Pattern(KeyPattern),
    /// A key that is not a pure path: only `m[*]` covers it.
    Impure(Impure),
}

/// An own-contract access a function's annotations miss, in its own terms: an error
/// in that function, and a need of its callers that is never reported in them.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Missing {
    /// A write.
    pub write: bool,
    /// A write that also reads.
    pub reads_too: bool,
    /// The field of the function's contract.
    pub field: hir::FieldId,
    /// Which key.
    pub key: NeedKey,
}

/// An own-contract access the body needs covered.
#[derive(Clone, Debug)]
pub(crate) struct Need {
    /// A write (which covers the read).
    pub write: bool,
    /// For a write: whether it also reads (a compound or partial assignment).
    pub reads_too: bool,
    /// Whether an uncovered need is reported here: `false` for the accesses an
    /// internal callee's annotations miss, which are reported in the callee.
    pub reported: bool,
    /// The field of the function's contract.
    pub field: hir::FieldId,
    /// Which key.
    pub key: NeedKey,
    /// The access or call that needs it.
    pub span: Span,
    /// For a callee's pattern: the callee and where it declares the pattern.
    pub via: Option<(hir::FnId, Span)>,
}

impl Analysis<'_> {
    /// Checks every own-contract need against the declared patterns, then warns about
    /// patterns nothing needed.
    pub(crate) fn cover(&mut self) {
        let mut used_read = vec![false; self.declared.len()];
        let mut used_write = vec![false; self.declared.len()];
        let mut uncovered: Vec<Need> = Vec::new();
        for need in std::mem::take(&mut self.needs) {
            let best = self.best_cover(&need, need.write);
            match best {
                Some(i) if need.write => used_write[i] = true,
                Some(i) => used_read[i] = true,
                None => {}
            }
            if best.is_none() && need.write {
                // An uncovered write: the `reads` that covers its read (or that the help
                // asks to change into a `writes`) is needed all the same.
                if let Some(i) = self.best_cover(&need, false)
                    && (need.reads_too || self.upgradable_read(&need) == Some(i))
                {
                    used_read[i] = true;
                }
            }
            if best.is_none() {
                self.push_missing(&need);
            }
            if !need.reported {
                continue;
            }
            if need.write && self.is_view() {
                self.view_write(&need);
            } else if best.is_none() {
                uncovered.push(need);
            }
        }
        self.report_uncovered(uncovered);
        // A callee with type errors needs unknown patterns: none is judged unneeded.
        let judge_unneeded = !self.callee_with_errors;
        for (i, d) in self.declared.iter().enumerate() {
            let text = own_pattern(&self.names, self.field(d.field), &d.key);
            let kind = if d.write { "writes" } else { "reads" };
            if d.write && self.is_view() {
                let diag = self
                    .diag(
                        Code::ViewWrites,
                        d.span,
                        format!("a `view fn` cannot declare `writes {text}`"),
                    )
                    .with_label("a view only reads")
                    .with_help(format!(
                        "declare `reads {text}`, or drop `view` if `{}` must write",
                        self.f.name
                    ));
                self.diags.push(diag);
            } else if judge_unneeded && !used_read[i] && !used_write[i] {
                let diag = self
                    .diag(
                        Code::UnusedAccess,
                        d.span,
                        format!(
                            "unneeded annotation: `{}` never needs `{kind} {text}`",
                            self.f.name
                        ),
                    )
                    .with_label("never needed")
                    .with_help(format!("remove `{text}` from `{kind}`"));
                self.diags.push(diag);
            } else if judge_unneeded && d.write && !used_write[i] {
                let diag = self
                    .diag(
                        Code::UnusedAccess,
                        d.span,
                        format!("unneeded annotation: `{}` only reads `{text}`", self.f.name),
                    )
                    .with_label("declared as a write, never written")
                    .with_note("a write conflicts with every other access to the key; a read only with writes")
                    .with_help(format!("declare `reads {text}` instead"));
                self.diags.push(diag);
            }
        }
    }

    /// The most specific declared pattern covering `need` (by a `writes` only when
    /// `write`): an exact key before `m[*]`, a pattern of the need's own kind first.
    fn best_cover(&self, need: &Need, write: bool) -> Option<usize> {
        self.declared
            .iter()
            .enumerate()
            .filter(|(_, d)| {
                d.field == need.field && (d.write || !write) && covers(&d.key, &need.key)
            })
            .min_by_key(|(i, d)| (d.key == KeyPattern::Whole, d.write != need.write, *i))
            .map(|(i, _)| i)
    }

    /// For a write: the declared `reads` of exactly its key, which a `writes` would
    /// replace.
    fn upgradable_read(&self, need: &Need) -> Option<usize> {
        let NeedKey::Pattern(key) = &need.key else {
            return None;
        };
        self.declared
            .iter()
            .position(|d| !d.write && d.field == need.field && d.key == *key)
    }

    /// Records an uncovered need for the function's callers (once, up to a bound).
    fn push_missing(&mut self, need: &Need) {
        let m = Missing {
            write: need.write,
            reads_too: need.reads_too,
            field: need.field,
            key: need.key.clone(),
        };
        if self.missing.len() < super::MAX_PATTERNS && !self.missing.contains(&m) {
            self.missing.push(m);
        }
    }

    fn need_text(&self, need: &Need) -> String {
        let key = match &need.key {
            NeedKey::Pattern(k) => k.clone(),
            NeedKey::Impure(_) => KeyPattern::Whole,
        };
        let field = self.field(need.field);
        match (&need.key, field) {
            (NeedKey::Impure(_), Some(f)) => format!("{}[…]", f.name),
            _ => own_pattern(&self.names, field, &key),
        }
    }

    fn with_via(&self, mut d: Diagnostic, need: &Need) -> Diagnostic {
        if let Some((callee, span)) = need.via {
            d = d.with_secondary(span, format!("`{}` declares this", self.short_name(callee)));
        }
        d
    }

    fn view_write(&mut self, need: &Need) {
        let text = self.need_text(need);
        let through = match need.via {
            Some((callee, _)) => format!(" (through `{}`)", self.short_name(callee)),
            None => String::new(),
        };
        let d = self
            .diag(
                Code::ViewWrites,
                need.span,
                format!("a `view fn` cannot write `{text}`{through}"),
            )
            .with_label("this writes storage")
            .with_help(format!(
                "drop `view` from `{}`, or do not write here",
                self.f.name
            ));
        let d = self.with_via(d, need);
        self.diags.push(d);
    }

    /// One diagnostic per uncovered key (per field for impure keys), at its first write
    /// (or first read), with the other accesses as secondary labels.
    fn report_uncovered(&mut self, uncovered: Vec<Need>) {
        let mut groups: Vec<Vec<Need>> = Vec::new();
        for need in uncovered {
            let same = |g: &&mut Vec<Need>| {
                g.first().is_some_and(|first| {
                    first.field == need.field
                        && match (&first.key, &need.key) {
                            (NeedKey::Impure(_), NeedKey::Impure(_)) => true,
                            (NeedKey::Pattern(a), NeedKey::Pattern(b)) => a == b,
                            _ => false,
                        }
                })
            };
            match groups.iter_mut().find(same) {
                Some(g) => g.push(need),
                None => groups.push(vec![need]),
            }
        }
        for group in groups {
            let main = group.iter().position(|n| n.write).unwrap_or(0);
            let Some(need) = group.get(main) else {
                continue;
            };
            let mut d = self.not_covered(need);
            for (i, other) in group.iter().enumerate() {
                if i != main && other.span != need.span {
                    let also = if other.write {
                        "also written here"
                    } else {
                        "also read here"
                    };
                    d = d.with_secondary(other.span, also);
                }
            }
            self.diags.push(d);
        }
    }

    fn not_covered(&self, need: &Need) -> Diagnostic {
        let kind = if need.write { "writes" } else { "reads" };
        let (what, of) = if need.write {
            ("write", "to")
        } else {
            ("read", "of")
        };
        let text = self.need_text(need);
        let through = match need.via {
            Some((callee, _)) => format!(" (through `{}`)", self.short_name(callee)),
            None => String::new(),
        };
        let d = match &need.key {
            NeedKey::Impure(why) => {
                let name = self.field(need.field).map_or("?", |f| f.name.as_str());
                let mut d = self
                    .diag(
                        Code::ImpureKey,
                        need.span,
                        format!("the key of this storage {what} {of} `{name}`{through} is not a pure path"),
                    )
                    .with_label(format!("the key depends on {}", why.why))
                    .with_note(
                        "an annotation's key is built from parameters, `caller`, `self`, constants, \
                         and tuples or fields of those, so no pattern can name this key before the \
                         transaction runs",
                    )
                    .with_help(format!(
                        "add `{kind} {name}[*]` (and say in a comment why the function touches many keys)"
                    ));
                let inside = why.span.file == need.span.file
                    && why.span.lo >= need.span.lo
                    && why.span.hi <= need.span.hi;
                if !inside && why.span != Span::default() {
                    d = d.with_secondary(why.span, "not a pure path");
                }
                d
            }
            NeedKey::Pattern(_) => {
                let d = self
                    .diag(
                        Code::AccessNotCovered,
                        need.span,
                        format!(
                            "storage {what} {of} `{text}`{through} is not covered by the annotations"
                        ),
                    )
                    .with_label(format!("this {what}s `{text}`"));
                match need.write.then(|| self.upgradable_read(need)).flatten() {
                    Some(i) => {
                        let read_span = self.declared.get(i).map_or(need.span, |r| r.span);
                        d.with_secondary(read_span, "declared as a read only")
                            .with_help(format!(
                                "change `reads {text}` to `writes {text}` (a write pattern covers reads too)"
                            ))
                    }
                    None => d.with_help(format!("add `{kind} {text}`")),
                }
            }
        };
        self.with_via(d, need)
    }
}

/// Whether a declared key covers a needed key.
fn covers(declared: &KeyPattern, need: &NeedKey) -> bool {
    match (declared, need) {
        (KeyPattern::Whole, _) => true,
        (_, NeedKey::Impure(_)) => false,
        (d, NeedKey::Pattern(n)) => d == n,
    }
}
