//! PLACEHOLDER: replaced by branch access.
//!
//! The access check of spec §4 lives on branch `access`; this stub only lets the
//! driver compile until it lands. It checks nothing and summarises nothing.

use crate::diagnostics::Diagnostics;
use crate::hir;
use std::collections::BTreeMap;

/// Every entry function's expanded access summary. PLACEHOLDER.
#[derive(Clone, Debug, Default)]
pub struct Summaries {
    /// Per `init`/`pub` function: its patterns, callees expanded.
    pub by_fn: BTreeMap<hir::FnId, Vec<braid_bytecode::AccessPattern>>,
}

/// Checks bodies against annotations. PLACEHOLDER: checks nothing.
pub fn check(_program: &hir::Program, _diags: &mut Diagnostics) -> Summaries {
    Summaries::default()
}
