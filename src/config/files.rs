//! Directories the embedded defaults write into (the data directory, the development mail and
//! media directories) are created readable by the account that runs the app only: they hold
//! the database, the signing key, emails with live reset and download links, and customers'
//! files.

use std::path::Path;

/// Creates `dir` and any missing parents with mode 0700 (on Unix). A directory that exists
/// keeps its mode. The umask can only take bits away, and 0700 has none to spare but the
/// owner's, so the result does not depend on it.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Logs a warning when `dir` (made by an older release, or by hand) lets other accounts in.
#[cfg(unix)]
pub(super) fn warn_if_shared(dir: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    let Ok(meta) = std::fs::metadata(dir) else {
        return;
    };
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        tracing::warn!(
            dir = %dir.display(),
            mode = format!("{mode:o}"),
            "the data directory is open to other accounts on this machine; `chmod 700` it to keep the database, secret.key and emails private"
        );
    }
}

#[cfg(not(unix))]
pub(super) fn warn_if_shared(_dir: &Path) {}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    #[test]
    fn new_directories_and_their_parents_are_owner_only() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("a/b");
        create_private_dir(&dir).unwrap();
        for d in [tmp.path().join("a"), dir.clone()] {
            assert_eq!(
                std::fs::metadata(&d).unwrap().permissions().mode() & 0o777,
                0o700,
                "{}",
                d.display()
            );
        }
        create_private_dir(&dir).unwrap();
    }
}
