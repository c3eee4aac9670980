//! The native floor: the Token's `transfer` and the Dex's `swap_exact_in` written in
//! plain Rust over std maps, with the contracts' checked arithmetic, the 0.3% fee and
//! Uniswap's K check. `braid bench` runs it on the same transactions as the VM and
//! checks that it reaches the same outcomes (success or failure, amount bought).
//!
//! Shared with `benches/interp.rs` (included there with `#[path]`), so there is one copy.

use braid_vm::{Address, U256};
use std::collections::HashMap;

/// What a native transfer returns: the `Transfer` event, or the revert reason.
pub type Outcome = Result<(Address, Address, u128), &'static str>;

/// Balances of one token.
#[derive(Clone, Debug, Default)]
pub struct Ledger {
    /// Non-zero balances by holder.
    pub balances: HashMap<Address, u128>,
}

impl Ledger {
    /// `Token.transfer` (via `move_tokens`): checked debit, checked credit,
    /// `from == to` leaves the balance unchanged, zero balances are absent.
    pub fn transfer(&mut self, from: Address, to: Address, amount: u128) -> Outcome {
        let have = self.balances.get(&from).copied().unwrap_or(0);
        if have < amount {
            return Err("insufficient balance");
        }
        set(&mut self.balances, from, have - amount);
        let dest = self.balances.get(&to).copied().unwrap_or(0);
        let credited = dest.checked_add(amount).ok_or("overflow")?;
        set(&mut self.balances, to, credited);
        Ok((from, to, amount))
    }

    /// The balance of `who`.
    pub fn balance(&self, who: &Address) -> u128 {
        self.balances.get(who).copied().unwrap_or(0)
    }
}

fn set(m: &mut HashMap<Address, u128>, k: Address, v: u128) {
    if v == 0 {
        m.remove(&k);
    } else {
        m.insert(k, v);
    }
}

/// Runs a block of `(from, to, amount)` transfers in order.
#[allow(dead_code)] // used by benches/interp.rs
pub fn execute_block(ledger: &mut Ledger, txs: &[(Address, Address, u128)]) -> Vec<Outcome> {
    txs.iter()
        .map(|&(from, to, amount)| ledger.transfer(from, to, amount))
        .collect()
}

/// The Token's `UNLIMITED` allowance: `transfer_from` never decreases it.
pub const UNLIMITED: u128 = u128::MAX;
/// The Dex's largest reserve, 2^112 - 1.
pub const MAX_RESERVE: u128 = (1u128 << 112) - 1;

/// A token: balances and allowances.
#[derive(Clone, Debug, Default)]
pub struct NativeToken {
    /// Balances.
    pub ledger: Ledger,
    /// `allowances[(owner, spender)]`.
    pub allowances: HashMap<(Address, Address), u128>,
}

/// One constant-product pool of the native Dex.
#[derive(Clone, Copy, Debug)]
pub struct NativePool {
    /// Index of the pool's first token in [`NativeDex::tokens`].
    pub token0: usize,
    /// Index of the pool's second token.
    pub token1: usize,
    /// Units of `token0` held.
    pub reserve0: u128,
    /// Units of `token1` held.
    pub reserve1: u128,
    /// Where the pool's tokens sit (the Dex's sub-account `self[pool]`).
    pub custody: Address,
}

/// The native Dex and the tokens it trades.
#[derive(Clone, Debug, Default)]
pub struct NativeDex {
    /// The Dex's own address (the spender users approve).
    pub address: Address,
    /// Every token, by index.
    pub tokens: Vec<NativeToken>,
    /// Every pool, by id.
    pub pools: Vec<NativePool>,
}

/// One native transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NativeOp {
    /// `Token.transfer(to, amount)` sent by `from` on token `token`.
    Transfer {
        /// Token index.
        token: usize,
        /// The sender.
        from: Address,
        /// The recipient.
        to: Address,
        /// Units moved.
        amount: u128,
    },
    /// `Dex.swap_exact_in(pool, token_in, token_out, amount_in, min_out)` sent by `user`.
    Swap {
        /// The trader.
        user: Address,
        /// Pool id.
        pool: usize,
        /// Token index sold.
        token_in: usize,
        /// Token index bought.
        token_out: usize,
        /// Units sold.
        amount_in: u128,
        /// Least units bought.
        min_out: u128,
    },
}

