//! The limits of the module format, shared by the compiler (which reports a
//! diagnostic naming the limit) and the VM (whose decoder and verifier reject a module
//! beyond them). One table, so that whatever the compiler emits the verifier accepts.
//!
//! Why each limit is what it is:
//! - **Table entries** (storage fields, events, functions, imports): instructions name
//!   them with 16-bit operands, so a table has at most 65,536 entries (indices 0 to
//!   65,535). Without the check, index 65,536 would saturate onto 65,535 and a write to
//!   one field would change another.
//! - **Pool entries** (constants, strings): 32-bit operands, but bounded like the
//!   tables; a module that needs more is far beyond [`MAX_MODULE_BYTES`] anyway.
//! - **Value words**: a value's flattened words are counted in 16-bit fields (register
//!   ranges, word counts), so a value has at most 65,535 words.
//! - **Access patterns** per function: the VM evaluates every pattern of a
//!   transaction's summary before running it; the bound keeps that work (which gas
//!   pays for) and the summary's size proportionate.
//! - **Module bytes**: decoding turns bytes into in-memory structures several times
//!   larger; the cap bounds the memory a module from outside can make the VM allocate
//!   before the verifier judges it.

use super::Module;

/// The most bytes an encoded module may have (magic included): 1 MiB.
pub const MAX_MODULE_BYTES: usize = 1 << 20;

/// The most entries of a table that instructions index with 16 bits: storage fields,
/// events, functions and imports (indices 0 to 65,535).
pub const MAX_TABLE_ENTRIES: usize = 1 << 16;

/// The most entries of the constant pool and of the string pool.
pub const MAX_POOL_ENTRIES: usize = 1 << 16;

/// The most 256-bit words a value (a storage value or key, a parameter list, a return
/// value, an event's parameters) may flatten into.
pub const MAX_VALUE_WORDS: usize = u16::MAX as usize;

/// The most access patterns one function's summary may hold (callees expanded).
pub const MAX_ACCESS_PATTERNS: usize = 1024;

/// The most source positions one function's source map may hold: each takes at least
/// four bytes encoded (offset, file, line and column), so no module within
/// [`MAX_MODULE_BYTES`] holds more.
pub const MAX_SOURCE_POSITIONS: usize = MAX_MODULE_BYTES / 4;

/// A count of a module beyond its limit.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{what}: {found} (at most {limit})")]
pub struct LimitError {
    /// What was counted (`storage fields`, `access patterns of function \`f\``).
    pub what: String,
    /// The count found.
    pub found: usize,
    /// The limit.
    pub limit: usize,
}

/// The table and pool counts of `module` against their limits.
pub fn check_counts(module: &Module) -> Result<(), LimitError> {
    let tables: [(&str, usize, usize); 6] = [
        ("storage fields", module.storage.len(), MAX_TABLE_ENTRIES),
        ("events", module.events.len(), MAX_TABLE_ENTRIES),
        ("functions", module.functions.len(), MAX_TABLE_ENTRIES),
        ("imports", module.imports.len(), MAX_TABLE_ENTRIES),
        ("constants", module.consts.len(), MAX_POOL_ENTRIES),
        ("strings", module.strings.len(), MAX_POOL_ENTRIES),
    ];
    for (what, found, limit) in tables {
        if found > limit {
            return Err(LimitError {
                what: what.to_string(),
                found,
                limit,
            });
        }
    }
    if let Some(map) = &module.source_map {
        let counts = [
            ("source map files", map.files.len(), MAX_TABLE_ENTRIES),
            (
                "source map functions",
                map.functions.len(),
                MAX_TABLE_ENTRIES,
            ),
        ];
        let positions = map.functions.iter().map(|f| {
            (
                "source positions of one function",
                f.positions.len(),
                MAX_SOURCE_POSITIONS,
            )
        });
        for (what, found, limit) in counts.into_iter().chain(positions) {
            if found > limit {
                return Err(LimitError {
                    what: what.to_string(),
                    found,
                    limit,
                });
            }
        }
    }
    for f in &module.functions {
        if f.access.len() > MAX_ACCESS_PATTERNS {
            return Err(LimitError {
                what: format!("access patterns of function `{}`", f.name),
                found: f.access.len(),
                limit: MAX_ACCESS_PATTERNS,
            });
        }
    }
    Ok(())
}

/// An encoded module's length against [`MAX_MODULE_BYTES`].
pub fn check_size(encoded_len: usize) -> Result<(), LimitError> {
    if encoded_len > MAX_MODULE_BYTES {
        return Err(LimitError {
            what: "encoded module bytes".to_string(),
            found: encoded_len,
            limit: MAX_MODULE_BYTES,
        });
    }
    Ok(())
}

