//! The checker on Braid source through the driver: the standard token, a DEX with
//! sub-accounts, callees of callees, internal calls, and every access diagnostic.

use crate::diagnostics::{Diagnostic, Severity};
use crate::driver::{Stage, compile_with_loader};
use crate::resolve::MemoryLoader;

/// Compiles `src` (with `std::…` available) up to the access check: the `--emit access`
/// text (empty when type checking failed) and the diagnostics, sorted.
fn compile(src: &str) -> (String, Vec<Diagnostic>, String) {
    let loader = MemoryLoader::default();
    let mut c = compile_with_loader("test.braid", src.to_owned(), &loader, Stage::Access);
    c.diagnostics
        .retain(|d| !crate::diagnostics::STYLE_LINTS.contains(&d.code));
    let printed = match (&c.hir, &c.access) {
        (Some(h), Some(s)) => crate::emit::access::access(h, s),
        _ => String::new(),
    };
    (printed, c.diagnostics.sorted(), c.render_diagnostics(false))
}

/// Compiles `src`, which must have no diagnostic at all, and returns its summaries.
fn clean(src: &str) -> String {
    let (printed, d, rendered) = compile(src);
    assert!(d.is_empty(), "{rendered}");
    printed
}

/// The codes of the diagnostics, in source order.
fn codes(src: &str) -> (Vec<&'static str>, String) {
    let (_, d, rendered) = compile(src);
    (d.iter().map(|d| d.code.id()).collect(), rendered)
}

const TOKEN: &str = "use std::token::Token;\n";

#[test]
fn the_standard_token_checks_clean_with_the_summaries_of_its_annotations() {
    let src = format!("{TOKEN}contract Holder {{ storage {{ t: address }} }}");
    let (printed, d, rendered) = compile(&src);
    assert!(d.is_empty(), "{rendered}");
    // Only root contracts are printed.
    assert_eq!(printed, "(no entry functions)\n");
}

#[test]
fn the_spec_token_prints_its_summary() {
    let printed = clean(crate::testdata::SPEC_TOKEN);
    assert_eq!(
        printed,
        "Token.init(supply: u128)\n  writes Token.owner\n  writes Token.total_supply\n  writes Token.balances[caller]\n\n\
         Token.transfer(to: address, amount: u128)\n  writes Token.balances[caller]\n  writes Token.balances[to]\n\n\
         Token.balance_of(who: address)\n  reads  Token.balances[who]\n"
    );
}

const DEX: &str = r#"
use std::token::Token;

struct Pool { token0: Token, token1: Token, reserve0: u128, reserve1: u128 }

contract Dex {
    storage {
        fee_bps: u128,
        n_pools: u64,
        pools: map<u64, Pool>,
    }

    init() writes fee_bps { fee_bps = 30; }

    // The new pool's id comes from storage, so any entry of `pools` may be written.
    pub fn create_pool(token0: Token, token1: Token) -> u64
        writes n_pools, pools[*]
    {
        let id = n_pools;
        pools[id] = Pool { token0: token0, token1: token1, reserve0: 0, reserve1: 0 };
        n_pools = id + 1;
        id
    }

    pub fn swap_exact_in(pool: u64, token_in: Token, token_out: Token, amount_in: u128, min_out: u128) -> u128
        reads  fee_bps
        writes pools[pool]
        calls  token_in.transfer_from, token_out.transfer
    {
        let p = pools[pool];
        let out = amount_in * (10000 - fee_bps) / 10000;
        require(out >= min_out, "slippage");
        token_in.transfer_from(caller, self[pool], amount_in);
        token_out.transfer(caller, out) as self[pool];
        pools[pool].reserve0 = p.reserve0 + amount_in;
        out
    }

    pub view fn reserves(pool: u64) -> (u128, u128)
        reads pools[pool]
    {
        let p = pools[pool];
        (p.reserve0, p.reserve1)
    }
}
"#;

