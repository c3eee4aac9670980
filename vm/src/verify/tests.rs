//! Verifier tests: each rule rejects a hand-broken module; arbitrary bytes never panic.

use super::*;
use crate::testutil::*;
use crate::{Chain, Transaction};
use braid_bytecode::{BlockId, Instr, Reg, Regs, Terminator};
use proptest::prelude::*;

fn kind_of(m: &Module) -> VerifyErrorKind {
    match verify(m) {
        Ok(_) => panic!("module `{}` should have been rejected", m.name),
        Err(e) => e.kind,
    }
}

/// token() with its `transfer` function's first block edited.
fn with_transfer_instr(i: usize, ins: Instr) -> Module {
    let mut m = token();
    m.functions[1].blocks[0].instrs[i] = ins;
    m
}

#[test]
fn valid_modules_verify_with_precomputed_tables() {
    for m in [token(), store(), caller()] {
        let v = verify(&m).expect("valid");
        for (f, info) in m.functions.iter().zip(&v.functions) {
            let gas: Vec<u64> = f.blocks.iter().map(|b| b.gas()).collect();
            assert_eq!(info.block_gas, gas, "{}", f.name);
            assert_eq!(usize::from(info.param_words), f.param_words());
            assert_eq!(info.param_max.len(), f.param_words());
        }
        for (i, f) in m.functions.iter().enumerate() {
            if f.visibility.is_pub() {
                assert_eq!(v.function_by_name(&f.name), Some(i as u16));
                let sel = v.functions[i].selector.expect("pub fns have selectors");
                assert_eq!(v.function_by_selector(sel), Some(i as u16));
            }
        }
    }
    let v = verify(&token()).expect("valid");
    assert_eq!(v.init(), Some(0));
    assert_eq!(v.field_words, vec![1, 1]);
    assert_eq!(v.field_key_words, vec![1, 0]);
}

#[test]
fn versions() {
    let mut m = token();
    m.format_version = 99;
    assert!(matches!(
        kind_of(&m),
        VerifyErrorKind::Version { what: "format", .. }
    ));
    let mut m = token();
    m.gas_version = 0;
    assert!(matches!(
        kind_of(&m),
        VerifyErrorKind::Version {
            what: "gas table",
            ..
        }
    ));
}

#[test]
fn registers_and_ranges() {
    let m = with_transfer_instr(0, Instr::Caller { dst: Reg(10) });
    assert!(matches!(
        kind_of(&m),
        VerifyErrorKind::Register {
            reg: 10,
            n_regs: 10
        }
    ));
    let m = with_transfer_instr(
        12,
        Instr::Emit {
            event: 0,
            args: Regs {
                start: Reg(8),
                n: 3,
            },
        },
    );
    assert!(matches!(kind_of(&m), VerifyErrorKind::Register { .. }));
    let mut m = token();
    m.functions[2].blocks[0].term = Terminator::Return(Regs {
        start: Reg(u16::MAX),
        n: 1,
    });
    assert!(matches!(kind_of(&m), VerifyErrorKind::Register { .. }));
    let mut m = token();
    m.functions[1].n_regs = 1;
    assert!(matches!(
        kind_of(&m),
        VerifyErrorKind::ParamsExceedRegisters { .. }
    ));
}

#[test]
fn jump_targets() {
    let mut m = token();
    m.functions[1].blocks[0].term = Terminator::Jump(BlockId(1));
    assert!(matches!(
        kind_of(&m),
        VerifyErrorKind::Jump {
            target: 1,
            n_blocks: 1
        }
    ));
    let mut m = token();
    m.functions[1].blocks[0].term = Terminator::Branch {
        cond: Reg(0),
        then: BlockId(0),
        els: BlockId(u32::MAX),
    };
    assert!(matches!(kind_of(&m), VerifyErrorKind::Jump { .. }));
}

