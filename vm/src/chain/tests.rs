//! Chain tests: deployment, blocks, receipts, views, digests.

use crate::testutil::*;
use crate::{Chain, DeployError, Failure, PanicKind};
use braid_bytecode::encode::{self, address_to_word, contract_address};
use braid_bytecode::{U256, ValueType};

fn token_chain(supply: u64) -> (Chain, [u8; 20]) {
    let mut chain = Chain::new();
    let addr = deploy(&mut chain, token(), vec![u(supply)]);
    (chain, addr)
}

fn balance(chain: &Chain, token: [u8; 20], who: [u8; 20]) -> U256 {
    let r = chain.call_view(
        block(),
        &tx(ALICE, token, "balance_of", vec![address_to_word(&who)], GAS),
    );
    assert!(r.is_success(), "{:?}", r.status);
    r.ret[0]
}

#[test]
fn deploy_runs_init_at_the_derived_address() {
    let (chain, addr) = token_chain(1000);
    assert_eq!(addr, contract_address(&DEPLOYER, 0));
    assert_eq!(balance(&chain, addr, DEPLOYER), u(1000));
    assert_eq!(chain.state().deploy_count(&DEPLOYER), 1);
    assert_eq!(
        chain.module_at(&addr).map(|m| m.name.as_str()),
        Some("Token")
    );
    let mut chain = chain;
    let second = deploy(&mut chain, token(), vec![u(5)]);
    assert_eq!(second, contract_address(&DEPLOYER, 1));
    // Two deployments share one loaded module.
    assert_eq!(
        chain.state().code_hash(&addr),
        chain.state().code_hash(&second)
    );
}

#[test]
fn transfer_block_commits_and_emits() {
    let (mut chain, t) = token_chain(1000);
    let txs = vec![
        tx(
            DEPLOYER,
            t,
            "transfer",
            vec![address_to_word(&ALICE), u(300)],
            GAS,
        ),
        tx(
            ALICE,
            t,
            "transfer",
            vec![address_to_word(&BOB), u(500)],
            GAS,
        ),
        tx(
            ALICE,
            t,
            "transfer",
            vec![address_to_word(&BOB), u(100)],
            GAS,
        ),
    ];
    let receipts = chain
        .execute_block(block(), &txs)
        .expect("the block is within the block gas limit");
    assert!(receipts[0].is_success());
    assert_eq!(receipts[0].ret, vec![u(1)]);
    assert_eq!(receipts[0].ret_type, ValueType::Bool);
    assert_eq!(receipts[0].events.len(), 1);
    assert_eq!(receipts[0].events[0].name(), "Transfer");
    assert_eq!(receipts[0].events[0].contract, t);
    assert_eq!(
        receipts[0].events[0].args,
        vec![address_to_word(&DEPLOYER), address_to_word(&ALICE), u(300)]
    );
    assert_eq!(
        receipts[1].status,
        Err(Failure::Revert("insufficient balance".into()))
    );
    assert!(receipts[1].events.is_empty() && receipts[1].ret.is_empty());
    assert!(receipts[1].gas_used > 0);
    assert!(receipts[2].is_success());
    assert_eq!(balance(&chain, t, DEPLOYER), u(700));
    assert_eq!(balance(&chain, t, ALICE), u(200));
    assert_eq!(balance(&chain, t, BOB), u(100));
}

/// `counter: u8`; `bump(x: u8)`: `counter += x` (checked).
fn counter() -> braid_bytecode::Module {
    use braid_bytecode::{ArithOp, Instr, KeyPattern, Visibility, Width};
    let mut bump = func(
        "bump",
        Visibility::Pub,
        &[ValueType::U8],
        ValueType::unit(),
        2,
        vec![blk(
            vec![
                Instr::SLoad {
                    field: 0,
                    key: rs(0, 0),
                    dst: rs(1, 1),
                },
                Instr::Arith {
                    op: ArithOp::Add,
                    width: Width::W8,
                    dst: r(1),
                    a: r(1),
                    b: r(0),
                },
                Instr::SStore {
                    field: 0,
                    key: rs(0, 0),
                    src: rs(1, 1),
                },
            ],
            ret_unit(),
        )],
    );
    bump.access = vec![own(true, 0, KeyPattern::Scalar)];
    module(
        "Counter",
        vec![scalar("counter", ValueType::U8)],
        vec![bump],
    )
}

