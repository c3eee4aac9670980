//! The Braid standard library.
