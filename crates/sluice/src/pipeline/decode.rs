//! The decoding stage of the read path: recognising gzip, zstd and bzip2
//! inputs (by magic bytes, name or `Content-Encoding`), decompressing them
//! streaming with a bound on the output of each call, so memory stays
//! constant whatever the compression ratio, and compressing outputs the
//! same way.
//!
//! [`Decoder`] is the sans-I/O core; [`Decompress`] drives it from an async
//! [`RawSource`] in chunks the engine can scan; [`Encoder`] compresses.

mod codec;
mod thread;

use codec::Codec;
use thread::Threaded;

/// The compression formats Sluice reads and writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    Gzip,
    Zstd,
    Bzip2,
}

/// The `BZh` signature is printable, so a CSV could start with it: when the
/// head is long enough, the block (or end-of-stream) magic after the level
/// digit must follow too.
const BZIP2_BLOCK_MAGIC: [u8; 6] = [0x31, 0x41, 0x59, 0x26, 0x53, 0x59];
const BZIP2_END_MAGIC: [u8; 6] = [0x17, 0x72, 0x45, 0x38, 0x50, 0x90];

impl Compression {
    pub const ALL: [Compression; 3] = [Compression::Gzip, Compression::Zstd, Compression::Bzip2];

    /// The format whose signature starts `head`, if any.
    pub fn from_magic(head: &[u8]) -> Option<Self> {
        match head {
            [0x1f, 0x8b, ..] => Some(Compression::Gzip),
            [0x28, 0xb5, 0x2f, 0xfd, ..] => Some(Compression::Zstd),
            // A skippable frame (0x184D2A50..5F) may open a zstd stream (pzstd writes one).
            [0x50..=0x5f, 0x2a, 0x4d, 0x18, ..] => Some(Compression::Zstd),
            [b'B', b'Z', b'h', b'1'..=b'9', rest @ ..] => {
                let magic = rest.get(..6);
                let fits = magic.is_none_or(|m| m == BZIP2_BLOCK_MAGIC || m == BZIP2_END_MAGIC);
                fits.then_some(Compression::Bzip2)
            }
            _ => None,
        }
    }

    /// The format a file or key name's extension says (`.gz`, `.zst`, `.bz2`).
    pub fn from_name(name: &str) -> Option<Self> {
        let lower = name.to_ascii_lowercase();
        Self::ALL
            .into_iter()
            .find(|c| lower.ends_with(c.extension()))
    }

    /// The format an HTTP `Content-Encoding` value says. Transport codings
    /// (`aws-chunked`, `identity`) are skipped; a list holding anything else
    /// as well (`gzip, br`) is not one we can undo, so it gives `None`.
    pub fn from_content_encoding(value: &str) -> Option<Self> {
        let mut codings = value
            .split(',')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .filter(|c| {
                !c.eq_ignore_ascii_case("aws-chunked") && !c.eq_ignore_ascii_case("identity")
            });
        let coding = codings.next()?.to_ascii_lowercase();
        if codings.next().is_some() {
            return None;
        }
        match coding.as_str() {
            "gzip" | "x-gzip" => Some(Compression::Gzip),
            "zstd" => Some(Compression::Zstd),
            "bzip2" | "x-bzip2" => Some(Compression::Bzip2),
            _ => None,
        }
    }

    /// A `--compress` value: `none`, `gzip`, `zstd` or `bzip2`.
    pub fn parse(s: &str) -> Result<Option<Self>, String> {
        let lower = s.to_ascii_lowercase();
        let named = |c: &Compression| lower == c.name() || lower == c.extension()[1..];
        match Self::ALL.into_iter().find(named) {
            Some(c) => Ok(Some(c)),
            None if lower == "none" => Ok(None),
            None => Err(format!(
                "unknown compression '{s}': use none, gzip, zstd or bzip2"
            )),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
            Compression::Bzip2 => "bzip2",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Compression::Gzip => ".gz",
            Compression::Zstd => ".zst",
            Compression::Bzip2 => ".bz2",
        }
    }

    /// The S3 `Content-Encoding` for an object in this format. bzip2 has no
    /// registered coding: its name is what [`Self::from_content_encoding`]
    /// reads back.
    pub fn content_encoding(self) -> &'static str {
        self.name()
    }
}

