//! Storage of aggregates: struct values, tuple keys, sub-accounts.

use super::interp::Machine;
use super::*;

#[test]
fn struct_storage_partial_writes() {
    let mut p = Prog::new("Dex", vec![], vec![]);
    let pool = p.add_struct("Pool", vec![("reserve0", U128), ("reserve1", U128)]);
    p.p.contracts[0].storage.push(StorageField {
        name: "pools".into(),
        key: Some(U64),
        value: pool.clone(),
        span: Span::default(),
    });
    // fn put(id: u64, a: u128, b: u128) { pools[id] = Pool { reserve1: b, reserve0: a }; }
    let lit_pool = ex(
        ExprKind::Struct(StructId(0), vec![(1, var(2, U128)), (0, var(1, U128))]),
        pool.clone(),
    );
    p.f(
        "put",
        FnKind::Pub,
        vec![("id", U64), ("a", U128), ("b", U128)],
        vec![],
        Ty::Unit,
        blk(
            vec![sstore(
                0,
                Some(var(0, U64)),
                vec![],
                pool.clone(),
                None,
                lit_pool,
            )],
            None,
        ),
    );
    // fn add1(id: u64, x: u128) { pools[id].reserve1 += x; pools[id].reserve0 = 9; }
    p.f(
        "add1",
        FnKind::Pub,
        vec![("id", U64), ("x", U128)],
        vec![],
        Ty::Unit,
        blk(
            vec![
                sstore(
                    0,
                    Some(var(0, U64)),
                    vec![1],
                    U128,
                    Some(BinOp::Add),
                    var(1, U128),
                ),
                sstore(0, Some(var(0, U64)), vec![0], U128, None, lit(9, U128)),
            ],
            None,
        ),
    );
    // fn get(id) -> Pool { pools[id] }   fn get1(id) -> u128 { pools[id].reserve1 }
    p.f(
        "get",
        FnKind::PubView,
        vec![("id", U64)],
        vec![],
        pool.clone(),
        blk(vec![], Some(sload(0, Some(var(0, U64)), pool.clone()))),
    );
    p.f(
        "get1",
        FnKind::PubView,
        vec![("id", U64)],
        vec![],
        U128,
        blk(
            vec![],
            Some(field(sload(0, Some(var(0, U64)), pool.clone()), 1, U128)),
        ),
    );
    let m = p.lower();
    assert_eq!(m.storage[0].value.words(), 2);
    let mut vm = Machine::new(1);
    vm.call(&m, "put", &[w(3), w(10), w(20)]).expect("put");
    assert_eq!(vm.call(&m, "get", &[w(3)]), Ok(vec![w(10), w(20)]));
    vm.call(&m, "add1", &[w(3), w(5)]).expect("add1");
    assert_eq!(vm.call(&m, "get", &[w(3)]), Ok(vec![w(9), w(25)]));
    assert_eq!(vm.call(&m, "get1", &[w(3)]), Ok(vec![w(25)]));
    assert_eq!(vm.call(&m, "get", &[w(4)]), Ok(vec![w(0), w(0)]));
}

#[test]
fn tuple_map_keys_and_sub_accounts() {
    let mut p = Prog::new(
        "A",
        vec![("allow", Some(Ty::Tuple(vec![ADDR, ADDR])), U128)],
        vec![],
    );
    let key = || tuple(vec![var(0, ADDR), var(1, ADDR)]);
    p.f(
        "approve",
        FnKind::Pub,
        vec![("a", ADDR), ("b", ADDR), ("x", U128)],
        vec![],
        Ty::Unit,
        blk(
            vec![sstore(0, Some(key()), vec![], U128, None, var(2, U128))],
            None,
        ),
    );
    p.f(
        "get",
        FnKind::PubView,
        vec![("a", ADDR), ("b", ADDR)],
        vec![],
        U128,
        blk(vec![], Some(sload(0, Some(key()), U128))),
    );
    let sub = ex(
        ExprKind::SubAccount(Box::new(tuple(vec![var(0, U64), lit(7, U64)]))),
        ADDR,
    );
    p.f(
        "sub",
        FnKind::PubView,
        vec![("k", U64)],
        vec![],
        ADDR,
        blk(vec![], Some(sub)),
    );
    let m = p.lower();
    let mut vm = Machine::new(1);
    vm.call(&m, "approve", &[w(1), w(2), w(50)])
        .expect("approve");
    assert_eq!(vm.call(&m, "get", &[w(1), w(2)]), Ok(vec![w(50)]));
    assert_eq!(vm.call(&m, "get", &[w(2), w(1)]), Ok(vec![w(0)]));
    let expected = braid_bytecode::encode::sub_account(
        &braid_bytecode::encode::word_to_address(vm.self_addr),
        &[w(5), w(7)],
    );
    assert_eq!(
        vm.call(&m, "sub", &[w(5)]),
        Ok(vec![braid_bytecode::encode::address_to_word(&expected)])
    );
}
