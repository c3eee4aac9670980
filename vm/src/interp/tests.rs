//! Interpreter tests on hand-built modules: gas, calls, atomicity, access enforcement.

use crate::testutil::*;
use crate::{Address, Chain, Failure, Receipt};
use braid_bytecode::encode::{address_to_word, sub_account};
use braid_bytecode::{KeyPattern, U256, ValueType, WordExpr};

struct World {
    chain: Chain,
    store: Address,
    caller: Address,
}

fn world() -> World {
    let mut chain = new_chain(super::TEST_ENGINE);
    let store = deploy(&mut chain, store(), vec![]);
    let caller = deploy(&mut chain, caller(), vec![]);
    World {
        chain,
        store,
        caller,
    }
}

impl World {
    fn run(&mut self, to: Address, function: &str, args: Vec<U256>, gas: u64) -> Receipt {
        let mut r = self
            .chain
            .execute_block(block(), &[tx(ALICE, to, function, args, gas)])
            .expect("the block is within the block gas limit");
        r.pop().expect("one receipt per transaction")
    }

    fn stored(&self) -> U256 {
        self.chain
            .call_view(block(), &tx(ALICE, self.store, "get", vec![], GAS))
            .ret[0]
    }
}

fn addr(a: &Address) -> U256 {
    address_to_word(a)
}

#[test]
fn external_call_commits_callee_writes_and_events() {
    let mut w = world();
    let (s, c) = (w.store, w.caller);
    let r = w.run(c, "set_then", vec![addr(&s), u(42), u(0)], GAS);
    assert!(r.is_success(), "{:?}", r.status);
    assert_eq!(w.stored(), u(42));
    assert_eq!(r.events.len(), 1);
    assert_eq!(r.events[0].contract, s);
    assert_eq!(r.events[0].name(), "Set");
    assert_eq!(r.events[0].args, vec![u(42)]);
}

#[test]
fn revert_after_an_external_call_discards_the_callees_writes_and_events() {
    let mut w = world();
    let (s, c) = (w.store, w.caller);
    w.run(c, "set_then", vec![addr(&s), u(1), u(0)], GAS);
    let before = w.chain.digest();
    let r = w.run(c, "set_then", vec![addr(&s), u(99), u(1)], GAS);
    assert_eq!(r.status, Err(Failure::Revert("after".into())));
    assert!(r.events.is_empty() && r.ret.is_empty());
    assert!(r.gas_used > 0);
    assert_eq!(w.stored(), u(1));
    assert_eq!(w.chain.digest(), before);
}

#[test]
fn access_violations_are_caught_at_run_time() {
    let mut chain = new_chain(super::TEST_ENGINE);
    let t = deploy(&mut chain, token(), vec![u(100)]);
    let before = chain.digest();
    // `steal` declares only a read of balances[who] but writes it.
    let r = chain
        .execute_block(block(), &[tx(ALICE, t, "steal", vec![addr(&BOB)], GAS)])
        .expect("the block is within the block gas limit");
    let Err(Failure::AccessViolation(msg)) = &r[0].status else {
        panic!("expected an access violation, got {:?}", r[0].status);
    };
    assert!(msg.contains("write of Token.balances["), "{msg}");
    assert_eq!(chain.digest(), before);
    // A callee's write outside the caller's summary.
    let mut w = world();
    let (s, c) = (w.store, w.caller);
    let r = w.run(c, "set_unlisted", vec![addr(&s), u(5)], GAS);
    assert!(
        matches!(r.status, Err(Failure::AccessViolation(_))),
        "{:?}",
        r.status
    );
    assert_eq!(w.stored(), u(0));
}

#[test]
fn whole_map_patterns_cover_every_key_and_reads_need_an_entry() {
    let mut m = token();
    // steal with `writes balances[*]` is allowed.
    m.functions[3].access = vec![own(true, 0, KeyPattern::Whole)];
    // balance_of reading a key it does not declare.
    m.functions[2].access = vec![own(false, 0, key(vec![WordExpr::Caller]))];
    let mut chain = new_chain(super::TEST_ENGINE);
    let t = deploy(&mut chain, m, vec![u(100)]);
    let r = chain
        .execute_block(block(), &[tx(ALICE, t, "steal", vec![addr(&BOB)], GAS)])
        .expect("the block is within the block gas limit");
    assert!(r[0].is_success(), "{:?}", r[0].status);
    let r = chain.call_view(block(), &tx(ALICE, t, "balance_of", vec![addr(&BOB)], GAS));
    assert!(matches!(r.status, Err(Failure::AccessViolation(ref m)) if m.starts_with("read of")));
    let r = chain.call_view(
        block(),
        &tx(ALICE, t, "balance_of", vec![addr(&ALICE)], GAS),
    );
    assert!(r.is_success());
}

#[test]
fn reentry_into_a_contract_on_the_stack_fails() {
    let mut w = world();
    let (s, c) = (w.store, w.caller);
    assert_eq!(
        w.run(c, "reenter", vec![addr(&s)], GAS).status,
        Err(Failure::Reentrancy)
    );
    assert_eq!(
        w.run(c, "self_call", vec![], GAS).status,
        Err(Failure::Reentrancy)
    );
    assert!(w.run(c, "poke", vec![], GAS).is_success());
}

