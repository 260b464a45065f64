//! Helpers shared by the integration tests.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// A fresh folder under the target directory, removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("sluice-test-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Writes `content` to `name` inside the folder and returns its path.
    pub fn file(&self, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let p = self.0.join(name);
        std::fs::write(&p, content).unwrap();
        p
    }
}

/// Writes `content` to `path` and sets its last-modified time to `secs`
/// after the Unix epoch (what a local run takes as the ingest date).
pub fn write_dated(path: &Path, content: impl AsRef<[u8]>, secs: u64) {
    std::fs::write(path, content).unwrap();
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs))
        .unwrap();
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The `sluice` binary under test: this build's, or the program named by
/// `SLUICE_TEST_BIN` (the test script sets it to run the packaged arm64
/// `bootstrap` under qemu).
pub fn sluice() -> Command {
    match std::env::var_os("SLUICE_TEST_BIN") {
        Some(bin) => Command::new(bin),
        None => Command::new(env!("CARGO_BIN_EXE_sluice")),
    }
}

/// What `sluice filter` makes of `bytes` locally, read from a file (a pipe
/// each way would fill up with an input and output of megabytes).
pub fn filter_file(bytes: &[u8]) -> Vec<u8> {
    let dir = TempDir::new(&unique("filter-file"));
    let input = dir.file("in.csv", bytes);
    let out = sluice().args(["filter", "-q"]).arg(input).output().unwrap();
    out.stdout
}

/// Runs `sluice filter ARGS` with `stdin` as its standard input.
pub fn filter_stdin(args: &[&str], stdin: &[u8]) -> Output {
    with_stdin(sluice().arg("filter").args(args), stdin)
}

/// Runs `cmd` with `stdin` as its standard input, capturing its output.
pub fn with_stdin(cmd: &mut Command, stdin: &[u8]) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A run refused at argument parsing exits without reading its input:
    // a broken pipe here is that, and its status and stderr tell the rest.
    if let Err(e) = child.stdin.take().unwrap().write_all(stdin) {
        assert_eq!(
            e.kind(),
            std::io::ErrorKind::BrokenPipe,
            "writing stdin: {e}"
        );
    }
    child.wait_with_output().unwrap()
}

/// Every file under `dir`, recursively; none when it does not exist.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The moto server `scripts/test.sh` started.
pub fn endpoint() -> String {
    std::env::var("SLUICE_TEST_ENDPOINT").expect(
        "SLUICE_TEST_ENDPOINT is not set: run the tests with scripts/test.sh, which starts moto's server",
    )
}

/// A name no other test uses (bucket names: lowercase, dashes).
pub fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// Points a command at the moto server with test credentials.
pub fn with_aws(cmd: &mut Command) -> &mut Command {
    cmd.env("AWS_ENDPOINT_URL", endpoint())
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
}

async fn sdk_config() -> aws_config::SdkConfig {
    let creds = aws_sdk_s3::config::Credentials::new("test", "test", None, None, "tests");
    aws_config::from_env()
        .endpoint_url(endpoint())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(creds)
        .load()
        .await
}

pub async fn s3() -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::config::Builder::from(&sdk_config().await)
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

pub async fn sqs() -> aws_sdk_sqs::Client {
    aws_sdk_sqs::Client::new(&sdk_config().await)
}

pub async fn dynamodb() -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(&sdk_config().await)
}

/// Runs a boto3 snippet (the client users script uploads with); `args`
/// are its `sys.argv[1:]`.
pub fn boto3(code: &str, args: &[&str]) {
    let python =
        std::env::var("SLUICE_TEST_PYTHON").expect("SLUICE_TEST_PYTHON is set by scripts/test.sh");
    let mut cmd = Command::new(python);
    cmd.arg("-c")
        .arg(format!(
            "import sys, boto3\ns3 = boto3.client('s3')\n{code}"
        ))
        .args(args);
    let out = with_aws(&mut cmd).output().unwrap();
    assert!(out.status.success(), "boto3: {}", text(&out.stderr));
}

/// Peak resident memory of a running process, in bytes (Linux).
pub fn peak_rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kb: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kb * 1024
}

/// Writes an object; its version id, in a versioned bucket.
pub async fn put(bucket: &str, key: &str, body: &[u8]) -> Option<String> {
    put_with(&s3().await, bucket, key, body).await
}

/// Writes an object through `client` (one shared by many writes).
pub async fn put_with(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    body: &[u8],
) -> Option<String> {
    let body = aws_sdk_s3::primitives::ByteStream::from(body.to_vec());
    let put = client.put_object().bucket(bucket).key(key).body(body);
    put.send().await.unwrap().version_id().map(str::to_string)
}

/// Asserts the object was uploaded in parts: a multipart ETag ends in `-<parts>`.
pub async fn assert_multipart(bucket: &str, key: &str) {
    let head = s3()
        .await
        .head_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap();
    assert!(
        head.e_tag().unwrap_or_default().contains('-'),
        "{bucket}/{key} was written in one part: {:?}",
        head.e_tag()
    );
}

/// A CSV of about `bytes` bytes with quoted fields.
pub fn big_csv(dir: &TempDir, bytes: usize) -> std::path::PathBuf {
    use std::io::Write;
    let path = dir.path().join(format!("big-{bytes}.csv"));
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    writeln!(f, "id,label,a,b,c").unwrap();
    let mut written = 0;
    let mut i = 0u64;
    while written < bytes {
        let line = format!(
            "{i},\"item, \"\"{}\"\"\",{}.{:02},{}.5,{}\n",
            i % 97,
            i % 7,
            i % 100,
            i % 5,
            i % 3
        );
        f.write_all(line.as_bytes()).unwrap();
        written += line.len();
        i += 1;
    }
    f.flush().unwrap();
    path
}
