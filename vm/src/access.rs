//! Concrete access sets: a transaction's access summary evaluated on its inputs.
//!
//! Before a transaction runs, the entry function's summary (patterns over
//! [`WordExpr`]s: argument words, the sender, the target, constants, sub-accounts)
//! is evaluated into an [`AccessSet`]: a small sorted vector of
//! (contract, field, key word or whole field, read/write) entries. The scheduler
//! compares these sets to build its conflict graph; the interpreter checks every
//! storage access against the set and fails the transaction with
//! `AccessViolation` outside it.

use crate::Address;
use crate::keymemo::KeyMemo;
use crate::receipt::Failure;
use braid_bytecode::encode::{address_to_word, word_to_address};
use braid_bytecode::{AccessPattern, KeyPattern, U256, WordExpr};

/// Sets up to this size are searched linearly (cheaper than a binary search over
/// 20-byte addresses for the few entries a transaction usually has).
const LINEAR_MAX: usize = 16;

/// Which keys of a field an entry covers. `Whole` sorts before every `Key`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AccessKey {
    /// Every key of the field (a whole-map pattern `m[*]`).
    Whole,
    /// One map key word ([`braid_bytecode::encode::map_key_word`]); `Key(0)` for a scalar field.
    Key(U256),
}

/// One concrete entry of an access set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccessEntry {
    /// The contract whose storage it is.
    pub contract: Address,
    /// The field index in that contract's layout.
    pub field: u16,
    /// The key (or the whole field).
    pub key: AccessKey,
    /// Write (which includes read) or read only.
    pub write: bool,
}

/// A transaction's concrete access set: entries sorted by (contract, field, key), one
/// per key (a key both read and written appears once, as a write).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct AccessSet {
    entries: Vec<AccessEntry>,
}

impl AccessSet {
    /// Builds a set from entries in any order, merging duplicates.
    pub fn from_entries(entries: Vec<AccessEntry>) -> AccessSet {
        let mut set = AccessSet { entries };
        set.normalize();
        set
    }

    /// Sorts the entries and merges duplicate keys (a write wins), in place.
    fn normalize(&mut self) {
        self.entries.sort_unstable();
        self.entries.dedup_by(|later, kept| {
            let same = later.contract == kept.contract
                && later.field == kept.field
                && later.key == kept.key;
            if same {
                kept.write |= later.write;
            }
            same
        });
    }

    /// Empties the set (keeping its allocation).
    pub(crate) fn clear(&mut self) {
        self.entries.clear();
    }

    /// The number of write entries (a lower bound of the words a transaction
    /// writes, to size its write buffer).
    pub fn write_entries(&self) -> usize {
        self.entries.iter().filter(|e| e.write).count()
    }

    /// The entries, sorted by (contract, field, key).
    pub fn entries(&self) -> &[AccessEntry] {
        &self.entries
    }

    /// Whether the set allows reading (or, with `write`, writing) `field[key]` of
    /// `contract`: a write needs a write entry; a read is allowed by either.
    pub fn allows(&self, contract: &Address, field: u16, key: U256, write: bool) -> bool {
        self.find(contract, field, key, write).is_some()
    }

    /// The index of an entry that allows reading (or, with `write`, writing)
    /// `field[key]` of `contract`: the key's own entry, else a whole-field one.
    pub fn find(&self, contract: &Address, field: u16, key: U256, write: bool) -> Option<usize> {
        let hit = |e: &AccessEntry| {
            e.field == field
                && (e.write || !write)
                && match e.key {
                    AccessKey::Whole => true,
                    AccessKey::Key(k) => k == key,
                }
                && e.contract == *contract
        };
        if self.entries.len() <= LINEAR_MAX {
            return self.entries.iter().position(hit);
        }
        let start = self
            .entries
            .partition_point(|e| (&e.contract, e.field) < (contract, field));
        self.entries
            .get(start..)
            .unwrap_or(&[])
            .iter()
            .take_while(|e| &e.contract == contract && e.field == field)
            .position(|e| {
                (e.key == AccessKey::Whole || e.key == AccessKey::Key(key)) && (e.write || !write)
            })
            .map(|i| start + i)
    }