/// What a native transaction returned: the amount bought by a swap, 1 (`true`) for a
/// transfer, or the revert reason.
pub type OpOutcome = Result<u128, &'static str>;

impl NativeDex {
    /// Runs one operation; a failed one changes nothing.
    pub fn apply(&mut self, op: &NativeOp) -> OpOutcome {
        match *op {
            NativeOp::Transfer {
                token,
                from,
                to,
                amount,
            } => {
                let t = self.tokens.get_mut(token).ok_or("bad call")?;
                t.ledger.transfer(from, to, amount).map(|_| 1)
            }
            NativeOp::Swap {
                user,
                pool,
                token_in,
                token_out,
                amount_in,
                min_out,
            } => self.swap_exact_in(user, pool, token_in, token_out, amount_in, min_out),
        }
    }

    /// `Dex.swap_exact_in`: Uniswap V2's `getAmountOut` with the 0.3% fee, the reserve
    /// bound and the K check in 256 bits, then `transfer_from` into the pool and
    /// `transfer` out of it. Every check runs before anything is written.
    pub fn swap_exact_in(
        &mut self,
        user: Address,
        pool: usize,
        token_in: usize,
        token_out: usize,
        amount_in: u128,
        min_out: u128,
    ) -> OpOutcome {
        let p = *self.pools.get(pool).ok_or("UNKNOWN_POOL")?;
        let (reserve_in, reserve_out, zero_for_one) =
            if token_in == p.token0 && token_out == p.token1 {
                (p.reserve0, p.reserve1, true)
            } else if token_in == p.token1 && token_out == p.token0 {
                (p.reserve1, p.reserve0, false)
            } else {
                return Err("WRONG_TOKEN");
            };
        let amount_out = amount_out_for(amount_in, reserve_in, reserve_out)?;
        if amount_out == 0 || amount_out < min_out {
            return Err("INSUFFICIENT_OUTPUT_AMOUNT");
        }
        let new_in = reserve_in.checked_add(amount_in).ok_or("overflow")?;
        let new_out = reserve_out.checked_sub(amount_out).ok_or("underflow")?;
        if new_in > MAX_RESERVE {
            return Err("OVERFLOW");
        }
        let thousand = U256::from(1000u64);
        let adjusted_in = U256::from(new_in)
            .checked_mul(thousand)
            .and_then(|a| a.checked_sub(U256::from(amount_in) * U256::from(3u64)))
            .ok_or("underflow")?;
        let adjusted_out = U256::from(new_out) * thousand;
        let lhs = adjusted_in.checked_mul(adjusted_out).ok_or("overflow")?;
        let rhs = (U256::from(reserve_in) * U256::from(reserve_out))
            .checked_mul(U256::from(1_000_000u64))
            .ok_or("overflow")?;
        if lhs < rhs {
            return Err("K");
        }
        // token_in.transfer_from(user, custody, amount_in): allowance, then balances.
        let tin = self.tokens.get(token_in).ok_or("bad call")?;
        let allowed = tin.allowances.get(&(user, self.address)).copied();
        let allowed = allowed.unwrap_or(0);
        if allowed < amount_in {
            return Err("insufficient allowance");
        }
        if tin.ledger.balance(&user) < amount_in {
            return Err("insufficient balance");
        }
        if user != p.custody {
            tin.ledger
                .balance(&p.custody)
                .checked_add(amount_in)
                .ok_or("overflow")?;
        }
        // token_out.transfer(user, amount_out) as custody.
        let tout = self.tokens.get(token_out).ok_or("bad call")?;
        if tout.ledger.balance(&p.custody) < amount_out {
            return Err("insufficient balance");
        }
        if user != p.custody {
            tout.ledger
                .balance(&user)
                .checked_add(amount_out)
                .ok_or("overflow")?;
        }
        // Every check passed: write.
        let dex_address = self.address;
        if let Some(slot) = self.pools.get_mut(pool) {
            if zero_for_one {
                slot.reserve0 = new_in;
                slot.reserve1 = new_out;
            } else {
                slot.reserve0 = new_out;
                slot.reserve1 = new_in;
            }
        }
        if let Some(t) = self.tokens.get_mut(token_in) {
            if allowed != UNLIMITED {
                t.allowances
                    .insert((user, dex_address), allowed - amount_in);
            }
            t.ledger.transfer(user, p.custody, amount_in)?;
        }
        if let Some(t) = self.tokens.get_mut(token_out) {
            t.ledger.transfer(p.custody, user, amount_out)?;
        }
        Ok(amount_out)
    }
}

