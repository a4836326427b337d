//! Where outputs go and how they get there without ever leaving a partial file.
//!
//! The output name is `prefix + stem + suffix + extension`, built from the input's file
//! name only, so it can never escape `outputDir`. Bytes are written to a temporary
//! file in the target folder, synced, then given their name: a crash or an abort
//! leaves either the old state or the complete new file, never half of one, and (on
//! Linux, where the temporary file has no name) no temporary file either. See
//! [`write_atomic`].

use std::collections::HashSet;
use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

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

/// Temporary names of the named scheme are `.corepool-<pid>-<n>.tmp`.
const TEMP_PREFIX: &str = ".corepool-";
const TEMP_SUFFIX: &str = ".tmp";

/// How old a dead process's temporary file must be before a sweep removes it. A pid
/// that looks dead from here may be a live writer in another pid namespace (a
/// container sharing the volume), whose temporary file lives for the seconds one write
/// takes; ten minutes is far longer than that.
const STALE_AFTER: Duration = Duration::from_secs(600);

/// The folder an output goes into (`.` for a bare file name).
fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// A temporary name in the target's folder, unique within this process.
fn temp_path(path: &Path) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let name = format!("{TEMP_PREFIX}{}-{n}{TEMP_SUFFIX}", std::process::id());
    folder_of(path).join(name)
}

/// Writes `data` to `path` atomically: a crash at any point leaves either no file or
/// the complete one. Without `overwrite`, an existing file at `path` is never
/// replaced, even one that appeared while the image was being processed.
///
/// On Linux the bytes go to an unnamed file (`O_TMPFILE` in the target folder), are
/// synced, and the file is then linked under its final name, which fails if that name
/// exists: until the link, nothing named exists, so a SIGKILL or `process.exit()` in
/// the middle leaves nothing behind. With `overwrite` and an existing target, the
/// complete file is linked under a temporary name and renamed over the target: that
/// name only ever holds a complete file, for the time of one rename.
///
/// Where `O_TMPFILE` is not supported (other systems, some file systems such as NFS or
/// vfat) the bytes go to a named temporary file `.corepool-<pid>-<n>.tmp`, then a hard
/// link (or, without hard links, a check and a rename) gives the final name. A process
/// killed mid-write leaves that file behind, so the first write into a folder in each
/// process sweeps the folder's temporary files of dead processes (see [`sweep_folder`]).
pub fn write_atomic(path: &Path, data: &[u8], overwrite: bool) -> Result<(), OutputError> {
    write_atomic_with(path, data, overwrite, Strategy::Best)
}

/// Which scheme [`write_atomic_with`] may use; tests force the named fallback.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Strategy {
    /// Unnamed temporary file where the system has them, else named.
    Best,
    /// The named temporary file only (the fallback; chosen by tests only).
    #[cfg_attr(not(test), allow(dead_code))]
    Named,
}

fn write_atomic_with(
    path: &Path,
    data: &[u8],
    overwrite: bool,
    strategy: Strategy,
) -> Result<(), OutputError> {
    sweep_once(folder_of(path));
    #[cfg(target_os = "linux")]
    if strategy == Strategy::Best {
        if let Some(done) = unnamed::write(path, data, overwrite) {
            return done;
        }
    }
    let _ = strategy;
    write_named(path, data, overwrite)
}

/// How many temporary names are tried before giving up: a name can only be taken by
/// a file of an earlier process that had the same pid (another container, say).
const TEMP_TRIES: usize = 64;

/// Runs `attempt` on fresh temporary names for `path` until one is free: `attempt`
/// returns `AlreadyExists` for a name that is taken (which is then left alone, neither
/// reused nor removed).
fn with_free_temp<T>(
    path: &Path,
    mut attempt: impl FnMut(&Path) -> std::io::Result<T>,
) -> Result<(PathBuf, T), OutputError> {
    let mut taken = None;
    for _ in 0..TEMP_TRIES {
        let tmp = temp_path(path);
        match attempt(&tmp) {
            Ok(value) => return Ok((tmp, value)),
            Err(e) if e.kind() == ErrorKind::AlreadyExists => taken = Some(e),
            Err(e) => return Err(write_failure(path, e)),
        }
    }
    let e = taken.unwrap_or_else(|| std::io::Error::from(ErrorKind::AlreadyExists));
    Err(write_failure(path, e))
}

