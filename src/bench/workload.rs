//! The workloads of `braid bench` (vm spec §7): the shipped contracts (compiled from
//! the sources embedded in the binary), deployed and set up before any timing, and
//! blocks of transactions that are a pure function of the parameters and the seed.
//!
//! - `transfers`: Token transfers between random distinct accounts among N funded
//!   ones (the Block-STM paper's shape; N = 2 makes every transaction conflict).
//! - `swaps`: `Dex.swap_exact_in` by U users on P pools; pool `p` pairs quote token
//!   `p % 2` (two stablecoins) with base token `p / 2`, as on a real exchange.
//! - `lending`: supply / borrow / repay by U users on M markets (two loan tokens,
//!   collateral tokens shared by two markets each); every user posted collateral.
//! - `staking`: stake / withdraw / claim by U users on K Staking instances, each
//!   funded with rewards; every user has a stake in every instance.
//! - `defi-mix`: all of them in one world and one block (40% transfers of the quote
//!   tokens, 30% swaps, 15% lending, 15% staking).
//!
//! Every transaction's gas limit is fitted to its kind (about twice what it uses).
//!
//! Shared with `benches/schedule.rs` (included there with `#[path]`).

use super::native::{Ledger, NativeDex, NativeOp, NativePool, NativeToken, UNLIMITED};
use braid_bytecode::encode::{account_address, address_to_word, sub_account};
use braid_compiler::driver::{self, Stage};
use braid_compiler::resolve::MemoryLoader;
use braid_vm::executor::DEFAULT_BLOCK_GAS_LIMIT;
use braid_vm::{Address, BlockContext, Chain, Executor, Module, Transaction, U256};
use std::collections::HashMap;

/// The contract sources, embedded so that `braid bench` runs from any directory.
const SOURCES: [(&str, &str); 4] = [
    ("token", include_str!("../../contracts/token.braid")),
    ("dex", include_str!("../../contracts/dex.braid")),
    ("lending", include_str!("../../contracts/lending.braid")),
    ("staking", include_str!("../../contracts/staking.braid")),
];

/// Gas limit of a token transfer (uses about 1,600).
pub const GAS_TRANSFER: u64 = 4_000;
/// Gas limit of a swap (uses about 8,600).
pub const GAS_SWAP: u64 = 20_000;
/// Gas limit of a lending action (supply, borrow, repay use 9,600 to 11,300).
pub const GAS_LENDING: u64 = 25_000;
/// Gas limit of a staking action (stake, withdraw, claim use about 7,500).
pub const GAS_STAKING: u64 = 16_000;
/// Gas limit of a setup transaction or deployment (never timed).
const GAS_SETUP: u64 = 50_000;
/// Setup transactions per setup block.
const SETUP_CHUNK: usize = 10_000;

/// Units of each token every user or account starts with.
pub const FUNDING: u128 = 1_000_000_000_000_000_000_000_000; // 1e24
/// Each side of each pool's initial liquidity.
const LIQUIDITY: u128 = 1_000_000_000_000_000_000_000_000_000; // 1e27
/// Loan tokens supplied to each market by the owner.
const MARKET_CASH: u128 = 100_000_000_000_000_000_000_000_000; // 1e26
/// Collateral each user posts in each market.
const COLLATERAL: u128 = 100_000_000_000_000_000_000_000; // 1e23
/// Each user's initial stake in each Staking instance.
const INITIAL_STAKE: u128 = 1_000_000_000_000_000_000_000; // 1e21
/// Rewards funded per Staking instance.
const REWARDS: u128 = 1_000_000_000_000_000_000_000_000; // 1e24
/// The deployer's initial supply of every token.
const SUPPLY: u128 = u128::MAX / 2;
/// The Staking reward period.
const STAKING_DURATION: u64 = 604_800;
/// Seconds between blocks.
const BLOCK_TIME: u64 = 12;
/// The first timestamp.
const GENESIS_TIMESTAMP: u64 = 1_700_000_000;
/// WAD (1e18).
const WAD: u128 = 1_000_000_000_000_000_000;

