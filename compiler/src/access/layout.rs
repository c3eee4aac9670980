//! Values as words: how parameters flatten into argument words, how a declared
//! [`hir::Pure`] becomes words, and the substitution that instantiates a callee's
//! summary at a call site.
//!
//! Every access key and contract address is held as [`WordExpr`]s *in the terms of one
//! function*: `WordExpr::Param(i)` is word `i` of that function's flattened parameters.
//! Two keys are the same key exactly when their words are equal, so `balances[k]` with
//! `let k = to;` and `balances[to]` agree, and a tuple parameter equals the tuple of its
//! elements.

use crate::hir;
use crate::span::Span;
use braid_bytecode::{AccessPattern, KeyPattern, WordExpr};

/// Types nested deeper than this are treated as one word (the type checker rejects
/// recursive structs; this only keeps a malformed program from overflowing the stack).
const MAX_TYPE_DEPTH: usize = 64;

/// Why a value is not a pure path: where, and a phrase naming the culprit
/// ("`x`, which is computed in the body").
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Impure {
    /// The sub-expression that is not pure.
    pub span: Span,
    /// What it is, as a noun phrase.
    pub why: String,
    /// When it is a read of a scalar storage field: the field's name and type, for a
    /// help that gives the whole idiom (a parameter checked against the field).
    pub stored: Option<(String, String)>,
}

/// One word of a value: pure, or why not.
pub(crate) type Word = Result<WordExpr, Impure>;

/// How many 256-bit words a value of type `ty` occupies.
pub(crate) fn word_count(program: &hir::Program, ty: &hir::Ty) -> usize {
    word_count_at(program, ty, 0)
}

fn word_count_at(program: &hir::Program, ty: &hir::Ty, depth: usize) -> usize {
    if depth > MAX_TYPE_DEPTH {
        return 1;
    }
    match ty {
        hir::Ty::Unit => 0,
        hir::Ty::Tuple(ts) => ts
            .iter()
            .map(|t| word_count_at(program, t, depth + 1))
            .sum(),
        hir::Ty::Struct(id) => match program.structs.get(id.0 as usize) {
            Some(s) => s
                .fields
                .iter()
                .map(|(_, t)| word_count_at(program, t, depth + 1))
                .sum(),
            None => 1,
        },
        _ => 1,
    }
}

/// The element types of an aggregate (tuple elements or struct fields), if it is one.
pub(crate) fn element_types(program: &hir::Program, ty: &hir::Ty) -> Option<Vec<hir::Ty>> {
    match ty {
        hir::Ty::Tuple(ts) => Some(ts.clone()),
        hir::Ty::Struct(id) => program
            .structs
            .get(id.0 as usize)
            .map(|s| s.fields.iter().map(|(_, t)| t.clone()).collect()),
        _ => None,
    }
}

/// Projects `ty` through element positions: the word offset within `ty` and the type
/// reached, or `None` for a position that does not exist.
pub(crate) fn project(
    program: &hir::Program,
    ty: &hir::Ty,
    path: &[u32],
) -> Option<(usize, hir::Ty)> {
    let mut offset = 0;
    let mut ty = ty.clone();
    for &pos in path {
        let elems = element_types(program, &ty)?;
        let pos = pos as usize;
        let here = elems.get(pos)?.clone();
        offset += elems[..pos]
            .iter()
            .map(|t| word_count(program, t))
            .sum::<usize>();
        ty = here;
    }
    Some((offset, ty))
}

/// The first argument word of each parameter of `f`.
pub(crate) fn param_offsets(program: &hir::Program, f: &hir::Function) -> Vec<usize> {
    let mut at = 0;
    f.locals
        .iter()
        .take(f.n_params as usize)
        .map(|l| {
            let here = at;
            at += word_count(program, &l.ty);
            here
        })
        .collect()
}

/// `WordExpr::Param` for argument word `i` (the VM indexes words with a `u16`).
pub(crate) fn param_word(i: usize) -> Option<WordExpr> {
    u16::try_from(i).ok().map(WordExpr::Param)
}

/// The words of a declared pure path in the terms of `f`, or `None` when it names
/// something that is not a parameter (the type checker reports that).
pub(crate) fn pure_words(
    program: &hir::Program,
    f: &hir::Function,
    pure: &hir::Pure,
) -> Option<Vec<WordExpr>> {
    match pure {
        hir::Pure::Param(local, path) => {
            if local.0 >= f.n_params {
                return None;
            }
            let offsets = param_offsets(program, f);
            let base = *offsets.get(local.0 as usize)?;
            let ty = &f.locals.get(local.0 as usize)?.ty;
            let (offset, sub_ty) = project(program, ty, path)?;
            (0..word_count(program, &sub_ty))
                .map(|k| param_word(base + offset + k))
                .collect()
        }
        hir::Pure::Caller => Some(vec![WordExpr::Caller]),
        hir::Pure::SelfAddr => Some(vec![WordExpr::SelfAddr]),
        hir::Pure::Const(v) => Some(vec![WordExpr::Const(*v)]),
        hir::Pure::Tuple(items) => {
            let mut words = Vec::new();
            for item in items {
                words.extend(pure_words(program, f, item)?);
            }
            Some(words)
        }
        hir::Pure::Sub(key) => Some(vec![WordExpr::Sub {
            base: Box::new(WordExpr::SelfAddr),
            key: pure_words(program, f, key)?,
        }]),
    }
}

/// What a callee's inputs are at one call site, in the caller's terms: the callee's
/// argument words, its `caller` and its `self`.
pub(crate) struct Subst {
    /// The callee's argument words.
    pub params: Vec<Word>,
    /// The callee's `caller`.
    pub caller: Word,
    /// The callee's `self`.
    pub self_addr: Word,
}

