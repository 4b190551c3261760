//! The window's own errors: files it writes and folders it makes.

use std::path::PathBuf;

/// Why the window could not save a file.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// A picture could not be encoded or written.
    #[error("{}: cannot save the picture: {source}", .path.display())]
    Picture { path: PathBuf, source: Box<dyn std::error::Error + Send + Sync> },
    /// The folder files are saved in could not be made.
    #[error("{}: cannot create the folder: {source}", .dir.display())]
    Folder { dir: PathBuf, source: std::io::Error },
}