#[test]
fn overflow_panics_and_changes_nothing() {
    let mut chain = Chain::new();
    let c = deploy(&mut chain, counter(), vec![]);
    let r = chain
        .execute_block(block(), &[tx(ALICE, c, "bump", vec![u(250)], GAS)])
        .expect("the block is within the block gas limit");
    assert!(r[0].is_success());
    let before = chain.digest();
    let r = chain
        .execute_block(block(), &[tx(ALICE, c, "bump", vec![u(6)], GAS)])
        .expect("the block is within the block gas limit");
    assert_eq!(r[0].status, Err(Failure::Panic(PanicKind::Overflow)));
    assert!(r[0].gas_used > 0);
    assert_eq!(chain.digest(), before);
    let r = chain
        .execute_block(block(), &[tx(ALICE, c, "bump", vec![u(5)], GAS)])
        .expect("the block is within the block gas limit");
    assert!(r[0].is_success());
    assert_ne!(chain.digest(), before);
}

#[test]
fn bad_transactions_are_bad_call_receipts() {
    let (mut chain, t) = token_chain(10);
    let cases = vec![
        tx(ALICE, [9; 20], "transfer", vec![], GAS),
        tx(ALICE, t, "nope", vec![], GAS),
        tx(ALICE, t, "transfer", vec![u(1)], GAS),
        tx(ALICE, t, "transfer", vec![u(1), u(2), u(3)], GAS),
        // an address word above 160 bits
        tx(ALICE, t, "transfer", vec![U256::MAX, u(2)], GAS),
        // a u128 word above 128 bits
        tx(
            ALICE,
            t,
            "transfer",
            vec![u(1), U256::from(1u8) << 128],
            GAS,
        ),
        // init is not callable
        tx(ALICE, t, "init", vec![u(1)], GAS),
    ];
    for (i, r) in chain
        .execute_block(block(), &cases)
        .expect("the block is within the block gas limit")
        .iter()
        .enumerate()
    {
        assert!(
            matches!(r.status, Err(Failure::BadCall(_))),
            "case {i}: {:?}",
            r.status
        );
        assert_eq!(r.gas_used, 0);
    }
    assert!(chain.access_set(&cases[1]).is_err());
}

#[test]
fn deploy_errors_leave_the_chain_unchanged() {
    let mut chain = Chain::new();
    assert_eq!(
        chain.deploy([0; 32], DEPLOYER, vec![], block(), GAS),
        Err(DeployError::NoSuchContract)
    );
    let code = chain.load_module(token()).expect("loads");
    let before = chain.digest();
    assert!(matches!(
        chain.deploy(code, DEPLOYER, vec![], block(), GAS),
        Err(DeployError::BadArgs(_))
    ));
    assert_eq!(
        chain.deploy(code, DEPLOYER, vec![u(1)], block(), 3),
        Err(DeployError::InitFailed(Failure::OutOfGas))
    );
    assert_eq!(chain.digest(), before);
    assert_eq!(chain.state().deploy_count(&DEPLOYER), 0);
}

#[test]
fn call_view_commits_nothing_and_clone_keeps_history() {
    let (mut chain, t) = token_chain(1000);
    let transfer = tx(
        DEPLOYER,
        t,
        "transfer",
        vec![address_to_word(&ALICE), u(1)],
        GAS,
    );
    let before = chain.clone();
    let r = chain.call_view(block(), &transfer);
    assert!(r.is_success());
    assert_eq!(chain.digest(), before.digest());
    chain
        .execute_block(block(), &[transfer])
        .expect("the block is within the block gas limit");
    assert_ne!(chain.digest(), before.digest());
    assert_eq!(balance(&before, t, ALICE), u(0));
    assert_eq!(balance(&chain, t, ALICE), u(1));
}

