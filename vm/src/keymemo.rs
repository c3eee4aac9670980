//! A memo of the blake3 key derivations: tuple map keys and sub-account addresses.
//!
//! Both are pure functions of their inputs, and the same inputs recur constantly: an
//! access set derives a key, the transaction then loads and stores under it, and the
//! next transaction of the same user or pool derives it again. The memo is a
//! direct-mapped table owned by one executor (inside its [`crate::exec::Scratch`]),
//! kept across transactions; a lookup costs a fast hash and a comparison instead of
//! a blake3 compression. It changes no result, only how often blake3 runs.

use crate::Address;
use crate::state::SeededState;
use braid_bytecode::U256;
use braid_bytecode::encode::{address_to_word, map_key_word, sub_account, word_to_address};
use std::hash::{BuildHasher, Hasher};

/// Table slots (a power of two).
const SLOTS: usize = 512;
/// Inputs of at most this many words are memoized (longer ones are just computed).
const MAX_WORDS: usize = 3;

/// What a memo entry derives from.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct Input {
    /// The sub-account base, or `None` for a map key word.
    base: Option<Address>,
    /// Words used of `words`.
    n: u8,
    /// The key words (unused ones zero).
    words: [U256; MAX_WORDS],
}

/// The memo (see the module documentation).
#[derive(Clone, Default)]
pub(crate) struct KeyMemo {
    slots: Vec<Option<(Input, U256)>>,
    /// Picks an input's slot; seeded, so inputs chosen to share a slot under one
    /// seed spread under another.
    hasher: SeededState,
}

impl KeyMemo {
    /// [`map_key_word`] of `words`.
    pub(crate) fn map_key(&mut self, words: &[U256]) -> U256 {
        match words {
            [w] => *w,
            _ => self.derive(None, words, map_key_word),
        }
    }

    /// [`sub_account`] of `base` keyed by `words`.
    pub(crate) fn sub_account(&mut self, base: &Address, words: &[U256]) -> Address {
        let w = self.derive(Some(*base), words, |k| {
            address_to_word(&sub_account(base, k))
        });
        word_to_address(w)
    }

    fn derive(
        &mut self,
        base: Option<Address>,
        words: &[U256],
        f: impl FnOnce(&[U256]) -> U256,
    ) -> U256 {
        let mut input = Input {
            base,
            n: 0,
            words: [U256::ZERO; MAX_WORDS],
        };
        match (
            input.words.get_mut(..words.len()),
            u8::try_from(words.len()),
        ) {
            (Some(dst), Ok(n)) => {
                dst.copy_from_slice(words);
                input.n = n;
            }
            _ => return f(words),
        }
        if self.slots.is_empty() {
            self.slots.resize(SLOTS, None);
        }
        // Truncating the hash is intended: it only picks a slot.
        let slot = slot_hash(&self.hasher, &input) as usize % SLOTS;
        if let Some(Some((k, v))) = self.slots.get(slot)
            && *k == input
        {
            return *v;
        }
        let v = f(words);
        if let Some(s) = self.slots.get_mut(slot) {
            *s = Some((input, v));
        }
        v
    }
}

/// A fast hash of an input, fed as wide integers (`derive(Hash)` would hash the
/// address and every word as byte slices).
fn slot_hash(hasher: &SeededState, input: &Input) -> u64 {
    let mut h = hasher.build_hasher();
    if let Some(b) = input.base {
        let mut head = [0u8; 16];
        let mut tail = [0u8; 8];
        if let (Some(x), Some(y)) = (b.get(..16), b.get(16..)) {
            head.copy_from_slice(x);
            if let Some(t) = tail.get_mut(..4) {
                t.copy_from_slice(y);
            }
        }
        h.write_u128(u128::from_le_bytes(head));
        h.write_u64(u64::from_le_bytes(tail) | 1 << 63);
    }
    h.write_u8(input.n);
    for w in input.words.iter().take(usize::from(input.n)) {
        let [a, b, c, d] = *w.as_limbs();
        h.write_u128(u128::from(a) | (u128::from(b) << 64));
        h.write_u128(u128::from(c) | (u128::from(d) << 64));
    }
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memoized_results_equal_direct_ones() {
        let mut m = KeyMemo::default();
        let base = [3u8; 20];
        for round in 0..3 {
            for i in 0..2000u64 {
                let w = [U256::from(i), U256::from(i * 7 + round % 2)];
                assert_eq!(m.map_key(&w), map_key_word(&w));
                assert_eq!(m.map_key(&w[..1]), map_key_word(&w[..1]));
                assert_eq!(m.sub_account(&base, &w[..1]), sub_account(&base, &w[..1]));
                assert_eq!(m.sub_account(&base, &w), sub_account(&base, &w));
                let long = [U256::from(i); 5];
                assert_eq!(m.map_key(&long), map_key_word(&long));
                assert_eq!(m.sub_account(&base, &long), sub_account(&base, &long));
            }
        }
        // A map key and a sub-account of the same words are different entries.
        let w = [U256::from(1), U256::from(2)];
        let k = m.map_key(&w);
        let s = m.sub_account(&[0; 20], &w);
        assert_eq!(k, map_key_word(&w));
        assert_eq!(s, sub_account(&[0; 20], &w));
    }
}