#[test]
fn table_indices() {
    let cases = [
        (
            with_transfer_instr(
                13,
                Instr::Const {
                    dst: Reg(9),
                    idx: 1,
                },
            ),
            "constant",
        ),
        (
            with_transfer_instr(
                3,
                Instr::Require {
                    cond: Reg(4),
                    msg: 1,
                },
            ),
            "string",
        ),
        (
            with_transfer_instr(
                12,
                Instr::Emit {
                    event: 1,
                    args: rs(6, 3),
                },
            ),
            "event",
        ),
        (
            with_transfer_instr(
                1,
                Instr::SLoad {
                    field: 2,
                    key: rs(2, 1),
                    dst: rs(3, 1),
                },
            ),
            "storage field",
        ),
        (
            with_transfer_instr(
                1,
                Instr::Call {
                    func: 9,
                    args: rs(0, 0),
                    dst: rs(0, 0),
                },
            ),
            "function",
        ),
        (
            with_transfer_instr(
                1,
                Instr::CallExt {
                    import: 0,
                    target: Reg(0),
                    args: rs(0, 0),
                    dst: rs(0, 0),
                    sub_key: None,
                },
            ),
            "import",
        ),
    ];
    for (m, what) in cases {
        match kind_of(&m) {
            VerifyErrorKind::Index { what: w, .. } => assert_eq!(w, what),
            other => panic!("{what}: {other:?}"),
        }
    }
    let mut m = token();
    m.functions[1].blocks[0].term = Terminator::Revert(5);
    assert!(matches!(
        kind_of(&m),
        VerifyErrorKind::Index { what: "string", .. }
    ));
}

#[test]
fn operand_widths_match_types() {
    let words = |m: &Module| match kind_of(m) {
        VerifyErrorKind::Words { what, .. } => what,
        other => panic!("{other:?}"),
    };
    let m = with_transfer_instr(
        1,
        Instr::SLoad {
            field: 0,
            key: rs(2, 1),
            dst: rs(3, 2),
        },
    );
    assert_eq!(words(&m), "loaded value");
    let m = with_transfer_instr(
        1,
        Instr::SLoad {
            field: 0,
            key: rs(2, 0),
            dst: rs(3, 1),
        },
    );
    assert_eq!(words(&m), "storage key");
    let m = with_transfer_instr(
        1,
        Instr::SLoad {
            field: 1,
            key: rs(2, 1),
            dst: rs(3, 1),
        },
    );
    assert_eq!(words(&m), "storage key");
    let m = with_transfer_instr(
        5,
        Instr::SStore {
            field: 0,
            key: rs(2, 1),
            src: rs(3, 0),
        },
    );
    assert_eq!(words(&m), "stored value");
    let m = with_transfer_instr(
        12,
        Instr::Emit {
            event: 0,
            args: rs(6, 2),
        },
    );
    assert_eq!(words(&m), "event arguments");
    let mut m = token();
    m.functions[1].blocks[0].term = Terminator::Return(rs(8, 2));
    assert_eq!(words(&m), "returned value");
    // Internal call widths: call balance_of (1 param word, 1 ret word).
    let m = with_transfer_instr(
        1,
        Instr::Call {
            func: 2,
            args: rs(0, 2),
            dst: rs(3, 1),
        },
    );
    assert_eq!(words(&m), "call arguments");
    let m = with_transfer_instr(
        1,
        Instr::Call {
            func: 2,
            args: rs(0, 1),
            dst: rs(3, 0),
        },
    );
    assert_eq!(words(&m), "call result");
    // External call widths against the import's types.
    let mut m = caller();
    m.functions[0].blocks[0].instrs[0] = Instr::CallExt {
        import: 0,
        target: Reg(0),
        args: rs(1, 2),
        dst: rs(0, 0),
        sub_key: None,
    };
    assert_eq!(words(&m), "call arguments");
    let mut m = caller();
    m.functions[0].blocks[0].instrs[0] = Instr::CallExt {
        import: 0,
        target: Reg(0),
        args: rs(1, 1),
        dst: rs(0, 1),
        sub_key: None,
    };
    assert_eq!(words(&m), "call result");
    let m = with_transfer_instr(
        0,
        Instr::SubAccount {
            dst: Reg(2),
            key: rs(0, 0),
        },
    );
    assert_eq!(words(&m), "sub-account key");
}

#[test]
fn function_rules() {
    let mut m = token();
    m.functions[1].blocks.clear();
    assert_eq!(kind_of(&m), VerifyErrorKind::EmptyFunction);
    let mut m = token();
    m.functions.push(m.functions[0].clone());
    assert_eq!(kind_of(&m), VerifyErrorKind::MultipleInit);
    let mut m = token();
    m.functions[3].name = "transfer".into();
    assert_eq!(
        kind_of(&m),
        VerifyErrorKind::DuplicateFunction("transfer".into())
    );
    let m = with_transfer_instr(
        1,
        Instr::Call {
            func: 0,
            args: rs(0, 1),
            dst: rs(0, 0),
        },
    );
    assert!(matches!(kind_of(&m), VerifyErrorKind::Call(_)));
}

