//! Who may send a transaction: a named account, or a raw address that holds no code and
//! is no contract's sub-account (`cli.md`). Otherwise a scenario could sign for a pool's
//! custody address and drain it.
//!
//! Which addresses are sub-accounts: a sub-account `self[k]` is
//! `blake3("braid:sub" ‖ self ‖ k)`, so the set cannot be listed, but every sub-account a
//! call can act as or touch storage for is in its access summary: the summary (callees
//! expanded) names, as `WordExpr::Sub`, each sub-account whose storage the call may touch
//! (the VM refuses any other access), and the words it derives from are the call's inputs
//! (sender, target, arguments, constants). So before anything runs, the scenario layer
//! evaluates the summary of every call in the scenario (each deploy's `init`, every
//! transaction and every check) on its inputs, collects each sub-account derived, and
//! refuses a raw sender equal to one of them or to a contract's address.

use crate::scenario::args::Address;
use crate::scenario::{Scenario, ScenarioError};
use braid_bytecode::encode::{address_to_word, sub_account, word_to_address};
use braid_bytecode::{AccessPattern, KeyPattern, U256, WordExpr};
use braid_vm::Chain;
use std::collections::BTreeMap;

/// A sender written as a raw `0x` address, to be checked once every call is planned.
#[derive(Debug)]
pub struct RawSender {
    /// The address.
    pub addr: Address,
    /// Where the call is (byte offset of its table).
    pub offset: usize,
    /// The call, for messages (`block 1, tx 0 (usd.transfer)`).
    pub place: String,
}

/// The sub-accounts derived by the access summaries of a scenario's calls: each
/// sub-account address with the contract whose sub-account it is.
#[derive(Debug, Default)]
pub struct SubAccounts {
    owners: BTreeMap<Address, Address>,
}

impl SubAccounts {
    /// Records every sub-account a call's access summary derives, evaluated for a call
    /// by `sender` to `target` with argument words `args`.
    pub fn record(
        &mut self,
        patterns: &[AccessPattern],
        sender: &Address,
        target: &Address,
        args: &[U256],
    ) {
        let inputs = Inputs {
            caller: address_to_word(sender),
            target: address_to_word(target),
            args,
        };
        for p in patterns {
            self.eval(&p.contract, &inputs);
            if let KeyPattern::Key(words) = &p.key {
                for w in words {
                    self.eval(w, &inputs);
                }
            }
        }
    }

    /// The contract whose sub-account `addr` is, if it is one.
    pub fn owner(&self, addr: &Address) -> Option<&Address> {
        self.owners.get(addr)
    }

    /// Evaluates a word expression, recording the sub-accounts it derives. `None` for an
    /// argument word out of range (the VM fails that call with `internal`; it derives
    /// nothing).
    fn eval(&mut self, e: &WordExpr, inputs: &Inputs<'_>) -> Option<U256> {
        Some(match e {
            WordExpr::Param(i) => *inputs.args.get(usize::from(*i))?,
            WordExpr::Caller => inputs.caller,
            WordExpr::SelfAddr => inputs.target,
            WordExpr::Const(c) => *c,
            WordExpr::Sub { base, key } => {
                let base = word_to_address(self.eval(base, inputs)?);
                let mut words = Vec::with_capacity(key.len());
                for k in key {
                    words.push(self.eval(k, inputs)?);
                }
                let sub = sub_account(&base, &words);
                self.owners.insert(sub, base);
                address_to_word(&sub)
            }
        })
    }
}

/// The inputs word expressions are evaluated over.
struct Inputs<'a> {
    caller: U256,
    target: U256,
    args: &'a [U256],
}

/// Checks every raw sender: no code at it, and no contract's sub-account. `label` names
/// a contract address for messages.
pub fn check(
    scenario: &Scenario,
    chain: &Chain,
    subs: &SubAccounts,
    raw: &[RawSender],
    label: impl Fn(&Address) -> String,
) -> Result<(), ScenarioError> {
    for r in raw {
        let shown = crate::receipt_json::address_text(&r.addr);
        let why = if let Some(module) = chain.module_at(&r.addr) {
            Some(format!("holds code (contract {})", module.name))
        } else {
            subs.owner(&r.addr)
                .map(|owner| format!("is a sub-account of {}", label(owner)))
        };
        if let Some(why) = why {
            return Err(scenario.error(
                Some(r.offset),
                format!(
                    "{}: sender: {shown} {why}; a sender is a named account or an address that holds no code and is no contract's sub-account",
                    r.place
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(contract: WordExpr, key: Vec<WordExpr>) -> AccessPattern {
        AccessPattern {
            write: true,
            contract,
            contract_name: "C".into(),
            field: 0,
            field_name: "f".into(),
            key: KeyPattern::Key(key),
        }
    }

    #[test]
    fn records_nested_sub_accounts_from_inputs() {
        let target = [9u8; 20];
        let token = [5u8; 20];
        // balances[self[arg0]] of the token passed as arg1, and self[self[7]].
        let patterns = vec![
            pattern(
                WordExpr::Param(1),
                vec![WordExpr::Sub {
                    base: Box::new(WordExpr::SelfAddr),
                    key: vec![WordExpr::Param(0)],
                }],
            ),
            pattern(
                WordExpr::SelfAddr,
                vec![WordExpr::Sub {
                    base: Box::new(WordExpr::Sub {
                        base: Box::new(WordExpr::SelfAddr),
                        key: vec![WordExpr::Const(U256::from(7u8))],
                    }),
                    key: vec![WordExpr::Caller],
                }],
            ),
            // Out of range: derives nothing, no panic.
            pattern(WordExpr::SelfAddr, vec![WordExpr::Param(9)]),
        ];
        let mut subs = SubAccounts::default();
        let sender = [1u8; 20];
        subs.record(
            &patterns,
            &sender,
            &target,
            &[U256::from(3u8), address_to_word(&token)],
        );
        let pool3 = sub_account(&target, &[U256::from(3u8)]);
        assert_eq!(subs.owner(&pool3), Some(&target));
        let inner = sub_account(&target, &[U256::from(7u8)]);
        assert_eq!(subs.owner(&inner), Some(&target));
        let outer = sub_account(&inner, &[address_to_word(&sender)]);
        assert_eq!(subs.owner(&outer), Some(&inner));
        assert_eq!(subs.owner(&sender), None);
    }
}
