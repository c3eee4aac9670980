//! The Braid compiler: source text to bytecode modules.
//!
//! Passes, in pipeline order: [`lexer`], [`parser`], [`resolve`], [`typeck`],
//! [`access`], [`lower`]. The [`driver`] runs them up to a requested stage.
#![forbid(unsafe_code)]

pub mod access;
pub mod ast;
pub mod consteval;
pub mod diagnostics;
pub mod driver;
pub mod emit;
pub mod hir;
pub mod lexer;
pub mod lower;
pub mod parser;
pub mod resolve;
pub mod source;
pub mod span;
pub mod typeck;

#[cfg(test)]
mod testdata {
    //! Sources shared by the unit tests of several passes.

    /// The contract of the language spec, §1: also the pass case `spec_token`.
    pub const SPEC_TOKEN: &str = include_str!("../../tests/compile/pass/spec_token.braid");
}
