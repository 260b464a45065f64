//! The progress line of a run on a terminal: bytes read, rows, MB/s, and
//! the time left when the input's size is known. Shown only when a door
//! asks for it (the CLI and the watcher, without `-q`) and stderr is a
//! terminal; cleared when the input is done, so the summary line takes its
//! place. Updated once per read chunk (256 KiB), never per row, and
//! `indicatif` redraws at most 20 times a second: it costs nothing
//! measurable.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// A progress line, or nothing (the common case: not a terminal).
pub struct Progress(Option<(ProgressBar, Arc<AtomicU64>)>);

impl Progress {
    /// A line for the input `name` of `size` raw bytes (compressed, when it
    /// is), if `wanted` and stderr is a terminal.
    pub fn new(wanted: bool, name: &str, size: Option<u64>) -> Self {
        if !wanted || !std::io::stderr().is_terminal() {
            return Progress(None);
        }
        let rows = Arc::new(AtomicU64::new(0));
        let template = match size {
            Some(_) => "{prefix}: {rows} rows, {decimal_bytes}/{decimal_total_bytes} ({percent}%), {decimal_bytes_per_sec}, ETA {eta}",
            None => "{prefix}: {rows} rows, {decimal_bytes}, {decimal_bytes_per_sec}",
        };
        let shown = Arc::clone(&rows);
        let style = ProgressStyle::with_template(template)
            .expect("the progress templates are valid")
            .with_key(
                "rows",
                move |_: &ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = write!(w, "{}", shown.load(Ordering::Relaxed));
                },
            );
        let target = ProgressDrawTarget::stderr_with_hz(10);
        let bar = ProgressBar::with_draw_target(size, target).with_style(style);
        // The last part of a path or key keeps the line short.
        bar.set_prefix(name.rsplit('/').next().unwrap_or(name).to_string());
        Progress(Some((bar, rows)))
    }

    /// Records how far the read is: `raw` bytes of the input (what its
    /// size counts), `rows` data rows so far. One (rate-limited) redraw.
    pub fn update(&self, raw: u64, rows: u64) {
        if let Some((bar, shown)) = &self.0 {
            shown.store(rows, Ordering::Relaxed);
            bar.set_position(raw);
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some((bar, _)) = &self.0 {
            bar.finish_and_clear();
        }
    }
}