    /// The index of the entry for exactly `field[key]` of `contract` (not a
    /// whole-field entry).
    pub fn position(&self, contract: &Address, field: u16, key: U256) -> Option<usize> {
        let hit = |e: &AccessEntry| {
            e.field == field && e.key == AccessKey::Key(key) && e.contract == *contract
        };
        if self.entries.len() <= LINEAR_MAX {
            return self.entries.iter().position(hit);
        }
        self.entries
            .binary_search_by(|e| {
                (&e.contract, e.field, e.key).cmp(&(contract, field, AccessKey::Key(key)))
            })
            .ok()
    }

    /// Whether some entry covers a whole field (a `m[*]` pattern).
    pub fn has_whole(&self) -> bool {
        self.entries.iter().any(|e| e.key == AccessKey::Whole)
    }

    /// Evaluates a function's summary for a call by `sender` to the contract at
    /// `target` with argument words `args`. The summary must have been verified
    /// against the function (parameter references in range); a reference out of range
    /// is reported as `Internal`.
    pub fn evaluate(
        patterns: &[AccessPattern],
        sender: &Address,
        target: &Address,
        args: &[U256],
    ) -> Result<AccessSet, Failure> {
        let mut set = AccessSet::default();
        set.evaluate_into(patterns, sender, target, args)?;
        Ok(set)
    }

    /// [`AccessSet::evaluate`] into this set, replacing its entries but reusing their
    /// allocation (an executor keeps one set across transactions). After an error
    /// the set is empty.
    pub fn evaluate_into(
        &mut self,
        patterns: &[AccessPattern],
        sender: &Address,
        target: &Address,
        args: &[U256],
    ) -> Result<(), Failure> {
        self.evaluate_with(patterns, sender, target, args, &mut KeyMemo::default())
    }

    /// [`AccessSet::evaluate_into`] deriving keys through an executor's memo.
    pub(crate) fn evaluate_with(
        &mut self,
        patterns: &[AccessPattern],
        sender: &Address,
        target: &Address,
        args: &[U256],
        memo: &mut KeyMemo,
    ) -> Result<(), Failure> {
        self.entries.clear();
        let mut env = Env {
            caller: address_to_word(sender),
            target: address_to_word(target),
            args,
            memo,
        };
        self.entries.reserve(patterns.len());
        for p in patterns {
            let entry = env.entry(p);
            match entry {
                Ok(e) => self.entries.push(e),
                Err(f) => {
                    self.entries.clear();
                    return Err(f);
                }
            }
        }
        self.normalize();
        Ok(())
    }
}

/// The inputs word expressions are evaluated over.
struct Env<'a> {
    caller: U256,
    target: U256,
    args: &'a [U256],
    memo: &'a mut KeyMemo,
}