/// The fallback: a named temporary file, fsync, then a link or a rename.
fn write_named(path: &Path, data: &[u8], overwrite: bool) -> Result<(), OutputError> {
    let (tmp, file) = with_free_temp(path, |tmp| {
        OpenOptions::new().write(true).create_new(true).open(tmp)
    })?;
    let result = finish_named(path, &tmp, file, data, overwrite);
    // The temporary name is gone after a rename; after a link or a failure it goes now.
    let _ = fs::remove_file(&tmp);
    result
}

fn finish_named(
    path: &Path,
    tmp: &Path,
    mut file: File,
    data: &[u8],
    overwrite: bool,
) -> Result<(), OutputError> {
    file.write_all(data).map_err(|e| write_failure(path, e))?;
    file.sync_all().map_err(|e| write_failure(path, e))?;
    drop(file);
    if overwrite {
        return fs::rename(tmp, path).map_err(|e| write_failure(path, e));
    }
    // A hard link fails if the target exists: no window in which a file that appeared
    // meanwhile could be clobbered.
    match fs::hard_link(tmp, path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == ErrorKind::AlreadyExists => Err(exists_failure(path)),
        Err(_) => {
            // File systems without hard links: check, then rename.
            check_target(path, false)?;
            fs::rename(tmp, path).map_err(|e| write_failure(path, e))
        }
    }
}

/// Unnamed temporary files: `O_TMPFILE`, then `linkat`.
#[cfg(target_os = "linux")]
mod unnamed {
    use std::ffi::{CStr, CString, OsStr};
    use std::fs::{self, File};
    use std::io::{self, Write};
    use std::os::fd::{AsRawFd, FromRawFd};
    use std::os::unix::ffi::OsStrExt;
    use std::path::Path;

    use super::{exists_failure, folder_of, with_free_temp, write_failure, OutputError};

    fn c_path(path: &OsStr) -> io::Result<CString> {
        CString::new(path.as_bytes()).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))
    }

    /// An unnamed file, open for writing, in `dir`; `None` when the file system (or
    /// the kernel) has no `O_TMPFILE`.
    pub(super) fn create(dir: &Path) -> Option<io::Result<File>> {
        let dir = match c_path(dir.as_os_str()) {
            Ok(dir) => dir,
            Err(e) => return Some(Err(e)),
        };
        let flags = libc::O_TMPFILE | libc::O_WRONLY | libc::O_CLOEXEC;
        // SAFETY: `dir` is a valid C string; the mode is the one `File::create` uses.
        let fd = unsafe { libc::open(dir.as_ptr(), flags, 0o666 as libc::c_uint) };
        if fd < 0 {
            let err = io::Error::last_os_error();
            return match err.raw_os_error() {
                // EISDIR: a kernel older than O_TMPFILE opened the folder itself.
                Some(libc::EOPNOTSUPP | libc::EISDIR | libc::EINVAL) => None,
                _ => Some(Err(err)),
            };
        }
        // SAFETY: `fd` was just opened and nothing else owns it.
        Some(Ok(unsafe { File::from_raw_fd(fd) }))
    }

    /// Gives the unnamed `file` the name `target`; fails with EEXIST if it exists.
    pub(super) fn link(file: &File, target: &Path) -> io::Result<()> {
        let target = c_path(target.as_os_str())?;
        let proc_fd = c_path(OsStr::new(&format!("/proc/self/fd/{}", file.as_raw_fd())))?;
        // The /proc form needs no capability (AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH).
        // SAFETY: both paths are valid C strings; AT_FDCWD makes them plain paths.
        let rc = unsafe {
            libc::linkat(
                libc::AT_FDCWD,
                proc_fd.as_ptr(),
                libc::AT_FDCWD,
                target.as_ptr(),
                libc::AT_SYMLINK_FOLLOW,
            )
        };
        if rc == 0 {
            return Ok(());
        }
        let err = io::Error::last_os_error();
        if err.raw_os_error() != Some(libc::ENOENT) || Path::new("/proc/self/fd").exists() {
            return Err(err);
        }
        // No /proc mounted: the AT_EMPTY_PATH form, for processes that may use it.
        let empty: &CStr = c"";
        // SAFETY: `file` is an open descriptor; `empty` and `target` are valid C strings.
        let rc = unsafe {
            libc::linkat(
                file.as_raw_fd(),
                empty.as_ptr(),
                libc::AT_FDCWD,
                target.as_ptr(),
                libc::AT_EMPTY_PATH,
            )
        };
        if rc == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    }

    /// Writes `data` through an unnamed file; `None` when this folder cannot have one
    /// (or it cannot be linked), and the named scheme is to be used instead.
    pub(super) fn write(
        path: &Path,
        data: &[u8],
        overwrite: bool,
    ) -> Option<Result<(), OutputError>> {
        let mut file = match create(folder_of(path))? {
            Ok(file) => file,
            Err(e) => return Some(Err(write_failure(path, e))),
        };
        let written = file.write_all(data).and_then(|()| file.sync_all());
        if let Err(e) = written {
            return Some(Err(write_failure(path, e)));
        }
        match link(&file, path) {
            Ok(()) => return Some(Ok(())),
            Err(e) if e.raw_os_error() == Some(libc::EEXIST) => {
                if !overwrite {
                    return Some(Err(exists_failure(path)));
                }
            }
            // Linking is refused here (no /proc and no capability, say): the bytes are
            // written again the named way; the unnamed file vanishes when closed.
            Err(_) => return None,
        }
        // Overwrite an existing target: a complete file under a temporary name, then a
        // rename over the target.
        let tmp = match with_free_temp(path, |tmp| link(&file, tmp)) {
            Ok((tmp, ())) => tmp,
            Err(e) => return Some(Err(e)),
        };
        Some(fs::rename(&tmp, path).map_err(|e| {
            let _ = fs::remove_file(&tmp);
            write_failure(path, e)
        }))
    }
}

