//! The Braid compiler: source text to verified-shape bytecode modules.
//!
//! Passes, in pipeline order: [`lexer`], [`parser`], [`resolve`], [`typeck`],
//! [`access`], [`lower`]. The [`driver`] runs them up to a requested stage.
#![forbid(unsafe_code)]

pub mod access;
pub mod ast;
pub mod diagnostics;
pub mod hir;
pub mod lower;
pub mod source;
pub mod span;
