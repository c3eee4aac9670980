//! Peak memory per input byte, measured with a counting global allocator (per thread,
//! so that tests running side by side do not count each other):
//!
//! - the compiler on ordinary sources of growing size, and on the shapes that used to
//!   amplify without bound (exponential struct nesting, large values copied around);
//! - the decoder and verifier on hostile modules at the size limit.
//!
//! The bounds are generous multiples of what is measured today, tight enough that a
//! return of the old amplification (gigabytes from a few kilobytes) fails.
#![allow(unsafe_code)]

use braid_compiler::driver::{CompileOptions, Stage, compile_source};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Counting;

thread_local! {
    static LIVE: Cell<usize> = const { Cell::new(0) };
    static PEAK: Cell<usize> = const { Cell::new(0) };
}

fn add(n: usize) {
    let _ = LIVE.try_with(|l| {
        let now = l.get().saturating_add(n);
        l.set(now);
        let _ = PEAK.try_with(|p| p.set(p.get().max(now)));
    });
}

fn sub(n: usize) {
    let _ = LIVE.try_with(|l| l.set(l.get().saturating_sub(n)));
}

// SAFETY: every call is forwarded to the system allocator unchanged; the counters are
// const-initialised thread-locals without destructors, so counting never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        add(layout.size());
        // SAFETY: the caller's contract is passed on as is.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        sub(layout.size());
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        add(new_size);
        sub(layout.size());
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The peak of live bytes allocated on this thread while `f` runs (above what was
/// live before).
fn peak_of<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let base = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(base));
    let out = f();
    (out, PEAK.with(Cell::get).saturating_sub(base))
}

fn compile_peak(src: &str) -> (bool, usize) {
    let (errors, peak) = peak_of(|| {
        let c = compile_source(
            "mem.braid",
            src.as_bytes(),
            None,
            &CompileOptions::default(),
            Stage::Bytecode,
        );
        let _ = c.render_diagnostics(false);
        c.has_errors()
    });
    (errors, peak)
}

/// An ordinary contract of `n` functions.
fn ordinary(n: usize) -> String {
    let mut s = String::from(
        "struct P { a: u128, b: u128 }\ncontract C {\n    storage { m: map<address, u128>, total: u128, p: P }\n    event Moved(who: address, n: u128);\n",
    );
    for i in 0..n {
        s.push_str(&format!(
            "    pub fn f{i}(to: address, x: u128) -> u128\n        reads total\n        writes m[caller], m[to], p\n    {{\n        require(m[caller] >= x, \"low {i}\");\n        m[caller] -= x;\n        m[to] += x + {i};\n        let q = P {{ a: x, b: total }};\n        p = q;\n        emit Moved(to, x);\n        if x > 10 {{ x * 2 }} else {{ x + total }}\n    }}\n"
        ));
    }
    s.push_str("}\n");
    s
}

fn exponential(levels: usize, use_as: &str) -> String {
    let mut s = String::from("struct W0 { a: u64 }\n");
    for i in 1..=levels {
        s.push_str(&format!("struct W{i} {{ a: W{}, b: W{} }}\n", i - 1, i - 1));
    }
    s.push_str(&format!(
        "contract C {{\n{}\n}}\n",
        use_as.replace("WN", &format!("W{levels}"))
    ));
    s
}

/// The most bytes the compiler may use per input byte on ordinary sources.
const COMPILER_BYTES_PER_INPUT_BYTE: usize = 400;

/// The most bytes the compiler may use on any input of a few kilobytes.
const COMPILER_SMALL_INPUT_PEAK: usize = 256 << 20;

#[test]
fn compiler_memory_is_proportional_to_ordinary_input() {
    let mut ratios = Vec::new();
    for n in [10, 40, 160] {
        let src = ordinary(n);
        let (errors, peak) = compile_peak(&src);
        assert!(!errors, "the ordinary source compiles");
        let ratio = peak / src.len();
        ratios.push((src.len(), peak, ratio));
        assert!(
            ratio <= COMPILER_BYTES_PER_INPUT_BYTE,
            "{peak} bytes for {} input bytes: {ratio} per byte",
            src.len()
        );
    }
    eprintln!("compiler (input bytes, peak bytes, per byte): {ratios:?}");
}

#[test]
fn compiler_memory_is_bounded_on_amplifying_shapes() {
    let cases = [
        exponential(40, "storage { s: WN }"),
        exponential(40, "event E(w: WN);"),
        exponential(40, "pub fn f(w: WN) {}"),
        exponential(
            40,
            "fn h() -> WN { h() } pub fn g() { let x = h(); let y = x; }",
        ),
        // Within the value limit, copied many times: the module would be far too large.
        exponential(
            14,
            &format!(
                "storage {{ s: WN }} pub fn f() writes s {{ {} }}",
                "let x = s; s = x; ".repeat(200)
            ),
        ),
        // Many fields of a large type: every one expands.
        exponential(
            14,
            &format!(
                "storage {{ {} }}",
                (0..400)
                    .map(|i| format!("s{i}: WN"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ),
    ];
    for src in cases {
        let (errors, peak) = compile_peak(&src);
        assert!(errors, "each case is beyond a limit:\n{src}");
        assert!(
            peak <= COMPILER_SMALL_INPUT_PEAK,
            "{peak} bytes for {} input bytes",
            src.len()
        );
        eprintln!("amplifying case of {} bytes: peak {peak} bytes", src.len());
    }
}

/// The most bytes decoding and verifying may use per byte of the module.
const DECODE_BYTES_PER_INPUT_BYTE: usize = 160;

#[test]
fn decoding_memory_is_bounded_per_module_byte() {
    use braid_bytecode::encode::{MAGIC, decode};
    use braid_bytecode::{FORMAT_VERSION, GAS_TABLE_VERSION, MAX_MODULE_BYTES, Module, ValueType};
    let base = |storage| Module {
        format_version: FORMAT_VERSION,
        gas_version: GAS_TABLE_VERSION,
        name: "M".into(),
        storage,
        events: Vec::new(),
        consts: Vec::new(),
        strings: Vec::new(),
        imports: Vec::new(),
        functions: Vec::new(),
        source_map: None,
    };
    // Many one-byte types: the densest amplification of the format.
    let bools = |n| {
        base(vec![braid_bytecode::StorageField {
            name: "f".into(),
            key: None,
            value: ValueType::Tuple(vec![ValueType::Bool; n]),
        }])
    };
    let near_limit = braid_bytecode::encode::encode(&bools(MAX_MODULE_BYTES - 64));
    assert!(near_limit.len() <= MAX_MODULE_BYTES);
    let (ok, peak) =
        peak_of(|| decode(&near_limit).map(|m| braid_vm::verify::verify_owned(m).is_ok()));
    let ratio = peak / near_limit.len();
    eprintln!(
        "decode+verify: {} bytes, peak {peak}, {ratio} per byte",
        near_limit.len()
    );
    assert!(
        matches!(ok, Ok(false)),
        "too many words: decoded, then rejected"
    );
    assert!(
        ratio <= DECODE_BYTES_PER_INPUT_BYTE,
        "{ratio} bytes per module byte"
    );
    // Beyond the limit: refused before anything is allocated for the module.
    let over = braid_bytecode::encode::encode(&bools(4 * MAX_MODULE_BYTES));
    assert!(over.starts_with(MAGIC));
    let (res, peak) = peak_of(|| decode(&over).is_err());
    assert!(res);
    assert!(peak < 4096, "{peak} bytes allocated for a refused module");
}
