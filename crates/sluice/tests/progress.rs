//! The progress line on a terminal: run under a pseudo-terminal made by
//! util-linux `script`, whose typescript holds every byte the program
//! wrote to it. The line appears and updates while a file is read, and is
//! cleared before the summary; `-q` or a stderr that is not a terminal
//! shows none.

use crate::util::big_csv;
use crate::util::TempDir;
use std::path::Path;
use std::process::Command;

/// Runs `sluice ARGS` (a shell command line) under a pseudo-terminal in
/// `dir`; returns what reached the terminal.
fn on_a_terminal(dir: &Path, args: &str) -> String {
    let typescript = dir.join("typescript");
    let command = format!("{} {args}", env!("CARGO_BIN_EXE_sluice"));
    let status = Command::new("script")
        .args(["-qec", &command])
        .arg(&typescript)
        .current_dir(dir)
        .env("TERM", "xterm")
        .status()
        .expect("util-linux script runs");
    assert!(status.success(), "{command}");
    String::from_utf8_lossy(&std::fs::read(&typescript).unwrap()).into_owned()
}

/// The progress lines drawn: each redraw starts with a line clear.
fn draws(screen: &str) -> Vec<&str> {
    screen
        .lines()
        .flat_map(|l| l.split("\x1b[2K"))
        .filter(|l| l.contains(" rows, "))
        .collect()
}

#[test]
fn a_file_shows_bytes_rows_rate_and_eta_then_the_summary() {
    let dir = TempDir::new("progress-file");
    big_csv(&dir, 8 << 20);
    let screen = on_a_terminal(dir.path(), "filter big-8388608.csv -o out.csv");
    let drawn = draws(&screen);
    assert!(drawn.len() >= 2, "it updates: {screen:?}");
    let last = drawn.last().unwrap();
    for part in ["big-8388608.csv: ", " rows, ", "/8.39 MB (", "MB/s", "ETA "] {
        assert!(last.contains(part), "{part:?} in {last:?}");
    }
    let rows: Vec<u64> = drawn
        .iter()
        .filter_map(|l| l.split(": ").nth(1)?.split(' ').next()?.parse().ok())
        .collect();
    assert!(
        rows.windows(2).all(|w| w[0] <= w[1]) && rows.last() > Some(&0),
        "{rows:?}"
    );
    // Cleared: the summary follows a line clear, and nothing is drawn after it.
    let (_, after) = screen.rsplit_once("\x1b[2K").unwrap();
    assert!(
        after.starts_with("sluice filter: big-8388608.csv: "),
        "{after:?}"
    );
    assert!(!after.contains("ETA"), "{after:?}");
}

#[test]
fn stdin_has_no_size_so_no_eta() {
    let dir = TempDir::new("progress-stdin");
    big_csv(&dir, 4 << 20);
    let screen = on_a_terminal(dir.path(), "filter -o out.csv < big-4194304.csv");
    let drawn = draws(&screen);
    assert!(drawn.len() >= 2, "{screen:?}");
    assert!(drawn.last().unwrap().contains("MB/s"), "{drawn:?}");
    let no_eta = |l: &&str| l.starts_with("stdin: ") && !l.contains("ETA");
    assert!(drawn.iter().all(no_eta), "{drawn:?}");
}

#[test]
fn quiet_or_a_redirected_stderr_shows_none() {
    let dir = TempDir::new("progress-none");
    big_csv(&dir, 4 << 20);
    let quiet = on_a_terminal(dir.path(), "filter -q big-4194304.csv -o out.csv");
    assert!(
        draws(&quiet).is_empty() && !quiet.contains("\x1b["),
        "{quiet:?}"
    );
    let screen = on_a_terminal(dir.path(), "filter big-4194304.csv -o out.csv 2>err.txt");
    let err = std::fs::read_to_string(dir.path().join("err.txt")).unwrap();
    assert!(
        err.starts_with("sluice filter: big-4194304.csv: "),
        "{err:?}"
    );
    assert!(!err.contains(" rows, ") && !err.contains('\x1b'), "{err:?}");
    assert!(draws(&screen).is_empty(), "{screen:?}");
}

#[test]
fn the_watcher_shows_it_per_file_unless_quiet() {
    let dir = TempDir::new("progress-watch");
    std::fs::create_dir_all(dir.path().join("inbox")).unwrap();
    big_csv(&dir, 4 << 20);
    std::fs::rename(
        dir.path().join("big-4194304.csv"),
        dir.path().join("inbox/big.csv"),
    )
    .unwrap();
    let screen = on_a_terminal(dir.path(), "watch inbox -o outbox --once");
    assert!(
        draws(&screen).iter().any(|l| l.contains("big.csv: ")),
        "{screen:?}"
    );
    let quiet = on_a_terminal(dir.path(), "watch inbox -o outbox2 --once -q");
    assert!(draws(&quiet).is_empty(), "{quiet:?}");
    assert!(quiet.contains("processed"), "the log stays: {quiet:?}");
}