#[test]
fn types_and_storage() {
    let mut m = token();
    m.storage[1].value = ValueType::unit();
    assert!(matches!(kind_of(&m), VerifyErrorKind::BadType(_)));
    let mut m = token();
    m.storage[0].key = Some(ValueType::unit());
    assert!(matches!(kind_of(&m), VerifyErrorKind::BadType(_)));
    let mut deep = ValueType::U8;
    for _ in 0..100 {
        deep = ValueType::Tuple(vec![deep]);
    }
    let mut m = token();
    m.functions[2].ret = deep;
    assert_eq!(kind_of(&m), VerifyErrorKind::TooDeep);
    let mut m = token();
    m.functions[2].params = vec![("x".into(), ValueType::Tuple(vec![ValueType::U8; 70_000]))];
    assert!(matches!(kind_of(&m), VerifyErrorKind::TooLarge(_)));
}

#[test]
fn access_summaries() {
    let mut m = token();
    m.functions[1]
        .access
        .push(own(false, 0, key(vec![WordExpr::Param(2)])));
    assert!(matches!(kind_of(&m), VerifyErrorKind::Access(_)));
    let mut m = token();
    m.functions[1]
        .access
        .push(own(false, 5, KeyPattern::Scalar));
    assert!(matches!(kind_of(&m), VerifyErrorKind::Access(_)));
    let mut m = token();
    m.functions[1]
        .access
        .push(own(false, 0, KeyPattern::Scalar));
    assert!(matches!(kind_of(&m), VerifyErrorKind::Access(_)));
    let mut m = token();
    m.functions[1].access.push(own(false, 1, KeyPattern::Whole));
    assert!(matches!(kind_of(&m), VerifyErrorKind::Access(_)));
    let mut m = token();
    m.functions[1]
        .access
        .push(own(false, 0, key(vec![WordExpr::Caller, WordExpr::Caller])));
    assert!(matches!(kind_of(&m), VerifyErrorKind::Access(_)));
    let mut m = token();
    let sub = WordExpr::Sub {
        base: Box::new(WordExpr::SelfAddr),
        key: vec![],
    };
    m.functions[1]
        .access
        .push(pattern(false, sub, 0, KeyPattern::Whole));
    assert!(matches!(kind_of(&m), VerifyErrorKind::Access(_)));
    // Patterns on other contracts are not checked against this layout.
    let mut m = token();
    m.functions[1]
        .access
        .push(pattern(true, WordExpr::Param(0), 9, KeyPattern::Whole));
    assert!(verify(&m).is_ok());
}

/// A view's summary holds no write, its own contract's or a callee's: the run-time
/// check then keeps a view read-only whatever its code does.
#[test]
fn a_view_summary_with_a_write_is_rejected() {
    let view = token()
        .functions
        .iter()
        .position(|f| f.visibility == Visibility::PubView)
        .expect("the test token has a view");
    let mut m = token();
    m.functions[view]
        .access
        .push(own(true, 0, key(vec![WordExpr::Param(0)])));
    assert!(matches!(kind_of(&m), VerifyErrorKind::Access(_)));
    let mut m = token();
    m.functions[view]
        .access
        .push(pattern(true, WordExpr::Param(0), 0, KeyPattern::Whole));
    assert!(matches!(kind_of(&m), VerifyErrorKind::Access(_)));
    let mut m = token();
    m.functions[view]
        .access
        .push(own(false, 0, key(vec![WordExpr::Param(0)])));
    assert!(verify(&m).is_ok(), "reads are what a view is for");
}

/// Loads the bytes; if they verify, deploys them and calls every public function with
/// zero arguments: nothing may panic.
fn exercise(bytes: &[u8]) {
    let mut chain = Chain::new();
    let Ok(code) = chain.load_module_bytes(bytes) else {
        return;
    };
    let v = chain.loaded(&code).expect("just loaded").clone();
    let init_args = v
        .init()
        .map(|i| vec![U256::ZERO; usize::from(v.functions[usize::from(i)].param_words)])
        .unwrap_or_default();
    let Ok(addr) = chain.deploy(code, DEPLOYER, init_args, block(), 50_000) else {
        return;
    };
    let txs: Vec<Transaction> = v
        .by_name
        .iter()
        .map(|(name, &f)| {
            let n = usize::from(v.functions[usize::from(f)].param_words);
            tx(ALICE, addr, name, vec![U256::ZERO; n], 50_000)
        })
        .collect();
    let receipts = chain
        .execute_block(block(), &txs)
        .expect("the block is within the block gas limit");
    assert_eq!(receipts.len(), txs.len());
    for r in receipts {
        assert!(
            !matches!(r.status, Err(crate::Failure::Internal(_))),
            "{:?}",
            r.status
        );
    }
}

