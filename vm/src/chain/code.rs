//! A block executor's view of the deployed code, with a small memo.
//!
//! Code cannot change while a block runs (transactions do not deploy), so an
//! address resolved once stays resolved for the block. The memo is direct-mapped
//! on one byte of the address (addresses are hash outputs, so any byte is uniform):
//! a hit costs one 20-byte comparison instead of two ordered-map lookups.

use crate::Address;
use crate::interp::CodeStore;
use crate::verify::VerifiedModule;
use std::cell::Cell;
use std::sync::Arc;

/// Memo slots (a power of two).
const SLOTS: usize = 16;

/// Deployed code by address: the chain's maps, shareable by worker threads.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CodeMaps<'c> {
    /// Address → code hash.
    pub(crate) code: &'c im::OrdMap<Address, [u8; 32]>,
    /// Code hash → module.
    pub(crate) modules: &'c im::OrdMap<[u8; 32], Arc<VerifiedModule>>,
}

impl CodeStore for CodeMaps<'_> {
    fn code_at(&self, addr: &Address) -> Option<&VerifiedModule> {
        self.code
            .get(addr)
            .and_then(|h| self.modules.get(h))
            .map(|m| &**m)
    }
}

/// Deployed code by address, over the chain's maps, memoized (one per worker).
pub(crate) struct CodeView<'c> {
    code: &'c im::OrdMap<Address, [u8; 32]>,
    modules: &'c im::OrdMap<[u8; 32], Arc<VerifiedModule>>,
    memo: [Cell<Option<(Address, &'c VerifiedModule)>>; SLOTS],
}

impl<'c> CodeView<'c> {
    /// A view of `code` (address → code hash) and `modules` (code hash → module).
    pub(crate) fn new(
        code: &'c im::OrdMap<Address, [u8; 32]>,
        modules: &'c im::OrdMap<[u8; 32], Arc<VerifiedModule>>,
    ) -> Self {
        CodeView {
            code,
            modules,
            memo: Default::default(),
        }
    }
}

impl<'c> CodeView<'c> {
    /// A memoized view of `maps`.
    pub(crate) fn of(maps: &CodeMaps<'c>) -> Self {
        CodeView::new(maps.code, maps.modules)
    }
}

impl CodeStore for CodeView<'_> {
    fn code_at(&self, addr: &Address) -> Option<&VerifiedModule> {
        self.module_at(addr)
    }
}

impl<'c> CodeView<'c> {
    /// The module deployed at `addr`, borrowed from the chain's maps (so it outlives
    /// the view).
    pub(crate) fn module_at(&self, addr: &Address) -> Option<&'c VerifiedModule> {
        let slot = self.memo.get(usize::from(addr[0]) % SLOTS);
        if let Some((a, m)) = slot.and_then(Cell::get)
            && a == *addr
        {
            return Some(m);
        }
        let m: &'c VerifiedModule = self.code.get(addr).and_then(|h| self.modules.get(h))?;
        if let Some(slot) = slot {
            slot.set(Some((*addr, m)));
        }
        Some(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{module, scalar};
    use crate::verify;
    use braid_bytecode::ValueType;

    #[test]
    fn memo_slots_shared_by_two_addresses_resolve_each_correctly() {
        let a = verify::verify_owned(module("A", vec![], vec![])).expect("verifies");
        let b = verify::verify_owned(module("B", vec![scalar("x", ValueType::U64)], vec![]))
            .expect("verifies");
        let (ha, hb) = (a.code_hash, b.code_hash);
        let mut modules = im::OrdMap::new();
        modules.insert(ha, Arc::new(a));
        modules.insert(hb, Arc::new(b));
        // Same first byte, so the same memo slot.
        let (x, y) = (
            [7u8; 20],
            [7u8, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
        );
        let mut code = im::OrdMap::new();
        code.insert(x, ha);
        code.insert(y, hb);
        let view = CodeView::new(&code, &modules);
        for _ in 0..3 {
            assert_eq!(view.code_at(&x).map(|m| m.module.name.as_str()), Some("A"));
            assert_eq!(view.code_at(&y).map(|m| m.module.name.as_str()), Some("B"));
            assert!(view.code_at(&[9; 20]).is_none());
        }
    }
}
