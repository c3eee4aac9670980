//! Benchmarks of the sequential reference interpreter (`Chain::execute_block`) on the
//! DeFi contracts, with a hand-written native Rust transfer as the floor.
//!
//! Every block holds 10,000 transactions and criterion reports elements per second,
//! i.e. transactions per second. The contracts are compiled once at setup through the
//! real driver (`contracts/*.braid` → bytecode), deployed, and the accounts funded; each
//! iteration runs the block on an O(1) clone of the funded chain.
//!
//! Run: `cargo bench --bench interp` (results are in `book/src/performance.md`).
//!
//! For deterministic instruction counts, `BRAID_BENCH_ONCE=1` skips criterion and runs
//! each workload's block once through [`measured_block`] (never inlined), so that
//! `valgrind --tool=callgrind --toggle-collect='*measured_block*'` counts only the
//! measured blocks (see the book chapter for the exact command).

use braid_compiler::driver::{self, CompileOptions, Stage};
use braid_vm::{Address, BlockContext, Chain, Module, Receipt, Transaction, U256};
use criterion::{BatchSize, Criterion, Throughput, criterion_group};
use std::collections::HashMap;
/// The allocator the `braid` command uses, so that executors are measured as they run.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Transactions per measured block.
const BLOCK_TXS: usize = 10_000;
/// Gas limit of every transaction (never the binding constraint here).
const GAS: u64 = 10_000_000;
/// Each account's starting balance of every token.
const FUNDING: u128 = 1_000_000_000_000_000;
/// The block every measured transaction runs in.
const BLOCK: BlockContext = BlockContext {
    number: 2,
    timestamp: 1_700_000_012,
};
/// The fixed seed of every pseudo-random choice.
const SEED: u64 = 0x9e37_79b9_7f4a_7c15;

/// A tiny xorshift64* generator: deterministic workloads without the `rand` crate.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A value in `0..n` (`n > 0`; the modulo bias is irrelevant here).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn contracts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("contracts")
}

/// Compiles one contracts/ file to bytecode through the driver.
fn compile(file: &str) -> Vec<Module> {
    let dir = contracts_dir();
    let opts = CompileOptions {
        include_dirs: Vec::new(),
        contracts_dir: Some(dir.clone()),
    };
    let c = driver::compile_file(&dir.join(file), &opts, Stage::Bytecode)
        .expect("the contract file is readable");
    assert!(!c.has_errors(), "{}", c.render_diagnostics(false));
    c.modules
}

fn module_named(modules: Vec<Module>, name: &str) -> Module {
    modules
        .into_iter()
        .find(|m| m.name == name)
        .expect("the file defines the contract")
}

fn word(x: u128) -> U256 {
    U256::from(x)
}

fn addr_word(a: &Address) -> U256 {
    braid_bytecode::encode::address_to_word(a)
}

fn account(name: &str) -> Address {
    braid_bytecode::encode::account_address(name)
}

fn tx(sender: Address, to: Address, function: &str, args: Vec<U256>) -> Transaction {
    Transaction {
        sender,
        to,
        function: function.to_string(),
        args,
        gas_limit: GAS,
    }
}

/// Runs a setup block and insists every transaction succeeded.
fn run_ok(chain: &mut Chain, txs: &[Transaction]) {
    let setup = BlockContext {
        number: 1,
        timestamp: 1_700_000_000,
    };
    for (i, r) in chain
        .execute_block(setup, txs)
        .expect("the block is within the block gas limit")
        .iter()
        .enumerate()
    {
        assert!(r.is_success(), "setup tx {i} failed: {:?}", r.status);
    }
}

/// Checks a measured block once before timing it: every transaction must succeed.
fn check_block(chain: &Chain, txs: &[Transaction]) -> Chain {
    let mut c = chain.clone();
    let receipts: Vec<Receipt> = c
        .execute_block(BLOCK, txs)
        .expect("the block is within the block gas limit");
    let failed = receipts.iter().filter(|r| !r.is_success()).count();
    assert_eq!(failed, 0, "measured block has failing transactions");
    c
}