impl Subst {
    /// Rewrites a word of the callee's terms into the caller's terms.
    pub fn word(&self, w: &WordExpr) -> Word {
        match w {
            WordExpr::Param(i) => self.params.get(*i as usize).cloned().unwrap_or_else(|| {
                Err(Impure {
                    span: Span::default(),
                    why: format!("argument word {i}, which the call does not pass"),
                    stored: None,
                })
            }),
            WordExpr::Caller => self.caller.clone(),
            WordExpr::SelfAddr => self.self_addr.clone(),
            WordExpr::Const(v) => Ok(WordExpr::Const(*v)),
            WordExpr::Sub { base, key } => Ok(WordExpr::Sub {
                base: Box::new(self.word(base)?),
                key: self.words(key)?,
            }),
        }
    }

    /// Rewrites several words.
    pub fn words(&self, ws: &[WordExpr]) -> Result<Vec<WordExpr>, Impure> {
        ws.iter().map(|w| self.word(w)).collect()
    }

    /// Rewrites a whole pattern (its contract address and its key).
    pub fn pattern(&self, p: &AccessPattern) -> Result<AccessPattern, Impure> {
        let key = match &p.key {
            KeyPattern::Key(ws) => KeyPattern::Key(self.words(ws)?),
            other => other.clone(),
        };
        Ok(AccessPattern {
            write: p.write,
            contract: self.word(&p.contract)?,
            contract_name: p.contract_name.clone(),
            field: p.field,
            field_name: p.field_name.clone(),
            key,
        })
    }
}

/// Adds `p` to a summary unless it is already implied: a write implies the identical
/// read, and a whole-map pattern implies every key of that map (a write one every
/// access, a read one every read). A new pattern that implies earlier ones replaces
/// the first of them in place and drops the others, so the order stays that of first
/// appearance.
pub(crate) fn push_pattern(summary: &mut Vec<AccessPattern>, p: AccessPattern) {
    if summary.iter().any(|q| implies(q, &p)) {
        return;
    }
    let mut slot = None;
    let mut i = 0;
    while i < summary.len() {
        if implies(&p, &summary[i]) {
            if slot.is_none() {
                summary[i] = p.clone();
                slot = Some(i);
                i += 1;
            } else {
                summary.remove(i);
            }
        } else {
            i += 1;
        }
    }
    if slot.is_none() {
        summary.push(p);
    }
}

/// Whether pattern `a` covers everything pattern `b` allows.
fn implies(a: &AccessPattern, b: &AccessPattern) -> bool {
    let same_place =
        a.contract == b.contract && a.contract_name == b.contract_name && a.field == b.field;
    let key_covers = a.key == b.key || a.key == KeyPattern::Whole;
    same_place && key_covers && (a.write || !b.write)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ruint::aliases::U256;

    fn pat(write: bool, key: KeyPattern) -> AccessPattern {
        AccessPattern {
            write,
            contract: WordExpr::SelfAddr,
            contract_name: "T".into(),
            field: 2,
            field_name: "m".into(),
            key,
        }
    }

    #[test]
    fn a_write_replaces_the_identical_read_in_place() {
        let k = |i| KeyPattern::Key(vec![WordExpr::Param(i)]);
        let mut s = vec![pat(false, k(0)), pat(false, k(1))];
        push_pattern(&mut s, pat(true, k(0)));
        assert_eq!(s, vec![pat(true, k(0)), pat(false, k(1))]);
        push_pattern(&mut s, pat(false, k(1)));
        assert_eq!(s.len(), 2);
    }

    #[test]
    fn a_whole_map_write_absorbs_every_key() {
        let k = |i| KeyPattern::Key(vec![WordExpr::Param(i)]);
        let mut s = vec![pat(false, k(0)), pat(true, k(1))];
        push_pattern(&mut s, pat(true, KeyPattern::Whole));
        assert_eq!(s, vec![pat(true, KeyPattern::Whole)]);
        push_pattern(&mut s, pat(true, k(3)));
        assert_eq!(s, vec![pat(true, KeyPattern::Whole)]);
    }

    #[test]
    fn a_whole_map_read_does_not_absorb_a_write() {
        let k = KeyPattern::Key(vec![WordExpr::Const(U256::from(7u8))]);
        let mut s = vec![pat(true, k.clone())];
        push_pattern(&mut s, pat(false, KeyPattern::Whole));
        assert_eq!(s, vec![pat(true, k), pat(false, KeyPattern::Whole)]);
    }

    #[test]
    fn substitution_rewrites_sub_accounts_and_reports_impure_words() {
        let bad = Impure {
            span: Span::default(),
            why: "`x`".into(),
            stored: None,
        };
        let s = Subst {
            params: vec![Ok(WordExpr::Param(4)), Err(bad.clone())],
            caller: Ok(WordExpr::SelfAddr),
            self_addr: Ok(WordExpr::Param(1)),
        };
        let w = WordExpr::Sub {
            base: Box::new(WordExpr::SelfAddr),
            key: vec![WordExpr::Param(0), WordExpr::Caller],
        };
        assert_eq!(
            s.word(&w),
            Ok(WordExpr::Sub {
                base: Box::new(WordExpr::Param(1)),
                key: vec![WordExpr::Param(4), WordExpr::SelfAddr],
            })
        );
        assert_eq!(s.word(&WordExpr::Param(1)), Err(bad));
        assert!(s.word(&WordExpr::Param(9)).is_err());
    }
}
