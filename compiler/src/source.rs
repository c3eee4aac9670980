//! The set of source files of one compilation, with their names and text.

use crate::span::FileId;

/// One loaded source file.
#[derive(Clone, Debug)]
pub struct SourceFileText {
    /// The name shown in diagnostics (a relative path or `std::math`).
    pub name: String,
    /// The module path it was loaded as (`["token"]`, `["std", "math"]`), empty for the root file.
    pub module: Vec<String>,
    /// The text.
    pub text: String,
}

/// All files of a compilation, indexed by [`FileId`].
#[derive(Clone, Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFileText>,
}

impl SourceMap {
    /// Adds a file and returns its id.
    pub fn add(
        &mut self,
        name: impl Into<String>,
        module: Vec<String>,
        text: impl Into<String>,
    ) -> FileId {
        self.files.push(SourceFileText {
            name: name.into(),
            module,
            text: text.into(),
        });
        FileId((self.files.len() - 1) as u32)
    }

    /// The file with this id.
    pub fn get(&self, id: FileId) -> &SourceFileText {
        &self.files[id.0 as usize]
    }

    /// The id of the file loaded as `module`, if any.
    pub fn find_module(&self, module: &[String]) -> Option<FileId> {
        self.files
            .iter()
            .position(|f| f.module == module)
            .map(|i| FileId(i as u32))
    }

    /// All files in load order.
    pub fn iter(&self) -> impl Iterator<Item = (FileId, &SourceFileText)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(i as u32), f))
    }
}