/// Depth-free deserialization of a `Vec` whose length is checked against a limit
/// before anything is allocated (postcard writes the length first).
pub(crate) mod bounded {
    use serde::de::{Deserialize, Deserializer, Error, SeqAccess, Visitor};
    use std::fmt;
    use std::marker::PhantomData;

    /// The most elements allocated on the strength of a length prefix alone.
    const PREALLOCATE: usize = 1024;

    struct Bounded<T, const N: usize>(PhantomData<T>);

    impl<'de, T: Deserialize<'de>, const N: usize> Visitor<'de> for Bounded<T, N> {
        type Value = Vec<T>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "a sequence of at most {N} elements")
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
            let hint = seq.size_hint().unwrap_or(0);
            if hint > N {
                return Err(A::Error::custom(format!(
                    "{hint} entries where at most {N} are allowed"
                )));
            }
            // Preallocate only a little: the length is the input's claim, not yet its content.
            let mut out = Vec::with_capacity(hint.min(PREALLOCATE));
            while let Some(v) = seq.next_element()? {
                if out.len() == N {
                    return Err(A::Error::custom(format!(
                        "more than {N} entries where at most {N} are allowed"
                    )));
                }
                out.push(v);
            }
            Ok(out)
        }
    }

    fn vec<'de, D: Deserializer<'de>, T: Deserialize<'de>, const N: usize>(
        d: D,
    ) -> Result<Vec<T>, D::Error> {
        d.deserialize_seq(Bounded::<T, N>(PhantomData))
    }

    /// A table indexed with 16 bits ([`super::MAX_TABLE_ENTRIES`]).
    pub(crate) fn table<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
        d: D,
    ) -> Result<Vec<T>, D::Error> {
        vec::<D, T, { super::MAX_TABLE_ENTRIES }>(d)
    }

    /// The constant or string pool ([`super::MAX_POOL_ENTRIES`]).
    pub(crate) fn pool<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
        d: D,
    ) -> Result<Vec<T>, D::Error> {
        vec::<D, T, { super::MAX_POOL_ENTRIES }>(d)
    }

    /// A function's source positions ([`super::MAX_SOURCE_POSITIONS`]).
    pub(crate) fn positions<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
        d: D,
    ) -> Result<Vec<T>, D::Error> {
        vec::<D, T, { super::MAX_SOURCE_POSITIONS }>(d)
    }

    /// A function's access summary ([`super::MAX_ACCESS_PATTERNS`]).
    pub(crate) fn access<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
        d: D,
    ) -> Result<Vec<T>, D::Error> {
        vec::<D, T, { super::MAX_ACCESS_PATTERNS }>(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encode::{DecodeError, MAGIC, decode, encode};
    use crate::module::{EventDef, FORMAT_VERSION};
    use crate::opcode::GAS_TABLE_VERSION;

    fn empty() -> Module {
        Module {
            format_version: FORMAT_VERSION,
            gas_version: GAS_TABLE_VERSION,
            name: "M".into(),
            storage: Vec::new(),
            events: Vec::new(),
            consts: Vec::new(),
            strings: Vec::new(),
            imports: Vec::new(),
            functions: Vec::new(),
            source_map: None,
        }
    }

    #[test]
    fn more_bytes_than_the_limit_are_refused_before_decoding() {
        let mut bytes = MAGIC.to_vec();
        bytes.resize(MAX_MODULE_BYTES + 1, 0);
        assert_eq!(
            decode(&bytes),
            Err(DecodeError::TooLarge(MAX_MODULE_BYTES + 1))
        );
    }

    #[test]
    fn a_table_longer_than_its_limit_is_refused_at_its_length() {
        let mut m = empty();
        m.events = (0..=MAX_TABLE_ENTRIES)
            .map(|_| EventDef {
                name: String::new(),
                params: Vec::new(),
            })
            .collect();
        let bytes = encode(&m);
        assert!(bytes.len() <= MAX_MODULE_BYTES);
        let err = decode(&bytes).expect_err("65,537 events");
        assert!(matches!(err, DecodeError::Malformed(_)), "{err}");
        assert_eq!(
            check_counts(&m).map_err(|e| e.what),
            Err("events".to_string())
        );
        m.events.pop();
        assert!(decode(&encode(&m)).is_ok());
    }

    #[test]
    fn a_length_prefix_alone_allocates_little() {
        // A module claiming 65,536 functions but holding none: refused for want of
        // bytes, after preallocating at most a few entries.
        let mut m = empty();
        m.functions = Vec::new();
        let mut bytes = encode(&m);
        // The functions' length is the last byte (0): claim 65,536 (varint 0x80 0x80 0x04).
        bytes.pop();
        bytes.extend_from_slice(&[0x80, 0x80, 0x04]);
        assert!(decode(&bytes).is_err());
    }
}
