//! The binary encoding of modules, code hashes, selectors and derived addresses.
//!
//! A module file is the magic `BRAIDBC\0`, then the module's code serialized with
//! postcard, then, unless stripped, its source map section (the section's version,
//! then the [`SourceMap`], postcard too). Decoding checks the magic and both
//! versions; it never panics on any input (the VM's verifier then checks the module's
//! meaning, the source map's offsets included).
//!
//! The code hash ([`code_hash_of`]) covers the magic and the code only: a module with
//! or without its source map is the same code, at the same hash.

use crate::module::source_map::{Section, SectionRef};
use crate::module::{
    FORMAT_VERSION, MAX_MODULE_BYTES, Module, SOURCE_MAP_VERSION, SourceMap, ValueType,
};
use ruint::aliases::U256;

/// The first bytes of every module file.
pub const MAGIC: &[u8; 8] = b"BRAIDBC\0";

/// Why bytes could not be decoded into a module.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DecodeError {
    /// The bytes do not start with [`MAGIC`].
    #[error("not a Braid bytecode module (bad magic)")]
    BadMagic,
    /// The module was written by another format version.
    #[error("module format version {found} is not supported (expected {expected})")]
    Version {
        /// Found in the bytes.
        found: u32,
        /// What this build reads.
        expected: u32,
    },
    /// The bytes are not a well-formed module.
    #[error("malformed module: {0}")]
    Malformed(String),
    /// Bytes are left over after the module.
    #[error("{0} trailing bytes after the module")]
    Trailing(usize),
    /// The source map section is malformed or of another version.
    #[error("malformed source map: {0}")]
    SourceMap(String),
    /// More bytes than [`MAX_MODULE_BYTES`]: refused before anything is decoded.
    #[error("module of {0} bytes is larger than the limit of {MAX_MODULE_BYTES} bytes")]
    TooLarge(usize),
}

/// Serializes a module, its source map included (deterministic: the same module
/// always gives the same bytes).
pub fn encode(module: &Module) -> Vec<u8> {
    let mut out = encode_code(module);
    if let Some(map) = &module.source_map {
        out.extend_from_slice(&encode_source_map(map));
    }
    out
}

/// The magic and the module's code, without its source map: what [`code_hash_of`]
/// hashes (and what a stripped module's file holds).
pub fn encode_code(module: &Module) -> Vec<u8> {
    let mut out = MAGIC.to_vec();
    // Postcard serialization of plain data cannot fail: no maps with non-string keys,
    // no custom serializers that error.
    let body =
        postcard::to_stdvec(module).expect("postcard serializes any Module: plain owned data");
    out.extend_from_slice(&body);
    out
}

/// The source map section's bytes.
pub fn encode_source_map(map: &SourceMap) -> Vec<u8> {
    postcard::to_stdvec(&SectionRef {
        version: SOURCE_MAP_VERSION,
        map,
    })
    .expect("postcard serializes any SourceMap: plain owned data")
}

/// Decodes bytes written by [`encode`]. Structural only: verify before running.
///
/// Memory is bounded before it is allocated: more than [`MAX_MODULE_BYTES`] bytes are
/// refused outright, each table's length is checked against its limit
/// ([`crate::module::limits`]) before the table is allocated, and nesting is bounded
/// ([`crate::module::depth`]).
pub fn decode(bytes: &[u8]) -> Result<Module, DecodeError> {
    if bytes.len() > MAX_MODULE_BYTES {
        return Err(DecodeError::TooLarge(bytes.len()));
    }
    let body = bytes
        .strip_prefix(MAGIC.as_slice())
        .ok_or(DecodeError::BadMagic)?;
    let (module, rest): (Module, &[u8]) =
        postcard::take_from_bytes(body).map_err(|e| DecodeError::Malformed(e.to_string()))?;
    if module.format_version != FORMAT_VERSION {
        return Err(DecodeError::Version {
            found: module.format_version,
            expected: FORMAT_VERSION,
        });
    }
    let mut module = module;
    if rest.is_empty() {
        return Ok(module);
    }
    let (section, rest): (Section, &[u8]) =
        postcard::take_from_bytes(rest).map_err(|e| DecodeError::SourceMap(e.to_string()))?;
    if section.version != SOURCE_MAP_VERSION {
        return Err(DecodeError::SourceMap(format!(
            "section version {} is not supported (expected {SOURCE_MAP_VERSION})",
            section.version
        )));
    }
    if !rest.is_empty() {
        return Err(DecodeError::Trailing(rest.len()));
    }
    module.source_map = Some(section.map);
    Ok(module)
}

