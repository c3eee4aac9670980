//! The instruction set and its gas table.
//!
//! Code is a list of [`BasicBlock`]s per function: straight-line [`Instr`]s ended by a
//! [`Terminator`]. Registers hold 256-bit words; aggregates (tuples, structs) occupy
//! consecutive registers. The gas rule (language spec §6): a block's cost is the sum
//! of the costs below, terminator included, charged on entry to the block.

use crate::module::Regs;
use serde::{Deserialize, Serialize};

/// The version of the gas table below. Bump it whenever a cost changes.
pub const GAS_TABLE_VERSION: u32 = 2;

/// A register index in the current frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Reg(pub u16);

/// A basic-block index in the current function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct BlockId(pub u32);

/// The integer width an arithmetic instruction checks against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Width {
    /// 8 bits.
    W8,
    /// 64 bits.
    W64,
    /// 128 bits.
    W128,
    /// 256 bits.
    W256,
}

impl Width {
    /// Bits of the width.
    pub fn bits(self) -> u32 {
        match self {
            Width::W8 => 8,
            Width::W64 => 64,
            Width::W128 => 128,
            Width::W256 => 256,
        }
    }
    /// The Braid type name (`u64`).
    pub fn name(self) -> &'static str {
        match self {
            Width::W8 => "u8",
            Width::W64 => "u64",
            Width::W128 => "u128",
            Width::W256 => "u256",
        }
    }
}

/// Two-operand integer operations, checked against a [`Width`] unless named wrapping.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ArithOp {
    /// Checked `+` (panic `overflow`).
    Add,
    /// Checked `-` (panic `underflow`).
    Sub,
    /// Checked `*` (panic `overflow`).
    Mul,
    /// `/` (panic `division_by_zero`).
    Div,
    /// `%` (panic `division_by_zero`).
    Rem,
    /// Checked `**` (panic `overflow`).
    Pow,
    /// `+` modulo 2^width.
    WrappingAdd,
    /// `-` modulo 2^width.
    WrappingSub,
    /// `*` modulo 2^width.
    WrappingMul,
    /// `&`.
    And,
    /// `|`.
    Or,
    /// `^`.
    Xor,
    /// `<<`, bits shifted out of the width are dropped; a shift ≥ width gives 0.
    Shl,
    /// `>>`; a shift ≥ width gives 0.
    Shr,
    /// `min`.
    Min,
    /// `max`.
    Max,
}

/// Comparisons (on words; all types compare as unsigned integers). Result: 0 or 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CmpOp {
    /// `==`.
    Eq,
    /// `!=`.
    Ne,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
}

/// A straight-line instruction.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Instr {
    /// `dst = consts[idx]`.
    Const {
        /// Destination.
        dst: Reg,
        /// Constant-pool index.
        idx: u32,
    },
    /// `dst = src`.
    Mov {
        /// Destination.
        dst: Reg,
        /// Source.
        src: Reg,
    },
    /// `dst = a op b`, checked against `width`.
    Arith {
        /// The operation.
        op: ArithOp,
        /// The checked width.
        width: Width,
        /// Destination.
        dst: Reg,
        /// Left operand.
        a: Reg,
        /// Right operand.
        b: Reg,
    },
    /// `dst = (a op b) as 0/1`.
    Cmp {
        /// The comparison.
        op: CmpOp,
        /// Destination.
        dst: Reg,
        /// Left operand.
        a: Reg,
        /// Right operand.
        b: Reg,
    },
    /// `dst = !src`: logical on a bool (`width: None`), bitwise within `width` otherwise.
    Not {
        /// `None` for bool.
        width: Option<Width>,
        /// Destination.
        dst: Reg,
        /// Source.
        src: Reg,
    },
    /// `dst = src as uN`: panic `conversion` when the value does not fit.
    Cast {
        /// Target width.
        width: Width,
        /// Destination.
        dst: Reg,
        /// Source.
        src: Reg,
    },
    /// `dst = floor(sqrt(src))`.
    Sqrt {
        /// Destination.
        dst: Reg,
        /// Source.
        src: Reg,
    },
    /// `dst = a * b / d` with an exact double-width product; result checked against `width`.
    MulDiv {
        /// Round up instead of down.
        round_up: bool,
        /// The checked width of the result.
        width: Width,
        /// Destination.
        dst: Reg,
        /// Factor.
        a: Reg,
        /// Factor.
        b: Reg,
        /// Divisor (panic `division_by_zero` when zero).
        d: Reg,
    },
    /// `dst = caller` of the current frame.
    Caller {
        /// Destination.
        dst: Reg,
    },
    /// `dst = self`.
    SelfAddr {
        /// Destination.
        dst: Reg,
    },
    /// `dst = block.number`.
    BlockNumber {
        /// Destination.
        dst: Reg,
    },
    /// `dst = block.timestamp`.
    BlockTimestamp {
        /// Destination.
        dst: Reg,
    },
    /// `dst = self[key]`, the sub-account address for the key words.
    SubAccount {
        /// Destination.
        dst: Reg,
        /// The key's words.
        key: Regs,
    },
    /// Load the value of storage `field[key]` (key empty for a scalar) into `dst` words.
    SLoad {
        /// Field index.
        field: u16,
        /// Key words (n = 0 for a scalar field).
        key: Regs,
        /// Destination words (the field's value width).
        dst: Regs,
    },
    /// Store `src` words into storage `field[key]`.
    SStore {
        /// Field index.
        field: u16,
        /// Key words (n = 0 for a scalar field).
        key: Regs,
        /// Source words.
        src: Regs,
    },
    /// Call internal function `func` with `args` words; results into `dst` words.
    Call {
        /// Function index.
        func: u16,
        /// Argument words.
        args: Regs,
        /// Result words.
        dst: Regs,
    },
    /// Call `imports[import]` on the contract at `target`; results into `dst` words.
    /// With `sub_key`, the callee's `caller` is `self[sub_key]` instead of `self`.
    CallExt {
        /// Import index.
        import: u16,
        /// Register holding the target address.
        target: Reg,
        /// Argument words.
        args: Regs,
        /// Result words.
        dst: Regs,
        /// Key words of the sub-account to call as.
        sub_key: Option<Regs>,
    },
    /// Emit `events[event]` with the argument words.
    Emit {
        /// Event index.
        event: u16,
        /// Argument words.
        args: Regs,
    },
    /// Revert with `strings[msg]` unless `cond` is non-zero.
    Require {
        /// The condition.
        cond: Reg,
        /// Message index.
        msg: u32,
    },
}

