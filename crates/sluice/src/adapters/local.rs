//! Local files, stdin and stdout: chunked reads, and outputs written to a
//! temporary file beside their final name, so that a half-written file is
//! never seen under it.

use anyhow::Context;
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// How much is read at a time: small enough that a chunk is still in the
/// core's cache when the engine scans it after the copy out of the kernel
/// (256 KiB measured faster than 1 MiB on the report benchmark).
pub const CHUNK_BYTES: usize = 1 << 18;

/// Fills `buf` (replacing its contents) with up to [`CHUNK_BYTES`] from
/// `reader`; small reads (pipes) are gathered, as each call has a cost.
pub fn read_chunk(reader: &mut impl Read, buf: &mut Vec<u8>, name: &str) -> anyhow::Result<()> {
    buf.resize(CHUNK_BYTES, 0);
    let mut filled = 0;
    while filled < CHUNK_BYTES {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                buf.clear();
                return Err(e).with_context(|| format!("{name}: read failed"));
            }
        }
    }
    buf.truncate(filled);
    Ok(())
}

/// A local output before it is published.
pub enum FileOutput {
    /// A device or pipe (`/dev/null`, a FIFO): written in place, as it
    /// cannot be renamed over.
    Special(File),
    /// A regular file, written to `temp` and renamed to its path on publish.
    Temp { file: File, temp: PathBuf },
}

/// Tells temporaries of one process apart (two outputs of one run never
/// share one).
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Creates the output for `path`: a temporary beside it (its folder is
/// created), or the device itself.
pub fn create(path: &Path) -> anyhow::Result<FileOutput> {
    if let Ok(meta) = std::fs::metadata(path) {
        anyhow::ensure!(
            !meta.is_dir(),
            "{}: is a folder; name a file to write",
            path.display()
        );
        if !meta.is_file() {
            let file = std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .with_context(|| format!("{}: cannot open", path.display()))?;
            return Ok(FileOutput::Special(file));
        }
    }
    let dir = parent(path);
    std::fs::create_dir_all(dir)
        .with_context(|| format!("{}: cannot create the folder", dir.display()))?;
    let name = path
        .file_name()
        .with_context(|| format!("{}: not a file name", path.display()))?;
    let temp = dir.join(format!(
        ".{}.sluice-{}-{}.tmp",
        name.to_string_lossy(),
        std::process::id(),
        TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let file = File::create(&temp).with_context(|| format!("{}: cannot create", temp.display()))?;
    Ok(FileOutput::Temp { file, temp })
}

/// The folder a path is in (`.` for a bare name).
pub fn parent(path: &Path) -> &Path {
    path.parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// The path as the file system resolves it, for telling whether two names
/// are one file: the folder resolved (it may not exist yet: then as
/// given), the name kept.
pub fn resolved(path: &Path) -> PathBuf {
    if let Ok(p) = std::fs::canonicalize(path) {
        return p;
    }
    let dir = std::fs::canonicalize(parent(path)).unwrap_or_else(|_| parent(path).to_path_buf());
    match path.file_name() {
        Some(name) => dir.join(name),
        None => dir,
    }
}

/// Removes a file if it is there.
pub fn remove(path: &Path) -> anyhow::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("{}: cannot remove", path.display()))
        }
        _ => Ok(()),
    }
}

/// A small file whole (a manifest); `None` when there is no such file.
pub fn read_small(path: &Path) -> anyhow::Result<Option<Vec<u8>>> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("{}: cannot read", path.display())),
    }
}

/// Writes a small file whole: to a temporary beside it, then renamed, so
/// a reader sees the old or the new file, never a part.
pub fn write_small(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let FileOutput::Temp { mut file, temp } = create(path)? else {
        anyhow::bail!("{}: not a regular file", path.display());
    };
    let written = file.write_all(bytes).and_then(|()| file.sync_data());
    let moved = written.and_then(|()| std::fs::rename(&temp, path));
    if let Err(e) = moved {
        let _ = std::fs::remove_file(&temp);
        return Err(e).with_context(|| format!("{}: cannot write", path.display()));
    }
    Ok(())
}