/// A workload kind (the positional `WORKLOAD` of `braid bench`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Token transfers among N accounts.
    Transfers,
    /// Dex swaps across P pools by U users.
    Swaps,
    /// Supply / borrow / repay across M markets.
    Lending,
    /// Stake / withdraw / claim across K instances.
    Staking,
    /// All of the above in one block.
    DefiMix,
}

impl Kind {
    /// The workload's name on the command line and in the output.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Transfers => "transfers",
            Kind::Swaps => "swaps",
            Kind::Lending => "lending",
            Kind::Staking => "staking",
            Kind::DefiMix => "defi-mix",
        }
    }
}

/// The knobs of every workload (each uses the ones that apply to it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Params {
    /// Funded accounts (`transfers`).
    pub accounts: usize,
    /// Pools (`swaps`, `defi-mix`).
    pub pools: usize,
    /// Users (`swaps`, `lending`, `staking`, `defi-mix`).
    pub users: usize,
    /// Markets (`lending`, `defi-mix`).
    pub markets: usize,
    /// Staking instances (`staking`, `defi-mix`).
    pub instances: usize,
    /// Transactions per block.
    pub txs: usize,
    /// Blocks.
    pub blocks: usize,
    /// The seed of every pseudo-random choice.
    pub seed: u64,
}

impl Default for Params {
    fn default() -> Params {
        Params {
            accounts: 10_000,
            pools: 100,
            users: 1_000,
            markets: 16,
            instances: 16,
            txs: 10_000,
            blocks: 5,
            seed: 42,
        }
    }
}

impl Params {
    /// The parameters that shape `kind`, as printed (`accounts=10000`).
    pub fn label(&self, kind: Kind) -> String {
        match kind {
            Kind::Transfers => format!("accounts={}", self.accounts),
            Kind::Swaps => format!("pools={} users={}", self.pools, self.users),
            Kind::Lending => format!("markets={} users={}", self.markets, self.users),
            Kind::Staking => format!("instances={} users={}", self.instances, self.users),
            Kind::DefiMix => format!(
                "pools={} markets={} instances={} users={}",
                self.pools, self.markets, self.instances, self.users
            ),
        }
    }

    /// Checks the knobs `kind` uses.
    pub fn check(&self, kind: Kind) -> Result<(), WorkloadError> {
        let need = |ok: bool, what: &str| {
            if ok {
                Ok(())
            } else {
                Err(WorkloadError::Params(what.to_string()))
            }
        };
        need(self.txs > 0, "--txs must be at least 1")?;
        need(self.blocks > 0, "--blocks must be at least 1")?;
        match kind {
            Kind::Transfers => need(self.accounts >= 2, "--accounts must be at least 2"),
            Kind::Swaps => {
                need(self.pools >= 1, "--pools must be at least 1")?;
                need(self.users >= 1, "--users must be at least 1")
            }
            Kind::Lending => {
                need(self.markets >= 1, "--markets must be at least 1")?;
                need(self.users >= 1, "--users must be at least 1")
            }
            Kind::Staking => {
                need(self.instances >= 1, "--instances must be at least 1")?;
                need(self.users >= 1, "--users must be at least 1")
            }
            Kind::DefiMix => {
                need(self.pools >= 1, "--pools must be at least 1")?;
                need(self.markets >= 1, "--markets must be at least 1")?;
                need(self.instances >= 1, "--instances must be at least 1")?;
                need(self.users >= 2, "--users must be at least 2 for defi-mix")
            }
        }
    }
}

/// Why a workload could not be built.
#[derive(Debug, thiserror::Error)]
pub enum WorkloadError {
    /// The parameters are out of range.
    #[error("{0}")]
    Params(String),
    /// A shipped contract did not compile or load (a bug in the build).
    #[error("contract {name}: {message}")]
    Contract {
        /// The contract file.
        name: String,
        /// What went wrong.
        message: String,
    },
    /// A setup step failed (a bug in the workload).
    #[error("setup of the workload failed: {0}")]
    Setup(String),
}

