//! End to end: Braid source through the driver to bytecode, run on the test interpreter.

use super::check_well_formed;
use super::interp::Machine;
use super::w;
use crate::driver::{CompileOptions, Stage, compile_source};
use braid_bytecode::Module;
use braid_bytecode::disasm::disassemble;
use ruint::aliases::U256;

/// Compiles source text that must have no errors; every module is checked.
pub fn compile(src: &str) -> Vec<Module> {
    let c = compile_source(
        "test.braid",
        src.as_bytes(),
        None,
        &CompileOptions::default(),
        Stage::Bytecode,
    );
    assert!(!c.has_errors(), "{}", c.render_diagnostics(false));
    for m in &c.modules {
        check_well_formed(m);
    }
    let again = compile_source(
        "test.braid",
        src.as_bytes(),
        None,
        &CompileOptions::default(),
        Stage::Bytecode,
    );
    assert_eq!(c.modules, again.modules, "lowering is deterministic");
    c.modules
}

fn one(src: &str) -> Module {
    let mut ms = compile(src);
    assert_eq!(ms.len(), 1);
    ms.remove(0)
}

/// The contract of the language spec, §1 (also a snapshot case).
const SPEC_TOKEN: &str = crate::testdata::SPEC_TOKEN;

#[test]
fn spec_token_compiles_and_runs() {
    let m = one(SPEC_TOKEN);
    let mut vm = Machine::new(1);
    vm.call(&m, "init", &[w(1000)]).expect("init");
    assert_eq!(vm.call(&m, "transfer", &[w(2), w(400)]), Ok(vec![w(1)]));
    assert_eq!(vm.call(&m, "balance_of", &[w(1)]), Ok(vec![w(600)]));
    assert_eq!(vm.call(&m, "balance_of", &[w(2)]), Ok(vec![w(400)]));
    assert_eq!(
        vm.call(&m, "transfer", &[w(2), w(601)]),
        Err("revert: insufficient balance".into())
    );
    let text = disassemble(&m);
    assert!(
        text.contains("fn transfer(to: address, amount: u128) -> bool  [pub, f1, regs 6]"),
        "{text}"
    );
}

#[test]
fn standard_token_runs() {
    let src = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../contracts/token.braid"
    ))
    .expect("contracts/token.braid");
    let m = one(&src);
    let names: Vec<&str> = m.functions.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names[0], "init");
    assert!(
        names.contains(&"only_owner"),
        "library function included: {names:?}"
    );
    let (alice, bob, carol) = (w(0xa), w(0xb), w(0xc));
    let mut vm = Machine::new(0xa);
    vm.call(&m, "init", &[w(1000)]).expect("init");
    assert_eq!(vm.call(&m, "approve", &[bob, w(300)]), Ok(vec![w(1)]));
    vm.caller = bob;
    assert_eq!(
        vm.call(&m, "transfer_from", &[alice, carol, w(200)]),
        Ok(vec![w(1)])
    );
    assert_eq!(vm.call(&m, "allowance", &[alice, bob]), Ok(vec![w(100)]));
    assert_eq!(
        vm.call(&m, "transfer_from", &[alice, carol, w(101)]),
        Err("revert: insufficient allowance".into())
    );
    assert_eq!(
        vm.call(&m, "mint", &[bob, w(5)]),
        Err("revert: only owner".into())
    );
    vm.caller = alice;
    assert_eq!(vm.call(&m, "mint", &[bob, w(5)]), Ok(vec![]));
    assert_eq!(vm.call(&m, "balance_of", &[alice]), Ok(vec![w(800)]));
    assert_eq!(vm.call(&m, "balance_of", &[bob]), Ok(vec![w(5)]));
    assert_eq!(vm.call(&m, "balance_of", &[carol]), Ok(vec![w(200)]));
    assert_eq!(vm.call(&m, "total_supply", &[]), Ok(vec![w(1005)]));
    // Unlimited allowance is not decreased.
    let unlimited = (U256::from(1u8) << 128) - U256::from(1u8);
    vm.call(&m, "approve", &[bob, unlimited]).expect("approve");
    vm.caller = bob;
    vm.call(&m, "transfer_from", &[alice, carol, w(10)])
        .expect("transfer_from");
    assert_eq!(vm.call(&m, "allowance", &[alice, bob]), Ok(vec![unlimited]));
    assert_eq!(vm.events.len(), 6, "{:?}", vm.events);
}