/// Arbitrary instructions over registers 0..12 and small table indices.
fn arb_instr() -> impl Strategy<Value = Instr> {
    use braid_bytecode::{ArithOp::*, CmpOp::*, Width::*};
    let reg = || (0u16..12).prop_map(Reg);
    let regs = || (0u16..12, 0u16..3).prop_map(|(s, n)| rs(s, n));
    let width = || prop::sample::select(vec![W8, W64, W128, W256]);
    let ops = vec![
        Add,
        Sub,
        Mul,
        Div,
        Rem,
        Pow,
        WrappingAdd,
        WrappingSub,
        WrappingMul,
        And,
        Or,
        Xor,
        Shl,
        Shr,
        Min,
        Max,
    ];
    prop_oneof![
        (reg(), 0u32..3).prop_map(|(dst, idx)| Instr::Const { dst, idx }),
        (reg(), reg()).prop_map(|(dst, src)| Instr::Mov { dst, src }),
        (prop::sample::select(ops), width(), reg(), reg(), reg()).prop_map(
            |(op, width, dst, a, b)| Instr::Arith {
                op,
                width,
                dst,
                a,
                b
            }
        ),
        (
            prop::sample::select(vec![Eq, Ne, Lt, Le, Gt, Ge]),
            reg(),
            reg(),
            reg()
        )
            .prop_map(|(op, dst, a, b)| Instr::Cmp { op, dst, a, b }),
        (prop::option::of(width()), reg(), reg()).prop_map(|(width, dst, src)| Instr::Not {
            width,
            dst,
            src
        }),
        (width(), reg(), reg()).prop_map(|(width, dst, src)| Instr::Cast { width, dst, src }),
        (reg(), reg()).prop_map(|(dst, src)| Instr::Sqrt { dst, src }),
        (any::<bool>(), width(), reg(), reg(), reg(), reg()).prop_map(
            |(round_up, width, dst, a, b, d)| Instr::MulDiv {
                round_up,
                width,
                dst,
                a,
                b,
                d
            }
        ),
        reg().prop_map(|dst| Instr::Caller { dst }),
        reg().prop_map(|dst| Instr::BlockTimestamp { dst }),
        (reg(), regs()).prop_map(|(dst, key)| Instr::SubAccount { dst, key }),
        (0u16..3, regs(), regs()).prop_map(|(field, key, dst)| Instr::SLoad { field, key, dst }),
        (0u16..3, regs(), regs()).prop_map(|(field, key, src)| Instr::SStore { field, key, src }),
        (0u16..14, regs(), regs()).prop_map(|(func, args, dst)| Instr::Call { func, args, dst }),
        (0u16..6, reg(), regs(), regs(), prop::option::of(regs())).prop_map(
            |(import, target, args, dst, sub_key)| Instr::CallExt {
                import,
                target,
                args,
                dst,
                sub_key
            }
        ),
        (0u16..2, regs()).prop_map(|(event, args)| Instr::Emit { event, args }),
        (reg(), 0u32..2).prop_map(|(cond, msg)| Instr::Require { cond, msg }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..512)) {
        let mut bytes = braid_bytecode::encode::MAGIC.to_vec();
        bytes.extend_from_slice(&body);
        exercise(&bytes);
        exercise(&body);
    }

    #[test]
    fn modules_with_random_instructions_never_panic(
        which in 0usize..3,
        inserts in proptest::collection::vec((any::<usize>(), any::<usize>(), any::<usize>(), arb_instr()), 1..6),
        args in proptest::collection::vec(0u64..4, 0..4),
    ) {
        let mut m = [token(), store(), caller()][which].clone();
        for f in &mut m.functions {
            f.n_regs = f.n_regs.max(12);
        }
        for (fi, bi, ii, ins) in inserts {
            let f = fi % m.functions.len();
            let blocks = &mut m.functions[f].blocks;
            let b = bi % blocks.len();
            let instrs = &mut blocks[b].instrs;
            let i = ii % (instrs.len() + 1);
            instrs.insert(i, ins);
        }
        let Ok(v) = verify(&m) else {
            return Ok(());
        };
        let mut chain = Chain::new();
        let other = deploy(&mut chain, store(), vec![]);
        let code = chain.load_module(m).expect("verified above");
        let init_args = v
            .init()
            .map(|i| vec![U256::ZERO; usize::from(v.functions[usize::from(i)].param_words)])
            .unwrap_or_default();
        let Ok(addr) = chain.deploy(code, DEPLOYER, init_args, block(), 100_000) else {
            return Ok(());
        };
        let mut words: Vec<U256> = args.iter().map(|&a| U256::from(a)).collect();
        words.push(braid_bytecode::encode::address_to_word(&other));
        for (name, &f) in &v.by_name {
            let n = usize::from(v.functions[usize::from(f)].param_words);
            let a: Vec<U256> = (0..n).map(|i| words[i % words.len()]).collect();
            let r = chain.execute_block(block(), &[tx(ALICE, addr, name, a, 100_000)])
.expect("the block is within the block gas limit");
            prop_assert!(!matches!(r[0].status, Err(crate::Failure::Internal(_))), "{:?}", r[0].status);
        }
    }

    #[test]
    fn mutated_modules_never_panic(
        which in 0usize..3,
        edits in proptest::collection::vec((any::<usize>(), any::<u8>(), 0u8..4), 1..6),
    ) {
        let m = [token(), store(), caller()][which].clone();
        let mut bytes = braid_bytecode::encode::encode(&m);
        for (pos, byte, op) in edits {
            if bytes.is_empty() {
                break;
            }
            let i = pos % bytes.len();
            match op {
                0 => bytes[i] = byte,
                1 => bytes[i] ^= 1 << (byte % 8),
                2 => bytes.insert(i, byte),
                _ => {
                    bytes.remove(i);
                }
            }
        }
        exercise(&bytes);
    }
}

