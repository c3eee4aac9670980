//! Property test: programs mutated at random (names and literals swapped, so that they
//! still parse but break every rule of the type checker) never make it panic, and a
//! program with no error always yields HIR.

use super::*;
use crate::diagnostics::Diagnostics;
use crate::lexer::{self, TokenKind};
use crate::span::FileId;
use proptest::prelude::*;

const PROGRAM: &str = r#"
use std::math::{min, max, sqrt, mul_div};
use token::Token;

const WAD: u128 = 1e18;
const HALF: u128 = WAD / 2;

fn helper(a: u128, b: u128) -> u128 { mul_div(a, b, WAD) + HALF }

contract Pools {
    struct Pool { token: Token, reserve: u128, shares: (u64, bool) }
    storage {
        count: u64,
        pools: map<u64, Pool>,
        owed: map<(u64, address), u128>,
    }
    event Made(id: u64, token: Token);

    init() writes count { count = 0; }

    pub fn make(token: Token) -> u64 writes count, pools[*] {
        let id = count;
        pools[id] = Pool { token: token, reserve: 0, shares: (1, true) };
        count = id + 1;
        emit Made(id, token);
        id
    }

    pub fn pay(id: u64, token: Token, to: address, amount: u128) -> bool
        reads pools[id]
        writes owed[(id, to)]
        calls token.transfer
    {
        let p = pools[id];
        require(p.token as address == token as address, "wrong token");
        let mut total = 0;
        for i in 0..p.shares.0 { total += i; if total > 10 { break; } }
        owed[(id, to)] += min(amount, helper(p.reserve, max(1, sqrt(amount))));
        let (a, _) = (total, p.shares.1);
        if a == 0 { return false; }
        token.transfer(to, amount) as self[id]
    }
}
"#;

const TOKEN_MODULE: &str = r#"
contract Token {
    storage { balances: map<address, u128> }
    pub fn transfer(to: address, amount: u128) -> bool writes balances[caller], balances[to] { true }
    fn hidden() {}
}
"#;

const NAMES: &[&str] = &[
    "u8", "u64", "u128", "u256", "bool", "address", "Token", "Pool", "Pools", "nope", "count",
    "pools", "owed", "WAD", "HALF", "helper", "min", "sqrt", "transfer", "hidden", "Made", "id",
    "p", "total", "a", "i", "token", "to", "amount", "reserve", "shares",
];

const INTS: &[&str] = &[
    "0", "1", "255", "256", "1e18", "1e80", "0x10", "7u8", "300u8", "1u256", "0u64",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn mutated_programs_never_panic(edits in proptest::collection::vec((any::<usize>(), any::<usize>()), 1..8)) {
        let tokens = lexer::lex(FileId(0), PROGRAM, &mut Diagnostics::default());
        let spots: Vec<(std::ops::Range<usize>, bool)> = tokens
            .iter()
            .filter_map(|t| match t.kind {
                TokenKind::Ident(_) => Some((t.span.range(), true)),
                TokenKind::Int(_) => Some((t.span.range(), false)),
                _ => None,
            })
            .collect();
        let mut chosen: Vec<(std::ops::Range<usize>, &str)> = edits
            .iter()
            .map(|&(at, with)| {
                let (range, ident) = spots[at % spots.len()].clone();
                let pool = if ident { NAMES } else { INTS };
                (range, pool[with % pool.len()])
            })
            .collect();
        chosen.sort_by_key(|(r, _)| std::cmp::Reverse(r.start));
        chosen.dedup_by_key(|(r, _)| r.start);
        let mut src = PROGRAM.to_owned();
        for (range, text) in chosen {
            src.replace_range(range, text);
        }
        let c = compile_with(&[("token", TOKEN_MODULE)], &src);
        let rendered = c.render_diagnostics(false);
        if !c.has_errors() {
            prop_assert!(c.hir.is_some(), "no errors but no HIR:\n{}", rendered);
        }
    }
}

#[test]
fn the_unmutated_program_is_clean() {
    let c = compile_with(&[("token", TOKEN_MODULE)], PROGRAM);
    assert!(c.diagnostics.is_empty(), "{}", c.render_diagnostics(false));
}
