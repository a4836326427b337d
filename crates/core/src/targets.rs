//! Where the inputs of one batch will be written, planned before the first image
//! starts, so that two inputs mapping to one output path cannot both report success
//! while one result is silently lost (`a/x.jpg` and `b/x.jpg` into one `outputDir`;
//! `x.bmp` and `x.png`, both written as PNG; the same path given twice).
//!
//! Each input's target is computed from its name and its format, sniffed from the
//! first bytes, and compared by its folder's canonical path. The first input (in input
//! order) to claim a target keeps it; every later one fails with `ERR_OUTPUT_EXISTS`
//! ("collides with input N"), whatever `overwrite` says. The decision does not depend
//! on which image the pool happens to start first.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::codec::sniff;
use crate::error::{ErrorCode, Failure};
use crate::input;
use crate::options::ProcessOptions;
use crate::output::output_path;

/// Enough bytes to recognise every format by its magic bytes.
const SNIFF_BYTES: u64 = 32;

/// The planned targets of one batch.
#[derive(Debug, Default)]
pub struct Targets {
    /// Canonical target -> the first input (in input order) that claims it.
    owners: HashMap<PathBuf, usize>,
}

/// `path` with its folder resolved (symlinks, `.` and `..`), so that two spellings of
/// one file compare equal; as given when the folder cannot be resolved.
fn canonical(path: &Path, folders: &mut HashMap<PathBuf, PathBuf>) -> PathBuf {
    let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
        return path.to_path_buf();
    };
    let parent = if parent.as_os_str().is_empty() {
        Path::new(".")
    } else {
        parent
    };
    let resolved = folders
        .entry(parent.to_path_buf())
        .or_insert_with(|| std::fs::canonicalize(parent).unwrap_or_else(|_| parent.into()));
    resolved.join(name)
}

impl Targets {
    /// Plans every input's target. Inputs that cannot be read or recognised claim
    /// nothing: they fail on their own.
    pub fn plan(inputs: &[String], opts: &ProcessOptions) -> Self {
        let mut folders = HashMap::new();
        let mut owners = HashMap::new();
        for (index, input) in inputs.iter().enumerate() {
            let path = Path::new(input);
            let Ok((head, _)) = input::read_prefix(path, SNIFF_BYTES) else {
                continue;
            };
            let Some(format) = sniff(&head) else {
                continue;
            };
            let Ok(target) = output_path(path, Some(format), opts.output_format(format), opts)
            else {
                continue;
            };
            owners
                .entry(canonical(&target, &mut folders))
                .or_insert(index);
        }
        Self { owners }
    }

    /// Fails when `target`, the output of `inputs[index]`, belongs to an earlier input.
    pub fn claim(&self, inputs: &[String], index: usize, target: &Path) -> Result<(), Failure> {
        let key = canonical(target, &mut HashMap::new());
        match self.owners.get(&key) {
            Some(&owner) if owner < index => Err(Failure::new(
                ErrorCode::OutputExists,
                format!(
                    "{} collides with input {owner} ({}): both would be written to it",
                    target.display(),
                    inputs[owner]
                ),
            )),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;

    #[test]
    fn later_inputs_with_the_same_target_collide_earlier_ones_keep_it() {
        let dir = std::env::temp_dir().join(format!("corepool-targets-{}", std::process::id()));
        for sub in ["a", "b"] {
            fs::create_dir_all(dir.join(sub)).expect("dirs");
        }
        let png = b"\x89PNG\r\n\x1a\n0000000000000000".to_vec();
        let bmp = b"BM000000000000000000".to_vec();
        fs::write(dir.join("a/x.png"), &png).expect("write");
        fs::write(dir.join("b/x.png"), &png).expect("write");
        fs::write(dir.join("a/x.bmp"), &bmp).expect("write");
        fs::write(dir.join("a/y.png"), &png).expect("write");
        let s = |p: &str| dir.join(p).to_string_lossy().into_owned();
        let inputs = vec![
            s("a/x.png"),
            s("b/x.png"),
            s("a/x.bmp"),
            s("a/y.png"),
            s("a/../a/y.png"),
            s("missing.png"),
        ];
        let opts = ProcessOptions {
            output_dir: Some(dir.join("out")),
            overwrite: true,
            ..ProcessOptions::default()
        };
        fs::create_dir_all(dir.join("out")).expect("out");
        let targets = Targets::plan(&inputs, &opts);
        let target = dir.join("out/processed_x.png");
        targets.claim(&inputs, 0, &target).expect("first keeps it");
        for later in [1, 2] {
            let err = targets
                .claim(&inputs, later, &target)
                .expect_err("collides");
            assert_eq!(err.code, ErrorCode::OutputExists);
            assert!(
                err.message.contains("collides with input 0"),
                "{}",
                err.message
            );
        }
        let y = dir.join("out/./processed_y.png");
        targets.claim(&inputs, 3, &y).expect("y is input 3's");
        assert!(
            targets.claim(&inputs, 4, &y).is_err(),
            "the same file, spelt otherwise"
        );
        fs::remove_dir_all(&dir).expect("cleanup");
    }
}
