//! Errors and warnings of the morphology layer.

use std::fmt;

/// A morphology that cannot be used, with the file and line it comes from.
///
/// `Display` gives `file:line: problem` (or `file: problem` when no line applies),
/// e.g. `cell.swc:12: parent 44 of point 13 does not exist`.
#[derive(Debug, Clone, PartialEq)]
pub struct MorphError {
    /// The file name as given by the caller (a path or a label).
    pub file: String,
    /// 1-based line number in the file, when the problem has one.
    pub line: Option<usize>,
    /// What is wrong, in words.
    pub message: String,
}

impl MorphError {
    pub fn new(file: &str, line: Option<usize>, message: impl Into<String>) -> Self {
        MorphError { file: file.to_string(), line, message: message.into() }
    }
}

impl fmt::Display for MorphError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{}: {}", self.file, l, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for MorphError {}
