//! Hand-built test contracts: a token, a store and a caller that drives the store.

use super::*;
use braid_bytecode::{
    ArithOp, CmpOp, EventDef, Instr, KeyPattern, Module, Terminator, ValueType, Visibility, Width,
    WordExpr,
};

/// A token: `balances: map<address, u128>` (field 0), `total: u128` (field 1);
/// `init(supply)`, `transfer(to, amount) -> bool` (emits `Transfer`),
/// `balance_of(who) -> u128`, `steal(from)` (writes outside its summary).
pub fn token() -> Module {
    use Instr::*;
    let mut m = module(
        "Token",
        vec![
            map("balances", ValueType::Address, ValueType::U128),
            scalar("total", ValueType::U128),
        ],
        Vec::new(),
    );
    m.consts = vec![u(1)];
    m.strings = vec!["insufficient balance".into()];
    m.events = vec![EventDef {
        name: "Transfer".into(),
        params: vec![
            ("from".into(), ValueType::Address),
            ("to".into(), ValueType::Address),
            ("amount".into(), ValueType::U128),
        ],
    }];
    let mut init = func(
        "init",
        Visibility::Init,
        &[ValueType::U128],
        ValueType::unit(),
        2,
        vec![blk(
            vec![
                Caller { dst: r(1) },
                SStore {
                    field: 1,
                    key: rs(0, 0),
                    src: rs(0, 1),
                },
                SStore {
                    field: 0,
                    key: rs(1, 1),
                    src: rs(0, 1),
                },
            ],
            ret_unit(),
        )],
    );
    init.access = vec![
        own(true, 1, KeyPattern::Scalar),
        own(true, 0, key(vec![WordExpr::Caller])),
    ];
    let mut transfer = func(
        "transfer",
        Visibility::Pub,
        &[ValueType::Address, ValueType::U128],
        ValueType::Bool,
        10,
        vec![blk(
            vec![
                Caller { dst: r(2) },
                SLoad {
                    field: 0,
                    key: rs(2, 1),
                    dst: rs(3, 1),
                },
                Cmp {
                    op: braid_bytecode::CmpOp::Ge,
                    dst: r(4),
                    a: r(3),
                    b: r(1),
                },
                Require { cond: r(4), msg: 0 },
                Arith {
                    op: braid_bytecode::ArithOp::Sub,
                    width: braid_bytecode::Width::W128,
                    dst: r(3),
                    a: r(3),
                    b: r(1),
                },
                SStore {
                    field: 0,
                    key: rs(2, 1),
                    src: rs(3, 1),
                },
                SLoad {
                    field: 0,
                    key: rs(0, 1),
                    dst: rs(5, 1),
                },
                Arith {
                    op: braid_bytecode::ArithOp::Add,
                    width: braid_bytecode::Width::W128,
                    dst: r(5),
                    a: r(5),
                    b: r(1),
                },
                SStore {
                    field: 0,
                    key: rs(0, 1),
                    src: rs(5, 1),
                },
                Mov {
                    dst: r(6),
                    src: r(2),
                },
                Mov {
                    dst: r(7),
                    src: r(0),
                },
                Mov {
                    dst: r(8),
                    src: r(1),
                },
                Emit {
                    event: 0,
                    args: rs(6, 3),
                },
                Const { dst: r(9), idx: 0 },
            ],
            ret(9, 1),
        )],
    );
    transfer.access = vec![
        own(true, 0, key(vec![WordExpr::Caller])),
        own(true, 0, key(vec![WordExpr::Param(0)])),
    ];
    let mut balance_of = func(
        "balance_of",
        Visibility::PubView,
        &[ValueType::Address],
        ValueType::U128,
        2,
        vec![blk(
            vec![SLoad {
                field: 0,
                key: rs(0, 1),
                dst: rs(1, 1),
            }],
            ret(1, 1),
        )],
    );
    balance_of.access = vec![own(false, 0, key(vec![WordExpr::Param(0)]))];
    let mut steal = func(
        "steal",
        Visibility::Pub,
        &[ValueType::Address],
        ValueType::unit(),
        2,
        vec![blk(
            vec![
                Const { dst: r(1), idx: 0 },
                SStore {
                    field: 0,
                    key: rs(0, 1),
                    src: rs(1, 1),
                },
            ],
            ret_unit(),
        )],
    );
    steal.access = vec![own(false, 0, key(vec![WordExpr::Param(0)]))];
    m.functions = vec![init, transfer, balance_of, steal];
    m
}

