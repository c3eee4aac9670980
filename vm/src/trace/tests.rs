//! Failure stacks, traces and source maps on hand-built modules.

use super::{StackFrame, TraceEntry};
use crate::testutil::*;
use crate::{Chain, Executor, Failure, LoadError};
use braid_bytecode::encode::{self, DecodeError};
use braid_bytecode::{
    CodeOffset, FunctionSourceMap, Instr, Module, SourceMap, SourcePosition, Terminator, ValueType,
    Visibility,
};

/// `run()` calls the internal `inner()`, which reverts (at its terminator).
fn nested() -> Module {
    let run = func(
        "run",
        Visibility::Pub,
        &[],
        ValueType::unit(),
        1,
        vec![blk(
            vec![Instr::Call {
                func: 1,
                args: rs(0, 0),
                dst: rs(0, 0),
            }],
            ret_unit(),
        )],
    );
    let inner = func(
        "inner",
        Visibility::Internal,
        &[],
        ValueType::unit(),
        1,
        vec![blk(vec![], Terminator::Revert(0))],
    );
    let mut m = module("Nested", vec![], vec![run, inner]);
    m.strings = vec!["no".into()];
    m
}

fn position(block: u32, instr: u32, line: u32) -> SourcePosition {
    SourcePosition {
        at: CodeOffset { block, instr },
        file: 0,
        line,
        col: 9,
    }
}

fn with_map(mut m: Module) -> Module {
    m.source_map = Some(SourceMap {
        files: vec!["nested.braid".into()],
        functions: vec![
            FunctionSourceMap {
                positions: vec![position(0, 0, 3)],
            },
            FunctionSourceMap {
                positions: vec![position(0, 0, 7)],
            },
        ],
    });
    m
}

#[test]
fn a_failure_carries_its_call_stack_and_its_location() {
    let mut chain = Chain::new();
    let at = deploy(&mut chain, with_map(nested()), vec![]);
    let receipt = chain
        .execute_block(block(), &[tx(ALICE, at, "run", vec![], GAS)])
        .expect("within the block gas limit")
        .remove(0);
    assert_eq!(receipt.status, Err(Failure::Revert("no".into())));
    let call = CodeOffset { block: 0, instr: 0 };
    assert_eq!(
        receipt.stack,
        vec![
            StackFrame {
                contract: at,
                func: 0,
                at: Some(call),
            },
            StackFrame {
                contract: at,
                func: 1,
                // The revert terminator of a block with no instructions.
                at: Some(CodeOffset { block: 0, instr: 0 }),
            },
        ]
    );
    let module = chain.module_at(&at).expect("deployed");
    let inner = module
        .location(1, CodeOffset::default())
        .map(|l| l.to_string());
    assert_eq!(inner.as_deref(), Some("nested.braid:7:9"));
    // No trace unless asked for.
    assert_eq!(receipt.trace, None);
}

#[test]
fn success_has_no_stack_and_a_stripped_module_runs_the_same() {
    let mut chain = Chain::new();
    let at = deploy(&mut chain, store(), vec![]);
    let receipt = chain
        .execute_block(block(), &[tx(ALICE, at, "set", vec![u(5)], GAS)])
        .expect("within the block gas limit")
        .remove(0);
    assert!(receipt.is_success() && receipt.stack.is_empty());

    // The same code with and without a source map: one code hash, same receipts.
    let (mut a, mut b) = (Chain::new(), Chain::new());
    let x = deploy(&mut a, with_map(nested()), vec![]);
    let y = deploy(&mut b, nested(), vec![]);
    assert_eq!(a.digest(), b.digest());
    let run = |c: &mut Chain, to| {
        c.execute_block(block(), &[tx(ALICE, to, "run", vec![], GAS)])
            .expect("within the block gas limit")
            .remove(0)
    };
    let (ra, rb) = (run(&mut a, x), run(&mut b, y));
    assert_eq!(ra, rb);
    assert_eq!(
        b.module_at(&y)
            .and_then(|m| m.location(1, CodeOffset::default())),
        None
    );
}