/// Runs [`sweep_folder`] on `dir` the first time this process writes into it.
fn sweep_once(dir: &Path) {
    static SWEPT: Mutex<Option<HashSet<PathBuf>>> = Mutex::new(None);
    /// A long-running process writing into ever new folders keeps a bounded set (a
    /// folder forgotten is just swept again).
    const MAX_REMEMBERED: usize = 4096;
    {
        let mut swept = SWEPT
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let swept = swept.get_or_insert_with(HashSet::new);
        if swept.contains(dir) {
            return;
        }
        if swept.len() >= MAX_REMEMBERED {
            swept.clear();
        }
        swept.insert(dir.to_path_buf());
    }
    sweep_folder(dir);
}

/// The pid in a temporary name of the named scheme, `.corepool-<pid>-<n>.tmp`.
fn temp_name_pid(name: &str) -> Option<u32> {
    let rest = name.strip_prefix(TEMP_PREFIX)?.strip_suffix(TEMP_SUFFIX)?;
    let (pid, n) = rest.split_once('-')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(pid) || !digits(n) {
        return None;
    }
    pid.parse().ok()
}

/// Whether no process has this pid (`kill(pid, 0)` fails with ESRCH). Elsewhere than
/// on Unix every process counts as alive: nothing is swept.
fn pid_is_dead(pid: u32) -> bool {
    #[cfg(unix)]
    {
        let Ok(pid) = libc::pid_t::try_from(pid) else {
            return false;
        };
        if pid <= 0 {
            return false;
        }
        // SAFETY: signal 0 only checks that the process exists.
        let rc = unsafe { libc::kill(pid, 0) };
        rc != 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH)
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        false
    }
}

