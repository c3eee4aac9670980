//! Braid bytecode: the contract between the compiler and the VM.
//!
//! - [`module`]: the module format (storage layout, functions, access summaries, events).
//! - [`opcode`]: the instruction set and its gas table, one place for both.
//! - [`encode`]: the versioned binary encoding (serde + postcard) and code hashes.
//! - [`disasm`]: the stable, human-readable disassembly.
//!
//! The compiler depends on this crate and never on the VM; the VM never trusts a
//! module from bytes before its verifier has checked it.

pub mod disasm;
pub mod encode;
pub mod module;
pub mod opcode;

pub use module::*;
pub use opcode::*;
pub use ruint::aliases::U256;