#[test]
fn the_trace_records_calls_storage_events_and_the_failure() {
    let mut chain = Chain::new();
    let store = deploy(&mut chain, store(), vec![]);
    let caller = deploy(&mut chain, caller(), vec![]);
    let store_word = braid_bytecode::encode::address_to_word(&store);
    let txs = [tx(
        ALICE,
        caller,
        "set_then",
        vec![store_word, u(9), u(1)],
        GAS,
    )];
    let mut traced = Executor::sequential().with_trace(true);
    let receipt = traced
        .execute(&mut chain.clone(), block(), &txs)
        .expect("within the block gas limit")
        .receipts
        .remove(0);
    let failure = Failure::Revert("after".into());
    assert_eq!(receipt.status, Err(failure.clone()));
    let trace = receipt.trace.expect("recorded");
    assert_eq!(
        trace,
        vec![
            TraceEntry::Call {
                depth: 0,
                contract: caller,
                func: 0,
                external: false,
                args: vec![store_word, u(9), u(1)],
            },
            TraceEntry::Call {
                depth: 1,
                contract: store,
                func: 0,
                external: true,
                args: vec![u(9)],
            },
            TraceEntry::Write {
                depth: 2,
                contract: store,
                field: 0,
                key: vec![],
                value: vec![u(9)],
            },
            TraceEntry::Event {
                depth: 2,
                contract: store,
                event: 0,
                args: vec![u(9)],
            },
            TraceEntry::Return {
                depth: 2,
                words: vec![],
            },
            TraceEntry::Fail { depth: 1, failure },
        ]
    );
    // The parallel executor records the same trace.
    let mut parallel = Executor::parallel(2)
        .expect("a pool of two")
        .always_parallel()
        .with_trace(true);
    let again = parallel
        .execute(&mut chain.clone(), block(), &txs)
        .expect("within the block gas limit")
        .receipts
        .remove(0);
    assert_eq!(again.trace.as_ref(), Some(&trace));
    // Switched off again: nothing recorded.
    parallel.set_trace(false);
    let quiet = parallel
        .execute(&mut chain, block(), &txs)
        .expect("within the block gas limit")
        .receipts
        .remove(0);
    assert_eq!(quiet.trace, None);
}

#[test]
fn a_corrupt_source_map_is_a_load_error_never_a_panic() {
    let good = with_map(nested());
    let bytes = encode::encode(&good);
    let code = encode::encode_code(&good);
    assert!(bytes.len() > code.len());
    assert_eq!(encode::decode(&bytes), Ok(good.clone()));
    assert_eq!(encode::code_hash_of(&good), encode::code_hash(&code));

    // A truncated section.
    let cut = &bytes[..bytes.len() - 2];
    assert!(matches!(
        encode::decode(cut),
        Err(DecodeError::SourceMap(_))
    ));
    // Another section version.
    let mut other = code.clone();
    other.push(2);
    other.extend_from_slice(&bytes[code.len() + 1..]);
    assert!(matches!(
        encode::decode(&other),
        Err(DecodeError::SourceMap(_))
    ));

    // Offsets, files and entries that do not fit the code are verifier errors.
    let bad_maps = [
        vec![position(1, 0, 3)],                    // block out of range
        vec![position(0, 2, 3)],                    // past the terminator
        vec![position(0, 0, 3), position(0, 0, 4)], // not increasing
        vec![SourcePosition {
            file: 1,
            ..position(0, 0, 3)
        }], // file out of range
    ];
    for positions in bad_maps {
        let mut m = good.clone();
        if let Some(map) = &mut m.source_map {
            map.functions[0].positions = positions.clone();
        }
        let err = Chain::new()
            .load_module_bytes(&encode::encode(&m))
            .expect_err("a source map that does not fit the code");
        assert!(
            matches!(&err, LoadError::Verify(e) if e.location == "source map"),
            "{positions:?}: {err}"
        );
    }
    let mut missing = good.clone();
    if let Some(map) = &mut missing.source_map {
        map.functions.pop();
    }
    assert!(Chain::new().load_module(missing).is_err());

    // Every single-byte corruption of the section decodes or fails cleanly.
    for i in code.len()..bytes.len() {
        for flip in [0x01u8, 0x80, 0xff] {
            let mut b = bytes.clone();
            b[i] ^= flip;
            let _ = Chain::new().load_module_bytes(&b);
        }
    }
}
