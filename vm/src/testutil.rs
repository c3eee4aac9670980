//! Helpers for hand-built modules in the VM's tests (the compiler is not a dependency).
#![allow(dead_code)]

use crate::{Address, BlockContext, Chain, Transaction};
use braid_bytecode::{
    AccessPattern, BasicBlock, EventDef, FORMAT_VERSION, Function, GAS_TABLE_VERSION, Import,
    Instr, KeyPattern, Module, Reg, Regs, StorageField, Terminator, U256, ValueType, Visibility,
    WordExpr,
};

pub const ALICE: Address = [0xa1; 20];
pub const BOB: Address = [0xb0; 20];
pub const DEPLOYER: Address = [0xde; 20];
pub const GAS: u64 = 1_000_000;

pub fn r(i: u16) -> Reg {
    Reg(i)
}

pub fn rs(start: u16, n: u16) -> Regs {
    Regs {
        start: Reg(start),
        n,
    }
}

pub fn u(v: u64) -> U256 {
    U256::from(v)
}

pub fn blk(instrs: Vec<Instr>, term: Terminator) -> BasicBlock {
    BasicBlock { instrs, term }
}

pub fn ret(start: u16, n: u16) -> Terminator {
    Terminator::Return(rs(start, n))
}

pub fn ret_unit() -> Terminator {
    Terminator::Return(rs(0, 0))
}

pub fn func(
    name: &str,
    visibility: Visibility,
    params: &[ValueType],
    ret: ValueType,
    n_regs: u16,
    blocks: Vec<BasicBlock>,
) -> Function {
    Function {
        name: name.to_string(),
        visibility,
        params: params
            .iter()
            .enumerate()
            .map(|(i, t)| (format!("p{i}"), t.clone()))
            .collect(),
        ret,
        n_regs,
        blocks,
        access: Vec::new(),
    }
}

pub fn module(name: &str, storage: Vec<StorageField>, functions: Vec<Function>) -> Module {
    Module {
        format_version: FORMAT_VERSION,
        gas_version: GAS_TABLE_VERSION,
        name: name.to_string(),
        storage,
        events: Vec::new(),
        consts: Vec::new(),
        strings: Vec::new(),
        imports: Vec::new(),
        functions,
    }
}

pub fn scalar(name: &str, value: ValueType) -> StorageField {
    StorageField {
        name: name.to_string(),
        key: None,
        value,
    }
}

pub fn map(name: &str, key: ValueType, value: ValueType) -> StorageField {
    StorageField {
        name: name.to_string(),
        key: Some(key),
        value,
    }
}

/// An access pattern on the contract named by `contract`.
pub fn pattern(write: bool, contract: WordExpr, field: u16, key: KeyPattern) -> AccessPattern {
    AccessPattern {
        write,
        contract,
        contract_name: "C".into(),
        field,
        field_name: format!("f{field}"),
        key,
    }
}

/// An access pattern on the contract's own storage.
pub fn own(write: bool, field: u16, key: KeyPattern) -> AccessPattern {
    pattern(write, WordExpr::SelfAddr, field, key)
}

pub fn key(words: Vec<WordExpr>) -> KeyPattern {
    KeyPattern::Key(words)
}

pub fn import(name: &str, params: &[ValueType], ret: ValueType) -> Import {
    Import {
        contract: "Other".into(),
        name: name.into(),
        params: params.to_vec(),
        ret,
    }
}

pub fn block() -> BlockContext {
    BlockContext {
        number: 7,
        timestamp: 1_000,
    }
}

pub fn tx(
    sender: Address,
    to: Address,
    function: &str,
    args: Vec<U256>,
    gas_limit: u64,
) -> Transaction {
    Transaction {
        sender,
        to,
        function: function.to_string(),
        args,
        gas_limit,
    }
}

/// Loads and deploys `m` from `DEPLOYER`.
pub fn deploy(chain: &mut Chain, m: Module, args: Vec<U256>) -> Address {
    let code = chain.load_module(m).expect("test module verifies");
    chain
        .deploy(code, DEPLOYER, args, block(), GAS)
        .expect("test module deploys")
}

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