#[test]
fn a_dex_swap_expands_token_calls_onto_the_pools_sub_account() {
    let printed = clean(DEX);
    let swap = printed
        .split("\n\n")
        .find(|b| b.starts_with("Dex.swap_exact_in"))
        .expect("swap is printed");
    assert_eq!(
        swap,
        "Dex.swap_exact_in(pool: u64, token_in: Token, token_out: Token, amount_in: u128, min_out: u128)\n\
         \x20 reads  Dex.fee_bps\n\
         \x20 writes Dex.pools[pool]\n\
         \x20 writes Token(token_in).allowances[(caller, self)]\n\
         \x20 writes Token(token_in).balances[caller]\n\
         \x20 writes Token(token_in).balances[self[pool]]\n\
         \x20 writes Token(token_out).balances[self[pool]]\n\
         \x20 writes Token(token_out).balances[caller]"
    );
    assert!(printed.contains("Dex.create_pool(token0: Token, token1: Token)\n  writes Dex.n_pools\n  writes Dex.pools[*]\n"));
    assert!(printed.contains("Dex.reserves(pool: u64)\n  reads  Dex.pools[pool]\n"));
}

#[test]
fn the_dex_without_its_calls_and_writes_gets_e0501_and_e0504_with_fixes() {
    let broken = DEX.replace(
        "        writes pools[pool]\n        calls  token_in.transfer_from, token_out.transfer\n",
        "        calls  token_in.transfer_from\n",
    );
    let (c, rendered) = codes(&broken);
    assert_eq!(c, ["E0504", "E0501"], "{rendered}");
    assert!(rendered.contains("also read here"), "{rendered}");
    assert!(
        rendered.contains("help: add `calls token_out.transfer`"),
        "{rendered}"
    );
    assert!(
        rendered.contains("help: add `writes pools[pool]`"),
        "{rendered}"
    );
    assert!(
        rendered.contains(
            "error[E0501]: storage write to `pools[pool]` is not covered by the annotations"
        ),
        "{rendered}"
    );
}

#[test]
fn callees_of_callees_are_instantiated_two_levels_deep() {
    let printed = clean(
        r#"
contract C {
    storage { m: map<address, u128>, hits: map<(address, u64), u128> }
    pub fn h(who: address, n: u64)
        writes m[caller], hits[(who, n)]
    {
        m[caller] += 1;
        hits[(who, n)] = 1;
    }
}
contract B {
    storage { count: u128 }
    pub fn g(c: C, who: address)
        writes count
        calls c.h
    {
        count += 1;
        c.h(who, 7) as self[who];
    }
}
contract A {
    storage { }
    pub fn f(b: B, c: C, pair: (address, u64))
        calls b.g
    {
        b.g(c, pair.0);
    }
}
"#,
    );
    let f = printed
        .split("\n\n")
        .find(|b| b.starts_with("A.f"))
        .expect("A.f printed");
    assert_eq!(
        f,
        "A.f(b: B, c: C, pair: (address, u64))\n  writes B(b).count\n  writes C(c).m[b[pair.0]]\n  writes C(c).hits[(pair.0, 7)]\n"
    );
}

#[test]
fn internal_fns_are_instantiated_and_an_impure_argument_needs_the_whole_map() {
    let src = r#"
contract V {
    storage { next: u64, m: map<u64, u128> }
    fn bump(k: u64) writes m[k] { m[k] += 1; }
    pub fn by_key(k: u64) writes m[k] { bump(k); }
    pub fn by_next() reads next writes m[*] {
        // The key comes from storage, so every entry may be written.
        bump(next);
    }
}
"#;
    let printed = clean(src);
    assert!(
        printed.contains("V.by_key(k: u64)\n  writes V.m[k]\n"),
        "{printed}"
    );
    let (c, rendered) = codes(&src.replace("writes m[*]", ""));
    assert_eq!(c, ["E0503"], "{rendered}");
    assert!(rendered.contains("help: add `writes m[*]`"), "{rendered}");
    assert!(rendered.contains("through `bump`"), "{rendered}");
}