/// The token world: one Token deployed by `alice`, `n` funded named accounts.
struct TokenWorld {
    chain: Chain,
    token: Address,
    accounts: Vec<Address>,
}

fn token_world(token_module: &Module, n: usize) -> TokenWorld {
    let mut chain = Chain::new();
    // Every transaction here declares 10M gas: no block gas limit is binding.
    chain.set_block_gas_limit(u64::MAX);
    let code = chain
        .load_module(token_module.clone())
        .expect("Token verifies");
    let alice = account("alice");
    let token = chain
        .deploy(
            code,
            alice,
            vec![word(u128::MAX / 2)],
            BlockContext::default(),
            GAS,
        )
        .expect("Token deploys");
    let accounts: Vec<Address> = (0..n).map(|i| account(&format!("user{i}"))).collect();
    let funding: Vec<Transaction> = accounts
        .iter()
        .map(|a| tx(alice, token, "transfer", vec![addr_word(a), word(FUNDING)]))
        .collect();
    run_ok(&mut chain, &funding);
    TokenWorld {
        chain,
        token,
        accounts,
    }
}

/// A transfer of 1..=1000 units between two distinct pseudo-random accounts.
fn random_pair(rng: &mut XorShift, n: usize) -> (usize, usize, u128) {
    let from = rng.below(n);
    let to = (from + 1 + rng.below(n - 1)) % n;
    let amount = 1 + (rng.next() % 1000) as u128;
    (from, to, amount)
}

fn transfer_block(w: &TokenWorld, seed: u64) -> Vec<Transaction> {
    let n = w.accounts.len();
    let mut rng = XorShift(seed);
    (0..BLOCK_TXS)
        .map(|_| {
            let (from, to, amount) = random_pair(&mut rng, n);
            tx(
                w.accounts[from],
                w.token,
                "transfer",
                vec![addr_word(&w.accounts[to]), word(amount)],
            )
        })
        .collect()
}

/// The DEX world: a quote token, `pools` base tokens, one Dex with a pool per base
/// token against the quote token, and `users` funded users who approved the Dex.
struct DexWorld {
    chain: Chain,
    dex: Address,
    quote: Address,
    bases: Vec<Address>,
    users: Vec<Address>,
}

fn dex_world(token_module: &Module, dex_module: &Module, pools: usize, users: usize) -> DexWorld {
    let mut chain = Chain::new();
    chain.set_block_gas_limit(u64::MAX);
    let token_code = chain
        .load_module(token_module.clone())
        .expect("Token verifies");
    let dex_code = chain.load_module(dex_module.clone()).expect("Dex verifies");
    let alice = account("alice");
    let genesis = BlockContext::default();
    let deploy_token = |chain: &mut Chain| {
        chain
            .deploy(token_code, alice, vec![word(u128::MAX / 2)], genesis, GAS)
            .expect("Token deploys")
    };
    let quote = deploy_token(&mut chain);
    let bases: Vec<Address> = (0..pools).map(|_| deploy_token(&mut chain)).collect();
    let dex = chain
        .deploy(dex_code, alice, Vec::new(), genesis, GAS)
        .expect("Dex deploys");
    let users: Vec<Address> = (0..users).map(|i| account(&format!("trader{i}"))).collect();
    let unlimited = word(u128::MAX);
    let liquidity = 1_000_000_000_000_000_000u128;

    let mut setup = Vec::new();
    for t in std::iter::once(&quote).chain(&bases) {
        setup.push(tx(alice, *t, "approve", vec![addr_word(&dex), unlimited]));
        for u in &users {
            setup.push(tx(alice, *t, "transfer", vec![addr_word(u), word(FUNDING)]));
            setup.push(tx(*u, *t, "approve", vec![addr_word(&dex), unlimited]));
        }
    }
    for b in &bases {
        setup.push(tx(
            alice,
            dex,
            "create_pool",
            vec![addr_word(&quote), addr_word(b)],
        ));
    }
    for (p, b) in bases.iter().enumerate() {
        setup.push(tx(
            alice,
            dex,
            "add_liquidity",
            vec![
                word(p as u128),
                addr_word(&quote),
                addr_word(b),
                word(liquidity),
                word(liquidity),
                word(0),
            ],
        ));
    }
    run_ok(&mut chain, &setup);
    DexWorld {
        chain,
        dex,
        quote,
        bases,
        users,
    }
}