/// "Store": `value: u64`; `set(x)` (emits `Set`), `get()`, `whoami()`,
/// `call_back(a)` (calls `a.poke()`).
pub fn store() -> Module {
    use Instr::*;
    let mut m = module("Store", vec![scalar("value", ValueType::U64)], Vec::new());
    m.events = vec![EventDef {
        name: "Set".into(),
        params: vec![("x".into(), ValueType::U64)],
    }];
    m.imports = vec![import("poke", &[], ValueType::unit())];
    let mut set = func(
        "set",
        Visibility::Pub,
        &[ValueType::U64],
        ValueType::unit(),
        1,
        vec![blk(
            vec![
                SStore {
                    field: 0,
                    key: rs(0, 0),
                    src: rs(0, 1),
                },
                Emit {
                    event: 0,
                    args: rs(0, 1),
                },
            ],
            ret_unit(),
        )],
    );
    set.access = vec![own(true, 0, KeyPattern::Scalar)];
    let mut get = func(
        "get",
        Visibility::PubView,
        &[],
        ValueType::U64,
        1,
        vec![blk(
            vec![SLoad {
                field: 0,
                key: rs(0, 0),
                dst: rs(0, 1),
            }],
            ret(0, 1),
        )],
    );
    get.access = vec![own(false, 0, KeyPattern::Scalar)];
    let whoami = func(
        "whoami",
        Visibility::PubView,
        &[],
        ValueType::Address,
        1,
        vec![blk(vec![Caller { dst: r(0) }], ret(0, 1))],
    );
    let call_back = func(
        "call_back",
        Visibility::Pub,
        &[ValueType::Address],
        ValueType::unit(),
        1,
        vec![blk(
            vec![CallExt {
                import: 0,
                target: r(0),
                args: rs(0, 0),
                dst: rs(0, 0),
                sub_key: None,
            }],
            ret_unit(),
        )],
    );
    m.functions = vec![set, get, whoami, call_back];
    m
}

