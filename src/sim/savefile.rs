//! Writing output files so that a failure never loses what was there: a file is written
//! to a temporary file beside it and renamed into place only once it is complete and on
//! disk. A run that fails, Ctrl+C, SIGTERM or a full disk leave the previous file as it
//! was; two programs writing the same path leave one of the two complete files, never a
//! mixture. Nothing but the temporary file this module made is ever removed.
//!
//! A device that exists at the path (`/dev/null`, a terminal) is written directly, as the
//! user asked, and never replaced or removed; a FIFO or a socket is refused (opening one
//! for writing waits for a reader, which would hang the program).

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// An output file being written; [`SaveFile::commit`] puts it in place. Dropped
/// without a commit, it removes its temporary file and leaves the target untouched.
#[derive(Debug)]
pub struct SaveFile {
    /// Where the file goes (a symbolic link's target: the link stays a link).
    target: PathBuf,
    /// The temporary file being written, when the target is (or will be) a regular file.
    temp: Option<PathBuf>,
    file: Option<File>,
}

/// Names the temporary files of one process apart.
static NEXT: AtomicU64 = AtomicU64::new(0);

impl SaveFile {
    /// Starts writing `path`: checks that it can be written (its folder exists, it is not
    /// a folder) by creating the temporary file now, before any work is done.
    pub fn create(path: &Path) -> io::Result<SaveFile> {
        if path.as_os_str().is_empty() {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "an empty path"));
        }
        // Follow a symbolic link, so that the link's target is replaced, not the link.
        let target = match std::fs::canonicalize(path) {
            Ok(p) => p,
            Err(_) => path.to_path_buf(),
        };
        match std::fs::metadata(&target) {
            Ok(m) if m.is_dir() => {
                return Err(io::Error::new(io::ErrorKind::IsADirectory, "it is a directory"));
            }
            Ok(m) if !m.is_file() => {
                // A FIFO (or a socket) is refused: opening one for writing waits for a
                // reader, and would hang the program (the window's check of `--screenshot`
                // before it opens among others).
                #[cfg(unix)]
                {
                    use std::os::unix::fs::FileTypeExt;
                    if !m.file_type().is_char_device() {
                        return Err(io::Error::new(
                            io::ErrorKind::InvalidInput,
                            "it is a pipe or a socket, not a file or a device",
                        ));
                    }
                }
                // A device (`/dev/null`): written as it is, never renamed over or removed.
                let file = OpenOptions::new().write(true).open(&target)?;
                return Ok(SaveFile { target, temp: None, file: Some(file) });
            }
            _ => {}
        }
        let name = target
            .file_name()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "the path names no file"))?
            .to_string_lossy()
            .into_owned();
        let dir = match target.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if !dir.is_dir() {
            return Err(io::Error::new(io::ErrorKind::NotFound, format!("no folder {}", dir.display())));
        }
        loop {
            let k = NEXT.fetch_add(1, Ordering::Relaxed);
            let temp = dir.join(format!(".{name}.{}-{k}.part", std::process::id()));
            match OpenOptions::new().write(true).create_new(true).open(&temp) {
                Ok(file) => return Ok(SaveFile { target, temp: Some(temp), file: Some(file) }),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// The file to write to.
    pub fn file(&mut self) -> &mut File {
        self.file.as_mut().expect("the file is open until commit")
    }

    /// Where the file will be.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Flushes the file to disk and puts it in place of the target.
    pub fn commit(mut self) -> io::Result<()> {
        let mut file = self.file.take().expect("the file is open until commit");
        file.flush()?;
        let Some(temp) = self.temp.take() else {
            return Ok(());
        };
        let done = file.sync_all().and_then(|_| {
            drop(file);
            std::fs::rename(&temp, &self.target)
        });
        if done.is_err() {
            // Ours to remove; the target is as it was.
            let _ = std::fs::remove_file(&temp);
        }
        done
    }
}

impl Write for SaveFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file().write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file().flush()
    }
}