const LANGUAGE_TOUR: &str = r#"
use std::math::{min, max, sqrt, pow, mul_div, mul_div_up};
use std::fixed::{wad_mul, WAD};

struct Pool { reserve0: u128, reserve1: u128, fee: u64 }

contract Tour {
    storage {
        pools: map<u64, Pool>,
        count: u64,
        pairs: map<(u64, address), (u128, bool)>,
    }

    event Made(id: u64, pool: Pool);

    pub fn make(r0: u128, r1: u128) -> u64
        writes count, pools[*]
    {
        let id = count;
        pools[id] = Pool { fee: 30, reserve1: r1, reserve0: r0 };
        count = id + 1;
        emit Made(id, pools[id]);
        id
    }

    pub fn bump(id: u64, x: u128) -> (u128, u128)
        writes pools[id]
    {
        pools[id].reserve0 += x;
        pools[id].reserve1 = pools[id].reserve1 * 2;
        let p = pools[id];
        (p.reserve0, p.reserve1)
    }

    pub fn set_pair(k: u64, v: u128)
        writes pairs[(k, caller)]
    {
        pairs[(k, caller)] = (v, v > 10);
    }

    pub view fn get_pair(k: u64, who: address) -> (u128, bool)
        reads pairs[(k, who)]
    {
        pairs[(k, who)]
    }

    pub view fn sum_odd(n: u64) -> u64 {
        let mut s = 0;
        let mut i = 0;
        while true {
            i += 1;
            if i > n { break; }
            if i % 2 == 0 { continue; }
            s += i;
        }
        s
    }

    pub view fn tri(n: u64) -> u64 {
        let mut s: u64 = 0;
        for i in 0..n {
            for j in 0..i {
                if j == 5 { break; }
                s += 1;
            }
        }
        s
    }

    pub view fn math(a: u128, b: u128) -> (u128, u128, u128, u128, u128, u128, u128) {
        (min(a, b), max(a, b), sqrt(a), pow(b, 3), mul_div(a, b, 7), mul_div_up(a, b, 7), wad_mul(a * WAD, b))
    }

    pub view fn logic(a: bool, b: u64) -> u64 {
        let x = if a && b > 3 { b * 2 } else if !a || b == 0 { 1 } else { 0 };
        let (y, z) = (x + 1, x as u8);
        y + (z as u64) + ((b << 2) >> 1) + (b & 6) + (b | 1) + (b ^ 3)
    }

    pub view fn narrow(x: u128) -> u8 {
        x as u8
    }

    pub view fn find(n: u64) -> u64 {
        for i in 1..n {
            if i * i > 50 { return i; }
        }
        0
    }

    pub view fn ctx() -> (u64, u64, address, address) {
        (block.number, block.timestamp, self, self[(7, caller)])
    }
}
"#;