/// blake3 of bytes (see [`code_hash_of`] for a module's code hash).
pub fn code_hash(bytes: &[u8]) -> [u8; 32] {
    *blake3::hash(bytes).as_bytes()
}

/// A module's code hash: blake3 of its code's encoding ([`encode_code`]), the source
/// map left out.
pub fn code_hash_of(module: &Module) -> [u8; 32] {
    code_hash(&encode_code(module))
}

/// The canonical signature text of a function: `name(t1,t2)->r`.
pub fn signature(name: &str, params: &[ValueType], ret: &ValueType) -> String {
    let ps: Vec<String> = params.iter().map(canonical_type).collect();
    format!("{name}({})->{}", ps.join(","), canonical_type(ret))
}

/// A type's canonical text for signatures: contract types are plain addresses, so a
/// `Token` parameter matches any contract type of the same shape.
fn canonical_type(t: &ValueType) -> String {
    match t {
        ValueType::Contract(_) => "address".into(),
        ValueType::Tuple(ts) => {
            let inner: Vec<String> = ts.iter().map(canonical_type).collect();
            format!("({})", inner.join(","))
        }
        ValueType::Struct(_, fs) => {
            let inner: Vec<String> = fs.iter().map(|(_, t)| canonical_type(t)).collect();
            format!("{{{}}}", inner.join(","))
        }
        other => other.display(),
    }
}

/// A function selector: the first 8 bytes (little-endian) of blake3 of its signature.
/// Two functions match for an external call exactly when their selectors match.
pub fn selector(name: &str, params: &[ValueType], ret: &ValueType) -> u64 {
    let h = blake3::hash(signature(name, params, ret).as_bytes());
    let mut b = [0u8; 8];
    b.copy_from_slice(&h.as_bytes()[..8]);
    u64::from_le_bytes(b)
}

/// An address as a word (the 20 bytes are the low 160 bits, big-endian).
pub fn address_to_word(addr: &[u8; 20]) -> U256 {
    let mut b = [0u8; 32];
    b[12..].copy_from_slice(addr);
    U256::from_be_bytes(b)
}

/// The low 160 bits of a word as an address.
pub fn word_to_address(w: U256) -> [u8; 20] {
    let b: [u8; 32] = w.to_be_bytes();
    let mut a = [0u8; 20];
    a.copy_from_slice(&b[12..]);
    a
}

/// The canonical bytes of a key value: each flattened word as 32 big-endian bytes.
pub fn canonical_key_bytes(words: &[U256]) -> Vec<u8> {
    let mut v = Vec::with_capacity(words.len() * 32);
    for w in words {
        v.extend_from_slice(&w.to_be_bytes::<32>());
    }
    v
}

/// The sub-account `base[key]`: the first 20 bytes of
/// `blake3("braid:sub" ‖ base ‖ canonical bytes of key)` (language spec §4.1).
pub fn sub_account(base: &[u8; 20], key: &[U256]) -> [u8; 20] {
    let mut h = blake3::Hasher::new();
    h.update(b"braid:sub");
    h.update(base);
    for w in key {
        h.update(&w.to_be_bytes::<32>());
    }
    let mut a = [0u8; 20];
    a.copy_from_slice(&h.finalize().as_bytes()[..20]);
    a
}

/// A named account's address: the first 20 bytes of `blake3("braid:account:" ‖ name)`.
pub fn account_address(name: &str) -> [u8; 20] {
    let mut h = blake3::Hasher::new();
    h.update(b"braid:account:");
    h.update(name.as_bytes());
    let mut a = [0u8; 20];
    a.copy_from_slice(&h.finalize().as_bytes()[..20]);
    a
}

/// A deployed contract's address: the first 20 bytes of
/// `blake3("braid:contract:" ‖ deployer ‖ deploy count as u64 little-endian)`.
pub fn contract_address(deployer: &[u8; 20], count: u64) -> [u8; 20] {
    let mut h = blake3::Hasher::new();
    h.update(b"braid:contract:");
    h.update(deployer);
    h.update(&count.to_le_bytes());
    let mut a = [0u8; 20];
    a.copy_from_slice(&h.finalize().as_bytes()[..20]);
    a
}

/// The storage key word of a map key: the word itself for a one-word key, otherwise
/// blake3 of the canonical key bytes (domain `braid:key`) read as a big-endian word.
pub fn map_key_word(words: &[U256]) -> U256 {
    match words {
        [w] => *w,
        _ => {
            let mut h = blake3::Hasher::new();
            h.update(b"braid:key");
            for w in words {
                h.update(&w.to_be_bytes::<32>());
            }
            U256::from_be_bytes(*h.finalize().as_bytes())
        }
    }
}