/// Swaps of 1,000..=1,000,000 units by random users on random pools, in random
/// directions (quote → base or base → quote).
fn swap_block(w: &DexWorld, seed: u64) -> Vec<Transaction> {
    let mut rng = XorShift(seed);
    (0..BLOCK_TXS)
        .map(|_| {
            let user = w.users[rng.below(w.users.len())];
            let pool = rng.below(w.bases.len());
            let base = w.bases[pool];
            let (token_in, token_out) = if rng.next() & 1 == 0 {
                (w.quote, base)
            } else {
                (base, w.quote)
            };
            let amount_in = 1_000 + (rng.next() % 999_001) as u128;
            tx(
                user,
                w.dex,
                "swap_exact_in",
                vec![
                    word(pool as u128),
                    addr_word(&token_in),
                    addr_word(&token_out),
                    word(amount_in),
                    word(1),
                ],
            )
        })
        .collect()
}

/// The native floor: the Token's `transfer` written in plain Rust over a std map (the
/// one copy, shared with `braid bench`).
#[path = "../src/bench/native.rs"]
#[allow(dead_code)]
mod native;

fn bench_transfers(c: &mut Criterion, token_module: &Module) {
    let mut g = c.benchmark_group("transfers");
    g.throughput(Throughput::Elements(BLOCK_TXS as u64));
    for n in [2usize, 1000] {
        let world = token_world(token_module, n);
        let txs = transfer_block(&world, SEED);
        check_block(&world.chain, &txs);
        g.bench_function(format!("accounts={n}"), |b| {
            b.iter_batched(
                || world.chain.clone(),
                |mut chain| {
                    let receipts = chain
                        .execute_block(BLOCK, black_box(&txs))
                        .expect("the block is within the block gas limit");
                    (chain, receipts)
                },
                BatchSize::LargeInput,
            );
        });
    }
    g.finish();
}

fn bench_native(c: &mut Criterion) {
    let mut g = c.benchmark_group("native");
    g.throughput(Throughput::Elements(BLOCK_TXS as u64));
    let n = 1000;
    let accounts: Vec<Address> = (0..n).map(|i| account(&format!("user{i}"))).collect();
    let ledger = native::Ledger {
        balances: accounts
            .iter()
            .map(|a| (*a, FUNDING))
            .collect::<HashMap<_, _>>(),
    };
    let mut rng = XorShift(SEED);
    let txs: Vec<(Address, Address, u128)> = (0..BLOCK_TXS)
        .map(|_| {
            let (from, to, amount) = random_pair(&mut rng, n);
            (accounts[from], accounts[to], amount)
        })
        .collect();
    g.bench_function("transfers", |b| {
        b.iter_batched(
            || ledger.clone(),
            |mut l| {
                let out = native::execute_block(&mut l, black_box(&txs));
                (l, out)
            },
            BatchSize::LargeInput,
        );
    });
    g.finish();
}

fn bench_swaps(c: &mut Criterion, token_module: &Module, dex_module: &Module) {
    let mut g = c.benchmark_group("swaps");
    g.throughput(Throughput::Elements(BLOCK_TXS as u64));
    let pools = 8;
    let world = dex_world(token_module, dex_module, pools, 100);
    let txs = swap_block(&world, SEED);
    check_block(&world.chain, &txs);
    g.bench_function(format!("pools={pools}"), |b| {
        b.iter_batched(
            || world.chain.clone(),
            |mut chain| {
                let receipts = chain
                    .execute_block(BLOCK, black_box(&txs))
                    .expect("the block is within the block gas limit");
                (chain, receipts)
            },
            BatchSize::LargeInput,
        );
    });
    g.finish();
}

