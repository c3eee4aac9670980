//! Source files as diagnostics show them: a line longer than [`MAX_LINE_WIDTH`]
//! characters is shown as a window of that width around the diagnostic's labels, with
//! `…` where text was cut, so the output of one diagnostic is bounded whatever the
//! length of its line (a 30 KB line repeated under each of a thousand errors was
//! quadratic output). Line and column numbers stay those of the original file.

use codespan_reporting::files::{Error, Files, line_starts};
use std::collections::BTreeMap;
use std::ops::Range;

/// The most characters of a source line a diagnostic shows.
pub const MAX_LINE_WIDTH: usize = 160;

const ELLIPSIS: &str = "…";

/// One clipped line: which original bytes it keeps.
#[derive(Clone, Debug)]
struct Clip {
    /// The kept original bytes.
    keep: Range<usize>,
    /// Bytes before the kept text in the shown line (the leading `…`, if any).
    prefix: usize,
}

/// A file as shown: its text, possibly with long lines clipped. Clipping keeps every
/// line, so line `i` of the shown text is line `i` of the original.
#[derive(Clone, Debug)]
pub(crate) struct ShownFile<'a> {
    name: String,
    /// The original text and its line starts.
    orig: &'a str,
    orig_starts: Vec<usize>,
    /// The text shown (the original when nothing was clipped) and its line starts.
    text: String,
    line_starts: Vec<usize>,
    /// The clipped lines, by line index.
    clips: BTreeMap<usize, Clip>,
}

impl<'a> ShownFile<'a> {
    /// The file unchanged.
    pub(crate) fn new(name: String, orig: &'a str) -> ShownFile<'a> {
        let starts: Vec<usize> = line_starts(orig).collect();
        ShownFile {
            name,
            orig,
            orig_starts: starts.clone(),
            text: orig.to_owned(),
            line_starts: starts,
            clips: BTreeMap::new(),
        }
    }

    /// Whether any line is too long to show whole.
    pub(crate) fn has_long_lines(&self) -> bool {
        self.orig_starts
            .iter()
            .zip(self.orig_starts.iter().skip(1).chain([&self.orig.len()]))
            .any(|(a, b)| b - a > MAX_LINE_WIDTH)
    }

    /// The file with every line longer than [`MAX_LINE_WIDTH`] characters cut to a
    /// window around the first of `anchors` (original byte offsets) in it.
    pub(crate) fn clipped(&self, anchors: &[usize]) -> ShownFile<'a> {
        let mut text = String::with_capacity(self.orig.len().min(1 << 16));
        let mut clips = BTreeMap::new();
        let mut orig_start = 0;
        for (index, line) in self.orig.split_inclusive('\n').enumerate() {
            let body = line.trim_end_matches(['\n', '\r']);
            if body.len() <= MAX_LINE_WIDTH || body.chars().count() <= MAX_LINE_WIDTH {
                text.push_str(line);
            } else {
                let end = orig_start + body.len();
                let anchor = anchors
                    .iter()
                    .copied()
                    .find(|a| (orig_start..=end).contains(a))
                    .unwrap_or(orig_start);
                // A window of MAX_LINE_WIDTH characters, a third of it before the anchor.
                let before: usize = self.orig[orig_start..anchor]
                    .char_indices()
                    .rev()
                    .nth(MAX_LINE_WIDTH / 3)
                    .map_or(orig_start, |(i, _)| orig_start + i);
                let keep_end = self.orig[before..end]
                    .char_indices()
                    .nth(MAX_LINE_WIDTH)
                    .map_or(end, |(i, _)| before + i);
                let prefix = if before > orig_start {
                    text.push_str(ELLIPSIS);
                    ELLIPSIS.len()
                } else {
                    0
                };
                text.push_str(&self.orig[before..keep_end]);
                if keep_end < end {
                    text.push_str(ELLIPSIS);
                }
                text.push_str(&line[body.len()..]);
                clips.insert(
                    index,
                    Clip {
                        keep: before..keep_end,
                        prefix,
                    },
                );
            }
            orig_start += line.len();
        }
        let line_starts = line_starts(&text).collect();
        ShownFile {
            name: self.name.clone(),
            orig: self.orig,
            orig_starts: self.orig_starts.clone(),
            text,
            line_starts,
            clips,
        }
    }

    /// Where original byte `offset` is shown (clamped into the window of its line).
    pub(crate) fn map(&self, offset: usize) -> usize {
        let line = index_of(&self.orig_starts, offset);
        let (orig_start, start) = (self.orig_starts[line], self.line_starts[line]);
        let shown = match self.clips.get(&line) {
            Some(c) => start + c.prefix + (offset.clamp(c.keep.start, c.keep.end) - c.keep.start),
            None => start + (offset - orig_start),
        };
        shown.min(self.text.len())
    }

    /// The original byte shown at `shown` (for column numbers).
    fn unmap(&self, shown: usize) -> usize {
        let line = index_of(&self.line_starts, shown);
        let (orig_start, start) = (self.orig_starts[line], self.line_starts[line]);
        let orig = match self.clips.get(&line) {
            Some(c) => c.keep.start + shown.saturating_sub(start + c.prefix).min(c.keep.len()),
            None => orig_start + (shown - start),
        };
        orig.min(self.orig.len())
    }
}

/// The index of the line (given its starts, the first being 0) holding `offset`.
fn index_of(starts: &[usize], offset: usize) -> usize {
    starts.partition_point(|&s| s <= offset).saturating_sub(1)
}

/// The files shown by one diagnostic.
pub(crate) struct Shown<'f, 'a> {
    pub(crate) files: Vec<&'f ShownFile<'a>>,
}

impl<'f, 'a> Files<'f> for Shown<'f, 'a> {
    type FileId = usize;
    type Name = &'f str;
    type Source = &'f str;

    fn name(&'f self, id: usize) -> Result<&'f str, Error> {
        self.files
            .get(id)
            .map(|f| f.name.as_str())
            .ok_or(Error::FileMissing)
    }

    fn source(&'f self, id: usize) -> Result<&'f str, Error> {
        self.files
            .get(id)
            .map(|f| f.text.as_str())
            .ok_or(Error::FileMissing)
    }

    fn line_index(&'f self, id: usize, byte_index: usize) -> Result<usize, Error> {
        let f = self.files.get(id).ok_or(Error::FileMissing)?;
        Ok(f.line_starts
            .binary_search(&byte_index)
            .unwrap_or_else(|next| next.saturating_sub(1)))
    }

    fn column_number(
        &'f self,
        id: usize,
        line_index: usize,
        byte_index: usize,
    ) -> Result<usize, Error> {
        let f = self.files.get(id).ok_or(Error::FileMissing)?;
        let orig_line_start = f.orig_starts.get(line_index).copied().unwrap_or(0);
        let orig = f.unmap(byte_index).max(orig_line_start);
        let text = f.orig.get(orig_line_start..orig).unwrap_or("");
        Ok(text.chars().count() + 1)
    }

    fn line_range(&'f self, id: usize, line_index: usize) -> Result<Range<usize>, Error> {
        let f = self.files.get(id).ok_or(Error::FileMissing)?;
        let start = *f.line_starts.get(line_index).ok_or(Error::LineTooLarge {
            given: line_index,
            max: f.line_starts.len().saturating_sub(1),
        })?;
        let end = f
            .line_starts
            .get(line_index + 1)
            .copied()
            .unwrap_or(f.text.len());
        Ok(start..end)
    }
}
