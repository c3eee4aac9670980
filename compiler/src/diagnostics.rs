//! Diagnostics: every user-facing problem, with a stable code, spans, labels and help,
//! rendered in one place with `codespan-reporting`.
//!
//! Passes push [`Diagnostic`]s into a [`Diagnostics`] bag and keep going; the driver
//! decides when errors block the next pass.

mod clip;
pub(crate) mod similar;

use crate::source::SourceMap;
use crate::span::Span;
use codespan_reporting::diagnostic as cs;
use codespan_reporting::term;
use std::collections::BTreeMap;

/// How bad a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// The program is still accepted.
    Warning,
    /// The program is rejected.
    Error,
}

macro_rules! codes {
    ($($name:ident = $code:literal, $sev:ident, $what:literal;)*) => {
        /// Every diagnostic kind, declared once. The code (`E0201`) is stable.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Code { $(#[doc = $what] $name,)* }

        impl Code {
            /// The stable id shown to users, e.g. `E0201`.
            pub fn id(self) -> &'static str { match self { $(Code::$name => $code,)* } }
            /// The severity of this kind.
            pub fn severity(self) -> Severity { match self { $(Code::$name => Severity::$sev,)* } }
            /// A one-line description of the kind (for the book's table).
            pub fn description(self) -> &'static str { match self { $(Code::$name => $what,)* } }
            /// All codes, in table order.
            pub const ALL: &'static [Code] = &[$(Code::$name,)*];
        }
    };
}

