//! Braid bytecode.