fn bench_state_and_compile(c: &mut Criterion, token_module: &Module) {
    let world = token_world(token_module, 1000);
    let txs = transfer_block(&world, SEED);
    let after = check_block(&world.chain, &txs);
    let mut g = c.benchmark_group("state");
    g.bench_function("digest", |b| b.iter(|| black_box(&after).digest()));
    // Chosen keys against random ones: 50,000 single-word map keys written and read
    // back. `adversarial` keys differ only in their high bits and share every low
    // bit, as keys crafted against a known seed would; seeded hashing must keep them
    // within 2x of random keys.
    let mut rng = XorShift(SEED);
    let random: Vec<U256> = (0..50_000)
        .map(|_| U256::from_limbs([rng.next(), rng.next(), rng.next(), rng.next()]))
        .collect();
    let adversarial: Vec<U256> = (0..50_000u64).map(|i| U256::from(i) << 192).collect();
    for (name, keys) in [("keys/random", &random), ("keys/adversarial", &adversarial)] {
        g.throughput(Throughput::Elements(keys.len() as u64));
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut w = braid_vm::WorldState::new();
                for k in keys.iter() {
                    w.set(slot_of(*k), U256::from(1u8));
                }
                keys.iter()
                    .filter(|k| !w.get(&slot_of(**k)).is_zero())
                    .count()
            });
        });
    }
    g.finish();

    let mut g = c.benchmark_group("compile");
    g.bench_function("dex", |b| b.iter(|| compile(black_box("dex.braid"))));
    g.finish();
}

/// Word 0 of `m[key]` of a fixed contract's field 0.
fn slot_of(key: U256) -> braid_vm::SlotKey {
    braid_vm::SlotKey {
        contract: [7; 20],
        field: 0,
        key,
        word: 0,
    }
}

/// Runs one measured block on a clone of `chain` (the region callgrind counts).
#[inline(never)]
fn measured_block(chain: &Chain, txs: &[Transaction]) -> (Chain, Vec<Receipt>) {
    let mut c = chain.clone();
    let receipts = c
        .execute_block(BLOCK, txs)
        .expect("the block is within the block gas limit");
    (c, receipts)
}

/// `BRAID_BENCH_ONCE`: one block of 1,000-account transfers and one block of swaps,
/// each run once, for instruction counting (no timing, no criterion).
fn once(token_module: &Module, dex_module: &Module) {
    let world = token_world(token_module, 1000);
    let txs = transfer_block(&world, SEED);
    let (after, receipts) = measured_block(&world.chain, black_box(&txs));
    assert!(receipts.iter().all(Receipt::is_success));
    println!(
        "transfers/accounts=1000 digest {:02x?}",
        &after.digest()[..8]
    );
    let world = dex_world(token_module, dex_module, 8, 100);
    let txs = swap_block(&world, SEED);
    let (after, receipts) = measured_block(&world.chain, black_box(&txs));
    assert!(receipts.iter().all(Receipt::is_success));
    println!("swaps/pools=8 digest {:02x?}", &after.digest()[..8]);
}

fn interp(c: &mut Criterion) {
    let token_module = module_named(compile("token.braid"), "Token");
    let dex_module = module_named(compile("dex.braid"), "Dex");
    bench_transfers(c, &token_module);
    bench_native(c);
    bench_swaps(c, &token_module, &dex_module);
    bench_state_and_compile(c, &token_module);
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
}

