//! Words back to Braid text, in the terms of one function: `Param(3)` is `pool.1`,
//! four consecutive words of a tuple parameter are its name, constants are printed as
//! their key type wants (`0x…` addresses, `true`). Used by diagnostics (`help: add
//! `writes balances[to]``) and by the `--emit access` printer.

use super::layout::{element_types, word_count};
use crate::hir;
use braid_bytecode::{AccessPattern, KeyPattern, WordExpr};
use ruint::aliases::U256;

/// Types nested deeper than this are not named further (malformed programs only).
const MAX_NAME_DEPTH: usize = 64;

/// The names of a function's argument words.
pub(crate) struct Names<'a> {
    program: &'a hir::Program,
    /// One name per argument word (`pool`, `key.0`, `p.owner`).
    leaves: Vec<String>,
    /// Aggregate parameters and their aggregate parts: (first word, words, name),
    /// outermost first.
    groups: Vec<(usize, usize, String)>,
}

impl<'a> Names<'a> {
    /// The names of `f`'s parameters' words.
    pub fn of(program: &'a hir::Program, f: &hir::Function) -> Names<'a> {
        let mut names = Names {
            program,
            leaves: Vec::new(),
            groups: Vec::new(),
        };
        for p in f.locals.iter().take(f.n_params as usize) {
            names.add(&p.ty, p.name.clone(), 0);
        }
        names
    }

    fn add(&mut self, ty: &hir::Ty, name: String, depth: usize) {
        let elems = if depth < MAX_NAME_DEPTH {
            element_types(self.program, ty)
        } else {
            None
        };
        let Some(elems) = elems else {
            for _ in 0..word_count(self.program, ty) {
                self.leaves.push(name.clone());
            }
            return;
        };
        self.groups.push((
            self.leaves.len(),
            word_count(self.program, ty),
            name.clone(),
        ));
        let field_names: Option<Vec<String>> = match ty {
            hir::Ty::Struct(id) => self
                .program
                .structs
                .get(id.0 as usize)
                .map(|s| s.fields.iter().map(|(n, _)| n.clone()).collect()),
            _ => None,
        };
        for (i, t) in elems.iter().enumerate() {
            let part = field_names
                .as_ref()
                .and_then(|f| f.get(i).cloned())
                .unwrap_or_else(|| i.to_string());
            self.add(t, format!("{name}.{part}"), depth + 1);
        }
    }

    /// One word; `ty` (when known) chooses how a constant is written.
    pub fn word(&self, w: &WordExpr, ty: Option<&hir::Ty>) -> String {
        match w {
            WordExpr::Param(i) => self
                .leaves
                .get(*i as usize)
                .cloned()
                .unwrap_or_else(|| format!("arg{i}")),
            WordExpr::Caller => "caller".into(),
            WordExpr::SelfAddr => "self".into(),
            WordExpr::Const(v) => constant(*v, ty),
            WordExpr::Sub { base, key } => {
                format!("{}[{}]", self.word(base, None), self.words(key, None))
            }
        }
    }

    /// The words of one value of type `ty` (when known): a whole parameter by its name,
    /// a tuple as `(a, b)`.
    pub fn words(&self, ws: &[WordExpr], ty: Option<&hir::Ty>) -> String {
        let elems = ty.and_then(|t| element_types(self.program, t));
        if let [w] = ws
            && elems.is_none()
        {
            return self.word(w, ty);
        }
        if let Some(name) = self.group(ws) {
            return name;
        }
        let parts: Vec<String> = match elems {
            Some(elems)
                if elems
                    .iter()
                    .map(|t| word_count(self.program, t))
                    .sum::<usize>()
                    == ws.len() =>
            {
                let mut at = 0;
                elems
                    .iter()
                    .map(|t| {
                        let n = word_count(self.program, t);
                        let s = self.words(&ws[at..at + n], Some(t));
                        at += n;
                        s
                    })
                    .collect()
            }
            _ => ws.iter().map(|w| self.word(w, None)).collect(),
        };
        format!("({})", parts.join(", "))
    }

    /// The name of the aggregate parameter (or part) whose words these are, in order.
    fn group(&self, ws: &[WordExpr]) -> Option<String> {
        let WordExpr::Param(first) = ws.first()? else {
            return None;
        };
        let first = *first as usize;
        let consecutive = ws
            .iter()
            .enumerate()
            .all(|(k, w)| *w == WordExpr::Param(u16::try_from(first + k).unwrap_or(u16::MAX)));
        if !consecutive {
            return None;
        }
        self.groups
            .iter()
            .find(|(s, n, _)| *s == first && *n == ws.len())
            .map(|(_, _, name)| name.clone())
    }
}

/// A constant as Braid source for a value of type `ty`.
fn constant(v: U256, ty: Option<&hir::Ty>) -> String {
    match ty {
        Some(hir::Ty::Bool) if v <= U256::from(1u8) => {
            (if v.is_zero() { "false" } else { "true" }).into()
        }
        Some(hir::Ty::Address | hir::Ty::Contract(_)) => format!("0x{v:040x}"),
        _ => v.to_string(),
    }
}

/// A storage pattern of `f`'s own contract as written in an annotation: `fee_bps`,
/// `balances[to]`, `balances[*]`.
pub(crate) fn own_pattern(
    names: &Names,
    field: Option<&hir::StorageField>,
    key: &KeyPattern,
) -> String {
    let name = field.map_or("?", |f| f.name.as_str());
    let key_ty = field.and_then(|f| f.key.as_ref());
    match key {
        KeyPattern::Scalar => name.to_string(),
        KeyPattern::Whole => format!("{name}[*]"),
        KeyPattern::Key(ws) => format!("{name}[{}]", names.words(ws, key_ty)),
    }
}

/// A summary entry in the terms of a function of contract `own` (display name):
/// `Dex.fee_bps` for its own storage, `Token(token_in).balances[caller]` for another's.
pub(crate) fn access(
    program: &hir::Program,
    names: &Names,
    own: Option<&str>,
    p: &AccessPattern,
) -> String {
    let field = program
        .contracts
        .iter()
        .find(|c| c.name == p.contract_name)
        .and_then(|c| c.storage.get(p.field as usize));
    let key_ty = field.and_then(|f| f.key.as_ref());
    let key = match &p.key {
        KeyPattern::Scalar => String::new(),
        KeyPattern::Whole => "[*]".into(),
        KeyPattern::Key(ws) => format!("[{}]", names.words(ws, key_ty)),
    };
    let contract = if p.contract == WordExpr::SelfAddr && own == Some(p.contract_name.as_str()) {
        p.contract_name.clone()
    } else {
        format!("{}({})", p.contract_name, names.word(&p.contract, None))
    };
    format!("{contract}.{}{key}", p.field_name)
}

/// A type as written in Braid.
pub(crate) fn type_name(program: &hir::Program, ty: &hir::Ty) -> String {
    match ty {
        hir::Ty::Unit => "()".into(),
        hir::Ty::Bool => "bool".into(),
        hir::Ty::Int(t) => t.name().into(),
        hir::Ty::Address => "address".into(),
        hir::Ty::Contract(id) => program
            .contracts
            .get(id.0 as usize)
            .map_or_else(|| "?".into(), |c| c.name.clone()),
        hir::Ty::Tuple(ts) => {
            let inner: Vec<String> = ts.iter().map(|t| type_name(program, t)).collect();
            format!("({})", inner.join(", "))
        }
        hir::Ty::Struct(id) => program
            .structs
            .get(id.0 as usize)
            .map_or_else(|| "?".into(), |s| s.name.clone()),
        hir::Ty::Error => "{error}".into(),
    }
}
