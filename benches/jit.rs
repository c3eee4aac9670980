//! The JIT against the interpreter and native Rust on compute-heavy loops, and the
//! JIT's compile time per contract.
//!
//! - `loop_u64/{interp,jit,native}` and `loop_u128/…`: `while i < n { acc += i * 3 + 1;
//!   i += 1; }` in a Braid contract (checked arithmetic, one block charge per loop
//!   test and per body), and the same loop in Rust with checked arithmetic on
//!   `black_box`ed inputs. Throughput is loop iterations.
//! - `compile/<Contract>`: compiling each shipped contract (every function) with the
//!   JIT, from a verified module to finalized native code.
//!
//! Run: `cargo bench --bench jit` (targets: the JIT at least 5x the interpreter,
//! within 4x of native; `book/src/jit.md` has the table).

use braid_compiler::driver::{self, CompileOptions, Stage};
use braid_vm::{BlockContext, Chain, EngineKind, Module, Transaction, U256};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::path::Path;

/// Iterations of each measured loop.
const N: u64 = 10_000;

const SOURCE: &str = "
contract Loops {
    pub fn sum64(n: u64) -> u64 {
        let mut acc: u64 = 0;
        let mut i: u64 = 0;
        while i < n {
            acc += i * 3 + 1;
            i += 1;
        }
        acc
    }

    pub fn sum128(n: u128) -> u128 {
        let mut acc: u128 = 0;
        let mut i: u128 = 0;
        while i < n {
            acc += i * 3 + 1;
            i += 1;
        }
        acc
    }
}
";

fn loops() -> Module {
    let c = driver::compile_source(
        "loops.braid",
        SOURCE.as_bytes(),
        None,
        &CompileOptions::default(),
        Stage::Bytecode,
    );
    assert!(!c.has_errors(), "{}", c.render_diagnostics(false));
    c.modules.into_iter().next().expect("one contract")
}

/// A chain running `engine` with `Loops` deployed, and its address.
fn deployed(engine: EngineKind) -> (Chain, [u8; 20]) {
    let mut chain = Chain::new();
    chain.set_engine(engine).expect("an empty chain");
    let code = chain.load_module(loops()).expect("the module loads");
    let addr = chain
        .deploy(code, [0xde; 20], vec![], BlockContext::default(), 1_000_000)
        .expect("deploys");
    (chain, addr)
}

fn call(chain: &Chain, to: [u8; 20], f: &str, n: u64) -> U256 {
    let tx = Transaction {
        sender: [0xa1; 20],
        to,
        function: f.to_string(),
        args: vec![U256::from(n)],
        gas_limit: 1_000_000_000,
    };
    let r = chain.call_view(BlockContext::default(), &tx);
    assert!(r.is_success(), "{:?}", r.status);
    r.ret[0]
}

#[inline(never)]
fn native_u64(n: u64) -> Option<u64> {
    let (mut acc, mut i) = (0u64, 0u64);
    while i < n {
        acc = acc.checked_add(i.checked_mul(3)?.checked_add(1)?)?;
        i = i.checked_add(1)?;
    }
    Some(acc)
}

#[inline(never)]
fn native_u128(n: u128) -> Option<u128> {
    let (mut acc, mut i) = (0u128, 0u128);
    while i < n {
        acc = acc.checked_add(i.checked_mul(3)?.checked_add(1)?)?;
        i = i.checked_add(1)?;
    }
    Some(acc)
}

fn bench_loops(c: &mut Criterion) {
    let engines = [EngineKind::Interp, EngineKind::Jit].map(deployed);
    let expected = native_u64(N).map(U256::from);
    for (f, name) in [("sum64", "loop_u64"), ("sum128", "loop_u128")] {
        let mut g = c.benchmark_group(name);
        g.throughput(Throughput::Elements(N));
        for (kind, (chain, addr)) in [EngineKind::Interp, EngineKind::Jit].iter().zip(&engines) {
            assert_eq!(
                Some(call(chain, *addr, f, N)),
                expected,
                "{f} on {}",
                kind.name()
            );
            g.bench_function(kind.name(), |b| {
                b.iter(|| call(chain, *addr, f, black_box(N)));
            });
        }
        g.bench_function("native", |b| {
            if f == "sum64" {
                b.iter(|| native_u64(black_box(N)));
            } else {
                b.iter(|| native_u128(black_box(u128::from(N))));
            }
        });
        g.finish();
    }
}

fn bench_compile(c: &mut Criterion) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("contracts");
    let opts = CompileOptions {
        include_dirs: Vec::new(),
        contracts_dir: Some(dir.clone()),
    };
    let mut g = c.benchmark_group("compile");
    for file in ["token.braid", "dex.braid", "lending.braid", "staking.braid"] {
        let comp = driver::compile_file(&dir.join(file), &opts, Stage::Bytecode)
            .expect("the contract file is readable");
        assert!(!comp.has_errors(), "{}", comp.render_diagnostics(false));
        for m in &comp.modules {
            let v = braid_vm::verify::verify(m).expect("verifies");
            let once = braid_vm::jit::compile(&v).expect("compiles");
            eprintln!(
                "compile {}: {} functions in {:?} (one cold compile)",
                m.name,
                once.functions(),
                once.compile_time()
            );
            g.bench_function(&m.name, |b| {
                b.iter(|| braid_vm::jit::compile(black_box(&v)).expect("compiles"));
            });
        }
    }
    g.finish();
}

criterion_group!(benches, bench_loops, bench_compile);
criterion_main!(benches);