/// One measured block.
#[derive(Clone, Debug)]
pub struct Block {
    /// Its number and timestamp.
    pub ctx: BlockContext,
    /// Its transactions, in order.
    pub txs: Vec<Transaction>,
}

/// The native floor's version of a workload: the same transactions as native
/// operations on a native world (only `transfers` and `swaps`).
#[derive(Clone, Debug)]
pub struct NativeWorkload {
    /// The world after setup.
    pub world: NativeDex,
    /// Each block's operations, one per transaction, in order.
    pub blocks: Vec<Vec<NativeOp>>,
}

/// A workload ready to run: the chain after setup and the measured blocks.
#[derive(Clone, Debug)]
pub struct Workload {
    /// Which workload.
    pub kind: Kind,
    /// Its parameters as printed.
    pub params: String,
    /// The chain after setup (clone it per run: O(1)).
    pub chain: Chain,
    /// The measured blocks.
    pub blocks: Vec<Block>,
    /// The native floor, for `transfers` and `swaps`.
    pub native: Option<NativeWorkload>,
    /// Whether the chain's block gas limit was raised to fit the largest block.
    pub raised_gas_limit: Option<u64>,
}

/// A tiny xorshift64* generator: deterministic workloads without the `rand` crate.
#[derive(Clone, Debug)]
pub struct XorShift(u64);

impl XorShift {
    /// A generator for `seed` (any value, 0 included).
    pub fn new(seed: u64) -> XorShift {
        // splitmix64 of the seed: never the all-zero state xorshift cannot leave.
        let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        XorShift(if z == 0 { 1 } else { z })
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A value in `0..n` (`n > 0`; the modulo bias is irrelevant here).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// A value in `lo..=hi`.
    fn between(&mut self, lo: u128, hi: u128) -> u128 {
        lo + u128::from(self.next_u64()) % (hi - lo + 1)
    }
}

/// The shipped contracts compiled to bytecode.
#[derive(Clone, Debug)]
pub struct Contracts {
    /// `Token`.
    pub token: Module,
    /// `Dex`.
    pub dex: Module,
    /// `Lending`.
    pub lending: Module,
    /// `Staking`.
    pub staking: Module,
}

/// Compiles the embedded contract sources (imports resolved among themselves).
pub fn compile_contracts() -> Result<Contracts, WorkloadError> {
    let loader = MemoryLoader {
        modules: SOURCES
            .iter()
            .map(|(n, s)| ((*n).to_string(), (*s).to_string()))
            .collect(),
    };
    let compile = |file: &str, contract: &str| -> Result<Module, WorkloadError> {
        let src = SOURCES
            .iter()
            .find(|(n, _)| *n == file)
            .map(|(_, s)| (*s).to_string())
            .unwrap_or_default();
        let name = format!("{file}.braid");
        let c = driver::compile_with_loader(&name, src, &loader, Stage::Bytecode);
        if c.has_errors() {
            return Err(WorkloadError::Contract {
                name,
                message: c.render_diagnostics(false),
            });
        }
        c.modules
            .into_iter()
            .find(|m| m.name == contract)
            .ok_or_else(|| WorkloadError::Contract {
                name,
                message: format!("no contract {contract}"),
            })
    };
    Ok(Contracts {
        token: compile("token", "Token")?,
        dex: compile("dex", "Dex")?,
        lending: compile("lending", "Lending")?,
        staking: compile("staking", "Staking")?,
    })
}

fn word(x: u128) -> U256 {
    U256::from(x)
}

fn aw(a: &Address) -> U256 {
    address_to_word(a)
}

fn tx(sender: Address, to: Address, function: &str, args: Vec<U256>, gas: u64) -> Transaction {
    Transaction {
        sender,
        to,
        function: function.to_string(),
        args,
        gas_limit: gas,
    }
}

/// Code hashes of the loaded contracts.
#[derive(Clone, Copy, Debug)]
struct Codes {
    token: [u8; 32],
    dex: [u8; 32],
    lending: [u8; 32],
    staking: [u8; 32],
}

/// Builds a world: deploys, and runs setup transactions in blocks (all must succeed).
struct Builder {
    chain: Chain,
    codes: Codes,
    owner: Address,
    number: u64,
    pending: Vec<Transaction>,
}

impl Builder {
    fn new(contracts: &Contracts) -> Result<Builder, WorkloadError> {
        let mut chain = Chain::new();
        let mut load = |m: &Module| {
            chain
                .load_module(m.clone())
                .map_err(|e| WorkloadError::Contract {
                    name: m.name.clone(),
                    message: e.to_string(),
                })
        };
        let codes = Codes {
            token: load(&contracts.token)?,
            dex: load(&contracts.dex)?,
            lending: load(&contracts.lending)?,
            staking: load(&contracts.staking)?,
        };
        Ok(Builder {
            chain,
            codes,
            owner: account_address("bench-owner"),
            number: 0,
            pending: Vec::new(),
        })
    }