/// A damaged or truncated stream, named by the compressed byte offset at
/// which the decoder stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    pub compression: Compression,
    pub offset: u64,
    pub detail: String,
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (name, offset, detail) = (self.compression.name(), self.offset, &self.detail);
        write!(
            f,
            "not valid {name} data at compressed byte {offset}: {detail}"
        )
    }
}

impl std::error::Error for DecodeError {}

/// Streaming decompressor with bounded output per call (constant memory
/// whatever the ratio).
pub struct Decoder {
    compression: Compression,
    codec: Codec,
    /// Compressed bytes consumed so far: where an error is.
    offset: u64,
    /// Between gzip members or bzip2 streams, where zero padding (written
    /// by some tape and archive tools, and ignored by gzip) may follow.
    between: bool,
}

impl Decoder {
    pub fn new(compression: Compression) -> Self {
        Decoder {
            compression,
            codec: Codec::new(compression),
            offset: 0,
            between: false,
        }
    }

    /// Decompresses from `input`, appending at most `room` bytes to `out`;
    /// returns the bytes of `input` consumed. Call again with the rest of
    /// the input (or none, at the end) until it neither consumes nor
    /// produces: a codec may hold output back when `room` runs out.
    /// Concatenated gzip members and bzip2 streams, and multiple zstd
    /// frames, are all decoded.
    pub fn decode(
        &mut self,
        input: &[u8],
        out: &mut Vec<u8>,
        room: usize,
    ) -> Result<usize, DecodeError> {
        let mut skipped = 0;
        if self.between {
            skipped = input.iter().take_while(|&&b| b == 0).count();
            if skipped == input.len() || room == 0 {
                self.offset += skipped as u64;
                return Ok(skipped);
            }
            // Something other than padding: the next member starts here.
            self.codec = Codec::new(self.compression);
            self.between = false;
        }
        let input = &input[skipped..];
        let step = self.codec.step(input, out, room);
        let step = step.map_err(|(used, detail)| self.error(skipped + used, detail))?;
        self.between = step.ended;
        self.offset += (skipped + step.used) as u64;
        Ok(skipped + step.used)
    }

    /// At the end of the input: an error if the stream is truncated (no
    /// complete member, stream or frame at its end, or no data at all).
    pub fn finish(&mut self) -> Result<(), DecodeError> {
        if self.codec.complete(self.between) {
            return Ok(());
        }
        let detail = if self.offset == 0 {
            "no data (an empty input)"
        } else {
            "the data ends early (a truncated file or an interrupted upload)"
        };
        Err(self.error(0, detail.into()))
    }

    fn error(&self, used: usize, detail: String) -> DecodeError {
        DecodeError {
            compression: self.compression,
            offset: self.offset + used as u64,
            detail,
        }
    }
}

/// Streaming compressor for outputs (output compression follows the input
/// by default).
pub struct Encoder {
    inner: EncoderInner,
}

enum EncoderInner {
    Gzip(flate2::write::GzEncoder<Vec<u8>>),
    Zstd(zstd::stream::write::Encoder<'static, Vec<u8>>),
    Bzip2(bzip2::write::BzEncoder<Vec<u8>>),
}

impl Encoder {
    /// An encoder at the level that keeps up with the read path: gzip 1
    /// and zstd 1 (on the bench CSV ~175 and ~195 MB/s in, where gzip 6
    /// does ~30 and zstd 3 ~140, for files 19% and 3% smaller); bzip2 is
    /// slow at any level (~12 MB/s), so it keeps the tool's 9.
    pub fn new(c: Compression) -> Self {
        let level = match c {
            Compression::Gzip | Compression::Zstd => 1,
            Compression::Bzip2 => 9,
        };
        Self::with_level(c, level)
    }

    pub fn with_level(c: Compression, level: u32) -> Self {
        let inner = match c {
            Compression::Gzip => {
                let level = flate2::Compression::new(level.min(9));
                EncoderInner::Gzip(flate2::write::GzEncoder::new(Vec::new(), level))
            }
            Compression::Zstd => {
                let mut e = zstd::stream::write::Encoder::new(Vec::new(), level.min(22) as i32)
                    .expect("zstd allocates a compression context");
                // As the zstd tool does: a checksum, so corruption is caught.
                e.include_checksum(true)
                    .expect("zstd takes the checksum flag");
                EncoderInner::Zstd(e)
            }
            Compression::Bzip2 => {
                let level = bzip2::Compression::new(level.clamp(1, 9));
                EncoderInner::Bzip2(bzip2::write::BzEncoder::new(Vec::new(), level))
            }
        };
        Encoder { inner }
    }

