//! The Braid VM.
