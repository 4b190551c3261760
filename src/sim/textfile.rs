//! Reading input files through a byte limit (docs/limits.md).
//!
//! The size a filesystem reports says nothing about what a read will return: `/dev/zero`,
//! a pipe or a FIFO report 0 bytes and never end. Every input file is therefore read
//! through [`std::io::Read::take`] with a limit, and refused when more bytes follow.

use std::fmt;
use std::io::Read;
use std::path::Path;

/// Largest morphology file (SWC or Neurolucida ASC) read, in bytes (1 GiB).
pub const MAX_MORPHOLOGY_BYTES: u64 = 1 << 30;
/// Largest JSON file (model spec, setup, lesson, cell model) read, in bytes (64 MiB).
pub const MAX_JSON_BYTES: u64 = 64 << 20;

/// Why a file could not be read.
#[derive(Debug)]
pub enum ReadError {
    /// The operating system's error (missing file, no permission, ...).
    Io(std::io::Error),
    /// The path names a directory.
    Directory,
    /// More than `limit` bytes.
    TooLarge { limit: u64 },
    /// JSON files must be UTF-8 text.
    NotUtf8 { valid_up_to: usize },
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Io(e) => write!(f, "cannot read the file: {e}"),
            ReadError::Directory => f.write_str("cannot read the file: it is a directory"),
            ReadError::TooLarge { limit } => {
                write!(f, "the file is too large (more than {limit} bytes, the limit for this kind of file)")
            }
            ReadError::NotUtf8 { valid_up_to } => {
                write!(f, "the file is not UTF-8 text (invalid byte after {valid_up_to} bytes)")
            }
        }
    }
}

impl std::error::Error for ReadError {}

/// Reads at most `limit` bytes of `path`; more is an error (nothing beyond `limit + 1`
/// bytes is ever read or held).
pub fn read_bytes_limited(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    if std::fs::metadata(path).map_err(ReadError::Io)?.is_dir() {
        return Err(ReadError::Directory);
    }
    let file = std::fs::File::open(path).map_err(ReadError::Io)?;
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes).map_err(ReadError::Io)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge { limit });
    }
    Ok(bytes)
}

/// Reads a UTF-8 text file of at most `limit` bytes.
pub fn read_text_limited(path: &Path, limit: u64) -> Result<String, ReadError> {
    let bytes = read_bytes_limited(path, limit)?;
    String::from_utf8(bytes).map_err(|e| ReadError::NotUtf8 { valid_up_to: e.utf8_error().valid_up_to() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endless_files_stop_at_the_limit() {
        // /dev/zero reports 0 bytes and never ends.
        let e = read_bytes_limited(Path::new("/dev/zero"), 1000).unwrap_err();
        assert!(matches!(e, ReadError::TooLarge { limit: 1000 }), "{e}");
        assert!(e.to_string().contains("more than 1000 bytes"));
    }

    #[test]
    fn small_files_directories_and_missing_files() {
        let dir = std::env::temp_dir().join(format!("dendra-textfile-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("a.txt");
        std::fs::write(&f, "hello").unwrap();
        assert_eq!(read_text_limited(&f, 5).unwrap(), "hello");
        assert!(matches!(read_text_limited(&f, 4), Err(ReadError::TooLarge { .. })));
        assert!(matches!(read_text_limited(&dir, 10), Err(ReadError::Directory)));
        assert!(matches!(read_text_limited(&dir.join("none"), 10), Err(ReadError::Io(_))));
        std::fs::write(&f, [b'a', 0xff, b'b']).unwrap();
        assert!(read_text_limited(&f, 10).unwrap_err().to_string().contains("after 1 bytes"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
