//! The three codecs behind one streaming call that writes at most `room`
//! bytes after a vector's contents, straight into its spare capacity.

use super::Compression;
use std::mem::MaybeUninit;

/// What one codec call did: input bytes used, and whether a gzip member or
/// bzip2 stream ended with it (zstd moves on to the next frame by itself).
pub(super) struct Step {
    pub used: usize,
    pub ended: bool,
}

/// A codec failure: the input bytes used before it (when known) and why.
pub(super) type Fault = (usize, String);

/// One codec's streaming state.
pub(super) enum Codec {
    Gzip(Box<flate2::Decompress>),
    Zstd {
        ctx: Box<zstd::stream::raw::Decoder<'static>>,
        /// Whether the last call that moved data ended a frame: a call on
        /// no input after a frame reports the next frame's header as due.
        frame_done: bool,
    },
    Bzip2(Box<bzip2::Decompress>),
}

impl Codec {
    pub(super) fn new(compression: Compression) -> Self {
        match compression {
            // 15 + gzip framing: zlib checks the header, CRC and length itself.
            Compression::Gzip => Codec::Gzip(Box::new(flate2::Decompress::new_gzip(15))),
            Compression::Zstd => Codec::Zstd {
                ctx: Box::new(
                    zstd::stream::raw::Decoder::new()
                        .expect("zstd allocates a decompression context"),
                ),
                frame_done: false,
            },
            Compression::Bzip2 => Codec::Bzip2(Box::new(bzip2::Decompress::new(false))),
        }
    }

    pub(super) fn step(
        &mut self,
        input: &[u8],
        out: &mut Vec<u8>,
        room: usize,
    ) -> Result<Step, Fault> {
        match self {
            Codec::Gzip(d) => counted_step(&mut **d, input, out, room),
            Codec::Zstd { ctx, frame_done } => zstd_step(ctx, frame_done, input, out, room),
            Codec::Bzip2(d) => counted_step(&mut **d, input, out, room),
        }
    }

    /// Whether the data so far ends on a whole stream: after the last
    /// frame for zstd; for the others, `between` members or streams.
    pub(super) fn complete(&self, between: bool) -> bool {
        match self {
            Codec::Zstd { frame_done, .. } => *frame_done,
            Codec::Gzip(_) | Codec::Bzip2(_) => between,
        }
    }
}

/// `room` bytes of `out`'s spare capacity, handed to a codec uninitialised:
/// zeroing a chunk first would cost a pass over memory per chunk.
fn spare(out: &mut Vec<u8>, room: usize) -> &mut [MaybeUninit<u8>] {
    out.reserve_exact(room);
    &mut out.spare_capacity_mut()[..room]
}

/// The shape zlib and libbzip2 share: running totals in and out, and a call
/// that writes into uninitialised memory.
trait Counted {
    fn totals(&self) -> (u64, u64);
    /// Runs the codec; `Ok(true)` when a gzip member or bzip2 stream ended.
    fn call(&mut self, input: &[u8], out: &mut [MaybeUninit<u8>]) -> Result<bool, String>;
}

impl Counted for flate2::Decompress {
    fn totals(&self) -> (u64, u64) {
        (self.total_in(), self.total_out())
    }
    fn call(&mut self, input: &[u8], out: &mut [MaybeUninit<u8>]) -> Result<bool, String> {
        let status = self.decompress_uninit(input, out, flate2::FlushDecompress::None);
        Ok(status.map_err(|e| e.to_string())? == flate2::Status::StreamEnd)
    }
}

impl Counted for bzip2::Decompress {
    fn totals(&self) -> (u64, u64) {
        (self.total_in(), self.total_out())
    }
    fn call(&mut self, input: &[u8], out: &mut [MaybeUninit<u8>]) -> Result<bool, String> {
        match self.decompress_uninit(input, out) {
            Ok(status) => Ok(status == bzip2::Status::StreamEnd),
            Err(bzip2::Error::DataMagic) => Err("no bzip2 signature where a stream starts".into()),
            Err(bzip2::Error::Data) => Err("corrupt data (a checksum fails)".into()),
            Err(e) => Err(e.to_string()),
        }
    }
}

fn counted_step(
    d: &mut impl Counted,
    input: &[u8],
    out: &mut Vec<u8>,
    room: usize,
) -> Result<Step, Fault> {
    let (in0, out0) = d.totals();
    let result = d.call(input, spare(out, room));
    let (in1, out1) = d.totals();
    let used = (in1 - in0) as usize;
    let ended = result.map_err(|e| (used, e))?;
    let written = (out1 - out0) as usize;
    debug_assert!(written <= room);
    // SAFETY: the codec counts in its output total exactly the bytes it
    // wrote, from the start of the spare capacity.
    unsafe { out.set_len(out.len() + written) };
    Ok(Step { used, ended })
}

fn zstd_step(
    ctx: &mut zstd::stream::raw::Decoder<'static>,
    frame_done: &mut bool,
    input: &[u8],
    out: &mut Vec<u8>,
    room: usize,
) -> Result<Step, Fault> {
    use zstd::stream::raw::{InBuffer, Operation, OutBuffer};
    let start = out.len();
    out.reserve_exact(room);
    let mut dst = Room { out, start, room };
    let mut inb = InBuffer::around(input);
    let mut outb = OutBuffer::around(&mut dst);
    // zstd forgets its position on an error: the fault is at this input.
    let hint = ctx
        .run(&mut inb, &mut outb)
        .map_err(|e| (0, e.to_string()))?;
    let made = outb.pos();
    if inb.pos > 0 || made > 0 {
        *frame_done = hint == 0;
    }
    Ok(Step {
        used: inb.pos,
        ended: false,
    })
}

/// The `room` bytes after `out[..start]` as zstd's output buffer.
struct Room<'a> {
    out: &'a mut Vec<u8>,
    start: usize,
    room: usize,
}

// SAFETY: the buffer is `room` bytes of reserved capacity after `start`;
// `as_slice` covers only what zstd reported written (the length is set
// only through `filled_until`).
unsafe impl zstd::stream::raw::WriteBuf for Room<'_> {
    fn as_slice(&self) -> &[u8] {
        &self.out[self.start..]
    }
    fn capacity(&self) -> usize {
        self.room
    }
    fn as_mut_ptr(&mut self) -> *mut u8 {
        // SAFETY: `start` is the vector's length, within its allocation.
        unsafe { self.out.as_mut_ptr().add(self.start) }
    }
    unsafe fn filled_until(&mut self, n: usize) {
        debug_assert!(n <= self.room);
        // SAFETY: zstd wrote the first `n` bytes; the capacity was reserved.
        unsafe { self.out.set_len(self.start + n) }
    }
}
