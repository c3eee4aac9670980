//! PLACEHOLDER: replaced by branch lower.
//!
//! Lowering to bytecode lives on branch `lower`; this stub only lets the driver
//! compile until it lands. It produces a module with no code.

use crate::access::Summaries;
use crate::hir;

/// Lowers one contract to a bytecode module. PLACEHOLDER: an empty module.
pub fn lower_contract(
    program: &hir::Program,
    contract: hir::ContractId,
    _summaries: &Summaries,
) -> braid_bytecode::Module {
    braid_bytecode::Module {
        format_version: braid_bytecode::FORMAT_VERSION,
        gas_version: braid_bytecode::GAS_TABLE_VERSION,
        name: program.contract(contract).name.clone(),
        storage: Vec::new(),
        events: Vec::new(),
        consts: Vec::new(),
        strings: Vec::new(),
        imports: Vec::new(),
        functions: Vec::new(),
    }
}
