//! The files holdfast writes, and the cache files it reads back, handled so
//! that a shared folder cannot turn them against the user: nothing follows a
//! symlink planted at a final path, nothing truncates a file holdfast did not
//! create, nothing is created world-writable, and the cache is private.

use std::fs::{DirBuilder, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Exports: readable by others (a report to share), writable by the user only
/// (before the umask, which may take more away).
const EXPORT_MODE: u32 = 0o644;
/// Cache entries: the user's alone.
const PRIVATE_MODE: u32 = 0o600;

fn euid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// Creates `path` for writing only if nothing is there, not even a dangling
/// symlink (O_EXCL): an existing file is never truncated, a link never followed.
pub fn create_new(path: &Path, mode: u32) -> io::Result<File> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
}

/// Writes an export as `dir/stem.ext`, or `stem-2.ext`, `stem-3.ext`, … when
/// that name is taken (by a file or a symlink); returns the path written.
pub fn write_export(dir: &Path, stem: &str, ext: &str, bytes: &[u8]) -> io::Result<PathBuf> {
    for n in 1..1000u32 {
        let name = if n == 1 {
            format!("{stem}.{ext}")
        } else {
            format!("{stem}-{n}.{ext}")
        };
        let path = dir.join(name);
        match create_new(&path, EXPORT_MODE) {
            Ok(mut f) => {
                f.write_all(bytes)?;
                return Ok(path);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other(format!(
        "{stem}.{ext} and 998 numbered copies already exist in {}",
        dir.display()
    )))
}

/// Creates the cache directory `0700` (and its missing parents); an existing
/// one must be a real directory of the user's, and is made private.
pub fn private_dir(dir: &Path) -> io::Result<()> {
    DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
    let meta = std::fs::symlink_metadata(dir)?;
    if !meta.is_dir() || meta.uid() != euid() {
        return Err(io::Error::other(format!(
            "{} is not a directory of this user's",
            dir.display()
        )));
    }
    if meta.mode() & 0o077 != 0 {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// Opens a cache entry only if it is a regular file of the user's reached
/// without a symlink (O_NOFOLLOW); anything else is a miss, rebuilt.
pub fn open_private(path: &Path) -> Option<File> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .ok()?;
    let meta = file.metadata().ok()?;
    (meta.is_file() && meta.uid() == euid()).then_some(file)
}

/// A temporary file beside `path` for writing a cache entry, created new and
/// private; `commit` renames it over `path` (which replaces a planted symlink
/// itself, never its target).
pub struct Pending {
    tmp: PathBuf,
    path: PathBuf,
    pub file: File,
}

impl Pending {
    pub fn new(path: &Path) -> io::Result<Pending> {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let name = path
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = path.with_file_name(format!(".{name}.{}.{n}.tmp", std::process::id()));
        let file = create_new(&tmp, PRIVATE_MODE)?;
        Ok(Pending {
            tmp,
            path: path.to_path_buf(),
            file,
        })
    }

    pub fn commit(self) -> io::Result<()> {
        let Pending { tmp, path, file } = self;
        drop(file);
        std::fs::rename(&tmp, &path).inspect_err(|_| {
            let _ = std::fs::remove_file(&tmp);
        })
    }

    pub fn abandon(self) {
        let _ = std::fs::remove_file(&self.tmp);
    }
}

/// What a path that is not a regular file or a folder is, for messages.
pub fn special_kind(meta: &std::fs::Metadata) -> Option<&'static str> {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    if t.is_fifo() {
        Some("a named pipe (FIFO)")
    } else if t.is_char_device() {
        Some("a character device")
    } else if t.is_block_device() {
        Some("a block device")
    } else if t.is_socket() {
        Some("a socket")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exports_never_follow_or_truncate() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target.txt");
        std::fs::write(&target, "keep me").unwrap();
        std::os::unix::fs::symlink(&target, dir.path().join("r.csv")).unwrap();
        std::fs::write(dir.path().join("r-2.csv"), "earlier export").unwrap();
        let written = write_export(dir.path(), "r", "csv", b"new").unwrap();
        assert_eq!(written, dir.path().join("r-3.csv"));
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me");
        assert_eq!(
            std::fs::read_to_string(dir.path().join("r-2.csv")).unwrap(),
            "earlier export"
        );
        let mode = std::fs::metadata(&written).unwrap().mode();
        assert_eq!(mode & 0o002, 0, "never world-writable");
    }

    #[test]
    fn the_cache_is_private_and_skips_links_and_strangers() {
        let dir = tempfile::tempdir().unwrap();
        let cache = dir.path().join("a/b/cache");
        private_dir(&cache).unwrap();
        assert_eq!(std::fs::metadata(&cache).unwrap().mode() & 0o777, 0o700);
        let entry = cache.join("e.bin");
        let mut p = Pending::new(&entry).unwrap();
        p.file.write_all(b"entry").unwrap();
        p.commit().unwrap();
        assert_eq!(std::fs::metadata(&entry).unwrap().mode() & 0o777, 0o600);
        assert!(open_private(&entry).is_some());
        // A symlink in its place is a miss, and a new entry replaces the link, not its target.
        let elsewhere = dir.path().join("elsewhere.bin");
        std::fs::write(&elsewhere, "not the cache").unwrap();
        std::fs::remove_file(&entry).unwrap();
        std::os::unix::fs::symlink(&elsewhere, &entry).unwrap();
        assert!(open_private(&entry).is_none());
        let mut p = Pending::new(&entry).unwrap();
        p.file.write_all(b"rebuilt").unwrap();
        p.commit().unwrap();
        assert_eq!(
            std::fs::read_to_string(&elsewhere).unwrap(),
            "not the cache"
        );
        assert_eq!(std::fs::read_to_string(&entry).unwrap(), "rebuilt");
        // A FIFO is never waited on.
        let fifo = cache.join("f.bin");
        let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        assert!(open_private(&fifo).is_none());
    }
}
