//! The last check before a module leaves the compiler: the format's limits
//! ([`braid_bytecode::limits`], the same table the VM's verifier applies), so that
//! nothing the compiler emits is rejected by the VM, and no count is written
//! saturated into a fixed-width operand.

use crate::access::Summaries;
use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::hir::{self, ContractId};
use crate::lower;
use braid_bytecode::{
    MAX_ACCESS_PATTERNS, MAX_MODULE_BYTES, MAX_POOL_ENTRIES, MAX_TABLE_ENTRIES, Module, encode,
};

/// Lowers `id` (with its source map over `sources`) and checks the module against
/// the format's limits: the module, or `None` with the diagnostics pushed.
pub(super) fn lower_checked(
    program: &hir::Program,
    id: ContractId,
    summaries: &Summaries,
    sources: &crate::source::SourceMap,
    diags: &mut Diagnostics,
) -> Option<Module> {
    let contract = program.contracts.get(id.0 as usize)?;
    let too_large = |detail: String| {
        Diagnostic::new(
            Code::ModuleTooLarge,
            contract.span,
            format!("the bytecode of `{}` would be too large", contract.name),
        )
        .with_label(format!(
            "a module has at most {MAX_MODULE_BYTES} bytes ({} KiB)",
            MAX_MODULE_BYTES / 1024
        ))
        .with_note(detail)
        .with_help("split the contract, or keep large values in storage maps")
    };
    let Some(module) = lower::lower_contract_with_source_map(program, id, summaries, sources)
    else {
        diags.push(too_large(format!(
            "its types and instructions alone take more than {MAX_MODULE_BYTES} bytes"
        )));
        return None;
    };
    let mut ok = true;
    let tables: [(&str, usize, usize); 6] = [
        ("storage fields", module.storage.len(), MAX_TABLE_ENTRIES),
        ("events", module.events.len(), MAX_TABLE_ENTRIES),
        ("functions", module.functions.len(), MAX_TABLE_ENTRIES),
        (
            "external functions called",
            module.imports.len(),
            MAX_TABLE_ENTRIES,
        ),
        ("distinct constants", module.consts.len(), MAX_POOL_ENTRIES),
        ("distinct messages", module.strings.len(), MAX_POOL_ENTRIES),
    ];
    for (what, found, limit) in tables {
        if found > limit {
            ok = false;
            diags.push(
                Diagnostic::new(
                    Code::TooManyEntries,
                    contract.span,
                    format!("`{}` has {found} {what}", contract.name),
                )
                .with_label(format!("bytecode indexes at most {limit} {what}"))
                .with_note("instructions name them with 16-bit operands")
                .with_help("split the contract into several contracts"),
            );
        }
    }
    for f in &module.functions {
        if f.access.len() > MAX_ACCESS_PATTERNS {
            ok = false;
            let span = program
                .functions
                .iter()
                .find(|g| g.contract == Some(id) && g.name == f.name)
                .map_or(contract.span, |g| g.span);
            diags.push(
                Diagnostic::new(
                    Code::TooManyPatterns,
                    span,
                    format!(
                        "the access summary of `{}` has {} patterns, callees included",
                        f.name,
                        f.access.len()
                    ),
                )
                .with_label(format!(
                    "a function may have at most {MAX_ACCESS_PATTERNS} access patterns"
                ))
                .with_note("the VM evaluates every pattern before the transaction runs")
                .with_help("use a wildcard pattern (`m[*]`) for a map accessed at many keys"),
            );
        }
    }
    if !ok {
        return None;
    }
    let bytes = encode::encode(&module).len();
    if bytes > MAX_MODULE_BYTES {
        diags.push(too_large(format!("it encodes to {bytes} bytes")));
        return None;
    }
    Some(module)
}