    /// Compresses `input`, appending what is ready to `out`.
    pub fn encode(&mut self, input: &[u8], out: &mut Vec<u8>) -> std::io::Result<()> {
        use std::io::Write;
        let ready = match &mut self.inner {
            EncoderInner::Gzip(e) => e.write_all(input).map(|()| e.get_mut()),
            EncoderInner::Zstd(e) => e.write_all(input).map(|()| e.get_mut()),
            EncoderInner::Bzip2(e) => e.write_all(input).map(|()| e.get_mut()),
        }?;
        out.append(ready);
        Ok(())
    }

    /// Ends the stream, appending the rest to `out`.
    pub fn finish(self, out: &mut Vec<u8>) -> std::io::Result<()> {
        let mut rest = match self.inner {
            EncoderInner::Gzip(e) => e.finish(),
            EncoderInner::Zstd(e) => e.finish(),
            EncoderInner::Bzip2(e) => e.finish(),
        }?;
        out.append(&mut rest);
        Ok(())
    }
}

/// A source of raw (still compressed) bytes in chunks.
#[allow(async_fn_in_trait)] // used in one task: no Send bound needed
pub trait RawSource {
    /// Replaces `buf`'s contents with the next chunk; empty means the end.
    async fn read_raw(&mut self, buf: &mut Vec<u8>) -> anyhow::Result<()>;
}

/// The read path's decoding stage: pulls raw chunks from a [`RawSource`]
/// and yields decompressed chunks of at most `chunk_bytes`, holding a few
/// raw chunks and the codec's window, whatever the input's size or ratio.
pub struct Decompress {
    stage: Stage,
}

enum Stage {
    Inline(Inline),
    Thread(Threaded),
}

impl Decompress {
    /// Decodes on a thread of its own when the machine has a second core:
    /// decoding is slower than the engine's scan, so overlapping the two
    /// is most of the gain (see `scripts/bench-decode.sh`).
    pub fn new(c: Compression, chunk_bytes: usize) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Self::with_thread(c, chunk_bytes, cores > 1)
    }

    pub fn with_thread(c: Compression, chunk_bytes: usize, thread: bool) -> Self {
        let threaded = thread.then(|| Threaded::spawn(c, chunk_bytes)).flatten();
        let stage = match threaded {
            Some(threaded) => Stage::Thread(threaded),
            None => Stage::Inline(Inline::new(c, chunk_bytes)),
        };
        Decompress { stage }
    }

    /// Fills `out` (replacing its contents) with up to `chunk_bytes`
    /// decompressed bytes; empty means the end of the stream. A damaged or
    /// truncated stream is an error holding a [`DecodeError`].
    pub async fn read_chunk<S: RawSource>(
        &mut self,
        source: &mut S,
        out: &mut Vec<u8>,
    ) -> anyhow::Result<()> {
        match &mut self.stage {
            Stage::Inline(inline) => inline.read_chunk(source, out).await,
            Stage::Thread(threaded) => threaded.read_chunk(source, out).await,
        }
    }
}

/// The stage on the calling task.
struct Inline {
    decoder: Decoder,
    chunk_bytes: usize,
    raw: Vec<u8>,
    /// How much of `raw` the decoder has consumed.
    taken: usize,
    raw_ended: bool,
    done: bool,
}

impl Inline {
    fn new(c: Compression, chunk_bytes: usize) -> Self {
        assert!(chunk_bytes > 0, "chunks hold at least a byte");
        Inline {
            decoder: Decoder::new(c),
            chunk_bytes,
            raw: Vec::with_capacity(crate::adapters::local::CHUNK_BYTES),
            taken: 0,
            raw_ended: false,
            done: false,
        }
    }

