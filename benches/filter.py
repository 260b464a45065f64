"""Filter benchmark: sluice against pandas and polars on one generated file.

Run through scripts/bench.sh, which builds sluice and prepares the venv.
Each tool runs as its own process under GNU time, which reports its wall
time and peak RSS. Input is read once beforehand so every tool sees a page-cached
file. Every tool writes its result to a file in the work folder; sluice is
also measured writing to /dev/null, which isolates the engine from the
kernel's page-cache write cost.
"""

import csv
import os
import subprocess
import sys

PEERS = {
    "pandas": """
import sys, pandas as pd
src, dst, first = sys.argv[1], sys.argv[2], sys.argv[3] == "first"
df = pd.read_csv(src)
num = df.select_dtypes("number")
mask = (num.iloc[:, 0] > 4.7) if first else (num > 4.7).any(axis=1)
df[mask].to_csv(dst, index=False)
""",
    "polars": """
import sys, polars as pl, polars.selectors as cs
src, dst, first = sys.argv[1], sys.argv[2], sys.argv[3] == "first"
lf = pl.scan_csv(src)
cond = (pl.first() > 4.7) if first else pl.any_horizontal(cs.numeric() > 4.7)
lf.filter(cond).sink_csv(dst)
""",
}


def measure(argv):
    """Runs argv under GNU time; returns (seconds, peak RSS in MB).

    GNU time is a small C program, so the peak it reports is the tool's own
    (a child forked from this Python process would inherit its footprint).
    """
    proc = subprocess.run(
        ["/usr/bin/time", "-f", "@@ %e %M", *argv],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        check=False,
    )
    err = proc.stderr.decode()
    if proc.returncode != 0:
        sys.exit(f"{argv[0]} failed: {err}")
    line = [l for l in err.splitlines() if l.startswith("@@ ")][-1]
    _, seconds, kb = line.split()
    return float(seconds), int(kb) / 1024


def count_rows(path):
    with open(path, "rb") as f:
        return sum(buf.count(b"\n") for buf in iter(lambda: f.read(1 << 24), b"")) - 1


def main():
    sluice, data, work, results_csv = sys.argv[1:5]
    size = os.path.getsize(data)
    with open(data, "rb") as f:  # warm the page cache
        while f.read(1 << 24):
            pass
    python = sys.executable
    rows = []
    for mode, args in (("first", ["--columns", "1"]), ("any", [])):
        runs = [
            ("sluice -> /dev/null", [sluice, "filter", *args, "-q", data, "-o", "/dev/null"], None),
            ("sluice -> file", [sluice, "filter", *args, "-q", data, "-o", f"{work}/sluice.csv"], f"{work}/sluice.csv"),
        ]
        for peer, code in PEERS.items():
            out = f"{work}/{peer}.csv"
            runs.append((peer, [python, "-c", code, data, out, mode], out))
        results = []
        for name, argv, out in runs:
            seconds, rss = measure(argv)
            results.append((name, seconds, rss, out))
        counts = {name: count_rows(out) for name, _, _, out in results if out}
        if len(set(counts.values())) != 1:
            sys.exit(f"tools disagree on the selected rows ({mode}): {counts}")
        base = results[0][1]
        for name, seconds, rss, _ in results:
            rows.append((mode, name, size / 1e6 / seconds, rss, seconds / base))
        print(f"{mode}-column filter: every tool selected {next(iter(counts.values()))} rows", file=sys.stderr)
    print(f"\ninput: {size / 2**30:.2f} GiB, {data}")
    print(f"{'filter':<8}{'tool':<22}{'MB/s':>10}{'peak RSS MB':>14}{'time vs sluice':>16}")
    for mode, name, mbs, rss, ratio in rows:
        print(f"{mode:<8}{name:<22}{mbs:>10.0f}{rss:>14.1f}{ratio:>15.1f}x")
    write_results(results_csv, [(f"{mode}-column", name, mbs, rss) for mode, name, mbs, rss, _ in rows])


def write_results(path, rows):
    """The chart's data (benches/chart.py): case, tool, MB/s, peak RSS."""
    with open(path, "w", newline="") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(["case", "tool", "mb_per_s", "peak_rss_mb"])
        for case, tool, mbs, rss in rows:
            out.writerow([case, tool, f"{mbs:.0f}", f"{rss:.1f}"])


if __name__ == "__main__":
    main()
