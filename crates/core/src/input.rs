//! Reading an input file: the one reader behind `processImages`, `processImage` and
//! `metadata` when they are given a path.
//!
//! The file is opened once, without blocking (a FIFO would otherwise wait forever for
//! a writer), and the open handle is checked (`fstat`: no check-then-open race): only
//! regular files are read, and only up to the byte limit, checked on the size before
//! any byte is read.

use std::fs::{File, OpenOptions};
use std::io::Read;
use std::path::{Path, PathBuf};

pub use crate::limits::DEFAULT_LIMIT_INPUT_BYTES;

/// Why an input file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// Missing, unreadable, a directory or a symlink loop (`ERR_INPUT_NOT_FOUND`).
    #[error("cannot read input {}: {why}", path.display())]
    NotFound { path: PathBuf, why: String },
    /// A FIFO, socket or device (`ERR_INPUT_UNSUPPORTED`).
    #[error("cannot read input {}: not a regular file", path.display())]
    NotRegular { path: PathBuf },
    /// More bytes than `limitInputBytes` (`ERR_INPUT_TOO_LARGE`).
    #[error("input {} has {size} bytes, more than limitInputBytes ({limit})", path.display())]
    TooLarge {
        path: PathBuf,
        size: u64,
        limit: u64,
    },
}

fn open(path: &Path) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    options.open(path)
}

/// The regular file at `path`, opened, with its size.
fn open_regular(path: &Path) -> Result<(File, u64), InputError> {
    let not_found = |why: String| InputError::NotFound {
        path: path.to_path_buf(),
        why,
    };
    let file = open(path).map_err(|e| not_found(e.to_string()))?;
    let meta = file.metadata().map_err(|e| not_found(e.to_string()))?;
    if meta.is_dir() {
        return Err(not_found("it is a directory".into()));
    }
    if !meta.is_file() {
        return Err(InputError::NotRegular {
            path: path.to_path_buf(),
        });
    }
    Ok((file, meta.len()))
}

/// Up to `max` bytes read from `file`.
fn read_up_to(path: &Path, file: &mut File, max: u64, hint: u64) -> Result<Vec<u8>, InputError> {
    let mut bytes = Vec::with_capacity(hint.min(max) as usize);
    file.take(max)
        .read_to_end(&mut bytes)
        .map_err(|e| InputError::NotFound {
            path: path.to_path_buf(),
            why: e.to_string(),
        })?;
    Ok(bytes)
}

/// The whole content of the regular file at `path`, at most `limit` bytes.
pub fn read(path: &Path, limit: u64) -> Result<Vec<u8>, InputError> {
    let (mut file, size) = open_regular(path)?;
    let too_large = |size: u64| InputError::TooLarge {
        path: path.to_path_buf(),
        size,
        limit,
    };
    if size > limit {
        return Err(too_large(size));
    }
    // One byte past the limit: a file that grows while being read still stops there.
    let bytes = read_up_to(path, &mut file, limit.saturating_add(1), size)?;
    if bytes.len() as u64 > limit {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

/// The first `len` bytes of the regular file at `path` (fewer when it is shorter), and
/// the file's size. No byte limit applies: only the prefix is read.
pub fn read_prefix(path: &Path, len: u64) -> Result<(Vec<u8>, u64), InputError> {
    let (mut file, size) = open_regular(path)?;
    let bytes = read_up_to(path, &mut file, len, size)?;
    Ok((bytes, size))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_files_and_directories_are_refused_with_the_path() {
        let err = read(Path::new("/nonexistent/corepool.png"), 1 << 20).expect_err("missing");
        assert!(err
            .to_string()
            .starts_with("cannot read input /nonexistent/corepool.png: "));
        let err = read(&std::env::temp_dir(), 1 << 20).expect_err("a directory");
        assert!(err.to_string().ends_with(": it is a directory"), "{err}");
    }

    #[test]
    fn special_files_and_oversized_files_are_refused_before_reading() {
        let err = read(Path::new("/dev/zero"), 1 << 20).expect_err("a device");
        assert!(matches!(err, InputError::NotRegular { .. }), "{err}");
        let file = std::env::temp_dir().join(format!("corepool-input-{}", std::process::id()));
        std::fs::write(&file, [0u8; 100]).expect("write");
        assert!(matches!(
            read(&file, 99),
            Err(InputError::TooLarge { size: 100, .. })
        ));
        assert_eq!(read(&file, 100).expect("at the limit").len(), 100);
        let (prefix, size) = read_prefix(&file, 10).expect("a prefix");
        assert_eq!((prefix.len(), size), (10, 100));
        assert_eq!(read_prefix(&file, 1000).expect("all").0.len(), 100);
        assert!(matches!(
            read_prefix(Path::new("/dev/zero"), 10),
            Err(InputError::NotRegular { .. })
        ));
        std::fs::remove_file(&file).expect("cleanup");
    }
}