/// How a basic block ends.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Terminator {
    /// Continue at a block.
    Jump(BlockId),
    /// Continue at `then` if `cond` is non-zero, else at `els`.
    Branch {
        /// The condition.
        cond: Reg,
        /// Target when true.
        then: BlockId,
        /// Target when false.
        els: BlockId,
    },
    /// Return these words to the caller.
    Return(Regs),
    /// Revert the transaction with `strings[msg]`.
    Revert(u32),
}

/// A basic block.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BasicBlock {
    /// Straight-line instructions.
    pub instrs: Vec<Instr>,
    /// How it ends.
    pub term: Terminator,
}

impl BasicBlock {
    /// The block's gas cost: the sum of its instructions' and terminator's costs.
    pub fn gas(&self) -> u64 {
        self.instrs.iter().map(Instr::gas).sum::<u64>() + self.term.gas()
    }
}

/// Gas: the cost table. Storage is dear, hashing and calls cost more than arithmetic.
pub mod cost {
    /// `Const`, `Mov`, context reads.
    pub const BASE: u64 = 1;
    /// Add, sub, bit operations, comparisons, casts, not.
    pub const ALU: u64 = 3;
    /// Multiplication.
    pub const MUL: u64 = 5;
    /// Division and remainder.
    pub const DIV: u64 = 8;
    /// `**`.
    pub const POW: u64 = 40;
    /// `sqrt`.
    pub const SQRT: u64 = 60;
    /// `mul_div` / `mul_div_up`.
    pub const MUL_DIV: u64 = 30;
    /// Deriving a sub-account (one hash).
    pub const SUB_ACCOUNT: u64 = 60;
    /// Storage read, per word.
    pub const SLOAD_WORD: u64 = 200;
    /// Storage write, per word.
    pub const SSTORE_WORD: u64 = 500;
    /// Storage key hashing for a tuple key (more than one key word).
    pub const KEY_HASH: u64 = 30;
    /// Internal call.
    pub const CALL: u64 = 20;
    /// External call.
    pub const CALL_EXT: u64 = 400;
    /// Event, plus [`EMIT_WORD`] per argument word. An event retained in a receipt
    /// takes at most [`EVENT_RECORD_BYTES`] besides its words.
    pub const EMIT: u64 = 375;
    /// Event, per argument word (8 gas per byte of data, as the EVM's logs): a
    /// retained word (32 bytes) costs 256 gas.
    pub const EMIT_WORD: u64 = 256;
    /// An upper bound on the memory a retained event takes besides its words (the
    /// record, its argument vector's header and allocation), in bytes: with
    /// [`EMIT`] and [`EMIT_WORD`] it bounds a block's retained events to at most
    /// one byte per [`GAS_PER_RETAINED_BYTE`] gas.
    pub const EVENT_RECORD_BYTES: u64 = 93;
    /// The bound on retained event memory: at most one byte per this much gas.
    pub const GAS_PER_RETAINED_BYTE: u64 = 4;
    /// Frame setup, per register of the callee's window (the window is zero-filled
    /// on every call): charged with the callee's entry block, on every call and on
    /// the transaction's entry frame, before the window is filled. See [`frame`].
    pub const FRAME_REG: u64 = 1;

