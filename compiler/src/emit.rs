//! Readable, stable text dumps of the compiler's intermediate forms, for
//! `braid compile --emit …` and for snapshot tests.

pub mod access;
pub mod ast;
pub mod conflicts;
pub mod tokens;