    fn ctx(&self) -> BlockContext {
        BlockContext {
            number: self.number,
            timestamp: GENESIS_TIMESTAMP + self.number * BLOCK_TIME,
        }
    }

    fn deploy(&mut self, code: [u8; 32], args: Vec<U256>) -> Result<Address, WorkloadError> {
        let ctx = self.ctx();
        self.chain
            .deploy(code, self.owner, args, ctx, GAS_SETUP * 10)
            .map_err(|e| WorkloadError::Setup(format!("deployment failed: {e}")))
    }

    fn token(&mut self) -> Result<Address, WorkloadError> {
        self.deploy(self.codes.token, vec![word(SUPPLY)])
    }

    fn push(&mut self, sender: Address, to: Address, function: &str, args: Vec<U256>) {
        self.pending.push(tx(sender, to, function, args, GAS_SETUP));
    }

    /// Runs the pending setup transactions in blocks; every one must succeed.
    fn flush(&mut self) -> Result<(), WorkloadError> {
        let pending = std::mem::take(&mut self.pending);
        let mut executor = Executor::sequential();
        for chunk in pending.chunks(SETUP_CHUNK) {
            self.number += 1;
            let ctx = self.ctx();
            let outcome = executor
                .execute(&mut self.chain, ctx, chunk)
                .map_err(|e| WorkloadError::Setup(e.to_string()))?;
            for (t, r) in chunk.iter().zip(&outcome.receipts) {
                if let Err(f) = &r.status {
                    return Err(WorkloadError::Setup(format!("{} failed: {f}", t.function)));
                }
            }
        }
        Ok(())
    }
}

/// The Dex part of a world.
struct DexPart {
    dex: Address,
    /// Token addresses: the quotes first, then the bases.
    tokens: Vec<Address>,
    /// Each pool's (token0, token1) as indices into `tokens`.
    pools: Vec<(usize, usize)>,
}

/// The lending part of a world.
struct LendingPart {
    lending: Address,
    /// Each market's (loan, collateral) token addresses.
    markets: Vec<(Address, Address)>,
}

/// The staking part of a world.
struct StakingPart {
    /// Each instance's (address, stake token, reward token).
    instances: Vec<(Address, Address, Address)>,
}

fn users(n: usize) -> Vec<Address> {
    (0..n)
        .map(|i| account_address(&format!("bench-user-{i}")))
        .collect()
}

/// Deploys `quotes` quote tokens and enough bases for `pools` pools, the Dex, the
/// pools and their liquidity; funds every user with every token and approves the Dex.
fn build_dex(b: &mut Builder, pools: usize, users: &[Address]) -> Result<DexPart, WorkloadError> {
    let quotes = 2.min(pools.max(1)).max(1);
    let bases = pools.div_ceil(quotes);
    let mut tokens = Vec::new();
    for _ in 0..quotes + bases {
        tokens.push(b.token()?);
    }
    let dex = b.deploy(b.codes.dex, Vec::new())?;
    let owner = b.owner;
    let unlimited = word(UNLIMITED);
    for t in &tokens {
        b.push(owner, *t, "approve", vec![aw(&dex), unlimited]);
        for u in users {
            b.push(owner, *t, "transfer", vec![aw(u), word(FUNDING)]);
            b.push(*u, *t, "approve", vec![aw(&dex), unlimited]);
        }
    }
    let pool_tokens: Vec<(usize, usize)> = (0..pools)
        .map(|p| (p % quotes, quotes + p / quotes))
        .collect();
    for &(a, c) in &pool_tokens {
        b.push(
            owner,
            dex,
            "create_pool",
            vec![aw(&tokens[a]), aw(&tokens[c])],
        );
    }
    for (p, &(a, c)) in pool_tokens.iter().enumerate() {
        b.push(
            owner,
            dex,
            "add_liquidity",
            vec![
                word(p as u128),
                aw(&tokens[a]),
                aw(&tokens[c]),
                word(LIQUIDITY),
                word(LIQUIDITY),
                word(0),
            ],
        );
    }
    b.flush()?;
    Ok(DexPart {
        dex,
        tokens,
        pools: pool_tokens,
    })
}

/// The native world matching [`build_dex`]'s setup.
fn native_dex(b: &Builder, part: &DexPart, users: &[Address]) -> NativeDex {
    let tokens_used = part.tokens.len();
    let mut tokens: Vec<NativeToken> = (0..tokens_used).map(|_| NativeToken::default()).collect();
    let mut owner_balance = vec![SUPPLY; tokens_used];
    for (i, t) in tokens.iter_mut().enumerate() {
        t.allowances.insert((b.owner, part.dex), UNLIMITED);
        for u in users {
            t.ledger.balances.insert(*u, FUNDING);
            t.allowances.insert((*u, part.dex), UNLIMITED);
            if let Some(o) = owner_balance.get_mut(i) {
                *o -= FUNDING;
            }
        }
    }
    let mut pools = Vec::new();
    for (p, &(a, c)) in part.pools.iter().enumerate() {
        let custody = sub_account(&part.dex, &[word(p as u128)]);
        for i in [a, c] {
            if let Some(t) = tokens.get_mut(i) {
                t.ledger.balances.insert(custody, LIQUIDITY);
            }
            if let Some(o) = owner_balance.get_mut(i) {
                *o -= LIQUIDITY;
            }
        }
        pools.push(NativePool {
            token0: a,
            token1: c,
            reserve0: LIQUIDITY,
            reserve1: LIQUIDITY,
            custody,
        });
    }
    for (t, o) in tokens.iter_mut().zip(owner_balance) {
        t.ledger.balances.insert(b.owner, o);
    }
    NativeDex {
        address: part.dex,
        tokens,
        pools,
    }
}

/// Deploys Lending with `markets` markets lending the first two of `tokens` against
/// the others (two markets per collateral token), prices set, cash supplied; every
/// user approves Lending for every token and posts collateral in every market.
/// `tokens` must hold at least 3 tokens; users must already be funded with them.
fn build_lending(
    b: &mut Builder,
    markets: usize,
    tokens: &[Address],
    users: &[Address],
) -> Result<LendingPart, WorkloadError> {
    let lending = b.deploy(b.codes.lending, Vec::new())?;
    let owner = b.owner;
    let loans = &tokens[..2];
    let collaterals = &tokens[2..];
    let market_tokens: Vec<(Address, Address)> = (0..markets)
        .map(|m| (loans[m % 2], collaterals[(m / 2) % collaterals.len()]))
        .collect();
    let unlimited = word(UNLIMITED);
    for t in tokens {
        b.push(owner, *t, "approve", vec![aw(&lending), unlimited]);
        for u in users {
            b.push(*u, *t, "approve", vec![aw(&lending), unlimited]);
        }
    }
    for (m, (loan, collateral)) in market_tokens.iter().enumerate() {
        b.push(
            owner,
            lending,
            "create_market",
            vec![
                aw(loan),
                aw(collateral),
                word(750_000_000_000_000_000),
                word(9_512_937_595),
                word(47_564_687_975),
                word(1_426_940_639_269),
                word(800_000_000_000_000_000),
                word(100_000_000_000_000_000),
            ],
        );
        b.push(
            owner,
            lending,
            "set_price",
            vec![word(m as u128), word(WAD), word(2 * WAD)],
        );
        b.push(
            owner,
            lending,
            "supply",
            vec![word(m as u128), aw(loan), word(MARKET_CASH)],
        );
    }
    for (m, (_, collateral)) in market_tokens.iter().enumerate() {
        for u in users {
            b.push(
                *u,
                lending,
                "deposit_collateral",
                vec![word(m as u128), aw(collateral), word(COLLATERAL)],
            );
        }
    }
    b.flush()?;
    Ok(LendingPart {
        lending,
        markets: market_tokens,
    })
}

/// Deploys `instances` Staking instances (stake token: one of the first two of
/// `tokens`; reward token: one of the others), funds and starts each reward period;
/// every user approves every instance and stakes in it. Users must already be funded.
fn build_staking(
    b: &mut Builder,
    instances: usize,
    tokens: &[Address],
    users: &[Address],
) -> Result<StakingPart, WorkloadError> {
    let owner = b.owner;
    let mut list = Vec::new();
    for k in 0..instances {
        let stake = tokens[k % 2];
        let reward = tokens[2 + (k / 2) % (tokens.len() - 2)];
        let inst = b.deploy(
            b.codes.staking,
            vec![aw(&stake), aw(&reward), word(u128::from(STAKING_DURATION))],
        )?;
        list.push((inst, stake, reward));
    }
    let unlimited = word(UNLIMITED);
    for &(inst, stake, reward) in &list {
        b.push(owner, reward, "transfer", vec![aw(&inst), word(REWARDS)]);
        b.push(
            owner,
            inst,
            "notify_reward",
            vec![aw(&reward), word(REWARDS)],
        );
        for u in users {
            b.push(*u, stake, "approve", vec![aw(&inst), unlimited]);
            b.push(*u, inst, "stake", vec![aw(&stake), word(INITIAL_STAKE)]);
        }
    }
    b.flush()?;
    Ok(StakingPart { instances: list })
}

/// A swap by a random user on a random pool in a random direction.
fn swap_tx(rng: &mut XorShift, part: &DexPart, users: &[Address]) -> (Transaction, NativeOp) {
    let user = users[rng.below(users.len())];
    let pool = rng.below(part.pools.len());
    let (a, c) = part.pools[pool];
    let (tin, tout) = if rng.next_u64() & 1 == 0 {
        (a, c)
    } else {
        (c, a)
    };
    let amount_in = rng.between(WAD, 1_000 * WAD);
    let t = tx(
        user,
        part.dex,
        "swap_exact_in",
        vec![
            word(pool as u128),
            aw(&part.tokens[tin]),
            aw(&part.tokens[tout]),
            word(amount_in),
            word(1),
        ],
        GAS_SWAP,
    );
    let op = NativeOp::Swap {
        user,
        pool,
        token_in: tin,
        token_out: tout,
        amount_in,
        min_out: 1,
    };
    (t, op)
}

/// A supply, borrow or repay (4 : 3 : 3) by a random user on a random market.
fn lending_tx(rng: &mut XorShift, part: &LendingPart, users: &[Address]) -> Transaction {
    let user = users[rng.below(users.len())];
    let m = rng.below(part.markets.len());
    let (loan, _) = part.markets[m];
    let (function, amount) = match rng.below(10) {
        0..=3 => ("supply", rng.between(WAD, 1_000 * WAD)),
        4..=6 => ("borrow", rng.between(WAD, 100 * WAD)),
        _ => ("repay", rng.between(WAD, 100 * WAD)),
    };
    tx(
        user,
        part.lending,
        function,
        vec![word(m as u128), aw(&loan), word(amount)],
        GAS_LENDING,
    )
}

/// A stake, withdraw or claim (4 : 3 : 3) by a random user on a random instance.
fn staking_tx(rng: &mut XorShift, part: &StakingPart, users: &[Address]) -> Transaction {
    let user = users[rng.below(users.len())];
    let (inst, stake, reward) = part.instances[rng.below(part.instances.len())];
    match rng.below(10) {
        0..=3 => tx(
            user,
            inst,
            "stake",
            vec![aw(&stake), word(rng.between(WAD, 100 * WAD))],
            GAS_STAKING,
        ),
        4..=6 => tx(
            user,
            inst,
            "withdraw",
            vec![aw(&stake), word(rng.between(WAD / 10, 10 * WAD))],
            GAS_STAKING,
        ),
        _ => tx(user, inst, "claim", vec![aw(&reward)], GAS_STAKING),
    }
}

/// A transfer of 1..=1000 units between two distinct random accounts.
fn transfer_pair(rng: &mut XorShift, n: usize) -> (usize, usize, u128) {
    let from = rng.below(n);
    let to = (from + 1 + rng.below(n - 1)) % n;
    let amount = 1 + u128::from(rng.next_u64() % 1000);
    (from, to, amount)
}

/// Builds the workload `kind` (compiles, deploys, sets up) and its blocks.
pub fn build(
    kind: Kind,
    params: &Params,
    contracts: &Contracts,
) -> Result<Workload, WorkloadError> {
    params.check(kind)?;
    let mut b = Builder::new(contracts)?;
    let mut rng = XorShift::new(params.seed ^ (kind as u64).wrapping_mul(0x1000_0000_01b3));
    let first = |b: &Builder| b.number + 1;
    let ctx_of = |number: u64| BlockContext {
        number,
        timestamp: GENESIS_TIMESTAMP + number * BLOCK_TIME,
    };
    let mut blocks = Vec::with_capacity(params.blocks);
    let mut native_blocks = Vec::new();
    let native = match kind {
        Kind::Transfers => {
            let token = b.token()?;
            let accounts: Vec<Address> = (0..params.accounts)
                .map(|i| account_address(&format!("bench-account-{i}")))
                .collect();
            let owner = b.owner;
            for a in &accounts {
                b.push(owner, token, "transfer", vec![aw(a), word(FUNDING)]);
            }
            b.flush()?;
            let n = accounts.len();
            let start = first(&b);
            for i in 0..params.blocks {
                let mut txs = Vec::with_capacity(params.txs);
                let mut ops = Vec::with_capacity(params.txs);
                for _ in 0..params.txs {
                    let (f, t, amount) = transfer_pair(&mut rng, n);
                    let (from, to) = (accounts[f], accounts[t]);
                    txs.push(tx(
                        from,
                        token,
                        "transfer",
                        vec![aw(&to), word(amount)],
                        GAS_TRANSFER,
                    ));
                    ops.push(NativeOp::Transfer {
                        token: 0,
                        from,
                        to,
                        amount,
                    });
                }
                blocks.push(Block {
                    ctx: ctx_of(start + i as u64),
                    txs,
                });
                native_blocks.push(ops);
            }
            let mut ledger = Ledger::default();
            let mut owner_balance = SUPPLY;
            for a in &accounts {
                ledger.balances.insert(*a, FUNDING);
                owner_balance -= FUNDING;
            }
            ledger.balances.insert(owner, owner_balance);
            Some(NativeWorkload {
                world: NativeDex {
                    address: [0; 20],
                    tokens: vec![NativeToken {
                        ledger,
                        allowances: HashMap::new(),
                    }],
                    pools: Vec::new(),
                },
                blocks: native_blocks,
            })
        }
        Kind::Swaps => {
            let users = users(params.users);
            let part = build_dex(&mut b, params.pools, &users)?;
            let start = first(&b);
            for i in 0..params.blocks {
                let (txs, ops): (Vec<_>, Vec<_>) = (0..params.txs)
                    .map(|_| swap_tx(&mut rng, &part, &users))
                    .unzip();
                blocks.push(Block {
                    ctx: ctx_of(start + i as u64),
                    txs,
                });
                native_blocks.push(ops);
            }
            Some(NativeWorkload {
                world: native_dex(&b, &part, &users),
                blocks: native_blocks,
            })
        }
        Kind::Lending => {
            let users = users(params.users);
            let tokens = funded_tokens(&mut b, 2 + params.markets.div_ceil(2), &users)?;
            let part = build_lending(&mut b, params.markets, &tokens, &users)?;
            let start = first(&b);
            for i in 0..params.blocks {
                let txs = (0..params.txs)
                    .map(|_| lending_tx(&mut rng, &part, &users))
                    .collect();
                blocks.push(Block {
                    ctx: ctx_of(start + i as u64),
                    txs,
                });
            }
            None
        }
        Kind::Staking => {
            let users = users(params.users);
            let tokens = funded_tokens(&mut b, 2 + params.instances.div_ceil(2), &users)?;
            let part = build_staking(&mut b, params.instances, &tokens, &users)?;
            let start = first(&b);
            for i in 0..params.blocks {
                let txs = (0..params.txs)
                    .map(|_| staking_tx(&mut rng, &part, &users))
                    .collect();
                blocks.push(Block {
                    ctx: ctx_of(start + i as u64),
                    txs,
                });
            }
            None
        }
        Kind::DefiMix => {
            let users = users(params.users);
            let dex = build_dex(&mut b, params.pools, &users)?;
            // The Dex's tokens serve everything: quotes are the loan and stake tokens,
            // bases the collateral and reward tokens (a third token when there is
            // only one pool).
            let mut tokens = dex.tokens.clone();
            while tokens.len() < 3 {
                let t = funded_tokens(&mut b, 1, &users)?;
                tokens.extend(t);
            }
            let lending = build_lending(&mut b, params.markets, &tokens, &users)?;
            let staking = build_staking(&mut b, params.instances, &tokens, &users)?;
            let quotes = dex.tokens.len().min(2);
            let start = first(&b);
            for i in 0..params.blocks {
                let mut txs = Vec::with_capacity(params.txs);
                for _ in 0..params.txs {
                    let t = match rng.below(20) {
                        0..=7 => {
                            let (f, t, amount) = transfer_pair(&mut rng, users.len());
                            let token = dex.tokens[rng.below(quotes)];
                            tx(
                                users[f],
                                token,
                                "transfer",
                                vec![aw(&users[t]), word(amount * WAD)],
                                GAS_TRANSFER,
                            )
                        }
                        8..=13 => swap_tx(&mut rng, &dex, &users).0,
                        14..=16 => lending_tx(&mut rng, &lending, &users),
                        _ => staking_tx(&mut rng, &staking, &users),
                    };
                    txs.push(t);
                }
                blocks.push(Block {
                    ctx: ctx_of(start + i as u64),
                    txs,
                });
            }
            None
        }
    };
    // Fit the block gas limit to the largest block if it declares more than the default.
    let declared = blocks
        .iter()
        .map(|bl| {
            bl.txs
                .iter()
                .fold(0u64, |a, t| a.saturating_add(t.gas_limit))
        })
        .max()
        .unwrap_or(0);
    let mut chain = b.chain;
    let raised_gas_limit =
        (declared > chain.block_gas_limit().max(DEFAULT_BLOCK_GAS_LIMIT)).then(|| {
            chain.set_block_gas_limit(declared);
            declared
        });
    Ok(Workload {
        kind,
        params: params.label(kind),
        chain,
        blocks,
        native,
        raised_gas_limit,
    })
}

/// Deploys `n` tokens and funds every user with each.
fn funded_tokens(
    b: &mut Builder,
    n: usize,
    users: &[Address],
) -> Result<Vec<Address>, WorkloadError> {
    let mut tokens = Vec::with_capacity(n);
    let owner = b.owner;
    for _ in 0..n {
        let t = b.token()?;
        for u in users {
            b.push(owner, t, "transfer", vec![aw(u), word(FUNDING)]);
        }
        tokens.push(t);
    }
    b.flush()?;
    Ok(tokens)
}