#[test]
fn unneeded_patterns_and_calls_are_warnings() {
    let (printed, d, rendered) = compile(
        r#"
use std::token::Token;
contract W {
    storage { a: u128, b: map<address, u128> }
    pub fn f(t: Token, who: address) -> u128
        reads a
        writes b[who]
        calls t.transfer
    {
        b[who]
    }
}
"#,
    );
    let c: Vec<&str> = d.iter().map(|d| d.code.id()).collect();
    assert_eq!(c, ["W0501", "W0501", "W0502"], "{rendered}");
    assert!(d.iter().all(|d| d.severity() == Severity::Warning));
    assert!(
        rendered.contains("help: remove `a` from `reads`"),
        "{rendered}"
    );
    assert!(
        rendered.contains("help: declare `reads b[who]` instead"),
        "{rendered}"
    );
    assert!(
        rendered.contains("help: remove `t.transfer` from `calls`"),
        "{rendered}"
    );
    assert!(!printed.is_empty());
}

#[test]
fn a_view_that_writes_is_e0502() {
    let (c, rendered) = codes(
        r#"
contract V {
    storage { x: u128 }
    pub view fn peek() -> u128 writes x { x += 1; x }
}
"#,
    );
    assert_eq!(c, ["E0502", "E0502"], "{rendered}");
}

#[test]
fn an_impure_external_argument_is_e0503_and_an_irrelevant_one_is_fine() {
    let src = r#"
use std::token::Token;
contract P {
    storage { payee: address, amount: u128 }
    pub fn pay(t: Token) reads payee, amount calls t.transfer {
        t.transfer(payee, amount);
    }
}
"#;
    let (c, rendered) = codes(src);
    assert_eq!(c, ["E0503"], "{rendered}");
    assert!(
        rendered.contains("`Token.transfer` accesses `Token.balances[to]`"),
        "{rendered}"
    );
    // `amount` is not part of any key of `transfer`: it may be computed.
    let ok = src
        .replace("t.transfer(payee, amount)", "t.transfer(caller, amount)")
        .replace("reads payee, amount", "reads amount");
    let printed = clean(&ok);
    assert!(
        printed.contains("writes Token(t).balances[self]\n  writes Token(t).balances[caller]"),
        "{printed}"
    );
}

#[test]
fn a_view_writing_through_an_internal_fn_is_e0502() {
    let (c, rendered) = codes(
        r#"
contract V {
    storage { x: u128 }
    fn bump() writes x { x += 1; }
    pub view fn peek() -> u128 reads x { bump(); x }
}
"#,
    );
    assert_eq!(c, ["E0502"], "{rendered}");
    assert!(
        rendered.contains("a `view fn` cannot write `x` (through `bump`)"),
        "{rendered}"
    );
}

#[test]
fn a_view_calling_a_writing_external_fn_is_e0502() {
    let (c, rendered) = codes(
        r#"
use std::token::Token;
contract V {
    storage { }
    pub view fn peek(t: Token) -> bool calls t.transfer { t.transfer(caller, 1) }
}
"#,
    );
    assert_eq!(c, ["E0502"], "{rendered}");
    assert!(
        rendered.contains("cannot call `Token.transfer`, which writes"),
        "{rendered}"
    );
}

#[test]
fn a_sub_account_key_must_be_pure_when_the_callee_keys_on_its_caller() {
    let src = r#"
use std::token::Token;
contract S {
    storage { next: u64 }
    pub fn out(t: Token, k: u64) reads next calls t.transfer {
        let n = next;
        t.transfer(caller, 5) as self[n];
    }
}
"#;
    let (c, rendered) = codes(src);
    assert_eq!(c, ["E0503"], "{rendered}");
    assert!(
        rendered.contains("this is `n`, which is computed in the body"),
        "{rendered}"
    );
    let printed = clean(
        &src.replace("self[n]", "self[k]")
            .replace("let n = next;", "require(next > 0, \"x\");"),
    );
    assert!(
        printed
            .contains("  writes Token(t).balances[self[k]]\n  writes Token(t).balances[caller]\n"),
        "{printed}"
    );
}

