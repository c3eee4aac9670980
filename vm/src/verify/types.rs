//! Type shapes: nesting limits and word counts of every type in a module.

use super::{MAX_NESTING, VerifyError, VerifyErrorKind};
use braid_bytecode::{Module, U256, ValueType};

/// Word counts of one function's signature.
pub(super) struct FnShape {
    pub(super) param_words: u16,
    pub(super) ret_words: u16,
}

/// Word counts of every signature and field of a module (all fit in `u16`).
pub(super) struct Shapes {
    pub(super) functions: Vec<FnShape>,
    pub(super) field_words: Vec<u16>,
    pub(super) field_key_words: Vec<u16>,
    pub(super) import_params: Vec<u16>,
    pub(super) import_ret: Vec<u16>,
    pub(super) event_words: Vec<u16>,
}

/// Whether `t` nests at most `MAX_NESTING - depth` levels (bounded recursion).
fn depth_ok(t: &ValueType, depth: u32) -> bool {
    if depth >= MAX_NESTING {
        return false;
    }
    match t {
        ValueType::Tuple(ts) => ts.iter().all(|t| depth_ok(t, depth + 1)),
        ValueType::Struct(_, fs) => fs.iter().all(|(_, t)| depth_ok(t, depth + 1)),
        _ => true,
    }
}

/// The words of a list of types, checked for nesting and to fit in `u16`.
fn words_of<'t>(
    ts: impl IntoIterator<Item = &'t ValueType>,
    what: &str,
    location: &dyn Fn() -> String,
) -> Result<u16, VerifyError> {
    let mut total: usize = 0;
    for t in ts {
        if !depth_ok(t, 0) {
            return Err(VerifyError {
                location: location(),
                kind: VerifyErrorKind::TooDeep,
            });
        }
        total = total.saturating_add(t.words());
    }
    u16::try_from(total).map_err(|_| VerifyError {
        location: location(),
        kind: VerifyErrorKind::TooLarge(format!("{what} take {total} words (at most 65535)")),
    })
}

/// Checks every type of the module and computes its word counts.
pub(super) fn check_shapes(module: &Module) -> Result<Shapes, VerifyError> {
    let mut field_words = Vec::with_capacity(module.storage.len());
    let mut field_key_words = Vec::with_capacity(module.storage.len());
    for f in &module.storage {
        let loc = || format!("storage field `{}`", f.name);
        let value = words_of([&f.value], "the value", &loc)?;
        if value == 0 {
            return Err(VerifyError {
                location: loc(),
                kind: VerifyErrorKind::BadType("a storage value needs at least one word".into()),
            });
        }
        let key = match &f.key {
            None => 0,
            Some(k) => {
                let n = words_of([k], "the key", &loc)?;
                if n == 0 {
                    return Err(VerifyError {
                        location: loc(),
                        kind: VerifyErrorKind::BadType("a map key needs at least one word".into()),
                    });
                }
                n
            }
        };
        field_words.push(value);
        field_key_words.push(key);
    }
    let mut event_words = Vec::with_capacity(module.events.len());
    for e in &module.events {
        let loc = || format!("event `{}`", e.name);
        event_words.push(words_of(
            e.params.iter().map(|(_, t)| t),
            "the parameters",
            &loc,
        )?);
    }
    let mut import_params = Vec::with_capacity(module.imports.len());
    let mut import_ret = Vec::with_capacity(module.imports.len());
    for i in &module.imports {
        let loc = || format!("import `{}.{}`", i.contract, i.name);
        import_params.push(words_of(&i.params, "the parameters", &loc)?);
        import_ret.push(words_of([&i.ret], "the return value", &loc)?);
    }
    let mut functions = Vec::with_capacity(module.functions.len());
    for f in &module.functions {
        let loc = || format!("function `{}`", f.name);
        functions.push(FnShape {
            param_words: words_of(f.params.iter().map(|(_, t)| t), "the parameters", &loc)?,
            ret_words: words_of([&f.ret], "the return value", &loc)?,
        });
    }
    Ok(Shapes {
        functions,
        field_words,
        field_key_words,
        import_params,
        import_ret,
        event_words,
    })
}

/// Appends the largest valid word of each scalar of `t`, flattened in order.
pub(crate) fn word_maxima(t: &ValueType, out: &mut Vec<U256>) {
    match t {
        ValueType::Tuple(ts) => ts.iter().for_each(|t| word_maxima(t, out)),
        ValueType::Struct(_, fs) => fs.iter().for_each(|(_, t)| word_maxima(t, out)),
        scalar => out.push(scalar.max_word().unwrap_or(U256::MAX)),
    }
}
