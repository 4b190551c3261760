//! Writing the commands' results: every write is checked. A closed pipe (`dendra morph
//! F --json | head -1`) ends the program quietly; any other failure (a full disk,
//! `/dev/full`) is an error message and status 1, never a panic.

use crate::sim::savefile::SaveFile;
use std::fmt;
use std::io::Write;

/// Why a command failed.
#[derive(Debug)]
pub enum CliError {
    /// Bad input or an impossible request, in words (names the file, line or flag).
    Input(String),
    /// The reader of standard output went away: not a failure of Dendra.
    BrokenPipe,
    /// Writing the output failed (`what` says where).
    Output { what: String, source: std::io::Error },
    /// The engine refused a request or stopped a run.
    Sim(crate::sim::engine::SimError),
    /// The lab refused a setup, a scene or a command.
    Lab(crate::lab::LabError),
    /// Ctrl+C or SIGTERM stopped the work; what was finished was written (the message
    /// says what). The exit status is 130, as a shell reports an interrupted command.
    Interrupted(String),
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Input(m) => f.write_str(m),
            CliError::BrokenPipe => f.write_str("standard output was closed"),
            CliError::Output { what, source } => write!(f, "{what}: cannot write: {source}"),
            CliError::Sim(e) => write!(f, "{e}"),
            CliError::Lab(e) => write!(f, "{e}"),
            CliError::Interrupted(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for CliError {}

impl From<crate::lab::LabError> for CliError {
    fn from(e: crate::lab::LabError) -> Self {
        CliError::Lab(e)
    }
}

impl From<crate::sim::engine::SimError> for CliError {
    fn from(e: crate::sim::engine::SimError) -> Self {
        CliError::Sim(e)
    }
}

impl From<String> for CliError {
    fn from(m: String) -> Self {
        CliError::Input(m)
    }
}

impl From<&str> for CliError {
    fn from(m: &str) -> Self {
        CliError::Input(m.to_string())
    }
}

fn stdout_error(e: std::io::Error) -> CliError {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        CliError::BrokenPipe
    } else {
        CliError::Output { what: "standard output".into(), source: e }
    }
}

/// Writes `text` to standard output and flushes it.
pub fn write_stdout(text: &str) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes()).map_err(stdout_error)?;
    out.flush().map_err(stdout_error)
}

/// Where a command writes its result: standard output (`-`) or a file, written beside
/// its place and renamed into it when complete ([`SaveFile`]). Made before the work, so
/// that a path that cannot be written fails at once.
pub enum OutFile {
    Stdout,
    File(SaveFile),
}

impl OutFile {
    pub fn create(path: &std::path::Path) -> Result<OutFile, CliError> {
        if path.as_os_str() == "-" {
            return Ok(OutFile::Stdout);
        }
        SaveFile::create(path)
            .map(OutFile::File)
            .map_err(|e| CliError::Output { what: path.display().to_string(), source: e })
    }

    /// Writes `text` and puts the file in place.
    pub fn finish(self, text: &str) -> Result<(), CliError> {
        match self {
            OutFile::Stdout => write_stdout(text),
            OutFile::File(mut f) => {
                let what = f.target().display().to_string();
                f.write_all(text.as_bytes())
                    .and_then(|_| f.commit())
                    .map_err(|e| CliError::Output { what, source: e })
            }
        }
    }
}

/// A message on standard error. Where even standard error is gone there is nobody
/// left to tell, so a failed write is deliberately not reported further.
pub fn report(message: &str) {
    let mut err = std::io::stderr().lock();
    if writeln!(err, "{message}").is_err() {
        // Nothing else can be done: the program ends with its status.
    }
}
