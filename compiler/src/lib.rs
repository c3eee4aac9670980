//! The Braid compiler: source text to bytecode modules.
//!
//! Passes, in pipeline order: [`lexer`], [`parser`], `resolve`, `typeck`,
//! `access`, `lower`. The `driver` runs them up to a requested stage.
#![forbid(unsafe_code)]

pub mod ast;
pub mod diagnostics;
pub mod emit;
pub mod hir;
pub mod lexer;
pub mod parser;
pub mod source;
pub mod span;