codes! {
    // Lexical.
    BadCharacter = "E0101", Error, "a character that starts no token";
    UnterminatedComment = "E0102", Error, "a block comment with no closing `*/`";
    UnterminatedString = "E0103", Error, "a string literal with no closing quote";
    BadIntLiteral = "E0104", Error, "a malformed integer literal or one too large for u256";
    BadEscape = "E0105", Error, "an unknown escape in a string literal";
    NotUtf8 = "E0106", Error, "the source file is not valid UTF-8";
    // Syntax.
    UnexpectedToken = "E0201", Error, "a token the grammar does not allow here";
    UnexpectedEof = "E0202", Error, "the file ends in the middle of an item";
    TooDeep = "E0203", Error, "nesting deeper than the limit of 256";
    BadAsTarget = "E0204", Error, "`as` after a call names something other than `self[k]`";
    Unsupported = "E0205", Error, "a declaration of a feature Braid does not have (`enum`, `interface`, `modifier`)";
    // Resolution.
    UnknownName = "E0301", Error, "a name that is not declared";
    Duplicate = "E0302", Error, "a name declared twice in one namespace";
    UnknownModule = "E0303", Error, "a `use` of a module that cannot be found";
    UnknownImport = "E0304", Error, "a `use` of a name the module does not declare";
    UnknownField = "E0305", Error, "a field that the struct or storage does not have";
    UnknownFunction = "E0306", Error, "a function that is not declared";
    UnknownEvent = "E0307", Error, "an event that is not declared";
    UnknownType = "E0308", Error, "a type name that is not declared";
    NoContract = "E0309", Error, "a file with no contract to compile";
    ImportCycle = "E0310", Error, "modules that import each other in a cycle";
    // Types.
    TypeMismatch = "E0401", Error, "a value of the wrong type";
    LiteralOutOfRange = "E0402", Error, "an integer literal that does not fit its type";
    WrongArity = "E0403", Error, "a call with the wrong number of arguments";
    NotAssignable = "E0404", Error, "an assignment to something that is not a mutable place";
    ImmutableLocal = "E0405", Error, "an assignment to a `let` without `mut`";
    MapOutsideStorage = "E0406", Error, "a `map` type outside `storage`";
    BadMapKey = "E0407", Error, "a map key type that is not an integer, address or tuple of those";
    NotConstant = "E0408", Error, "a constant or `**` operand that cannot be evaluated at compile time";
    ConstOverflow = "E0409", Error, "a constant expression that overflows or divides by zero";
    MissingReturn = "E0410", Error, "a function whose body does not produce its return type";
    BreakOutsideLoop = "E0411", Error, "`break` or `continue` outside a loop";
    BadStructLiteral = "E0412", Error, "a struct literal with missing or extra fields";
    NotCallable = "E0413", Error, "a call on a value that is not a contract";
    NonAssociative = "E0414", Error, "comparison operators chained without parentheses";
    BadCast = "E0415", Error, "an `as` conversion between types that do not convert";
    WholeMapValue = "E0416", Error, "a whole map used as a value";
    NotPublic = "E0417", Error, "an external call to a function that is not `pub`";
    StructInHead = "E0418", Error, "a struct literal directly in an `if`, `while` or `for` head";
    RecursiveStruct = "E0419", Error, "a struct that contains itself";
    StorageNameClash = "E0420", Error, "a parameter or local named like a storage field of its contract";
    UnusedLocal = "W0401", Warning, "a parameter or local the body never reads";
    UnusedFunction = "W0402", Warning, "a private function nothing calls";
    // Access annotations.
    AccessNotCovered = "E0501", Error, "a storage access not covered by the function's annotations";
    ViewWrites = "E0502", Error, "a `view fn` that writes storage";
    ImpureKey = "E0503", Error, "an annotation or call whose key is not a pure path";
    CallNotDeclared = "E0504", Error, "an external call not listed in `calls`";
    BadPattern = "E0505", Error, "an access pattern that names no storage field or a wrong key";
    RecursiveAccess = "E0506", Error, "recursive calls whose access summary grows without bound";
    UnusedAccess = "W0501", Warning, "an annotation the body never needs";
    UnusedCall = "W0502", Warning, "a `calls` entry the body never calls";
    Contention = "W0503", Warning, "a `pub fn` writing a scalar field or a whole map: every call conflicts";
    // Limits.
    TooManyLocals = "E0601", Error, "a function with more locals than the VM allows";
    TypeTooLarge = "E0602", Error, "a type that flattens to more words or nested types than the VM allows";
    EmptyStorageValue = "E0603", Error, "a storage value that holds no data (`()` or an empty struct)";
    TypeTooDeep = "E0604", Error, "a type nested deeper than the VM's limit of 64 levels";
    TooManyEntries = "E0605", Error, "a contract with more fields, events, functions, imports, constants or strings than bytecode can index";
    TooManyPatterns = "E0606", Error, "a function whose access summary has more patterns than the VM allows";
    ModuleTooLarge = "E0607", Error, "a contract whose bytecode would be larger than the VM accepts";
}

/// The lints about style and design rather than correctness: unused names (W0401,
/// W0402) and contention (W0503). Tests of other passes leave them out.
pub const STYLE_LINTS: &[Code] = &[Code::UnusedLocal, Code::UnusedFunction, Code::Contention];

/// A label: a span with a message.
#[derive(Clone, Debug, PartialEq)]
pub struct Label {
    /// Where.
    pub span: Span,
    /// What to say there (may be empty).
    pub message: String,
}

/// One user-facing problem.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    /// The kind (and so the severity).
    pub code: Code,
    /// The headline.
    pub message: String,
    /// The main place, with its label.
    pub primary: Label,
    /// Other places that explain it.
    pub secondary: Vec<Label>,
    /// `note:` lines.
    pub notes: Vec<String>,
    /// `help:` lines (how to fix it).
    pub help: Vec<String>,
}

impl Diagnostic {
    /// A diagnostic of kind `code` at `span`.
    pub fn new(code: Code, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            message: message.into(),
            primary: Label {
                span,
                message: String::new(),
            },
            secondary: Vec::new(),
            notes: Vec::new(),
            help: Vec::new(),
        }
    }

    /// Sets the primary label's text.
    pub fn with_label(mut self, message: impl Into<String>) -> Diagnostic {
        self.primary.message = message.into();
        self
    }

    /// Adds a secondary label.
    pub fn with_secondary(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.secondary.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    /// Adds a `note:`.
    pub fn with_note(mut self, note: impl Into<String>) -> Diagnostic {
        self.notes.push(note.into());
        self
    }

    /// Adds a `help:`.
    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help.push(help.into());
        self
    }

    /// The severity, from the code.
    pub fn severity(&self) -> Severity {
        self.code.severity()
    }
}