/// Uniswap's `getAmountOut`: `in*997*r_out / (r_in*1000 + in*997)`, floored.
pub fn amount_out_for(amount_in: u128, reserve_in: u128, reserve_out: u128) -> OpOutcome {
    if amount_in == 0 {
        return Err("INSUFFICIENT_INPUT_AMOUNT");
    }
    if reserve_in == 0 || reserve_out == 0 {
        return Err("INSUFFICIENT_LIQUIDITY");
    }
    let with_fee = U256::from(amount_in) * U256::from(997u64);
    let numerator = with_fee * U256::from(reserve_out);
    let denominator = U256::from(reserve_in) * U256::from(1000u64) + with_fee;
    let out = numerator / denominator;
    u128::try_from(out).map_err(|_| "conversion")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(b: u8) -> Address {
        [b; 20]
    }

    #[test]
    fn transfer_moves_and_refuses_overdraft() {
        let mut l = Ledger::default();
        l.balances.insert(addr(1), 10);
        assert_eq!(l.transfer(addr(1), addr(2), 4), Ok((addr(1), addr(2), 4)));
        assert_eq!(l.balance(&addr(1)), 6);
        assert_eq!(l.balance(&addr(2)), 4);
        assert_eq!(l.transfer(addr(1), addr(2), 7), Err("insufficient balance"));
        assert_eq!(l.transfer(addr(2), addr(2), 4), Ok((addr(2), addr(2), 4)));
        assert_eq!(l.balance(&addr(2)), 4);
    }

    #[test]
    fn amount_out_matches_uniswap() {
        // getAmountOut(1000, 1e6, 1e6) = 1000*997*1e6 / (1e9 + 997000) = 996.
        assert_eq!(amount_out_for(1000, 1_000_000, 1_000_000), Ok(996));
        assert_eq!(amount_out_for(0, 1, 1), Err("INSUFFICIENT_INPUT_AMOUNT"));
        assert_eq!(amount_out_for(1, 0, 1), Err("INSUFFICIENT_LIQUIDITY"));
    }

    #[test]
    fn swap_moves_tokens_and_reserves_and_failure_writes_nothing() {
        let custody = addr(9);
        let user = addr(1);
        let dex_addr = addr(7);
        let mut tokens = vec![NativeToken::default(), NativeToken::default()];
        for t in &mut tokens {
            t.ledger.balances.insert(custody, 1_000_000);
            t.ledger.balances.insert(user, 5_000);
            t.allowances.insert((user, dex_addr), UNLIMITED);
        }
        let mut dex = NativeDex {
            address: dex_addr,
            tokens,
            pools: vec![NativePool {
                token0: 0,
                token1: 1,
                reserve0: 1_000_000,
                reserve1: 1_000_000,
                custody,
            }],
        };
        assert_eq!(dex.swap_exact_in(user, 0, 0, 1, 1000, 1), Ok(996));
        let p = dex.pools[0];
        assert_eq!((p.reserve0, p.reserve1), (1_001_000, 999_004));
        assert_eq!(dex.tokens[0].ledger.balance(&user), 4_000);
        assert_eq!(dex.tokens[1].ledger.balance(&user), 5_996);
        let before = dex.clone();
        assert_eq!(
            dex.swap_exact_in(user, 0, 0, 1, 4_001, 1),
            Err("insufficient balance")
        );
        assert_eq!(
            dex.swap_exact_in(user, 0, 1, 0, 1000, 10_000),
            Err("INSUFFICIENT_OUTPUT_AMOUNT")
        );
        assert_eq!(
            dex.swap_exact_in(user, 0, 1, 1, 1000, 1),
            Err("WRONG_TOKEN")
        );
        assert_eq!(dex.pools[0].reserve0, before.pools[0].reserve0);
        assert_eq!(dex.tokens[0].ledger.balance(&user), 4_000);
    }
}
