//! Reading an input file: the one reader behind `processImages`, `processImage` and
//! `metadata` when they are given a path.
//!
//! The file is opened once, without blocking (a FIFO would otherwise wait forever for
//! a writer), and the open handle is checked (`fstat`: no check-then-open race): only
//! regular files are read, and only up to the byte limit, checked on the size before
//! any byte is read.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

use crate::codec::source::Source;

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

/// An input file, opened once and checked to be a regular file, read positionally as
/// a [`Source`]: decoders take the pieces they need and the whole file is never
/// required in memory. Nothing past the size the file had when it was opened is read.
#[derive(Debug)]
pub struct InputFile {
    file: File,
    size: u64,
    path: PathBuf,
}

impl InputFile {
    /// Opens the regular file at `path` (see the module docs).
    pub fn open(path: &Path) -> Result<Self, InputError> {
        let (file, size) = open_regular(path)?;
        Ok(Self {
            file,
            size,
            path: path.to_path_buf(),
        })
    }

    /// Opens the regular file at `path` when it has at most `limit` bytes.
    pub fn open_within(path: &Path, limit: u64) -> Result<Self, InputError> {
        let input = Self::open(path)?;
        input.check_size(limit)?;
        Ok(input)
    }

    /// The size when opened.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// `TooLarge` when the file has more than `limit` bytes.
    pub fn check_size(&self, limit: u64) -> Result<(), InputError> {
        if self.size > limit {
            return Err(InputError::TooLarge {
                path: self.path.clone(),
                size: self.size,
                limit,
            });
        }
        Ok(())
    }

    /// The first `len` bytes (fewer when the file is shorter).
    pub fn prefix(&self, len: u64) -> Result<Vec<u8>, InputError> {
        crate::codec::source::prefix(self, len).map_err(|e| self.unreadable(e))
    }

    /// The whole file, when it has at most `limit` bytes.
    pub fn read_all(&self, limit: u64) -> Result<Vec<u8>, InputError> {
        self.check_size(limit)?;
        self.prefix(self.size)
    }

    fn unreadable(&self, e: std::io::Error) -> InputError {
        InputError::NotFound {
            path: self.path.clone(),
            why: e.to_string(),
        }
    }
}

impl Source for InputFile {
    fn len(&self) -> u64 {
        self.size
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> std::io::Result<usize> {
        let left = self.size.saturating_sub(offset);
        let n = usize::try_from(left).map_or(buf.len(), |left| left.min(buf.len()));
        if n == 0 {
            return Ok(0);
        }
        read_at(&self.file, offset, &mut buf[..n])
    }
}

#[cfg(unix)]
fn read_at(file: &File, offset: u64, buf: &mut [u8]) -> std::io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, offset)
}

#[cfg(windows)]
fn read_at(file: &File, offset: u64, buf: &mut [u8]) -> std::io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, buf, offset)
}

/// The first `len` bytes of the regular file at `path` (fewer when it is shorter), and
/// the file's size. No byte limit applies: only the prefix is read.
pub fn read_prefix(path: &Path, len: u64) -> Result<(Vec<u8>, u64), InputError> {
    let input = InputFile::open(path)?;
    Ok((input.prefix(len)?, input.size()))
}

/// The whole content of the regular file at `path`, at most `limit` bytes.
pub fn read(path: &Path, limit: u64) -> Result<Vec<u8>, InputError> {
    InputFile::open_within(path, limit)?.read_all(limit)
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
        let input = InputFile::open(&file).expect("opens");
        assert_eq!(
            (input.prefix(10).expect("a prefix").len(), input.size()),
            (10, 100)
        );
        assert_eq!(input.prefix(1000).expect("all").len(), 100);
        // Grown after opening: read only as far as it was.
        std::fs::write(&file, [1u8; 300]).expect("grow");
        assert_eq!(input.read_all(1000).expect("all").len(), 100);
        assert!(matches!(
            InputFile::open(Path::new("/dev/zero")),
            Err(InputError::NotRegular { .. })
        ));
        std::fs::remove_file(&file).expect("cleanup");
    }
}
