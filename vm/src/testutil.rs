//! Helpers for hand-built modules in the VM's tests (the compiler is not a dependency).
#![allow(dead_code)]

mod contracts;

pub use contracts::{caller, store, token};

use crate::{Address, BlockContext, Chain, Transaction};
use braid_bytecode::{
    AccessPattern, BasicBlock, FORMAT_VERSION, Function, GAS_TABLE_VERSION, Import, Instr,
    KeyPattern, Module, Reg, Regs, StorageField, Terminator, U256, ValueType, Visibility, WordExpr,
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
        source_map: None,
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

/// An empty chain running transactions on `engine`.
pub fn new_chain(engine: crate::EngineKind) -> Chain {
    let mut chain = Chain::new();
    chain
        .set_engine(engine)
        .expect("an empty chain switches engines");
    chain
}

/// Loads and deploys `m` from `DEPLOYER`.
pub fn deploy(chain: &mut Chain, m: Module, args: Vec<U256>) -> Address {
    let code = chain.load_module(m).expect("test module verifies");
    chain
        .deploy(code, DEPLOYER, args, block(), GAS)
        .expect("test module deploys")
}
