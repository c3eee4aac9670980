//! How the REPL shows values, addresses and storage keys: through the scenario layer's
//! value display (`receipt_json`), with addresses named after the session's accounts,
//! instances and the instances' first sub-accounts (`dex[0]`).

use crate::receipt_json::{address_text, params_json, value_json, value_text};
use braid_bytecode::encode::{account_address, address_to_word, sub_account, word_to_address};
use braid_bytecode::{Module, U256, ValueType};
use braid_vm::{AccessEntry, AccessKey, Address, Chain, Event};
use std::collections::BTreeMap;

/// Sub-accounts `instance[k]` named for `k` below this.
const NAMED_SUB_ACCOUNTS: u64 = 16;

/// Names for addresses.
#[derive(Debug, Default)]
pub struct Labels {
    by_addr: BTreeMap<Address, String>,
}

impl Labels {
    /// Labels for these accounts and instances (and the instances' sub-accounts).
    pub fn new<'a>(
        accounts: impl IntoIterator<Item = &'a String>,
        instances: impl IntoIterator<Item = (&'a String, &'a Address)>,
    ) -> Labels {
        let mut by_addr = BTreeMap::new();
        for name in accounts {
            by_addr.insert(account_address(name), format!("@{name}"));
        }
        for (name, addr) in instances {
            by_addr.insert(*addr, name.clone());
            for k in 0..NAMED_SUB_ACCOUNTS {
                by_addr
                    .entry(sub_account(addr, &[U256::from(k)]))
                    .or_insert_with(|| format!("{name}[{k}]"));
            }
        }
        Labels { by_addr }
    }

    /// The label of an address: `@alice`, `usd`, `dex[0]`, else the `0x` address.
    pub fn address(&self, addr: &Address) -> String {
        self.by_addr
            .get(addr)
            .cloned()
            .unwrap_or_else(|| address_text(addr))
    }

    /// A value of type `ty` as text, addresses labelled, struct fields named
    /// (`Pool { token0: usd, reserve0: 5 }`); leaves as `receipt_json` shows them.
    pub fn value(&self, ty: &ValueType, words: &[U256]) -> String {
        if words.len() != ty.words() {
            return self.relabel(value_text(&value_json(ty, words)));
        }
        let mut pos = 0;
        self.value_at(ty, words, &mut pos)
    }

    fn value_at(&self, ty: &ValueType, words: &[U256], pos: &mut usize) -> String {
        match ty {
            ValueType::Tuple(elems) if !elems.is_empty() => {
                let parts: Vec<String> =
                    elems.iter().map(|t| self.value_at(t, words, pos)).collect();
                format!("({})", parts.join(", "))
            }
            ValueType::Struct(name, fields) => {
                let parts: Vec<String> = fields
                    .iter()
                    .map(|(f, t)| format!("{f}: {}", self.value_at(t, words, pos)))
                    .collect();
                format!("{name} {{ {} }}", parts.join(", "))
            }
            leaf => {
                let n = leaf.words();
                let part = words.get(*pos..*pos + n).unwrap_or(&[]);
                *pos += n;
                self.relabel(value_text(&value_json(leaf, part)))
            }
        }
    }

    /// Replaces every known `0x` address in `text` by its label.
    fn relabel(&self, mut text: String) -> String {
        for (addr, label) in &self.by_addr {
            let hex = address_text(addr);
            if text.contains(&hex) {
                text = text.replace(&hex, label);
            }
        }
        text
    }

    /// An event as `Name(param: value, …)`.
    pub fn event(&self, event: &Event) -> String {
        let values = params_json(event.params(), &event.args);
        let parts: Vec<String> = event
            .params()
            .iter()
            .zip(values)
            .map(|((name, _), v)| format!("{name}: {}", self.relabel(value_text(&v))))
            .collect();
        format!("{}({})", event.name(), parts.join(", "))
    }

    /// A storage place `instance.field[key]` of an access entry or a touched slot.
    pub fn place(&self, chain: &Chain, contract: &Address, field: u16, key: AccessKey) -> String {
        let module = chain.module_at(contract);
        let (field_name, key_ty) = field_of(module, field);
        let key_text = match (key, key_ty) {
            (AccessKey::Whole, _) => "[*]".to_string(),
            (AccessKey::Key(_), None) => String::new(),
            (AccessKey::Key(k), Some(ty)) => format!("[{}]", self.key(k, &ty)),
        };
        format!("{}.{field_name}{key_text}", self.address(contract))
    }

    /// A map key word: a value of a one-word key type, or the hash of a tuple key.
    fn key(&self, word: U256, ty: &ValueType) -> String {
        match ty {
            ValueType::Address | ValueType::Contract(_)
                if ty.max_word().is_none_or(|m| word <= m) =>
            {
                self.address(&word_to_address(word))
            }
            ValueType::Tuple(elems) => self.tuple_key(word, elems).unwrap_or_else(|| {
                let hex = format!("{word:x}");
                format!("#{}", &hex[..hex.len().min(8)])
            }),
            ValueType::Struct(..) => {
                let hex = format!("{word:x}");
                format!("#{}", &hex[..hex.len().min(8)])
            }
            _ => word.to_string(),
        }
    }
}

impl Labels {
    /// A pair key (`allowances[(owner, spender)]`, `shares[(pool, who)]`) found among
    /// the labelled addresses and small integers: the map key word is a hash, so it
    /// is named by trying the candidates. `None` when no candidate matches.
    fn tuple_key(&self, word: U256, elems: &[ValueType]) -> Option<String> {
        let [a, b] = elems else { return None };
        let candidates = |ty: &ValueType| -> Vec<(U256, String)> {
            match ty {
                ValueType::Address | ValueType::Contract(_) => self
                    .by_addr
                    .iter()
                    .map(|(addr, label)| (address_to_word(addr), label.clone()))
                    .collect(),
                ValueType::Bool => vec![
                    (U256::ZERO, "false".into()),
                    (U256::from(1u8), "true".into()),
                ],
                _ => (0..NAMED_SUB_ACCOUNTS)
                    .map(|k| (U256::from(k), k.to_string()))
                    .collect(),
            }
        };
        let second = candidates(b);
        for (wa, la) in candidates(a) {
            for (wb, lb) in &second {
                if braid_bytecode::encode::map_key_word(&[wa, *wb]) == word {
                    return Some(format!("({la}, {lb})"));
                }
            }
        }
        None
    }
}

/// A field's name and key type (`None` for a scalar) in a module's layout.
pub fn field_of(module: Option<&Module>, field: u16) -> (String, Option<ValueType>) {
    match module.and_then(|m| m.storage.get(usize::from(field))) {
        Some(f) => (f.name.clone(), f.key.clone()),
        None => (format!("field{field}"), Some(ValueType::U256)),
    }
}

/// The place of an access entry.
pub fn entry_place(labels: &Labels, chain: &Chain, e: &AccessEntry) -> String {
    labels.place(chain, &e.contract, e.field, e.key)
}

/// An address as a word (for arguments of address type).
pub fn word_of(addr: &Address) -> U256 {
    address_to_word(addr)
}
