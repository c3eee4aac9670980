//! The Braid compiler: source text to verified-shape bytecode modules.
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