/// The diagnostics a compilation has produced so far.
#[derive(Clone, Debug, Default)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    /// Records a diagnostic.
    pub fn push(&mut self, d: Diagnostic) {
        self.items.push(d);
    }

    /// Whether any error (not warning) was recorded.
    pub fn has_errors(&self) -> bool {
        self.items.iter().any(|d| d.severity() == Severity::Error)
    }

    /// Number of errors.
    pub fn error_count(&self) -> usize {
        self.items
            .iter()
            .filter(|d| d.severity() == Severity::Error)
            .count()
    }

    /// All diagnostics in the order recorded.
    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter()
    }

    /// Keeps only the diagnostics for which `keep` holds.
    pub fn retain(&mut self, keep: impl FnMut(&Diagnostic) -> bool) {
        self.items.retain(keep);
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Diagnostics sorted by file and position (stable for snapshots), duplicates removed.
    pub fn sorted(&self) -> Vec<Diagnostic> {
        let mut v = self.items.clone();
        v.sort_by(|a, b| {
            (a.primary.span.file, a.primary.span.lo, a.primary.span.hi).cmp(&(
                b.primary.span.file,
                b.primary.span.lo,
                b.primary.span.hi,
            ))
        });
        v.dedup();
        v
    }

    /// Renders every diagnostic in the rustc style; `colour` adds ANSI colours.
    pub fn render(&self, sources: &SourceMap, colour: bool) -> String {
        render(&self.sorted(), sources, colour)
    }
}

impl Extend<Diagnostic> for Diagnostics {
    fn extend<T: IntoIterator<Item = Diagnostic>>(&mut self, iter: T) {
        self.items.extend(iter);
    }
}

/// The most diagnostics rendered: after these, one line says how many more there are.
/// Each diagnostic shows a bounded window of its source (see [`clip`]), so the
/// rendered output is bounded whatever the input.
pub const MAX_RENDERED: usize = 50;

