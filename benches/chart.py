"""Draws a benchmark's side-by-side results as a PNG bar chart.

    python benches/chart.py RESULTS.csv CHART.png TITLE

RESULTS.csv has one row per measured run: case (a mode such as "any" or
"first", or the job), tool, mb_per_s, peak_rss_mb. The chart has two
panels, throughput and peak memory, with one bar per tool in each case,
the value written on every bar. The benchmark scripts write the CSV
(benches/filter.py, benches/report.py) and then call this, so the chart in
the README is always the one the data beside it makes.
"""

import csv
import sys

import matplotlib

matplotlib.use("Agg")  # files only: no display
import matplotlib.pyplot as plt  # noqa: E402  (after the backend is chosen)


def read(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        sys.exit(f"{path}: no results")
    return rows


def panel(ax, rows, column, label):
    cases = list(dict.fromkeys(r["case"] for r in rows))
    tools = list(dict.fromkeys(r["tool"] for r in rows))
    width = 0.8 / len(tools)
    for i, tool in enumerate(tools):
        xs, ys = [], []
        for j, case in enumerate(cases):
            for r in rows:
                if r["case"] == case and r["tool"] == tool:
                    xs.append(j + (i - (len(tools) - 1) / 2) * width)
                    ys.append(float(r[column]))
        bars = ax.bar(xs, ys, width, label=tool)
        ax.bar_label(bars, fmt="%.0f", fontsize=7, padding=2)
    ax.set_xticks(range(len(cases)), cases)
    ax.set_ylabel(label)
    ax.margins(y=0.15)
    ax.grid(axis="y", alpha=0.3)


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: chart.py RESULTS.csv CHART.png TITLE")
    src, dst, title = sys.argv[1:]
    rows = read(src)
    fig, (speed, memory) = plt.subplots(1, 2, figsize=(11, 4.2))
    panel(speed, rows, "mb_per_s", "MB/s (higher is better)")
    panel(memory, rows, "peak_rss_mb", "peak RSS, MB (lower is better)")
    memory.set_yscale("log")
    handles, labels = speed.get_legend_handles_labels()
    # Below the panels: inside, it would cover the bars.
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=8, frameon=False)
    fig.suptitle(title)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    # No timestamp in the file: the same results make the same bytes.
    fig.savefig(dst, dpi=100, metadata={"Software": None})
    print(f"wrote {dst}", file=sys.stderr)


if __name__ == "__main__":
    main()
