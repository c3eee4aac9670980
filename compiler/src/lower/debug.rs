//! The module's source map: each function's code spans as a line table of
//! `file:line:col` positions (see [`braid_bytecode::SourceMap`]).

use super::func::CodeSpans;
use crate::source::SourceMap as Sources;
use crate::span::{FileId, Span};
use braid_bytecode::{CodeOffset, FunctionSourceMap, SourceMap, SourcePosition};
use std::collections::BTreeMap;

/// Files in first-use order, with their line starts.
struct Files<'s> {
    sources: &'s Sources,
    /// Compiler file → (index in the map's files, line start offsets).
    index: BTreeMap<FileId, (u16, Vec<usize>)>,
    names: Vec<String>,
}

impl Files<'_> {
    /// The map's file index and the 1-based line and column (in characters) of `span`'s start.
    fn position(&mut self, span: Span) -> Option<(u16, u32, u32)> {
        let text = &self.sources.iter().nth(span.file.0 as usize)?.1.text;
        if !self.index.contains_key(&span.file) {
            let i = u16::try_from(self.names.len()).ok()?;
            let name = self.sources.get(span.file).name.clone();
            self.names.push(name);
            let starts = codespan_reporting::files::line_starts(text).collect();
            self.index.insert(span.file, (i, starts));
        }
        let (i, starts) = self.index.get(&span.file)?;
        let lo = (span.lo as usize).min(text.len());
        let line = starts.partition_point(|&s| s <= lo).max(1) - 1;
        let start = *starts.get(line)?;
        let col = text.get(start..lo).map_or(0, |t| t.chars().count());
        Some((
            *i,
            u32::try_from(line + 1).unwrap_or(u32::MAX),
            u32::try_from(col + 1).unwrap_or(u32::MAX),
        ))
    }
}

/// The source map of a module whose functions' code has `spans` (same indices).
pub(super) fn source_map(sources: &Sources, spans: &[CodeSpans]) -> SourceMap {
    let mut files = Files {
        sources,
        index: BTreeMap::new(),
        names: Vec::new(),
    };
    let functions = spans
        .iter()
        .map(|blocks| {
            let mut positions: Vec<SourcePosition> = Vec::new();
            for (b, (instrs, term)) in blocks.iter().enumerate() {
                let code = instrs.iter().chain(std::iter::once(term));
                for (i, span) in code.enumerate() {
                    let Some((file, line, col)) = files.position(*span) else {
                        continue;
                    };
                    // A line table: a position only where it changes.
                    if positions
                        .last()
                        .is_some_and(|p| (p.file, p.line, p.col) == (file, line, col))
                    {
                        continue;
                    }
                    positions.push(SourcePosition {
                        at: CodeOffset {
                            block: u32::try_from(b).unwrap_or(u32::MAX),
                            instr: u32::try_from(i).unwrap_or(u32::MAX),
                        },
                        file,
                        line,
                        col,
                    });
                }
            }
            FunctionSourceMap { positions }
        })
        .collect();
    SourceMap {
        files: files.names,
        functions,
    }
}
