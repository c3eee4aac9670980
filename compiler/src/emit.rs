//! Printers for `braid compile --emit …`: stable, readable text of each stage.

pub mod access;