    async fn read_chunk<S: RawSource>(
        &mut self,
        source: &mut S,
        out: &mut Vec<u8>,
    ) -> anyhow::Result<()> {
        out.clear();
        while out.len() < self.chunk_bytes && !self.done {
            if self.taken == self.raw.len() && !self.raw_ended {
                source.read_raw(&mut self.raw).await?;
                self.taken = 0;
                self.raw_ended = self.raw.is_empty();
            }
            let made_before = out.len();
            let room = self.chunk_bytes - out.len();
            let used = self.decoder.decode(&self.raw[self.taken..], out, room)?;
            self.taken += used;
            let stalled = used == 0 && out.len() == made_before;
            if stalled && self.raw_ended {
                self.decoder.finish()?;
                self.done = true;
            } else if stalled {
                // Every codec takes input while it has room to write into.
                anyhow::bail!("the {:?} decoder is stuck", self.decoder.compression);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Compression; 3] = Compression::ALL;

    /// CSV rows with some variety, so the codecs emit every kind of block.
    fn sample_csv(rows: usize) -> Vec<u8> {
        let mut rng = fastrand::Rng::with_seed(12);
        let mut csv = b"id,name,amount,note\n".to_vec();
        for i in 0..rows {
            let name: String = (0..rng.usize(1..12)).map(|_| rng.lowercase()).collect();
            let line = format!(
                "{i},{name},{}.{:02},\"a, b\"\n",
                rng.u32(..100_000),
                rng.u8(..100)
            );
            csv.extend_from_slice(line.as_bytes());
        }
        csv
    }

    fn compress(c: Compression, plain: &[u8]) -> Vec<u8> {
        encode_with(Encoder::new(c), plain)
    }

    fn compress_at(c: Compression, level: u32, plain: &[u8]) -> Vec<u8> {
        encode_with(Encoder::with_level(c, level), plain)
    }

    fn encode_with(mut encoder: Encoder, plain: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        // Several calls, so the encoder's streaming is exercised too.
        for piece in plain.chunks(10_000) {
            encoder.encode(piece, &mut out).unwrap();
        }
        encoder.finish(&mut out).unwrap();
        out
    }

    /// Decodes `data` handing the decoder at most `feed` input bytes and
    /// `room` output bytes a call, checking the bound on each call.
    fn decode_all(
        c: Compression,
        data: &[u8],
        feed: usize,
        room: usize,
    ) -> Result<Vec<u8>, DecodeError> {
        let (mut decoder, mut plain, mut out) = (Decoder::new(c), Vec::new(), Vec::new());
        let mut at = 0usize;
        loop {
            let end = data.len().min(at.saturating_add(feed));
            out.clear();
            let used = decoder.decode(&data[at..end], &mut out, room)?;
            assert!(out.len() <= room, "{} bytes out for room {room}", out.len());
            at += used;
            plain.extend_from_slice(&out);
            if used == 0 && out.is_empty() {
                assert_eq!(at, data.len(), "{c:?} stalled with input left");
                decoder.finish()?;
                return Ok(plain);
            }
        }
    }

    #[test]
    fn every_codec_round_trips_at_every_room_and_feed_size() {
        let plain = sample_csv(600);
        for c in ALL {
            let packed = compress(c, &plain);
            let rooms = [
                1,
                2,
                3,
                7,
                255,
                4097,
                plain.len() - 1,
                plain.len(),
                plain.len() + 1,
            ];
            for room in rooms {
                for feed in [1, 13, 4096, usize::MAX] {
                    let got = decode_all(c, &packed, feed, room).unwrap();
                    assert!(got == plain, "{c:?} room {room} feed {feed}");
                }
            }
        }
    }

    #[test]
    fn empty_streams_round_trip() {
        for c in ALL {
            assert_eq!(decode_all(c, &compress(c, b""), 7, 5).unwrap(), b"");
        }
    }

    #[test]
    fn concatenated_members_streams_and_frames_are_all_decoded() {
        let (a, b) = (sample_csv(300), b"last,row\n".to_vec());
        for c in ALL {
            // Includes an empty one, as `cat a.gz empty.gz b.gz` gives.
            let packed = [compress(c, &a), compress(c, b""), compress(c, &b)].concat();
            for (feed, room) in [(1, 1), (7, 4096), (usize::MAX, 1 << 20)] {
                let got = decode_all(c, &packed, feed, room).unwrap();
                assert!(got == [a.as_slice(), &b].concat(), "{c:?} feed {feed}");
            }
        }
    }

    #[test]
    fn zero_padding_after_gzip_and_bzip2_is_ignored_as_gzip_does() {
        for c in [Compression::Gzip, Compression::Bzip2] {
            let packed = [compress(c, b"a,b\n"), vec![0; 100]].concat();
            assert_eq!(decode_all(c, &packed, 9, 64).unwrap(), b"a,b\n");
        }
    }

    #[test]
    fn zstd_skippable_frames_are_passed_over() {
        let skippable = [&[0x5a, 0x2a, 0x4d, 0x18, 3, 0, 0, 0][..], b"xyz"].concat();
        let packed = [skippable, compress(Compression::Zstd, b"a,b\n")].concat();
        assert_eq!(Compression::from_magic(&packed), Some(Compression::Zstd));
        assert_eq!(
            decode_all(Compression::Zstd, &packed, 5, 3).unwrap(),
            b"a,b\n"
        );
    }

    #[test]
    fn a_flipped_byte_is_an_error_at_or_after_it() {
        let plain = sample_csv(3000);
        for c in ALL {
            let mut packed = compress(c, &plain);
            let at = packed.len() / 2;
            packed[at] ^= 0x55;
            let e = decode_all(c, &packed, 4096, 4096).unwrap_err();
            assert_eq!(e.compression, c);
            // zstd reports the start of the input it was given.
            let from = if c == Compression::Zstd { 0 } else { at as u64 };
            let span = from..=packed.len() as u64;
            assert!(span.contains(&e.offset), "{c:?}: {e} (flipped {at})");
            let prefix = format!(
                "not valid {} data at compressed byte {}: ",
                c.name(),
                e.offset
            );
            assert!(e.to_string().starts_with(&prefix), "{e}");
        }
    }

    #[test]
    fn a_truncated_stream_is_an_error_at_its_end() {
        let plain = sample_csv(500);
        for c in ALL {
            let packed = compress(c, &plain);
            for cut in [1, 4, packed.len() / 2] {
                let short = &packed[..packed.len() - cut];
                let e = decode_all(c, short, 1000, 1000).unwrap_err();
                assert_eq!(e.offset, short.len() as u64, "{c:?} cut {cut}: {e}");
                assert!(e.detail.contains("ends early"), "{e}");
            }
            let e = decode_all(c, b"", 1, 1).unwrap_err();
            assert_eq!((e.offset, e.detail.contains("empty")), (0, true), "{e}");
        }
    }

    #[test]
    fn garbage_after_a_member_is_an_error_where_it_starts() {
        for c in [Compression::Gzip, Compression::Bzip2] {
            let member = compress(c, b"a,b\n");
            let packed = [&member[..], b"\0\0trailing,text\n"].concat();
            let e = decode_all(c, &packed, 1000, 1000).unwrap_err();
            let after = member.len() as u64 + 2;
            assert!(
                (after..=packed.len() as u64).contains(&e.offset),
                "{c:?}: {e}"
            );
        }
    }

    /// Replays data in pieces of a fixed size, as a network read might.
    struct Pieces<'a> {
        data: &'a [u8],
        size: usize,
        /// At the end of the data, fail (a lost connection) instead.
        fail: bool,
    }

    impl RawSource for Pieces<'_> {
        async fn read_raw(&mut self, buf: &mut Vec<u8>) -> anyhow::Result<()> {
            let n = self.size.min(self.data.len());
            buf.clear();
            buf.extend_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            anyhow::ensure!(!self.fail || n > 0, "connection reset");
            Ok(())
        }
    }

