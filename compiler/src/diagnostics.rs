//! Diagnostics: every user-facing problem, with a stable code, spans, labels and help,
//! rendered in one place with `codespan-reporting`.
//!
//! Passes push [`Diagnostic`]s into a [`Diagnostics`] bag and keep going; the driver
//! decides when errors block the next pass.

pub(crate) mod similar;

use crate::source::SourceMap;
use crate::span::Span;
use codespan_reporting::diagnostic as cs;
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term;

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

/// Renders diagnostics in the rustc style with file:line:col, the source line, labels,
/// notes and help, followed by a summary line.
pub fn render(diags: &[Diagnostic], sources: &SourceMap, colour: bool) -> String {
    let mut files = SimpleFiles::new();
    let ids: Vec<usize> = sources
        .iter()
        .map(|(_, f)| files.add(f.name.clone(), f.text.clone()))
        .collect();
    let config = term::Config::default();
    let mut out: Vec<u8> = Vec::new();
    for d in diags {
        let sev = match d.severity() {
            Severity::Error => cs::Severity::Error,
            Severity::Warning => cs::Severity::Warning,
        };
        let file_of = |s: Span| ids.get(s.file.0 as usize).copied().unwrap_or(0);
        let mut labels = vec![
            cs::Label::primary(file_of(d.primary.span), d.primary.span.range())
                .with_message(d.primary.message.clone()),
        ];
        for l in &d.secondary {
            labels.push(
                cs::Label::secondary(file_of(l.span), l.span.range())
                    .with_message(l.message.clone()),
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
            let _ = term::emit_to_write_style(&mut w, &config, &files, &diag);
        } else {
            let mut w = codespan_reporting::term::termcolor::NoColor::new(&mut out);
            let _ = term::emit_to_write_style(&mut w, &config, &files, &diag);
        }
    }
    let errors = diags
        .iter()
        .filter(|d| d.severity() == Severity::Error)
        .count();
    let warnings = diags.len() - errors;
    let mut text = String::from_utf8_lossy(&out).into_owned();
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
