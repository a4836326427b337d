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

/// sharp's default-sized byte limit for one input: 256 MiB.
pub const DEFAULT_LIMIT_INPUT_BYTES: u64 = 256 << 20;

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

/// The whole content of the regular file at `path`, at most `limit` bytes.
pub fn read(path: &Path, limit: u64) -> Result<Vec<u8>, InputError> {
    let not_found = |why: String| InputError::NotFound {
        path: path.to_path_buf(),
        why,
    };
    let mut file = open(path).map_err(|e| not_found(e.to_string()))?;
    let meta = file.metadata().map_err(|e| not_found(e.to_string()))?;
    if meta.is_dir() {
        return Err(not_found("it is a directory".into()));
    }
    if !meta.is_file() {
        return Err(InputError::NotRegular {
            path: path.to_path_buf(),
        });
    }
    if meta.len() > limit {
        return Err(InputError::TooLarge {
            path: path.to_path_buf(),
            size: meta.len(),
            limit,
        });
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    // `take`: a file that grows while being read still stops at the limit.
    (&mut file)
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| not_found(e.to_string()))?;
    if bytes.len() as u64 > limit {
        return Err(InputError::TooLarge {
            path: path.to_path_buf(),
            size: bytes.len() as u64,
            limit,
        });
    }
    Ok(bytes)
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
        std::fs::remove_file(&file).expect("cleanup");
    }
}