    /// Runs a [`Decompress`] to the end; the chunk buffer never grows past
    /// `chunk` (reserved up front, as the read path does).
    async fn decompress_all(c: Compression, packed: &[u8], piece: usize, chunk: usize) -> Vec<u8> {
        let inline = decompress_with(false, c, packed, piece, chunk).await;
        let threaded = decompress_with(true, c, packed, piece, chunk).await;
        assert!(inline == threaded, "{c:?}: the thread changes the result");
        threaded
    }

    async fn decompress_with(
        thread: bool,
        c: Compression,
        packed: &[u8],
        piece: usize,
        chunk: usize,
    ) -> Vec<u8> {
        let mut source = Pieces {
            data: packed,
            size: piece,
            fail: false,
        };
        let mut stage = Decompress::with_thread(c, chunk, thread);
        let mut out = Vec::with_capacity(chunk);
        let mut plain = Vec::new();
        loop {
            stage.read_chunk(&mut source, &mut out).await.unwrap();
            assert!(out.capacity() == chunk && out.len() <= chunk);
            if out.is_empty() {
                return plain;
            }
            plain.extend_from_slice(&out);
        }
    }

    #[tokio::test]
    async fn the_stage_yields_bounded_chunks_from_any_piece_size() {
        let plain = sample_csv(2000);
        for c in ALL {
            let packed = compress(c, &plain);
            for (piece, chunk) in [(1, 1), (3, 1000), (4096, 65_537), (1 << 20, 1 << 18)] {
                let got = decompress_all(c, &packed, piece, chunk).await;
                assert!(got == plain, "{c:?} piece {piece} chunk {chunk}");
            }
        }
    }

