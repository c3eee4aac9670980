//! "Did you mean": for a name that is not declared, the declared name in scope that is
//! closest to it, as a `help:` line (E0301, E0304, E0305, E0306, E0307, E0308, E0412).
//!
//! Closeness is the optimal string alignment distance (insertions, deletions,
//! substitutions and swaps of two neighbours, each costing one), over characters. A name
//! differing only in case is always close; otherwise the distance may be at most a third
//! of the name's length, so names of one or two characters get no suggestion (`x` for
//! `y` would be noise).

/// The kinds of names a suggestion can name, for its wording.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NameKind {
    /// A parameter or `let`/`for` local.
    Local,
    /// A storage field.
    StorageField,
    /// A constant.
    Constant,
    /// A function (internal, library, builtin or another contract's).
    Function,
    /// A struct or contract type, or a builtin type.
    Type,
    /// A struct's field.
    Field,
    /// An event.
    Event,
    /// An item a module declares (a type, constant or function), for `use`.
    Item,
}

impl NameKind {
    /// The kind as a noun phrase, for the help line.
    pub(crate) fn noun(self) -> &'static str {
        match self {
            NameKind::Local => "a local",
            NameKind::StorageField => "a storage field",
            NameKind::Constant => "a constant",
            NameKind::Function => "a function",
            NameKind::Type => "a type",
            NameKind::Field => "a field",
            NameKind::Event => "an event",
            NameKind::Item => "an item",
        }
    }
}

/// The edit distance between `a` and `b` (optimal string alignment, over characters).
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // Three rows: two back (for swaps), one back, current.
    let mut two_back: Vec<usize> = vec![0; b.len() + 1];
    let mut one_back: Vec<usize> = (0..=b.len()).collect();
    let mut current: Vec<usize> = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        current[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (one_back[j] + 1)
                .min(current[j - 1] + 1)
                .min(one_back[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(two_back[j - 2] + 1);
            }
            current[j] = d;
        }
        std::mem::swap(&mut two_back, &mut one_back);
        std::mem::swap(&mut one_back, &mut current);
    }
    one_back[b.len()]
}

/// How close `candidate` is to the misspelt `name`: `None` when it is not a likely
/// typo of it (or is the same name).
pub(crate) fn closeness(name: &str, candidate: &str) -> Option<usize> {
    if candidate == name || candidate == "_" {
        return None;
    }
    if candidate.to_lowercase() == name.to_lowercase() {
        return Some(0);
    }
    let limit = name.chars().count() / 3;
    // The distance is at least the difference in length: skip far candidates cheaply.
    if name.chars().count().abs_diff(candidate.chars().count()) > limit {
        return None;
    }
    let d = distance(name, candidate);
    (d > 0 && d <= limit).then_some(d)
}

/// The closest candidate to `name` (the first of equally close ones), as a `help:`
/// line.
pub(crate) fn similar_name_help<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = (NameKind, &'a str)>,
) -> Option<String> {
    let mut best: Option<(usize, NameKind, &str)> = None;
    for (kind, candidate) in candidates {
        let Some(d) = closeness(name, candidate) else {
            continue;
        };
        if best.is_none_or(|(bd, _, _)| d < bd) {
            best = Some((d, kind, candidate));
        }
    }
    best.map(|(_, kind, candidate)| {
        format!("{} with a similar name exists: `{candidate}`", kind.noun())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_counts_edits_and_swaps() {
        assert_eq!(distance("amont", "amount"), 1);
        assert_eq!(distance("amonut", "amount"), 1);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("balance", "balance"), 0);
    }

    #[test]
    fn only_likely_typos_are_close() {
        assert_eq!(closeness("amont", "amount"), Some(1));
        assert_eq!(closeness("Total", "total"), Some(0));
        assert_eq!(closeness("x", "y"), None);
        assert_eq!(closeness("ab", "ac"), None);
        assert_eq!(closeness("fee", "fees"), Some(1));
        assert_eq!(closeness("amount", "amount"), None);
        assert_eq!(closeness("balances", "owner"), None);
    }

    #[test]
    fn the_closest_candidate_wins_and_ties_keep_the_first() {
        let help = similar_name_help(
            "totl",
            [(NameKind::StorageField, "tota"), (NameKind::Local, "total")],
        );
        assert_eq!(
            help.as_deref(),
            Some("a storage field with a similar name exists: `tota`")
        );
        let help = similar_name_help("balanse", [(NameKind::Local, "balance")]);
        assert_eq!(
            help.as_deref(),
            Some("a local with a similar name exists: `balance`")
        );
        assert_eq!(similar_name_help("zzz", [(NameKind::Local, "a")]), None);
    }
}
