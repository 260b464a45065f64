//! HTTP/1.1 as the AWS SDK speaks it to S3: one request at a time per
//! connection, kept alive, bodies sized by `Content-Length` (or chunked).

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpStream;

/// A request's head; its body is still on the connection.
pub struct Request {
    pub method: String,
    /// The path, percent-decoded: `/bucket/key`.
    pub path: String,
    /// The query's pairs, percent-decoded.
    pub query: Vec<(String, String)>,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        let found = self.headers.iter().find(|(n, _)| n == name);
        found.map(|(_, v)| v.as_str())
    }

    pub fn param(&self, name: &str) -> Option<&str> {
        let found = self.query.iter().find(|(n, _)| n == name);
        found.map(|(_, v)| v.as_str())
    }

    /// Bytes of body: `Content-Length`, or `None` when chunked.
    pub fn body_len(&self) -> Option<u64> {
        match self.header("transfer-encoding") {
            Some(te) if te.eq_ignore_ascii_case("chunked") => None,
            _ => Some(
                self.header("content-length")
                    .map_or(0, |n| n.parse().unwrap_or(0)),
            ),
        }
    }
}

/// Reads the next request's head; `None` when the client closed.
pub fn read_request(conn: &mut BufReader<TcpStream>) -> io::Result<Option<Request>> {
    let mut line = String::new();
    if conn.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let mut parts = line.split_whitespace();
    let (method, target) = match (parts.next(), parts.next()) {
        (Some(m), Some(t)) => (m.to_string(), t.to_string()),
        _ => return Err(invalid(format!("not an HTTP request line: {line:?}"))),
    };
    let mut headers = Vec::new();
    loop {
        line.clear();
        if conn.read_line(&mut line)? == 0 {
            return Err(invalid(
                "the connection closed inside a request's head".into(),
            ));
        }
        let field = line.trim_end();
        if field.is_empty() {
            break;
        }
        if let Some((name, value)) = field.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
    }
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let query = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect();
    let path = decode(path);
    Ok(Some(Request {
        method,
        path,
        query,
        headers,
    }))
}

/// Copies a request's body to `to`; the bytes copied.
pub fn copy_body(
    req: &Request,
    conn: &mut BufReader<TcpStream>,
    to: &mut impl Write,
) -> io::Result<u64> {
    if req
        .header("expect")
        .is_some_and(|e| e.eq_ignore_ascii_case("100-continue"))
    {
        conn.get_mut().write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
    }
    // A streaming-signed body carries chunk signatures inside it; the
    // SDK sends one only for bodies of unknown length, which sluice has not.
    let content_sha = req.header("x-amz-content-sha256").unwrap_or("");
    if content_sha.starts_with("STREAMING-") {
        return Err(invalid(format!(
            "a streaming-signed body ({content_sha}) is not served"
        )));
    }
    match req.body_len() {
        Some(n) => {
            let copied = io::copy(&mut conn.by_ref().take(n), to)?;
            if copied < n {
                return Err(invalid(format!(
                    "the body ended after {copied} of {n} bytes"
                )));
            }
            Ok(copied)
        }
        None => copy_chunked(conn, to),
    }
}

/// A chunked body: hex sizes, each chunk, then an empty chunk and trailers.
fn copy_chunked(conn: &mut BufReader<TcpStream>, to: &mut impl Write) -> io::Result<u64> {
    let mut total = 0;
    let mut line = String::new();
    loop {
        line.clear();
        conn.read_line(&mut line)?;
        let size = line.trim().split(';').next().unwrap_or("");
        let size = u64::from_str_radix(size, 16)
            .map_err(|_| invalid(format!("a bad chunk size: {line:?}")))?;
        if size == 0 {
            // Trailers, up to the empty line.
            loop {
                line.clear();
                if conn.read_line(&mut line)? == 0 || line.trim().is_empty() {
                    return Ok(total);
                }
            }
        }
        total += io::copy(&mut conn.by_ref().take(size), to)?;
        line.clear();
        conn.read_line(&mut line)?; // the CRLF after the chunk
    }
}

/// A response: status, headers and a body held in memory (XML, errors).
pub struct Response {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn new(status: u16) -> Self {
        Response {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    pub fn xml(mut self, body: String) -> Self {
        self.headers
            .push(("Content-Type", "application/xml".into()));
        self.body = body.into_bytes();
        self
    }

    /// An S3 error document.
    pub fn error(status: u16, code: &str, message: &str) -> Self {
        Response::new(status).xml(format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <Error><Code>{code}</Code><Message>{}</Message></Error>",
            escape(message)
        ))
    }

    /// Writes the head, with `Content-Length` of `len` (the body's own
    /// length when `None`), and the body held here unless `head_only`.
    pub fn send(&self, conn: &mut TcpStream, len: Option<u64>, head_only: bool) -> io::Result<()> {
        let mut head = format!("HTTP/1.1 {} {}\r\n", self.status, reason(self.status));
        for (name, value) in &self.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        let len = len.unwrap_or(self.body.len() as u64);
        head.push_str(&format!("Content-Length: {len}\r\n\r\n"));
        let mut bytes = head.into_bytes();
        if !head_only {
            bytes.extend_from_slice(&self.body);
        }
        conn.write_all(&bytes)
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        206 => "Partial Content",
        304 => "Not Modified",
        400 => "Bad Request",
        404 => "Not Found",
        409 => "Conflict",
        412 => "Precondition Failed",
        416 => "Range Not Satisfiable",
        501 => "Not Implemented",
        _ => "Error",
    }
}

/// Escapes text for XML.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Percent-decodes a URL component (`+` stays itself, as in S3's paths).
pub fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

/// An HTTP date (RFC 7231) of seconds since the epoch.
pub fn http_date(secs: u64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil(days as i64);
    let (hh, mm, ss) = (rest / 3600, rest / 60 % 60, rest % 60);
    let weekday = DAYS[(days % 7) as usize];
    let month = MONTHS[(m - 1) as usize];
    format!("{weekday}, {d:02} {month} {y} {hh:02}:{mm:02}:{ss:02} GMT")
}

/// An ISO 8601 time of seconds since the epoch, as S3's listings give it.
pub fn iso_date(secs: u64) -> String {
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil(days as i64);
    let (hh, mm, ss) = (rest / 3600, rest / 60 % 60, rest % 60);
    format!("{y}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}.000Z")
}

/// The proleptic Gregorian date of a day count since 1970-01-01.
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_formatted_as_http_and_iso_dates() {
        assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(http_date(1_795_996_800), "Mon, 30 Nov 2026 00:00:00 GMT");
        assert_eq!(iso_date(951_782_400 + 3_661), "2000-02-29T01:01:01.000Z");
    }

    #[test]
    fn components_are_percent_decoded() {
        assert_eq!(decode("/b/a%20b%2Fc+d"), "/b/a b/c+d");
        assert_eq!(decode("100%"), "100%");
    }
}
