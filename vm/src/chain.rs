//! The chain: world state plus loaded code, with deployment and sequential blocks.
//!
//! [`Chain`] is the API the CLI, the REPL and the tests drive. Cloning it is O(1):
//! the world is persistent maps and modules are shared behind `Arc`, so keeping the
//! chain before a block (history, undo, rollback) costs nothing.

use crate::access::AccessSet;
use crate::exec::{self, Entry, Scratch};
use crate::interp::CodeStore;
use crate::receipt::{Failure, Receipt};
use crate::state::{self, WorldState};
use crate::verify::{self, VerifiedModule, VerifyError};
use crate::{Address, BlockContext, Transaction};
use braid_bytecode::encode::{self, DecodeError};
use braid_bytecode::{Module, U256};
use code::CodeView;
use std::sync::Arc;

/// Why a module could not be loaded.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    /// The bytes are not a module.
    #[error("cannot decode module: {0}")]
    Decode(#[from] DecodeError),
    /// The module failed verification.
    #[error("module rejected by the verifier: {0}")]
    Verify(#[from] VerifyError),
}

/// Why a deployment failed (the chain is then unchanged).
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum DeployError {
    /// The module could not be loaded.
    #[error("{0}")]
    Load(#[from] LoadError),
    /// No module with that code hash was loaded.
    #[error("no loaded module has this code hash")]
    NoSuchContract,
    /// The constructor's arguments do not fit its parameters.
    #[error("bad constructor arguments: {0}")]
    BadArgs(String),
    /// The constructor failed.
    #[error("constructor failed: {0}")]
    InitFailed(Failure),
}

/// A transaction resolved once against a chain's code ([`Chain::prepare`]): the
/// hot path then uses the function's index, never its name.
#[derive(Clone, Debug)]
pub struct PreparedTx<'t> {
    /// The transaction.
    pub tx: &'t Transaction,
    /// Its contract's module and function index, or why it cannot run (the failure
    /// of its receipt).
    pub entry: Result<(Arc<VerifiedModule>, u16), Failure>,
}

/// World state and deployed code.
#[derive(Clone, Debug, Default)]
pub struct Chain {
    state: WorldState,
    modules: im::OrdMap<[u8; 32], Arc<VerifiedModule>>,
}

impl CodeStore for Chain {
    fn code_at(&self, addr: &Address) -> Option<&VerifiedModule> {
        let hash = self.state.code_hash(addr)?;
        self.modules.get(&hash).map(|m| &**m)
    }
}

impl Chain {
    /// An empty chain.
    pub fn new() -> Chain {
        Chain::default()
    }

    /// Verifies a module and returns its code hash (loading the same module twice
    /// keeps one copy).
    pub fn load_module(&mut self, module: Module) -> Result<[u8; 32], LoadError> {
        let verified = verify::verify_owned(module)?;
        let hash = verified.code_hash;
        if !self.modules.contains_key(&hash) {
            self.modules.insert(hash, Arc::new(verified));
        }
        Ok(hash)
    }

    /// Decodes, verifies and loads a module from its bytes.
    pub fn load_module_bytes(&mut self, bytes: &[u8]) -> Result<[u8; 32], LoadError> {
        let module = encode::decode(bytes)?;
        self.load_module(module)
    }

    /// The loaded module with this code hash.
    pub fn loaded(&self, code: &[u8; 32]) -> Option<&VerifiedModule> {
        self.modules.get(code).map(|m| &**m)
    }

    /// Every loaded module with its code hash, by code hash.
    pub fn loaded_modules(&self) -> impl Iterator<Item = (&[u8; 32], &VerifiedModule)> {
        self.modules.iter().map(|(h, m)| (h, &**m))
    }

    /// Deploys a loaded module at `encode::contract_address(deployer, count)` where
    /// `count` is the deployer's deploy count (then incremented), running its `init`
    /// with `args`. On any error the chain is unchanged.
    pub fn deploy(
        &mut self,
        code: [u8; 32],
        deployer: Address,
        args: Vec<U256>,
        block: BlockContext,
        gas_limit: u64,
    ) -> Result<Address, DeployError> {
        let module = Arc::clone(self.modules.get(&code).ok_or(DeployError::NoSuchContract)?);
        let count = self.state.deploy_count(&deployer);
        let addr = encode::contract_address(&deployer, count);
        if self.state.code_hash(&addr).is_some() {
            return Err(DeployError::BadArgs(format!(
                "address 0x{} already holds a contract",
                hex::encode(addr)
            )));
        }
        let mut next = self.clone();
        next.state
            .set_deploy_count(deployer, count.saturating_add(1));
        next.state.set_code(addr, code);
        if let Some(init) = module.init() {
            exec::check_args(&module, init, &args).map_err(DeployError::BadArgs)?;
            let entry = Entry {
                module: &module,
                func: init,
            };
            let access = entry
                .access_set(&deployer, &addr, &args)
                .map_err(DeployError::InitFailed)?;
            let outcome = exec::run(
                &next,
                &next.state,
                block,
                entry,
                addr,
                deployer,
                &args,
                &access,
                gas_limit,
            );
            if let Err(f) = outcome.receipt.status {
                return Err(DeployError::InitFailed(f));
            }
            next.state.apply(outcome.writes);
        } else if !args.is_empty() {
            return Err(DeployError::BadArgs(format!(
                "contract {} has no init function but got {} argument words",
                module.module.name,
                args.len()
            )));
        }
        *self = next;
        Ok(addr)
    }

    /// The module of the contract deployed at `addr`.
    pub fn module_at(&self, addr: &Address) -> Option<&Module> {
        self.code_at(addr).map(|m| &m.module)
    }

    /// The verified module (with its precomputed tables) deployed at `addr`.
    pub fn verified_at(&self, addr: &Address) -> Option<&VerifiedModule> {
        self.code_at(addr)
    }

    /// Runs a block sequentially in order: each transaction sees the writes of the
    /// successful ones before it; a failed one leaves nothing. One receipt per tx.
    pub fn execute_block(&mut self, block: BlockContext, txs: &[Transaction]) -> Vec<Receipt> {
        self.execute_block_in(&mut Scratch::default(), block, txs)
    }

    /// [`Chain::execute_block`] with an executor's reusable buffers (an executor
    /// that runs many blocks keeps one [`Scratch`]).
    pub fn execute_block_in(
        &mut self,
        scratch: &mut Scratch,
        block: BlockContext,
        txs: &[Transaction],
    ) -> Vec<Receipt> {
        let mut receipts = Vec::with_capacity(txs.len());
        let (code, storage) = self.state.code_and_storage_mut();
        let view = CodeView::new(code, &self.modules);
        for tx in txs {
            let receipt = exec::isolate_panics(scratch, tx.gas_limit, |scratch| {
                exec::execute_tx_in(scratch, &view, &*storage, block, tx)
            });
            if receipt.is_success() {
                state::apply_writes(storage, scratch.writes().iter().copied());
            }
            receipts.push(receipt);
        }
        receipts
    }

    /// Resolves a transaction against the deployed code once: its contract, its
    /// function (by index from then on) and its argument ranges. A transaction that
    /// cannot run keeps the failure its receipt will carry. A scheduler prepares a
    /// block up front (in parallel: this takes `&self`) and runs it with
    /// [`Chain::execute_prepared`].
    pub fn prepare<'t>(&self, tx: &'t Transaction) -> PreparedTx<'t> {
        let entry = exec::resolve(self, tx).and_then(|e| {
            let module = self
                .modules
                .get(&e.module.code_hash)
                .ok_or_else(|| Failure::Internal("module of a resolved entry".to_string()))?;
            Ok((Arc::clone(module), e.func))
        });
        PreparedTx { tx, entry }
    }

    /// Runs a block of prepared transactions sequentially in order, exactly as
    /// [`Chain::execute_block`] runs the same transactions (the code cannot change
    /// between preparing and executing: only deployment changes it, and that needs
    /// `&mut self`).
    pub fn execute_prepared(
        &mut self,
        block: BlockContext,
        txs: &[PreparedTx<'_>],
    ) -> Vec<Receipt> {
        self.execute_prepared_in(&mut Scratch::default(), block, txs)
    }

    /// [`Chain::execute_prepared`] with an executor's reusable buffers.
    pub fn execute_prepared_in(
        &mut self,
        scratch: &mut Scratch,
        block: BlockContext,
        txs: &[PreparedTx<'_>],
    ) -> Vec<Receipt> {
        let mut receipts = Vec::with_capacity(txs.len());
        let (code, storage) = self.state.code_and_storage_mut();
        let view = CodeView::new(code, &self.modules);
        for p in txs {
            let receipt = match &p.entry {
                Ok((module, func)) => {
                    let entry = Entry {
                        module,
                        func: *func,
                    };
                    exec::isolate_panics(scratch, p.tx.gas_limit, |scratch| {
                        exec::execute_entry_in(scratch, &view, &*storage, block, p.tx, entry)
                    })
                }
                Err(f) => Receipt::failed(f.clone(), 0, braid_bytecode::ValueType::unit()),
            };
            if receipt.is_success() {
                state::apply_writes(storage, scratch.writes().iter().copied());
            }
            receipts.push(receipt);
        }
        receipts
    }

    /// Runs a transaction without committing anything.
    pub fn call_view(&self, block: BlockContext, tx: &Transaction) -> Receipt {
        exec::isolate_panics(&mut Scratch::default(), tx.gas_limit, |scratch| {
            exec::execute_tx_in(scratch, self, &self.state, block, tx)
        })
    }

    /// The world state digest (see [`WorldState::digest`] for the encoding).
    pub fn digest(&self) -> [u8; 32] {
        self.state.digest()
    }

    /// A transaction's concrete access set, evaluated from its function's summary.
    pub fn access_set(&self, tx: &Transaction) -> Result<AccessSet, Failure> {
        exec::access_set(self, tx)
    }

    /// The world state.
    pub fn state(&self) -> &WorldState {
        &self.state
    }

    /// Replaces the world state (a scheduler's merged result).
    pub fn set_state(&mut self, state: WorldState) {
        self.state = state;
    }
}

mod code;
#[cfg(test)]
mod tests;
