//! Buckets as folders under a root, objects as files: `root/bucket/key`.
//! An object is written to a file of its own and renamed into place, so a
//! reader sees the old object or the new one whole; conditions
//! (`If-Match`, `If-None-Match: *`) are checked under one lock with that
//! rename, so two writers cannot both win. Buckets keep no versions: an
//! ETag (from the file's size and modification time) pins a read.

use crate::http::{copy_body, escape, http_date, Request, Response};
use crate::list::list;
use std::fs::{self, File};
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::net::TcpStream;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::UNIX_EPOCH;

pub struct Store {
    root: PathBuf,
    /// Held while a write's conditions are checked and its file renamed.
    commit: Mutex<()>,
    next_id: AtomicU64,
}

/// Where a request goes: `/bucket` or `/bucket/key`.
struct Target<'a> {
    bucket: &'a str,
    key: Option<&'a str>,
}

impl Store {
    pub fn new(root: PathBuf) -> io::Result<Self> {
        fs::create_dir_all(root.join(".work"))?;
        Ok(Store {
            root,
            commit: Mutex::new(()),
            next_id: AtomicU64::new(1),
        })
    }

    /// Answers one request, its body read from and its answer written to `conn`.
    pub fn handle(&self, req: &Request, conn: &mut BufReader<TcpStream>) -> io::Result<()> {
        let Some(target) = target(&req.path) else {
            let res = Response::error(400, "InvalidURI", "a path of /bucket or /bucket/key");
            copy_body(req, conn, &mut io::sink())?;
            return res.send(conn.get_mut(), None, false);
        };
        let res = match (req.method.as_str(), target.key) {
            ("GET" | "HEAD", Some(key)) => {
                return self.get(req, conn.get_mut(), target.bucket, key)
            }
            ("PUT", Some(key)) if req.param("uploadId").is_some() => {
                self.upload_part(req, conn, target.bucket, key)?
            }
            ("PUT", Some(key)) => self.put(req, conn, target.bucket, key)?,
            ("POST", Some(key)) if req.param("uploads").is_some() => {
                self.create_upload(target.bucket, key)?
            }
            ("POST", Some(key)) if req.param("uploadId").is_some() => {
                self.complete(req, conn, target.bucket, key)?
            }
            ("DELETE", Some(key)) => self.delete(req, target.bucket, key)?,
            ("PUT", None) => {
                copy_body(req, conn, &mut io::sink())?;
                fs::create_dir_all(self.root.join(target.bucket))?;
                Response::new(200)
            }
            ("GET", None) if req.param("list-type") == Some("2") => {
                list(&self.root, req, target.bucket)?
            }
            ("HEAD", None) if self.root.join(target.bucket).is_dir() => Response::new(200),
            _ => {
                copy_body(req, conn, &mut io::sink())?;
                Response::error(501, "NotImplemented", "not served by this benchmark server")
            }
        };
        res.send(conn.get_mut(), None, req.method == "HEAD")
    }

    fn object(&self, bucket: &str, key: &str) -> PathBuf {
        self.root.join(bucket).join(key)
    }

    fn work_file(&self, what: &str) -> PathBuf {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.root
            .join(".work")
            .join(format!("{what}-{}-{id}", std::process::id()))
    }

    /// The request's body in a work file of its own, not yet visible.
    fn stage_body(
        &self,
        what: &str,
        req: &Request,
        conn: &mut BufReader<TcpStream>,
    ) -> io::Result<PathBuf> {
        let staged = self.work_file(what);
        copy_body(req, conn, &mut File::create(&staged)?)?;
        Ok(staged)
    }

    /// GET or HEAD of an object, whole or one range, sent from its file.
    fn get(&self, req: &Request, conn: &mut TcpStream, bucket: &str, key: &str) -> io::Result<()> {
        let head_only = req.method == "HEAD";
        let Ok(mut file) = File::open(self.object(bucket, key)) else {
            return no_such_key(key).send(conn, None, head_only);
        };
        let meta = file.metadata()?;
        if meta.is_dir() {
            return no_such_key(key).send(conn, None, head_only);
        }
        let (size, etag) = (meta.len(), etag(&meta));
        if req.header("if-match").is_some_and(|m| unquote(m) != etag) {
            let res = Response::error(412, "PreconditionFailed", "If-Match: the ETag differs");
            return res.send(conn, None, head_only);
        }
        let (status, from, len) = match req.header("range").map(|r| range(r, size)) {
            None => (200, 0, size),
            Some(Some((from, to))) => (206, from, to + 1 - from),
            Some(None) => {
                let res = Response::error(
                    416,
                    "InvalidRange",
                    "The requested range is not satisfiable",
                );
                return res.send(conn, None, head_only);
            }
        };
        let mut res = Response::new(status)
            .header("ETag", format!("\"{etag}\""))
            .header("Last-Modified", http_date(mtime_secs(&meta)))
            .header("Accept-Ranges", "bytes")
            .header("Content-Type", "application/octet-stream");
        if status == 206 {
            res = res.header(
                "Content-Range",
                format!("bytes {from}-{}/{size}", from + len - 1),
            );
        }
        res.send(conn, Some(len), true)?;
        if head_only {
            return Ok(());
        }
        file.seek(SeekFrom::Start(from))?;
        // File to socket: the standard library sends it with sendfile(2).
        io::copy(&mut file.take(len), conn)?;
        Ok(())
    }