#[test]
fn valid_modules_run_through_exercise() {
    for m in [token(), store(), caller()] {
        exercise(&braid_bytecode::encode::encode(&m));
    }
}

// ---- the format's limits (braid_bytecode::limits), shared with the compiler ----

#[test]
fn tables_beyond_sixteen_bit_indices_are_rejected() {
    use braid_bytecode::{EventDef, MAX_POOL_ENTRIES, MAX_TABLE_ENTRIES};
    let mut m = token();
    m.events = (0..=MAX_TABLE_ENTRIES)
        .map(|i| EventDef {
            name: format!("e{i}"),
            params: Vec::new(),
        })
        .collect();
    assert!(matches!(kind_of(&m), VerifyErrorKind::TooLarge(s) if s.contains("events")));
    let mut m = token();
    m.storage = (0..=MAX_TABLE_ENTRIES)
        .map(|i| scalar(&format!("f{i}"), ValueType::U64))
        .collect();
    assert!(matches!(kind_of(&m), VerifyErrorKind::TooLarge(s) if s.contains("storage fields")));
    let mut m = token();
    m.strings = vec![String::new(); MAX_POOL_ENTRIES + 1];
    assert!(matches!(kind_of(&m), VerifyErrorKind::TooLarge(s) if s.contains("strings")));
}

#[test]
fn too_many_access_patterns_are_rejected() {
    let mut m = token();
    let p = m
        .functions
        .iter()
        .flat_map(|f| f.access.first().cloned())
        .next()
        .expect("token() has a summary");
    m.functions[1].access = vec![p; braid_bytecode::MAX_ACCESS_PATTERNS + 1];
    assert!(matches!(kind_of(&m), VerifyErrorKind::TooLarge(s) if s.contains("access patterns")));
}

#[test]
fn modules_beyond_the_size_limit_are_rejected() {
    let mut m = token();
    m.strings = vec!["x".repeat(1 << 16); 17];
    assert!(
        matches!(kind_of(&m), VerifyErrorKind::TooLarge(s) if s.contains("encoded module bytes"))
    );
}

#[test]
fn storage_values_at_the_word_limit_verify_and_beyond_do_not() {
    let wide = |n: usize| ValueType::Tuple(vec![ValueType::U8; n]);
    let mut m = token();
    m.storage
        .push(scalar("wide", wide(braid_bytecode::MAX_VALUE_WORDS)));
    assert!(verify(&m).is_ok());
    let mut m = token();
    m.storage
        .push(scalar("wide", wide(braid_bytecode::MAX_VALUE_WORDS + 1)));
    assert!(matches!(kind_of(&m), VerifyErrorKind::TooLarge(_)));
    let mut m = token();
    m.storage.push(scalar("unit", ValueType::unit()));
    assert!(matches!(kind_of(&m), VerifyErrorKind::BadType(_)));
}
