//! Source maps: where each function's code came from, for failure locations and
//! traces (`braid run` prints `at contracts/dex.braid:120:9`).
//!
//! A source map is debug information, optional (`braid compile --strip` leaves it
//! out) and never read while code runs: only after a failure or under `--trace`. It
//! is kept compact as a line table: each function lists [`SourcePosition`]s in code
//! order, and a position holds for every offset from its own up to the next one's,
//! so the compiler writes one only where the source position changes.
//!
//! A code offset ([`CodeOffset`]) names an instruction by block and index in the
//! block; the index equal to the block's instruction count is its terminator.
//!
//! The encoding ([`crate::encode`]) is a section after the module's code with its own
//! version ([`SOURCE_MAP_VERSION`]); the verifier checks it against the code (one
//! entry per function, every offset inside its function, every file index in the
//! file table, offsets strictly increasing), so a corrupt map is a load error.

use super::limits;
use serde::{Deserialize, Serialize};

/// The version of the source map section written by this crate.
pub const SOURCE_MAP_VERSION: u32 = 1;

/// An instruction of a function: block `block`, instruction `instr` of it, or its
/// terminator when `instr` is the block's instruction count.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct CodeOffset {
    /// The basic block.
    pub block: u32,
    /// The instruction in the block (the block's instruction count: its terminator).
    pub instr: u32,
}

/// From code offset `at` on (up to the next position), the code came from `line:col`
/// of file `file`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SourcePosition {
    /// The first code offset it covers.
    pub at: CodeOffset,
    /// Index into [`SourceMap::files`].
    pub file: u16,
    /// Line, from 1.
    pub line: u32,
    /// Column in characters, from 1.
    pub col: u32,
}

/// The positions of one function, in strictly increasing code offset order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FunctionSourceMap {
    /// The positions (at most [`limits::MAX_SOURCE_POSITIONS`], checked when decoding).
    #[serde(deserialize_with = "limits::bounded::positions")]
    pub positions: Vec<SourcePosition>,
}

/// A module's source map: the file names and one [`FunctionSourceMap`] per function
/// (same indices as the module's functions).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SourceMap {
    /// Source file names, as the compiler showed them (`contracts/dex.braid`,
    /// `std::fixed`).
    #[serde(deserialize_with = "limits::bounded::table")]
    pub files: Vec<String>,
    /// One per function of the module.
    #[serde(deserialize_with = "limits::bounded::table")]
    pub functions: Vec<FunctionSourceMap>,
}

/// A resolved source location: `file:line:col`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SourceLocation<'a> {
    /// The file name.
    pub file: &'a str,
    /// Line, from 1.
    pub line: u32,
    /// Column, from 1.
    pub col: u32,
}

impl std::fmt::Display for SourceLocation<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.col)
    }
}

impl SourceMap {
    /// The location of offset `at` of function `func`: the last position at or
    /// before it (`None` when the function has none there, or the map does not
    /// cover the function).
    pub fn location(&self, func: u16, at: CodeOffset) -> Option<SourceLocation<'_>> {
        let positions = &self.functions.get(usize::from(func))?.positions;
        let i = positions.partition_point(|p| p.at <= at);
        let p = positions.get(i.checked_sub(1)?)?;
        Some(SourceLocation {
            file: self.files.get(usize::from(p.file))?,
            line: p.line,
            col: p.col,
        })
    }
}

/// The encoded source map section: its version, then the map.
#[derive(Serialize, Deserialize)]
pub(crate) struct Section {
    /// [`SOURCE_MAP_VERSION`] when written.
    pub version: u32,
    /// The map.
    pub map: SourceMap,
}

/// The same section, borrowed for encoding.
#[derive(Serialize)]
pub(crate) struct SectionRef<'a> {
    /// [`SOURCE_MAP_VERSION`].
    pub version: u32,
    /// The map.
    pub map: &'a SourceMap,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(block: u32, instr: u32, line: u32) -> SourcePosition {
        SourcePosition {
            at: CodeOffset { block, instr },
            file: 0,
            line,
            col: 5,
        }
    }

    #[test]
    fn a_position_holds_until_the_next_one() {
        let map = SourceMap {
            files: vec!["a.braid".into()],
            functions: vec![FunctionSourceMap {
                positions: vec![pos(0, 0, 3), pos(0, 4, 7), pos(2, 0, 9)],
            }],
        };
        let line = |block, instr| map.location(0, CodeOffset { block, instr }).map(|l| l.line);
        assert_eq!(line(0, 0), Some(3));
        assert_eq!(line(0, 3), Some(3));
        assert_eq!(line(0, 4), Some(7));
        assert_eq!(line(1, 0), Some(7));
        assert_eq!(line(2, 5), Some(9));
        assert_eq!(map.location(1, CodeOffset::default()), None);
        assert_eq!(
            map.location(0, CodeOffset { block: 0, instr: 4 })
                .map(|l| l.to_string()),
            Some("a.braid:7:5".to_string())
        );
    }
}