    /// PutObject: the body into a file of its own, then committed.
    fn put(
        &self,
        req: &Request,
        conn: &mut BufReader<TcpStream>,
        bucket: &str,
        key: &str,
    ) -> io::Result<Response> {
        if req.header("x-amz-copy-source").is_some() {
            copy_body(req, conn, &mut io::sink())?;
            return Ok(Response::error(
                501,
                "NotImplemented",
                "CopyObject is not served",
            ));
        }
        let staged = self.stage_body("put", req, conn)?;
        self.commit(req, staged, bucket, key, |etag| {
            Response::new(200).header("ETag", format!("\"{etag}\""))
        })
    }

    /// Renames `staged` into place if the request's conditions hold.
    fn commit(
        &self,
        req: &Request,
        staged: PathBuf,
        bucket: &str,
        key: &str,
        answer: impl FnOnce(&str) -> Response,
    ) -> io::Result<Response> {
        let path = self.object(bucket, key);
        let _held = self.commit.lock().unwrap_or_else(|e| e.into_inner());
        let current = fs::metadata(&path)
            .ok()
            .filter(|m| m.is_file())
            .map(|m| etag(&m));
        let refused = match (
            req.header("if-none-match"),
            req.header("if-match"),
            &current,
        ) {
            (Some("*"), _, Some(_)) => Some(Response::error(
                412,
                "PreconditionFailed",
                "If-None-Match: the object exists",
            )),
            (_, Some(_), None) => Some(no_such_key(key)),
            (_, Some(m), Some(etag)) if unquote(m) != etag => Some(Response::error(
                412,
                "PreconditionFailed",
                "If-Match: the ETag differs",
            )),
            _ => None,
        };
        if let Some(refused) = refused {
            let _ = fs::remove_file(&staged);
            return Ok(refused);
        }
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::rename(&staged, &path)?;
        Ok(answer(&etag(&fs::metadata(&path)?)))
    }

    fn create_upload(&self, bucket: &str, key: &str) -> io::Result<Response> {
        let dir = self.work_file("upload");
        fs::create_dir(&dir)?;
        let id = dir
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        Ok(Response::new(200).xml(format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<InitiateMultipartUploadResult>\
             <Bucket>{}</Bucket><Key>{}</Key><UploadId>{id}</UploadId></InitiateMultipartUploadResult>",
            escape(bucket),
            escape(key)
        )))
    }

    /// The folder of upload `id`, if it is one.
    fn upload_dir(&self, req: &Request) -> Option<PathBuf> {
        let id = req.param("uploadId")?;
        let valid = id.starts_with("upload-") && !id.contains(['/', '.']);
        let dir = self.root.join(".work").join(id);
        (valid && dir.is_dir()).then_some(dir)
    }

    fn upload_part(
        &self,
        req: &Request,
        conn: &mut BufReader<TcpStream>,
        _: &str,
        _: &str,
    ) -> io::Result<Response> {
        let number = req.param("partNumber").and_then(|n| n.parse::<u32>().ok());
        let (Some(dir), Some(number)) = (self.upload_dir(req), number) else {
            copy_body(req, conn, &mut io::sink())?;
            return Ok(Response::error(
                404,
                "NoSuchUpload",
                "no such upload, or no part number",
            ));
        };
        let staged = self.stage_body("part", req, conn)?;
        let part = dir.join(format!("{number:05}"));
        fs::rename(&staged, &part)?;
        Ok(Response::new(200).header("ETag", format!("\"{}\"", etag(&fs::metadata(&part)?))))
    }

    /// CompleteMultipartUpload: the listed parts joined in one file, committed.
    fn complete(
        &self,
        req: &Request,
        conn: &mut BufReader<TcpStream>,
        bucket: &str,
        key: &str,
    ) -> io::Result<Response> {
        let mut listing = Vec::new();
        copy_body(req, conn, &mut listing)?;
        let Some(dir) = self.upload_dir(req) else {
            return Ok(Response::error(404, "NoSuchUpload", "no such upload"));
        };
        let staged = self.work_file("object");
        let mut joined = File::create(&staged)?;
        for number in part_numbers(&String::from_utf8_lossy(&listing)) {
            let Ok(mut part) = File::open(dir.join(format!("{number:05}"))) else {
                let _ = fs::remove_file(&staged);
                return Ok(Response::error(
                    400,
                    "InvalidPart",
                    &format!("no part {number}"),
                ));
            };
            // File to file: the standard library uses copy_file_range(2).
            io::copy(&mut part, &mut joined)?;
        }
        drop(joined);
        let res = self.commit(req, staged, bucket, key, |etag| {
            Response::new(200).xml(format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CompleteMultipartUploadResult>\
                 <Bucket>{}</Bucket><Key>{}</Key><ETag>&quot;{etag}&quot;</ETag>\
                 </CompleteMultipartUploadResult>",
                escape(bucket),
                escape(key)
            ))
        })?;
        if res.status == 200 {
            fs::remove_dir_all(dir)?;
        }
        Ok(res)
    }

    /// DeleteObject, or AbortMultipartUpload with `uploadId`.
    fn delete(&self, req: &Request, bucket: &str, key: &str) -> io::Result<Response> {
        if req.param("uploadId").is_some() {
            return Ok(match self.upload_dir(req) {
                Some(dir) => fs::remove_dir_all(dir).map(|_| Response::new(204))?,
                None => Response::error(404, "NoSuchUpload", "no such upload"),
            });
        }
        let _held = self.commit.lock().unwrap_or_else(|e| e.into_inner());
        let _ = fs::remove_file(self.object(bucket, key));
        Ok(Response::new(204))
    }
}