    #[tokio::test]
    async fn a_thousandfold_ratio_decodes_in_bounded_chunks() {
        // Deflate tops out near 1,030-fold, on short repeats like this one.
        let plain = b"1,x\n".repeat(1 << 20); // 4 MiB
        for c in ALL {
            let packed = compress_at(c, 9, &plain);
            assert!(
                packed.len() * 1000 <= plain.len(),
                "{c:?}: {} bytes",
                packed.len()
            );
            let got = decompress_all(c, &packed, 1 << 18, 1 << 16).await;
            assert!(got == plain, "{c:?}");
        }
    }

    #[tokio::test]
    async fn the_stage_reports_damage_as_a_decode_error() {
        let mut packed = compress(Compression::Gzip, &sample_csv(100));
        packed.truncate(packed.len() - 3);
        for thread in [false, true] {
            let mut source = Pieces {
                data: &packed,
                size: 100,
                fail: false,
            };
            let mut stage = Decompress::with_thread(Compression::Gzip, 1 << 16, thread);
            let e = stage.read_chunk(&mut source, &mut Vec::new()).await;
            let e = e.unwrap_err().downcast::<DecodeError>().unwrap();
            assert_eq!(e.offset, packed.len() as u64);
        }
    }

    #[tokio::test]
    async fn the_stage_passes_on_a_source_error_and_can_be_dropped_midway() {
        let packed = compress(Compression::Zstd, &sample_csv(20_000));
        for thread in [false, true] {
            let mut source = Pieces {
                data: &packed,
                size: 1000,
                fail: true,
            };
            let mut stage = Decompress::with_thread(Compression::Zstd, 4096, thread);
            let mut out = Vec::new();
            let e = loop {
                match stage.read_chunk(&mut source, &mut out).await {
                    Ok(()) => assert!(!out.is_empty(), "the end before the error"),
                    Err(e) => break e,
                }
            };
            assert_eq!(e.to_string(), "connection reset");
            // Dropped with one chunk read: the thread must stop, not hang.
            let mut source = Pieces {
                data: &packed,
                size: 1000,
                fail: false,
            };
            let mut stage = Decompress::with_thread(Compression::Zstd, 4096, thread);
            stage.read_chunk(&mut source, &mut out).await.unwrap();
        }
    }

    #[test]
    fn formats_are_told_by_magic_bytes() {
        for c in ALL {
            assert_eq!(Compression::from_magic(&compress(c, b"a\n")), Some(c));
            assert_eq!(Compression::from_magic(&compress(c, b"")), Some(c));
        }
        assert_eq!(
            Compression::from_magic(b"\x1f\x8b"),
            Some(Compression::Gzip)
        );
        assert_eq!(Compression::from_magic(b"BZh9"), Some(Compression::Bzip2));
        // A CSV that happens to start with the bzip2 letters is still a CSV.
        assert_eq!(Compression::from_magic(b"BZh1,name\n1,x\n"), None);
        for plain in [
            &b"id,name\n"[..],
            b"",
            b"\x1f",
            b"\xef\xbb\xbfa,b",
            b"BZh",
            b"BZhx",
        ] {
            assert_eq!(Compression::from_magic(plain), None, "{plain:?}");
        }
    }

    #[test]
    fn formats_are_told_by_name() {
        assert_eq!(
            Compression::from_name("in/a.csv.gz"),
            Some(Compression::Gzip)
        );
        assert_eq!(Compression::from_name("A.CSV.ZST"), Some(Compression::Zstd));
        assert_eq!(Compression::from_name("x.Bz2"), Some(Compression::Bzip2));
        for plain in ["a.csv", "a.gzip.csv", "gz", "a.zstd", "a.tgz"] {
            assert_eq!(Compression::from_name(plain), None, "{plain}");
        }
        for c in ALL {
            assert_eq!(
                Compression::from_name(&format!("k{}", c.extension())),
                Some(c)
            );
        }
    }