impl Env<'_> {
    /// The concrete entry of one pattern.
    fn entry(&mut self, p: &AccessPattern) -> Result<AccessEntry, Failure> {
        let contract = word_to_address(self.eval(&p.contract)?);
        let key = match &p.key {
            KeyPattern::Scalar => AccessKey::Key(U256::ZERO),
            KeyPattern::Whole => AccessKey::Whole,
            KeyPattern::Key(ws) => match ws.as_slice() {
                [w] => AccessKey::Key(self.eval(w)?),
                _ => AccessKey::Key(self.with_words(ws, |memo, words| memo.map_key(words))?),
            },
        };
        Ok(AccessEntry {
            contract,
            field: p.field,
            key,
            write: p.write,
        })
    }

    fn eval(&mut self, e: &WordExpr) -> Result<U256, Failure> {
        Ok(match e {
            WordExpr::Param(i) => *self.args.get(usize::from(*i)).ok_or_else(|| {
                Failure::Internal(format!(
                    "access summary names argument word {i}, out of range"
                ))
            })?,
            WordExpr::Caller => self.caller,
            WordExpr::SelfAddr => self.target,
            WordExpr::Const(c) => *c,
            WordExpr::Sub { base, key } => {
                let base = word_to_address(self.eval(base)?);
                let sub = self.with_words(key, |memo, words| memo.sub_account(&base, words))?;
                address_to_word(&sub)
            }
        })
    }

    /// Evaluates `exprs` and applies `f` to the words (on the stack when few).
    fn with_words<R>(
        &mut self,
        exprs: &[WordExpr],
        f: impl FnOnce(&mut KeyMemo, &[U256]) -> R,
    ) -> Result<R, Failure> {
        let mut small = [U256::ZERO; 4];
        if let Some(dst) = small.get_mut(..exprs.len()) {
            for (d, e) in dst.iter_mut().zip(exprs) {
                *d = self.eval(e)?;
            }
            return Ok(f(self.memo, small.get(..exprs.len()).unwrap_or(&[])));
        }
        let words = exprs
            .iter()
            .map(|e| self.eval(e))
            .collect::<Result<Vec<U256>, Failure>>()?;
        Ok(f(self.memo, &words))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use braid_bytecode::encode::{map_key_word, sub_account};

    fn pattern(write: bool, contract: WordExpr, field: u16, key: KeyPattern) -> AccessPattern {
        AccessPattern {
            write,
            contract,
            contract_name: "C".into(),
            field,
            field_name: "f".into(),
            key,
        }
    }

    #[test]
    fn evaluates_params_caller_self_and_sub_accounts() {
        let sender = [1; 20];
        let target = [2; 20];
        let other = [3; 20];
        let args = [U256::from(7), address_to_word(&other), U256::from(9)];
        let patterns = vec![
            pattern(false, WordExpr::SelfAddr, 0, KeyPattern::Scalar),
            pattern(
                true,
                WordExpr::SelfAddr,
                1,
                KeyPattern::Key(vec![WordExpr::Caller]),
            ),
            pattern(
                false,
                WordExpr::SelfAddr,
                1,
                KeyPattern::Key(vec![WordExpr::Caller]),
            ),
            pattern(
                true,
                WordExpr::Param(1),
                2,
                KeyPattern::Key(vec![WordExpr::Sub {
                    base: Box::new(WordExpr::SelfAddr),
                    key: vec![WordExpr::Param(0)],
                }]),
            ),
            pattern(
                false,
                WordExpr::SelfAddr,
                3,
                KeyPattern::Key(vec![WordExpr::Param(0), WordExpr::Param(2)]),
            ),
            pattern(false, WordExpr::SelfAddr, 4, KeyPattern::Whole),
        ];
        let set = AccessSet::evaluate(&patterns, &sender, &target, &args).expect("evaluates");
        assert_eq!(set.entries().len(), 5);
        assert!(set.allows(&target, 0, U256::ZERO, false));
        assert!(!set.allows(&target, 0, U256::ZERO, true));
        let caller_key = address_to_word(&sender);
        assert!(set.allows(&target, 1, caller_key, true));
        assert!(!set.allows(&target, 1, U256::from(5), false));
        let sub = address_to_word(&sub_account(&target, &[U256::from(7)]));
        assert!(set.allows(&other, 2, sub, true));
        assert!(!set.allows(&target, 2, sub, false));
        let tuple = map_key_word(&[U256::from(7), U256::from(9)]);
        assert!(set.allows(&target, 3, tuple, false));
        assert!(!set.allows(&target, 3, tuple, true));
        assert!(set.allows(&target, 4, U256::from(123_456), false));
        assert!(!set.allows(&target, 4, U256::from(123_456), true));
        assert!(!set.allows(&target, 5, U256::ZERO, false));
    }

    #[test]
    fn out_of_range_param_is_internal() {
        let patterns = vec![pattern(false, WordExpr::Param(3), 0, KeyPattern::Scalar)];
        let r = AccessSet::evaluate(&patterns, &[0; 20], &[0; 20], &[]);
        assert!(matches!(r, Err(Failure::Internal(_))));
    }

    #[test]
    fn duplicates_merge_with_write_winning() {
        let e = |write| AccessEntry {
            contract: [1; 20],
            field: 0,
            key: AccessKey::Key(U256::from(1)),
            write,
        };
        let set = AccessSet::from_entries(vec![e(false), e(true), e(false)]);
        assert_eq!(set.entries(), &[e(true)]);
    }
}
