//! Per-function pool references, made module-wide once dead code is gone.
//!
//! While a function is lowered, its `Const`, `Require`/`Revert`, `Call` and `CallExt`
//! operands index the function's own tables. After its control-flow graph is
//! finished (unreachable blocks dropped), [`FnPools::resolve`] walks the surviving
//! code in block order and replaces them with module indices, so that the module's
//! pools and function list hold exactly what live code uses, in first-use order.

use super::ModuleCx;
use super::func::FnLowering;
use crate::hir::{ContractId, FnId};
use braid_bytecode::{BasicBlock, Instr, Terminator};
use ruint::aliases::U256;
use std::collections::BTreeMap;

/// One function's pool references.
#[derive(Default)]
pub(super) struct FnPools {
    consts: Table<U256>,
    strings: Table<String>,
    callees: Table<FnId>,
    imports: Table<(ContractId, FnId)>,
}

/// A deduplicated list: value → local index.
struct Table<T> {
    items: Vec<T>,
    index: BTreeMap<T, u32>,
}

impl<T> Default for Table<T> {
    fn default() -> Self {
        Table {
            items: Vec::new(),
            index: BTreeMap::new(),
        }
    }
}

impl<T: Ord + Clone> Table<T> {
    fn get_or_add(&mut self, v: &T) -> u32 {
        if let Some(&i) = self.index.get(v) {
            return i;
        }
        let i = u32::try_from(self.items.len()).unwrap_or(u32::MAX);
        self.items.push(v.clone());
        self.index.insert(v.clone(), i);
        i
    }

    fn item(&self, i: u32) -> Option<&T> {
        self.items.get(i as usize)
    }
}

fn local16(i: u32) -> u16 {
    u16::try_from(i).unwrap_or(u16::MAX)
}

impl FnLowering<'_, '_> {
    /// A constant's function-local index.
    pub(super) fn const_ref(&mut self, v: U256) -> u32 {
        self.pools.consts.get_or_add(&v)
    }

    /// A message's function-local index.
    pub(super) fn string_ref(&mut self, s: &str) -> u32 {
        self.pools.strings.get_or_add(&s.to_owned())
    }

    /// An internal callee's function-local index.
    pub(super) fn callee_ref(&mut self, f: FnId) -> u16 {
        local16(self.pools.callees.get_or_add(&f))
    }

    /// An external callee's function-local index.
    pub(super) fn import_ref(&mut self, contract: ContractId, f: FnId) -> u16 {
        local16(self.pools.imports.get_or_add(&(contract, f)))
    }
}

impl FnPools {
    /// Rewrites local indices in `blocks` to module indices (first use in block order).
    pub(super) fn resolve(&self, cx: &mut ModuleCx<'_>, blocks: &mut [BasicBlock]) {
        for b in blocks {
            for i in &mut b.instrs {
                match i {
                    Instr::Const { idx, .. } => {
                        if let Some(v) = self.consts.item(*idx) {
                            *idx = cx.const_index(*v);
                        }
                    }
                    Instr::Require { msg, .. } => {
                        if let Some(s) = self.strings.item(*msg) {
                            *msg = cx.string_index(s);
                        }
                    }
                    Instr::Call { func, .. } => {
                        if let Some(&f) = self.callees.item(u32::from(*func)) {
                            *func = cx.fn_index(f);
                        }
                    }
                    Instr::CallExt { import, .. } => {
                        if let Some(&(c, f)) = self.imports.item(u32::from(*import)) {
                            *import = cx.import_index(c, f);
                        }
                    }
                    _ => {}
                }
            }
            if let Terminator::Revert(msg) = &mut b.term
                && let Some(s) = self.strings.item(*msg)
            {
                *msg = cx.string_index(s);
            }
        }
    }
}