#[test]
fn language_tour_runs() {
    let m = one(LANGUAGE_TOUR);
    let mut vm = Machine::new(0xa);
    assert_eq!(vm.call(&m, "make", &[w(100), w(200)]), Ok(vec![w(0)]));
    assert_eq!(vm.call(&m, "make", &[w(1), w(2)]), Ok(vec![w(1)]));
    assert_eq!(
        vm.events[1],
        ("Made".to_string(), vec![w(1), w(1), w(2), w(30)])
    );
    assert_eq!(vm.call(&m, "bump", &[w(0), w(5)]), Ok(vec![w(105), w(400)]));
    vm.call(&m, "set_pair", &[w(3), w(11)]).expect("set_pair");
    assert_eq!(
        vm.call(&m, "get_pair", &[w(3), w(0xa)]),
        Ok(vec![w(11), w(1)])
    );
    assert_eq!(
        vm.call(&m, "get_pair", &[w(3), w(0xb)]),
        Ok(vec![w(0), w(0)])
    );
    assert_eq!(vm.call(&m, "sum_odd", &[w(10)]), Ok(vec![w(25)]));
    // sum over i < 7 of min(i, 5)
    assert_eq!(
        vm.call(&m, "tri", &[w(7)]),
        Ok(vec![w(1 + 2 + 3 + 4 + 5 + 5)])
    );
    assert_eq!(
        vm.call(&m, "math", &[w(20), w(9)]),
        Ok(vec![w(9), w(20), w(4), w(729), w(25), w(26), w(180)])
    );
    // a && b > 3: x = 10; y = 11, z = 10; (5 << 2) >> 1 = 10; 5 & 6 = 4; 5 | 1 = 5; 5 ^ 3 = 6
    assert_eq!(
        vm.call(&m, "logic", &[w(1), w(5)]),
        Ok(vec![w(11 + 10 + 10 + 4 + 5 + 6)])
    );
    // !a: x = 1; y = 2, z = 1; (0 << 2) >> 1 = 0; 0; 1; 3
    assert_eq!(
        vm.call(&m, "logic", &[w(0), w(0)]),
        Ok(vec![w(2 + 1 + 1 + 3)])
    );
    assert_eq!(
        vm.call(&m, "narrow", &[w(300)]),
        Err("panic: conversion".into())
    );
    assert_eq!(vm.call(&m, "find", &[w(100)]), Ok(vec![w(8)]));
    assert_eq!(vm.call(&m, "find", &[w(3)]), Ok(vec![w(0)]));
    let sub = braid_bytecode::encode::sub_account(
        &braid_bytecode::encode::word_to_address(vm.self_addr),
        &[w(7), w(0xa)],
    );
    assert_eq!(
        vm.call(&m, "ctx", &[]),
        Ok(vec![
            w(7),
            w(1000),
            vm.self_addr,
            braid_bytecode::encode::address_to_word(&sub)
        ])
    );
}

#[test]
fn external_calls_with_sub_accounts() {
    let src = r#"
use token::Token;

contract Vault {
    storage { held: map<u64, u128> }

    pub fn deposit(t: Token, pool: u64, x: u128)
        writes held[pool]
        calls t.transfer_from
    {
        require(t.transfer_from(caller, self[pool], x), "transfer failed");
        held[pool] += x;
    }

    pub fn withdraw(t: Token, pool: u64, x: u128)
        writes held[pool]
        calls t.transfer
    {
        held[pool] -= x;
        t.transfer(caller, x) as self[pool];
    }
}
"#;
    let c = compile_source(
        "vault.braid",
        src.as_bytes(),
        Some(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../contracts"
        ))),
        &CompileOptions::default(),
        Stage::Bytecode,
    );
    assert!(!c.has_errors(), "{}", c.render_diagnostics(false));
    assert_eq!(c.modules.len(), 1);
    let m = &c.modules[0];
    check_well_formed(m);
    let imports: Vec<String> = m
        .imports
        .iter()
        .map(|i| format!("{}.{}", i.contract, i.name))
        .collect();
    assert_eq!(imports, ["Token.transfer_from", "Token.transfer"]);
    let text = disassemble(m);
    assert!(
        text.contains("callext i0 Token.transfer_from @r0("),
        "{text}"
    );
    assert!(text.contains("as self[r1]"), "{text}");
}

#[test]
fn an_empty_infinite_loop_runs_out_of_gas() {
    let m = one(r#"
contract Spin {
    pub fn spin() { while true {} }
    pub fn spin2(x: u64) -> u64 { let mut y = x; while y > 0 { } y }
}
"#);
    let mut vm = Machine::new(1);
    assert_eq!(vm.call(&m, "spin", &[]), Err("out_of_gas".into()));
    vm.gas_left = 1000;
    assert_eq!(vm.call(&m, "spin2", &[w(0)]), Ok(vec![w(0)]));
    assert_eq!(vm.call(&m, "spin2", &[w(1)]), Err("out_of_gas".into()));
}