#[test]
fn an_internal_callees_external_call_needs_a_pure_target_and_keys() {
    let src = r#"
use std::token::Token;
contract R {
    storage { who: address }
    fn pay(t: Token, to: address) calls t.transfer { t.transfer(to, 1); }
    pub fn run(t: Token) reads who calls t.transfer { pay(t, who); }
}
"#;
    let (c, rendered) = codes(src);
    assert_eq!(c, ["E0503"], "{rendered}");
    assert!(
        rendered.contains("`pay` accesses `Token(t).balances[to]` with this argument"),
        "{rendered}"
    );
    let printed = clean(
        &src.replace("pay(t, who)", "pay(t, caller)")
            .replace("reads who ", ""),
    );
    assert!(printed.contains("R.run(t: Token)\n  writes Token(t).balances[self]\n  writes Token(t).balances[caller]\n"), "{printed}");
}

#[test]
fn a_reads_pattern_made_redundant_by_a_writes_is_w0501() {
    let (c, rendered) = codes(
        r#"
contract D {
    storage { m: map<address, u128> }
    pub fn f() reads m[caller] writes m[caller] { m[caller] += 1; }
}
"#,
    );
    assert_eq!(c, ["W0501"], "{rendered}");
    assert!(
        rendered.contains("help: remove `m[caller]` from `reads`"),
        "{rendered}"
    );
}

#[test]
fn keys_through_immutable_lets_and_tuple_fields_are_pure() {
    let printed = clean(
        r#"
contract K {
    storage { m: map<(address, u64), u128>, n: map<u64, u128> }
    pub fn f(pair: (address, u64), extra: u64)
        writes m[pair], n[pair.1]
    {
        let k = pair;
        let (who, id) = k;
        m[(who, id)] = 1;
        let j = id;
        n[j] += extra as u128;
    }
}
"#,
    );
    assert_eq!(
        printed,
        "K.f(pair: (address, u64), extra: u64)\n  writes K.m[pair]\n  writes K.n[pair.1]\n"
    );
}

#[test]
fn a_loop_variable_key_needs_the_whole_map() {
    let (c, rendered) = codes(
        r#"
contract L {
    storage { m: map<u64, u128> }
    pub fn clear(n: u64) writes m[n] {
        for i in 0..n { m[i] = 0; }
    }
}
"#,
    );
    assert_eq!(c, ["W0501", "E0503"], "{rendered}");
    assert!(
        rendered.contains("the key depends on `i`, a loop variable"),
        "{rendered}"
    );
    assert!(rendered.contains("help: add `writes m[*]`"), "{rendered}");
}

#[test]
fn recursion_converges_unless_it_reaches_ever_new_keys() {
    let src = r#"
use std::token::Token;
contract R {
    storage { }
    fn spread(t: Token, k: address, n: u64) calls t.transfer {
        if n > 0 {
            t.transfer(k, 1);
            spread(t, k, n - 1);
        }
    }
    pub fn go(t: Token, n: u64) calls t.transfer { spread(t, caller, n); }
}
"#;
    let printed = clean(src);
    assert!(
        printed.contains("R.go(t: Token, n: u64)\n  writes Token(t).balances[self]\n  writes Token(t).balances[caller]\n"),
        "{printed}"
    );
    let (c, rendered) = codes(&src.replace("spread(t, k, n - 1)", "spread(t, self[k], n - 1)"));
    assert_eq!(c, ["E0506"], "{rendered}");
    assert!(
        rendered.contains("the access summary of `spread` grows without bound"),
        "{rendered}"
    );
}

#[test]
fn nesting_at_the_parsers_limit_is_checked_without_overflowing_the_stack() {
    // Blocks and sub-accounts nested as deep as the parser allows, around a key.
    let depth = 120;
    let key = format!("{}who{}", "self[".repeat(depth), "]".repeat(depth));
    let body = format!("{}m[{key}] = 1;{}", "{ ".repeat(depth), " }".repeat(depth));
    let src = format!(
        "contract N {{\n    storage {{ m: map<address, u128> }}\n    pub fn f(who: address) writes m[*] {{ {body} }}\n}}\n"
    );
    let (c, rendered) = codes(&src);
    assert!(c.is_empty(), "{rendered}");
}
