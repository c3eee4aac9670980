//! Compiled code, kept beside its verified module.
//!
//! A [`VerifiedModule`] carries a [`JitSlot`]: the module's compiled code, made on
//! first use (or eagerly by [`crate::Chain::set_engine`] and
//! [`crate::Chain::load_module`] under the JIT) and then shared by every thread
//! that runs the module: the chain keeps one module per code hash, so the code is
//! compiled once per code hash. The `JITModule` that owns the code memory sits
//! behind a `Mutex` (it is `Send` but not `Sync`); the finalized function pointers
//! are immutable code and are called from many threads at once, each call with its
//! own context. Dropping a [`CompiledModule`] frees its code memory.

use super::JitError;
use super::host_fns::CompiledFn;
use super::translate::{declare, new_module, translate};
use crate::receipt::Failure;
use crate::verify::VerifiedModule;
use crate::verify::widths;
use cranelift_frontend::FunctionBuilderContext;
use cranelift_jit::JITModule;
use cranelift_module::Module;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// One module's native code.
pub struct CompiledModule {
    /// Owns the code memory (freed on drop).
    jit: Mutex<Option<JITModule>>,
    /// Entry points, one per function of the module, same indices.
    fns: Vec<CompiledFn>,
    /// The most spill-buffer words the code stages.
    spill_words: usize,
    /// How long compiling took.
    compile_time: Duration,
}

impl std::fmt::Debug for CompiledModule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompiledModule")
            .field("functions", &self.fns.len())
            .field("compile_time", &self.compile_time)
            .finish_non_exhaustive()
    }
}

impl CompiledModule {
    /// Compiles every function of `module`.
    pub(crate) fn compile(module: &VerifiedModule) -> Result<CompiledModule, JitError> {
        let started = Instant::now();
        let mut jit = new_module()?;
        match define_all(&mut jit, module) {
            Ok(ids) => {
                let fns = ids
                    .iter()
                    .map(|id| {
                        let ptr = jit.get_finalized_function(*id);
                        // SAFETY: `ptr` is the finalized code of a function
                        // declared with the signature `(i64, i64) -> i32` in the
                        // platform's default calling convention, which is
                        // `extern "C" fn(*mut u8, *const u8) -> u32`.
                        unsafe { std::mem::transmute::<*const u8, CompiledFn>(ptr) }
                    })
                    .collect();
                Ok(CompiledModule {
                    jit: Mutex::new(Some(jit)),
                    fns,
                    spill_words: super::layout::spill_words(module),
                    compile_time: started.elapsed(),
                })
            }
            Err(e) => {
                // SAFETY: compilation failed, so no function pointer into `jit`'s
                // memory was handed out.
                unsafe { jit.free_memory() };
                Err(e)
            }
        }
    }

    /// The entry point of function `func`.
    pub(crate) fn function(&self, func: u16) -> Result<CompiledFn, Failure> {
        self.fns
            .get(usize::from(func))
            .copied()
            .ok_or_else(|| Failure::Internal("compiled function index".to_string()))
    }

    /// The most spill-buffer words the code stages.
    pub(crate) fn spill_words(&self) -> usize {
        self.spill_words
    }

    /// How long compiling the module took.
    pub fn compile_time(&self) -> Duration {
        self.compile_time
    }

    /// The number of compiled functions.
    pub fn functions(&self) -> usize {
        self.fns.len()
    }
}

impl Drop for CompiledModule {
    fn drop(&mut self) {
        let jit = match self.jit.get_mut() {
            Ok(j) => j.take(),
            Err(poisoned) => poisoned.into_inner().take(),
        };
        if let Some(jit) = jit {
            // SAFETY: the function pointers in `self.fns` are only called through
            // a borrow of this `CompiledModule` (the engine and `jit_call_ext` hold
            // a reference to it for the whole call), so none is running or can be
            // called once it is being dropped.
            unsafe { jit.free_memory() };
        }
    }
}

/// Declares, translates and defines every function, then finalizes.
fn define_all(
    jit: &mut JITModule,
    module: &VerifiedModule,
) -> Result<Vec<cranelift_module::FuncId>, JitError> {
    let decl = declare(jit, module)?;
    let declared = widths::declared_of(&module.module);
    let mut ctx = jit.make_context();
    let mut fctx = FunctionBuilderContext::new();
    for (fi, f) in module.module.functions.iter().enumerate() {
        translate(jit, &decl, module, &declared, fi, &mut ctx, &mut fctx)?;
        let id = *decl.funcs.get(fi).ok_or_else(|| JitError::Facts {
            func: f.name.clone(),
            what: "function id".to_string(),
        })?;
        jit.define_function(id, &mut ctx)
            .map_err(|e| JitError::Codegen {
                func: f.name.clone(),
                what: format!("{e:?}"),
            })?;
        jit.clear_context(&mut ctx);
    }
    jit.finalize_definitions().map_err(|e| JitError::Codegen {
        func: String::new(),
        what: format!("{e:?}"),
    })?;
    Ok(decl.funcs)
}

/// A module's compiled code, made on first use and then shared (see the module
/// documentation). A clone starts empty (the clone may be changed before it runs);
/// equality ignores the slot (the code is a function of the module).
#[derive(Default)]
pub struct JitSlot(OnceLock<Result<Arc<CompiledModule>, JitError>>);

impl Clone for JitSlot {
    fn clone(&self) -> Self {
        JitSlot::default()
    }
}

impl std::fmt::Debug for JitSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0.get() {
            None => f.write_str("JitSlot(not compiled)"),
            Some(Ok(m)) => write!(f, "JitSlot({m:?})"),
            Some(Err(e)) => write!(f, "JitSlot(error: {e})"),
        }
    }
}

impl PartialEq for JitSlot {
    fn eq(&self, _: &JitSlot) -> bool {
        true
    }
}

impl Eq for JitSlot {}

impl VerifiedModule {
    /// The module's compiled code, compiling it on first use (once per module,
    /// whichever thread asks first; the others wait and share it).
    pub fn jit_code(&self) -> Result<&CompiledModule, JitError> {
        match self
            .jit
            .0
            .get_or_init(|| CompiledModule::compile(self).map(Arc::new))
        {
            Ok(m) => Ok(m),
            Err(e) => Err(e.clone()),
        }
    }
}