#[test]
fn call_depth_is_limited_to_64_frames() {
    let mut w = world();
    let c = w.caller;
    // deep(n) uses n + 2 frames.
    let ok = w.run(c, "deep", vec![u(62)], 10 * GAS);
    assert!(ok.is_success(), "{:?}", ok.status);
    let r = w.run(c, "deep", vec![u(63)], 10 * GAS);
    assert_eq!(r.status, Err(Failure::CallDepth));
    assert!(r.gas_used > ok.gas_used && r.gas_used < 10 * GAS);
}

#[test]
fn bad_calls_inside_a_transaction() {
    let mut w = world();
    let (s, c) = (w.store, w.caller);
    let r = w.run(c, "call_missing", vec![addr(&s)], GAS);
    assert!(
        matches!(r.status, Err(Failure::BadCall(ref m)) if m.contains("no public function missing()->()")),
        "{:?}",
        r.status
    );
    let r = w.run(c, "call_missing", vec![addr(&[0x77; 20])], GAS);
    assert!(
        matches!(r.status, Err(Failure::BadCall(ref m)) if m.contains("no contract")),
        "{:?}",
        r.status
    );
    // Calling a contract of another type: the Token has no `set(u64)`.
    let t = deploy(&mut w.chain, token(), vec![u(1)]);
    let r = w.run(c, "set_then", vec![addr(&t), u(1), u(0)], GAS);
    assert!(
        matches!(r.status, Err(Failure::BadCall(_))),
        "{:?}",
        r.status
    );
}

#[test]
fn sub_account_calls_set_the_callees_caller() {
    let mut w = world();
    let (s, c) = (w.store, w.caller);
    let r = w.run(c, "who", vec![addr(&s), u(7)], GAS);
    assert!(r.is_success(), "{:?}", r.status);
    assert_eq!(r.ret, vec![addr(&sub_account(&c, &[u(7)]))]);
    assert_eq!(r.ret_type, ValueType::Address);
    let r = w.run(c, "who_plain", vec![addr(&s)], GAS);
    assert_eq!(r.ret, vec![addr(&c)]);
    let r = w.run(c, "sub", vec![u(7)], GAS);
    assert_eq!(r.ret, vec![addr(&sub_account(&c, &[u(7)]))]);
    // The sender of a transaction is the entry function's caller.
    let r = w.run(s, "whoami", vec![], GAS);
    assert_eq!(r.ret, vec![addr(&ALICE)]);
}

#[test]
fn gas_is_charged_per_block_on_entry_exactly() {
    let mut w = world();
    let c = w.caller;
    // spin(n) costs its frame (4 registers) + b0 (4) + (n + 1) * b1 (5) + n * b2 (5)
    // + b3 (2) = 15 + 10 n.
    for n in [0u64, 1, 3, 10] {
        let total = 15 + 10 * n;
        let r = w.run(c, "spin", vec![u(n)], total);
        assert!(r.is_success(), "n = {n}: {:?}", r.status);
        assert_eq!(r.gas_used, total);
        let r = w.run(c, "spin", vec![u(n)], total + 100);
        assert_eq!(r.gas_used, total);
        let r = w.run(c, "spin", vec![u(n)], total - 1);
        assert_eq!(r.status, Err(Failure::OutOfGas));
        assert_eq!(r.gas_used, total - 1);
    }
    let r = w.run(c, "spin", vec![u(1)], 0);
    assert_eq!((r.status, r.gas_used), (Err(Failure::OutOfGas), 0));
}

#[test]
fn external_calls_share_the_gas_counter() {
    let mut w = world();
    let (s, c) = (w.store, w.caller);
    let caller_info = w.chain.verified_at(&c).expect("deployed").functions[0].clone();
    let store_info = w.chain.verified_at(&s).expect("deployed").functions[0].clone();
    let access_gas = braid_bytecode::cost::access_gas(
        &w.chain.module_at(&c).expect("deployed").functions[0].access,
    );
    assert!(access_gas > 0);
    // set_then(fail = false): its access set, both frames + caller b0 + store.set b0 +
    // caller b2.
    let frames = caller_info.frame_gas + store_info.frame_gas;
    assert_eq!((caller_info.frame_gas, store_info.frame_gas), (3, 1));
    let total = access_gas
        + frames
        + caller_info.block_gas[0]
        + store_info.block_gas[0]
        + caller_info.block_gas[2];
    let r = w.run(c, "set_then", vec![addr(&s), u(3), u(0)], total);
    assert!(r.is_success(), "{:?}", r.status);
    assert_eq!(r.gas_used, total);
    let r = w.run(c, "set_then", vec![addr(&s), u(4), u(0)], total - 1);
    assert_eq!((r.status, r.gas_used), (Err(Failure::OutOfGas), total - 1));
    assert_eq!(w.stored(), u(3));
    // A revert reports the gas of the blocks entered before it.
    let revert_block = caller_info.block_gas[1];
    let r = w.run(c, "set_then", vec![addr(&s), u(5), u(1)], GAS);
    assert_eq!(
        r.gas_used,
        access_gas + frames + caller_info.block_gas[0] + store_info.block_gas[0] + revert_block
    );
}
