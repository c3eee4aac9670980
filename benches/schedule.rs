//! The block executors on one 10,000-transfer block (1,000 accounts, the workload of
//! `braid bench transfers`): the sequential executor against the parallel one on 1
//! and 2 threads. Criterion times whole `execute` calls (elements per second are
//! transactions per second); after each executor, the mean time per phase (access,
//! dag, execute, merge) over a few extra blocks is printed to stderr.
//!
//! Run: `cargo bench --bench schedule`.

#[path = "../src/bench/native.rs"]
#[allow(dead_code)]
mod native;
#[path = "../src/bench/workload.rs"]
#[allow(dead_code)]
mod workload;

use braid_vm::{Executor, Phases};
use criterion::{BatchSize, Criterion, Throughput, criterion_group};
use std::hint::black_box;
use std::time::Duration;
use workload::{Kind, Params};

/// Extra blocks run per executor to report its phases.
const PHASE_SAMPLES: u32 = 5;

fn schedule(c: &mut Criterion) {
    let contracts = workload::compile_contracts().expect("the shipped contracts compile");
    let params = Params {
        accounts: 1_000,
        txs: 10_000,
        blocks: 1,
        ..Params::default()
    };
    let w = workload::build(Kind::Transfers, &params, &contracts).expect("the workload builds");
    let block = w.blocks.first().expect("one block");
    let mut g = c.benchmark_group("schedule/transfers-10000");
    g.throughput(Throughput::Elements(block.txs.len() as u64));
    type Make = fn() -> Executor;
    let executors: [(&str, Make); 3] = [
        ("sequential", Executor::sequential),
        ("parallel-1", || {
            Executor::parallel(1).expect("a pool of one thread")
        }),
        ("parallel-2", || {
            Executor::parallel(2).expect("a pool of two threads")
        }),
    ];
    for (name, make) in executors {
        let mut executor = make();
        g.bench_function(name, |b| {
            b.iter_batched(
                || w.chain.clone(),
                |mut chain| {
                    let outcome = executor
                        .execute(&mut chain, block.ctx, black_box(&block.txs))
                        .expect("the block fits the block gas limit");
                    (chain, outcome)
                },
                BatchSize::LargeInput,
            );
        });
        let mut sum = Phases::default();
        for _ in 0..PHASE_SAMPLES {
            let mut chain = w.chain.clone();
            let p = executor
                .execute(&mut chain, block.ctx, &block.txs)
                .expect("the block fits the block gas limit")
                .stats
                .phases;
            sum.access += p.access;
            sum.dag += p.dag;
            sum.execute += p.execute;
            sum.merge += p.merge;
        }
        let ms = |d: Duration| d.as_secs_f64() * 1000.0 / f64::from(PHASE_SAMPLES);
        eprintln!(
            "{name}: phases per block: access {:.2} ms, dag {:.2} ms, execute {:.2} ms, merge {:.2} ms",
            ms(sum.access),
            ms(sum.dag),
            ms(sum.execute),
            ms(sum.merge)
        );
    }
    g.finish();
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
    targets = schedule
}

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
}