    #[test]
    fn formats_are_told_by_content_encoding() {
        let cases = [
            ("gzip", Some(Compression::Gzip)),
            ("X-GZIP", Some(Compression::Gzip)),
            ("aws-chunked, gzip", Some(Compression::Gzip)),
            ("gzip,aws-chunked", Some(Compression::Gzip)),
            ("zstd", Some(Compression::Zstd)),
            ("bzip2", Some(Compression::Bzip2)),
            ("br", None),
            ("gzip, br", None),
            ("identity", None),
            ("aws-chunked", None),
            ("", None),
        ];
        for (value, want) in cases {
            assert_eq!(Compression::from_content_encoding(value), want, "{value:?}");
        }
        for c in ALL {
            assert_eq!(
                Compression::from_content_encoding(c.content_encoding()),
                Some(c)
            );
        }
    }

    #[test]
    fn compress_option_values_parse() {
        assert_eq!(Compression::parse("none"), Ok(None));
        for c in ALL {
            assert_eq!(Compression::parse(c.name()), Ok(Some(c)));
            assert_eq!(Compression::parse(&c.name().to_uppercase()), Ok(Some(c)));
        }
        let e = Compression::parse("lz4").unwrap_err();
        assert!(
            e.contains("'lz4'") && e.contains("none, gzip, zstd or bzip2"),
            "{e}"
        );
    }

    /// A file's raw bytes, as the read path reads them.
    struct FileSource(std::fs::File);

    impl RawSource for FileSource {
        async fn read_raw(&mut self, buf: &mut Vec<u8>) -> anyhow::Result<()> {
            crate::adapters::local::read_chunk(&mut self.0, buf, "bench")
        }
    }

    /// Decompresses a file through [`Decompress`] (and, with `scan`, the
    /// engine's inspector, as a stand-in for a job); returns the bytes out.
    async fn decompress_file(c: Compression, path: &str, thread: bool, scan: bool) -> u64 {
        let mut input = FileSource(std::fs::File::open(path).unwrap());
        let mut stage = Decompress::with_thread(c, crate::adapters::local::CHUNK_BYTES, thread);
        let mut inspector = sluice_engine::Inspector::new(Default::default());
        let (mut out, mut total) = (Vec::with_capacity(crate::adapters::local::CHUNK_BYTES), 0);
        loop {
            stage.read_chunk(&mut input, &mut out).await.unwrap();
            if out.is_empty() {
                return total;
            }
            total += out.len() as u64;
            if scan {
                inspector.feed(&out);
            }
        }
    }

    /// `scripts/bench-decode.sh`: MB/s of decompressed CSV through the stage,
    /// inline and on its thread (runs interleaved), for each file named in
    /// SLUICE_DECODE_BENCH: best of SLUICE_BENCH_RUNS (5 by default); with
    /// SLUICE_DECODE_SCAN=1 the engine scans each chunk too.
    #[tokio::test]
    #[ignore = "a benchmark: scripts/bench-decode.sh runs it on large files"]
    async fn bench_decompress() {
        let var = |name: &str| std::env::var(name).unwrap_or_default();
        let runs = var("SLUICE_BENCH_RUNS").parse().unwrap_or(5);
        let scan = var("SLUICE_DECODE_SCAN") == "1";
        for path in var("SLUICE_DECODE_BENCH").split_whitespace() {
            let c = Compression::from_name(path).expect("a .gz, .zst or .bz2 file");
            let (mut best, mut bytes) = ([f64::MAX; 2], 0);
            for _ in 0..runs {
                for (mode, thread) in [false, true].into_iter().enumerate() {
                    let started = std::time::Instant::now();
                    bytes = decompress_file(c, path, thread, scan).await;
                    best[mode] = best[mode].min(started.elapsed().as_secs_f64());
                }
            }
            let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
            let peak = status.lines().find(|l| l.starts_with("VmHWM:"));
            let peak = peak.unwrap_or("").split_whitespace().nth(1).unwrap_or("?");
            for (mode, secs) in ["inline", "thread"].into_iter().zip(best) {
                let scanned = if scan { "+ scan" } else { "" };
                let rate = bytes as f64 / secs / 1e6;
                println!("{} {mode:<6} {scanned:<6} {secs:6.2} s {rate:7.1} MB/s of CSV, peak RSS {peak} kB", c.name());
            }
        }
    }
}
