//! The decoding stage on a thread of its own, so that a second core
//! decodes while the calling task's job scans the chunk before.

use super::{Compression, Inline, RawSource};

/// How many chunks wait in each direction between the reading task and
/// the decoding thread: enough to ride out uneven chunks, few enough that
/// memory stays a few chunks.
const QUEUED_CHUNKS: usize = 2;

type Chunk = anyhow::Result<Vec<u8>>;

/// What the reading task does next.
enum Next {
    Decoded(Option<Chunk>),
    Feed,
    Wait,
}

/// The stage with an [`Inline`] one on its own thread: this task reads raw
/// chunks (the source is async: S3) and passes them over; the thread sends
/// decoded chunks back. Buffers return the other way to be reused.
pub(super) struct Threaded {
    /// Raw chunks to the thread; `None` once the input ended.
    raw_tx: Option<tokio::sync::mpsc::Sender<Vec<u8>>>,
    used_raw: std::sync::mpsc::Receiver<Vec<u8>>,
    chunks: tokio::sync::mpsc::Receiver<Chunk>,
    used_chunks: std::sync::mpsc::Sender<Vec<u8>>,
    /// The thread sent its last chunk (the end or an error).
    ended: bool,
}

impl Threaded {
    /// `None` when no thread can be had: the caller decodes inline.
    pub(super) fn spawn(c: Compression, chunk_bytes: usize) -> Option<Self> {
        let (raw_tx, raw_rx) = tokio::sync::mpsc::channel(QUEUED_CHUNKS);
        let (used_raw_tx, used_raw) = std::sync::mpsc::channel();
        let (chunk_tx, chunks) = tokio::sync::mpsc::channel(QUEUED_CHUNKS);
        let (used_chunks, used_chunks_rx) = std::sync::mpsc::channel();
        // The inline stage's loop, driven on the thread by a runtime of its own.
        let runtime = tokio::runtime::Builder::new_current_thread().build().ok()?;
        let mut source = Received {
            rx: raw_rx,
            used: used_raw_tx,
        };
        let mut stage = Inline::new(c, chunk_bytes);
        let work = move || {
            runtime.block_on(async {
                loop {
                    let mut out = used_chunks_rx
                        .try_recv()
                        .unwrap_or_else(|_| Vec::with_capacity(chunk_bytes));
                    let chunk = stage.read_chunk(&mut source, &mut out).await.map(|()| out);
                    let last = chunk.as_ref().map_or(true, Vec::is_empty);
                    // A closed channel: the reader is gone, and so is the need.
                    if chunk_tx.send(chunk).await.is_err() || last {
                        return;
                    }
                }
            })
        };
        let thread = std::thread::Builder::new().name("sluice-decode".into());
        thread.spawn(work).ok()?;
        let raw_tx = Some(raw_tx);
        Some(Threaded {
            raw_tx,
            used_raw,
            chunks,
            used_chunks,
            ended: false,
        })
    }

    pub(super) async fn read_chunk<S: RawSource>(
        &mut self,
        source: &mut S,
        out: &mut Vec<u8>,
    ) -> anyhow::Result<()> {
        loop {
            // A decoded chunk first; else feed the thread while it has room.
            let next = match &self.raw_tx {
                None => Next::Wait,
                Some(raw_tx) => tokio::select! {
                    biased;
                    chunk = self.chunks.recv() => Next::Decoded(chunk),
                    // Closed: the thread stopped, and its last chunk says why.
                    permit = raw_tx.reserve() => permit.map_or(Next::Wait, |_| Next::Feed),
                },
            };
            let chunk = match next {
                Next::Decoded(chunk) => chunk,
                Next::Wait => self.chunks.recv().await,
                Next::Feed => {
                    self.feed(source).await?;
                    continue;
                }
            };
            return self.take(chunk, out);
        }
    }

    /// Reads a raw chunk and sends it to the thread, which has room for it.
    async fn feed<S: RawSource>(&mut self, source: &mut S) -> anyhow::Result<()> {
        let mut raw = self.used_raw.try_recv().unwrap_or_default();
        source.read_raw(&mut raw).await?;
        match (raw.is_empty(), &self.raw_tx) {
            // Only this task sends, so the room seen is still there: no
            // wait. A send error is the thread's, reported with its chunks.
            (false, Some(raw_tx)) => drop(raw_tx.send(raw).await),
            _ => self.raw_tx = None,
        }
        Ok(())
    }

    /// Hands a decoded chunk to the caller, and the caller's old buffer back.
    fn take(&mut self, chunk: Option<Chunk>, out: &mut Vec<u8>) -> anyhow::Result<()> {
        match chunk {
            Some(Ok(mut chunk)) => {
                self.ended = chunk.is_empty();
                std::mem::swap(out, &mut chunk);
                let _ = self.used_chunks.send(chunk);
                Ok(())
            }
            Some(Err(e)) => {
                self.ended = true;
                Err(e)
            }
            None if self.ended => {
                out.clear();
                Ok(())
            }
            None => anyhow::bail!("the decoding thread stopped (a panic: see above)"),
        }
    }
}

/// The decoding thread's source: the raw chunks the reading task sends.
struct Received {
    rx: tokio::sync::mpsc::Receiver<Vec<u8>>,
    /// Spent buffers, back to the reading task for its next read.
    used: std::sync::mpsc::Sender<Vec<u8>>,
}

impl RawSource for Received {
    async fn read_raw(&mut self, buf: &mut Vec<u8>) -> anyhow::Result<()> {
        match self.rx.recv().await {
            Some(mut raw) => {
                std::mem::swap(buf, &mut raw);
                let _ = self.used.send(raw);
            }
            None => buf.clear(),
        }
        Ok(())
    }
}
