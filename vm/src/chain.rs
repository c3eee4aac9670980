//! The chain: world state plus loaded code, with deployment, blocks and views.
//!
//! [`Chain`] is the API the CLI, the REPL and the tests drive. Cloning it is O(1):
//! the world is persistent maps and modules are shared behind `Arc`, so keeping the
//! chain before a block (history, undo, rollback) costs nothing.

use crate::access::AccessSet;
use crate::engine::EngineKind;
use crate::exec::{self, Entry, Scratch};
use crate::executor::{BlockError, DEFAULT_BLOCK_GAS_LIMIT, Executor};
use crate::interp::CodeStore;
use crate::receipt::{Failure, Receipt};
use crate::state::{Storage, WorldState};
use crate::verify::{self, VerifiedModule, VerifyError};
use crate::{Address, BlockContext, Transaction};
use braid_bytecode::encode::{self, DecodeError};
use braid_bytecode::{Module, U256, cost};
pub(crate) use code::{CodeMaps, CodeView};
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
    /// The chain runs the JIT and it could not compile the module.
    #[error("the JIT cannot compile module `{module}`: {error}")]
    Jit {
        /// The module's name.
        module: String,
        /// Why.
        error: crate::jit::JitError,
    },
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

/// World state and deployed code.
#[derive(Clone, Debug)]
pub struct Chain {
    state: WorldState,
    modules: im::OrdMap<[u8; 32], Arc<VerifiedModule>>,
    block_gas_limit: u64,
    engine: EngineKind,
}

impl Default for Chain {
    fn default() -> Self {
        Chain {
            state: WorldState::default(),
            modules: im::OrdMap::new(),
            block_gas_limit: DEFAULT_BLOCK_GAS_LIMIT,
            engine: EngineKind::default(),
        }
    }
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
    ///
    /// Under the JIT ([`Chain::set_engine`]) the module is also compiled, and a
    /// module the JIT cannot compile is not loaded.
    pub fn load_module(&mut self, module: Module) -> Result<[u8; 32], LoadError> {
        let verified = verify::verify_owned(module)?;
        let hash = verified.code_hash;
        if !self.modules.contains_key(&hash) {
            if self.engine == EngineKind::Jit {
                jit_compile(&verified)?;
            }
            self.modules.insert(hash, Arc::new(verified));
        }
        Ok(hash)
    }

    /// The engine transactions on this chain run on (the interpreter by default).
    pub fn engine(&self) -> EngineKind {
        self.engine
    }

    /// Runs this chain's transactions (blocks on any executor, deployments, views)
    /// on `engine`. Switching to the JIT compiles every loaded module first; if one
    /// cannot be compiled the engine is unchanged.
    pub fn set_engine(&mut self, engine: EngineKind) -> Result<(), LoadError> {
        if engine == EngineKind::Jit {
            for m in self.modules.values() {
                jit_compile(m)?;
            }
        }
        self.engine = engine;
        Ok(())
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
            let f = entry.function().map_err(DeployError::InitFailed)?;
            let access = AccessSet::evaluate(&f.access, &deployer, &addr, &args)
                .map_err(DeployError::InitFailed)?;
            let gas = cost::access_gas(&f.access);
            let Some(body_gas) = gas_limit.checked_sub(gas) else {
                return Err(DeployError::InitFailed(Failure::OutOfGas));
            };
            let call = exec::Call {
                entry,
                target: addr,
                sender: deployer,
                args: &args,
                access: &access,
                gas_limit: body_gas,
            };
            let mut scratch = Scratch::with_engine(self.engine);
            let receipt = exec::run_call(&mut scratch.bufs, &next, &next.state, block, &call);
            if let Err(f) = receipt.status {
                return Err(DeployError::InitFailed(f));
            }
            next.state.apply(scratch.take_writes());
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

    /// Runs a block with the sequential executor: each transaction sees the writes
    /// of the successful ones before it; a failed one leaves nothing. One receipt per
    /// transaction. (A block executor that runs many blocks, or in parallel, is an
    /// [`Executor`].)
    pub fn execute_block(
        &mut self,
        block: BlockContext,
        txs: &[Transaction],
    ) -> Result<Vec<Receipt>, BlockError> {
        Ok(Executor::sequential().execute(self, block, txs)?.receipts)
    }

    /// The block gas limit: the most gas a block's transactions may declare in all.
    pub fn block_gas_limit(&self) -> u64 {
        self.block_gas_limit
    }

    /// Sets the block gas limit.
    pub fn set_block_gas_limit(&mut self, limit: u64) {
        self.block_gas_limit = limit;
    }

    /// The deployed code (shareable by worker threads) and the storage, at once.
    pub(crate) fn code_and_storage_mut(&mut self) -> (CodeMaps<'_>, &mut Storage) {
        let (code, storage) = self.state.code_and_storage_mut();
        (
            CodeMaps {
                code,
                modules: &self.modules,
            },
            storage,
        )
    }

    /// Runs a transaction without committing anything.
    pub fn call_view(&self, block: BlockContext, tx: &Transaction) -> Receipt {
        exec::execute_alone(
            &mut Scratch::with_engine(self.engine),
            self,
            &self.state,
            block,
            tx,
        )
    }

    /// A copy whose storage shares no node with this chain's (a clone shares every
    /// node, and its first write to each copies it): for a benchmark whose runs each
    /// start from the same world but should own it, as a node owns its state.
    pub fn unshared(&self) -> Chain {
        Chain {
            state: self.state.unshared(),
            ..self.clone()
        }
    }

    /// The world state digest (see [`WorldState::digest`] for the encoding).
    pub fn digest(&self) -> [u8; 32] {
        self.state.digest()
    }

    /// A transaction's concrete access set, evaluated from its function's summary.
    pub fn access_set(&self, tx: &Transaction) -> Result<AccessSet, Failure> {
        let entry = exec::resolve(self, tx)?;
        AccessSet::evaluate(&entry.function()?.access, &tx.sender, &tx.to, &tx.args)
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

/// Compiles `module` with the JIT (once per module; later calls share the code).
fn jit_compile(module: &VerifiedModule) -> Result<(), LoadError> {
    module
        .jit_code()
        .map(|_| ())
        .map_err(|error| LoadError::Jit {
            module: module.module.name.clone(),
            error,
        })
}

mod code;
#[cfg(test)]
mod tests;
