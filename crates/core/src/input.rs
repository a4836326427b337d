//! Reading an input file: the one reader behind `processImages`, `processImage` and
//! `metadata` when they are given a path.

use std::fs;
use std::path::{Path, PathBuf};

/// Why an input file could not be read (always `ERR_INPUT_NOT_FOUND`).
#[derive(Debug, thiserror::Error)]
#[error("cannot read input {}: {why}", path.display())]
pub struct InputError {
    pub path: PathBuf,
    pub why: String,
}

/// The whole content of the file at `path`; a directory is refused.
pub fn read(path: &Path) -> Result<Vec<u8>, InputError> {
    let fail = |why: String| InputError {
        path: path.to_path_buf(),
        why,
    };
    let meta = fs::metadata(path).map_err(|e| fail(e.to_string()))?;
    if meta.is_dir() {
        return Err(fail("it is a directory".into()));
    }
    fs::read(path).map_err(|e| fail(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_files_and_directories_are_refused_with_the_path() {
        let err = read(Path::new("/nonexistent/corepool.png")).expect_err("missing");
        assert!(err
            .to_string()
            .starts_with("cannot read input /nonexistent/corepool.png: "));
        let err = read(&std::env::temp_dir()).expect_err("a directory");
        assert!(err.to_string().ends_with(": it is a directory"), "{err}");
    }
}