/// "Caller": drives `Store` and itself; see each function's comment.
pub fn caller() -> Module {
    use Instr::*;
    let mut m = module("Caller", vec![], Vec::new());
    m.strings = vec!["after".into()];
    m.consts = vec![u(0), u(1)];
    m.imports = vec![
        import("set", &[ValueType::U64], ValueType::unit()),
        import("whoami", &[], ValueType::Address),
        import("call_back", &[ValueType::Address], ValueType::unit()),
        import("poke", &[], ValueType::unit()),
        import("missing", &[], ValueType::unit()),
    ];
    let ext = |import: u16, target: u16, args, dst, sub_key| CallExt {
        import,
        target: r(target),
        args,
        dst,
        sub_key,
    };
    let b_value_write = pattern(true, WordExpr::Param(0), 0, KeyPattern::Scalar);
    // 0: set_then(b, x, fail): b.set(x); revert("after") if fail.
    let mut set_then = func(
        "set_then",
        Visibility::Pub,
        &[ValueType::Address, ValueType::U64, ValueType::Bool],
        ValueType::unit(),
        3,
        vec![
            blk(
                vec![ext(0, 0, rs(1, 1), rs(0, 0), None)],
                Terminator::Branch {
                    cond: r(2),
                    then: braid_bytecode::BlockId(1),
                    els: braid_bytecode::BlockId(2),
                },
            ),
            blk(vec![], Terminator::Revert(0)),
            blk(vec![], ret_unit()),
        ],
    );
    set_then.access = vec![b_value_write.clone()];
    // 1: who(b, k) -> address: b.whoami() as self[k].
    let who = func(
        "who",
        Visibility::Pub,
        &[ValueType::Address, ValueType::U64],
        ValueType::Address,
        3,
        vec![blk(
            vec![ext(1, 0, rs(0, 0), rs(2, 1), Some(rs(1, 1)))],
            ret(2, 1),
        )],
    );
    // 2: who_plain(b) -> address: b.whoami().
    let who_plain = func(
        "who_plain",
        Visibility::Pub,
        &[ValueType::Address],
        ValueType::Address,
        2,
        vec![blk(vec![ext(1, 0, rs(0, 0), rs(1, 1), None)], ret(1, 1))],
    );
    // 3: reenter(b): b.call_back(self), which calls self.poke().
    let reenter = func(
        "reenter",
        Visibility::Pub,
        &[ValueType::Address],
        ValueType::unit(),
        2,
        vec![blk(
            vec![SelfAddr { dst: r(1) }, ext(2, 0, rs(1, 1), rs(0, 0), None)],
            ret_unit(),
        )],
    );
    // 4: poke().
    let poke = func(
        "poke",
        Visibility::Pub,
        &[],
        ValueType::unit(),
        0,
        vec![blk(vec![], ret_unit())],
    );
    // 5: self_call(): self.poke().
    let self_call = func(
        "self_call",
        Visibility::Pub,
        &[],
        ValueType::unit(),
        1,
        vec![blk(
            vec![SelfAddr { dst: r(0) }, ext(3, 0, rs(0, 0), rs(0, 0), None)],
            ret_unit(),
        )],
    );
    // 6: call_missing(b): b.missing().
    let call_missing = func(
        "call_missing",
        Visibility::Pub,
        &[ValueType::Address],
        ValueType::unit(),
        1,
        vec![blk(vec![ext(4, 0, rs(0, 0), rs(0, 0), None)], ret_unit())],
    );
    // 7: deep(n): rec(n), which recurses n times (n + 2 frames in all).
    let deep = func(
        "deep",
        Visibility::Pub,
        &[ValueType::U64],
        ValueType::unit(),
        1,
        vec![blk(
            vec![Call {
                func: 8,
                args: rs(0, 1),
                dst: rs(0, 0),
            }],
            ret_unit(),
        )],
    );
    // 8: rec(n) internal.
    let rec = func(
        "rec",
        Visibility::Internal,
        &[ValueType::U64],
        ValueType::unit(),
        3,
        vec![
            blk(
                vec![
                    Const { dst: r(1), idx: 0 },
                    Cmp {
                        op: CmpOp::Eq,
                        dst: r(2),
                        a: r(0),
                        b: r(1),
                    },
                ],
                Terminator::Branch {
                    cond: r(2),
                    then: braid_bytecode::BlockId(1),
                    els: braid_bytecode::BlockId(2),
                },
            ),
            blk(vec![], ret_unit()),
            blk(
                vec![
                    Const { dst: r(1), idx: 1 },
                    Arith {
                        op: ArithOp::Sub,
                        width: Width::W64,
                        dst: r(0),
                        a: r(0),
                        b: r(1),
                    },
                    Call {
                        func: 8,
                        args: rs(0, 1),
                        dst: rs(0, 0),
                    },
                ],
                ret_unit(),
            ),
        ],
    );
    // 9: sub(k) -> address: self[k].
    let sub = func(
        "sub",
        Visibility::Pub,
        &[ValueType::U64],
        ValueType::Address,
        2,
        vec![blk(
            vec![SubAccount {
                dst: r(1),
                key: rs(0, 1),
            }],
            ret(1, 1),
        )],
    );
    // 10: set_unlisted(b, x): b.set(x) without b's storage in the summary.
    let set_unlisted = func(
        "set_unlisted",
        Visibility::Pub,
        &[ValueType::Address, ValueType::U64],
        ValueType::unit(),
        2,
        vec![blk(vec![ext(0, 0, rs(1, 1), rs(0, 0), None)], ret_unit())],
    );
    // 11: spin(n): for i in 0..n {}.
    let spin = func(
        "spin",
        Visibility::Pub,
        &[ValueType::U64],
        ValueType::unit(),
        4,
        vec![
            blk(
                vec![Const { dst: r(1), idx: 0 }, Const { dst: r(2), idx: 1 }],
                Terminator::Jump(braid_bytecode::BlockId(1)),
            ),
            blk(
                vec![Cmp {
                    op: CmpOp::Lt,
                    dst: r(3),
                    a: r(1),
                    b: r(0),
                }],
                Terminator::Branch {
                    cond: r(3),
                    then: braid_bytecode::BlockId(2),
                    els: braid_bytecode::BlockId(3),
                },
            ),
            blk(
                vec![Arith {
                    op: ArithOp::Add,
                    width: Width::W64,
                    dst: r(1),
                    a: r(1),
                    b: r(2),
                }],
                Terminator::Jump(braid_bytecode::BlockId(1)),
            ),
            blk(vec![], ret_unit()),
        ],
    );
    m.functions = vec![
        set_then,
        who,
        who_plain,
        reenter,
        poke,
        self_call,
        call_missing,
        deep,
        rec,
        sub,
        set_unlisted,
        spin,
    ];
    m
}