impl Drop for SaveFile {
    fn drop(&mut self) {
        self.file.take();
        if let Some(temp) = self.temp.take() {
            // Not committed: the work failed or stopped. Only the temporary file goes.
            let _ = std::fs::remove_file(temp);
        }
    }
}

/// Writes `bytes` to `path` through a [`SaveFile`].
pub fn save(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut f = SaveFile::create(path)?;
    f.write_all(bytes)?;
    f.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("dendra-save-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn entries(d: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn a_failed_write_leaves_the_old_file_and_no_temporary() {
        let d = scratch("fail");
        let p = d.join("deep.npz");
        std::fs::write(&p, b"the good old data").unwrap();
        {
            let mut f = SaveFile::create(&p).unwrap();
            f.write_all(b"half of the new").unwrap();
            // Dropped without commit: the run failed.
        }
        assert_eq!(std::fs::read(&p).unwrap(), b"the good old data");
        assert_eq!(entries(&d), vec!["deep.npz"]);
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn a_commit_replaces_the_file_whole() {
        let d = scratch("commit");
        let p = d.join("out.csv");
        std::fs::write(&p, b"old").unwrap();
        let mut a = SaveFile::create(&p).unwrap();
        let mut b = SaveFile::create(&p).unwrap();
        a.write_all(b"first complete file").unwrap();
        b.write_all(b"second complete file").unwrap();
        // Until a commit the old file stays.
        assert_eq!(std::fs::read(&p).unwrap(), b"old");
        a.commit().unwrap();
        b.commit().unwrap();
        // Two writers: one whole file, never a mixture.
        assert_eq!(std::fs::read(&p).unwrap(), b"second complete file");
        assert_eq!(entries(&d), vec!["out.csv"]);
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn bad_paths_fail_before_any_work() {
        let d = scratch("bad");
        assert!(SaveFile::create(&d).is_err(), "a directory");
        assert!(SaveFile::create(&d.join("no/such/folder.png")).is_err(), "a missing folder");
        assert!(SaveFile::create(Path::new("")).is_err());
        assert_eq!(entries(&d), Vec::<String>::new());
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn a_symbolic_link_stays_a_link() {
        let d = scratch("link");
        let real = d.join("real.json");
        std::fs::write(&real, b"old").unwrap();
        #[cfg(unix)]
        {
            let link = d.join("link.json");
            std::os::unix::fs::symlink(&real, &link).unwrap();
            save(&link, b"new").unwrap();
            assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
            assert_eq!(std::fs::read(&real).unwrap(), b"new");
        }
        std::fs::remove_dir_all(&d).unwrap();
    }

    /// A FIFO in a scratch folder: refused at once (opening it for writing would wait for a
    /// reader forever), and left where it was.
    #[cfg(unix)]
    #[test]
    fn a_fifo_is_refused_without_blocking_and_kept() {
        use std::os::unix::fs::FileTypeExt;
        let d = scratch("fifo");
        let p = d.join("out.npz");
        if !std::process::Command::new("mkfifo").arg(&p).status().is_ok_and(|s| s.success()) {
            return;
        }
        let (tx, rx) = std::sync::mpsc::channel();
        let q = p.clone();
        std::thread::spawn(move || tx.send(SaveFile::create(&q).map(|_| ())).unwrap());
        let got = rx.recv_timeout(std::time::Duration::from_secs(10)).expect("creating on a FIFO blocked");
        assert!(got.is_err_and(|e| e.to_string().contains("pipe")));
        assert!(std::fs::metadata(&p).unwrap().file_type().is_fifo(), "the FIFO is still there");
        assert_eq!(entries(&d), vec!["out.npz"]);
        std::fs::remove_dir_all(&d).unwrap();
    }

    /// A device (`/dev/null`, which every machine has and no write can harm) is written in
    /// place, never replaced.
    #[cfg(unix)]
    #[test]
    fn a_device_is_written_in_place() {
        use std::os::unix::fs::FileTypeExt;
        save(Path::new("/dev/null"), b"discarded").unwrap();
        assert!(std::fs::metadata("/dev/null").unwrap().file_type().is_char_device());
    }
}
