//! Property test: programs whose names are swapped at random (parameters for `caller`,
//! `self`, locals, fields, callees…) never make the access check panic, it is
//! deterministic, and whenever it accepts a program every summary is well formed: each
//! `Param` word exists in its entry function and no entry implies another.

use crate::diagnostics::Diagnostics;
use crate::driver::{Compilation, Stage, compile_with_loader};
use crate::hir;
use crate::lexer::{self, TokenKind};
use crate::resolve::MemoryLoader;
use crate::span::FileId;
use braid_bytecode::{AccessPattern, KeyPattern, WordExpr};
use proptest::prelude::*;

const PROGRAM: &str = r#"
use token::Token;

contract Hub {
    storage {
        n: u64,
        seen: map<(address, u64), u128>,
        last: map<address, address>,
    }

    fn note(who: address, k: u64) writes seen[(who, k)] { seen[(who, k)] += 1; }

    fn pay(t: Token, to: address, k: u64) calls t.transfer {
        t.transfer(to, 1) as self[k];
    }

    pub fn route(t: Token, v: Vault, who: address, k: u64) -> u128
        reads n
        writes seen[(who, k)], last[caller]
        calls t.transfer, t.transfer_from, v.deposit
    {
        let me = caller;
        let key = (who, k);
        note(key.0, key.1);
        last[me] = who;
        t.transfer_from(caller, self[k], 5);
        pay(t, who, k);
        v.deposit(t, k, who);
        let m = n;
        if m > 0 { 1 } else { 0 }
    }

    pub view fn peek(who: address, k: u64) -> u128 reads seen[(who, k)] { seen[(who, k)] }
}

contract Vault {
    storage { held: map<(address, u64), u128> }

    pub fn deposit(t: Token, k: u64, owner: address)
        writes held[(owner, k)]
        calls t.transfer
    {
        held[(owner, k)] += 1;
        t.transfer(owner, 2) as self[(owner, k)];
    }
}
"#;

const TOKEN_MODULE: &str = r#"
contract Token {
    storage { balances: map<address, u128>, allowances: map<(address, address), u128> }
    pub fn transfer(to: address, amount: u128) -> bool
        writes balances[caller], balances[to]
    { balances[caller] -= amount; balances[to] += amount; true }
    pub fn transfer_from(from: address, to: address, amount: u128) -> bool
        writes allowances[(from, caller)], balances[from], balances[to]
    { allowances[(from, caller)] -= amount; balances[from] -= amount; balances[to] += amount; true }
}
"#;

const NAMES: &[&str] = &[
    "caller",
    "self",
    "who",
    "k",
    "t",
    "v",
    "to",
    "me",
    "key",
    "m",
    "n",
    "seen",
    "last",
    "note",
    "pay",
    "transfer",
    "transfer_from",
    "deposit",
    "held",
    "owner",
    "Token",
    "Vault",
];

fn compile(src: &str) -> Compilation {
    let loader = MemoryLoader {
        modules: [("token".to_string(), TOKEN_MODULE.to_string())].into(),
    };
    let mut c = compile_with_loader("test.braid", src.to_owned(), &loader, Stage::Access);
    c.diagnostics
        .retain(|d| !crate::diagnostics::STYLE_LINTS.contains(&d.code));
    c
}

/// Every `Param` word in `w` is below `words`.
fn params_in_range(w: &WordExpr, words: usize) -> bool {
    match w {
        WordExpr::Param(i) => (*i as usize) < words,
        WordExpr::Sub { base, key } => {
            params_in_range(base, words) && key.iter().all(|k| params_in_range(k, words))
        }
        _ => true,
    }
}

fn well_formed(
    program: &hir::Program,
    id: hir::FnId,
    summary: &[AccessPattern],
) -> Result<(), String> {
    let f = program.function(id);
    let words: usize = f
        .locals
        .iter()
        .take(f.n_params as usize)
        .map(|l| super::super::layout::word_count(program, &l.ty))
        .sum();
    for (i, p) in summary.iter().enumerate() {
        let key_ok = match &p.key {
            KeyPattern::Key(ws) => ws.iter().all(|w| params_in_range(w, words)),
            _ => true,
        };
        if !key_ok || !params_in_range(&p.contract, words) {
            return Err(format!("`{}`: {p:?} names a word beyond {words}", f.name));
        }
        for (j, q) in summary.iter().enumerate() {
            let same = q.contract == p.contract
                && q.field == p.field
                && q.contract_name == p.contract_name;
            if i != j
                && same
                && (q.key == p.key || q.key == KeyPattern::Whole)
                && (q.write || !p.write)
            {
                return Err(format!("`{}`: {q:?} implies {p:?}", f.name));
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn renamed_programs_never_panic_and_accepted_summaries_are_well_formed(
        edits in proptest::collection::vec((any::<usize>(), any::<usize>()), 1..6)
    ) {
        let tokens = lexer::lex(FileId(0), PROGRAM, &mut Diagnostics::default());
        let spots: Vec<std::ops::Range<usize>> = tokens
            .iter()
            .filter(|t| matches!(t.kind, TokenKind::Ident(_) | TokenKind::Caller | TokenKind::SelfKw))
            .map(|t| t.span.range())
            .collect();
        let mut chosen: Vec<(std::ops::Range<usize>, &str)> = edits
            .iter()
            .map(|&(at, with)| (spots[at % spots.len()].clone(), NAMES[with % NAMES.len()]))
            .collect();
        chosen.sort_by_key(|(r, _)| std::cmp::Reverse(r.start));
        chosen.dedup_by_key(|(r, _)| r.start);
        let mut src = PROGRAM.to_owned();
        for (range, text) in chosen {
            src.replace_range(range, text);
        }
        let c = compile(&src);
        let again = compile(&src);
        let rendered = c.render_diagnostics(false);
        prop_assert_eq!(&rendered, &again.render_diagnostics(false));
        if let (Some(program), Some(summaries)) = (&c.hir, &c.access) {
            let printed = crate::emit::access::access(program, summaries);
            let printed_again = again
                .hir
                .as_ref()
                .zip(again.access.as_ref())
                .map(|(h, s)| crate::emit::access::access(h, s));
            prop_assert_eq!(Some(printed), printed_again);
            if !c.has_errors() {
                for (id, summary) in &summaries.by_fn {
                    let ok = well_formed(program, *id, summary);
                    prop_assert!(ok.is_ok(), "{}\n{}", ok.unwrap_err(), src);
                }
            }
        }
    }
}

#[test]
fn the_unmutated_program_is_clean_and_expands_three_contracts() {
    let c = compile(PROGRAM);
    assert!(c.diagnostics.is_empty(), "{}", c.render_diagnostics(false));
    let (Some(h), Some(s)) = (&c.hir, &c.access) else {
        panic!("no summaries");
    };
    let printed = crate::emit::access::access(h, s);
    let route = printed.split("\n\n").next().expect("route first");
    assert_eq!(
        route,
        "Hub.route(t: Token, v: Vault, who: address, k: u64)\n\
         \x20 reads  Hub.n\n\
         \x20 writes Hub.seen[(who, k)]\n\
         \x20 writes Hub.last[caller]\n\
         \x20 writes Token(t).balances[self[k]]\n\
         \x20 writes Token(t).balances[who]\n\
         \x20 writes Token(t).allowances[(caller, self)]\n\
         \x20 writes Token(t).balances[caller]\n\
         \x20 writes Vault(v).held[(who, k)]\n\
         \x20 writes Token(t).balances[v[(who, k)]]"
    );
}