/// `/bucket` or `/bucket/key`; `None` for a path that would leave the root.
fn target(path: &str) -> Option<Target<'_>> {
    let path = path.strip_prefix('/')?;
    let (bucket, key) = match path.split_once('/') {
        Some((b, k)) => (b, (!k.is_empty()).then_some(k)),
        None => (path, None),
    };
    let bad =
        |s: &str| s.is_empty() || s.starts_with('.') || s.split('/').any(|c| c == ".." || c == ".");
    (!bad(bucket) && !key.is_some_and(bad)).then_some(Target { bucket, key })
}

/// The bytes a `Range` header asks for, inclusive; `None` if unsatisfiable.
fn range(header: &str, size: u64) -> Option<(u64, u64)> {
    let spec = header.strip_prefix("bytes=")?;
    let (from, to) = spec.split_once('-')?;
    let (from, to) = match (from.parse::<u64>().ok(), to.parse::<u64>().ok()) {
        (Some(f), Some(t)) => (f, t.min(size.saturating_sub(1))),
        (Some(f), None) => (f, size.saturating_sub(1)),
        (None, Some(n)) => (size.saturating_sub(n), size.saturating_sub(1)),
        (None, None) => return None,
    };
    (size > 0 && from < size && from <= to).then_some((from, to))
}

/// The part numbers a CompleteMultipartUpload body lists, in its order.
fn part_numbers(listing: &str) -> Vec<u32> {
    listing
        .split("<PartNumber>")
        .skip(1)
        .filter_map(|s| s.split('<').next()?.trim().parse().ok())
        .collect()
}

fn no_such_key(key: &str) -> Response {
    Response::error(
        404,
        "NoSuchKey",
        &format!("The specified key does not exist: {key}"),
    )
}

pub fn mtime_secs(meta: &fs::Metadata) -> u64 {
    let modified = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok());
    modified.map_or(0, |d| d.as_secs())
}

/// An ETag that changes whenever the file does: its modification time to
/// the nanosecond and its size.
pub fn etag(meta: &fs::Metadata) -> String {
    let modified = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok());
    format!(
        "{:x}-{:x}",
        modified.map_or(0, |d| d.as_nanos()),
        meta.len()
    )
}

fn unquote(etag: &str) -> &str {
    etag.trim().trim_matches('"')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_clamped_to_the_object() {
        assert_eq!(range("bytes=0-9", 100), Some((0, 9)));
        assert_eq!(range("bytes=90-200", 100), Some((90, 99)));
        assert_eq!(range("bytes=10-", 100), Some((10, 99)));
        assert_eq!(range("bytes=-5", 100), Some((95, 99)));
        assert_eq!(range("bytes=100-", 100), None);
        assert_eq!(range("bytes=0-0", 0), None);
    }

    #[test]
    fn paths_name_a_bucket_and_a_key_inside_the_root() {
        let t = target("/b/a/b.csv").unwrap();
        assert_eq!((t.bucket, t.key), ("b", Some("a/b.csv")));
        assert!(target("/b").unwrap().key.is_none());
        assert!(target("/b/../etc").is_none());
        assert!(target("/.work/x").is_none());
    }

    #[test]
    fn part_numbers_are_read_in_the_listing_order() {
        let xml =
            "<CompleteMultipartUpload><Part><ETag>\"a\"</ETag><PartNumber>1</PartNumber></Part>\
                   <Part><PartNumber>2</PartNumber></Part></CompleteMultipartUpload>";
        assert_eq!(part_numbers(xml), vec![1, 2]);
    }
}