    // Retained events are bounded by gas (checked at compile time).
    const _: () = assert!(EMIT >= EVENT_RECORD_BYTES * GAS_PER_RETAINED_BYTE);
    const _: () = assert!(EMIT_WORD >= 32 * GAS_PER_RETAINED_BYTE);

    /// The frame-setup cost of a call to a function with `n_regs` registers.
    pub const fn frame(n_regs: u16) -> u64 {
        FRAME_REG * n_regs as u64
    }
    /// `require`.
    pub const REQUIRE: u64 = 2;
    /// Jump, branch, return, revert.
    pub const CONTROL: u64 = 2;
    /// Evaluating one pattern of a transaction's access set (charged before the body
    /// runs), plus [`ACCESS_DERIVE`] per key it derives by hashing.
    pub const ACCESS_PATTERN: u64 = 10;
    /// Deriving one key of an access pattern by hashing (a tuple map key or a
    /// sub-account).
    pub const ACCESS_DERIVE: u64 = 60;

    /// The gas of evaluating an entry function's access summary: a function of the
    /// patterns alone, never of the arguments.
    pub fn access_gas(patterns: &[crate::AccessPattern]) -> u64 {
        patterns
            .iter()
            .map(|p| {
                let key = match &p.key {
                    crate::KeyPattern::Key(ws) => {
                        ws.iter().map(derivations).sum::<u64>() + u64::from(ws.len() > 1)
                    }
                    crate::KeyPattern::Scalar | crate::KeyPattern::Whole => 0,
                };
                ACCESS_PATTERN + ACCESS_DERIVE * (derivations(&p.contract) + key)
            })
            .fold(0u64, u64::saturating_add)
    }

    /// The hashes evaluating a word expression takes (one per sub-account).
    fn derivations(e: &crate::WordExpr) -> u64 {
        match e {
            crate::WordExpr::Sub { base, key } => {
                1 + derivations(base) + key.iter().map(derivations).sum::<u64>()
            }
            crate::WordExpr::Param(_)
            | crate::WordExpr::Caller
            | crate::WordExpr::SelfAddr
            | crate::WordExpr::Const(_) => 0,
        }
    }
}

impl Instr {
    /// The static gas cost of this instruction (it may depend on its immediates).
    pub fn gas(&self) -> u64 {
        use cost::*;
        let key_cost = |key: &Regs| if key.n > 1 { KEY_HASH } else { 0 };
        match self {
            Instr::Const { .. } | Instr::Mov { .. } => BASE,
            Instr::Caller { .. }
            | Instr::SelfAddr { .. }
            | Instr::BlockNumber { .. }
            | Instr::BlockTimestamp { .. } => BASE,
            Instr::Arith { op, .. } => match op {
                ArithOp::Mul | ArithOp::WrappingMul => MUL,
                ArithOp::Div | ArithOp::Rem => DIV,
                ArithOp::Pow => POW,
                _ => ALU,
            },
            Instr::Cmp { .. } | Instr::Not { .. } | Instr::Cast { .. } => ALU,
            Instr::Sqrt { .. } => SQRT,
            Instr::MulDiv { .. } => MUL_DIV,
            Instr::SubAccount { .. } => SUB_ACCOUNT,
            Instr::SLoad { key, dst, .. } => SLOAD_WORD * u64::from(dst.n.max(1)) + key_cost(key),
            Instr::SStore { key, src, .. } => SSTORE_WORD * u64::from(src.n.max(1)) + key_cost(key),
            Instr::Call { .. } => CALL,
            Instr::CallExt { .. } => CALL_EXT,
            Instr::Emit { args, .. } => EMIT + EMIT_WORD * u64::from(args.n),
            Instr::Require { .. } => REQUIRE,
        }
    }

