//! The stable, human-readable disassembly of a module (`braid compile --emit bytecode`).
