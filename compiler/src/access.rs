//! Access summaries of entry functions.
// PLACEHOLDER: replaced by branch access

use crate::hir;
use std::collections::BTreeMap;

/// The expanded access summary of every `init`/`pub` function of the program.
#[derive(Clone, Debug, Default)]
pub struct Summaries {
    /// Summary per function.
    pub by_fn: BTreeMap<hir::FnId, Vec<braid_bytecode::AccessPattern>>,
}