    /// The mnemonic used by the disassembler and the book's gas table.
    pub fn mnemonic(&self) -> &'static str {
        match self {
            Instr::Const { .. } => "const",
            Instr::Mov { .. } => "mov",
            Instr::Arith { op, .. } => match op {
                ArithOp::Add => "add",
                ArithOp::Sub => "sub",
                ArithOp::Mul => "mul",
                ArithOp::Div => "div",
                ArithOp::Rem => "rem",
                ArithOp::Pow => "pow",
                ArithOp::WrappingAdd => "wadd",
                ArithOp::WrappingSub => "wsub",
                ArithOp::WrappingMul => "wmul",
                ArithOp::And => "and",
                ArithOp::Or => "or",
                ArithOp::Xor => "xor",
                ArithOp::Shl => "shl",
                ArithOp::Shr => "shr",
                ArithOp::Min => "min",
                ArithOp::Max => "max",
            },
            Instr::Cmp { op, .. } => match op {
                CmpOp::Eq => "eq",
                CmpOp::Ne => "ne",
                CmpOp::Lt => "lt",
                CmpOp::Le => "le",
                CmpOp::Gt => "gt",
                CmpOp::Ge => "ge",
            },
            Instr::Not { .. } => "not",
            Instr::Cast { .. } => "cast",
            Instr::Sqrt { .. } => "sqrt",
            Instr::MulDiv {
                round_up: false, ..
            } => "muldiv",
            Instr::MulDiv { round_up: true, .. } => "muldivup",
            Instr::Caller { .. } => "caller",
            Instr::SelfAddr { .. } => "self",
            Instr::BlockNumber { .. } => "blocknum",
            Instr::BlockTimestamp { .. } => "timestamp",
            Instr::SubAccount { .. } => "subacct",
            Instr::SLoad { .. } => "sload",
            Instr::SStore { .. } => "sstore",
            Instr::Call { .. } => "call",
            Instr::CallExt { .. } => "callext",
            Instr::Emit { .. } => "emit",
            Instr::Require { .. } => "require",
        }
    }
}

impl Terminator {
    /// The static gas cost of the terminator.
    pub fn gas(&self) -> u64 {
        cost::CONTROL
    }

    /// The mnemonic used by the disassembler.
    pub fn mnemonic(&self) -> &'static str {
        match self {
            Terminator::Jump(_) => "jump",
            Terminator::Branch { .. } => "branch",
            Terminator::Return(_) => "ret",
            Terminator::Revert(_) => "revert",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::cost::*;

    /// The book's gas chapter states the table; it must say what the code charges.
    #[test]
    fn book_gas_table_matches_the_code() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../book/src/gas.md");
        let text = std::fs::read_to_string(path).expect("book/src/gas.md exists");
        let expected = [
            ("BASE", BASE),
            ("ALU", ALU),
            ("MUL", MUL),
            ("DIV", DIV),
            ("POW", POW),
            ("SQRT", SQRT),
            ("MUL_DIV", MUL_DIV),
            ("SUB_ACCOUNT", SUB_ACCOUNT),
            ("SLOAD_WORD", SLOAD_WORD),
            ("SSTORE_WORD", SSTORE_WORD),
            ("KEY_HASH", KEY_HASH),
            ("CALL", CALL),
            ("CALL_EXT", CALL_EXT),
            ("EMIT", EMIT),
            ("EMIT_WORD", EMIT_WORD),
            ("FRAME_REG", FRAME_REG),
            ("REQUIRE", REQUIRE),
            ("CONTROL", CONTROL),
        ];
        for (name, gas) in expected {
            let row = format!("| `{name}` | {gas} |");
            assert!(
                text.contains(&row),
                "book/src/gas.md must have the row `{row}`"
            );
        }
        assert!(text.contains(&format!("gas table version {}", super::GAS_TABLE_VERSION)));
        assert!(text.contains(&format!("one byte per {GAS_PER_RETAINED_BYTE} gas")));
    }

    /// Retained events are bounded by gas: the record and its words cost at least
    /// `GAS_PER_RETAINED_BYTE` gas per byte they hold.
    #[test]
    fn retained_events_are_bounded_by_gas() {
        // The record: contract (20 bytes, padded to 24), the shared definition (8),
        // the argument vector (24), plus the vector's allocation header and the
        // allocator's rounding (at most 32 more) and the receipt vector slot.
        let record = std::mem::size_of::<[u8; 20]>().next_multiple_of(8)
            + std::mem::size_of::<std::sync::Arc<()>>()
            + std::mem::size_of::<Vec<u8>>();
        assert!(record as u64 + 32 <= EVENT_RECORD_BYTES);
    }

    #[test]
    fn frame_setup_is_proportional_to_the_window() {
        assert_eq!(frame(0), 0);
        assert_eq!(frame(u16::MAX), FRAME_REG * 65_535);
    }
}