/// Renders diagnostics in the rustc style with file:line:col, the source line, labels,
/// notes and help, followed by a summary line. At most [`MAX_RENDERED`] are shown; a
/// line then counts the errors and warnings left out.
pub fn render(diags: &[Diagnostic], sources: &SourceMap, colour: bool) -> String {
    let files: Vec<clip::ShownFile<'_>> = sources
        .iter()
        .map(|(_, f)| clip::ShownFile::new(f.name.clone(), &f.text))
        .collect();
    let long: Vec<bool> = files.iter().map(clip::ShownFile::has_long_lines).collect();
    let config = term::Config::default();
    let mut out: Vec<u8> = Vec::new();
    for d in diags.iter().take(MAX_RENDERED) {
        let sev = match d.severity() {
            Severity::Error => cs::Severity::Error,
            Severity::Warning => cs::Severity::Warning,
        };
        let file_of = |s: Span| {
            let i = s.file.0 as usize;
            if i < files.len() { i } else { 0 }
        };
        let all_labels = || std::iter::once(&d.primary).chain(&d.secondary);
        // Files with long lines are shown clipped around this diagnostic's labels.
        let mut clipped: BTreeMap<usize, clip::ShownFile<'_>> = BTreeMap::new();
        for l in all_labels() {
            let i = file_of(l.span);
            if long.get(i).copied().unwrap_or(false) && !clipped.contains_key(&i) {
                let anchors: Vec<usize> = all_labels()
                    .filter(|m| file_of(m.span) == i)
                    .map(|m| m.span.lo as usize)
                    .collect();
                if let Some(f) = files.get(i) {
                    clipped.insert(i, f.clipped(&anchors));
                }
            }
        }
        let shown = clip::Shown {
            files: files
                .iter()
                .enumerate()
                .map(|(i, f)| clipped.get(&i).unwrap_or(f))
                .collect(),
        };
        let range = |l: &Label| {
            let f = shown.files.get(file_of(l.span));
            let lo = f.map_or(0, |f| f.map(l.span.lo as usize));
            let hi = f.map_or(0, |f| f.map(l.span.hi as usize));
            lo..hi.max(lo)
        };
        let mut labels = vec![
            cs::Label::primary(file_of(d.primary.span), range(&d.primary))
                .with_message(d.primary.message.clone()),
        ];
        for l in &d.secondary {
            labels.push(
                cs::Label::secondary(file_of(l.span), range(l)).with_message(l.message.clone()),
            );
        }
        let mut notes: Vec<String> = d.notes.iter().map(|n| format!("note: {n}")).collect();
        notes.extend(d.help.iter().map(|h| format!("help: {h}")));
        let diag = cs::Diagnostic::new(sev)
            .with_code(d.code.id())
            .with_message(d.message.clone())
            .with_labels(labels)
            .with_notes(notes);
        if colour {
            let mut w = codespan_reporting::term::termcolor::Ansi::new(&mut out);
            let _ = term::emit_to_write_style(&mut w, &config, &shown, &diag);
        } else {
            let mut w = codespan_reporting::term::termcolor::NoColor::new(&mut out);
            let _ = term::emit_to_write_style(&mut w, &config, &shown, &diag);
        }
    }
    let errors = diags
        .iter()
        .filter(|d| d.severity() == Severity::Error)
        .count();
    let warnings = diags.len() - errors;
    let mut text = String::from_utf8_lossy(&out).into_owned();
    if diags.len() > MAX_RENDERED {
        let hidden = &diags[MAX_RENDERED..];
        let hidden_errors = hidden
            .iter()
            .filter(|d| d.severity() == Severity::Error)
            .count();
        let hidden_warnings = hidden.len() - hidden_errors;
        let mut parts = Vec::new();
        if hidden_errors > 0 {
            parts.push(plural(hidden_errors, "more error"));
        }
        if hidden_warnings > 0 {
            parts.push(plural(hidden_warnings, "more warning"));
        }
        text.push_str(&format!(
            "{}: {} not shown (only the first {MAX_RENDERED} diagnostics are)\n",
            if hidden_errors > 0 {
                "error"
            } else {
                "warning"
            },
            parts.join(" and ")
        ));
    }
    if errors > 0 {
        text.push_str(&format!(
            "error: could not compile due to {errors} error{}{}\n",
            if errors == 1 { "" } else { "s" },
            if warnings > 0 {
                format!(
                    "; {warnings} warning{} emitted",
                    if warnings == 1 { "" } else { "s" }
                )
            } else {
                String::new()
            }
        ));
    } else if warnings > 0 {
        text.push_str(&format!(
            "warning: {warnings} warning{} emitted\n",
            if warnings == 1 { "" } else { "s" }
        ));
    }
    text
}

/// `3 more errors`, `1 more error`.
fn plural(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The book's diagnostics chapter lists every code with its severity and meaning.
    #[test]
    fn book_lists_every_code() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../book/src/diagnostics.md");
        let text = std::fs::read_to_string(path).expect("book/src/diagnostics.md exists");
        for code in Code::ALL {
            let severity = match code.severity() {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            let row = format!("| `{}` | {severity} | {} |", code.id(), code.description());
            assert!(
                text.contains(&row),
                "book/src/diagnostics.md must have the row `{row}`"
            );
        }
    }

    /// Codes are unique: a code is an id users search for.
    #[test]
    fn codes_are_unique() {
        let mut ids: Vec<&str> = Code::ALL.iter().map(|c| c.id()).collect();
        ids.sort_unstable();
        let n = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), n);
    }
}
