//! Readable, stable text dumps of the compiler's intermediate forms, for
//! `braid compile --emit …` and for snapshot tests.

pub mod ast;
pub mod tokens;