/// Removes the temporary files `.corepool-<pid>-<n>.tmp` in `dir` left by processes
/// that died mid-write: those whose pid is not alive and that were last modified at
/// least [`STALE_AFTER`] ago. This process's own files are never touched. Returns how
/// many were removed; errors (a folder that cannot be listed, a file already gone) are
/// ignored: sweeping is housekeeping, never a reason to fail a write.
fn sweep_folder(dir: &Path) -> usize {
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    let own = std::process::id();
    let mut removed = 0;
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(temp_name_pid) else {
            continue;
        };
        if pid == own || !pid_is_dead(pid) {
            continue;
        }
        let old_enough = entry
            .metadata()
            .ok()
            .filter(|meta| meta.is_file())
            .and_then(|meta| meta.modified().ok())
            .and_then(|modified| SystemTime::now().duration_since(modified).ok())
            .is_some_and(|age| age >= STALE_AFTER);
        if old_enough && fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    removed
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

    /// A fresh folder for one test, removed by the caller.
    fn test_dir(tag: &str) -> PathBuf {
        static N: AtomicU64 = AtomicU64::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!(
            "corepool-output-test-{}-{tag}-{n}",
            std::process::id()
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("temp dir");
        dir
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .expect("lists")
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    /// The same contract for the unnamed scheme and for the forced named fallback.
    fn never_clobbers(strategy: Strategy) {
        let dir = test_dir(&format!("{strategy:?}"));
        let target = dir.join("out.bin");
        write_atomic_with(&target, b"first", false, strategy).expect("writes");
        let err = write_atomic_with(&target, b"second", false, strategy).expect_err("exists");
        assert_eq!(Failure::from(err).code, ErrorCode::OutputExists);
        assert_eq!(fs::read(&target).expect("reads"), b"first");
        write_atomic_with(&target, b"third", true, strategy).expect("overwrites");
        assert_eq!(fs::read(&target).expect("reads"), b"third");
        write_atomic_with(&dir.join("new.bin"), b"fourth", true, strategy).expect("writes");
        assert_eq!(fs::read(dir.join("new.bin")).expect("reads"), b"fourth");
        // A directory in the way is never replaced.
        fs::create_dir(dir.join("sub.bin")).expect("mkdir");
        let err = write_atomic_with(&dir.join("sub.bin"), b"x", false, strategy).expect_err("dir");
        assert_eq!(Failure::from(err).code, ErrorCode::OutputExists);
        // No temporary files are left behind.
        assert_eq!(names(&dir), ["new.bin", "out.bin", "sub.bin"]);
        let err = write_atomic_with(&dir.join("missing/out.bin"), b"x", false, strategy)
            .expect_err("no folder");
        assert_eq!(Failure::from(err).code, ErrorCode::OutputWrite);
        fs::remove_dir_all(&dir).expect("cleanup");
    }

    #[test]
    fn atomic_write_never_clobbers_without_overwrite() {
        never_clobbers(Strategy::Best);
    }

    #[test]
    fn named_fallback_never_clobbers_without_overwrite() {
        never_clobbers(Strategy::Named);
    }

    /// A temporary name already taken (an earlier process with the same pid, in another
    /// container) is skipped and left alone, for both schemes.
    #[test]
    fn taken_temp_names_are_skipped_and_kept() {
        for strategy in [Strategy::Best, Strategy::Named] {
            let dir = test_dir("taken");
            let target = dir.join("out.bin");
            fs::write(&target, b"old").expect("writes");
            // The next 40 names this process would use are taken.
            let next = temp_path(&target);
            let name = next.file_name().and_then(|n| n.to_str()).expect("name");
            let n: u64 = name
                .trim_end_matches(TEMP_SUFFIX)
                .rsplit('-')
                .next()
                .and_then(|n| n.parse().ok())
                .expect("counter");
            let taken: Vec<PathBuf> = (n + 1..=n + 40)
                .map(|k| {
                    dir.join(format!(
                        "{TEMP_PREFIX}{}-{k}{TEMP_SUFFIX}",
                        std::process::id()
                    ))
                })
                .collect();
            for p in &taken {
                fs::write(p, b"someone else's").expect("writes");
            }
            for _ in 0..8 {
                write_atomic_with(&target, b"new", true, strategy).expect("overwrites");
            }
            assert_eq!(fs::read(&target).expect("reads"), b"new");
            for p in &taken {
                assert_eq!(
                    fs::read(p).expect("kept"),
                    b"someone else's",
                    "{strategy:?}"
                );
            }
            fs::remove_dir_all(&dir).expect("cleanup");
        }
    }

    #[test]
    fn bare_file_names_go_to_the_current_folder() {
        assert_eq!(folder_of(Path::new("x.png")), Path::new("."));
        assert_eq!(folder_of(Path::new("/a/x.png")), Path::new("/a"));
        assert_eq!(temp_path(Path::new("x.png")).parent(), Some(Path::new(".")));
    }

    /// On Linux (ext4, tmpfs, btrfs, xfs) the bytes are written with no name in the
    /// folder until the final link.
    #[cfg(target_os = "linux")]
    #[test]
    fn unnamed_file_has_no_name_until_linked() {
        let dir = test_dir("unnamed");
        let Some(file) = unnamed::create(&dir) else {
            eprintln!("no O_TMPFILE on {}: skipped", dir.display());
            fs::remove_dir_all(&dir).expect("cleanup");
            return;
        };
        let mut file = file.expect("opens");
        file.write_all(b"complete").expect("writes");
        assert!(names(&dir).is_empty(), "nothing named before the link");
        unnamed::link(&file, &dir.join("final.bin")).expect("links");
        let again = unnamed::link(&file, &dir.join("final.bin")).expect_err("exists");
        assert_eq!(again.raw_os_error(), Some(libc::EEXIST));
        drop(file);
        assert_eq!(names(&dir), ["final.bin"]);
        assert_eq!(fs::read(dir.join("final.bin")).expect("reads"), b"complete");
        fs::remove_dir_all(&dir).expect("cleanup");
    }

    #[test]
    fn temp_names_are_recognised() {
        assert_eq!(temp_name_pid(".corepool-123-4.tmp"), Some(123));
        assert_eq!(temp_name_pid(".corepool-123-.tmp"), None);
        assert_eq!(temp_name_pid(".corepool--4.tmp"), None);
        assert_eq!(temp_name_pid(".corepool-12a-4.tmp"), None);
        assert_eq!(temp_name_pid(".corepool-1-2-3.tmp"), None);
        assert_eq!(temp_name_pid("corepool-1-2.tmp"), None);
        assert_eq!(temp_name_pid(".corepool-1-2.tmpx"), None);
        let own = temp_path(Path::new("/x/y.png"));
        let name = own.file_name().and_then(|n| n.to_str()).expect("name");
        assert_eq!(temp_name_pid(name), Some(std::process::id()));
    }

    /// A pid that surely belongs to no process: that of a child that has exited and
    /// been reaped.
    #[cfg(unix)]
    fn dead_pid() -> u32 {
        let mut child = std::process::Command::new("true")
            .spawn()
            .expect("spawns true");
        let pid = child.id();
        child.wait().expect("waits");
        assert!(pid_is_dead(pid), "pid {pid} was reused at once");
        pid
    }

    #[cfg(unix)]
    #[test]
    fn sweep_removes_only_old_temp_files_of_dead_processes() {
        let dir = test_dir("sweep");
        let dead = dead_pid();
        let own = std::process::id();
        let old = SystemTime::now() - STALE_AFTER - Duration::from_secs(60);
        let put = |name: &str, modified: Option<SystemTime>| {
            let file = File::create(dir.join(name)).expect("creates");
            if let Some(when) = modified {
                file.set_modified(when).expect("sets mtime");
            }
        };
        put(&format!(".corepool-{dead}-0.tmp"), Some(old)); // stale: removed
        put(&format!(".corepool-{dead}-1.tmp"), None); // too recent: kept
        put(&format!(".corepool-{own}-0.tmp"), Some(old)); // ours: kept
        put(".corepool-1-0.tmp", Some(old)); // pid 1 is alive: kept
        put(&format!(".corepool-{dead}-x.tmp"), Some(old)); // not our name: kept
        put(&format!("corepool-{dead}-0.tmp"), Some(old)); // not our name: kept
        put("photo.png", Some(old));
        assert_eq!(sweep_folder(&dir), 1);
        let mut expected = vec![
            format!(".corepool-{dead}-1.tmp"),
            format!(".corepool-{dead}-x.tmp"),
            format!(".corepool-{own}-0.tmp"),
            ".corepool-1-0.tmp".to_owned(),
            format!("corepool-{dead}-0.tmp"),
            "photo.png".to_owned(),
        ];
        expected.sort();
        assert_eq!(names(&dir), expected);

        // The first write into a folder sweeps it, later ones do not.
        put(&format!(".corepool-{dead}-2.tmp"), Some(old));
        write_atomic_with(&dir.join("a.bin"), b"a", false, Strategy::Named).expect("writes");
        assert!(!dir.join(format!(".corepool-{dead}-2.tmp")).exists());
        put(&format!(".corepool-{dead}-3.tmp"), Some(old));
        write_atomic_with(&dir.join("b.bin"), b"b", false, Strategy::Named).expect("writes");
        assert!(dir.join(format!(".corepool-{dead}-3.tmp")).exists());
        fs::remove_dir_all(&dir).expect("cleanup");
    }
}