criterion_group! {
    name = benches;
    config = config();
    targets = interp
}
/// `BRAID_BENCH_EXECUTORS`: the sequential and the 2-thread parallel executor on the
/// same blocks, alternated, printing the best time of each and the parallel phases.
fn executors(token_module: &Module, dex_module: &Module) {
    use braid_vm::Executor;
    let cases: Vec<(String, Chain, Vec<Transaction>)> = vec![
        {
            let w = token_world(token_module, 10_000);
            let txs = transfer_block(&w, SEED);
            ("transfers/10000".to_string(), w.chain, txs)
        },
        {
            let w = token_world(token_module, 2);
            let txs = transfer_block(&w, SEED);
            ("transfers/2".to_string(), w.chain, txs)
        },
        {
            let w = dex_world(token_module, dex_module, 100, 100);
            let txs = swap_block(&w, SEED);
            ("swaps/100".to_string(), w.chain, txs)
        },
    ];
    // `BRAID_BENCH_CASE` keeps only the named case (e.g. `transfers/10000`).
    let cases: Vec<_> = match std::env::var("BRAID_BENCH_CASE") {
        Ok(only) => cases.into_iter().filter(|(n, _, _)| *n == only).collect(),
        Err(_) => cases,
    };
    // Instruction counts (callgrind counts every thread only without toggles, so
    // compare whole runs): `count-none` sets up only, `count-seq` / `count-par` also
    // run each block once on the sequential / 1-worker parallel executor.
    match std::env::var("BRAID_BENCH_EXECUTORS").as_deref() {
        Ok("count-none") => return,
        Ok("count-seq") => {
            cases.iter().for_each(|(_, c, t)| {
                black_box(counted_sequential(c, t));
            });
            return;
        }
        Ok("count-par") => {
            cases.iter().for_each(|(_, c, t)| {
                black_box(counted_parallel(c, t));
            });
            return;
        }
        Ok("independent") => {
            cases.iter().for_each(|(n, c, t)| independent(n, c, t));
            return;
        }
        _ => {}
    }
    for (name, chain, txs) in cases {
        let mut seq = Executor::sequential();
        let threads = knob("BRAID_BENCH_THREADS", 2);
        let mut par = Executor::parallel(threads).expect("a pool");
        let (mut best_s, mut best_p) = (Duration::MAX, Duration::MAX);
        let mut phases = None;
        // `BRAID_BENCH_ONLY=seq|par` runs one executor only (for profiles).
        let only = std::env::var("BRAID_BENCH_ONLY").ok();
        let rounds = if only.is_some() { 30 } else { 7 };
        {
            let (mut c, mut d) = (chain.clone(), chain.clone());
            let a = seq.execute(&mut c, BLOCK, &txs).expect("fits");
            let b = par.execute(&mut d, BLOCK, &txs).expect("fits");
            assert_eq!(a.receipts, b.receipts);
            assert_eq!(c.digest(), d.digest());
        }
        for _ in 0..rounds {
            // Each executor owns its world (as in `braid bench`): a clone would share
            // every node, and the block's first write to each would copy it.
            let mut c = chain.unshared();
            let t = std::time::Instant::now();
            if only.as_deref() != Some("par") {
                let a = seq.execute(&mut c, BLOCK, &txs).expect("fits");
                best_s = best_s.min(t.elapsed());
                black_box(a);
            }
            let mut d = chain.unshared();
            let t = std::time::Instant::now();
            if only.as_deref() != Some("seq") {
                let b = par.execute(&mut d, BLOCK, &txs).expect("fits");
                let el = t.elapsed();
                if el < best_p {
                    best_p = el;
                    phases = Some(b.stats.clone());
                }
                black_box(b);
            }
        }
        println!(
            "{name}: sequential {best_s:?}  parallel(2) {best_p:?}  speedup {:.3}  {:?}",
            best_s.as_secs_f64() / best_p.as_secs_f64(),
            phases
        );
    }
}

