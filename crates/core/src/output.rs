//! Where outputs go and how they get there without ever leaving a partial file.
//!
//! The output name is `prefix + stem + suffix + extension`, built from the input's file
//! name only, so it can never escape `outputDir`. Bytes are written to a temporary
//! file in the target folder, synced, then moved into place: a crash or an abort
//! leaves either the old state or the complete new file, never half of one.

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::codec::Format;
use crate::options::ProcessOptions;

/// Why an output could not be placed or written.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("{} has no file name", path.display())]
    NoFileName { path: PathBuf },
    #[error("{} already exists (pass overwrite: true to replace it)", path.display())]
    Exists { path: PathBuf },
    #[error("{} is a directory", path.display())]
    IsDirectory { path: PathBuf },
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The output path for `input` written as `format`.
///
/// The input's extension is kept when the format does not change (`photo.JPEG` stays
/// `.JPEG`); otherwise it becomes the format's (`.webp`).
pub fn output_path(
    input: &Path,
    input_format: Option<Format>,
    format: Format,
    opts: &ProcessOptions,
) -> Result<PathBuf, OutputError> {
    let file_name = input.file_name().ok_or_else(|| OutputError::NoFileName {
        path: input.to_path_buf(),
    })?;
    let as_path = Path::new(file_name);
    let stem = as_path.file_stem().unwrap_or(file_name);
    let keep_extension = input_format == Some(format) && as_path.extension().is_some();
    let mut name = OsString::from(&opts.prefix);
    name.push(stem);
    name.push(&opts.suffix);
    name.push(".");
    match (keep_extension, as_path.extension()) {
        (true, Some(ext)) => name.push(ext),
        _ => name.push(format.extension()),
    }
    let dir = match &opts.output_dir {
        Some(dir) => dir.clone(),
        None => input.parent().map(Path::to_path_buf).unwrap_or_default(),
    };
    Ok(dir.join(name))
}

fn write_failure(path: &Path, source: std::io::Error) -> OutputError {
    OutputError::Write {
        path: path.to_path_buf(),
        source,
    }
}

fn exists_failure(path: &Path) -> OutputError {
    OutputError::Exists {
        path: path.to_path_buf(),
    }
}

/// Fails with `ERR_OUTPUT_EXISTS` when `path` exists and `overwrite` is false. Checked
/// before any decoding, to fail fast; [`write_atomic`] checks again at the end.
pub fn check_target(path: &Path, overwrite: bool) -> Result<(), OutputError> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => Err(OutputError::IsDirectory {
            path: path.to_path_buf(),
        }),
        Ok(_) if !overwrite => Err(exists_failure(path)),
        _ => Ok(()),
    }
}

/// A temporary name in the target's folder, unique within this process.
fn temp_path(path: &Path) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let name = format!(".corepool-{}-{n}.tmp", std::process::id());
    path.parent().unwrap_or_else(|| Path::new("")).join(name)
}

/// Writes `data` to `path` atomically (temporary file, fsync, rename). Without
/// `overwrite`, an existing file at `path` is never replaced, even one that appeared
/// while the image was being processed.
pub fn write_atomic(path: &Path, data: &[u8], overwrite: bool) -> Result<(), OutputError> {
    let tmp = temp_path(path);
    let result = (|| {
        let mut file: File = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(|e| write_failure(path, e))?;
        file.write_all(data).map_err(|e| write_failure(path, e))?;
        file.sync_all().map_err(|e| write_failure(path, e))?;
        drop(file);
        if overwrite {
            return fs::rename(&tmp, path).map_err(|e| write_failure(path, e));
        }
        // A hard link fails if the target exists: no window in which a file that
        // appeared meanwhile could be clobbered.
        match fs::hard_link(&tmp, path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == ErrorKind::AlreadyExists => Err(exists_failure(path)),
            Err(_) => {
                // File systems without hard links: check, then rename.
                check_target(path, false)?;
                fs::rename(&tmp, path).map_err(|e| write_failure(path, e))
            }
        }
    })();
    // The temporary name is gone after a rename; after a link or a failure it goes now.
    let _ = fs::remove_file(&tmp);
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{ErrorCode, Failure};

    fn opts() -> ProcessOptions {
        ProcessOptions::default()
    }

    #[test]
    fn names_follow_prefix_suffix_and_format() {
        let p = output_path(
            Path::new("/a/b/photo.JPG"),
            Some(Format::Jpeg),
            Format::Jpeg,
            &opts(),
        )
        .expect("path");
        assert_eq!(p, Path::new("/a/b/processed_photo.JPG"));
        let p = output_path(
            Path::new("/a/b/photo.png"),
            Some(Format::Png),
            Format::Webp,
            &opts(),
        )
        .expect("path");
        assert_eq!(p, Path::new("/a/b/processed_photo.webp"));
        let o = ProcessOptions {
            prefix: String::new(),
            suffix: "-small".into(),
            output_dir: Some("/out".into()),
            ..opts()
        };
        let p = output_path(
            Path::new("../../etc/passwd.png"),
            Some(Format::Png),
            Format::Png,
            &o,
        )
        .expect("path");
        assert_eq!(p, Path::new("/out/passwd-small.png"));
    }

    #[test]
    fn atomic_write_never_clobbers_without_overwrite() {
        let dir = std::env::temp_dir().join(format!("corepool-output-test-{}", std::process::id()));
        fs::create_dir_all(&dir).expect("temp dir");
        let target = dir.join("out.bin");
        let _ = fs::remove_file(&target);
        write_atomic(&target, b"first", false).expect("writes");
        let err = write_atomic(&target, b"second", false).expect_err("exists");
        assert_eq!(Failure::from(err).code, ErrorCode::OutputExists);
        assert_eq!(fs::read(&target).expect("reads"), b"first");
        write_atomic(&target, b"third", true).expect("overwrites");
        assert_eq!(fs::read(&target).expect("reads"), b"third");
        // No temporary files are left behind.
        let leftovers: Vec<_> = fs::read_dir(&dir)
            .expect("lists")
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty());
        let err = write_atomic(&dir.join("missing/out.bin"), b"x", false).expect_err("no folder");
        assert_eq!(Failure::from(err).code, ErrorCode::OutputWrite);
        fs::remove_dir_all(&dir).expect("cleanup");
    }
}
