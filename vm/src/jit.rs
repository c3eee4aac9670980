//! The JIT engine: verified modules compiled to native code with Cranelift, with
//! results, gas, events and failures identical to the reference interpreter.
//!
//! - [`layout`]: what the translation needs to know about a function beyond the
//!   verifier's facts (how many 64-bit limbs each register may ever need, how many
//!   words an instruction stages in the spill buffer).
//! - [`translate`]: bytecode to Cranelift IR, one Cranelift function per bytecode
//!   function. Registers are Cranelift variables, one per limb the register may
//!   need; u8/u64/u128 arithmetic is inline and checked, branching to a cold exit
//!   that returns a status; u256 arithmetic, u128 division and shifts, `**`,
//!   `mul_div` and `sqrt` call the interpreter's own functions
//!   ([`crate::interp::arith`] and friends).
//! - [`host_fns`]: the `extern "C"` functions compiled code calls for everything
//!   that is the transaction host's (gas for frames, storage, events, sub-accounts,
//!   external calls), each catching panics.
//! - [`cache`]: a module's compiled code ([`CompiledModule`]), kept beside the
//!   verified module ([`JitSlot`]) so every worker thread shares it.
//! - [`run`]: the [`crate::engine::Engine`] implementation.
//!
//! `unsafe` exists in the VM only below this module: calling compiled code, and the
//! host functions dereferencing the context pointers that compiled code passes
//! back to them. Each block states its invariant in a `// SAFETY:` comment.

#![allow(unsafe_code)]

mod cache;
mod host_fns;
mod layout;
mod run;
mod translate;

pub use cache::{CompiledModule, JitSlot};
pub use run::Jit;
pub use translate::clif;

/// Why a module could not be compiled by the JIT.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum JitError {
    /// The host machine is not supported by Cranelift.
    #[error("the JIT does not support this machine: {0}")]
    Unsupported(String),
    /// A function needs more register limbs than compiled code may keep in one
    /// native stack frame (calls nest up to 64 frames deep).
    #[error(
        "function `{func}` needs {limbs} register limbs; the JIT compiles functions of at most {max}"
    )]
    TooManyRegisters {
        /// The function's name.
        func: String,
        /// The limbs it needs.
        limbs: usize,
        /// The most the JIT accepts ([`MAX_FUNCTION_LIMBS`]).
        max: usize,
    },
    /// The verifier's facts do not cover the function (a verifier bug).
    #[error("function `{func}`: {what}")]
    Facts {
        /// The function's name.
        func: String,
        /// What is missing.
        what: String,
    },
    /// Cranelift rejected the generated code (a JIT bug).
    #[error("function `{func}`: code generation failed: {what}")]
    Codegen {
        /// The function's name (empty when the whole module failed).
        func: String,
        /// Cranelift's message.
        what: String,
    },
}

/// The most 64-bit register limbs one function may need to be compiled: its
/// registers live in one native stack frame, and 64 nested frames must fit a worker
/// thread's stack.
pub const MAX_FUNCTION_LIMBS: usize = 1024;

/// Compiles `module` (every function) to native code.
pub fn compile(module: &crate::VerifiedModule) -> Result<CompiledModule, JitError> {
    cache::CompiledModule::compile(module)
}

#[cfg(test)]
mod tests;