#[test]
fn digest_is_deterministic_across_histories() {
    // Same final contents reached by different transaction orders.
    let run = |order: &[(u64, [u8; 20])]| {
        let (mut chain, t) = token_chain(1000);
        let txs: Vec<_> = order
            .iter()
            .map(|(amt, to)| {
                tx(
                    DEPLOYER,
                    t,
                    "transfer",
                    vec![address_to_word(to), u(*amt)],
                    GAS,
                )
            })
            .collect();
        chain
            .execute_block(block(), &txs)
            .expect("the block is within the block gas limit");
        chain.digest()
    };
    let a = run(&[(10, ALICE), (20, BOB), (5, ALICE)]);
    let b = run(&[(20, BOB), (15, ALICE)]);
    let c = run(&[(15, ALICE), (20, BOB)]);
    assert_eq!(a, b);
    assert_eq!(b, c);
    assert_ne!(a, run(&[(15, ALICE), (21, BOB)]));
    // Moving everything away and back deletes the zero entries.
    let d = run(&[(1000, ALICE)]);
    let (mut chain, t) = token_chain(1000);
    chain
        .execute_block(
            block(),
            &[tx(
                DEPLOYER,
                t,
                "transfer",
                vec![address_to_word(&ALICE), u(1000)],
                GAS,
            )],
        )
        .expect("the block is within the block gas limit");
    assert_eq!(chain.digest(), d);
    assert_eq!(chain.state().storage_len(), 2); // total + alice's balance
}

#[test]
fn loading_is_cached_by_code_hash() {
    let mut chain = Chain::new();
    let a = chain.load_module(token()).expect("loads");
    let b = chain
        .load_module_bytes(&encode::encode(&token()))
        .expect("loads from bytes");
    assert_eq!(a, b);
    assert_eq!(a, encode::code_hash(&encode::encode(&token())));
    assert!(chain.load_module_bytes(b"garbage").is_err());
}

#[test]
fn chain_and_state_are_shareable_across_threads() {
    fn shareable<T: Send + Sync>() {}
    shareable::<Chain>();
    shareable::<crate::WorldState>();
    shareable::<crate::VerifiedModule>();
    shareable::<crate::AccessSet>();
    // Receipts and outcomes travel back from worker threads.
    shareable::<crate::Receipt>();
    shareable::<crate::BlockOutcome>();
}

#[test]
fn every_executor_matches_execute_block_and_reuses_its_buffers() {
    let (chain, t) = token_chain(1000);
    let to = |who: &[u8; 20], n: u64| vec![address_to_word(who), u(n)];
    let txs = vec![
        tx(DEPLOYER, t, "transfer", to(&ALICE, 300), GAS),
        tx(ALICE, t, "transfer", to(&BOB, 500), GAS),
        tx(ALICE, t, "no_such_function", vec![], GAS),
        tx(ALICE, [0x77; 20], "transfer", to(&BOB, 1), GAS),
        tx(ALICE, t, "transfer", to(&BOB, 100), 3),
        tx(ALICE, t, "transfer", to(&BOB, 100), GAS),
        tx(BOB, t, "transfer", to(&DEPLOYER, 50), GAS),
    ];
    let mut plain = chain.clone();
    let expected = plain
        .execute_block(block(), &txs)
        .expect("the block is within the block gas limit");
    assert!(!expected[2].is_success() && !expected[3].is_success());

    let executors = [
        crate::Executor::sequential(),
        crate::Executor::parallel(1).expect("a pool of one"),
        crate::Executor::parallel(3).expect("a pool of three"),
    ];
    for mut ex in executors {
        // One executor across several blocks gives the same receipts and state.
        let mut reused = chain.clone();
        let mut got = Vec::new();
        for part in txs.chunks(3) {
            got.extend(
                ex.execute(&mut reused, block(), part)
                    .expect("the block is within the block gas limit")
                    .receipts,
            );
        }
        assert_eq!(got, expected, "{ex:?}");
        assert_eq!(reused.digest(), plain.digest(), "{ex:?}");
    }
}

#[test]
fn a_block_above_the_gas_limit_is_refused_and_changes_nothing() {
    let (mut chain, t) = token_chain(1000);
    chain.set_block_gas_limit(2 * GAS);
    let before = chain.digest();
    let pay = tx(
        DEPLOYER,
        t,
        "transfer",
        vec![address_to_word(&ALICE), u(1)],
        GAS,
    );
    let three = vec![pay.clone(), pay.clone(), pay.clone()];
    assert_eq!(
        chain.execute_block(block(), &three),
        Err(crate::BlockError::GasLimit {
            declared: 3 * GAS,
            limit: 2 * GAS
        })
    );
    assert_eq!(chain.digest(), before);
    assert!(chain.execute_block(block(), &three[..2]).is_ok());
}