/// `BRAID_BENCH_EXECUTORS=independent`: the machine's own scaling ceiling, and how
/// much of it the parallel executor reaches. Each round runs, in each of the six
/// orders in turn: the sequential executor alone; the 2-thread
/// parallel executor; and two sequential executors at once on two threads, each on
/// its own copy of the chain (nothing shared but the machine). The two at once
/// bound what any parallel executor can reach here: the ceiling is twice the time
/// alone over the time of the pair (which includes starting its second thread,
/// some 50 µs). Every ratio is taken within one round and the
/// median over rounds printed (`BRAID_BENCH_ROUNDS`, default 42), so that the
/// host's drift, which moves all three together, cancels.
fn independent(name: &str, chain: &Chain, txs: &[Transaction]) {
    use braid_vm::Executor;
    let rounds = knob("BRAID_BENCH_ROUNDS", 42);
    let (mut first, mut second) = (Executor::sequential(), Executor::sequential());
    let mut par = Executor::parallel(2).expect("a pool");
    let (mut ceiling, mut speedup, mut share) = (Vec::new(), Vec::new(), Vec::new());
    // Every order of the three in turn: a run right after a parallel one finds the
    // pool's threads still awake, so a fixed rotation would favour whatever follows
    // the parallel executor.
    const ORDERS: [[usize; 3]; 6] = [
        [0, 1, 2],
        [0, 2, 1],
        [1, 0, 2],
        [1, 2, 0],
        [2, 0, 1],
        [2, 1, 0],
    ];
    // One warm-up round, then the timed ones.
    for round in 0..=rounds {
        let mut times = [0.0f64; 3];
        for which in ORDERS
            .get(round % ORDERS.len())
            .copied()
            .unwrap_or([0, 1, 2])
        {
            let mut a = chain.unshared();
            // The pair's second world, made before the clock starts.
            let mut b = (which == 2).then(|| chain.unshared());
            let t = std::time::Instant::now();
            match (which, b.as_mut()) {
                (0, _) => black_box(first.execute(&mut a, BLOCK, txs).expect("fits")),
                (1, _) => black_box(par.execute(&mut a, BLOCK, txs).expect("fits")),
                (_, b) => std::thread::scope(|s| {
                    let other = s.spawn(|| {
                        if let Some(b) = b {
                            black_box(second.execute(b, BLOCK, txs).expect("fits"));
                        }
                    });
                    let out = black_box(first.execute(&mut a, BLOCK, txs).expect("fits"));
                    other.join().expect("the second executor ran");
                    out
                }),
            };
            if let Some(slot) = times.get_mut(which) {
                *slot = t.elapsed().as_secs_f64();
            }
        }
        if round > 0 {
            let [alone, parallel, pair] = times;
            ceiling.push(2.0 * alone / pair);
            speedup.push(alone / parallel);
            share.push((alone / parallel) / (2.0 * alone / pair));
        }
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(0.0)
    };
    println!(
        "{name}: over {rounds} rounds (medians of in-round ratios): two independent sequential \
         executors reach {:.2}x on 2 threads (the ceiling); the parallel executor {:.2}x, \
         {:.0}% of the ceiling",
        median(ceiling),
        median(speedup),
        100.0 * median(share)
    );
}

/// The number in environment variable `name`, else `default`.
fn knob(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[inline(never)]
fn counted_sequential(chain: &Chain, txs: &[Transaction]) -> [u8; 32] {
    let mut ex = braid_vm::Executor::sequential();
    counted_blocks(&mut ex, chain, txs)
}

/// Runs the block `BRAID_BENCH_COUNT_BLOCKS` times (default 1) on `ex`, each on a
/// fresh clone of `chain`: the count of two runs less the count of one is the
/// steady cost of a block, without the executor's first-use allocations.
fn counted_blocks(ex: &mut braid_vm::Executor, chain: &Chain, txs: &[Transaction]) -> [u8; 32] {
    let n = knob("BRAID_BENCH_COUNT_BLOCKS", 1);
    let mut digest = [0; 32];
    for _ in 0..n {
        let mut c = chain.clone();
        ex.execute(&mut c, BLOCK, txs).expect("fits");
        digest = c.digest();
    }
    digest
}

#[inline(never)]
fn counted_parallel(chain: &Chain, txs: &[Transaction]) -> [u8; 32] {
    let mut ex = braid_vm::Executor::parallel(1).expect("a pool");
    counted_blocks(&mut ex, chain, txs)
}

fn main() {
    if std::env::var_os("BRAID_BENCH_EXECUTORS").is_some() {
        let token_module = module_named(compile("token.braid"), "Token");
        let dex_module = module_named(compile("dex.braid"), "Dex");
        executors(&token_module, &dex_module);
        return;
    }
    if std::env::var_os("BRAID_BENCH_ONCE").is_some() {
        let token_module = module_named(compile("token.braid"), "Token");
        let dex_module = module_named(compile("dex.braid"), "Dex");
        once(&token_module, &dex_module);
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
