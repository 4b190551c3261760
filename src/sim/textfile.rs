//! Reading input files through a byte limit (docs/limits.md).
//!
//! Only regular files are read: a FIFO would block the program before its window opens,
//! and `/dev/zero` or a terminal never end. A file's size is checked from its metadata
//! before a byte is read (a 2 GB file is refused at once, without reading it), and the
//! read itself still goes through [`std::io::Read::take`] with the limit, in case the
//! file grows while it is read.

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
    /// The path names something that is not a regular file (a FIFO, a device, a socket).
    NotAFile,
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
            ReadError::NotAFile => {
                f.write_str("cannot read the file: it is not a regular file (a pipe, a device or a socket)")
            }
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

/// Reads at most `limit` bytes of the regular file `path`; more is an error, found from
/// the file's size before reading (and, should it grow meanwhile, after `limit + 1`
/// bytes: nothing beyond them is ever read or held).
pub fn read_bytes_limited(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    let meta = std::fs::metadata(path).map_err(ReadError::Io)?;
    if meta.is_dir() {
        return Err(ReadError::Directory);
    }
    if !meta.is_file() {
        // Opening a FIFO for reading blocks until a writer comes: never open one.
        return Err(ReadError::NotAFile);
    }
    if meta.len() > limit {
        return Err(ReadError::TooLarge { limit });
    }
    let file = std::fs::File::open(path).map_err(ReadError::Io)?;
    // The file was regular a moment ago; should it have been swapped for something else,
    // the open file says so.
    if !file.metadata().map_err(ReadError::Io)?.is_file() {
        return Err(ReadError::NotAFile);
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes).map_err(ReadError::Io)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge { limit });
    }
    Ok(bytes)
}

/// Reads a UTF-8 text file of at most `limit` bytes. A byte order mark at its start (as
/// some Windows editors write) is dropped.
pub fn read_text_limited(path: &Path, limit: u64) -> Result<String, ReadError> {
    let mut bytes = read_bytes_limited(path, limit)?;
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    String::from_utf8(bytes).map_err(|e| ReadError::NotUtf8 { valid_up_to: e.utf8_error().valid_up_to() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_and_fifos_are_not_opened() {
        // /dev/zero reports 0 bytes and never ends: refused before a byte is read.
        let e = read_bytes_limited(Path::new("/dev/zero"), 1000).unwrap_err();
        assert!(matches!(e, ReadError::NotAFile), "{e}");
        assert!(e.to_string().contains("not a regular file"));
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let dir = std::env::temp_dir().join(format!("dendra-fifo-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let fifo = dir.join("cell.swc");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if made.is_ok_and(|s| s.success()) {
            // Opening it would block forever (no writer): the reader must refuse first.
            let (tx, rx) = std::sync::mpsc::channel();
            let f = fifo.clone();
            std::thread::spawn(move || tx.send(read_bytes_limited(&f, 1000).map(|_| ())).unwrap());
            let got = rx.recv_timeout(std::time::Duration::from_secs(10)).expect("reading a FIFO blocked");
            assert!(matches!(got, Err(ReadError::NotAFile)), "{got:?}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_large_sparse_file_is_refused_from_its_size() {
        let dir = std::env::temp_dir().join(format!("dendra-sparse-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("big.swc");
        // 2 GB that take no disk: refused by its size, nothing read.
        std::fs::File::create(&f).unwrap().set_len(2 << 30).unwrap();
        let e = read_bytes_limited(&f, 1 << 20).unwrap_err();
        assert!(matches!(e, ReadError::TooLarge { limit: 1048576 }), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_byte_order_mark_is_dropped() {
        let dir = std::env::temp_dir().join(format!("dendra-bom-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("setup.json");
        std::fs::write(&f, b"\xEF\xBB\xBF{\"a\": 1}").unwrap();
        assert_eq!(read_text_limited(&f, 100).unwrap(), "{\"a\": 1}");
        std::fs::remove_dir_all(&dir).unwrap();
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
