//! "Did you mean" for the type checker: the names in scope that an undeclared name
//! may be a typo of (see [`crate::diagnostics::similar`] for the measure).

use super::{Checker, FnCx, Scope};
pub(crate) use crate::diagnostics::similar::{NameKind, similar_name_help};

/// The builtin type names.
const BUILTIN_TYPES: [&str; 6] = ["bool", "address", "u8", "u64", "u128", "u256"];

impl Checker<'_> {
    /// A suggestion for a value name (E0301): the locals in scope (innermost first),
    /// the contract's storage fields and, when `consts`, the constants in scope.
    pub(crate) fn similar_value_help(&self, cx: &FnCx, name: &str, consts: bool) -> Option<String> {
        let locals = cx
            .scopes
            .iter()
            .rev()
            .flat_map(|s| s.iter().rev())
            .map(|(n, _)| (NameKind::Local, n.as_str()));
        let contract = cx.scope.contract.map(|c| &self.t.contracts[c.0 as usize]);
        let storage = contract
            .into_iter()
            .flat_map(|c| c.storage_names.keys())
            .map(|n| (NameKind::StorageField, n.as_str()));
        let contract_consts = contract
            .into_iter()
            .flat_map(|c| c.const_names.keys())
            .filter(|_| consts)
            .map(|n| (NameKind::Constant, n.as_str()));
        let module_consts = self.t.modules[cx.scope.module]
            .consts
            .keys()
            .filter(|_| consts)
            .map(|n| (NameKind::Constant, n.as_str()));
        similar_name_help(
            name,
            locals
                .chain(storage)
                .chain(contract_consts)
                .chain(module_consts),
        )
    }

    /// A suggestion for an event name (E0307): the contract's events.
    pub(crate) fn similar_event_help(&self, cx: &FnCx, name: &str) -> Option<String> {
        let events = cx
            .scope
            .contract
            .into_iter()
            .flat_map(|c| self.t.contracts[c.0 as usize].event_names.keys())
            .map(|n| (NameKind::Event, n.as_str()));
        similar_name_help(name, events)
    }

    /// A suggestion for a function name (E0306): the contract's functions, the
    /// module's library functions and imports, and the builtins.
    pub(crate) fn similar_fn_help(&self, scope: Scope, name: &str) -> Option<String> {
        let own = scope
            .contract
            .into_iter()
            .flat_map(|c| self.t.contracts[c.0 as usize].fn_names.keys());
        let module = self.t.modules[scope.module].fns.keys();
        let builtins = ["wrapping_add", "wrapping_sub", "wrapping_mul"];
        similar_name_help(
            name,
            own.chain(module)
                .map(String::as_str)
                .chain(builtins)
                .map(|n| (NameKind::Function, n)),
        )
    }

    /// A suggestion for a type name (E0308): the contract's structs, the module's
    /// structs and contracts, and the builtin types.
    pub(crate) fn similar_type_help(&self, scope: Scope, name: &str) -> Option<String> {
        let own = scope
            .contract
            .into_iter()
            .flat_map(|c| self.t.contracts[c.0 as usize].struct_names.keys());
        let module = self.t.modules[scope.module].types.keys();
        similar_name_help(
            name,
            own.chain(module)
                .map(String::as_str)
                .chain(BUILTIN_TYPES)
                .map(|n| (NameKind::Type, n)),
        )
    }
}
